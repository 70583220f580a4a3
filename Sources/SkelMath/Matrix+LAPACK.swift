import CBLAS

/// Dense linear algebra through LAPACK (inside OpenBLAS): symmetric eigendecomposition
/// (`dsyevd`), Cholesky (`dpotrf`) and SVD (`dgesdd`). LAPACK runs with one OpenBLAS thread:
/// its threaded level-2 kernels (`dsymv` inside `dsytrd`) split sums across threads, so their last
/// bits would depend on the thread count, and results must not. Matrices are row-major here and
/// column-major in LAPACK; each wrapper says how it maps.
public enum LinearAlgebraError: Error, Equatable, Sendable {
  case notSquare(rows: Int, columns: Int)
  case notPositiveDefinite(order: Int)
  case lapack(routine: String, info: Int)
}

extension Matrix {
  /// C = A·B through `dgemm`.
  public static func * (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.columns == b.rows, "matrix product: \(a.rows)×\(a.columns) times \(b.rows)×\(b.columns)")
    var c = Matrix(rows: a.rows, columns: b.columns)
    a.storage.withUnsafeBufferPointer { pa in
      b.storage.withUnsafeBufferPointer { pb in
        c.storage.withUnsafeMutableBufferPointer { pc in
          Compute.singleThreadedBLAS {
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(a.rows), Int32(b.columns), Int32(a.columns), 1,
              pa.baseAddress, Int32(a.columns), pb.baseAddress, Int32(b.columns), 0, pc.baseAddress, Int32(b.columns))
          }
        }
      }
    }
    return c
  }

  public var transposed: Matrix {
    var t = Matrix(rows: columns, columns: rows)
    for i in 0..<rows { for j in 0..<columns { t[j, i] = self[i, j] } }
    return t
  }

  /// Eigenvalues (ascending) and orthonormal eigenvectors (as columns) of a symmetric matrix.
  /// A symmetric row-major matrix is its own column-major transpose, so it goes to LAPACK as is;
  /// the eigenvectors come back column-major and are transposed into columns of the result.
  public func symmetricEigen() throws(LinearAlgebraError) -> (values: [Double], vectors: Matrix) {
    let (w, a) = try dsyevd(vectors: true)
    // a is column-major: column k (eigenvector k) is a[k*n ..< (k+1)*n]
    var v = Matrix(rows: rows, columns: rows)
    for k in 0..<rows { for i in 0..<rows { v[i, k] = a[k * rows + i] } }
    return (w, v)
  }

  /// Eigenvalues only (ascending) of a symmetric matrix, `dsyevd` without vectors (several times faster).
  public func symmetricEigenvalues() throws(LinearAlgebraError) -> [Double] {
    try dsyevd(vectors: false).values
  }

  /// `dsyevd` with its workspace query: eigenvalues, and the overwritten matrix (the eigenvectors,
  /// column-major, when `vectors`).
  private func dsyevd(vectors: Bool) throws(LinearAlgebraError) -> (values: [Double], matrix: [Double]) {
    guard rows == columns else { throw .notSquare(rows: rows, columns: columns) }
    var n = Int32(rows), lda = Int32(rows), info: Int32 = 0
    var a = storage
    var w = [Double](repeating: 0, count: rows)
    var jobz = CChar(UInt8(ascii: vectors ? "V" : "N")), uplo = CChar(UInt8(ascii: "U"))
    var lwork: Int32 = -1, liwork: Int32 = -1
    var workSize = 0.0
    var iworkSize: Int32 = 0
    Compute.singleThreadedBLAS { dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &workSize, &lwork, &iworkSize, &liwork, &info) }
    lwork = Int32(workSize)
    liwork = iworkSize
    var work = [Double](repeating: 0, count: Int(lwork))
    var iwork = [Int32](repeating: 0, count: Int(max(1, liwork)))
    Compute.singleThreadedBLAS { dsyevd_(&jobz, &uplo, &n, &a, &lda, &w, &work, &lwork, &iwork, &liwork, &info) }
    guard info == 0 else { throw .lapack(routine: "dsyevd", info: Int(info)) }
    return (w, a)
  }

  /// y = A·x through `dgemv`.
  public func times(_ x: [Double]) -> [Double] {
    precondition(x.count == columns, "matrix–vector product: \(rows)×\(columns) times \(x.count)")
    return gemv(CblasNoTrans, x, outputs: rows)
  }

  /// y = Aᵀ·x through `dgemv`.
  public func transposedTimes(_ x: [Double]) -> [Double] {
    precondition(x.count == rows, "transposed matrix–vector product: (\(rows)×\(columns))ᵀ times \(x.count)")
    return gemv(CblasTrans, x, outputs: columns)
  }

  private func gemv(_ trans: CBLAS_TRANSPOSE, _ x: [Double], outputs: Int) -> [Double] {
    var y = [Double](repeating: 0, count: outputs)
    storage.withUnsafeBufferPointer { pa in
      Compute.singleThreadedBLAS {
        cblas_dgemv(CblasRowMajor, trans, Int32(rows), Int32(columns), 1, pa.baseAddress, Int32(columns), x, 1, 0, &y, 1)
      }
    }
    return y
  }

  /// The rows `range` of the matrix.
  public func rows(_ range: Range<Int>) -> Matrix {
    Matrix(rows: range.count, columns: columns, storage: Array(storage[(range.lowerBound * columns)..<(range.upperBound * columns)]))
  }

  /// The block A[rowRange, columnRange].
  public func block(_ rowRange: Range<Int>, _ columnRange: Range<Int>) -> Matrix {
    var out = Matrix(rows: rowRange.count, columns: columnRange.count)
    for (i, r) in rowRange.enumerated() {
      for (j, c) in columnRange.enumerated() { out.storage[i * columnRange.count + j] = storage[r * columns + c] }
    }
    return out
  }

  /// A Haar-distributed matrix with orthonormal columns (rows ≥ columns): the Q of a Gaussian
  /// matrix's QR factorization (`dgeqrf` + `dorgqr`), each column's sign fixed by R's diagonal so
  /// the law is exactly uniform (Mezzadri 2007).
  public static func randomOrthonormalColumns(rows m: Int, columns n: Int, generator g: inout SeededGenerator) throws(LinearAlgebraError)
    -> Matrix
  {
    precondition(m >= n, "orthonormal columns need rows ≥ columns")
    // column-major m × n Gaussian
    var a = (0..<(m * n)).map { _ in g.nextNormal() }
    let signs = try householderQ(columnMajor: &a, rows: m, columns: n).map { $0 < 0 ? -1.0 : 1.0 }
    var q = Matrix(rows: m, columns: n)
    for j in 0..<n { for i in 0..<m { q.storage[i * n + j] = a[j * m + i] * signs[j] } }
    return q
  }

  /// Householder QR of a column-major m × n matrix (m ≥ n) in place (`dgeqrf` + `dorgqr`): `a`
  /// becomes Q's n orthonormal columns; returns R's diagonal.
  static func householderQ(columnMajor a: inout [Double], rows m: Int, columns n: Int) throws(LinearAlgebraError) -> [Double] {
    var mm = Int32(m), nn = Int32(n), lda = Int32(m), info: Int32 = 0
    var tau = [Double](repeating: 0, count: n)
    var lwork: Int32 = -1
    var size = 0.0
    Compute.singleThreadedBLAS { dgeqrf_(&mm, &nn, &a, &lda, &tau, &size, &lwork, &info) }
    lwork = Int32(max(1, size))
    var work = [Double](repeating: 0, count: Int(lwork))
    Compute.singleThreadedBLAS { dgeqrf_(&mm, &nn, &a, &lda, &tau, &work, &lwork, &info) }
    guard info == 0 else { throw .lapack(routine: "dgeqrf", info: Int(info)) }
    let diagonal = (0..<n).map { a[$0 * m + $0] }
    lwork = -1
    Compute.singleThreadedBLAS { dorgqr_(&mm, &nn, &nn, &a, &lda, &tau, &size, &lwork, &info) }
    lwork = Int32(max(1, size))
    work = [Double](repeating: 0, count: Int(lwork))
    Compute.singleThreadedBLAS { dorgqr_(&mm, &nn, &nn, &a, &lda, &tau, &work, &lwork, &info) }
    guard info == 0 else { throw .lapack(routine: "dorgqr", info: Int(info)) }
    return diagonal
  }

  /// Solves A·X = B for symmetric positive definite A (`dpotrf` + `dpotrs`); B is n × k.
  public func solvePositiveDefinite(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    guard rows == columns else { throw .notSquare(rows: rows, columns: columns) }
    precondition(b.rows == rows, "right-hand side has \(b.rows) rows, expected \(rows)")
    var n = Int32(rows), lda = Int32(rows), info: Int32 = 0
    var a = storage
    var uplo = CChar(UInt8(ascii: "U"))
    Compute.singleThreadedBLAS { dpotrf_(&uplo, &n, &a, &lda, &info) }
    if info > 0 { throw .notPositiveDefinite(order: Int(info)) }
    guard info == 0 else { throw .lapack(routine: "dpotrf", info: Int(info)) }
    // dpotrs reads only the upper triangle (column-major) that dpotrf wrote: one copy of A
    return try Self.solve(upperFactor: &a, order: rows, b)
  }

  /// `dpotrs` on a column-major upper Cholesky factor (a row-major lower factor L is one):
  /// A·X = B for B n × k, given as row-major and returned row-major.
  private static func solve(upperFactor a: inout [Double], order: Int, _ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    var uplo = CChar(UInt8(ascii: "U"))
    var n = Int32(order), lda = Int32(max(1, order)), info: Int32 = 0
    // B column-major = Bᵀ row-major
    var x = b.transposed.storage
    var nrhs = Int32(b.columns), ldb = Int32(max(1, order))
    Compute.singleThreadedBLAS { dpotrs_(&uplo, &n, &nrhs, &a, &lda, &x, &ldb, &info) }
    guard info == 0 else { throw .lapack(routine: "dpotrs", info: Int(info)) }
    return Matrix(rows: b.columns, columns: order, storage: x).transposed
  }

  /// The lower Cholesky factor L with A = L·Lᵀ (A symmetric positive definite).
  public func cholesky() throws(LinearAlgebraError) -> Matrix {
    guard rows == columns else { throw .notSquare(rows: rows, columns: columns) }
    var n = Int32(rows), lda = Int32(rows), info: Int32 = 0
    var a = storage
    // column-major upper factor U (A = UᵀU) of A read column-major (= A, symmetric): Uᵀ = L row-major
    var uplo = CChar(UInt8(ascii: "U"))
    Compute.singleThreadedBLAS { dpotrf_(&uplo, &n, &a, &lda, &info) }
    if info > 0 { throw .notPositiveDefinite(order: Int(info)) }
    guard info == 0 else { throw .lapack(routine: "dpotrf", info: Int(info)) }
    var l = Matrix(rows: rows, columns: rows)
    // column-major U: U[i, j] = a[j*n + i] for i ≤ j; L = Uᵀ: L[j, i] = U[i, j]
    for j in 0..<rows { for i in 0...j { l[j, i] = a[j * rows + i] } }
    return l
  }

  /// Solves A·X = B given the lower Cholesky factor L of A (`self`, from `cholesky()`) by
  /// `dpotrs`: L row-major is the column-major upper factor U = Lᵀ that `dpotrf` writes.
  public func solvingWithCholeskyFactor(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    guard rows == columns else { throw .notSquare(rows: rows, columns: columns) }
    precondition(b.rows == rows, "right-hand side has \(b.rows) rows, expected \(rows)")
    var a = storage
    return try Self.solve(upperFactor: &a, order: rows, b)
  }

  /// Thin SVD A = U·diag(s)·Vᵀ (singular values descending).
  public func svd() throws(LinearAlgebraError) -> (u: Matrix, singularValues: [Double], vt: Matrix) {
    // LAPACK sees the row-major A (m×n) as the column-major Aᵀ (n×m): Aᵀ = U′ S V′ᵀ gives
    // A = V′ S U′ᵀ, so U = V′ and Vᵀ = U′ᵀ.
    let m = rows, n = columns, k = Swift.min(m, n)
    var jobz = CChar(UInt8(ascii: "S"))
    var mm = Int32(n), nn = Int32(m), lda = Int32(n), ldu = Int32(n), ldvt = Int32(k), info: Int32 = 0
    var a = storage
    var s = [Double](repeating: 0, count: k)
    var up = [Double](repeating: 0, count: n * k), vtp = [Double](repeating: 0, count: k * m)
    var iwork = [Int32](repeating: 0, count: 8 * k)
    var lwork: Int32 = -1
    var workSize = 0.0
    Compute.singleThreadedBLAS { dgesdd_(&jobz, &mm, &nn, &a, &lda, &s, &up, &ldu, &vtp, &ldvt, &workSize, &lwork, &iwork, &info) }
    lwork = Int32(workSize)
    var work = [Double](repeating: 0, count: Int(lwork))
    Compute.singleThreadedBLAS { dgesdd_(&jobz, &mm, &nn, &a, &lda, &s, &up, &ldu, &vtp, &ldvt, &work, &lwork, &iwork, &info) }
    guard info == 0 else { throw .lapack(routine: "dgesdd", info: Int(info)) }
    // U′ (n×k, column-major): U′[i, c] = up[c*n + i]; V′ᵀ (k×m, column-major): V′ᵀ[r, j] = vtp[j*k + r]
    var u = Matrix(rows: m, columns: k), vt = Matrix(rows: k, columns: n)
    for i in 0..<m { for c in 0..<k { u[i, c] = vtp[i * k + c] } }  // U = V′ = (V′ᵀ)ᵀ
    for r in 0..<k { for j in 0..<n { vt[r, j] = up[r * n + j] } }  // Vᵀ = U′ᵀ
    return (u, s, vt)
  }
}
