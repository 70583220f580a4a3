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
  /// The parts of the truncation tail Σ_{k≥K} aₖ² over even and odd k: E[σₑ²] − Σ_{even k<K} aₖ²
  /// with σₑ(x) = (σ(x) + σ(−x))/2, and the same for the odd part (each clamped at 0).
  public let evenTail: Double, oddTail: Double

  public init(_ activation: Activation, variance q: Double = 1, terms: Int = 60) {
    self.init(function: { activation($0) }, variance: q, terms: terms)
  }

  /// The series of any function (for example an activation's derivative).
  public init(function: (Double) -> Double, variance q: Double = 1, terms: Int = 60) {
    let root = q.squareRoot()
    let norm = 1 / (2 * Double.pi).squareRoot()
    variance = q
    secondMoment =
      GaussKronrod.integrate(
        { z in norm * exp(-z * z / 2) * function(root * z) * function(root * z) },
        from: -40, to: 40, breakpoints: [0], absolute: 1e-17, relative: 1e-14
      ).value
    let a = (0..<terms).map { k in
      GaussKronrod.integrate(
        { z in norm * exp(-z * z / 2) * function(root * z) * Hermite.normalized(k, z) },
        from: -40, to: 40, breakpoints: [0], absolute: 1e-17, relative: 1e-14
      ).value
    }
    coefficients = a
    func part(_ sign: Double) -> Double {
      GaussKronrod.integrate(
        { z in
          let v = (function(root * z) + sign * function(-root * z)) / 2
          return norm * exp(-z * z / 2) * v * v
        },
        from: -40, to: 40, breakpoints: [0], absolute: 1e-17, relative: 1e-14
      ).value
    }
    let even = stride(from: 0, to: terms, by: 2).reduce(0.0) { $0 + a[$1] * a[$1] }
    let odd = stride(from: 1, to: terms, by: 2).reduce(0.0) { $0 + a[$1] * a[$1] }
    evenTail = max(0, part(1) - even)
    oddTail = max(0, part(-1) - odd)
  }

  /// The first even and the first odd index not in the series.
  var tailIndices: (even: Int, odd: Int) {
    let k = coefficients.count
    return k % 2 == 0 ? (k, k + 1) : (k + 1, k)
  }

  /// Σₖ aₖ² cᵏ plus the known tail: tₑ cᴷᵉ + tₒ cᴷᵒ (tₑ, tₒ the even and odd tails, Kₑ, Kₒ the
  /// first even and odd indices left out). Exact at c = ±1 (σ̂(±1) from the full second moments,
  /// not 0.97 for step after 80 terms), and within `tailError(correlation:)` everywhere else:
  /// each left-out term aₖ²cᵏ lies between 0 and aₖ²|c|^{Kₑ} (even k) or ±aₖ²|c|^{Kₒ} (odd k).
  public func kernelWithTail(correlation c: Double) -> Double {
    let (ke, ko) = tailIndices
    return kernel(correlation: c) + evenTail * Libm.pow(c, Double(ke)) + oddTail * Libm.pow(c, Double(ko))
  }

  /// The bound on |kernelWithTail(c) − E[σ(u)σ(v)]|: tₑ|c|^{Kₑ} + tₒ|c|^{Kₒ}, 0 at |c| = 1
  /// (up to the quadrature error of the coefficients).
  public func tailError(correlation c: Double) -> Double {
    let (ke, ko) = tailIndices
    let a = abs(c)
    return abs(c) >= 1 ? 0 : evenTail * Libm.pow(a, Double(ke)) + oddTail * Libm.pow(a, Double(ko))
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
