import CBLAS

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
/// physicists' Hermite polynomial Hₙ rescaled by √2; weights are divided by √π.
public struct GaussHermite: Sendable, Equatable {
  /// Nodes zᵢ for the standard normal, ascending.
  public let nodes: [Double]
  /// Weights wᵢ, summing to 1.
  public let weights: [Double]

  public init(order n: Int) {
    precondition(n >= 1 && n <= 2000, "Gauss–Hermite order must be in 1…2000")
    // Golub–Welsch: the nodes (for weight e^{-x²}) are the eigenvalues of the symmetric
    // tridiagonal Jacobi matrix with off-diagonal √(k/2), from LAPACK dstev. Each is then
    // polished by Newton on the orthonormal Hermite recurrence, which also gives the weight
    // 2/(ψ'ₙ)² accurately even where it is 1e-300 (the eigenvector route only gets it absolutely).
    var d = [Double](repeating: 0, count: n)
    var e = (1..<max(n, 2)).map { (Double($0) / 2).squareRoot() }
    var info: Int32 = 0
    var nn = Int32(n), one: Int32 = 1
    var jobz = CChar(UInt8(ascii: "N"))
    var work = [Double](repeating: 0, count: 1)
    var dummy = [Double](repeating: 0, count: 1)
    dstev_(&jobz, &nn, &d, &e, &dummy, &one, &work, &info)
    precondition(info == 0, "dstev failed with info \(info)")
    let pim4 = 0.7511255444649425  // π^(-1/4)
    var x = d.sorted()
    var w = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var z = x[i]
      var pp = 0.0
      for iteration in 0..<6 {
        var p1 = pim4, p2 = 0.0
        for j in 0..<n {  // orthonormal Hermite recurrence (Numerical Recipes §4.6)
          let p3 = p2
          p2 = p1
          p1 = z * (2 / Double(j + 1)).squareRoot() * p2 - (Double(j) / Double(j + 1)).squareRoot() * p3
        }
        pp = (2 * Double(n)).squareRoot() * p2
        // Far out (|z| ≳ 37) the recurrence overflows: the weight underflows anyway, so keep
        // the eigenvalue as the node and give it weight 0.
        guard p1.isFinite, pp.isFinite, pp != 0 else {
          pp = .infinity
          break
        }
        if iteration == 5 { break }
        let step = p1 / pp
        z -= step
        if abs(step) <= 1e-16 * max(1, abs(z)) { break }
      }
      x[i] = z
      w[i] = 2 / (pp * pp)
    }
    // Symmetrize (the rule is exactly symmetric) and rescale to the standard normal.
    for i in 0..<(n / 2) {
      let a = (x[n - 1 - i] - x[i]) / 2, b = (w[i] + w[n - 1 - i]) / 2
      (x[i], x[n - 1 - i], w[i], w[n - 1 - i]) = (-a, a, b, b)
    }
    if n % 2 == 1 { x[n / 2] = 0 }
    let sqrt2 = 2.0.squareRoot(), sqrtPi = Double.pi.squareRoot()
    nodes = x.map { $0 * sqrt2 }
    weights = w.map { $0 / sqrtPi }
  }

  /// E[f(Z)] for Z ~ N(0, 1).
  @inlinable public func expectation(_ f: (Double) -> Double) -> Double {
    var s = 0.0
    for i in nodes.indices { s += weights[i] * f(nodes[i]) }
    return s
  }
}
