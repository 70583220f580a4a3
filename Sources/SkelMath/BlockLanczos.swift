import CBLAS

/// The largest eigenvalues of a symmetric matrix known only through products A·V: block Lanczos
/// with full reorthogonalization (Golub–Underwood; the block Krylov space of Musco–Musco 2015),
/// Rayleigh–Ritz on the whole basis, and thick restarts (Wu–Simon 2000, by blocks) that keep the
/// basis within `maxBasis` columns whatever the number of steps. Each step multiplies one block
/// of `block` vectors and keeps Q (the orthonormal basis) and W = A·Q, so T = Qᵀ·W is exact for
/// every basis vector and no product is repeated; a restart keeps the best Ritz vectors Y = Q·S
/// with their images A·Y = W·S (no product) and continues the Krylov space from the block the
/// last step would have added. For a matrix stored as tiles one step is one pass over the
/// tiles; memory is 2·n·`maxBasis` doubles.
///
/// Certification: the i-th largest Ritz value θᵢ of any subspace is at most λᵢ (Cauchy
/// interlacing), and with residual rᵢ = ‖A·yᵢ − θᵢ·yᵢ‖ and δᵢ the distance from θᵢ to the other
/// Ritz values less their own residuals (an interval free of other eigenvalues once the
/// spectrum near θᵢ is resolved), Kato–Temple gives 0 ≤ λᵢ − θᵢ ≤ rᵢ²/δᵢ.
public enum BlockLanczos {
  public struct Result: Sendable, Equatable {
    /// The k largest Ritz values, descending.
    public var values: [Double]
    /// ‖A·y − θ·y‖ of each, ‖y‖ = 1.
    public var residuals: [Double]
    /// rᵢ²/δᵢ of each (δᵢ: the distance to the nearest other Ritz value less that value's
    /// residual; infinite when that is not positive): the Kato–Temple bound on λᵢ − θᵢ.
    public var errorBounds: [Double]
    /// Block products A·V computed (for tiles: passes over the tiles).
    public var products: Int
    /// Thick restarts made (each kept the basis within `maxBasis` columns).
    public var restarts: Int
    /// Whether every wanted value met the tolerance.
    public var converged: Bool
  }

  /// Block size, basis bound and product budget of a run.
  public struct Budget: Sendable, Equatable {
    /// Vectors multiplied per step.
    public var block: Int
    /// Columns of the basis kept at most (memory: 2·n·maxBasis doubles); a restart when full.
    public var maxBasis: Int
    /// Block products at most (the time: for tiles, passes over the matrix).
    public var maxProducts: Int

    /// The defaults for the k largest of n: blocks of max(k + 8, 2k), a basis of 10 blocks (at
    /// least 200 columns), and products for 3 fillings of that basis.
    public init(order n: Int, count k: Int, block: Int? = nil, maxBasis: Int? = nil, maxProducts: Int? = nil) {
      let b = max(1, min(n, block ?? max(k + 8, 2 * k)))
      self.block = b
      // room for the kept vectors (k and a block) and two blocks more
      self.maxBasis = min(n, max(maxBasis ?? max(10 * b, 200), min(n, k + 3 * b)))
      self.maxProducts = max(1, maxProducts ?? 3 * ((self.maxBasis + b - 1) / b))
    }
  }

  /// The `count` largest eigenvalues of the n × n symmetric operator `multiply` (A·V for V n × b).
  /// Stops when every wanted value's error bound is at most `tolerance`·|θ| (or its residual is at
  /// rounding level, 1e-14·|θ₁|), when the basis spans the whole space, or after
  /// `maxProducts` products (then `converged` is false). See `Budget` for the defaults.
  public static func largestEigenvalues(
    order n: Int, count k: Int, block: Int? = nil, maxBasis: Int? = nil, maxProducts: Int? = nil, tolerance: Double = 1e-13,
    seed: UInt64 = 1, multiply: (Matrix) throws -> Matrix
  ) throws -> Result {
    let k = max(0, min(k, n))
    if k == 0 { return Result(values: [], residuals: [], errorBounds: [], products: 0, restarts: 0, converged: true) }
    let budget = Budget(order: n, count: k, block: block, maxBasis: maxBasis, maxProducts: maxProducts)
    let b = budget.block
    var g = SeededGenerator(seed: seed)
    var q = try Matrix.randomOrthonormalColumns(rows: n, columns: b, generator: &g)
    var space = Space(rows: n)
    var products = 0, restarts = 0
    while true {
      let w = try multiply(q)
      products += 1
      space.append(q, w)
      let ritz = try Ritz(space, k: k, extra: b)
      let done = ritz.certified(k: k, tolerance: tolerance)
      // a further block would not fit in the space (its projection would be rank-deficient)
      let full = space.q.columns + b > n
      if done || full || products >= budget.maxProducts {
        return Result(
          values: Array(ritz.values.prefix(k)), residuals: Array(ritz.residuals.prefix(k)), errorBounds: ritz.bounds(k: k),
          products: products, restarts: restarts, converged: done)
      }
      // the next block: W_j with the basis projected out (twice: classical Gram–Schmidt is
      // orthogonal to working precision only after a second pass), orthonormalized, and once more
      var next = try orthonormalized(projectOut(space.q, projectOut(space.q, w)))
      next = try orthonormalized(projectOut(space.q, next))
      if space.q.columns + b > budget.maxBasis {
        // thick restart: the best Ritz vectors and their images; `next` is orthogonal to them
        let keep = min(space.q.columns - 1, budget.maxBasis - b, max(k + b, budget.maxBasis / 2))
        space.restart(ritz.leading(keep))
        restarts += 1
      }
      q = next
    }
  }

  /// The basis Q (n × m), its images W = A·Q, and T = QᵀW and G = WᵀW (m × m), kept up to date
  /// as blocks are added (4·n·m·b flops a block rather than 4·n·m²) and carried through a
  /// restart onto Q·S (Sᵀ·T·S, Sᵀ·G·S: no product with A).
  struct Space {
    var q: Matrix, w: Matrix, t: Matrix, g: Matrix

    init(rows n: Int) {
      q = Matrix(rows: n, columns: 0)
      w = q
      t = Matrix(rows: 0, columns: 0)
      g = t
    }

    /// Adds the block V (n × b) with its images A·V.
    mutating func append(_ v: Matrix, _ av: Matrix) {
      let wa = transposedProduct(w, av)
      t = Self.bordered(t, right: transposedProduct(q, av), bottom: transposedProduct(v, w), corner: transposedProduct(v, av))
      g = Self.bordered(g, right: wa, bottom: wa.transposed, corner: transposedProduct(av, av))
      q = q.appendingColumns(v)
      w = w.appendingColumns(av)
    }

    /// The basis Q·S (S: m × p with orthonormal columns) and its images W·S.
    mutating func restart(_ s: Matrix) {
      q = q * s
      w = w * s
      t = transposedProduct(s, t * s)
      g = transposedProduct(s, g * s)
    }

    /// [[a, right], [bottom, corner]].
    static func bordered(_ a: Matrix, right: Matrix, bottom: Matrix, corner: Matrix) -> Matrix {
      let m = a.rows, b = corner.rows, c = m + b
      var out = Matrix(rows: c, columns: c)
      for i in 0..<m {
        for j in 0..<m { out.storage[i * c + j] = a.storage[i * m + j] }
        for j in 0..<b { out.storage[i * c + m + j] = right.storage[i * b + j] }
      }
      for i in 0..<b {
        for j in 0..<m { out.storage[(m + i) * c + j] = bottom.storage[i * m + j] }
        for j in 0..<b { out.storage[(m + i) * c + m + j] = corner.storage[i * b + j] }
      }
      return out
    }
  }

  /// Rayleigh–Ritz on span(Q) with W = A·Q: every Ritz value (descending), the eigenvectors of
  /// T = QᵀW, and residual norms — exact for the top `exact` pairs, and from ‖W·s‖² − θ² (good
  /// to about √ε·|θ|, enough for the gaps) for the others.
  struct Ritz {
    var values: [Double]
    var residuals: [Double]
    /// Eigenvectors of T, column c for `values[c]` (m × m, row-major).
    var s: Matrix

    init(_ space: Space, k: Int, extra: Int) throws {
      var t = space.t
      let m = t.rows
      for i in 0..<m {
        for j in (i + 1)..<m {
          let v = (t[i, j] + t[j, i]) / 2
          t[i, j] = v
          t[j, i] = v
        }
      }
      let (theta, vectors) = try t.symmetricEigen()
      // descending: column c of s is column m − 1 − c of the eigenvectors
      var sv = Matrix(rows: m, columns: m)
      for c in 0..<m { for r in 0..<m { sv[r, c] = vectors[r, m - 1 - c] } }
      let thetas = (0..<m).map { theta[m - 1 - $0] }
      // all of them first from G = WᵀW: ‖W s‖² − θ²
      let gs = space.g * sv
      residuals = (0..<m).map { c in
        var acc = 0.0
        for r in 0..<m { acc += sv[r, c] * gs[r, c] }
        return max(0, acc - thetas[c] * thetas[c]).squareRoot()
      }
      s = sv
      values = thetas
      // then the top ones exactly
      let exact = min(m, k + extra)
      let sk = leading(exact), q = space.q
      let y = q * sk, ay = space.w * sk
      for c in 0..<exact {
        var acc = 0.0, norm = 0.0
        for r in 0..<q.rows {
          let d = ay[r, c] - values[c] * y[r, c]
          acc += d * d
          norm += y[r, c] * y[r, c]
        }
        residuals[c] = (acc / max(norm, .leastNormalMagnitude)).squareRoot()
      }
    }

    /// rᵢ²/δᵢ for the top k (δᵢ = min over j ≠ i of |θᵢ − θⱼ| − rⱼ; infinite when not positive).
    func bounds(k: Int) -> [Double] {
      (0..<min(k, values.count)).map { i in
        var gap = Double.infinity
        for j in values.indices where j != i { gap = min(gap, abs(values[i] - values[j]) - residuals[j]) }
        return gap > 0 ? residuals[i] * residuals[i] / gap : .infinity
      }
    }

    /// Whether every one of the top k is within `tolerance` (relative), or has a residual at
    /// rounding level.
    func certified(k: Int, tolerance: Double) -> Bool {
      guard values.count >= k else { return false }
      let scale = max(abs(values.first ?? 0), .leastNormalMagnitude)
      return zip(bounds(k: k), values).enumerated().allSatisfy { i, p in
        residuals[i] <= 1e-14 * scale || p.0 <= tolerance * abs(p.1)
      }
    }

    /// The first `count` columns of S: the coefficients of the top `count` Ritz vectors.
    func leading(_ count: Int) -> Matrix {
      var sk = Matrix(rows: s.rows, columns: count)
      for c in 0..<count { for r in 0..<s.rows { sk[r, c] = s[r, c] } }
      return sk
    }
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
