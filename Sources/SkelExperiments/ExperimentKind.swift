import SkelDocument
import SkelMath
import SkelPlot

/// What an experiment may use besides its options.
public struct RunContext: Sendable {
  /// The directive's own seed, derived from the document seed and its label.
  public var seed: UInt64
  /// Reports the fraction of the work done, in [0, 1] (heavy kinds call it; the build prints a
  /// progress line for directives that run long).
  public var progress: @Sendable (Double) -> Void
  /// Threads for the kind's parallel loops (the build sets it from `BuildConfiguration.compute`).
  public var compute = Compute.allCores
  public init(seed: UInt64, progress: @escaping @Sendable (Double) -> Void = { _ in }) {
    self.seed = seed
    self.progress = progress
  }
}

/// A failure while running an experiment (after validation passed), e.g. a failed check.
public struct ExperimentError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A directive kind: schema, computation and figure.
public protocol ExperimentKind: Sendable {
  var schema: DirectiveSchema { get }
  /// Runs the experiment. Pure: the same options and seed give the same result.
  func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult
  /// The figure of a result, or `nil` for a table-only result.
  func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure?
  /// Science-aware checks beyond the option types, before anything runs (default: none).
  func check(_ directive: Directive) -> [Diagnostic]
  /// Why the series (or grid) named `name` may hold NaN or ±inf values, or `nil` when it may
  /// not (the default): the build refuses to publish a result with non-finite values that its
  /// kind does not explain (a gap where a quantity diverges is a reason; a failed integral is not).
  func nonFiniteReason(_ name: String) -> String?
  /// Memory and work of `run` on these options, estimated before anything runs from the loops of
  /// `run` (no default: every kind states its own; the build refuses what exceeds the budget).
  func cost(_ options: ResolvedOptions) -> Cost
}

extension ExperimentKind {
  public func check(_ directive: Directive) -> [Diagnostic] { [] }
  public func nonFiniteReason(_ name: String) -> String? { nil }

  /// A line plot of every series, sized by the `size` option.
  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    if result.series.isEmpty { return nil }
    let size = options.size("size")
    let lines = result.series.map { LineSeries(name: $0.name, x: $0.x, y: $0.y) }
    return Figure(
      width: size.width, height: size.height,
      panels: [Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), lines: lines)])
  }
}

/// Every kind the engine knows, by name.
public struct ExperimentRegistry: Sendable {
  public var kinds: [String: AnyKind]

  public init(_ kinds: [AnyKind]) {
    self.kinds = Dictionary(uniqueKeysWithValues: kinds.map { ($0.name, $0) })
  }

  public var schemas: [String: DirectiveSchema] { kinds.mapValues(\.schema) }

  /// The kinds shipped with skelreport.
  public static let standard = ExperimentRegistry([
    AnyKind(DualKind()), AnyKind(legacy: HermiteTableKind()), AnyKind(DepthKind()), AnyKind(legacy: FixedPointKind()),
    AnyKind(legacy: SkeletonKind()), AnyKind(NetworkKernelKind(ntk: false)), AnyKind(NetworkKernelKind(ntk: true)),
    AnyKind(legacy: PhaseDiagramKind()), AnyKind(legacy: DepthScalesKind()), AnyKind(WeightsKind()),
    AnyKind(ConcentrationKind()), AnyKind(SpectrumKind()), AnyKind(RegressionKind()), AnyKind(CLTKind()),
    AnyKind(NNPKKind()), AnyKind(RainbowKind()), AnyKind(legacy: RealizationKind()), AnyKind(legacy: ParityKind()),
  ])
}

extension AnyKind {
  /// A kind still written against `ExperimentKind` (options read by name), until it is a
  /// `DirectiveKind`: its key hashes the option texts.
  public init(legacy kind: any ExperimentKind) {
    var full = kind.schema
    full.options = CommonOptions.fields.map(\.spec) + full.options
    let schema = full
    let presentation: Presentation = kind.schema.kind == "hermite-table" || kind.schema.kind == "parity" ? .table : .figure
    self.init(name: schema.kind, schema: schema) { resolved, directive in
      var common = CommonOptions()
      for f in CommonOptions.fields { _ = Self.apply(f, resolved, to: &common) }
      let canonical = kind.schema.options.map { "\($0.name)=\(resolved.values[$0.name]?.canonical ?? "")" }.joined(separator: "\n")
      let configured = ConfiguredDirective(
        kind: schema.kind, common: common, canonicalOptions: canonical, presentation: presentation,
        runBody: { try kind.run(resolved, context: $0) }, figureBody: { kind.figure(for: $0, options: resolved) },
        costBody: { kind.cost(resolved) }, reasonBody: { kind.nonFiniteReason($0) })
      return (configured, directive.map { kind.check($0) } ?? [])
    }
  }
}

extension ExperimentResult {
  /// Series and grids with NaN or ±inf values: name, how many points (a point counts when its
  /// x, y or standard error is not finite; a grid counts cells and axis values), of how many,
  /// and whether every y (or cell) is non-finite, which no reason excuses.
  public var nonFiniteParts: [(name: String, count: Int, of: Int, all: Bool)] {
    var out: [(String, Int, Int, Bool)] = []
    for s in series {
      let n = max(s.x.count, s.y.count)
      let bad = (0..<n).count { i in
        !(s.x.indices.contains(i) ? s.x[i] : 0).isFinite || !(s.y.indices.contains(i) ? s.y[i] : 0).isFinite
          || !((s.yerr?.indices.contains(i) ?? false) ? s.yerr![i] : 0).isFinite
      }
      if bad > 0 { out.append((s.name, bad, n, s.y.allSatisfy { !$0.isFinite })) }
    }
    if let g = grid {
      let cells = g.values.reduce(0) { $0 + $1.count(where: { !$0.isFinite }) }, total = g.values.reduce(0) { $0 + $1.count }
      let bad = g.x.count(where: { !$0.isFinite }) + g.y.count(where: { !$0.isFinite }) + cells
      if bad > 0 { out.append((g.name, bad, g.x.count + g.y.count + total, cells == total)) }
    }
    return out
  }
}
