import SkelMath

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Gaussian kernels by two-dimensional Gauss–Hermite quadrature: an independent route that
/// checks the closed forms and serves activations with none.
///
/// With u = √q₁₁ z₁ and v = (q₁₂/√q₁₁) z₁ + √(q₂₂ − q₁₂²/q₁₁) z₂ for independent standard normals,
/// ```
/// E[σ(u)σ(v)] ≈ Σᵢ Σⱼ wᵢ wⱼ σ(uᵢ) σ(vᵢⱼ)
/// ```
/// Accurate to many digits for smooth σ; for kinks (ReLU, step) the error decays only
/// algebraically in the order (NT's `ElementwiseNumerical` warns of the same).
public struct DualQuadrature: Sendable {
  public let rule: GaussHermite

  public init(order: Int) { rule = GaussHermite(order: order) }

  /// E[f(u) g(v)] for the bivariate normal (q₁₁, q₂₂, q₁₂).
  public func expectation(
    _ f: (Double) -> Double, _ g: (Double) -> Double, q11: Double, q22: Double, q12: Double
  ) -> Double {
    let (a, b, scale) = Self.factor(q11: q11, q22: q22, q12: q12)
    var total = 0.0
    for i in rule.nodes.indices {
      let zi = rule.nodes[i]
      let fu = f(scale * zi)
      if fu == 0 { continue }
      var inner = 0.0
      for j in rule.nodes.indices { inner += rule.weights[j] * g(a * zi + b * rule.nodes[j]) }
      total += rule.weights[i] * fu * inner
    }
    return total
  }

  public func kernel(_ activation: Activation, q11: Double, q22: Double, q12: Double) -> KernelValue {
    KernelValue(
      nngp: expectation({ activation($0) }, { activation($0) }, q11: q11, q22: q22, q12: q12),
      dot: expectation({ activation.derivative($0) }, { activation.derivative($0) }, q11: q11, q22: q22, q12: q12))
  }

  /// Normalized dual by quadrature (Daniely's convention).
  public func dual(_ activation: Activation, at rho: Double) -> Double {
    let r = min(1, max(-1, rho))
    let f: (Double) -> Double = { activation($0) }
    return expectation(f, f, q11: 1, q22: 1, q12: r) / expectation(f, f, q11: 1, q22: 1, q12: 1)
  }

  /// Cholesky factor of [[q11, q12], [q12, q22]]: u = scale·z₁, v = a·z₁ + b·z₂.
  static func factor(q11: Double, q22: Double, q12: Double) -> (a: Double, b: Double, scale: Double) {
    let scale = max(q11, 0).squareRoot()
    guard scale > 0 else { return (0, max(q22, 0).squareRoot(), 0) }
    let a = q12 / scale
    return (a, max(0, q22 - a * a).squareRoot(), scale)
  }
}

/// neural-tangents' own `ElementwiseNumerical` rule, for parity: physicists' Gauss–Hermite of
/// degree `deg` (deg² nodes), u = √(2q₁₁)xᵢ, v = √2(q₁₂/√q₁₁)xᵢ + √(2(q₂₂ − q₁₂²/q₁₁))xⱼ, weights wᵢwⱼ/π.
/// It is our standard-normal rule with the same nodes, so it reproduces NT's numbers exactly.
public struct NTQuadrature: Sendable {
  public let inner: DualQuadrature
  public init(degree: Int) { inner = DualQuadrature(order: degree) }
  public func kernel(_ activation: Activation, q11: Double, q22: Double, q12: Double) -> KernelValue {
    inner.kernel(activation, q11: q11, q22: q22, q12: q12)
  }
}

/// Kernels of any activation to a requested accuracy, with an error estimate.
///
/// Route: Gauss–Hermite of orders 40, 80, 160, 320 in turn; as soon as two successive orders agree
/// to the tolerance, the higher is returned with their difference as the error (smooth σ converge
/// geometrically, so this is conservative). If even 320 does not agree with 160 (kinks make
/// Gauss–Hermite converge algebraically), nested adaptive Gauss–Kronrod over z₁ and z₂ on [−L, L],
/// L = 14 (Gaussian tail below 1e-43), with breakpoints at z₁ = 0 and at the inner kink v = 0.
public struct AdaptiveDualQuadrature: Sendable {
  public static let shared = AdaptiveDualQuadrature()
  let rules = [40, 80, 160, 320].map { DualQuadrature(order: $0) }
  public var tolerance = 1e-12

  public struct Estimate: Sendable {
    public var value: KernelValue
    /// Estimated absolute error of nngp and dot (the larger of the two).
    public var error: Double
    public var method: String
  }

  public func kernel(_ activation: Activation, q11: Double, q22: Double, q12: Double) -> Estimate {
    var previous = rules[0].kernel(activation, q11: q11, q22: q22, q12: q12)
    for rule in rules.dropFirst() {
      let next = rule.kernel(activation, q11: q11, q22: q22, q12: q12)
      let gap = max(abs(previous.nngp - next.nngp), abs(previous.dot - next.dot))
      if gap <= tolerance * max(1, abs(next.nngp), abs(next.dot)) {
        return Estimate(value: next, error: gap, method: "gauss-hermite(\(rule.rule.nodes.count))")
      }
      previous = next
    }
    let n = adaptive({ activation($0) }, q11: q11, q22: q22, q12: q12)
    let d = adaptive({ activation.derivative($0) }, q11: q11, q22: q22, q12: q12)
    return Estimate(value: KernelValue(nngp: n.value, dot: d.value), error: max(n.error, d.error), method: "gauss-kronrod")
  }

  /// E[f(u) f(v)] by nested adaptive Gauss–Kronrod.
  public func adaptive(_ f: @escaping (Double) -> Double, q11: Double, q22: Double, q12: Double) -> GaussKronrod.Result {
    let (a, b, scale) = DualQuadrature.factor(q11: q11, q22: q22, q12: q12)
    let L = 14.0, phiNorm = 1 / (2 * Double.pi).squareRoot()
    var innerError = 0.0
    let outer = GaussKronrod.integrate(
      { z1 in
        let fu = f(scale * z1)
        if fu == 0 { return 0 }
        let w1 = phiNorm * exp(-z1 * z1 / 2)
        if b == 0 { return w1 * fu * f(a * z1) }
        let kink = -a * z1 / b
        let inner = GaussKronrod.integrate(
          { z2 in phiNorm * exp(-z2 * z2 / 2) * f(a * z1 + b * z2) }, from: -L, to: L, breakpoints: [kink],
          absolute: 1e-16, relative: 1e-14)
        innerError = max(innerError, inner.error)
        return w1 * fu * inner.value
      }, from: -L, to: L, breakpoints: [0], absolute: 1e-15, relative: 1e-13)
    return GaussKronrod.Result(value: outer.value, error: outer.error + innerError, evaluations: outer.evaluations)
  }
}
