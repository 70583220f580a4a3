#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Iterated dual maps and their fixed points: what depth does to correlations.
public enum DepthMap {
  /// ρ_l = σ̂(ρ_{l−1}) for l = 1 … depth (ρ₀ excluded).
  public static func iterate(_ a: Activation, from rho0: Double, depth: Int) -> [Double] {
    iterate(EqualVarianceKernel(a, q: 1), from: rho0, depth: depth)
  }

  /// The same with a kernel built once (its series coefficients serve every step).
  public static func iterate(_ k: EqualVarianceKernel, from rho0: Double, depth: Int) -> [Double] {
    var r = rho0
    return (0..<depth).map { _ in
      r = k.value(correlation: r) / k.variance
      return r
    }
  }

  /// A fixed point ρ* = σ̂(ρ*) with its slope σ̂′(ρ*): stable if < 1, unstable if > 1, neutral at 1.
  public struct FixedPoint: Sendable, Hashable {
    public var rho: Double
    public var slope: Double
    public var stability: String {
      abs(slope - 1) < 1e-9 ? "neutral" : (slope < 1 ? "stable" : "unstable")
    }
  }

  /// All fixed points of the normalized dual on [−1, 1]: sign changes of σ̂(ρ) − ρ on a grid,
  /// refined by bisection to machine precision; ρ = 1 is always one (σ̂(1) = 1). Each root is
  /// listed once: roots within 1e-9 of one another (or of ±1) are merged (the endpoint −1 of an
  /// odd activation's series was found both as g(−1) ≈ 0 and by the first bracket), and a root
  /// within 1e-12 of 0 where g(0) vanishes to rounding is reported as exactly 0 (not 7.7e-33).
  public static func fixedPoints(_ a: Activation, gridPoints: Int = 2001) -> [FixedPoint] {
    fixedPoints(EqualVarianceKernel(a, q: 1), gridPoints: gridPoints)
  }

  /// The same with a kernel built once.
  public static func fixedPoints(_ k: EqualVarianceKernel, gridPoints: Int = 2001) -> [FixedPoint] {
    let v = k.variance
    func g(_ r: Double) -> Double { k.value(correlation: r) / v - r }
    // σ̂′(ρ) is E[σ′σ′]/E[σ²] where σ′ is a function; for activations with jumps (step, sign)
    // the kernel's `dot` is the a.e. derivative's (0), not the slope of the dual, so the slope is
    // checked against a difference quotient of the map and replaced by it when they disagree; at
    // ρ = ±1 a quotient that grows as h^{−1/2} (step: σ̂(1 − h) ≈ 1 − √(2h)/π) is an infinite slope.
    func map(_ r: Double) -> Double { k.value(correlation: r) / v }
    func slope(_ r: Double) -> Double {
      let analytic = k.derivative(correlation: r) / v
      func quotient(_ h: Double) -> Double {
        if r + h > 1 { return (map(r) - map(r - h)) / h }
        if r - h < -1 { return (map(r + h) - map(r)) / h }
        return (map(r + h) - map(r - h)) / (2 * h)
      }
      if abs(r) == 1 {  // one-sided: ReLU's σ̂(1 − h) = 1 − h + (2√2/3π)h^{3/2} is off by 3e-5 at h = 1e-8
        let q1 = quotient(1e-6), q2 = quotient(1e-8)
        if abs(q2 - analytic) <= 1e-2 * max(1, abs(analytic)) { return analytic }
        return q2 > 5 * q1 && q1 > 0 ? .infinity : q2
      }
      let q1 = quotient(1e-6)
      return abs(q1 - analytic) <= 1e-4 * max(1, abs(analytic)) ? analytic : q1
    }
    var roots: [Double] = []
    var x0 = -1.0, g0 = g(-1)
    if abs(g0) < 1e-14 {
      roots.append(-1)
      g0 = 0  // an exact root: no bracket starts from it
    }
    for k in 1..<gridPoints {
      let x1 = k == gridPoints - 1 ? 1 : -1 + 2 * Double(k) / Double(gridPoints - 1)
      if x1 >= 1 { break }
      let g1 = g(x1)
      if g1 == 0 {
        roots.append(x1)
      } else if g0 != 0, (g0 < 0) != (g1 < 0) {
        var lo = x0, hi = x1, glo = g0
        for _ in 0..<200 {
          let mid = (lo + hi) / 2
          if mid <= lo || mid >= hi { break }
          let gm = g(mid)
          if (gm < 0) == (glo < 0) { (lo, glo) = (mid, gm) } else { hi = mid }
        }
        roots.append((lo + hi) / 2)
      }
      (x0, g0) = (x1, g1)
    }
    roots.append(1)
    var distinct: [Double] = []
    for r in roots {
      var r = r
      if abs(r) < 1e-12, abs(g(0)) < 1e-14 { r = 0 }
      if abs(r + 1) < 1e-9 { r = -1 }
      if abs(r - 1) < 1e-9 { r = 1 }
      if let last = distinct.last, abs(last - r) < 1e-9 { continue }
      distinct.append(r)
    }
    return distinct.map { FixedPoint(rho: $0, slope: slope($0)) }
  }
}

/// Tsuchida, Roosta, Gallagher (2018): the angle map of deep leaky-ReLU networks with any
/// rotation-invariant weights,
/// ```
/// cos θ_{l+1} = [(1 − a)² J(θ_l) + 2πa cos θ_l] / [π(1 + a²)],   J(θ) = sin θ + (π − θ) cos θ
/// ```
/// iterated on θ itself: 1 − cos θ′ = [(1−a)²(θ − sin θ) + 2 sin²(θ/2)((1−a)²(π − θ) + 2πa)] / [π(1+a²)],
/// and θ′ = 2 arcsin √((1 − cos θ′)/2), with θ − sin θ by its series for small θ. This keeps full
/// relative precision as θ → 0, where iterating cos θ loses digits (science.md §3(a)).
public enum AngleMap {
  public static func next(_ theta: Double, a: Double) -> Double {
    let s = sin(theta / 2)
    let oneMinusA2 = (1 - a) * (1 - a)
    let numerator = oneMinusA2 * thetaMinusSin(theta) + 2 * s * s * (oneMinusA2 * (Double.pi - theta) + 2 * Double.pi * a)
    let oneMinusCos = numerator / (Double.pi * (1 + a * a))
    return 2 * asin(min(1, (max(0, oneMinusCos) / 2).squareRoot()))
  }

  /// θ − sin θ without cancellation: the Taylor series θ³/6 − θ⁵/120 + … below 0.5.
  static func thetaMinusSin(_ t: Double) -> Double {
    guard abs(t) < 0.5 else { return t - sin(t) }
    var term = t * t * t / 6, sum = 0.0, k = 3.0
    while abs(term) > 1e-18 * abs(sum) || sum == 0 {
      sum += term
      term *= -t * t / ((k + 1) * (k + 2))
      k += 2
      if k > 60 { break }
    }
    return sum
  }

  /// θ_l for l = 1 … depth from θ₀.
  public static func angles(from theta0: Double, a: Double, depth: Int) -> [Double] {
    var t = theta0
    return (0..<depth).map { _ in
      t = next(t, a: a)
      return t
    }
  }

  /// The rate constant: θ_l ≈ 3π(1 + a²)/((1 − a)² l) as l → ∞.
  public static func asymptote(a: Double) -> Double { 3 * Double.pi * (1 + a * a) / ((1 - a) * (1 - a)) }
}
