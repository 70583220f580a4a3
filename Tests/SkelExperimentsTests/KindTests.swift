import SkelDocument
import SkelExperiments
import SkelKernels
import SkelTestSupport
import Testing

/// Parses one directive of `kind` with the given option lines, validates it against the
/// standard registry and runs it. Returns the result, or the formatted diagnostics.
func run(_ kind: String, _ options: String) throws -> ExperimentResult {
  let text = "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n"
  let source = SourceFile(path: "k.md", text: text)
  let (doc, problems) = DocumentParser.parse(source, name: "k")
  #expect(problems.isEmpty)
  let (resolved, vp) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
  guard let resolved else { throw DiagnosticList(vp) }
  return try ExperimentRegistry.standard.kinds[kind]!.run(resolved, context: RunContext(seed: 1))
}

func errors(_ kind: String, _ options: String) -> [String] {
  let text = "```{kernel} \(kind)\n\(options)\n```\n"
  let source = SourceFile(path: "k.md", text: text)
  let (doc, problems) = DocumentParser.parse(source, name: "k")
  let schemas = ExperimentRegistry.standard.schemas
  let (_, vp) = DirectiveValidator.validate(doc.directives[0], schemas: schemas)
  let checks = ActivationChecks.check(doc.directives[0], schema: schemas[kind]!)
  return (problems + vp + checks).map { "\($0.location): \($0.message)" }
}

@Suite struct KindTests {
  @Test func dualMethodsAgree() throws {
    let closed = try run("dual", ":activations: [relu, erf(b=2), tanh]\n:rho: [-0.9, 0, 0.5, 0.9]")
    let quad = try run("dual", ":activations: [relu, erf(b=2), tanh]\n:rho: [-0.9, 0, 0.5, 0.9]\n:method: quadrature")
    let hermite = try run("dual", ":activations: [relu, erf(b=2), tanh]\n:rho: [-0.9, 0, 0.5, 0.9]\n:method: hermite")
    #expect(closed.series.map(\.name) == ["relu", "erf(b=2)", "tanh"])
    for s in 0..<3 {
      // quadrature: 1e-10 (adaptive, kinks included); Hermite with 80 terms: 1e-4 at |ρ| ≤ 0.9 for relu
      expectClose(quad.series[s].y, closed.series[s].y, absolute: 1e-10, "quadrature \(s)")
      expectClose(hermite.series[s].y, closed.series[s].y, absolute: 1e-4, "hermite \(s)")
    }
    expectClose(closed.series[0].y[2], (0.75.squareRoot() + Double.pi / 3) / Double.pi, absolute: 1e-14)
  }

  @Test func rawAndDerivativeDuals() throws {
    let raw = try run("dual", ":activations: [relu]\n:rho: [0.5]\n:normalized: false")
    expectClose(raw.series[0].y[0], 0.304498890522, absolute: 6e-13, "NT Relu nngp at 0.5")
    let d = try run("dual", ":activations: [relu]\n:rho: [0.5]\n:derivative: true")
    expectClose(d.series[0].y[0], 2.0 / 3, absolute: 1e-14, "σ̂′ = step dual at 0.5")
  }

  @Test func depthSeries() throws {
    let r = try run("depth", ":activation: relu\n:depths: [1, 10]\n:rho: [0, 0.5]")
    #expect(r.series.map(\.name) == ["L=1", "L=10"])
    expectClose(r.series[1].y[0], 0.8715355160, absolute: 6e-11, "ReLU from 0 at L = 10")
  }

  @Test func fixedPointTable() throws {
    let r = try run("fixed-point", ":activation: relu\n:starts: [0]\n:depth: 3")
    #expect(r.table?.rows == [["1", "1", "neutral"]])
    expectClose(r.series[0].y, [0, 0.3183098862, 0.4937310902, 0.6048257201], absolute: 6e-11)
  }

  @Test func skeletonConvExample() throws {
    let r = try run("skeleton", ":correlations: [1, 0.5, 0, -0.5]\n:t: [1]")
    expectClose(r.series[0].y[0], 0.4815406211, absolute: 6e-11)
    #expect(r.table?.rows[0][3] == "0.4815406211")
  }

  /// science.md §7.3 deep ReLU, through the directive (W_std = √2, no bias, readout 1).
  @Test func networkKernels() throws {
    let nngp = try run("nngp", ":depths: [1, 2, 3, 5]\n:rho: [0.5]")
    let ntk = try run("ntk", ":depths: [1, 2, 3, 5]\n:rho: [0.5, 1]")
    expectClose(
      nngp.series.map { $0.y[0] }, [0.608997781044, 0.683905650899, 0.738128192301, 0.810454201005], relative: 1e-12, absolute: 6e-13)
    expectClose(
      ntk.series.map { $0.y[0] }, [0.942331114378, 1.351479561123, 1.737844679215, 2.462893132458], relative: 1e-12, absolute: 6e-13)
    expectClose(ntk.series.map { $0.y[1] }, [2, 3, 4, 6], relative: 1e-12)
  }

  @Test func hermiteTableRows() throws {
    let r = try run("hermite-table", ":activations: [relu, step]\n:terms: 5")
    #expect(r.table?.columns == ["name", "activation", "dual", "a0^2", "a1^2", "a2^2", "a3^2", "a4^2", "kernel"])
    #expect(Array(r.table!.rows[0][3...7]) == ["0.3183", "0.5", "0.1592", "0", "0.01326"])
    #expect(r.table!.rows[1].last == "arc-cosine, degree 0")
  }

  /// A user expression: Mish, x·tanh(softplus(x)), by quadrature; its derivative by dual numbers.
  @Test func expressionActivation() throws {
    let r = try run("dual", ":activations: [expr(x*tanh(softplus(x))), silu, expr(x/(1+exp(-x)))]\n:rho: [-0.5, 0.5]\n:normalized: false")
    #expect(r.series.map(\.name) == ["expr(x*tanh(softplus(x)))", "silu", "expr(x/(1+exp(-x)))"])
    expectClose(r.series[2].y, r.series[1].y, relative: 1e-12, "expr(x·sigmoid(x)) = silu")
    let mish = try ActivationExpression("x*tanh(softplus(x))")
    for x in [-2.0, -0.3, 0.7, 3] {
      let h = 1e-6
      expectClose(mish.derivative(x), (mish.value(x + h) - mish.value(x - h)) / (2 * h), absolute: 1e-8, "Mish′(\(x))")
    }
  }

  @Test func schemaErrors() {
    #expect(errors("dual", ":activations: [expr(x*tanh(y))]") == ["k.md:2:28: in expr(…): unknown name 'y': the variable is x"])
    #expect(
      errors("dual", ":activations: [relu, expr(x*tnah(x))]") == [
        "k.md:2:29: in expr(…): unknown function 'tnah'; known: abs, cos, cosh, erf, exp, log, max, min, relu, sigmoid, sin, sinh, softplus, sqrt, tanh"
      ])
    #expect(errors("depth", ":activation: tahn") == ["k.md:2:14: unknown activation 'tahn' for option 'activation'; did you mean 'tanh'?"])
    #expect(errors("depth", ":depths: [4, 0]") == ["k.md:2:14: option 'depths' must be an integer in [1, 100000], got 0"])
    #expect(
      errors("dual", ":activations: [leaky_relu(beta=1)]") == ["k.md:2:32: activation 'leaky_relu' has no parameter 'beta'; it takes alpha"]
    )
    #expect(errors("skeleton", ":correlations: [1, 1.5]") == ["k.md:2:20: option 'correlations' must be a number in [-1, 1], got 1.5"])
    #expect(errors("dual", ":activations: [erf(1, 2, 3, 4)]") == ["k.md:2:29: activation 'erf' takes 3 parameters: erf(a=1, b=1, c=0)"])
  }
}

@Suite struct MeanFieldKindTests {
  /// The phase diagram's grid holds χ₁ (and ξ_c) at the golden points of science-meanfield.md §5.1.
  @Test func phaseDiagramValues() throws {
    let chi = try run("phase-diagram", ":sigma_w2: [1.5, 2.0, 3.0]\n:sigma_b2: [0.05, 0.1]\n:eoc_points: 3")
    let g = try #require(chi.grid)
    expectClose(g.values[0][0], 0.938636268198851, relative: 1e-9, "χ₁(1.5, 0.05)")
    expectClose(g.values[0][1], 1.04766599957574, relative: 1e-9, "χ₁(2.0, 0.05)")
    expectClose(g.values[1][2], 1.18211563358655, relative: 1e-9, "χ₁(3.0, 0.1)")
    let xi = try run("phase-diagram", ":sigma_w2: [1.5, 2.0]\n:sigma_b2: [0.05]\n:quantity: xi_c\n:eoc_points: 0")
    expectClose(try #require(xi.grid).values[0][1], 25.2134147891520, relative: 1e-9, "ξ_c(2.0, 0.05)")
    // edge of chaos solved at σ_b² = 0.05, 0.075, 0.1 (inside the σ_w² range [1.5, 3])
    let eoc = try #require(chi.series.first)
    expectClose(eoc.x.first!, 1.76095463960674, relative: 1e-9)
    expectClose(eoc.x.last!, 1.98607264113586, relative: 1e-9)
  }

  @Test func depthScalesCriticalPoint() throws {
    let r = try run("depth-scales", ":sigma_b2: 0.05\n:sigma_w2: [1.5, 2.0]")
    #expect(r.table?.rows.first?[1] == "1.76095463961")
    expectClose(r.series[0].y, [15.7909940341229, 25.2134147891520], relative: 1e-9, "ξ_c")
    expectClose(r.series[2].y, [15.7909940341229, 21.4754343202602], relative: 1e-9, "|ξ_∇|")
  }

  @Test func meanFieldTrajectories() throws {
    let r = try run(
      "fixed-point", ":activation: tanh\n:mode: mean-field\n:sigma_w2: 2\n:sigma_b2: 0.05\n:starts: [0.5]\n:depth: 10\n:q0: 1")
    expectClose(r.series[0].y[9], 0.572649322212, relative: 1e-10, "c¹⁰ (science-meanfield §5.1)")
    #expect(r.table?.rows[0][0] == "chaotic" && r.table?.rows[0][2] == "0.7440824195")
    let degenerate = try run("fixed-point", ":activation: tanh\n:mode: mean-field\n:sigma_w2: 1\n:sigma_b2: 0\n:depth: 3")
    #expect(degenerate.table?.rows[0][0] == "critical" && degenerate.table?.rows[0][2] == "—")
  }
}

@Suite struct WeightsKindTests {
  /// Student-t kernel = Gaussian × ν/(ν − 2) within 3 standard errors at every angle; same seed, same bytes.
  @Test func studentTScalesTheGaussianKernel() throws {
    let r = try run("weights", ":laws: [student_t(nu=5)]\n:samples: 20000\n:theta: [0, 1.0472, 1.5708]")
    let mc = r.series[0], exact = r.series[1]
    #expect(mc.name == "student_t(nu=5)" && exact.name == "exact student_t(nu=5)")
    for k in mc.x.indices { #expect(abs(mc.y[k] - exact.y[k]) < 3 * mc.yerr![k], "θ = \(mc.x[k])") }
    expectClose(exact.y[0], 0.5 * 5 / 3, relative: 1e-15)
    let again = try run("weights", ":laws: [student_t(nu=5)]\n:samples: 20000\n:theta: [0, 1.0472, 1.5708]")
    #expect(again == r, "seeded: identical results")
  }
}
