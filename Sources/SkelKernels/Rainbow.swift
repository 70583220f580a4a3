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

extension Rainbow {
  /// The smallest normalized alignment error min_A Σ‖A φ′ − φ‖²/Σ‖φ‖² over orthogonal A, from the
  /// two n × n Gram matrices G = ΦΦᵀ and G′ = Φ′Φ′ᵀ alone: the optimum is
  /// (tr G + tr G′ − 2‖ΦᵀΦ′‖_*)/tr G, and the nuclear norm ‖ΦᵀΦ′‖_* = tr (G^{1/2} G′ G^{1/2})^{1/2}
  /// (the fidelity of Bures). O(n³) whatever the widths — for wide layers, far cheaper than the SVD
  /// of the d × d′ cross-covariance. Assumes d ≥ d′ or that the rotation may map onto a subspace.
  public static func alignmentError(gram g: Matrix, gram g2: Matrix) throws(LinearAlgebraError) -> Double {
    let n = g.rows
    let (values, vectors) = try g.symmetricEigen()
    // G^{1/2} = V diag(√λ) Vᵀ
    // eigenvalues at rounding level (rank-deficient G: n > width) are zeros; their square roots
    // (≈ 1e-7 for 1e-14) would otherwise leak into the nuclear norm
    let floor = 1e-12 * (values.last ?? 0)
    var scaled = vectors
    for i in 0..<n { for k in 0..<n { scaled[i, k] *= values[k] > floor ? values[k].squareRoot() : 0 } }
    let root = scaled * vectors.transposed
    let m = root * g2 * root
    let mu = try m.symmetricEigenvalues()
    let muFloor = 1e-12 * (mu.last ?? 0)
    let nuclear = mu.reduce(0) { $0 + ($1 > muFloor ? $1.squareRoot() : 0) }
    var trG = 0.0, trG2 = 0.0
    for i in 0..<n {
      trG += g[i, i]
      trG2 += g2[i, i]
    }
    return max(0, trG + trG2 - 2 * nuclear) / trG
  }

  /// Eigenvalues of the empirical covariance WᵀW/N of N atoms (rows of W), normalized to mean 1.
  public static func normalizedCovarianceSpectrum(_ w: Matrix) throws(LinearAlgebraError) -> [Double] {
    let c = w.transposed.gram(dividedBy: Double(w.rows))
    let ev = try c.symmetricEigenvalues()
    let mean = ev.reduce(0, +) / Double(ev.count)
    return ev.map { $0 / mean }
  }

  /// The Marchenko–Pastur density of the eigenvalues of a white covariance estimate with aspect
  /// ratio q = d/N ≤ 1 (variance 1): √((λ₊ − λ)(λ − λ₋))/(2πqλ) on [λ₋, λ₊], λ± = (1 ± √q)².
  public static func marchenkoPastur(_ lambda: Double, q: Double) -> Double {
    let lo = (1 - q.squareRoot()) * (1 - q.squareRoot()), hi = (1 + q.squareRoot()) * (1 + q.squareRoot())
    guard lambda > lo, lambda < hi else { return 0 }
    return ((hi - lambda) * (lambda - lo)).squareRoot() / (2 * Double.pi * q * lambda)
  }

  /// The edges of the Marchenko–Pastur bulk, (1 ∓ √q)².
  public static func marchenkoPasturEdges(q: Double) -> (lower: Double, upper: Double) {
    ((1 - q.squareRoot()) * (1 - q.squareRoot()), (1 + q.squareRoot()) * (1 + q.squareRoot()))
  }
}
