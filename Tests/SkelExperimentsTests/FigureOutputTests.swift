import SkelExperiments
import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The outputs added for the papers' figures (issue 16, third section), each against a closed
/// form, a golden value of science.md / science-meanfield.md, or an independent quadrature.
@Suite struct FigureOutputTests {
  /// Rank 3–4: cos θ^(L) against θ⁰. L = 1 is the ReLU angle map in closed form,
  /// θ ↦ arccos((sin θ + (π − θ)cos θ)/π); deeper values are science.md §3(c)'s.
  @Test func angleAxisReLU() throws {
    let r = try run(
      "depth", ":activation: relu\n:axis: angle\n:theta: [0.3, 1.5707963267948966, 2.5, 3.141592653589793]\n:depths: [1, 2, 4, 8, 16, 32]")
    #expect(r.xlabel == "theta0" && r.series[0].x[1] == Double.pi / 2)
    for (k, t) in r.series[0].x.enumerated() {
      expectClose(r.series[0].y[k], (sin(t) + (Double.pi - t) * cos(t)) / Double.pi, absolute: 1e-14, "θ = \(t)")
    }
    let golden = [0.318310, 0.493731, 0.680954, 0.834416, 0.929456, 0.974720]  // θ⁰ = π/2
    expectClose(r.series.map { $0.y[1] }, golden, absolute: 6e-7)
    let goldenPi = [0, 0.318310, 0.604826, 0.809148, 0.923022, 0.973418]  // θ⁰ = π
    expectClose(r.series.map { $0.y[3] }, goldenPi, absolute: 6e-7)
  }

  /// Leaky ReLU a = 0.2 at θ⁰ = π/2 and a = 0.5 at θ⁰ = π (science.md §3(c)).
  @Test func angleAxisLeaky() throws {
    let a2 = try run(
      "depth", ":activation: leaky_relu(alpha=0.2)\n:axis: angle\n:theta: [1.5707963267948966]\n:depths: [1, 2, 4, 8, 16, 32]")
    expectClose(a2.series.map { $0.y[0] }, [0.195883, 0.335265, 0.519086, 0.709873, 0.858140, 0.943436], absolute: 6e-7)
    let a5 = try run(
      "depth", ":activation: leaky_relu(alpha=0.5)\n:axis: angle\n:theta: [3.141592653589793]\n:depths: [1, 2, 4, 8, 16, 32]")
    expectClose(a5.series.map { $0.y[0] }, [-0.8, -0.634576, -0.373124, -0.019592, 0.363506, 0.677761], absolute: 6e-7)
  }

  /// Rank 6: l·θ_l tends to 3π(1 + a²)/(1 − a)²; at l = 10⁵ within 0.05 % (the correction is
  /// O(log l / l)); layer 1 is the closed-form angle map.
  @Test(arguments: [0.0, 0.2, 0.5])
  func angleOutputLimit(a: Double) throws {
    let act = a == 0 ? "relu" : "leaky_relu(alpha=\(a))"
    let r = try run("fixed-point", ":activation: \(act)\n:output: angle\n:starts: [0]\n:depth: 100000")
    let s = r.series[0], limit = 3 * Double.pi * (1 + a * a) / ((1 - a) * (1 - a))
    #expect(s.x.first == 1 && s.x.last == 100000)
    let rho1 = ((1 - a) * (1 - a) * 1 + 0) / (Double.pi * (1 + a * a))  // θ₀ = π/2: J = 1, cos θ₀ = 0
    expectClose(s.y[0], acos(rho1), relative: 1e-13)
    #expect(abs(s.y.last! / limit - 1) < 5e-4, "\(s.y.last!) vs \(limit)")
    let guide = try #require(r.series.last)
    #expect(guide.name.hasPrefix("limit") && guide.y == [limit, limit])
  }

  /// 1 − ρ_l of ReLU against 9π²/(2l²): the guide is the formula, the data approach it (l² gap
  /// at l = 10⁴ within 0.5 %).
  @Test func gapOutputReLU() throws {
    let r = try run("fixed-point", ":activation: relu\n:output: gap\n:starts: [0.5]\n:depth: 10000")
    let s = r.series[0], guide = r.series[1]
    #expect(guide.name == "asymptote 9pi^2/(2l^2)")
    for (x, y) in zip(guide.x, guide.y) { expectClose(y, 9 * Double.pi * Double.pi / (2 * x * x), relative: 1e-12) }
    expectClose(s.y[0], 1 - 0.6089977810, absolute: 1e-10)
    let l = s.x.last!
    #expect(abs(s.y.last! * l * l / (9 * Double.pi * Double.pi / 2) - 1) < 5e-3)
  }

  /// tanh on the edge of chaos at σ_b² = 0.05: 1 − c^l ≈ 2/(𝒞″(1) l) with 2/𝒞″(1) = 6.17112614217103,
  /// and l(1 − c^l) = 6.195 after l = 10³ maps from c = 0.5 at q* (science-meanfield.md §5.2). The
  /// inputs are chosen so that q¹ = q* and c¹ = 0.5; the reference's l is then this series' l − 1.
  @Test func gapOutputTanhEdge() throws {
    let w = 1.76095463960674, b = 0.05, qStar = 0.570047881640764
    let q0 = (qStar - b) / w, c0 = (0.5 * qStar - b) / (w * q0)
    let r = try run(
      "fixed-point",
      ":activation: tanh\n:mode: mean-field\n:output: gap\n:sigma_w2: \(w)\n:sigma_b2: \(b)\n:q0: \(q0)\n:starts: [\(c0)]\n:depth: 1001")
    let guide = try #require(r.series.last)
    #expect(guide.name == "asymptote 2/(C''(1) l)")
    expectClose(guide.y[0] * guide.x[0], 6.17112614217103, relative: 1e-8)
    let s = r.series[0]
    expectClose(s.y[0], 0.5, absolute: 1e-12)
    expectClose(s.y.last! * (s.x.last! - 1), 6.195, absolute: 6e-4)
  }

  /// Poole et al.'s Fig. 1A/2A points (σ_w, σ_b) = (1.3, 0.3), (2.5, 0.3), (4, 0.3): the marked
  /// q* lies on the diagonal and is science-meanfield.md §4's; the length map agrees with an
  /// independent adaptive Gauss–Kronrod integral of σ_w² tanh²(√q z)φ(z) + σ_b².
  @Test func lengthMapFixedPoints() throws {
    let r = try run(
      "fixed-point",
      ":activation: tanh\n:mode: mean-field\n:output: length-map\n:sigma_w2: [1.69, 6.25, 16]\n:sigma_b2: 0.09\n:q: [0, 3, 7.5, 15]")
    let marks = r.series.filter { $0.name.hasSuffix(" q*") }
    expectClose(marks.map { $0.x[0] }, [0.6070468, 4.0791239, 12.6041495], absolute: 6e-8)
    for m in marks { #expect(m.x == m.y) }
    let curve = r.series[0]  // σ_w² = 1.69
    for (q, v) in zip(curve.x, curve.y) {
      let e = GaussKronrod.integrate(
        { z in
          let t = tanh(q.squareRoot() * z)
          return t * t * exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        }, from: -40, to: 40
      ).value
      expectClose(v, 1.69 * e + 0.09, relative: 5e-11, "q = \(q)")  // 1200-node Gauss–Hermite at q = 15: 2e-11
    }
  }

  /// The 𝒞-map at the same points marks c* (§4: 1, 0.1221037, 0.0296959), 𝒞(c*) = c*, 𝒞(1) = 1, and
  /// at (2, 0.05) 𝒞(0.5) = 0.515659779093967 (§5.1).
  @Test func correlationMapFixedPoints() throws {
    let r = try run(
      "fixed-point",
      ":activation: tanh\n:mode: mean-field\n:output: correlation-map\n:sigma_w2: [1.69, 6.25, 16]\n:sigma_b2: 0.09\n:c: [0, 0.5, 1]")
    let marks = r.series.filter { $0.name.hasSuffix(" c*") }
    expectClose(marks.map { $0.x[0] }, [1, 0.1221037, 0.0296959], absolute: 6e-8)
    // 2-D quadrature at q* = 12.6: error ≤ 1e-11
    for s in r.series where s.name.hasPrefix("sigma_w2") && !s.name.hasSuffix("*") { expectClose(s.y[2], 1, absolute: 1e-11, s.name) }
    let one = try run(
      "fixed-point",
      ":activation: tanh\n:mode: mean-field\n:output: correlation-map\n:sigma_w2: 2\n:sigma_b2: 0.05\n:c: [0.5, 0.744082419501184]")
    expectClose(one.series[0].y[0], 0.515659779093967, absolute: 1e-11)
    expectClose(one.series[0].y[1], 0.744082419501184, absolute: 1e-11)
  }

  /// q^l trajectories start at q¹ = σ_w²q⁰ + σ_b² and reach q* (Poole's Fig. 1B); the dashed
  /// level is q*.
  @Test func lengthTrajectories() throws {
    let r = try run(
      "fixed-point",
      ":activation: tanh\n:mode: mean-field\n:output: length\n:sigma_w2: 6.25\n:sigma_b2: 0.09\n:q_starts: [0.1, 2]\n:depth: 30")
    expectClose(r.series[0].y[0], 6.25 * 0.1 + 0.09, relative: 1e-14)
    expectClose(r.series[1].y[0], 6.25 * 2 + 0.09, relative: 1e-14)
    let level = try #require(r.series.last)
    #expect(level.name == "q*")
    expectClose(level.y[0], 4.0791239, absolute: 6e-8)
    for s in r.series.prefix(2) { expectClose(s.y.last!, 4.0791239, absolute: 1e-6, s.name) }
  }

  /// A map output without mean-field mode is an error, not a silent dual plot.
  @Test func mapNeedsMeanField() throws {
    #expect(throws: (any Error).self) { try run("fixed-point", ":activation: tanh\n:output: length-map") }
  }

  /// Rank 7: the parity table passes every cell with an NT value except the exact-tanh row, which
  /// differs from NT's 25-point rule by up to 2.4e-4 (science.md §7.3), while the engine's copy of
  /// that rule reproduces NT's row; NaN cells of NT show the engine's limits 1/2.
  @Test func parityTable() throws {
    let r = try run("parity", "")
    let rows = try #require(r.table?.rows)
    #expect(rows.count == 17)
    for row in rows.dropLast() {
      for cell in row[1...5] { #expect(cell.hasSuffix(" ✓") || cell.hasSuffix("(NT: NaN)"), "\(row[0]): \(cell)") }
    }
    let exact = rows.last!
    #expect(exact[4].hasSuffix(" ✗") && exact[5].hasSuffix(" ✗"))
    let worst = try #require(Double(exact[6]))
    #expect(worst > 2.3e-4 && worst < 2.5e-4)
    let rm1 = try #require(rows.first { $0[0] == "RectifiedMonomial(1)" })
    #expect(rm1[4] == "0.5 (NT: NaN)" && rm1[5] == "0.5 (NT: NaN)")
  }

  /// Rank 22: the realization N(S, r, k) of the 4-input convolutional skeleton (window 2, stride 1,
  /// 3 hidden nodes, pooling output) with r = 3, d = 2, k = 1: 4·2 + 3·3 + 1 = 18 neurons and
  /// 3·2·(2·3) + 3·(3·1) = 45 edges; the kernel is the skeleton's (0.4815406211 at t = 1).
  @Test func realizationGraph() throws {
    let r = try run(
      "skeleton", ":architecture: convolutional\n:correlations: [1, 0.5, 0, -0.5]\n:window: 2\n:realization: 3\n:input_width: 2\n:t: [1]")
    let g = try #require(r.graph)
    #expect(g.levels.count == 18 && g.edges.count == 45)
    #expect(g.roles.filter { $0 == .input }.count == 8 && g.roles.filter { $0 == .hidden }.count == 9)
    #expect(g.roles.last == .pooling && g.labels[1] == "$x^{1}_{2}$")
    expectClose(r.series[0].y[0], 0.4815406211, absolute: 1e-10)
  }

  /// Rank 7, deep rows: every cell of the deep ReLU table passes (NTK diagonal L + 1 exactly).
  @Test func parityDeepTable() throws {
    let r = try run("parity", ":reference: deep-relu")
    let rows = try #require(r.table?.rows)
    #expect(rows.map { $0[0] } == ["1", "2", "3", "5"])
    for row in rows { for cell in row[1...3] { #expect(cell.hasSuffix(" ✓"), "L = \(row[0]): \(cell)") } }
    #expect(rows.map { $0[3] } == ["2 ✓", "3 ✓", "4 ✓", "6 ✓"])
  }
}

/// Inline values go through the one number formatter in every medium.
@Suite struct InlineTextTests {
  static let result = ExperimentResult(
    xlabel: "rho", ylabel: "y", xlabelTeX: "", ylabelTeX: "",
    series: [SeriesData(name: "a", x: [0, 1], y: [-0.00225, 0.123456], yerr: [1.5e-5, 0.0041])],
    table: TableData(columns: ["name", "v"], rows: [["relu", "-7.68136817138e-33"], ["x_1 & y", "0"]]))

  @Test func pointWithStandardError() throws {
    let v = try InlineValue(parsing: "fig-a.y[rho=0]").evaluateText(Self.result)
    #expect(v.plain == "\u{2212}0.00225 ± 1.5 × 10⁻⁵")
    #expect(v.html == "\u{2212}0.00225 ± 1.5\u{202F}×\u{202F}10<sup>\u{2212}5</sup>")
    #expect(v.tex == "\\ensuremath{-0.00225\\pm 1.5\\times10^{-5}}")
    let n = try InlineValue(parsing: "fig-a.y[rho=1]").number(Self.result)
    #expect(n.value == 0.123456 && n.error == 0.0041)  // summaries read full precision, not the text
  }

  @Test func tableCellsAndFormats() throws {
    #expect(try InlineValue(parsing: "t.table[relu, v]").evaluateText(Self.result).tex == "\\ensuremath{-7.681\\times10^{-33}}")
    #expect(try InlineValue(parsing: "t.table[1, v]").evaluate(Self.result) == "0")
    #expect(try InlineValue(parsing: "t.table[1, name]").evaluateText(Self.result).tex == "x\\_1 \\& y")
    #expect(try InlineValue(parsing: "t.table[1, name]").evaluateText(Self.result).html == "x_1 &amp; y")
    #expect(try InlineValue(parsing: "fig-a.y[rho=1]:.1%").evaluateText(Self.result).tex == "\\ensuremath{12.3\\pm 0.4\\%}")
    #expect(try InlineValue(parsing: "fig-a.max[a]:.2e").evaluate(Self.result) == "1.23 × 10⁻¹")
    #expect(try InlineValue(parsing: "fig-a.min[a]:.3f").evaluate(Self.result) == "\u{2212}0.002")
  }
}
