import SkelMath

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// The Hermite route: σ(√q·z) = Σₖ aₖ(q) hₖ(z) in the orthonormal Hermite basis, so that
/// ```
/// E[σ(u)σ(v)] = Σₖ aₖ(q₁₁) aₖ(q₂₂) cᵏ,   c = q₁₂/√(q₁₁q₂₂)
/// ```
/// (science.md §1.4). Coefficients aₖ(q) = E[σ(√q Z) hₖ(Z)] are computed by adaptive
/// Gauss–Kronrod with a breakpoint at 0, so kinked activations get accurate coefficients too.
public struct HermiteSeries: Sendable {
  public let coefficients: [Double]
  public let variance: Double
  /// E[σ(√q Z)²] = Σₖ aₖ² over all k, by 1-D quadrature (the truncated sum misses the tail).
  public let secondMoment: Double

  public init(_ activation: Activation, variance q: Double = 1, terms: Int = 60) {
    self.init(function: { activation($0) }, variance: q, terms: terms)
  }

  /// The series of any function (for example an activation's derivative).
  public init(function: (Double) -> Double, variance q: Double = 1, terms: Int = 60) {
    let root = q.squareRoot()
    let norm = 1 / (2 * Double.pi).squareRoot()
    variance = q
    secondMoment = GaussKronrod.integrate(
      { z in norm * exp(-z * z / 2) * function(root * z) * function(root * z) },
      from: -40, to: 40, breakpoints: [0], absolute: 1e-17, relative: 1e-14
    ).value
    coefficients = (0..<terms).map { k in
      GaussKronrod.integrate(
        { z in norm * exp(-z * z / 2) * function(root * z) * Hermite.normalized(k, z) },
        from: -40, to: 40, breakpoints: [0], absolute: 1e-17, relative: 1e-14
      ).value
    }
  }

  /// Σₖ aₖ² cᵏ for equal variances (Horner).
  public func kernel(correlation c: Double) -> Double {
    coefficients.reversed().reduce(0) { $0 * c + $1 * $1 }
  }

  /// Taylor coefficients of the normalized dual: aₖ² / E[σ²].
  public func normalizedTaylor(count: Int) -> [Double] {
    coefficients.prefix(count).map { $0 * $0 / secondMoment }
  }
}
