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
  /// The bytes of the input files the directive reads (`ConfiguredDirective.inputFiles`), as
  /// the build read and hashed them.
  public var files = InputFiles()
  /// The result of the directive named by `:from:` (for a kind that `takesFrom`), as the build
  /// computed or loaded it; `nil` without `:from:`.
  public var upstream: Upstream?
  /// A folder of the cache this directive may keep large intermediate files in (a tiled Gram
  /// matrix's tiles, `GramKind`), named by its cache key; `nil` without a cache (the kind then
  /// uses a temporary folder it removes).
  public var tileDirectory: String?
  /// Whether tiles missing from `tileDirectory` may be computed (`false` in a build that only
  /// gathers what shards computed, `--missing report`: a missing tile is then an error).
  public var computesTiles = true
  public init(seed: UInt64, progress: @escaping @Sendable (Double) -> Void = { _ in }) {
    self.seed = seed
    self.progress = progress
  }
}

/// The result a directive reads through `:from:`: the upstream's label, kind and result.
public struct Upstream: Sendable {
  public var label: String
  public var kind: String
  public var result: ExperimentResult
  public init(label: String, kind: String, result: ExperimentResult) {
    self.label = label
    self.kind = kind
    self.result = result
  }
}

/// A failure while running an experiment (after validation passed), e.g. a failed check.
public struct ExperimentError: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
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
    AnyKind(DualKind()), AnyKind(HermiteTableKind()), AnyKind(DepthKind()), AnyKind(FixedPointKind()),
    AnyKind(SkeletonKind()), AnyKind(NetworkKernelKind(ntk: false)), AnyKind(NetworkKernelKind(ntk: true)),
    AnyKind(PhaseDiagramKind()), AnyKind(DepthScalesKind()), AnyKind(WeightsKind()),
    AnyKind(ConcentrationKind()), AnyKind(SpectrumKind()), AnyKind(RegressionKind()), AnyKind(CLTKind()),
    AnyKind(NNPKKind()), AnyKind(RainbowKind()), AnyKind(RealizationKind()), AnyKind(ParityKind()), AnyKind(PlotKind()),
    AnyKind(GramKind()), AnyKind(PredictKind()), AnyKind(FitKind()),
  ])
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
          || !(s.yerr.flatMap { $0.indices.contains(i) ? $0[i] : nil } ?? 0).isFinite
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
