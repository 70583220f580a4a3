import SkelMath

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Weight distributions of one infinite-width layer (Tsuchida, Roosta, Gallagher 2018).
/// Rotation-invariant laws give the Gaussian kernel times E‖w‖²/n; i.i.d. entries with other
/// laws approach it only as the input dimension grows (central limit), not for every input.
public enum WeightLaw: Hashable, Sendable, Codable, CustomStringConvertible {
  /// N(0, I).
  case gaussian
  /// Multivariate t with ν > 2 degrees of freedom, scale 1: E‖w‖²/n = ν/(ν − 2).
  case studentT(nu: Double)
  /// Uniform on the sphere of radius √n: E‖w‖²/n = 1.
  case sphere
  /// i.i.d. entries, unit variance, not rotation invariant.
  case uniform, rademacher, laplace

  public var description: String {
    switch self {
    case .gaussian: return "gaussian"
    case .studentT(let nu): return "student_t(nu=\(nu == nu.rounded() ? String(Int(nu)) : String(nu)))"
    case .sphere: return "sphere"
    case .uniform: return "uniform"
    case .rademacher: return "rademacher"
    case .laplace: return "laplace"
    }
  }

  /// Whether the law is rotation invariant (the exact theorem applies).
  public var isRotationInvariant: Bool {
    switch self {
    case .gaussian, .studentT, .sphere: return true
    default: return false
    }
  }

  /// E‖w‖²/n.
  public var secondMomentFactor: Double {
    if case .studentT(let nu) = self { return nu / (nu - 2) }
    return 1
  }

  /// Draws w ∈ Rⁿ.
  public func sample(_ n: Int, _ g: inout SeededGenerator) -> [Double] {
    switch self {
    case .gaussian: return (0..<n).map { _ in g.nextNormal() }
    case .studentT(let nu):
      // a Gaussian scale mixture: z / √(χ²_ν/ν), one χ² per vector (multivariate t)
      let z = (0..<n).map { _ in g.nextNormal() }
      let s = (g.nextChiSquared(nu) / nu).squareRoot()
      return z.map { $0 / s }
    case .sphere:
      return g.nextUnitSphere(n).map { $0 * Double(n).squareRoot() }
    case .uniform: return (0..<n).map { _ in g.nextUniformUnitVariance() }
    case .rademacher: return (0..<n).map { _ in g.nextRademacher() }
    case .laplace: return (0..<n).map { _ in g.nextLaplace() }
    }
  }
}

public enum WeightLawKernel {
  /// Tsuchida et al.'s exact leaky-ReLU kernel for unit-norm inputs at angle θ and a
  /// rotation-invariant law: (E‖w‖²/n)[(1 − a)²/(2π) J(θ) + a cos θ], J = sin θ + (π − θ) cos θ.
  public static func exact(_ law: WeightLaw, slope a: Double, theta: Double) -> Double {
    let j = sin(theta) + (Double.pi - theta) * cos(theta)
    return law.secondMomentFactor * ((1 - a) * (1 - a) / (2 * Double.pi) * j + a * cos(theta))
  }

  /// Dense unit inputs at exactly the angle θ for every n ≥ 2: x = u = (1, …, 1)/√n and
  /// y = cos θ u + sin θ v, where v is the alternating-sign vector (1, −1, 1, …) made orthogonal
  /// to u and normalized (for odd n the alternating vector has u·v = 1/n; used as it was, the
  /// inputs sat at arccos(cos θ + sin θ/n), e.g. n = 7, θ = 1.5: angle 1.357, kernel 0.1819
  /// instead of 0.1276, issue 16 F5).
  public static func denseInputs(theta: Double, dimension n: Int) -> (x: [Double], y: [Double]) {
    let s = 1 / Double(n).squareRoot()
    let alt = (0..<n).map { i in i % 2 == 0 ? s : -s }
    let d = alt.reduce(0, +) * s  // u·alt: 0 for even n, 1/n for odd n
    var v = alt.map { $0 - d * s }
    let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
    v = v.map { $0 / norm }
    let x = [Double](repeating: s, count: n)
    return (x, (0..<n).map { cos(theta) * s + sin(theta) * v[$0] })
  }

  /// Monte-Carlo estimate of E[h(w·x) h(w·y)] for unit-norm inputs at angle θ in Rⁿ, with its
  /// standard error. `dense`: `denseInputs` (mass spread over all coordinates, so the central
  /// limit applies). Sparse: x = e₁, y = cos θ e₁ + sin θ e₂, the Rademacher counter-example of science.md §3(c).
  public static func monteCarlo(
    _ law: WeightLaw, slope a: Double, theta: Double, dimension n: Int, samples m: Int, dense: Bool,
    generator g: inout SeededGenerator
  ) -> (mean: Double, standardError: Double) {
    var x = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
    if dense && n >= 2 {
      (x, y) = denseInputs(theta: theta, dimension: n)
    } else {
      x[0] = 1
      y[0] = cos(theta)
      if n > 1 { y[1] = sin(theta) }
    }
    var sum = 0.0, sumSq = 0.0
    for _ in 0..<m {
      let w = law.sample(n, &g)
      var px = 0.0, py = 0.0
      for i in 0..<n {
        px += w[i] * x[i]
        py += w[i] * y[i]
      }
      let hx = px > 0 ? px : a * px, hy = py > 0 ? py : a * py
      let v = hx * hy
      sum += v
      sumSq += v * v
    }
    let mean = sum / Double(m)
    let variance = max(0, sumSq / Double(m) - mean * mean)
    return (mean, (variance / Double(m)).squareRoot())
  }
}

/// The central limit for i.i.d. (not rotation-invariant) weights (Tsuchida et al. 2018, §3(a)):
/// on dense inputs the kernel approaches the Gaussian one as the dimension n grows.
///
/// Dense inputs (n even): x = u, y = cos θ·u + sin θ·v with u = (1, …, 1)/√n and v = (1, −1, 1, …)/√n.
/// Then w·u = (A + B)/√n and w·v = (A − B)/√n, where A and B are the sums of the n/2 even- and
/// odd-indexed weights: two independent sums, so a draw costs two sums, not n products.
public enum CentralLimit {
  static func leaky(_ z: Double, _ a: Double) -> Double { z > 0 ? z : a * z }

  static func pair(_ sa: Double, _ sb: Double, theta: Double, n: Int) -> (Double, Double) {
    let r = 1 / Double(n).squareRoot()
    let px = (sa + sb) * r, pv = (sa - sb) * r
    return (px, cos(theta) * px + sin(theta) * pv)
  }

  /// The exact kernel for i.i.d. Rademacher weights on the dense inputs: A = 2k − n/2 with
  /// k ~ Binomial(n/2, 1/2), summed over both binomials (O(n²) terms, log-space weights).
  public static func rademacherDense(slope a: Double, theta: Double, dimension n: Int) -> Double {
    precondition(n % 2 == 0 && n >= 2, "dense inputs need an even dimension")
    let m = n / 2
    let logHalf = Double(m) * log(0.5)
    let p = (0...m).map { k in exp(lgamma(Double(m + 1)) - lgamma(Double(k + 1)) - lgamma(Double(m - k + 1)) + logHalf) }
    var total = 0.0
    for k in 0...m where p[k] > 1e-300 {
      var inner = 0.0
      for l in 0...m where p[l] > 1e-300 {
        let (px, py) = pair(Double(2 * k - m), Double(2 * l - m), theta: theta, n: n)
        inner += p[l] * leaky(px, a) * leaky(py, a)
      }
      total += p[k] * inner
    }
    return total
  }

  /// The exact kernel for i.i.d. Rademacher weights on the sparse inputs x = e₁,
  /// y = cos θ e₁ + sin θ e₂ (the counter-example: it does not depend on n).
  public static func rademacherSparse(slope a: Double, theta: Double) -> Double {
    var s = 0.0
    for w1 in [-1.0, 1.0] { for w2 in [-1.0, 1.0] { s += leaky(w1, a) * leaky(cos(theta) * w1 + sin(theta) * w2, a) / 4 } }
    return s
  }

  /// The sum of m i.i.d. unit-variance draws of an i.i.d. law, drawn in O(1) where the law allows
  /// (Gaussian: √m·Z; Laplace: (G₁ − G₂)/√2 with G ~ Gamma(m); Rademacher: 2·Binomial − m by bits).
  static func sum(_ law: WeightLaw, _ m: Int, _ g: inout SeededGenerator) -> Double {
    switch law {
    case .laplace: return (g.nextGamma(shape: Double(m)) - g.nextGamma(shape: Double(m))) / 2.0.squareRoot()
    case .rademacher:
      var ones = 0, left = m
      while left >= 64 {
        ones += g.next().nonzeroBitCount
        left -= 64
      }
      if left > 0 { ones += (g.next() & ((1 << UInt64(left)) - 1)).nonzeroBitCount }
      return Double(2 * ones - m)
    case .uniform:
      var s = 0.0
      for _ in 0..<m { s += g.nextUniformUnitVariance() }
      return s
    default: return Double(m).squareRoot() * g.nextNormal()
    }
  }

  /// Monte Carlo of E[h(w·x) h(w·y)] for i.i.d. weights of `law` on the dense inputs, with its
  /// standard error. Variance reduction: antithetic pairs (w, −w) cancel the odd part of h⊗h
  /// exactly, and (w·x)(w·y), whose mean cos θ is known for every unit-variance law, is a
  /// control variate (coefficient fitted on the same draws).
  public static func denseMonteCarlo(
    _ law: WeightLaw, slope a: Double, theta: Double, dimension n: Int, samples: Int, generator g: inout SeededGenerator
  ) -> (mean: Double, standardError: Double) {
    precondition(n % 2 == 0 && n >= 2, "dense inputs need an even dimension")
    let m = n / 2
    var sv = 0.0, sc = 0.0, svv = 0.0, scc = 0.0, svc = 0.0
    let count = max(2, samples / 2)
    for _ in 0..<count {
      let (px, py) = pair(sum(law, m, &g), sum(law, m, &g), theta: theta, n: n)
      let v = (leaky(px, a) * leaky(py, a) + leaky(-px, a) * leaky(-py, a)) / 2
      let c = px * py
      sv += v
      sc += c
      svv += v * v
      scc += c * c
      svc += v * c
    }
    let k = Double(count)
    let mv = sv / k, mc = sc / k
    let varC = scc / k - mc * mc, cov = svc / k - mv * mc, varV = svv / k - mv * mv
    let beta = varC > 0 ? cov / varC : 0
    let mean = mv - beta * (mc - cos(theta))
    let residual = max(0, varV - beta * cov)
    return (mean, (residual / k).squareRoot())
  }
}
