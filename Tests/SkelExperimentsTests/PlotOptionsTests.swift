import SkelDocument
import SkelExperiments
import SkelPlot
import Testing

/// The plot options of every figure kind (directives.md, "Plot options"): they change how a
/// result is drawn and never what is computed.
@Suite struct PlotOptionsTests {
  /// The configured directive of one directive text, and its diagnostics.
  func configure(_ kind: String, _ options: String) -> (ConfiguredDirective?, [String]) {
    let source = SourceFile(path: "p.md", text: "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n")
    let (doc, _) = DocumentParser.parse(source, name: "p")
    let (resolved, vp) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    guard let resolved else { return (nil, vp.map { "\($0.location): \($0.message)" }) }
    let (configured, problems) = ExperimentRegistry.standard.kinds[kind]!.configure(resolved, directive: doc.directives[0])
    return (configured, problems.map { "\($0.location): \($0.message)" })
  }

  @Test func optionsReachEveryPanelOfTheFigure() throws {
    let (c, problems) = configure(
      "ntk", ":activation: erf\n:w_std: 3\n:depths: [1, 4]\n:rho: linspace(-1, 1, 21)\n:yscale: log\n:xlim: [-0.5, 1]\n:legend: outside")
    #expect(problems.isEmpty, "\(problems)")
    let configured = try #require(c)
    let result = try configured.run(context: RunContext(seed: 1))
    let figure = try #require(configured.figure(for: result))
    for panel in figure.panels {
      #expect(panel.y.scale == .log && panel.x.scale == .linear)
      #expect(panel.x.limits == -0.5...1 && panel.y.limits == nil)
      #expect(panel.legend == .outside)
    }
    // the same directive without the options: the kind's own axes, the same numbers
    let (plain, _) = configure("ntk", ":activation: erf\n:w_std: 3\n:depths: [1, 4]\n:rho: linspace(-1, 1, 21)")
    let p = try #require(plain)
    let plainFigure = try #require(p.figure(for: try p.run(context: RunContext(seed: 1))))
    #expect(plainFigure.panels.allSatisfy { $0.y.scale == .linear && $0.x.limits == nil && $0.legend != .outside })
    #expect(try p.run(context: RunContext(seed: 1)).series.map(\.y) == result.series.map(\.y))
    // presentation only: one result key, two drawings
    #expect(p.canonicalOptions == configured.canonicalOptions)
    #expect(p.common.drawingText != configured.common.drawingText)
  }

  @Test func colormapReachesHeatMapsOnly() throws {
    let figure = Figure(
      width: 100, height: 100,
      panels: [
        Axes(marks: [.heatmap(Heatmap(values: [0, 1, 2, 3], rows: 2, columns: 2))]),
        Axes(marks: [.graph(GraphDrawing(nodes: [], edges: []))]),
      ])
    var options = PlotOptions()
    options.colormap = .cividis
    options.xscale = .log
    let out = options.apply(to: figure)
    guard case .heatmap(let h) = out.panels[0].marks[0] else {
      Issue.record("not a heat map")
      return
    }
    #expect(h.colormap == .cividis && out.panels[0].x.scale == .log)
    #expect(out.panels[1] == figure.panels[1], "a graph panel has no axes to change")
  }

  @Test func badValuesAreErrorsAtTheirOption() {
    let cases: [(String, String)] = [
      (":xlim: [1]", "p.md:2:8: option 'xlim' needs two numbers [a, b], got 1"),
      (":ylim: [2, 1]", "p.md:2:8: option 'ylim' needs finite a < b, got [2, 1]"),
      (":yscale: log\n:ylim: [0, 10]", "p.md:3:8: option 'ylim' must be positive on a log axis (yscale: log), got 0"),
    ]
    for (options, expected) in cases {
      let (_, problems) = configure("ntk", options)
      #expect(problems == [expected], "\(options): \(problems)")
    }
    let (_, scale) = configure("ntk", ":xscale: loglog")
    #expect(scale.count == 1 && scale[0].hasPrefix("p.md:2:10:") && scale[0].contains("'log'"), "\(scale)")
    let (_, table) = configure("hermite-table", ":activations: [relu]\n:legend: none")
    #expect(table == ["p.md:3:2: option 'legend' draws axes, but 'hermite-table' is a table: remove it"], "\(table)")
  }
}
