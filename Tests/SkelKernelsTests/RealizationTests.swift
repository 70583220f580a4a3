import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

/// science.md §2(c): random realizations sampled exactly through Gram matrices.
@Suite struct RealizationTests {
  func spread(_ s: Skeleton, rho: [Double], r: Int, seeds: Int, seed: UInt64) throws -> (mean: Double, std: Double) {
    var g = SeededGenerator(seed: seed)
    let ks = (0..<seeds).map { _ in Realization.empiricalKernel(s, inputCorrelations: rho, width: r, generator: &g) }
    let mean = ks.reduce(0, +) / Double(seeds)
    let std = (ks.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(seeds - 1)).squareRoot()
    return (mean, std)
  }

  /// The conv example: E[k_w] = κ_S = 0.4815406211 at every r (within 3 standard errors of the
  /// mean over 400 realizations), spread ≈ 0.044 at r = 1000 (within 20 %: 400 seeds estimate a
  /// standard deviation to ±3.5 %).
  @Test func convolutionalMeanAndSpread() throws {
    let s = try Skeleton.convolutional(coordinates: 4, layers: [(2, 1, .relu)])
    let rho = [1, 0.5, 0, -0.5]
    let (mean, std) = try spread(s, rho: rho, r: 1000, seeds: 400, seed: 1)
    #expect(abs(mean - 0.4815406211) < 3 * std / 20, "mean \(mean) ± \(std / 20)")
    expectClose(std, 0.044, relative: 0.2)
  }

  /// FC chain at ρ = 0.5: std ≈ 0.10 (r = 256) → 0.025 (r = 4096) at depth 1, 0.20 → 0.049 at
  /// depth 3: r^{−1/2} with a prefactor growing with depth (20 % tolerance, 200 seeds).
  @Test func chainSpreadScalesLikeOneOverSqrtR() throws {
    let one = try Skeleton.fullyConnected(activations: [.relu])
    let three = try Skeleton.fullyConnected(activations: [.relu, .relu, .relu])
    expectClose(try spread(one, rho: [0.5], r: 256, seeds: 200, seed: 2).std, 0.10, relative: 0.2)
    expectClose(try spread(one, rho: [0.5], r: 4096, seeds: 200, seed: 3).std, 0.025, relative: 0.2)
    expectClose(try spread(three, rho: [0.5], r: 256, seeds: 200, seed: 4).std, 0.20, relative: 0.2)
    expectClose(try spread(three, rho: [0.5], r: 4096, seeds: 100, seed: 5).std, 0.049, relative: 0.25)
  }

  @Test func sameSeedSameRealization() {
    let s = try! Skeleton.fullyConnected(activations: [.relu, .tanh])
    var a = SeededGenerator(seed: 9), b = SeededGenerator(seed: 9)
    #expect(
      Realization.empiricalKernel(s, inputCorrelations: [0.3], width: 64, generator: &a)
        == Realization.empiricalKernel(s, inputCorrelations: [0.3], width: 64, generator: &b))
  }
}

/// science.md §3(c): finite networks with explicit weights follow the law-independent angle map.
@Suite struct ExplicitRealizationTests {
  /// Width 2000, θ₀ = π/2: cos θ^(l) = 0.318310, 0.493731, 0.680954, 0.834416 at l = 1, 2, 4, 8 for
  /// Gaussian and multivariate-t(ν = 5) rows alike (finite-width spread ≈ 0.02: tolerance 0.05).
  @Test(arguments: [WeightLaw.gaussian, .studentT(nu: 5)])
  func followsTheAngleMap(law: WeightLaw) throws {
    var g = SeededGenerator(seed: 31, label: law.description)
    let k = try ExplicitRealization.normalizedKernels(thetas: [Double.pi / 2], width: 2000, depth: 8, slope: 0, law: law, generator: &g)
    for (l, expected) in [(1, 0.318310), (2, 0.493731), (4, 0.680954), (8, 0.834416)] {
      #expect(abs(k[l - 1][0] - expected) < 0.05, "\(law) l = \(l): \(k[l - 1][0]) vs \(expected)")
    }
  }

  /// i.i.d. Rademacher weights on the sparse 2-D inputs break the theorem at the first layer:
  /// cos θ^(1) = (1 + √3)/4 = 0.683 at θ₀ = π/3, not the Gaussian 0.609.
  @Test func rademacherFirstLayer() throws {
    var g = SeededGenerator(seed: 32)
    let k = try ExplicitRealization.normalizedKernels(
      thetas: [Double.pi / 3], width: 4000, depth: 1, slope: 0, law: .rademacher, generator: &g)
    #expect(abs(k[0][0] - (1 + 3.0.squareRoot()) / 4) < 0.03, "\(k[0][0])")
    #expect(abs(k[0][0] - 0.609) > 0.04)
  }

  /// 20000 × 20000 weights and 10⁶ × 20000 hidden values (~480 GB): refused before allocating,
  /// never an abort in the allocator; a small realization passes the same guard.
  @Test func oversizedRealizationIsRefused() throws {
    var g = SeededGenerator(seed: 1, label: "x")
    #expect(throws: AllocationGuard.Refusal.self) {
      _ = try ExplicitRealization.normalizedKernels(
        thetas: Array(repeating: 1, count: 1_000_000), width: 20000, depth: 1, slope: 0, law: .gaussian, generator: &g)
    }
    #expect(AllocationGuard.physicalMemory > 1e8)
    #expect(throws: AllocationGuard.Refusal.self) { try AllocationGuard.check(doubles: .infinity, "inf") }
    #expect(throws: Never.self) { try AllocationGuard.check(doubles: 1e6, "8 MB") }
  }
}
