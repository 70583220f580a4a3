import SkelData
import SkelDocument
import SkelPlot

/// ```` ```{plot} ````: columns of a CSV or `.npy` file beside the report as a numbered figure
/// (directives.md, "The `plot` directive"). The file is read, hashed into the cache key and
/// checked by the build (`inputs`, `checkFiles`); `run` only decodes the bytes it was given.
/// With `:from: LABEL` in place of `:data:` it draws another directive's result instead: its
/// series by name (`:y:`, default all; each with its own x) or its table's numeric columns.
public struct PlotKind: DirectiveKind {
  public init() {}

  public enum MarkChoice: String, OptionChoice {
    case line, scatter, errorbars
  }

  public struct Options: KindOptions {
    public var data = ""
    public var x = ""
    public var y: [String] = []
    public var mark = MarkChoice.line
    public var yerr: [String] = []
    public var xlabel = ""
    public var ylabel = ""
    public init() {}
  }

  public let name = "plot"
  public var takesFrom: Bool { true }
  public let summary = "Columns of a CSV or .npy file beside the report as a figure: y against x, one series per y column"
  public let fields: [Field<Options>] = [
    Field(
      "data", \.data, .string,
      "a CSV file with a header row or a NumPy .npy array (N×d), relative to the report; or none, with ':from: LABEL'"),
    Field(
      "x", \.x, .string,
      "the x column: a header name (CSV), a column index from 0 (.npy) or a column of the ':from:' table (its series keep their own x)"),
    Field(
      "y", \.y, .list(.string, minCount: 1),
      "the y column or columns, one series each; with ':from:' the upstream's series by name (default: all) or its table's columns"),
    .choice("mark", \.mark, "draw lines, points (scatter) or points with error bars (errorbars, with yerr)"),
    Field("yerr", \.yerr, .list(.string, minCount: 0), "with mark: errorbars, the error column of each y column (± that value)"),
    Field("xlabel", \.xlabel, .string, "x axis label, math allowed (default: the x column)"),
    Field("ylabel", \.ylabel, .string, "y axis label, math allowed (default: the y column when there is one)"),
  ]
  public let example = """
    ```{plot}
    :label: fig-training
    :data: data/training.csv
    :x: step
    :y: [train_loss, test_loss]
    :yscale: log

    Losses of the finite network during training.
    ```
    """

  /// The file's format, from its extension.
  enum Format { case csv, npy }

  static func format(_ path: String) -> Format? {
    let p = path.lowercased()
    return p.hasSuffix(".csv") ? .csv : p.hasSuffix(".npy") ? .npy : nil
  }

  /// Every column the directive reads, each once, in the order written (x, y, yerr).
  static func columns(_ o: Options) -> [String] {
    var seen = Set<String>(), out: [String] = []
    for c in [o.x] + o.y + o.yerr where seen.insert(c).inserted { out.append(c) }
    return out
  }

  public func inputs(_ o: Options, fields: [Field<Options>]) -> [(option: String, value: InputsValue)] {
    switch Self.format(o.data) {
    case .csv: return [("data", InputsValue(.csv(path: o.data, columns: Self.columns(o), labels: nil)))]
    case .npy: return [("data", InputsValue(.npy(path: o.data)))]
    case nil: return []
    }
  }

  public func checkFiles(_ o: Options, files: InputFiles) -> String? {
    // Column names that are no .npy index were refused by `check` already.
    if Self.format(o.data) == .npy && Self.columns(o).contains(where: { Int($0).map { $0 < 0 } ?? true }) { return nil }
    do {
      _ = try Self.table(o, files: files)
      return nil
    } catch {
      return "\(error)"
    }
  }

  public func cost(_ o: Options) -> Cost {
    // The file is at most DataLimits.maxElements numbers (the reader refuses more); the series
    // copy the columns read.
    var c = CostBuilder()
    guard !o.data.isEmpty else {
      // With `:from:`: a copy of the upstream's series, which its own budget bounded.
      c.work(Double(DataLimits.maxElements) / 8, each: UnitCost.draw, "copying the ':from:' result's series", options: ["y"])
      return c.cost
    }
    c.doubles([DataLimits.maxElements / 8], "the columns of '\(o.data)' (at most 2^27 numbers in a file)", options: ["data"])
    c.work(Double(DataLimits.maxElements) / 8, each: UnitCost.draw, "decoding '\(o.data)'", options: ["data"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    if let up = context.upstream { return try Self.replot(o, up) }
    let table = try Self.table(o, files: context.files)
    let x = table.column(o.x)
    let series = o.y.enumerated().map { k, name in
      SeriesData(name: name, x: x, y: table.column(name), yerr: o.mark == .errorbars ? table.column(o.yerr[k]) : nil)
    }
    return Self.columnsResult(o, series)
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    let marks: [Mark] = result.series.enumerated().map { k, s in
      switch o.mark {
      case .line: return .line(LineSeries(name: s.name, x: s.x, y: s.y, colorSlot: k))
      case .scatter: return .line(LineSeries(name: s.name, x: s.x, y: s.y, marker: .circle, markersOnly: true, colorSlot: k))
      case .errorbars: return .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: s.yerr ?? []))
      }
    }
    let axes = Axes(
      x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks,
      legend: result.series.count > 1 ? .best : LegendPlacement.none)
    return Figure(width: size.width, height: size.height, panels: [axes])
  }
}

/// The columns a plot reads, decoded from the file's bytes.
struct PlotColumns {
  var names: [String]
  /// Row-major values, `names.count` per row.
  var values: [Double]

  func column(_ name: String) -> [Double] {
    guard let k = names.firstIndex(of: name) else { return [] }
    return stride(from: k, to: values.count, by: names.count).map { values[$0] }
  }
}

extension PlotKind {
  /// The columns of `o.data` the directive reads: the CSV's named ones (the reader refuses a
  /// missing column, a ragged row, a cell that is not a finite number), or the `.npy` array's
  /// indexed ones (an N×d array; an index past d is refused at the shape field's byte).
  static func table(_ o: Options, files: InputFiles) throws -> PlotColumns {
    let bytes = try files.bytes(of: o.data)
    switch format(o.data) {
    case .csv:
      let names = columns(o)
      let d = try InputsValue.decoded(o.data) { try CSVData.read(bytes, columns: names) }
      return PlotColumns(names: names, values: d.values)
    case .npy:
      let d = try InputsValue.decoded(o.data) { try NPY.read(bytes) }
      let at = DataPosition.byte(shapeOffset(bytes))
      let shape = d.shape.map(String.init).joined(separator: "×")
      guard d.shape.count == 2 else {
        throw ExperimentError("\(o.data): \(at): shape \(shape) is not N×d; a plot reads the columns of a 2-axis array")
      }
      let names = columns(o), width = d.shape[1]
      var picked: [Int] = []
      for name in names {
        guard let k = Int(name), k >= 0, k < width else {
          throw ExperimentError("\(o.data): \(at): the array has shape \(shape), so no column \(name) (columns are 0 to \(width - 1))")
        }
        picked.append(k)
      }
      var values: [Double] = []
      values.reserveCapacity(d.count * picked.count)
      for i in 0..<d.count { for k in picked { values.append(d.values[i * width + k]) } }
      return PlotColumns(names: names, values: values)
    case nil:
      throw ExperimentError("'\(o.data)' is neither a .csv nor a .npy file")
    }
  }

  /// The byte offset of the shape's value in a `.npy` header, where `NPY.read` places its own
  /// shape errors (0 when there is no `'shape'` key).
  static func shapeOffset(_ bytes: [UInt8]) -> Int {
    let key = Array("'shape'".utf8), end = min(bytes.count, 65_546)
    guard end >= key.count else { return 0 }
    for i in 0...(end - key.count) where bytes[i] == key[0] && Array(bytes[i..<(i + key.count)]) == key {
      var j = i + key.count
      while j < end, bytes[j] == UInt8(ascii: ":") || bytes[j] == UInt8(ascii: " ") { j += 1 }
      return j
    }
    return 0
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    func at(_ key: String) -> (SourceLocation, Int) {
      guard let raw = directive.options.first(where: { $0.key == key }) else { return (directive.kindLocation, directive.kind.count) }
      return (SourceLocation(path: raw.keyLocation.path, line: raw.line, column: raw.value.column), raw.value.length)
    }
    var out: [Diagnostic] = []
    func problem(_ key: String, _ message: String) {
      let (loc, length) = at(key)
      out.append(Diagnostic(at: loc, length: length, message))
    }
    let given = Set(directive.options.map(\.key))
    if given.contains("from") {
      if given.contains("data") { problem("data", "option 'data' and ':from:' both say what to plot; give one of them") }
    } else if o.data.isEmpty {
      if given.contains("data") { return out }  // its value was refused already
      problem(
        "data", "directive 'plot' needs ':data:' (a .csv or .npy file beside the report) or ':from: LABEL' (another directive's result)")
    } else if Self.format(o.data) == nil {
      problem("data", "option 'data' must name a .csv or .npy file, got '\(o.data)'")
    } else if Self.format(o.data) == .npy {
      for (key, names) in [("x", [o.x]), ("y", o.y), ("yerr", o.yerr)] {
        if let bad = names.first(where: { Int($0).map { $0 < 0 } ?? true }) {
          problem(key, "option '\(key)': an .npy array's columns are numbered from 0; got '\(bad)'")
        }
      }
    }
    if !given.contains("from") && !o.data.isEmpty {
      for (key, help) in [("x", "the x column"), ("y", "the y column or columns")] where !given.contains(key) {
        problem(key, "directive 'plot' needs the option ':\(key):' (\(help) of ':data:')")
      }
    }
    if given.contains("from") && o.yerr.isEmpty {
      // The upstream's series carry their own error bars; a table's need ':yerr:' (checked on run).
    } else if o.mark == .errorbars && o.yerr.count != o.y.count {
      problem(
        o.yerr.isEmpty ? "mark" : "yerr",
        "mark 'errorbars' needs one ':yerr:' column per ':y:' column (\(o.y.count)), got \(o.yerr.count)")
    } else if o.mark != .errorbars && !o.yerr.isEmpty {
      problem("yerr", "option 'yerr' is drawn only with ':mark: errorbars'")
    }
    return out
  }
}

extension PlotKind {
  /// The `:from:` result redrawn: its series named by `:y:` (all when `:y:` is not given), each
  /// with its own x and error bars, or the numeric columns `:x:`/`:y:`/`:yerr:` of its table.
  /// A heat map has no columns to draw; a name it lacks is an error listing the names it has.
  static func replot(_ o: Options, _ up: Upstream) throws -> ExperimentResult {
    let r = up.result
    if !r.series.isEmpty {
      guard o.x.isEmpty else {
        throw ExperimentError(
          "option 'x': the series of '\(up.label)' carry their own x values; ':x:' names a column of a table result only")
      }
      let names = r.series.map(\.name)
      if let bad = o.y.first(where: { !names.contains($0) }) {
        throw ExperimentError("option 'y': '\(up.label)' has no series '\(bad)'; it has \(names.map { "'\($0)'" }.joined(separator: ", "))")
      }
      var picked = o.y.isEmpty ? r.series : o.y.compactMap { n in r.series.first { $0.name == n } }
      if o.mark == .errorbars, let bare = picked.first(where: { $0.yerr == nil }) {
        throw ExperimentError("mark 'errorbars': series '\(bare.name)' of '\(up.label)' has no error bars")
      }
      if o.mark != .errorbars { for k in picked.indices { picked[k].yerr = nil } }
      return ExperimentResult(
        xlabel: r.xlabel, ylabel: r.ylabel, xlabelTeX: o.xlabel.isEmpty ? r.xlabelTeX : o.xlabel,
        ylabelTeX: o.ylabel.isEmpty ? r.ylabelTeX : o.ylabel, series: picked)
    }
    guard let table = r.table else {
      throw ExperimentError("'\(up.label)' (\(up.kind)) is a heat map; plot draws the series or the table columns of a result")
    }
    guard !o.x.isEmpty, !o.y.isEmpty else {
      throw ExperimentError("'\(up.label)' is a table: ':x:' and ':y:' name its columns (\(table.columns.joined(separator: ", ")))")
    }
    func column(_ name: String, _ option: String) throws -> [Double] {
      guard let k = table.columns.firstIndex(of: name) else {
        throw ExperimentError(
          "option '\(option)': the table of '\(up.label)' has no column '\(name)'; it has \(table.columns.map { "'\($0)'" }.joined(separator: ", "))"
        )
      }
      return try table.rows.enumerated().map { i, row in
        guard k < row.count, let v = Double(row[k]), v.isFinite else {
          throw ExperimentError("option '\(option)': row \(i + 1) of the table of '\(up.label)' has no number in column '\(name)'")
        }
        return v
      }
    }
    if o.mark == .errorbars && o.yerr.count != o.y.count {
      throw ExperimentError("mark 'errorbars' needs one ':yerr:' column per ':y:' column (\(o.y.count)), got \(o.yerr.count)")
    }
    let x = try column(o.x, "x")
    let series = try o.y.enumerated().map { k, name in
      SeriesData(name: name, x: x, y: try column(name, "y"), yerr: o.mark == .errorbars ? try column(o.yerr[k], "yerr") : nil)
    }
    return columnsResult(o, series)
  }
}

extension PlotKind {
  /// The result of columns drawn by name: x and y labels from the columns unless given.
  static func columnsResult(_ o: Options, _ series: [SeriesData]) -> ExperimentResult {
    let ylabel = o.y.count == 1 ? o.y[0] : ""
    return ExperimentResult(
      xlabel: o.x, ylabel: ylabel, xlabelTeX: o.xlabel.isEmpty ? o.x : o.xlabel, ylabelTeX: o.ylabel.isEmpty ? ylabel : o.ylabel,
      series: series)
  }
}
