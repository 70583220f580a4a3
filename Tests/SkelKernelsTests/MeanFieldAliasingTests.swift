import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 16 F1/F2: the Mehler series tied to its Gauss–Hermite rule (no aliasing), no silent
/// c* = 1, and the ReLU family at σ_b² = 0. References are computed here, independently of the
/// engine's series: a 400 × 400 tensor Gauss–Hermite rule for the 2-D expectation, a 1500-node
/// rule for the 1-D ones (900 × 900 for q > 3), bisection for the roots; for ReLU the arc-cosine closed form.
@Suite struct MeanFieldAliasingTests {
  static let r1 = GaussHermite(order: 1500)
  static let r2 = GaussHermite(order: 400)
  static let r2Wide = GaussHermite(order: 900)

  static func e1(_ f: (Double) -> Double, q: Double) -> Double {
    var s = 0.0
    for i in r1.nodes.indices { s += r1.weights[i] * f(q.squareRoot() * r1.nodes[i]) }
    return s
  }

  /// E[f(u₁)g(u₂)], u ~ N(0, q[[1, c], [c, 1]]) on the tensor rule.
  static func e2(_ f: (Double) -> Double, _ g: (Double) -> Double, q: Double, c: Double) -> Double {
    let r = q.squareRoot(), s = (1 - c * c).squareRoot(), r2 = q > 3 ? r2Wide : r2
    var total = 0.0
    for i in r2.nodes.indices {
      let z1 = r2.nodes[i], f1 = f(r * z1)
      var inner = 0.0
      for j in r2.nodes.indices { inner += r2.weights[j] * g(r * (c * z1 + s * r2.nodes[j])) }
      total += r2.weights[i] * f1 * inner
    }
    return total
  }

  static func sech2(_ u: Double) -> Double {
    let c = cosh(u)
    return 1 / (c * c)
  }

  /// tanh q* by bisection on the 500-node rule.
  static func qStar(_ w: Double, _ b: Double) -> Double {
    bisect({ q in w * e1({ tanh($0) * tanh($0) }, q: q) + b - q }, max(b, 1e-9), w + b + 1)
  }

  /// Chaotic points just above the edge of chaos, where q* ≤ 0.8 put 160 terms on 60–120 nodes
  /// and (1.38, 0.005) gave ξ_c = −97.4 from a silent c* = 1. References: scipy (600² rule)
  /// gives ξ_c = 138.0054592896, 220.1693102333, 97.4908328249.
  @Test(arguments: [(1.38, 0.005), (1.45, 0.01), (1.6, 0.02), (1.8, 0.05)])
  func chaoticNearTheEdge(w: Double, b: Double) throws {
    let p = MeanField(.tanh).analyze(sigmaW2: w, sigmaB2: b)
    let q = Self.qStar(w, b)
    expectClose(try #require(p.qStar), q, relative: 1e-11, "q*")
    #expect(p.phase == .chaotic)
    let g = { (c: Double) in (w * Self.e2(tanh, tanh, q: q, c: c) + b) / q - c }
    let c = bisect(g, 0, 1 - 1e-3)
    let chiC = w * Self.e2(Self.sech2, Self.sech2, q: q, c: c)
    expectClose(try #require(p.cStar), c, relative: 1e-10, "c*")
    expectClose(try #require(p.chiC), chiC, relative: 1e-11, "χ_c")
    let xi = try #require(p.xiC)
    #expect(xi > 0)
    expectClose(xi, -1 / log(chiC), relative: 1e-8, "ξ_c")
  }

  /// Along the edge of chaos at small σ_b² (the dark block of the published ξ_c diagram): every
  /// chaotic point has c* < 1 and a positive ξ_c, or says explicitly that c* was not found.
  @Test func noNegativeDepthScaleNearTheEdge() throws {
    let field = MeanField(.tanh)
    for b in [0.001, 0.003, 0.005, 0.008, 0.02] {
      let wc = try #require(field.edgeOfChaos(sigmaB2: b))
      for dw in [1e-4, 1e-3, 3e-3, 1e-2, 5e-2] {
        let p = field.analyze(sigmaW2: wc + dw, sigmaB2: b)
        #expect(p.phase == .chaotic)
        if let c = p.cStar {
          #expect(c < 1, "c* at (\(wc + dw), \(b))")
          #expect((p.xiC ?? -1) > 0, "ξ_c at (\(wc + dw), \(b))")
        } else {
          #expect(p.xiC == nil && p.note.contains("not found"), "explicit case at (\(wc + dw), \(b))")
        }
      }
    }
  }

  /// Trajectories: c^l never exceeds 1 and goes to 1 in the ordered phase, each layer as the
  /// independent tensor-rule recursion. (1.3, 0.2), q⁰ = 1.4 stuck at c^l = 1.0127 before.
  @Test(arguments: [(1.3, 0.2, 1.4), (1.2, 0.1, 0.3), (1.6, 0.3, 3.0)])
  func orderedTrajectoryGoesToOne(w: Double, b: Double, q0: Double) {
    let depth = 25
    let (qs, cs) = MeanField(.tanh).trajectory(sigmaW2: w, sigmaB2: b, q0: q0, c0: 0.3, depth: depth)
    var q11 = q0, q12 = 0.3 * q0
    for l in 0..<depth {
      let pq = w * q11 + b, pc = w * q12 + b, c = pc / pq
      if [0, 1, 2, 5, 10, 24].contains(l) {
        expectClose(qs[l], pq, relative: 1e-12, "q at l = \(l + 1)")
        expectClose(cs[l], c, relative: 1e-11, absolute: 1e-13, "c at l = \(l + 1)")
      }
      #expect(cs[l] <= 1 + 1e-14, "c at l = \(l + 1) is \(cs[l])")
      q11 = Self.e1({ tanh($0) * tanh($0) }, q: pq)
      q12 = Self.e2(tanh, tanh, q: pq, c: c)
    }
    #expect(zip(cs, cs.dropFirst()).allSatisfy { $0.0 <= $0.1 }, "c^l increases to 1 (ordered)")
  }

  /// The series sum at c = 1 is E[φ²] less a tail ≥ 0 (never more: aliasing made it larger), and
  /// matches the tensor rule inside, across all five rule sizes of `rule(for:)`.
  @Test(arguments: [0.05, 0.2, 0.25, 0.5, 0.8, 1.2, 1.6, 3.0, 6.0])
  func seriesNeverExceedsTheSecondMoment(q: Double) {
    let k = EqualVarianceKernel(.tanh, q: q)
    let m2 = Self.e1({ tanh($0) * tanh($0) }, q: q)
    expectClose(k.variance, m2, relative: 1e-13, "E[tanh²]")
    #expect(k.usesSeries)
    #expect(k.value(correlation: 1) <= k.variance * (1 + 1e-14))
    expectClose(k.value(correlation: 1), m2, relative: 1e-12, "series at c = 1")
    for c in [-0.7, 0.4, 0.95] {
      expectClose(k.value(correlation: c), Self.e2(tanh, tanh, q: q, c: c), relative: 1e-11, absolute: 1e-14, "c = \(c)")
    }
  }

  /// F2: ReLU and leaky ReLU at σ_b² = 0 are not tanh's degenerate branch: c* = 1, χ_c = 1, at
  /// the edge (2/(1 + α²), 0) and off it; the map is the arc-cosine closed form.
  @Test(arguments: [(0.0, 2.0), (0.0, 1.5), (0.0, 2.5), (0.2, 2 / 1.04), (0.5, 1.0)])
  func reluFamilyWithoutBias(alpha: Double, w: Double) throws {
    let a: Activation = alpha == 0 ? .relu : .leakyRelu(alpha)
    let p = MeanField(a).analyze(sigmaW2: w, sigmaB2: 0)
    let critical = abs(w * (1 + alpha * alpha) / 2 - 1) < 1e-12
    #expect(p.cStar == 1)
    #expect(p.chiC == 1)
    #expect(p.xiC == .infinity)
    expectClose(p.chi1, w * (1 + alpha * alpha) / 2, relative: 1e-15)
    #expect(p.phase == (critical ? .critical : (w * (1 + alpha * alpha) / 2 < 1 ? .ordered : .divergent)))
    #expect(!p.note.contains("undefined"))
    // one layer of the correlation map against the arc-cosine form, for this σ_w²
    let (_, cs) = MeanField(a).trajectory(sigmaW2: w, sigmaB2: 0, q0: 1, c0: 0.5, depth: 2)
    let theta = acos(0.5)
    let k = alpha * 0.5 + (1 - alpha) * (1 - alpha) / (2 * Double.pi) * (sin(theta) + (Double.pi - theta) * 0.5)
    expectClose(cs[1], 2 / (1 + alpha * alpha) * k, relative: 1e-14, "𝒞(0.5)")
  }
}
