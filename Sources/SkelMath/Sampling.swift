#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Samplers on `SeededGenerator`: the same seed gives the same numbers on every machine (only
/// IEEE arithmetic and libm's log/sqrt/cos are involved).
extension SeededGenerator {
  /// A standard normal by Marsaglia's polar method (no trigonometry: one log and one square root per
  /// pair, 21 % of pairs rejected); the second normal of each pair is kept for the next call.
  public mutating func nextNormal() -> Double {
    if let z = spareNormal {
      spareNormal = nil
      return z
    }
    while true {
      let u = 2 * nextUniform() - 1, v = 2 * nextUniform() - 1
      let s = u * u + v * v
      if s >= 1 || s == 0 { continue }
      let f = (-2 * log(s) / s).squareRoot()
      spareNormal = v * f
      return u * f
    }
  }

  /// Rademacher: ±1 with probability 1/2.
  public mutating func nextRademacher() -> Double { next() & 1 == 0 ? -1 : 1 }

  /// Laplace with unit variance (scale 1/√2).
  public mutating func nextLaplace() -> Double {
    let u = nextUniform() - 0.5
    return -(u < 0 ? -1.0 : 1.0) * log(1 - 2 * abs(u)) / 2.0.squareRoot()
  }

  /// Uniform on [−√3, √3] (unit variance).
  public mutating func nextUniformUnitVariance() -> Double { (2 * nextUniform() - 1) * 3.0.squareRoot() }

  /// χ²_ν by summing squares for integer ν (ν ≤ 60), the Wilson–Hilferty-free exact route.
  public mutating func nextChiSquared(degrees nu: Int) -> Double {
    var s = 0.0
    for _ in 0..<nu {
      let z = nextNormal()
      s += z * z
    }
    return s
  }
}
