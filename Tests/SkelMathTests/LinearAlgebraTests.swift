import SkelMath
import SkelTestSupport
import Testing

@Suite struct LinearAlgebraTests {
  func random(_ r: Int, _ c: Int, seed: UInt64) -> Matrix {
    var g = SeededGenerator(seed: seed)
    return Matrix(rows: r, columns: c, storage: (0..<(r * c)).map { _ in g.nextNormal() })
  }

  func expectMatrixClose(_ a: Matrix, _ b: Matrix, absolute: Double, _ what: String) {
    #expect(a.rows == b.rows && a.columns == b.columns, "\(what) shape")
    expectClose(a.storage, b.storage, absolute: absolute, what)
  }

  /// A = Q Λ Qᵀ with QᵀQ = I; the 2×2 [[2, 1], [1, 2]] has eigenvalues 1 and 3.
  @Test func symmetricEigen() throws {
    let small = try Matrix(rows: 2, columns: 2, storage: [2, 1, 1, 2]).symmetricEigen()
    expectClose(small.values, [1, 3], absolute: 1e-15)
    let x = random(6, 4, seed: 1)
    let a = x * x.transposed
    let (w, q) = try a.symmetricEigen()
    var lambda = Matrix(rows: 6, columns: 6)
    for i in 0..<6 { lambda[i, i] = w[i] }
    // 1e-12: entries of A are O(10); dsyevd is backward stable
    expectMatrixClose(q * lambda * q.transposed, a, absolute: 1e-12, "QΛQᵀ")
    var identity = Matrix(rows: 6, columns: 6)
    for i in 0..<6 { identity[i, i] = 1 }
    expectMatrixClose(q.transposed * q, identity, absolute: 1e-13, "QᵀQ")
    #expect(w == w.sorted())
    expectClose(w[0], 0, absolute: 1e-12, "rank 4: two zero eigenvalues")
  }

  @Test func cholesky() throws {
    let x = random(5, 8, seed: 2)
    let a = x * x.transposed
    let l = try a.cholesky()
    expectMatrixClose(l * l.transposed, a, absolute: 1e-12, "LLᵀ")
    for i in 0..<5 { for j in (i + 1)..<5 { #expect(l[i, j] == 0, "lower triangular") } }
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) {
      try Matrix(rows: 2, columns: 2, storage: [1, 2, 2, 1]).cholesky()
    }
  }

  /// A = U diag(s) Vᵀ for tall and wide matrices; UᵀU = I; s descending.
  @Test(arguments: [(5, 3), (3, 5), (4, 4)])
  func svd(rows: Int, columns: Int) throws {
    let a = random(rows, columns, seed: 3)
    let (u, s, vt) = try a.svd()
    let k = min(rows, columns)
    var sigma = Matrix(rows: k, columns: k)
    for i in 0..<k { sigma[i, i] = s[i] }
    expectMatrixClose(u * sigma * vt, a, absolute: 1e-13, "UΣVᵀ")
    var identity = Matrix(rows: k, columns: k)
    for i in 0..<k { identity[i, i] = 1 }
    expectMatrixClose(u.transposed * u, identity, absolute: 1e-13, "UᵀU")
    expectMatrixClose(vt * vt.transposed, identity, absolute: 1e-13, "VᵀV")
    #expect(s == s.sorted(by: >))
  }

  /// Orthogonal Procrustes: for B = QA with Q orthogonal, the SVD of B·Aᵀ gives back Q exactly.
  @Test func procrustesRecoversARotation() throws {
    let a = random(4, 50, seed: 4)
    let (q, _, _) = try random(4, 4, seed: 5).svd()  // an orthogonal matrix
    let b = q * a
    let (u, _, vt) = try (b * a.transposed).svd()
    expectMatrixClose(u * vt, q, absolute: 1e-12, "recovered rotation")
  }
}
