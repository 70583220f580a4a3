import SkelMath

/// Kernel state flowing through layers, as neural-tangents' `Kernel` (trimmed): the NNGP
/// covariance between two batches, the NTK, and the variances of each batch.
///
/// - `nngp[i, j]` = Σ(xᵢ, x′ⱼ), `ntk[i, j]` = Θ(xᵢ, x′ⱼ) (nil when only the NNGP is wanted);
/// - `cov1[i]` = Σ(xᵢ, xᵢ), `cov2[j]` = Σ(x′ⱼ, x′ⱼ);
/// - `isGaussian`: true right after an affine layer (an activation needs Gaussian inputs).
/// Layers never mutate a state: they return a new one.
public struct KernelState: Sendable, Equatable {
  public var nngp: Matrix
  public var ntk: Matrix?
  public var cov1: [Double]
  public var cov2: [Double]
  public var isGaussian: Bool

  public init(nngp: Matrix, ntk: Matrix?, cov1: [Double], cov2: [Double], isGaussian: Bool) {
    precondition(
      nngp.rows == cov1.count && nngp.columns == cov2.count,
      "kernel shape \(nngp.rows)×\(nngp.columns) vs variances \(cov1.count), \(cov2.count)")
    self.nngp = nngp
    self.ntk = ntk
    self.cov1 = cov1
    self.cov2 = cov2
    self.isGaussian = isGaussian
  }

  /// The input kernel of NT: ⟨x, x′⟩/d (Gram through BLAS `dsyrk`), NTK 0.
  public static func inputs(_ x: Matrix, computeNTK: Bool = true) -> KernelState {
    let g = x.gram(dividedBy: Double(x.columns))
    let diag = (0..<x.rows).map { g[$0, $0] }
    return KernelState(
      nngp: g, ntk: computeNTK ? Matrix(rows: x.rows, columns: x.rows) : nil, cov1: diag, cov2: diag, isGaussian: false)
  }

  /// One pair of inputs per correlation: variances q₁₁, q₂₂ and covariances q₁₂ = ρ·√(q₁₁q₂₂)
  /// for each ρ, as a 1 × n state (a curve over ρ in one pass).
  public static func pairs(correlations rho: [Double], q11: Double = 1, q22: Double = 1, computeNTK: Bool = true) -> KernelState {
    let root = (q11 * q22).squareRoot()
    return KernelState(
      nngp: Matrix(rows: 1, columns: rho.count, storage: rho.map { $0 * root }),
      ntk: computeNTK ? Matrix(rows: 1, columns: rho.count) : nil, cov1: [q11],
      cov2: [Double](repeating: q22, count: rho.count), isGaussian: false)
  }

  /// The NTK's diagonal Θ(x, x) is not tracked (as in NT); for it, run the state of x with itself.
  public var correlations: Matrix {
    var c = nngp
    for i in 0..<nngp.rows {
      for j in 0..<nngp.columns {
        let root = (cov1[i] * cov2[j]).squareRoot()
        c[i, j] = root > 0 ? min(1, max(-1, nngp[i, j] / root)) : 0
      }
    }
    return c
  }
}

/// Errors a layer raises at the boundary, naming the layer and the fix (NT's `_elementwise`).
public enum KernelError: Error, Sendable, Equatable, CustomStringConvertible {
  case notGaussian(layer: String)
  case shapeMismatch(String)
  case invalid(String)

  public var description: String {
    switch self {
    case .notGaussian(let layer):
      return "the input to the activation '\(layer)' must be Gaussian: put a dense (affine) layer before it"
    case .shapeMismatch(let s): return "kernel shapes do not match: \(s)"
    case .invalid(let s): return s
    }
  }
}
