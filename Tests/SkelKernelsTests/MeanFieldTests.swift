import SkelKernels
import SkelTestSupport
import Testing

/// science-meanfield.md §5: 40-digit references rounded to 15 digits; tolerance 1e-9 relative
/// (the acceptance), with the engine's q-dependent Gauss–Hermite rule (120–1200 nodes) and a Mehler
/// expansion of n/2 terms on it.
@Suite struct MeanFieldTests {
  let tanh = MeanField(.tanh)

  struct Golden: Sendable, CustomTestStringConvertible {
    var w: Double, b: Double
    var q: Double, chi1: Double, c: Double, chiC: Double, xiC: Double, slope: Double, xiQ: Double, xiGrad: Double, c05: Double
    var testDescription: String { "(\(w), \(b))" }
  }

  static let points: [Golden] = [
    Golden(
      w: 1.5, b: 0.05, q: 0.418037200533478, chi1: 0.938636268198851, c: 1, chiC: 0.938636268198851, xiC: 15.7909940341229,
      slope: 0.551983205663509, xiQ: 1.68282838870644, xiGrad: 15.7909940341229, c05: 0.549747154759314),
    Golden(
      w: 2.0, b: 0.05, q: 0.721761872652071, chi1: 1.04766599957574, c: 0.744082419501184, chiC: 0.961114791974040, xiC: 25.2134147891520,
      slope: 0.486521744031349, xiQ: 1.38797574825738, xiGrad: -21.4754343202602, c05: 0.515659779093967),
    Golden(
      w: 3.0, b: 0.1, q: 1.50763177020828, chi1: 1.18211563358655, c: 0.477539343762723, chiC: 0.894668542090223, xiC: 8.98456667063401,
      slope: 0.361610441176202, xiQ: 0.983102651886666, xiGrad: -5.97708113513133, c05: 0.497692716831653),
  ]

  @Test(arguments: points)
  func tanhFixedPoints(g: Golden) throws {
    let p = tanh.analyze(sigmaW2: g.w, sigmaB2: g.b)
    let rtol = 1e-9
    expectClose(try #require(p.qStar), g.q, relative: rtol, "q*")
    expectClose(p.chi1, g.chi1, relative: rtol, "χ₁")
    expectClose(try #require(p.cStar), g.c, relative: rtol, "c*")
    expectClose(try #require(p.chiC), g.chiC, relative: rtol, "χ_c")
    expectClose(try #require(p.xiC), g.xiC, relative: rtol, "ξ_c")
    expectClose(try #require(p.lengthSlope), g.slope, relative: rtol, "𝒱′(q*)")
    expectClose(try #require(p.xiQ), g.xiQ, relative: rtol, "ξ_q")
    expectClose(p.xiGradient, g.xiGrad, relative: rtol, "ξ_∇")
    expectClose(try #require(tanh.correlationMap(0.5, sigmaW2: g.w, sigmaB2: g.b)), g.c05, relative: rtol, "𝒞(0.5)")
    #expect(p.phase == (g.c == 1 ? .ordered : .chaotic))
  }

  @Test func unitMoments() {
    expectClose(tanh.secondMoment(1), 0.394294490397841, relative: 1e-12)
    expectClose(tanh.derivativeMoment(1), 0.464402902448268, relative: 1e-12)
  }

  /// §5.2: the edge of chaos for tanh, and its q*, 𝒱′, ξ_q, 𝒞″(1).
  @Test(arguments: [
    (0.05, 1.76095463960674, 0.570047881640764, 0.518186484068050, 1.52109740734882, 0.324089956018366),
    (0.1, 1.98607264113586, 0.805799181913487, 0.439453081555246, 1.21621311072050, 0.498805489360213),
    (0.2, 2.28515247372019, 1.16449628745798, 0.358687627475578, 0.975321072745724, 0.773036209471889),
  ])
  func tanhEdgeOfChaos(b: Double, w: Double, q: Double, slope: Double, xiQ: Double, curvature: Double) throws {
    let wc = try #require(tanh.edgeOfChaos(sigmaB2: b))
    expectClose(wc, w, relative: 1e-9, "σ²_w,c")
    let p = tanh.analyze(sigmaW2: wc, sigmaB2: b)
    expectClose(try #require(p.qStar), q, relative: 1e-9, "q*")
    expectClose(try #require(p.lengthSlope), slope, relative: 1e-9)
    expectClose(try #require(p.xiQ), xiQ, relative: 1e-9)
    expectClose(try #require(tanh.curvatureAtOne(sigmaW2: wc, sigmaB2: b)), curvature, relative: 1e-9, "𝒞″(1)")
  }

  @Test func tanhEdgeOfChaosMorePoints() throws {
    expectClose(try #require(tanh.edgeOfChaos(sigmaB2: 0)), 1, relative: 1e-9)
    for (b, w) in [(0.01, 1.424205290), (0.02, 1.544192840), (0.3, 2.505127190), (0.5, 2.843167460), (1.0, 3.443210912)] {
      expectClose(try #require(tanh.edgeOfChaos(sigmaB2: b)), w, absolute: 6e-10, "σ_b² = \(b) (10 digits printed)")
    }
  }

  /// ξ_c·|χ₁ − 1| → 1 near the curve (science: 0.9998 and 1.0018 at ±0.002).
  @Test func depthScaleDivergesAtTheEdge() throws {
    let wc = try #require(tanh.edgeOfChaos(sigmaB2: 0.05))
    let below = tanh.analyze(sigmaW2: wc - 0.002, sigmaB2: 0.05), above = tanh.analyze(sigmaW2: wc + 0.002, sigmaB2: 0.05)
    expectClose(try #require(below.xiC) * abs(below.chi1 - 1), 0.9998, absolute: 1e-4)
    expectClose(try #require(above.xiC) * abs(above.chi1 - 1), 1.0018, absolute: 1e-4)
    let closer = tanh.analyze(sigmaW2: wc + 1e-5, sigmaB2: 0.05)
    expectClose(try #require(closer.xiC) * abs(closer.chi1 - 1), 1, absolute: 1e-4, "→ 1")
  }

  /// Odd φ with σ_b² = 0 in the chaotic phase: c* = 0 (not the spurious root c = −1).
  @Test func oddChaoticZeroBias() throws {
    let p = tanh.analyze(sigmaW2: 2, sigmaB2: 0)
    #expect(p.phase == .chaotic)
    expectClose(try #require(p.cStar), 0, absolute: 1e-14)
  }

  /// §5.3: the degenerate critical point (1, 0): q* = 0, stated, not NaN; q^l ≈ 1/(2l).
  @Test func tanhDegenerateCriticalPoint() {
    let p = tanh.analyze(sigmaW2: 1, sigmaB2: 0)
    #expect(p.qStar == 0 && p.cStar == nil && p.phase == .critical)
    #expect(p.note.contains("power law"))
    expectClose(p.chi1, 1, absolute: 1e-15)
    // q^{l+1} = E[tanh²(√q z)]: iterate to l = 10⁴ from q = 1 by 1-D quadrature
    var q = 1.0
    for _ in 1..<10_000 { q = tanh.secondMoment(q) }
    expectClose(2 * 10_000 * q, 1.0003, absolute: 2e-4, "2l·q^l")
  }

  /// §5.4: ReLU and leaky ReLU, closed forms; the edge of chaos is a single point.
  @Test func reluFamily() throws {
    let relu = MeanField(.relu)
    #expect(relu.edgeOfChaos(sigmaB2: 0) == 2 && relu.edgeOfChaos(sigmaB2: 0.1) == nil)
    let ordered = relu.analyze(sigmaW2: 1.5, sigmaB2: 0.1)
    expectClose(try #require(ordered.qStar), 0.1 / (1 - 0.75), relative: 1e-15)
    expectClose(try #require(ordered.xiC), -1 / log(0.75), relative: 1e-14)
    #expect(relu.analyze(sigmaW2: 2, sigmaB2: 0.1).phase == .divergent)
    #expect(relu.analyze(sigmaW2: 2.5, sigmaB2: 0).phase == .divergent)
    let critical = relu.analyze(sigmaW2: 2, sigmaB2: 0)
    #expect(critical.phase == .critical && critical.xiC == .infinity)
    let leaky = MeanField(.leakyRelu(0.2))
    expectClose(try #require(leaky.edgeOfChaos(sigmaB2: 0)), 2 / 1.04, relative: 1e-15)
    // 1 − c^l ≈ 9π²/(2l²) = 44.4132198049021/l² at (2, 0): l²(1 − c^l) rises towards it
    // (44.24 at l = 10⁴ from c¹ = 0.5; science.md quotes 44.25 with its own start)
    let (_, c) = relu.trajectory(sigmaW2: 2, sigmaB2: 0, q0: 1, c0: 0.5, depth: 10_000)
    let at1e3 = 1e6 * (1 - c[999]), at1e4 = 1e8 * (1 - c[9999])
    #expect(at1e3 < at1e4 && at1e4 < 44.4132198049021)
    expectClose(at1e4, 44.4132198049021, relative: 5e-3, "l²(1 − c^l) at l = 10⁴")
  }

  /// §5.5: erf (closed form) cross-check.
  @Test func erfCrossCheck() throws {
    let erf = MeanField(.erf(a: 1, b: 1, c: 0))
    let p = erf.analyze(sigmaW2: 2, sigmaB2: 0.05)
    expectClose(try #require(p.qStar), 0.965954812592849, relative: 1e-10)
    expectClose(p.chi1, 1.15465276705774, relative: 1e-10)
    expectClose(try #require(p.cStar), 0.434481237455578, relative: 1e-10)
    expectClose(try #require(p.xiC), 10.1849738736139, relative: 1e-9)
    let q = erf.analyze(sigmaW2: 1.5, sigmaB2: 0.05)
    expectClose(try #require(q.cStar), 0.820530087998197, relative: 1e-10)
    expectClose(try #require(q.xiC), 32.3402396458481, relative: 1e-9)
    expectClose(try #require(erf.edgeOfChaos(sigmaB2: 0)), Double.pi / 4, relative: 1e-10)
    expectClose(try #require(erf.edgeOfChaos(sigmaB2: 0.05)), 1.37583900734668, relative: 1e-10)
    expectClose(try #require(erf.edgeOfChaos(sigmaB2: 0.18)), 1.74760374976770, relative: 1e-10)
  }

  /// §5.1 finite-depth trajectory through the engine's recursion (12 digits).
  @Test func tanhTrajectory() {
    let (q, c) = tanh.trajectory(sigmaW2: 2, sigmaB2: 0.05, q0: 1, c0: 0.5, depth: 50)
    expectClose(q[1], 1.09867618134, relative: 1e-10)
    expectClose(c[1], 0.489145569451, relative: 1e-10)
    expectClose(q[9], 0.722595789756, relative: 1e-10)
    expectClose(c[9], 0.572649322212, relative: 1e-10)
    expectClose(c[49], 0.719470057768, relative: 1e-10)
  }
}

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct EqualVarianceKernelTests {
  /// The Mehler series (with its tail bound) against 2-D adaptive quadrature, tanh at q = 1 and 2.
  @Test(arguments: [1.0, 2.0])
  func seriesMatchesQuadrature(q: Double) {
    let k = EqualVarianceKernel(.tanh, q: q)
    #expect(k.usesSeries && k.tailBound < 1e-13 * k.variance)
    for c in [-0.99, -0.5, 0, 0.3, 0.9, 0.999, 1] {
      let exact = AdaptiveDualQuadrature.shared.kernel(.tanh, q11: q, q22: q, q12: c * q).value
      expectClose(k.value(correlation: c), exact.nngp, relative: 1e-12, absolute: 1e-14, "nngp at c = \(c)")
      if abs(c) < 1 { expectClose(k.derivative(correlation: c), exact.dot, relative: 1e-10, absolute: 1e-12, "dot at c = \(c)") }
    }
  }

  /// Kinked activations never take the series route (their tail decays too slowly).
  @Test func kinkedFallsBack() {
    #expect(!EqualVarianceKernel(.elu(alpha: 0.5), q: 1).usesSeries || EqualVarianceKernel(.elu(alpha: 0.5), q: 1).tailBound < 1e-13)
    #expect(!EqualVarianceKernel(.relu, q: 1).usesSeries, "closed form")
  }
}
