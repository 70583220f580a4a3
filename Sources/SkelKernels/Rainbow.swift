import SkelMath

/// Rainbow networks (Guth, Ménard, Rochette, Mallat 2024): Gaussian weights with a learned
/// covariance C per layer, and the rotations that align two networks' activations.
public enum Rainbow {
  /// The Gaussian rainbow ReLU kernel E_{w ~ N(0, C)}[relu(w·φ) relu(w·φ′)]:
  /// the §1 map on q₁₁ = φᵀCφ, q₂₂ = φ′ᵀCφ′, q₁₂ = φᵀCφ′, i.e. √(q₁₁q₂₂) J(θ)/(2π).
  public static func reluKernel(covariance c: Matrix, _ phi: [Double], _ phi2: [Double]) -> Double {
    func quad(_ a: [Double], _ b: [Double]) -> Double {
      var s = 0.0
      for i in a.indices { for j in b.indices { s += a[i] * c[i, j] * b[j] } }
      return s
    }
    return Activation.relu.kernel(q11: quad(phi, phi), q22: quad(phi2, phi2), q12: quad(phi, phi2)).nngp
  }

  /// Orthogonal Procrustes: the rotation A minimizing Σ‖A φ′ₖ − φₖ‖² over samples k, from the SVD of
  /// the cross-covariance S = Σ φₖ φ′ₖᵀ = U Σ Vᵀ, A = U Vᵀ. Rows of `reference` and `other` are
  /// samples (n × d and n × d′). Returns A (d × d′) and the normalized alignment error
  /// Σ‖A φ′ − φ‖² / Σ‖φ‖².
  public static func align(reference: Matrix, other: Matrix) throws(LinearAlgebraError) -> (rotation: Matrix, error: Double) {
    let s = reference.transposed * other  // d × d′
    let (u, _, vt) = try s.svd()
    let a = u * vt
    let aligned = other * a.transposed  // n × d
    var num = 0.0, den = 0.0
    for i in aligned.storage.indices {
      let e = aligned.storage[i] - reference.storage[i]
      num += e * e
      den += reference.storage[i] * reference.storage[i]
    }
    return (a, den > 0 ? num / den : 0)
  }
}
