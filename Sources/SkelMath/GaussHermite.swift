#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Gauss–Hermite quadrature for the standard normal weight.
///
/// ```
/// E[f(Z)] = ∫ f(z) φ(z) dz ≈ Σᵢ wᵢ f(zᵢ),   Z ~ N(0, 1),  Σᵢ wᵢ = 1
/// ```
/// The rule of order `n` is exact for polynomials of degree ≤ 2n − 1. Nodes are the roots of the
/// physicists' Hermite polynomial Hₙ (found by Newton's method from the classical asymptotic
/// starting values, Numerical Recipes §4.6), rescaled by √2; weights are divided by √π.
public struct GaussHermite: Sendable, Equatable {
  /// Nodes zᵢ for the standard normal, ascending.
  public let nodes: [Double]
  /// Weights wᵢ, summing to 1.
  public let weights: [Double]

  public init(order n: Int) {
    precondition(n >= 1 && n <= 1000, "Gauss–Hermite order must be in 1…1000")
    var x = [Double](repeating: 0, count: n)
    var w = [Double](repeating: 0, count: n)
    let pim4 = 0.7511255444649425  // π^(-1/4)
    let m = (n + 1) / 2
    var z = 0.0
    for i in 0..<m {
      switch i {
      case 0: z = (2 * Double(n) + 1).squareRoot() - 1.85575 * pow(2 * Double(n) + 1, -0.16667)
      case 1: z -= 1.14 * pow(Double(n), 0.426) / z
      case 2: z = 1.86 * z - 0.86 * x[0]
      case 3: z = 1.91 * z - 0.91 * x[1]
      default: z = 2 * z - x[i - 2]
      }
      var pp = 0.0
      for _ in 0..<100 {
        var p1 = pim4, p2 = 0.0
        for j in 0..<n {  // orthonormal recurrence for Hermite functions
          let p3 = p2
          p2 = p1
          p1 = z * (2 / Double(j + 1)).squareRoot() * p2 - (Double(j) / Double(j + 1)).squareRoot() * p3
        }
        pp = (2 * Double(n)).squareRoot() * p2
        let z1 = z
        z = z1 - p1 / pp
        if abs(z - z1) <= 1e-15 * max(1, abs(z)) { break }
      }
      x[i] = z
      x[n - 1 - i] = -z
      w[i] = 2 / (pp * pp)
      w[n - 1 - i] = w[i]
    }
    let sqrt2 = 2.0.squareRoot(), sqrtPi = Double.pi.squareRoot()
    // ascending order, standard-normal scaling
    nodes = x.reversed().map { $0 * sqrt2 }
    weights = w.reversed().map { $0 / sqrtPi }
  }

  /// E[f(Z)] for Z ~ N(0, 1).
  @inlinable public func expectation(_ f: (Double) -> Double) -> Double {
    var s = 0.0
    for i in nodes.indices { s += weights[i] * f(nodes[i]) }
    return s
  }
}
