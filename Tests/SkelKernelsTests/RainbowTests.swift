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

  /// The Gram-only alignment error equals the SVD Procrustes error (independent routes), here with
  /// square features (d = d′ = 12, n = 40) of two unrelated random matrices.
  @Test func alignmentErrorFromGrams() throws {
    var g = SeededGenerator(seed: 12)
    let phi = Matrix(rows: 40, columns: 12, storage: (0..<480).map { _ in g.nextNormal() })
    let other = Matrix(rows: 40, columns: 12, storage: (0..<480).map { _ in g.nextNormal() })
    let (_, viaSVD) = try Rainbow.align(reference: phi, other: other)
    let viaGrams = try Rainbow.alignmentError(gram: phi.gram(), gram: other.gram())
    expectClose(viaGrams, viaSVD, relative: 1e-10)
    #expect(viaSVD > 0.1)
  }

  /// Marchenko–Pastur: the density integrates to 1 (q ≤ 1), and white Gaussian atoms (N = 2000,
  /// d = 500) have every eigenvalue within 5 % of the bulk edges.
  @Test func marchenkoPastur() throws {
    let q = 0.25
    let (lo, hi) = Rainbow.marchenkoPasturEdges(q: q)
    let mass = GaussKronrod.integrate({ Rainbow.marchenkoPastur($0, q: q) }, from: lo, to: hi, absolute: 1e-12, relative: 1e-12).value
    expectClose(mass, 1, absolute: 1e-8)
    var g = SeededGenerator(seed: 13)
    let w = Matrix(rows: 2000, columns: 500, storage: (0..<1_000_000).map { _ in g.nextNormal() })
    let ev = try Rainbow.normalizedCovarianceSpectrum(w)
    #expect(ev.first! > lo * 0.95 && ev.last! < hi * 1.05, "spectrum [\(ev.first!), \(ev.last!)] vs bulk [\(lo), \(hi)]")
  }
}
