/// What a directive will cost before it runs: peak memory of its big arrays and wall-clock
/// seconds on this machine (a count of work units times a measured per-unit cost), each with the
/// term that drives it. A guard against resource bombs, not a prediction: conservative within ~3×
/// for the big terms (calibration table in README.md).
public struct Cost: Sendable, Hashable {
  /// A term of the estimate and the options that drive it.
  public struct Driver: Sendable, Hashable {
    /// e.g. "grid 1000000 × 1000000".
    public var what: String
    /// Option names, e.g. ["sigma_w2", "sigma_b2"] (empty: the kind's fixed cost).
    public var options: [String]
    public init(_ what: String, options: [String]) {
      self.what = what
      self.options = options
    }
    /// "grid 1000 × 1000 from ':sigma_w2:' and ':sigma_b2:'".
    public var description: String {
      options.isEmpty ? what : what + " from " + options.map { "':\($0):'" }.joined(separator: " and ")
    }
  }

  /// Peak bytes; `nil` when the count overflows (more than 2^63 bytes).
  public var bytes: Int?
  public var seconds: Double
  public var memoryDriver: Driver
  public var workDriver: Driver

  /// The product of counts, `nil` on overflow (never traps, never reaches the allocator).
  public static func product(_ xs: [Int]) -> Int? {
    var p = 1
    for x in xs {
      let (r, o) = p.multipliedReportingOverflow(by: max(0, x))
      if o { return nil }
      p = r
    }
    return p
  }

  /// "7.5 TiB", "512 MiB", or "more than 2^63 bytes".
  public static func formatBytes(_ b: Int?) -> String {
    guard let b else { return "more than 2^63 bytes" }
    let units = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var v = Double(b), k = 0
    while v >= 1024 && k < units.count - 1 {
      v /= 1024
      k += 1
    }
    if k == 0 { return "\(b) bytes" }
    return v >= 100 ? "\(Int(v.rounded())) \(units[k])" : String(cFormat: "%.2g", v) + " " + units[k]
  }

  /// "45 seconds", "3.2 hours", "2e+05 years".
  public static func formatSeconds(_ s: Double) -> String {
    if !s.isFinite { return "more than 10^300 years" }
    let scales: [(Double, String)] = [(365.25 * 86400, "years"), (86400, "days"), (3600, "hours"), (60, "minutes")]
    for (unit, name) in scales where s >= unit { return String(cFormat: "%.2g", s / unit) + " " + name }
    return String(cFormat: "%.2g", s) + " seconds"
  }
}

/// Collects the terms of a kind's estimate; the largest memory and work terms become the drivers.
public struct CostBuilder: Sendable {
  var memory: [(bytes: Int?, driver: Cost.Driver)] = []
  var work: [(seconds: Double, driver: Cost.Driver)] = []
  public init() {}

  /// `counts` doubles (8 bytes each) held at once, checked for overflow.
  public mutating func doubles(_ counts: [Int], _ what: String, options: [String]) {
    memory.append((Cost.product(counts + [8]), Cost.Driver(what, options: options)))
  }

  /// `units` of work at `each` seconds per unit.
  public mutating func work(_ units: Double, each: Double, _ what: String, options: [String]) {
    work.append((units * each, Cost.Driver(what, options: options)))
  }

  public var cost: Cost {
    var total: Int? = 0
    for m in memory {
      guard let t = total, let b = m.bytes else {
        total = nil
        break
      }
      let (s, o) = t.addingReportingOverflow(b)
      total = o ? nil : s
    }
    let bigMemory = memory.max { a, b in (a.bytes ?? .max) < (b.bytes ?? .max) }
    let bigWork = work.max { $0.seconds < $1.seconds }
    return Cost(
      bytes: total, seconds: work.reduce(0) { $0 + $1.seconds },
      memoryDriver: bigMemory?.driver ?? Cost.Driver("fixed", options: []),
      workDriver: bigWork?.driver ?? Cost.Driver("fixed", options: []))
  }
}

/// Measured per-unit costs (release build, this 2-core machine; README.md has the table).
public enum UnitCost {
  /// One closed-form Gaussian kernel E[σ(u)σ(v)] (e.g. ReLU's arc-cosine).
  public static let closedKernel = 2e-7
  /// One kernel by adaptive quadrature (tanh, softplus, expr(…)).
  public static let quadratureKernel = 6e-5
  /// One Gaussian draw and one activation (Monte-Carlo inner loops).
  public static let draw = 2.5e-8
  /// One flop of a conv network's kernel recursion (`GramCost.flopsPerPair`), wall clock on all
  /// cores: on the tile path (ab-ReLU family) and on the pair engine (calibration in README.md).
  /// The tile path's: skelbench's two CNNs at N = 256 (2 threads, 2026-12-04) measured
  /// 4.4e-11–1.2e-10 (flatten, loads 4–11) and 7.5e-11–2.5e-10 (global pool, quiet to load 11) s
  /// a flop; 1.5e-10 is at or above the flatten runs (≤ 3.4× over) and within 2× of the global
  /// pool's (README.md).
  public static let tileFlop = 1.5e-10
  public static let pairFlop = 1e-8
  /// One multiply-add in BLAS (dgemm, dsyrk) or a LAPACK factorization.
  public static let flop = 3e-10
  /// One mean-field point (q*, χ₁, c*, ξ_c) by quadrature and root finding.
  public static let meanFieldPoint = 3e-4
  /// One edge-of-chaos root.
  public static let edgeOfChaos = 0.01
  /// One 1-D adaptive Gauss–Kronrod integral (a Hermite coefficient).
  public static let integral = 5e-5

  /// The per-kernel cost of an activation.
  public static func kernel(closedForm: Bool) -> Double { closedForm ? closedKernel : quadratureKernel }
}

/// A directive's budget.
public struct Budget: Sendable, Hashable {
  public var bytes: Int
  public var seconds: Double
  public init(bytes: Int, seconds: Double) {
    self.bytes = bytes
    self.seconds = seconds
  }
  /// 4 GiB and 10 minutes per directive.
  public static let standard = Budget(bytes: 4 << 30, seconds: 600)
}
