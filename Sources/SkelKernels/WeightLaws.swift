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

  /// Monte-Carlo estimate of E[h(w·x) h(w·y)] for unit-norm inputs at angle θ in Rⁿ, with its
  /// standard error. `dense`: x = u, y = cos θ u + sin θ v with u = (1, …, 1)/√n and v alternating
  /// signs/√n (orthogonal for even n), mass spread over all coordinates, so the central limit
  /// applies. Sparse: x = e₁, y = cos θ e₁ + sin θ e₂, the Rademacher counter-example of science.md §3(c).
  public static func monteCarlo(
    _ law: WeightLaw, slope a: Double, theta: Double, dimension n: Int, samples m: Int, dense: Bool,
    generator g: inout SeededGenerator
  ) -> (mean: Double, standardError: Double) {
    var x = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n)
    if dense && n >= 2 {
      // two orthonormal dense directions: u = (1,…,1)/√n and v = alternating signs / √n
      // (orthogonal for even n), then x = u, y = cos θ u + sin θ v
      let s = 1 / Double(n).squareRoot()
      for i in 0..<n {
        let u = s, v = (i % 2 == 0 ? 1.0 : -1.0) * s
        x[i] = u
        y[i] = cos(theta) * u + sin(theta) * v
      }
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
