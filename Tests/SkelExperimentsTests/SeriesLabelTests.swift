import SkelDocument
import SkelExperiments
import SkelPlot
import Testing

/// Legends typeset from the series names' `key=value` grammar, not printed as code.
@Suite struct SeriesLabelTests {
  @Test(arguments: [
    ("rho0=-0.5", "$\\rho_0 \\;=\\; -0.5$"),
    ("c0=0.99", "$c_0 \\;=\\; 0.99$"),
    ("L=16", "$L \\;=\\; 16$"),
    ("student_t(nu=5)", "Student-t ($\\nu \\;=\\; 5$)"),
    ("exact student_t(nu=5)", "exact Student-t ($\\nu \\;=\\; 5$)"),
    ("ntk d=1", "NTK $d \\;=\\; 1$"),
    ("kappa(t=1)", "$\\kappa$ ($t \\;=\\; 1$)"),
    ("sigma_w2=1.5", "$\\sigma_w^2 \\;=\\; 1.5$"),
    ("angle map L=2", "angle map $L \\;=\\; 2$"),
    ("nngp glorot_normal", "NNGP Glorot normal"),
    ("depth=3", "$L \\;=\\; 3$"),
    ("$l = 2$", "$l = 2$"),
    ("edge of chaos", "edge of chaos"),
    ("w=1e-05", "$w \\;=\\; 1\\times10^{-5}$"),
    // a sweep over words, and a point of several variables
    ("k=nngp", "$k \\;=$ NNGP"),
    ("L=4, relu", "$L \\;=\\; 4$, ReLU"),
    ("activation=leaky_relu(alpha=0.2)", "$\\text{activation} \\;=$ leaky ReLU ($\\alpha \\;=\\; 0.2$)"),
    ("w_std=1.5", "$\\sigma_w \\;=\\; 1.5$"),
    ("q_1=3", "$q_{1} \\;=\\; 3$"),
    ("input_width=2", "$\\text{input width} \\;=\\; 2$"),
    ("sigma_w2=2 q*", "$\\sigma_w^2 \\;=\\; 2$ $q^*$"),
  ])
  func typesets(name: String, tex: String) {
    #expect(SeriesLabel.tex(name) == tex)
  }

  /// What the figure draws: Greek, a subscript run and the true minus.
  @Test func runsHaveGreekSubscriptsAndTheTrueMinus() {
    let runs = MathText.runs(fromTeX: SeriesLabel.tex("rho0=-0.5"))
    #expect(runs.plainText == "ρ0 = \u{2212}0.5")
    #expect(runs.contains { $0.text == "0" && $0.scripts == [.subscript] })
    #expect(runs.contains { $0.text == "ρ" && $0.style == .italic })
  }

  /// A kind's figure gets the typeset legend; its result keeps the published name.
  @Test func fixedPointLegendIsTypeset() throws {
    let text = "```{kernel} fixed-point\n:starts: [-0.5, 0.5]\n\nCaption.\n```\n"
    let (doc, _) = DocumentParser.parse(SourceFile(path: "k.md", text: text), name: "k")
    let (resolved, vp) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    #expect(vp.isEmpty)
    let configured = try #require(ExperimentRegistry.standard.kinds["fixed-point"]).configured(try #require(resolved))
    let result = try configured.run(context: RunContext(seed: 1))
    #expect(result.series.contains { $0.name == "rho0=-0.5" })
    let names = (configured.figure(for: result)?.panels.flatMap(\.marks) ?? []).compactMap { m -> String? in
      if case .line(let s) = m, !s.name.isEmpty { return s.name } else { return nil }
    }
    #expect(names.contains("$\\rho_0 \\;=\\; -0.5$"), "\(names)")
  }
}

/// Labels judged as the reader reads them: code-like ones found, typeset ones passed.
@Suite struct LabelAuditTests {
  @Test(arguments: [
    ("k=nngp", "'=' without spaces"), ("l=1", "'=' without spaces"), ("kappa(t = 1)", "'kappa' spelled in ASCII"),
    ("student_t", "an underscore"), ("rho0 = 0.5", "'rho' spelled in ASCII"), ("y[n=160]", "an inline-value selector '[…=…]'"),
    ("Sigma", "'Sigma' spelled in ASCII"),
  ])
  func codeLikeLabelsAreFound(reading: String, reason: String) {
    #expect(LabelAudit.reason(reading) == reason)
  }

  /// The typeset forms of the issue's examples read as mathematics.
  @Test(arguments: ["rho0=-0.5", "L=16", "student_t(nu=5)", "kappa(t=1)", "k=nngp", "ntk d=1", "sigma_w2=1.5", "w_std=1.5"])
  func typesetSeriesNamesPass(name: String) {
    let tex = SeriesLabel.tex(name)
    #expect(LabelAudit.reason(tex: tex) == nil, "\(name) reads '\(LabelAudit.reading(tex))'")
    #expect(LabelAudit.reason(tex: name) != nil, "\(name) as written reads as code")
  }

  @Test func readingsOfKnownLabels() {
    #expect(LabelAudit.reading(SeriesLabel.tex("rho0=-0.5")) == "ρ₀ = \u{2212}0.5")
    #expect(LabelAudit.reading(SeriesLabel.tex("student_t(nu=5)")) == "Student-t (ν = 5)")
    #expect(LabelAudit.reading(SeriesLabel.tex("k=nngp")) == "k = NNGP")
    #expect(LabelAudit.reason(tex: "$\\kappa(t = 1)$") == nil && LabelAudit.reason(tex: "$\\mathrm{kappa}$") != nil)
    #expect(LabelAudit.reason(tex: "error at $r = 16$") == nil && LabelAudit.reason(tex: "error at r=16") != nil)
    // drawn in a figure, a relation is spaced only as the TeX says (`$l = 1$` draws `l=1`)
    #expect(LabelAudit.reason(tex: "$l = 1$", drawn: true) == "'=' without spaces")
    #expect(LabelAudit.reason(tex: SeriesLabel.math("l", 1), drawn: true) == nil)
    #expect(LabelAudit.reason(tex: "$\\mathcal{K}(x_i, x_j)$") == nil && LabelAudit.reason(tex: "$\\text{sigma\\_w}$") != nil)
    #expect(LabelAudit.reading(SeriesLabel.tex("L=16")) == "L = 16")
  }

  /// A figure's legend, axis and table labels are all looked at.
  @Test func figureAndTableFindings() {
    let figure = Figure(
      width: 300, height: 200,
      panels: [Axes(x: AxisSpec(label: "$t$"), y: AxisSpec(label: "kappa"), lines: [LineSeries(name: "l=1", x: [0, 1], y: [0, 1])])])
    #expect(
      LabelAudit.findings(figure).map(\.description) == [
        "the axis label 'kappa' reads as code ('kappa' spelled in ASCII)", "the legend label 'l=1' reads as code ('=' without spaces)",
      ])
    let table = TableData(columns: ["skeleton", "kappa(t=1)"], rows: [["fully_connected", "0.5"]])
    #expect(LabelAudit.findings(table).map(\.reading) == ["kappa(t=1)", "fully_connected"])
    let typeset = TableData(
      columns: ["skeleton", "kappa(t=1)"], rows: [["fully connected", "0.5"]], titles: ["skeleton", "$\\kappa(t = 1)$"])
    #expect(LabelAudit.findings(typeset).isEmpty)
  }
}

/// Each exact curve of `weights` is drawn in its law's Monte-Carlo colour: its colour slot is
/// the cycle position the layout gives that law's error bars (their index among the marks).
@Suite struct ExactCurveColourTests {
  @Test func exactCurvesShareTheirEstimatesColour() throws {
    let text = "```{kernel} weights\n:samples: 200\n\nCaption.\n```\n"
    let (doc, _) = DocumentParser.parse(SourceFile(path: "k.md", text: text), name: "k")
    let (resolved, _) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    let configured = try #require(ExperimentRegistry.standard.kinds["weights"]).configured(try #require(resolved))
    let result = try configured.run(context: RunContext(seed: 1))
    let marks = try #require(configured.figure(for: result)?.panels.first?.marks)
    var checked = 0
    for (k, s) in result.series.enumerated() where s.role == .exact {
      let estimate = try #require(result.series.firstIndex { $0.role == .estimate && $0.family == s.family })
      guard case .line(let line) = marks[k], case .errorBars = marks[estimate] else {
        Issue.record("mark \(k) is not the exact line")
        continue
      }
      #expect(line.colorSlot == estimate, "\(s.name)")
      checked += 1
    }
    #expect(checked >= 2)
  }
}
