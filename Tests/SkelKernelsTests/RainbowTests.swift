import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §6(c).
@Suite struct RainbowTests {
  /// C = diag(4, 1), φ = (1, 0), φ′ = (1/2, √3/2): q₁₁ = 4, q₂₂ = 1.75, q₁₂ = 2, k = 1.0484789219.
  @Test func gaussianRainbowKernel() {
    let c = Matrix(rows: 2, columns: 2, storage: [4, 0, 0, 1])
    let k = Rainbow.reluKernel(covariance: c, [1, 0], [0.5, 3.0.squareRoot() / 2])
    expectClose(k, 1.0484789219, absolute: 1e-10)
    // C = σ²I reproduces the NNGP map
    let iso = Rainbow.reluKernel(covariance: Matrix(rows: 2, columns: 2, storage: [2, 0, 0, 2]), [1, 0], [0.5, 3.0.squareRoot() / 2])
    expectClose(iso, Activation.relu.kernel(q11: 2, q22: 2, q12: 1).nngp, relative: 1e-15)
  }

  /// φ′ = Qφ exactly: the alignment is Qᵀ to machine precision and the error is 0.
  @Test func procrustesRecoversAnExactRotation() throws {
    var g = SeededGenerator(seed: 8)
    let phi = Matrix(rows: 200, columns: 5, storage: (0..<1000).map { _ in g.nextNormal() })
    let (q, _, _) = try Matrix(rows: 5, columns: 5, storage: (0..<25).map { _ in g.nextNormal() }).svd()
    let other = phi * q.transposed  // rows φ′ₖ = Q φₖ
    let (a, error) = try Rainbow.align(reference: phi, other: other)
    expectClose(a.storage, q.transposed.storage, absolute: 1e-12, "A = Qᵀ")
    expectClose(error, 0, absolute: 1e-24)
  }
}
