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

  /// χ²_ν for any real ν > 0: 2·Gamma(ν/2).
  public mutating func nextChiSquared(_ nu: Double) -> Double { 2 * nextGamma(shape: nu / 2) }

  /// Gamma(k, 1) by Marsaglia and Tsang (2000): a squeeze on a transformed normal, ≈ 1.03 normals
  /// per draw for k ≥ 1; for k < 1, Gamma(k + 1)·U^{1/k}.
  public mutating func nextGamma(shape k: Double) -> Double {
    precondition(k > 0, "Gamma shape must be positive")
    if k < 1 {
      let u = 1 - nextUniform()  // (0, 1]
      return nextGamma(shape: k + 1) * pow(u, 1 / k)
    }
    let d = k - 1.0 / 3, c = 1 / (9 * d).squareRoot()
    while true {
      var x = 0.0, v = 0.0
      repeat {
        x = nextNormal()
        v = 1 + c * x
      } while v <= 0
      v = v * v * v
      let u = nextUniform()
      let x2 = x * x
      if u < 1 - 0.0331 * x2 * x2 { return d * v }
      if u > 0, log(u) < 0.5 * x2 + d * (1 - v + log(v)) { return d * v }
    }
  }

  /// A Student-t variate with ν > 0 degrees of freedom: Z/√(χ²_ν/ν).
  public mutating func nextStudentT(_ nu: Double) -> Double {
    let z = nextNormal()
    return z / (nextChiSquared(nu) / nu).squareRoot()
  }

  /// A point uniform on the unit sphere S^{n−1} (a normalized normal vector).
  public mutating func nextUnitSphere(_ n: Int) -> [Double] {
    var z = (0..<n).map { _ in nextNormal() }
    let norm = z.reduce(0) { $0 + $1 * $1 }.squareRoot()
    for i in z.indices { z[i] /= norm }
    return z
  }
}
