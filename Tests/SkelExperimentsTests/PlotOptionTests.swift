import Foundation
import SkelDocument
import SkelExperiments
import SkelPlot
import SkelTestSupport
import Testing

/// The plot options every figure kind takes: applied to every panel, never in the result's key,
/// their limits checked at their position; log axes get decade ticks.
@Suite struct PlotOptionTests {
  static func configured(_ kind: String, _ options: String) throws -> (ConfiguredDirective, [String]) {
    let source = SourceFile(path: "c.md", text: "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n")
    let (doc, _) = DocumentParser.parse(source, name: "c")
    let (o, problems) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    let resolved = try #require(o, "\(problems.map(\.message))")
    let (c, kindProblems) = try #require(ExperimentRegistry.standard.kinds[kind]).configure(resolved, directive: doc.directives[0])
    return (try #require(c), kindProblems.map { "\($0.location.line):\($0.location.column): \($0.message)" })
  }

  @Test func appliedToThePanelsAndNotInTheKey() throws {
    let base = ":activation: erf\n:w_std: 2.5\n:depths: [1, 4, 16]\n:rho: linspace(0, 1, 21)"
    let (plain, _) = try Self.configured("ntk", base)
    let (styled, problems) = try Self.configured("ntk", base + "\n:yscale: log\n:xlim: [0.2, 1]\n:legend: outside\n:colormap: gray")
    #expect(problems.isEmpty)
    #expect(styled.canonicalOptions == plain.canonicalOptions, "presentation options are not in the result's key")
    #expect(styled.common.plot.canonical != plain.common.plot.canonical, "they are in the figure's key")
    let result = try plain.run(context: RunContext(seed: 1))
    let before = try #require(plain.figure(for: result)), after = try #require(styled.figure(for: result))
    #expect(before.panels[0].y.scale == .linear && after.panels[0].y.scale == .log)
    #expect(after.panels[0].x.limits == 0.2...1 && after.panels[0].legend == .outside)
    #expect(after.panels[0].marks == before.panels[0].marks, "the data drawn is the same")
    // the log axis: decade ticks over the data (Θ grows with depth in the chaotic phase)
    let layout = FigureLayout(theme: .light, measurer: FixedMeasurer()).layoutFigure(after)[0]
    #expect(layout.yScale.kind == .log)
    let ys = result.series.flatMap(\.y).filter { $0 > 0 }
    let lo = try #require(ys.min()), hi = try #require(ys.max())
    let decades = layout.yTicks.map { log10($0) }
    #expect(!decades.isEmpty && decades.allSatisfy { abs($0 - $0.rounded()) < 1e-12 }, "\(layout.yTicks)")
    #expect(layout.yTicks.allSatisfy { $0 >= layout.yScale.lower && $0 <= layout.yScale.upper })
    #expect(layout.yScale.lower <= lo && layout.yScale.upper >= hi, "\(layout.yScale) holds [\(lo), \(hi)]")
    #expect(layout.xScale.lower == 0.2 && layout.xScale.upper == 1)
  }

  @Test func limitsAreCheckedAtTheirPosition() throws {
    #expect(try Self.configured("nngp", ":xlim: [1, 0]").1 == ["2:8: option 'xlim' must be [a, b] with a < b, got [1, 0]"])
    #expect(try Self.configured("nngp", ":xlim: [1, 2, 3]").1 == ["2:8: option 'xlim' must be [a, b] with a < b, got [1, 2, 3]"])
    #expect(
      try Self.configured("nngp", ":yscale: log\n:ylim: [0, 2]").1 == ["3:8: option 'ylim' must be positive on a log axis, got [0, 2]"])
    #expect(try Self.configured("nngp", ":legend: upper-left\n:xscale: symlog").1.isEmpty)
  }
}
