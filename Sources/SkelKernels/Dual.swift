/// Dual activations in Daniely's normalization.
///
/// ```
/// σ̂(ρ) = E[σ(X)σ(Y)] / E[σ(X)²],   (X, Y) standard bivariate normal with correlation ρ
/// ```
/// Dividing by E[σ²] is what Daniely et al. do by normalizing σ itself (√2·ReLU, √2·step,
/// e^{x−1}), so the normalized dual of NT's raw kernel F is F(1, 1, ρ)/F(1, 1, 1) (science.md
/// §1.5). σ̂ maps [−1, 1] into [−1, 1] with σ̂(1) = 1. ρ is clamped to [−1, 1].
public enum Dual {
  public static func normalized(_ activation: Activation, at rho: Double) -> Double {
    let r = min(1, max(-1, rho))
    return activation.kernel(q11: 1, q22: 1, q12: r).nngp / variance(activation)
  }

  /// σ̂′(ρ) = E[σ′(X)σ′(Y)] / E[σ(X)²], the dual of the derivative (the NTK factor).
  public static func normalizedDerivative(_ activation: Activation, at rho: Double) -> Double {
    let r = min(1, max(-1, rho))
    return activation.kernel(q11: 1, q22: 1, q12: r).dot / variance(activation)
  }

  public static func normalized(_ activation: Activation, on rhos: [Double]) -> [Double] {
    let v = variance(activation)
    return rhos.map { r in
      let c = min(1, max(-1, r))
      return activation.kernel(q11: 1, q22: 1, q12: c).nngp / v
    }
  }

  /// E[σ(Z)²] for Z ~ N(0, 1).
  public static func variance(_ activation: Activation) -> Double {
    activation.kernel(q11: 1, q22: 1, q12: 1).nngp
  }
}
