import SkelDocument
import SkelPlot

/// What an experiment may use besides its options.
public struct RunContext: Sendable {
  /// The directive's own seed, derived from the document seed and its label.
  public var seed: UInt64
  /// Reports the fraction of the work done, in [0, 1] (heavy kinds call it; the build prints a
  /// progress line for directives that run long).
  public var progress: @Sendable (Double) -> Void
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
}

extension ExperimentKind {
  public func check(_ directive: Directive) -> [Diagnostic] { [] }

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
  public var kinds: [String: any ExperimentKind]

  public init(_ kinds: [any ExperimentKind]) {
    self.kinds = Dictionary(uniqueKeysWithValues: kinds.map { ($0.schema.kind, $0) })
  }

  public var schemas: [String: DirectiveSchema] { kinds.mapValues(\.schema) }

  /// The kinds shipped with skelreport.
  public static let standard = ExperimentRegistry([
    DualKind(), HermiteTableKind(), DepthKind(), FixedPointKind(), SkeletonKind(), NetworkKernelKind(ntk: false),
    NetworkKernelKind(ntk: true), PhaseDiagramKind(), DepthScalesKind(), WeightsKind(),
    ConcentrationKind(), SpectrumKind(), RegressionKind(), CLTKind(), NNPKKind(), RainbowKind(), RealizationKind(), ParityKind(),
  ])
}
