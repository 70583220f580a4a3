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
  /// Why the series (or grid) named `name` may hold NaN or ±inf values, or `nil` when it may
  /// not (the default): the build refuses to publish a result with non-finite values that its
  /// kind does not explain (a gap where a quantity diverges is a reason; a failed integral is not).
  func nonFiniteReason(_ name: String) -> String?
  /// What running these options would cost, estimated from the loops of `run` before anything
  /// runs (README "Resource budget"): the build refuses a directive whose estimate is above the
  /// budget. No default: every kind must count its own work.
  func cost(_ options: ResolvedOptions) -> Cost
}

/// An estimate of a directive's peak memory and work, with the options that drive it. Double
/// arithmetic throughout, so that products of option values never overflow.
public struct Cost: Sendable, CustomStringConvertible {
  /// Peak memory, in bytes.
  public var bytes: Double
  /// Work, in seconds on one core of the reference machine (README of SkelExperiments).
  public var seconds: Double
  /// What drives the estimate, in words naming the options, e.g. "grid 1000 × 1000 from
  /// ':sigma_w2:' and ':sigma_b2:'".
  public var drivers: String

  /// What drives the memory estimate, and the work estimate (`drivers` unless a sum of parts
  /// says otherwise): the refusal names the options of the resource it refuses.
  public var memoryDrivers: String
  public var workDrivers: String

  public init(bytes: Double, seconds: Double, drivers: String) {
    self.bytes = bytes
    self.seconds = seconds
    self.drivers = drivers
    memoryDrivers = drivers
    workDrivers = drivers
  }

  /// The sum of several parts, described by the part that weighs most against the default
  /// budget (4 GiB, 10 minutes).
  public static func sum(_ parts: [Cost]) -> Cost {
    let weight = { (c: Cost) in c.bytes / Cost.defaultMemory + c.seconds / Cost.defaultSeconds }
    let named = parts.filter { !$0.drivers.isEmpty }
    let main = (named.isEmpty ? parts : named).max { weight($0) < weight($1) }
    var total = Cost(bytes: parts.reduce(0) { $0 + $1.bytes }, seconds: parts.reduce(0) { $0 + $1.seconds }, drivers: main?.drivers ?? "")
    let pool = named.isEmpty ? parts : named
    total.memoryDrivers = pool.max { $0.bytes < $1.bytes }?.memoryDrivers ?? total.drivers
    total.workDrivers = pool.max { $0.seconds < $1.seconds }?.workDrivers ?? total.drivers
    return total
  }

  public static let defaultMemory: Double = 4 * 1024 * 1024 * 1024
  public static let defaultSeconds: Double = 600

  /// The published part: x and y of every point in memory, in the result's JSON, cache entry and
  /// figure (SVG path text, PNG raster work). Measured: ~350 bytes and ~4 µs per point.
  public static func published(points: Double, drivers: String) -> Cost {
    Cost(bytes: 350 * points, seconds: Unit.publishedPoint * points, drivers: drivers)
  }

  public var description: String { "\(Cost.format(bytes: bytes)), \(Cost.format(seconds: seconds)) (\(drivers))" }

  /// "7.5 TiB", "512 MiB", "3 KiB", "12 bytes".
  public static func format(bytes: Double) -> String {
    guard bytes.isFinite else { return "an unbounded amount" }
    let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    if bytes < 1024 { return "\(Int(bytes.rounded())) bytes" }
    var v = bytes / 1024, k = 0
    while v >= 1024 && k < units.count - 1 {
      v /= 1024
      k += 1
    }
    return "\(number(v)) \(units[k])"
  }

  /// "45 seconds", "12 minutes", "3.2 hours", "4.1 days", "2.3e+05 years".
  public static func format(seconds: Double) -> String {
    guard seconds.isFinite else { return "unbounded time" }
    if seconds < 1 { return "\(String(cFormat: "%.2g", seconds)) seconds" }
    if seconds < 120 { return "\(number(seconds)) seconds" }
    if seconds < 2 * 3600 { return "\(number(seconds / 60)) minutes" }
    if seconds < 2 * 86400 { return "\(number(seconds / 3600)) hours" }
    if seconds < 2 * 365 * 86400 { return "\(number(seconds / 86400)) days" }
    return "\(number(seconds / (365 * 86400))) years"
  }

  /// Two significant digits at most, no trailing ".0"; large values in exponent form.
  static func number(_ v: Double) -> String {
    if v >= 1e6 { return String(cFormat: "%.2g", v) }
    let s = v < 10 ? String(cFormat: "%.1f", v) : String(cFormat: "%.0f", v)
    return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
  }

  /// Time per unit of work, measured on this project's 2-core build machine with a release build
  /// (Sources/SkelExperiments/README.md, "Cost estimates", gives the measurements).
  public enum Unit {
    /// One closed-form dual / kernel evaluation (relu, step, erf, …).
    public static let closedFormDual = 5e-8
    /// One dual evaluation without closed form (2-D Gauss–Hermite product rule).
    public static let quadratureDual = 2e-5
    /// One adaptive-quadrature dual evaluation.
    public static let adaptiveDual = 8e-4
    /// One mean-field analysis of a (σ_w², σ_b²) point (q*, c*, χ₁, ξ_c by fixed-point iteration
    /// with Gauss–Hermite moments), on one core.
    public static let meanFieldPoint = 2.4e-3
    /// One floating-point operation of BLAS-3 / LAPACK (dgemm, dsyevd, dpotrf; OpenBLAS on 2 cores).
    public static let flop = 2.5e-10
    /// One random number (normal or uniform) and the arithmetic that uses it.
    public static let sample = 2e-8
    /// One activation evaluation on a value (an `expr(…)` one costs 20× more).
    public static let activation = 5e-9
    /// One published point (JSON, cache, SVG, PNG).
    public static let publishedPoint = 4e-6
  }
}

/// Display helpers for cost drivers: "1000000", "1000 × 1000".
public enum CostText {
  public static func n(_ x: Double) -> String { x < 1e15 ? String(Int(x.rounded())) : String(cFormat: "%.3g", x) }
  public static func n(_ x: Int) -> String { String(x) }
  /// "':a:'", "':a:' and ':b:'", "':a:', ':b:' and ':c:'".
  public static func options(_ names: [String]) -> String {
    let q = names.map { "':\($0):'" }
    if q.count <= 1 { return q.first ?? "" }
    return q.dropLast().joined(separator: ", ") + " and " + q.last!
  }
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
  public var kinds: [String: any ExperimentKind]

  public init(_ kinds: [any ExperimentKind]) {
    self.kinds = Dictionary(uniqueKeysWithValues: kinds.map { ($0.schema.kind, $0) })
  }

  public var schemas: [String: DirectiveSchema] { kinds.mapValues(\.schema) }

  /// The kinds shipped with skelreport.
  public static let standard = ExperimentRegistry([
    DualKind(), HermiteTableKind(), DepthKind(), FixedPointKind(), SkeletonKind(), NetworkKernelKind(ntk: false),
    NetworkKernelKind(ntk: true), PhaseDiagramKind(), DepthScalesKind(), WeightsKind(),
    ConcentrationKind(), SpectrumKind(), RegressionKind(), CLTKind(), NNPKKind(), RainbowKind(), RealizationKind(),
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
