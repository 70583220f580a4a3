import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 16 F3–F5, each against an independent closed form (not the engine's routine).
@Suite struct ScienceCorrectionTests {
  /// F3: each fixed point once, ρ* = 0 exactly; tanh (series) and erf (closed form), two grids.
  @Test(arguments: [(Activation.tanh, 2001), (.tanh, 400), (.erf(a: 1, b: 1, c: 0), 2001), (.erf(a: 1, b: 2, c: 0), 777)])
  func oddFixedPointsListedOnce(a: Activation, grid: Int) {
    let points = DepthMap.fixedPoints(a, gridPoints: grid).map(\.rho)
    #expect(points == [-1, 0, 1], "\(points)")
  }

  /// The normalized step dual 1/2 + arcsin(ρ)/π has the stable interior fixed point 0.7898326
  /// (slope 1/(π√(1 − ρ²)) = 0.519) and ρ = 1 unstable (issue 16, claim 1).
  @Test func stepInteriorFixedPoint() throws {
    let exact = bisect({ 0.5 + asin($0) / Double.pi - $0 }, 0.1, 0.99)
    expectClose(exact, 0.7898326, absolute: 5e-8, "the issue's value")
    let points = DepthMap.fixedPoints(.step)
    let interior = try #require(points.first { abs($0.rho - exact) < 1e-6 })
    expectClose(interior.rho, exact, absolute: 1e-12)
    expectClose(interior.slope, 1 / (Double.pi * (1 - exact * exact).squareRoot()), relative: 1e-6)
    #expect(interior.stability == "stable")
    #expect(points.count == 2, "\(points.map(\.rho))")
  }

  /// F4: the Hermite route with its known tail: σ̂(±1) exact (was 0.9716 for step and 0.9432 for
  /// sign at 80 terms), and within the stated bound of the arc-sine closed forms inside.
  @Test(arguments: [("step", 80), ("step", 41), ("sign", 80), ("sign", 120)])
  func hermiteTail(name: String, terms: Int) {
    let a: Activation = name == "step" ? .step : .sign
    let s = HermiteSeries(a, terms: terms)
    let m2 = name == "step" ? 0.5 : 1.0
    expectClose(s.secondMoment, m2, relative: 1e-12)
    let exact = { (r: Double) -> Double in name == "step" ? 0.5 + asin(r) / Double.pi : 2 * asin(r) / Double.pi }
    #expect(s.kernel(correlation: 1) / m2 < 0.99, "the truncated series alone misses the tail")
    for r in [-1.0, -0.9, -0.3, 0, 0.5, 0.9, 0.99, 1] {
      let v = s.kernelWithTail(correlation: r) / m2
      let bound = s.tailError(correlation: r) / m2
      #expect(abs(v - exact(r)) <= bound + 1e-11, "ρ = \(r): \(v) vs \(exact(r)), bound \(bound)")
    }
    expectClose(s.kernelWithTail(correlation: 1) / m2, 1, absolute: 1e-11)
    expectClose(s.kernelWithTail(correlation: -1) / m2, name == "step" ? 0 : -1, absolute: 1e-11)
  }

  /// F5: dense inputs at exactly θ for every n (odd n was off by u·v = 1/n).
  @Test(arguments: [2, 3, 5, 7, 8, 101])
  func denseInputsAtTheAngle(n: Int) {
    for theta in [0.2, 1.5, 3.0] {
      let (x, y) = WeightLawKernel.denseInputs(theta: theta, dimension: n)
      let dot = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
      expectClose(x.reduce(0) { $0 + $1 * $1 }, 1, absolute: 1e-14)
      expectClose(y.reduce(0) { $0 + $1 * $1 }, 1, absolute: 1e-14)
      expectClose(dot, cos(theta), absolute: 1e-14, "n = \(n), θ = \(theta)")
      let spread = y.map { abs($0) }.max() ?? 1
      #expect(spread < 2.5 / Double(n).squareRoot() + 1e-12, "still dense")
    }
  }

  /// F5: the Monte Carlo at odd n against the arc-cosine kernel at the plotted θ (Gaussian
  /// weights are rotation invariant, so it holds for every n). n = 7, θ = 1.5 and n = 3, θ = 2.
  @Test(arguments: [(7, 1.5, 0.0), (3, 2.0, 0.2)])
  func denseMonteCarloAtOddDimension(n: Int, theta: Double, slope: Double) {
    var g = SeededGenerator(seed: 16)
    let mc = WeightLawKernel.monteCarlo(.gaussian, slope: slope, theta: theta, dimension: n, samples: 400_000, dense: true, generator: &g)
    let j = sin(theta) + (Double.pi - theta) * cos(theta)
    let exact = (1 - slope) * (1 - slope) / (2 * Double.pi) * j + slope * cos(theta)
    #expect(abs(mc.mean - exact) < 4 * mc.standardError, "\(mc.mean) ± \(mc.standardError) vs \(exact)")
  }
}
