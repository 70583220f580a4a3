import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §3(c): the central limit for i.i.d. weights.
@Suite struct CentralLimitTests {
  /// The binomial formula against brute force over all 2¹⁶ sign vectors (an independent method)
  /// on the same dense inputs, ReLU and leaky ReLU.
  @Test(arguments: [0.0, 0.2])
  func rademacherDenseMatchesEnumeration(a: Double) {
    let n = 16, theta = Double.pi / 3
    let r = 1 / Double(n).squareRoot()
    let x = (0..<n).map { _ in r }
    let y = (0..<n).map { i in cos(theta) * r + sin(theta) * (i % 2 == 0 ? r : -r) }
    var sum = 0.0
    for bits in 0..<(1 << n) {
      var px = 0.0, py = 0.0
      for i in 0..<n {
        let w: Double = (bits >> i) & 1 == 1 ? 1 : -1
        px += w * x[i]
        py += w * y[i]
      }
      sum += (px > 0 ? px : a * px) * (py > 0 ? py : a * py)
    }
    let brute = sum / Double(1 << n)
    expectClose(
      CentralLimit.rademacherDense(slope: a, theta: theta, dimension: n), brute, absolute: 1e-13, "2¹⁶ terms summed: ~1e-14 rounding")
  }

  /// Sparse inputs: (1 + √3)/8 for every n — the counter-example; dense inputs: the error to the
  /// Gaussian kernel shrinks with n (at least tenfold from n = 8 to n = 256).
  @Test func rademacherErrors() {
    let theta = Double.pi / 3
    expectClose(CentralLimit.rademacherSparse(slope: 0, theta: theta), (1 + 3.0.squareRoot()) / 8, relative: 1e-15)
    let gauss = WeightLawKernel.exact(.gaussian, slope: 0, theta: theta)
    let e8 = abs(CentralLimit.rademacherDense(slope: 0, theta: theta, dimension: 8) - gauss)
    let e256 = abs(CentralLimit.rademacherDense(slope: 0, theta: theta, dimension: 256) - gauss)
    #expect(e8 > 1e-3 && e256 < e8 / 10, "errors \(e8) → \(e256)")
  }

  /// The dense Monte Carlo is unbiased: within 4 standard errors of the exact Rademacher value and
  /// of the Gaussian kernel for Gaussian weights; its variance reduction makes the standard error
  /// small (< 5e-4 with 2·10⁵ draws).
  @Test func denseMonteCarloAgreesWithExactValues() {
    let theta = Double.pi / 3
    var g = SeededGenerator(seed: 17)
    let rad = CentralLimit.denseMonteCarlo(.rademacher, slope: 0, theta: theta, dimension: 32, samples: 200_000, generator: &g)
    let exact = CentralLimit.rademacherDense(slope: 0, theta: theta, dimension: 32)
    #expect(abs(rad.mean - exact) < 4 * rad.standardError && rad.standardError < 5e-4, "\(rad) vs \(exact)")
    let gauss = CentralLimit.denseMonteCarlo(.gaussian, slope: 0.2, theta: theta, dimension: 32, samples: 200_000, generator: &g)
    let exactGauss = WeightLawKernel.exact(.gaussian, slope: 0.2, theta: theta)
    #expect(abs(gauss.mean - exactGauss) < 4 * gauss.standardError, "\(gauss) vs \(exactGauss)")
    for law in [WeightLaw.uniform, .laplace] {
      let mc = CentralLimit.denseMonteCarlo(law, slope: 0, theta: theta, dimension: 512, samples: 200_000, generator: &g)
      // at n = 512 the central-limit error is far below the Monte-Carlo resolution
      #expect(abs(mc.mean - WeightLawKernel.exact(.gaussian, slope: 0, theta: theta)) < 4 * mc.standardError + 2e-4, "\(law): \(mc)")
    }
  }

  @Test func gammaAndStudentSamplers() {
    var g = SeededGenerator(seed: 2)
    for k in [0.5, 2.5, 40.0] {
      let m = 200_000
      var s = 0.0, s2 = 0.0
      for _ in 0..<m {
        let x = g.nextGamma(shape: k)
        s += x
        s2 += x * x
      }
      let mean = s / Double(m), variance = s2 / Double(m) - mean * mean
      // Gamma(k, 1): mean k, variance k; standard error of the mean √(k/m)
      #expect(abs(mean - k) < 4 * (k / Double(m)).squareRoot(), "Gamma(\(k)) mean \(mean)")
      #expect(abs(variance - k) < 0.05 * k, "Gamma(\(k)) variance \(variance)")
    }
  }
}
