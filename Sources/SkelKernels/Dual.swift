#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Dual activations in Daniely's normalization.
///
/// ```
/// σ̂(ρ) = E[σ(X) σ(Y)],   (X, Y) standard bivariate normal with correlation ρ ∈ [−1, 1]
/// ```
/// For a normalized σ, σ̂ maps [−1, 1] into [−1, 1] with σ̂(1) = 1. Values are closed forms
/// (science.md §2(a)); ρ is clamped to [−1, 1] so rounding just outside never yields NaN.
public enum Dual {
  /// The normalized dual σ̂(ρ) in closed form.
  ///
  /// - Parameters:
  ///   - activation: a normalized activation.
  ///   - rho: the correlation ρ; values outside [−1, 1] by rounding are clamped.
  /// - Returns: σ̂(ρ), finite on the whole closed interval, including ρ = ±1.
  public static func normalized(_ activation: Activation, at rho: Double) -> Double {
    let r = min(1, max(-1, rho))
    switch activation {
    case .identity:
      return r
    case .relu:
      // (√(1−ρ²) + (π − arccos ρ)·ρ)/π, arc-cosine kernel of degree 1 (Cho & Saul 2009).
      return (sqrtOneMinusSquare(r) + (Double.pi - acos(r)) * r) / Double.pi
    case .step:
      // (π − arccos ρ)/π, arc-cosine kernel of degree 0.
      return (Double.pi - acos(r)) / Double.pi
    case .exponential(let a):
      return exp(a * a * (r - 1))
    case .sign:
      return 2 / Double.pi * asin(r)
    case .abs:
      return 2 / Double.pi * (sqrtOneMinusSquare(r) + r * asin(r))
    case .hermite2:
      return r * r
    }
  }

  /// Evaluates the dual on a grid of correlations.
  public static func normalized(_ activation: Activation, on rhos: [Double]) -> [Double] {
    rhos.map { normalized(activation, at: $0) }
  }

  /// √(1 − ρ²) computed as √((1 − ρ)(1 + ρ)), accurate near ρ = ±1.
  @inline(__always) static func sqrtOneMinusSquare(_ r: Double) -> Double {
    ((1 - r) * (1 + r)).squareRoot()
  }
}
