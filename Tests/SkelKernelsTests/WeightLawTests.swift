import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §3(c): single-layer kernels for weight laws, unit-norm inputs, E‖w‖²/n = 1.
@Suite struct WeightLawTests {
  @Test func exactValues() {
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0, theta: Double.pi / 2), 1 / (2 * Double.pi), relative: 1e-15)
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0, theta: Double.pi / 3), 0.3044988905, absolute: 6e-11)
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0, theta: 0), 0.5, relative: 1e-15)
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0.2, theta: Double.pi / 2), 0.1018591636, absolute: 6e-11)
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0.2, theta: Double.pi / 3), 0.2948792899, absolute: 6e-11)
    expectClose(WeightLawKernel.exact(.gaussian, slope: 0.2, theta: 0), 0.52, relative: 1e-15)
    expectClose(WeightLawKernel.exact(.studentT(nu: 5), slope: 0, theta: Double.pi / 3), 0.5074981509, absolute: 6e-11, "× ν/(ν−2) = 5/3")
    // the engine's NT kernel agrees: leaky ReLU after Dense(1) at q = 1, ρ = cos θ
    expectClose(
      WeightLawKernel.exact(.gaussian, slope: 0.2, theta: 1.0), Activation.leakyRelu(0.2).kernel(q11: 1, q22: 1, q12: cos(1.0)).nngp,
      relative: 1e-14)
  }

  /// Monte Carlo within 3 standard errors of the exact kernel for rotation-invariant laws.
  @Test(arguments: [WeightLaw.gaussian, .studentT(nu: 5), .sphere])
  func monteCarloMatchesExact(law: WeightLaw) {
    var g = SeededGenerator(seed: 11, label: law.description)
    let mc = WeightLawKernel.monteCarlo(law, slope: 0, theta: Double.pi / 3, dimension: 3, samples: 200_000, dense: false, generator: &g)
    let exact = WeightLawKernel.exact(law, slope: 0, theta: Double.pi / 3)
    #expect(abs(mc.mean - exact) < 3 * mc.standardError, "\(law): \(mc.mean) ± \(mc.standardError) vs \(exact)")
    #expect(mc.standardError < 0.01)
  }

  /// The counter-example: i.i.d. Rademacher weights on sparse inputs give (1 + √3)/8, not the
  /// Gaussian 0.3045, at any n; on dense inputs the central limit brings them close.
  @Test func rademacherCounterExample() {
    var g = SeededGenerator(seed: 5)
    let sparse = WeightLawKernel.monteCarlo(
      .rademacher, slope: 0, theta: Double.pi / 3, dimension: 16, samples: 100_000, dense: false, generator: &g)
    let exact = (1 + 3.0.squareRoot()) / 8
    #expect(abs(sparse.mean - exact) < 4 * sparse.standardError, "\(sparse.mean) vs (1+√3)/8 = \(exact)")
    #expect(abs(sparse.mean - 0.3044988905) > 10 * sparse.standardError, "far from the Gaussian kernel")
  }

  @Test func samplingIsSeeded() {
    var a = SeededGenerator(seed: 3), b = SeededGenerator(seed: 3)
    #expect(WeightLaw.studentT(nu: 5).sample(8, &a) == WeightLaw.studentT(nu: 5).sample(8, &b))
    var g = SeededGenerator(seed: 9)
    let xs = (0..<100_000).map { _ in g.nextNormal() }
    let mean = xs.reduce(0, +) / 1e5, second = xs.reduce(0) { $0 + $1 * $1 } / 1e5
    // standard errors 1/√n = 0.0032 and √2/√n = 0.0045; 5 of each allowed
    expectClose(mean, 0, absolute: 0.016)
    expectClose(second, 1, absolute: 0.023)
  }
}
