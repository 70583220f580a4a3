import SkelMath

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Mean-field signal propagation (Poole et al. 2016, Schoenholz et al. 2017; conventions of
/// science-meanfield.md §0: pre-activations, variance coordinates σ_w², σ_b²):
/// ```
/// 𝒱(q) = σ_w² E[φ(√q z)²] + σ_b²                 length map, q* = 𝒱(q*)
/// 𝒞(c) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q*          correlation map at q*, c* = 𝒞(c*)
/// χ₁ = σ_w² E[φ′(√q* z)²],  χ_c = 𝒞′(c*),  𝒱′(q*) = χ₁ + σ_w² E[φ″φ]
/// ξ_q = −1/ln 𝒱′(q*),  ξ_c = −1/ln χ_c,  ξ_∇ = −1/ln χ₁
/// ```
/// 1-D expectations use Gauss–Hermite with 60–1200 nodes chosen by q (`rule(for:)`); the
/// correlation map uses the Mehler (Hermite) expansion E[φ(u₁)φ(u₂)] = Σₖ aₖ² cᵏ with K = n/2
/// coefficients from the same n-node rule (`mehlerSeries`: aliasing only through indices > 3n/2,
/// truncation bounded by the measured tail), so 𝒞 and 𝒞′ cost a polynomial evaluation; 2-D
/// quadrature when the tail exceeds 1e-13 relative. A c* that bracketing does not find is an
/// explicit case (cStar nil and a note), never a silent c* = 1. The ReLU family is in closed form.
public struct MeanField: Sendable {
  public let activation: Activation
  /// A fixed order, or nil to choose by variance (see `rule(for:)`).
  let fixedOrder: Int?

  public init(_ activation: Activation, order: Int? = nil) {
    self.activation = activation
    fixedOrder = order
  }

  /// Gauss–Hermite nodes for φ(√q z), shared by the 1-D moments and the Mehler series (so that
  /// Σãₖ² + tail is exactly the E[φ²] of the length map and 𝒞(1) = 1): tanh-like φ have poles at
  /// distance ∝ 1/√q from the real axis, so the order grows with q: 120 nodes up to q = 0.25, 300
  /// up to 0.8, 600 up to 1.6, 1200 beyond. With K = n/2 Mehler terms the tanh tail Σ_{k≥K} aₖ² is
  /// ≤ 1e-14 up to q = 1.6 and 2e-12 at q = 4 (then the 2000-node rule or 2-D quadrature).
  /// (Before issue 16 the rule had 60/120 nodes up to q = 0.8 under a 160-term series: aliased.)
  func rule(for q: Double) -> GaussHermite {
    if let fixedOrder { return MeanFieldRules.rule(fixedOrder) }
    if q <= 0.25 { return MeanFieldRules.r120 }
    if q <= 0.8 { return MeanFieldRules.r300 }
    return q <= 1.6 ? MeanFieldRules.r600 : MeanFieldRules.r1200
  }

  public enum Phase: String, Sendable, Hashable, Codable {
    case ordered, chaotic, critical
    /// No finite length fixed point: q grows without bound.
    case divergent
  }

  /// Everything about one (σ_w², σ_b²).
  public struct Point: Sendable, Hashable {
    public var sigmaW2: Double
    public var sigmaB2: Double
    public var phase: Phase
    /// nil when divergent.
    public var qStar: Double?
    /// nil when undefined (q* = 0: the map freezes at an input-dependent limit).
    public var cStar: Double?
    public var chi1: Double
    public var chiC: Double?
    public var lengthSlope: Double?
    public var xiQ: Double?
    public var xiC: Double?
    public var xiGradient: Double
    /// A sentence for degenerate cases (q* = 0, neutral length map, …).
    /// What the point is, in words with `$…$` math (the phase diagrams' tables show it as Markdown).
    public var note: String
  }

  // MARK: - 1-D expectations

  func expectation(_ f: (Double) -> Double, q: Double) -> Double {
    let root = max(q, 0).squareRoot()
    let rule = rule(for: q)
    var s = 0.0
    for i in rule.nodes.indices { s += rule.weights[i] * f(root * rule.nodes[i]) }
    return s
  }

  /// E[φ(√q z)²], closed form where there is one.
  public func secondMoment(_ q: Double) -> Double {
    if activation.hasClosedForm, case .some = activation.closedFormKernel(q11: q, q22: q, q12: q) {
      return activation.kernel(q11: q, q22: q, q12: q).nngp
    }
    return expectation(
      {
        let v = activation($0)
        return v * v
      }, q: q)
  }

  /// E[φ′(√q z)²].
  public func derivativeMoment(_ q: Double) -> Double {
    if case .abRelu(let a, let b) = activation { return (a * a + b * b) / 2 }
    return expectation(
      {
        let v = activation.derivative($0)
        return v * v
      }, q: q)
  }

  /// E[φ″φ](√q z), or nil if φ″ is not a function (ReLU family: 0 since φ(0) = 0).
  func curvatureMoment(_ q: Double) -> Double? {
    if case .abRelu = activation { return 0 }
    guard activation.secondDerivative(0) != nil else { return nil }
    return expectation({ activation($0) * (activation.secondDerivative($0) ?? 0) }, q: q)
  }

  /// E[φ″(√q z)²] (for 𝒞″(1) = σ_w² q E[φ″²]).
  func secondDerivativeMoment(_ q: Double) -> Double? {
    guard activation.secondDerivative(0) != nil else { return nil }
    return expectation(
      {
        let v = activation.secondDerivative($0) ?? 0
        return v * v
      }, q: q)
  }

  /// The Mehler series of φ(√q z) on one Gauss–Hermite rule: coefficients ãₖ², k < K, with the
  /// number of terms tied to the rule, K = ⌊n/2⌋ for n nodes, and the measured tail.
  ///
  /// Aliasing bound. On n nodes the discrete products ⟨hⱼ, hₖ⟩ₙ are exact for j + k ≤ 2n − 1, so
  /// for k < n/2 the computed ãₖ differs from aₖ only through true coefficients aⱼ with
  /// j ≥ 2n − k > 3n/2 (hₙ vanishes at the nodes and a rule cannot resolve hₖ for k ≳ n: asking
  /// it for more terms than nodes makes Σãₖ² exceed E[φ²]). The discrete Parseval identity gives
  /// Σ_{k<n} ãₖ² = Ẽ[φ²] exactly (Ẽ: the same rule), so the measured `tail` = Ẽ[φ²] − Σ_{k<K} ãₖ²
  /// is ≥ 0 up to rounding and bounds |Σ_{k≥K} aₖ² cᵏ| for |c| ≤ 1 up to the aliasing terms of
  /// index > 3n/2, which for the analytic activations the series is used for are far below it.
  struct MehlerSeries {
    /// ãₖ², k < K.
    var a2: [Double]
    /// Ẽ[φ²] on the same rule.
    var secondMoment: Double
    /// Ẽ[φ²] − Σ ãₖ² (clamped at 0): the truncation bound for |c| ≤ 1.
    var tail: Double
    /// Nodes of the rule used.
    var order: Int
    /// Whether the tail is below `relativeTolerance` of E[φ²].
    func converged(relativeTolerance: Double) -> Bool { tail <= relativeTolerance * max(secondMoment, 1e-300) }
  }

  /// The Mehler series on the rule used for the 1-D moments at this q (so Σãₖ² + tail equals
  /// `secondMoment(q)` and 𝒞(1) = 1 to rounding plus the tail), K = n/2 terms. The square roots of
  /// the Hermite recurrence come from a table (they were most of the cost).
  func mehlerSeries(_ q: Double) -> MehlerSeries {
    mehlerSeries(q, rule: rule(for: q))
  }

  func mehlerSeries(_ q: Double, rule: GaussHermite) -> MehlerSeries {
    let root = max(q, 0).squareRoot()
    let n = min(rule.nodes.count / 2, MeanFieldRules.maxTerms)
    var a = [Double](repeating: 0, count: max(n, 1))
    var m2 = 0.0
    let sq = MeanFieldRules.sqrtK, inv = MeanFieldRules.invSqrtK1
    a.withUnsafeMutableBufferPointer { acc in
      for i in rule.nodes.indices {
        let z = rule.nodes[i], f = activation(root * z), w = rule.weights[i] * f
        if w == 0 { continue }
        m2 += w * f
        var h0 = 1.0, h1 = z
        acc[0] += w
        if n > 1 { acc[1] += w * z }
        var k = 1
        while k < n - 1 {
          let h2 = (z * h1 - sq[k] * h0) * inv[k]
          acc[k + 1] += w * h2
          h0 = h1
          h1 = h2
          k += 1
        }
      }
    }
    let a2 = a.map { $0 * $0 }
    return MehlerSeries(a2: a2, secondMoment: m2, tail: max(0, m2 - a2.reduce(0, +)), order: rule.nodes.count)
  }

  /// The coefficients alone (K = n/2 terms of the rule for q).
  func mehler(_ q: Double) -> [Double] { mehlerSeries(q).a2 }

  // MARK: - Maps

  public func lengthMap(_ q: Double, sigmaW2: Double, sigmaB2: Double) -> Double { sigmaW2 * secondMoment(q) + sigmaB2 }

  /// q*: nil when the length diverges. 0 when it is the stable fixed point (σ_b² = 0, φ(0) = 0, 𝒱′(0) ≤ 1).
  public func lengthFixedPoint(sigmaW2: Double, sigmaB2: Double, guess: Double? = nil) -> Double? {
    if case .abRelu(let a, let b) = activation {
      let slope = sigmaW2 * (a * a + b * b) / 2
      if sigmaB2 == 0 { return slope <= 1 ? 0 : nil }
      return slope < 1 ? sigmaB2 / (1 - slope) : nil
    }
    let g = { (q: Double) in self.lengthMap(q, sigmaW2: sigmaW2, sigmaB2: sigmaB2) - q }
    // Warm start (a neighbouring grid point's q*): secant steps, accepted only if they converge
    // to a root inside the valid range; otherwise the bracketed search below decides.
    if let guess, guess > 0, guess.isFinite {
      var x0 = guess, x1 = guess * 1.001 + 1e-9
      var g0 = g(x0), g1 = g(x1)
      for _ in 0..<12 {
        guard g1 != g0 else { break }
        let x2 = x1 - g1 * (x1 - x0) / (g1 - g0)
        guard x2.isFinite, x2 > 0 else { break }
        (x0, g0) = (x1, g1)
        x1 = x2
        g1 = g(x1)
        if abs(x1 - x0) <= 1e-15 * max(1, abs(x1)) || g1 == 0 {
          // a root: make sure it is the stable one by the sign change around it
          let h = 1e-9 * max(1, x1)
          if x1 >= sigmaB2, g(x1 - h) >= 0, g(x1 + h) <= 0 { return x1 }
          break
        }
      }
    }
    var lo = sigmaB2
    if sigmaB2 == 0 && activation(0) == 0 {
      let slope0 = sigmaW2 * activation.derivative(0) * activation.derivative(0)
      if slope0 <= 1 { return 0 }
      lo = 1e-12
    }
    var hi = max(2 * (lo + sigmaW2), 1)
    while g(hi) > 0 {
      hi *= 2
      if hi > 1e8 { return nil }
    }
    if g(lo) < 0 { return nil }
    return RootFinding.brent(g, lo, hi, tolerance: 1e-15)
  }

  /// 𝒞(c) at q*, and 𝒞′(c), from Mehler coefficients.
  func correlationMap(_ c: Double, coefficients a2: [Double], q: Double, sigmaW2: Double, sigmaB2: Double) -> (value: Double, slope: Double)
  {
    var v = 0.0, d = 0.0
    for k in a2.indices.reversed() {
      d = d * c + Double(k) * a2[k]
      v = v * c + a2[k]
    }
    // d accumulated Σ k aₖ² c^k; divide by c for the derivative Σ k aₖ² c^{k−1}
    let slope = c == 0 ? (a2.count > 1 ? a2[1] : 0) : d / c
    return ((sigmaW2 * v + sigmaB2) / q, sigmaW2 * slope / q)
  }

  /// The whole analysis at one point of the phase diagram.
  /// - Parameter correlation: false skips c* and χ_c in the chaotic phase (a χ₁ or q* map needs
  ///   neither; they are the expensive part).
  public func analyze(sigmaW2: Double, sigmaB2: Double, qGuess: Double? = nil, correlation: Bool = true) -> Point {
    let inf = Double.infinity
    func xi(_ chi: Double) -> Double { chi == 1 ? inf : -1 / log(chi) }
    if case .abRelu(let a, let b) = activation, sigmaB2 == 0 { return homogeneousPoint(a: a, b: b, sigmaW2: sigmaW2) }
    guard let q = lengthFixedPoint(sigmaW2: sigmaW2, sigmaB2: sigmaB2, guess: qGuess) else {
      let chi1 = sigmaW2 * derivativeMoment(1)
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .divergent, qStar: nil, cStar: nil, chi1: chi1, chiC: nil, lengthSlope: nil, xiQ: nil,
        xiC: nil, xiGradient: xi(chi1), note: "no finite length fixed point: q grows without bound")
    }
    let chi1 = sigmaW2 * derivativeMoment(q)
    let slopeQ = curvatureMoment(q).map { chi1 + sigmaW2 * $0 }
    if q == 0 {
      // σ_b² = 0 and 𝒱′(0) ≤ 1: lengths decay to 0; at 𝒱′(0) = 1 as a power law.
      let critical = abs(chi1 - 1) < 1e-12
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: critical ? .critical : .ordered, qStar: 0, cStar: nil, chi1: chi1, chiC: nil,
        lengthSlope: slopeQ, xiQ: slopeQ.map(xi), xiC: critical ? inf : nil, xiGradient: xi(chi1),
        note: critical
          ? "degenerate critical point: q* = 0, lengths decay as a power law and c freezes at an input-dependent limit (c* undefined)"
          : "q* = 0: lengths decay to zero; c* undefined (the network becomes linear)")
    }
    if case .abRelu = activation {
      let critical = abs(chi1 - 1) < 1e-12
      let note =
        critical
        ? "ReLU edge of chaos (a single point): every q is a neutral fixed point; c → 1 as 9π²/(2l²)"
        : "ReLU family: no chaotic phase; c* = 1"
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: critical ? .critical : .ordered, qStar: q, cStar: 1, chi1: chi1, chiC: chi1,
        lengthSlope: chi1, xiQ: xi(chi1), xiC: xi(chi1), xiGradient: xi(chi1), note: note)
    }
    if abs(chi1 - 1) < 1e-13 {
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .critical, qStar: q, cStar: 1, chi1: chi1, chiC: 1, lengthSlope: slopeQ,
        xiQ: slopeQ.map(xi), xiC: inf, xiGradient: inf, note: "edge of chaos")
    }
    if chi1 < 1 {
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .ordered, qStar: q, cStar: 1, chi1: chi1, chiC: chi1, lengthSlope: slopeQ,
        xiQ: slopeQ.map(xi), xiC: xi(chi1), xiGradient: xi(chi1), note: "")
    }
    if !correlation {
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .chaotic, qStar: q, cStar: nil, chi1: chi1, chiC: nil, lengthSlope: slopeQ,
        xiQ: slopeQ.map(xi), xiC: nil, xiGradient: xi(chi1), note: "c* not computed")
    }
    return chaoticPoint(q: q, sigmaW2: sigmaW2, sigmaB2: sigmaB2, chi1: chi1, slopeQ: slopeQ)
  }

  /// The ReLU family at σ_b² = 0. Positive homogeneity: q^l = (σ_w²(a² + b²)/2)^{l−1} q¹ and
  /// the correlation map is the normalized dual, the same for every σ_w², with 𝒞′(1) = 1: c* = 1
  /// is the only fixed point, marginal (χ_c = 1, ξ_c = ∞) yet attracting,
  /// 1 − c^l ≃ 9π²(a² + b²)²/(2(a − b)⁴l²). Not tanh's degenerate branch (there c freezes
  /// because φ becomes linear as q → 0).
  func homogeneousPoint(a: Double, b: Double, sigmaW2: Double) -> Point {
    func xi(_ chi: Double) -> Double { chi == 1 ? .infinity : -1 / log(chi) }
    let chi1 = sigmaW2 * (a * a + b * b) / 2
    let inf = Double.infinity
    if a == b {
      return Point(
        sigmaW2: sigmaW2, sigmaB2: 0, phase: abs(chi1 - 1) < 1e-12 ? .critical : (chi1 < 1 ? .ordered : .divergent),
        qStar: chi1 <= 1 + 1e-12 ? (chi1 < 1 - 1e-12 ? 0 : nil) : nil, cStar: nil, chi1: chi1, chiC: 1, lengthSlope: chi1,
        xiQ: xi(chi1), xiC: inf, xiGradient: xi(chi1),
        note: "linear network: $\\mathcal{C}$ is the identity, $c^l = c^0$ at every depth ($c^*$ undefined)")
    }
    let critical = abs(chi1 - 1) < 1e-12
    let lengths: String
    let phase: Phase
    let qStar: Double?
    if critical {
      (phase, qStar, lengths) = (
        .critical, nil, "the length map is the identity, every $q$ is a neutral fixed point ($q^l = q^1$, $q^*$ input-dependent)"
      )
    } else if chi1 < 1 {
      (phase, qStar, lengths) = (.ordered, 0, "$q^l = (\\sigma_w^2/\\sigma_{w,c}^2)^{l-1} q^1 \\to 0$ geometrically")
    } else {
      (phase, qStar, lengths) = (.divergent, nil, "$q^l = (\\sigma_w^2/\\sigma_{w,c}^2)^{l-1} q^1$ grows without bound")
    }
    return Point(
      sigmaW2: sigmaW2, sigmaB2: 0, phase: phase, qStar: qStar, cStar: 1, chi1: chi1, chiC: 1, lengthSlope: chi1,
      xiQ: xi(chi1), xiC: inf, xiGradient: xi(chi1),
      note:
        "ReLU family at $\\sigma_b^2 = 0$: \(lengths); the correlation map does not depend on $\\sigma_w^2$, $c^* = 1$ is the only fixed point, marginal ($\\chi_c = 1$) and attracting: $1 - c^l \\propto 1/l^2$"
    )
  }

  /// The chaotic phase (χ₁ > 1): the stable correlation fixed point c* < 1 by Brent's method.
  func chaoticPoint(q: Double, sigmaW2: Double, sigmaB2: Double, chi1: Double, slopeQ: Double?) -> Point {
    func xi(_ chi: Double) -> Double { chi == 1 ? .infinity : -1 / log(chi) }
    let map = correlationMapFunction(q: q, sigmaW2: sigmaW2, sigmaB2: sigmaB2)
    let g = { (c: Double) in map(c).value - c }
    // g(1) = −σ_w²·tail/q* ≤ 0 and g′(1) = χ₁ − 1 > 0, so g(1 − δ) < 0 for δ small enough.
    var delta = 1e-3
    while g(1 - delta) >= 0 && delta > 1e-12 { delta /= 10 }
    // g(0) = σ_b²/q* ≥ 0 for odd φ, so the stable root lies in [0, 1); for odd φ with σ_b² = 0,
    // c = −1 is also a root (𝒞 is odd), which a bracket starting at −1 would return. For other φ,
    // g(−1) = 𝒞(−1) + 1 ≥ 0 by Cauchy–Schwarz.
    let lower = g(0) >= 0 ? 0 : -1 + 1e-12
    guard g(1 - delta) < 0, let c = RootFinding.brent(g, lower, 1 - delta, tolerance: 1e-15) else {
      // Never a silent c* = 1 (which would give χ_c = χ₁ > 1 and a negative ξ_c): say so.
      return Point(
        sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .chaotic, qStar: q, cStar: nil, chi1: chi1, chiC: nil, lengthSlope: slopeQ,
        xiQ: slopeQ.map(xi), xiC: nil, xiGradient: xi(chi1),
        note:
          "no stable fixed point $c^* < 1$ found ($g(c) = \\mathcal{C}(c) - c$ has no sign change on $[\(lower), 1 - 10^{-12}]$): $c^*$ and $\\xi_c$ not determined"
      )
    }
    let chiC = map(c).slope
    return Point(
      sigmaW2: sigmaW2, sigmaB2: sigmaB2, phase: .chaotic, qStar: q, cStar: c, chi1: chi1, chiC: chiC, lengthSlope: slopeQ,
      xiQ: slopeQ.map(xi), xiC: xi(chiC), xiGradient: xi(chi1), note: "")
  }

  /// The relative tail below which the Mehler series is used for 𝒞 (else 2-D quadrature).
  static let seriesTolerance = 1e-13

  /// c ↦ (𝒞(c), 𝒞′(c)) at q: the Mehler series on the rule for q (K = n/2 terms), on the
  /// 2000-node rule (1000 terms) if that tail is too large, and 2-D adaptive quadrature (error
  /// ≤ 1e-11) if neither series converges to `seriesTolerance`.
  func correlationMapFunction(q: Double, sigmaW2: Double, sigmaB2: Double) -> (Double) -> (value: Double, slope: Double) {
    var series = mehlerSeries(q)
    if !series.converged(relativeTolerance: Self.seriesTolerance), series.order < 2000 {
      series = mehlerSeries(q, rule: MeanFieldRules.r2000)
    }
    if series.converged(relativeTolerance: Self.seriesTolerance) {
      let a2 = series.a2
      return { c in self.correlationMap(c, coefficients: a2, q: q, sigmaW2: sigmaW2, sigmaB2: sigmaB2) }
    }
    let activation = self.activation
    return { c in
      let k = activation.kernel(q11: q, q22: q, q12: c * q)
      return ((sigmaW2 * k.nngp + sigmaB2) / q, sigmaW2 * k.dot)
    }
  }

  /// 𝒞(c) at q* for a given point (for tables and tests).
  public func correlationMap(_ c: Double, sigmaW2: Double, sigmaB2: Double) -> Double? {
    guard let q = lengthFixedPoint(sigmaW2: sigmaW2, sigmaB2: sigmaB2), q > 0 else { return nil }
    return correlationMapFunction(q: q, sigmaW2: sigmaW2, sigmaB2: sigmaB2)(c).value
  }

  /// The 𝒞-map of Poole et al.'s Fig. 2A: 𝒞(c) = (σ_w² E[φ(u₁)φ(u₂)] + σ_b²)/q* at the length
  /// fixed point, at each c (closed form for the ReLU family, else the Mehler series or 2-D
  /// quadrature of `correlationMapFunction`). For the ReLU family at σ_b² = 0 the map does not
  /// depend on q or σ_w² (positive homogeneity): it is the normalized dual, also where q* is not
  /// finite (the edge of chaos (2, 0), where every q is fixed), and qStar is reported as 1. nil when there is no q* > 0 otherwise
  /// (lengths diverge, or q* = 0 where 𝒞 is undefined).
  public func correlationMapCurve(_ cs: [Double], sigmaW2: Double, sigmaB2: Double) -> (qStar: Double, values: [Double])? {
    var q: Double
    if case .abRelu = activation, sigmaB2 == 0 {
      // c^l = E[φ(u₁)φ(u₂)]/E[φ²] whatever σ_w² (q^l = σ_w² E[φ²] scales out)
      let a = activation, v = a.kernel(q11: 1, q22: 1, q12: 1).nngp
      return (1, cs.map { c in a.kernel(q11: 1, q22: 1, q12: min(1, max(-1, c))).nngp / v })
    } else {
      guard let qs = lengthFixedPoint(sigmaW2: sigmaW2, sigmaB2: sigmaB2), qs > 0 else { return nil }
      q = qs
    }
    if activation.hasClosedForm {
      let a = activation
      return (q, cs.map { c in (sigmaW2 * a.kernel(q11: q, q22: q, q12: min(1, max(-1, c)) * q).nngp + sigmaB2) / q })
    }
    let map = correlationMapFunction(q: q, sigmaW2: sigmaW2, sigmaB2: sigmaB2)
    return (q, cs.map { map(min(1, max(-1, $0))).value })
  }

  /// 𝒞″(1) = σ_w² q* E[φ″(√q* z)²] (for the 1/l law on the edge of chaos).
  public func curvatureAtOne(sigmaW2: Double, sigmaB2: Double) -> Double? {
    guard let q = lengthFixedPoint(sigmaW2: sigmaW2, sigmaB2: sigmaB2), let m = secondDerivativeMoment(q) else { return nil }
    return sigmaW2 * q * m
  }

  /// The edge of chaos: σ_w² with χ₁(q*(σ_w²), σ_w²) = 1 at this σ_b², by bracketing.
  /// For the ReLU family it is the single point (2/(a² + b²), 0); nil elsewhere.
  public func edgeOfChaos(sigmaB2: Double) -> Double? {
    if case .abRelu(let a, let b) = activation { return sigmaB2 == 0 ? 2 / (a * a + b * b) : nil }
    // σ_b² = 0 with φ(0) = 0: the curve starts at the degenerate critical point 1/φ′(0)², where
    // q* leaves 0 (χ₁ has a kink there, so root finding would only reach ~1e-8).
    if sigmaB2 == 0, activation(0) == 0, activation.derivative(0) != 0 {
      let d = activation.derivative(0)
      return 1 / (d * d)
    }
    let f = { (w: Double) -> Double in
      guard let q = self.lengthFixedPoint(sigmaW2: w, sigmaB2: sigmaB2) else { return 1 }
      return w * self.derivativeMoment(q) - 1
    }
    var lo = 1e-3, hi = 1.0
    while f(hi) < 0 {
      lo = hi
      hi *= 2
      if hi > 1e4 { return nil }
    }
    return RootFinding.brent(f, lo, hi, tolerance: 1e-15)
  }

  /// q^l and c^l for l = 1 … depth from inputs with q⁰ and correlation c⁰: the engine's own
  /// NNGP recursion (Dense then φ), read before each activation (pre-activation convention).
  public func trajectory(sigmaW2: Double, sigmaB2: Double, q0: Double, c0: Double, depth: Int) -> (q: [Double], c: [Double]) {
    var qs: [Double] = [], cs: [Double] = []
    var q11 = q0, q12 = c0 * q0
    for _ in 0..<depth {
      let pq = sigmaW2 * q11 + sigmaB2, pc = sigmaW2 * q12 + sigmaB2
      qs.append(pq)
      cs.append(pq > 0 ? pc / pq : 1)
      let k = EqualVarianceKernel(activation, q: pq)
      q11 = k.variance
      q12 = k.value(correlation: pq > 0 ? pc / pq : 1)
    }
    return (qs, cs)
  }
}

/// E[φ(u₁)φ(u₂)] for equal variances q as a function of the correlation: the closed form when
/// there is one; otherwise the Mehler series Σₖ aₖ²cᵏ with K = n/2 terms on the n-node rule that
/// also gives E[φ²] (`MeanField.mehlerSeries`: no aliasing below index 3n/2), whose truncation
/// error is bounded for |c| ≤ 1 by the tail Ẽ[φ²] − Σₖ ãₖ² on that rule. If that bound exceeds
/// 1e-13 relative (also on the 2000-node rule), 2-D adaptive quadrature is used instead. One set of coefficients serves a whole
/// curve or a whole layer of a trajectory.
public struct EqualVarianceKernel: Sendable {
  public let activation: Activation
  public let q: Double
  /// E[φ(√q z)²].
  public let variance: Double
  let coefficients: [Double]?
  public let tailBound: Double

  public init(_ activation: Activation, q: Double) {
    self.activation = activation
    self.q = q
    if activation.hasClosedForm {
      variance = activation.kernel(q11: q, q22: q, q12: q).nngp
      coefficients = nil
      tailBound = 0
      return
    }
    let field = MeanField(activation)
    variance = field.secondMoment(q)
    var series = field.mehlerSeries(q)
    if !series.converged(relativeTolerance: MeanField.seriesTolerance), series.order < 2000 {
      series = field.mehlerSeries(q, rule: MeanFieldRules.r2000)
    }
    tailBound = series.tail
    coefficients = series.converged(relativeTolerance: MeanField.seriesTolerance) ? series.a2 : nil
  }

  /// Whether the fast series is used (false: closed form or 2-D quadrature).
  public var usesSeries: Bool { coefficients != nil }

  public func value(correlation c: Double) -> Double {
    let c = min(1, max(-1, c))
    if let a2 = coefficients { return a2.reversed().reduce(0) { $0 * c + $1 } }
    return activation.kernel(q11: q, q22: q, q12: c * q).nngp
  }

  /// E[φ′(u₁)φ′(u₂)] = (1/q)·d/dc Σₖ aₖ²cᵏ.
  public func derivative(correlation c: Double) -> Double {
    let c = min(1, max(-1, c))
    if let a2 = coefficients {
      var d = 0.0
      for k in stride(from: a2.count - 1, through: 1, by: -1) { d = d * c + Double(k) * a2[k] }
      return d / q
    }
    return activation.kernel(q11: q, q22: q, q12: c * q).dot
  }
}

/// Gauss–Hermite rules are built once per order and shared.
enum MeanFieldRules {
  static let maxTerms = 1000
  /// √k and 1/√(k+1) for the normalized Hermite recurrence.
  static let sqrtK: [Double] = (0..<maxTerms).map { Double($0).squareRoot() }
  static let invSqrtK1: [Double] = (0..<maxTerms).map { 1 / Double($0 + 1).squareRoot() }
  static let r120 = GaussHermite(order: 120)
  static let r300 = GaussHermite(order: 300)
  static let r600 = GaussHermite(order: 600)
  static let r1200 = GaussHermite(order: 1200)
  static let r2000 = GaussHermite(order: 2000)
  static func rule(_ order: Int) -> GaussHermite {
    switch order {
    case 300: return r300
    case 600: return r600
    case 1200: return r1200
    case 2000: return r2000
    default: return GaussHermite(order: order)
    }
  }
}
