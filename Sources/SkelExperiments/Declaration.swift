import SkelDocument
import SkelPlot

/// The typed options of a directive kind: a struct whose property initializers are the
/// defaults (the compiler checks them; nothing is parsed to get a default).
public protocol KindOptions: Sendable, Hashable {
  init()
}

/// Whether an option changes what is computed (part of the cache key) or only how the result is
/// shown (never part of it).
public enum FieldRole: Sendable, Hashable {
  case compute
  case presentation
}

/// One option of a kind: its name, type (and so its range), help, role and the key path of the
/// `Options` property it sets. One list of fields drives validation, `skelreport kinds`, the
/// docs and the cache key.
public struct Field<Options: KindOptions>: Sendable {
  public let spec: OptionSpec
  public let role: FieldRole
  let set: @Sendable (inout Options, TypedValue) -> Bool
  let get: @Sendable (Options) -> TypedValue

  /// A field whose default is the property's initial value in `Options()`; `required` fields
  /// have no default (the initial value is a placeholder `run` never sees).
  public init<V: OptionConvertible>(
    _ name: String, _ path: WritableKeyPath<Options, V>, _ type: OptionType, role: FieldRole = .compute,
    required: Bool = false, _ help: String
  ) {
    nonisolated(unsafe) let path = path  // key paths are immutable values
    let initial = Options()[keyPath: path]
    var spec = OptionSpec(name, type, default: required ? nil : initial.spelling, help)
    if !required { spec.defaultValue = initial.typed }
    self.spec = spec
    self.role = role
    set = { options, value in
      guard let v = V(typed: value) else { return false }
      options[keyPath: path] = v
      return true
    }
    get = { $0[keyPath: path].typed }
  }

  /// A choice among the cases of an enum.
  public static func choice<V: OptionChoice>(
    _ name: String, _ path: WritableKeyPath<Options, V>, role: FieldRole = .compute, _ help: String
  ) -> Field {
    Field(name, path, V.optionType, role: role, help)
  }

  public var name: String { spec.name }
}

/// How a kind's result appears on the page: a numbered figure (which may carry a table under
/// its image) or a numbered table. Decided from the options, before anything runs, so
/// numbering and the alt-text check need no result.
public enum Presentation: Sendable, Hashable {
  case figure
  case table
}

/// Image files of a figure.
public enum FigureFormat: String, OptionChoice {
  case svg, png, pdf
}

/// How a result's table shows on the page (`:table:`): `full` every row, `summary` the first
/// `TableChoice.summaryHead` and last `TableChoice.summaryTail` rows with the count left out,
/// `none` no table (its CSV and JSON are still written and linked); `auto` is `full` for a table
/// directive and for a figure's table of at most `TableChoice.autoRows` rows, else `summary`.
public enum TableChoice: String, OptionChoice {
  case auto, none, summary, full

  public static let summaryHead = 4, summaryTail = 2, autoRows = 12

  /// The choice made for a table of `rows` rows under `presentation` (never `auto`).
  public func resolved(rows: Int, presentation: Presentation) -> TableChoice {
    guard self == .auto else { return self }
    return presentation == .table || rows <= Self.autoRows ? .full : .summary
  }
}

/// The options every kind has: all of them presentation (none is in the cache key).
public struct CommonOptions: KindOptions {
  public var label = ""
  public var formats: [FigureFormat] = [.svg, .png, .pdf]
  public var size = FigureSize.inches(5, 3.4)
  public var alt = ""
  /// `:from: LABEL` (or `REPORT/LABEL`): the directive whose result this one reads
  /// (`RunContext.upstream`); empty: none. The build resolves it, orders the runs by it and puts
  /// the upstream's key into this directive's key, so it is not a compute option itself.
  public var from = ""
  /// `:seed: N` replaces the seed derived from the report's `seed` and the label; −1: derived.
  public var seed = -1
  /// How the result's table shows on the page (`TableChoice`).
  public var table = TableChoice.auto
  /// `xscale`, `yscale`, `xlim`, `ylim`, `legend`, `colormap` (`PlotOptions.swift`).
  public var plot = PlotOptions()
  public init() {}

  public static let fields: [Field<CommonOptions>] = [
    Field(
      "label", \.label, .label, role: .presentation, "name of the figure, its files and its references (default: the kind and its number)"),
    Field("formats", \.formats, .list(FigureFormat.optionType, minCount: 1), role: .presentation, "figure files to write"),
    Field("size", \.size, .size, role: .presentation, "figure size"),
    Field("alt", \.alt, .string, role: .presentation, "alt text for readers who cannot see the figure"),
    Field(
      "from", \.from, .string, role: .presentation,
      "LABEL or REPORT/LABEL of the directive whose result this one reads (kinds that take one); its key is part of this one's"),
    Field(
      "seed", \.seed, .integer(min: 0, max: Int(Int32.max)), role: .presentation,
      "the directive's random seed, in place of the one derived from the report's seed and the label (it is in the cache key)"),
    .choice(
      "table", \.table, role: .presentation,
      "the result's table on the page: full, summary (first 4 and last 2 rows), none (CSV and JSON only); auto: full up to 12 rows or for a table directive, else summary"
    ),
    .choice("xscale", \.plot.xscale, role: .presentation, "x axis scale of every panel (auto: the kind's)"),
    .choice("yscale", \.plot.yscale, role: .presentation, "y axis scale of every panel (auto: the kind's)"),
    Field("xlim", \.plot.xlim, PlotOptions.limitType, role: .presentation, "x axis limits [a, b] (empty: from the data)"),
    Field("ylim", \.plot.ylim, PlotOptions.limitType, role: .presentation, "y axis limits [a, b] (empty: from the data)"),
    .choice("legend", \.plot.legend, role: .presentation, "legend placement: none, outside, best or a corner (auto: the kind's)"),
    .choice("colormap", \.plot.colormap, role: .presentation, "colormap of heat maps (auto: the kind's)"),
  ]

  /// The presentation options that change a drawing, as one canonical text (in the figure's
  /// cache key, not the result's).
  public var drawingText: String {
    Self.fields.filter { PlotOptions.names.contains($0.spec.name) }
      .map { "\($0.spec.name)=\($0.get(self).canonical)" }.joined(separator: ";")
  }
}

/// A directive kind as one typed declaration: options (a struct and its fields), the
/// computation, its cost and how the result is presented. `ExperimentRegistry` erases the
/// types once (`AnyKind`); the build asks the erased declaration, never a kind's name.
public protocol DirectiveKind: Sendable {
  associatedtype Options: KindOptions
  /// The name written after `{kernel}`.
  var name: String { get }
  var summary: String { get }
  var fields: [Field<Options>] { get }
  /// A complete example directive, as a user would write it.
  var example: String { get }
  /// Whether the kind reads a `:from:` directive's result (`RunContext.upstream`; default
  /// `false`: `:from:` on it is an error at the option).
  var takesFrom: Bool { get }
  /// Figure or table (default: figure).
  func presentation(_ options: Options) -> Presentation
  /// Science-aware checks beyond the option types, before anything runs (default: none).
  func check(_ options: Options, directive: Directive) -> [Diagnostic]
  /// The compute options as the cache key sees them (default: `fields`, each field's canonical
  /// value in field order). A kind whose options have several spellings of one computation (the
  /// shorthand options of a network and the `network` option) replaces them by one entry.
  func canonicalFields(_ options: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)]
  /// Memory and work of `run`, estimated before anything runs from the loops of `run` (no
  /// default: every kind states its own; the build refuses what exceeds the budget).
  func cost(_ options: Options) -> Cost
  /// The estimate once the build has decoded the input files (default: `cost(_:)`): a kind
  /// whose cost grows with a file's rows counts the rows it has (`MeasuredInputs`).
  func cost(_ options: Options, measured: MeasuredInputs) -> Cost
  /// Runs the experiment. Pure: the same options and seed give the same result.
  func run(_ options: Options, context: RunContext) throws -> ExperimentResult
  /// The figure of a result (default: a line plot of every series), or `nil` for a table.
  func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure?
  /// Why the series (or grid) named `name` may hold NaN or ±inf values, or `nil` when it may
  /// not (the default): a gap where a quantity diverges is a reason; a failed integral is not.
  func nonFiniteReason(_ name: String) -> String?
  /// The input files the directive reads, by the option that names them (default: the value of
  /// every compute option of type `InputsValue.type`). The build reads, hashes and decodes them.
  func inputs(_ options: Options, fields: [Field<Options>]) -> [(option: String, value: InputsValue)]
  /// What is wrong with the input files once decoded, beyond what their readers check (a column
  /// the kind needs that the file lacks), with the file's own position; `nil` (the default) when
  /// nothing is. The build reports it at the option that names the files, before anything runs.
  func checkFiles(_ options: Options, files: InputFiles) -> String?
  /// The tiles of the large matrices the directive stores in its tile folder
  /// (`RunContext.tileDirectory`), each computable on its own by `computeTiles` (a unit of
  /// `skelreport plan`); `nil` (the default) for a directive that stores none.
  func storedTiles(_ options: Options, measured: MeasuredInputs) -> StoredTiles?
  /// Computes the tiles `pairs` (those not vouched for already) into `context.tileDirectory` and
  /// makes them durable, without completing the store: another process may compute the rest.
  /// Returns how many it computed. The default refuses: the kind stores no tiles.
  func computeTiles(_ options: Options, _ pairs: [TilePair], context: RunContext) throws -> Int
}

extension DirectiveKind {
  public var takesFrom: Bool { false }
  public func presentation(_ options: Options) -> Presentation { .figure }
  public func check(_ options: Options, directive: Directive) -> [Diagnostic] { [] }
  public func canonicalFields(_ options: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    fields
  }
  public func nonFiniteReason(_ name: String) -> String? { nil }
  public func inputs(_ options: Options, fields: [Field<Options>]) -> [(option: String, value: InputsValue)] {
    fields.filter { $0.role == .compute }.compactMap { f in InputsValue(typed: f.get(options)).map { (option: f.name, value: $0) } }
  }
  public func checkFiles(_ options: Options, files: InputFiles) -> String? { nil }
  public func cost(_ options: Options, measured: MeasuredInputs) -> Cost { cost(options) }
  public func storedTiles(_ options: Options, measured: MeasuredInputs) -> StoredTiles? { nil }
  public func computeTiles(_ options: Options, _ pairs: [TilePair], context: RunContext) throws -> Int {
    throw ExperimentError("\(name) stores no tiles")
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    Self.linePlot(result, size: size)
  }

  /// One panel on log–log axes with the result's axis labels and the legend where it covers no data.
  public static func logLogFigure(_ result: ExperimentResult, marks: [Mark], size: FigureSize) -> Figure {
    let x = AxisSpec(label: result.xlabelTeX, scale: .log), y = AxisSpec(label: result.ylabelTeX, scale: .log)
    return Figure(width: size.width, height: size.height, panels: [Axes(x: x, y: y, marks: marks, legend: .best)])
  }

  /// A line plot of every series of `result`.
  public static func linePlot(_ result: ExperimentResult, size: FigureSize) -> Figure? {
    if result.series.isEmpty { return nil }
    let lines = result.series.map { LineSeries(name: $0.name, x: $0.x, y: $0.y) }
    let axes = Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), lines: lines)
    return Figure(width: size.width, height: size.height, panels: [axes])
  }
}

/// A directive's options once typed, with everything the build asks of them. The closures hold
/// the kind's own `Options` value; nothing here is read by name.
public struct ConfiguredDirective: Sendable {
  public let kind: String
  public let common: CommonOptions
  /// The compute options in field order, each with its value by `TypedValue.canonical`.
  /// Presentation options are not in it.
  public let canonicalFields: [(name: String, value: String)]
  public let presentation: Presentation
  /// Whether the kind reads a `:from:` result (`DirectiveKind.takesFrom`).
  public let takesFrom: Bool
  /// The `inputs` options' values (compute options of type `InputsValue.type`), by option name:
  /// the build reads and hashes their files (`InputsValue.files`) and checks them decode.
  public let inputs: [(option: String, value: InputsValue)]
  let runBody: @Sendable (RunContext) throws -> ExperimentResult
  let figureBody: @Sendable (ExperimentResult) -> Figure?
  let costBody: @Sendable (MeasuredInputs) -> Cost
  let reasonBody: @Sendable (String) -> String?
  let filesBody: @Sendable (InputFiles) -> String?
  var tilesBody: @Sendable (MeasuredInputs) -> StoredTiles? = { _ in nil }
  var computeTilesBody: @Sendable ([TilePair], RunContext) throws -> Int = { _, _ in 0 }

  /// The compute options as one canonical text, `name=value` lines: what the cache key hashes.
  public var canonicalOptions: String { canonicalFields.map { "\($0.name)=\($0.value)" }.joined(separator: "\n") }

  public func run(context: RunContext) throws -> ExperimentResult { try runBody(context) }
  public func figure(for result: ExperimentResult) -> Figure? { figureBody(result) }
  /// The estimate before the input files are read (a file counts as the largest allowed).
  public func cost() -> Cost { costBody(MeasuredInputs()) }
  /// The estimate with the decoded input files' sizes.
  public func cost(measured: MeasuredInputs) -> Cost { costBody(measured) }
  public func nonFiniteReason(_ name: String) -> String? { reasonBody(name) }
  /// The tiles the directive stores (`DirectiveKind.storedTiles`), with the decoded files' sizes.
  public func storedTiles(measured: MeasuredInputs) -> StoredTiles? { tilesBody(measured) }
  /// Computes these of its tiles into `context.tileDirectory` (`DirectiveKind.computeTiles`).
  public func computeTiles(_ pairs: [TilePair], context: RunContext) throws -> Int { try computeTilesBody(pairs, context) }
  /// The directive of a sweep's `:summary:`: a figure whatever the kind presents, drawn as the
  /// summary against the variable (points, with error bars where there are standard errors), with
  /// the plot options applied.
  public func summarized() -> ConfiguredDirective {
    let size = common.size, plot = common.plot
    return ConfiguredDirective(
      kind: kind, common: common, canonicalFields: canonicalFields, presentation: .figure, takesFrom: takesFrom, inputs: inputs,
      runBody: runBody,
      figureBody: { Self.summaryFigure($0, size: size).map(plot.apply).map(SeriesLabel.typeset) }, costBody: costBody,
      reasonBody: reasonBody,
      filesBody: filesBody, tilesBody: tilesBody, computeTilesBody: computeTilesBody)
  }

  static func summaryFigure(_ r: ExperimentResult, size: FigureSize) -> Figure? {
    guard !r.series.isEmpty else { return nil }
    let marks: [Mark] = r.series.map { s in
      if let e = s.yerr { return .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: e, connected: true)) }
      return .line(LineSeries(name: s.name, x: s.x, y: s.y, marker: .circle))
    }
    let axes = Axes(
      x: AxisSpec(label: r.xlabelTeX), y: AxisSpec(label: r.ylabelTeX), marks: marks, legend: r.series.count > 1 ? .best : .none)
    return Figure(width: size.width, height: size.height, panels: [axes])
  }

  /// The kind's own check of its decoded input files (`DirectiveKind.checkFiles`).
  public func checkFiles(_ files: InputFiles) -> String? { filesBody(files) }
}

/// A kind with its types erased, once, for the registry.
public struct AnyKind: Sendable {
  public let name: String
  /// Whether the kind reads a `:from:` result (`DirectiveKind.takesFrom`).
  public let takesFrom: Bool
  /// Every option (common ones first) for validation, `skelreport kinds` and the docs.
  public let schema: DirectiveSchema
  let configureBody: @Sendable (ResolvedOptions, Directive?) -> (ConfiguredDirective?, [Diagnostic])

  public init<K: DirectiveKind>(_ kind: K) {
    name = kind.name
    takesFrom = kind.takesFrom
    let fields = kind.fields
    schema = DirectiveSchema(
      kind: kind.name, summary: kind.summary, options: CommonOptions.fields.map(\.spec) + fields.map(\.spec), example: kind.example)
    configureBody = { resolved, directive in
      var common = CommonOptions(), options = K.Options()
      var missing: [String] = []
      for f in CommonOptions.fields where !Self.apply(f, resolved, to: &common) { missing.append(f.name) }
      for f in fields where !Self.apply(f, resolved, to: &options) { missing.append(f.name) }
      guard missing.isEmpty else {
        return (nil, [Self.declarationError(kind.name, missing, at: directive)])
      }
      let typed = options
      let canonical = kind.canonicalFields(
        typed, fields.filter { $0.role == .compute }.map { (name: $0.name, value: $0.get(typed).canonical) })
      let size = common.size, plot = common.plot
      let inputs = kind.inputs(typed, fields: fields)
      let configured = ConfiguredDirective(
        kind: kind.name, common: common, canonicalFields: canonical, presentation: kind.presentation(typed), takesFrom: kind.takesFrom,
        inputs: inputs,
        runBody: { try kind.run(typed, context: $0) },
        figureBody: { kind.figure(for: $0, options: typed, size: size).map(plot.apply).map(SeriesLabel.typeset) },
        costBody: { kind.cost(typed, measured: $0) }, reasonBody: { kind.nonFiniteReason($0) },
        filesBody: { kind.checkFiles(typed, files: $0) }, tilesBody: { kind.storedTiles(typed, measured: $0) },
        computeTilesBody: { try kind.computeTiles(typed, $0, context: $1) })
      return (
        configured,
        common.plot.problems(at: directive, presentation: configured.presentation)
          + Self.tableProblems(common.table, at: directive, presentation: configured.presentation)
          + (directive.map { kind.check(typed, directive: $0) } ?? [])
      )
    }
  }

  /// `:table: none` on a table directive would leave nothing on the page.
  static func tableProblems(_ table: TableChoice, at directive: Directive?, presentation: Presentation) -> [Diagnostic] {
    guard let directive, presentation == .table, table == .none, let o = directive.options.first(where: { $0.key == "table" }) else {
      return []
    }
    return [
      Diagnostic(
        at: SourceLocation(path: o.keyLocation.path, line: o.line, column: o.value.column),
        "option 'table' is none, but '\(directive.kind)' is a table: nothing would be shown (use summary or full)")
    ]
  }

  static func apply<O>(_ f: Field<O>, _ resolved: ResolvedOptions, to options: inout O) -> Bool {
    guard let v = resolved.values[f.name] else { return f.spec.defaultText == nil }  // required and missing: validation said so
    return f.set(&options, v)
  }

  /// The typed options of a validated directive (and the kind's own checks), or the problems.
  public func configure(_ resolved: ResolvedOptions, directive: Directive) -> (ConfiguredDirective?, [Diagnostic]) {
    configureBody(resolved, directive)
  }

  /// The typed options of validated options with no report around them (tests, tools); the
  /// kind's own checks need a directive and are not run.
  public func configured(_ resolved: ResolvedOptions) throws -> ConfiguredDirective {
    let (typed, problems) = configureBody(resolved, nil)
    guard let typed else { throw ExperimentError(problems.map(\.message).joined(separator: "; ")) }
    return typed
  }

  /// Runs validated options (tests, tools).
  public func run(_ resolved: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    try configured(resolved).run(context: context)
  }

  /// The cost estimate of validated options (tests, tools).
  public func cost(_ resolved: ResolvedOptions) throws -> Cost { try configured(resolved).cost() }

  static func declarationError(_ kind: String, _ missing: [String], at directive: Directive?) -> Diagnostic {
    let message =
      "internal error: kind '\(kind)' declares option(s) \(missing.joined(separator: ", ")) with a type its Options field does not hold; please report this"
    guard let directive else { return Diagnostic(at: SourceLocation(path: "", line: 1, column: 1), message) }
    return Diagnostic(at: directive.kindLocation, length: directive.kind.count, message)
  }
}
