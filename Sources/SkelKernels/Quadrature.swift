import SkelMath

/// Dual activations by two-dimensional Gauss–Hermite quadrature: an independent route that checks
/// the closed forms and serves activations with none.
///
/// With X = Z₁ and Y = ρZ₁ + √(1−ρ²) Z₂ for independent standard normals,
/// ```
/// σ̂(ρ) = E[σ(Z₁) σ(ρZ₁ + √(1−ρ²) Z₂)] ≈ Σᵢ Σⱼ wᵢ wⱼ σ(zᵢ) σ(ρ zᵢ + √(1−ρ²) zⱼ)
/// ```
/// Accurate to many digits for smooth σ; for kinks (ReLU, step) the error decays only
/// algebraically in the order.
public struct DualQuadrature: Sendable {
  public let rule: GaussHermite

  public init(order: Int) { rule = GaussHermite(order: order) }

  public func dual(_ sigma: (Double) -> Double, at rho: Double) -> Double {
    let r = min(1, max(-1, rho))
    let s = ((1 - r) * (1 + r)).squareRoot()
    var total = 0.0
    for i in rule.nodes.indices {
      let zi = rule.nodes[i]
      let a = sigma(zi)
      if a == 0 { continue }
      var inner = 0.0
      for j in rule.nodes.indices { inner += rule.weights[j] * sigma(r * zi + s * rule.nodes[j]) }
      total += rule.weights[i] * a * inner
    }
    return total
  }

  public func dual(_ activation: Activation, at rho: Double) -> Double {
    dual({ activation($0) }, at: rho)
  }
}
