import CBLAS

/// The largest eigenvalues of a symmetric matrix known only through products A·V: block Lanczos
/// with full reorthogonalization (Golub–Underwood; the block Krylov space of Musco–Musco 2015) and
/// Rayleigh–Ritz on the whole basis. Each step multiplies one block of `block` vectors, keeps
/// Q (the orthonormal basis) and W = A·Q, so T = Qᵀ·W is exact for every basis vector and no
/// product is repeated; the residual of Ritz pair i is ‖W·sᵢ − θᵢ·Q·sᵢ‖, and a pair with residual r
/// has |θ − λ| ≤ r²/gap (Kato–Temple). For a matrix stored as tiles, one step is one pass over
/// the tiles; memory is 2·n·(basis size) doubles.
public enum BlockLanczos {
  public struct Result: Sendable, Equatable {
    /// The k largest Ritz values, descending.
    public var values: [Double]
    /// ‖A·y − θ·y‖ of each, ‖y‖ = 1.
    public var residuals: [Double]
    /// r²/gap of each (gap: the distance to the nearest other Ritz value): the Kato–Temple bound
    /// on |θ − λ| once the Ritz values have settled.
    public var errorBounds: [Double]
    /// Block products A·V computed.
    public var products: Int
    /// Whether every residual met the tolerance.
    public var converged: Bool
  }

  /// The `count` largest eigenvalues of the n × n symmetric operator `multiply` (A·V for V n × b).
  /// Stops when every wanted value's error bound is at most `tolerance`·|θ| (or its residual is at
  /// rounding level, 1e-14·|θ₁|), or the basis would exceed `maxBasis` columns or n (then
  /// `converged` is false).
  public static func largestEigenvalues(
    order n: Int, count k: Int, block: Int? = nil, maxBasis: Int? = nil, tolerance: Double = 1e-13, seed: UInt64 = 1,
    multiply: (Matrix) throws -> Matrix
  ) throws -> Result {
    let k = max(0, min(k, n))
    if k == 0 { return Result(values: [], residuals: [], errorBounds: [], products: 0, converged: true) }
    let b = min(n, block ?? max(k + 8, 2 * k))
    let limit = min(n, maxBasis ?? max(20 * b, 200))
    var g = SeededGenerator(seed: seed)
    var q = try Matrix.randomOrthonormalColumns(rows: n, columns: b, generator: &g)
    var basis = Matrix(rows: n, columns: 0), images = Matrix(rows: n, columns: 0)
    var products = 0
    while true {
      let w = try multiply(q)
      products += 1
      basis = basis.appendingColumns(q)
      images = images.appendingColumns(w)
      let (values, residuals, gaps) = try ritz(basis, images, k: k)
      let scale = max(abs(values.first ?? 0), .leastNormalMagnitude)
      let bounds = zip(residuals, gaps).map { r, g in g > 0 ? r * r / g : .infinity }
      let done = values.indices.allSatisfy { i in residuals[i] <= 1e-14 * scale || bounds[i] <= tolerance * abs(values[i]) }
      if done || basis.columns + b > limit || basis.columns >= n {
        return Result(values: values, residuals: residuals, errorBounds: bounds, products: products, converged: done)
      }
      // the next block: W_j with the basis projected out (twice: classical Gram–Schmidt is
      // orthogonal to working precision only after a second pass), orthonormalized, and once more
      var next = try orthonormalized(projectOut(basis, projectOut(basis, w)))
      next = try orthonormalized(projectOut(basis, next))
      q = next
    }
  }

  /// The k largest Ritz values of span(Q), their residual norms and their gaps to the nearest
  /// other Ritz value.
  static func ritz(_ q: Matrix, _ w: Matrix, k: Int) throws -> (values: [Double], residuals: [Double], gaps: [Double]) {
    var t = transposedProduct(q, w)
    let m = t.rows
    for i in 0..<m {
      for j in (i + 1)..<m {
        let s = (t[i, j] + t[j, i]) / 2
        t[i, j] = s
        t[j, i] = s
      }
    }
    let (theta, s) = try t.symmetricEigen()
    let want = min(k, m)
    // columns m−1, m−2, … of S (descending θ)
    var sk = Matrix(rows: m, columns: want)
    for c in 0..<want { for r in 0..<m { sk[r, c] = s[r, m - 1 - c] } }
    let y = q * sk, ay = w * sk
    var values: [Double] = [], residuals: [Double] = [], gaps: [Double] = []
    for c in 0..<want {
      let th = theta[m - 1 - c]
      let above = c > 0 ? theta[m - c] - th : Double.infinity, below = m - 2 - c >= 0 ? th - theta[m - 2 - c] : Double.infinity
      gaps.append(min(above, below))
      var acc = 0.0, norm = 0.0
      for r in 0..<q.rows {
        let d = ay[r, c] - th * y[r, c]
        acc += d * d
        norm += y[r, c] * y[r, c]
      }
      values.append(th)
      residuals.append((acc / max(norm, .leastNormalMagnitude)).squareRoot())
    }
    return (values, residuals, gaps)
  }

  /// V − Q·(Qᵀ·V).
  static func projectOut(_ q: Matrix, _ v: Matrix) -> Matrix {
    if q.columns == 0 { return v }
    let c = transposedProduct(q, v)
    var out = v
    out.storage.withUnsafeMutableBufferPointer { ob in
      q.storage.withUnsafeBufferPointer { qb in
        c.storage.withUnsafeBufferPointer { cb in
          Compute.singleThreadedBLAS {
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(q.rows), Int32(v.columns), Int32(q.columns), -1, qb.baseAddress,
              Int32(q.columns), cb.baseAddress, Int32(v.columns), 1, ob.baseAddress, Int32(v.columns))
          }
        }
      }
    }
    return out
  }

  /// Aᵀ·B through `dgemm` (the other products are `Matrix.*`).
  static func transposedProduct(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.rows == b.rows, "transposedProduct: \(a.rows) and \(b.rows) rows")
    var c = Matrix(rows: a.columns, columns: b.columns)
    if a.columns == 0 || b.columns == 0 || a.rows == 0 { return c }
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        c.storage.withUnsafeMutableBufferPointer { pc in
          Compute.singleThreadedBLAS {
            cblas_dgemm(
              CblasRowMajor, CblasTrans, CblasNoTrans, Int32(a.columns), Int32(b.columns), Int32(a.rows), 1, pa.baseAddress,
              Int32(a.columns), pb.baseAddress, Int32(b.columns), 0, pc.baseAddress, Int32(b.columns))
          }
        }
      }
    }
    return c
  }

  /// An orthonormal basis of A's columns (n × b, n ≥ b) by Householder QR (`dgeqrf` + `dorgqr`).
  static func orthonormalized(_ a: Matrix) throws(LinearAlgebraError) -> Matrix {
    let m = a.rows, n = a.columns
    var cm = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { cm[j * m + i] = a.storage[i * n + j] } }
    _ = try Matrix.householderQ(columnMajor: &cm, rows: m, columns: n)
    var out = Matrix(rows: m, columns: n)
    for i in 0..<m { for j in 0..<n { out.storage[i * n + j] = cm[j * m + i] } }
    return out
  }
}

extension Matrix {
  /// [self, other] side by side (same rows).
  public func appendingColumns(_ other: Matrix) -> Matrix {
    precondition(rows == other.rows, "appendingColumns: \(rows) and \(other.rows) rows")
    let c = columns + other.columns
    var out = Matrix(rows: rows, columns: c)
    for i in 0..<rows {
      for j in 0..<columns { out.storage[i * c + j] = storage[i * columns + j] }
      for j in 0..<other.columns { out.storage[i * c + columns + j] = other.storage[i * other.columns + j] }
    }
    return out
  }
}
