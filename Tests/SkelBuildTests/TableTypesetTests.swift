import Foundation
import SkelExperiments
import SkelPlot
import Testing

@testable import SkelBuild

/// Table cells and cross-references as the page writes them.
@Suite struct TableTypesetTests {
  @Test func numericCellsAreMathWithFourDigits() {
    let t = TableData(
      columns: ["b", "w", "name"], rows: [["0.05", "1.76384723949", "relu"], ["-7.68136817138e-33", "0", "0.5 ✓"]],
      titles: ["$\\sigma_b^2$", "$\\sigma_w^2$", "name"])
    let md = TableMarkdown.markdown(t) ?? ""
    #expect(md.contains("| $0.05$ | $1.764$ | relu |"))
    #expect(md.contains("| $-7.681\\times10^{-33}$ | $0$ | 0.5 ✓ |"))
    #expect(md.hasPrefix("| $\\sigma_b^2$ | $\\sigma_w^2$ | name |"))
  }

  /// A column of series names is typeset as the legend is (KaTeX spaces the relation itself);
  /// the table's cells keep the names (the data files and selectors read them).
  @Test func seriesNameColumnsAreTypeset() {
    let t = TableData(
      columns: ["k", "series", "exponent"], rows: [["nngp", "ntk d=1", "-2.045"], ["ntk", "student_t(nu=5)", "1"]],
      titles: ["$k$", "series", "exponent"], nameColumns: [0, 1])
    let md = TableMarkdown.markdown(t) ?? ""
    #expect(md.contains("| NNGP | NTK $d = 1$ | $-2.045$ |"), "\(md)")
    #expect(md.contains("| NTK | Student-t ($\\nu = 5$) | $1$ |"), "\(md)")
    #expect(t.rows[0] == ["nngp", "ntk d=1", "-2.045"])
    #expect(LabelAudit.findings(t).isEmpty)
    #expect(LabelAudit.findings(TableData(columns: t.columns, rows: t.rows)).map(\.reading) == ["ntk d=1", "student_t(nu=5)"])
  }

  @Test func theWordBeforeAReferenceIsNotWrittenTwice() {
    #expect(ReportLinks.referenceText("Section 1", after: "Section") == "1")
    #expect(ReportLinks.referenceText("Section 1", after: "section") == "1")
    #expect(ReportLinks.referenceText("Figure 2", after: "see") == "Figure 2")
    #expect(ReportLinks.referenceText("Table 3", after: "") == "Table 3")
    #expect(ReportLinks.referenceText("Introduction", after: "Introduction") == "Introduction")
  }
}

/// The published JSON: numeric table cells are numbers; alt text names a heat map's ranges.
@Suite struct PublishedDataTests {
  @Test func tableCellsAreJSONNumbers() throws {
    let t = TableData(columns: ["b", "name"], rows: [["\u{2212}0.5", "relu"], ["1.76384723949", "0.5 ✓"]])
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = String(decoding: try encoder.encode(FigureData.Document.PublishedTable(table: t)), as: UTF8.self)
    #expect(json == #"{"columns":["b","name"],"rows":[[-0.5,"relu"],[1.76384723949,"0.5 ✓"]]}"#)
  }

  @Test func heatMapAltTextSaysWhatAndTheRanges() {
    let r = ExperimentResult(
      xlabel: "sigma_w2", ylabel: "sigma_b2", xlabelTeX: "", ylabelTeX: "",
      series: [SeriesData(name: "edge of chaos", x: [1], y: [0])],
      grid: GridData(name: "chi1", x: [0.5, 1, 4], y: [0, 0.25], values: [[0.25, 1, .nan], [-0.003, 2, 3.5]]))
    #expect(
      FigureData.alt(r)
        == "Heat map of chi1 over sigma_w2 and sigma_b2 (sigma_w2 from 0.5 to 4, sigma_b2 from 0 to 0.25); chi1 from \u{2212}0.003 to 3.5, undefined in 1 cells; overlaid: edge of chaos."
    )
  }

  /// Alt text speaks the figure's typeset names: axis labels from their TeX, series from their
  /// `key=value` names (ρ₀ = −0.5, Student-t (ν = 5)), scripts as Unicode where they have one.
  @Test func altTextUsesTypesetNames() {
    let r = ExperimentResult(
      xlabel: "rho", ylabel: "kappa", xlabelTeX: "$\\rho$", ylabelTeX: "$\\sigma_w^2$",
      series: [SeriesData(name: "rho0=-0.5", x: [-1, 1], y: [0, 1]), SeriesData(name: "student_t(nu=5)", x: [0], y: [0])])
    #expect(
      FigureData.alt(r)
        == "Line plot of σ_w² against ρ for ρ₀ = −0.5, Student-t (ν = 5); ρ from −1 to 1.")
    #expect(MathText.unicode(fromTeX: "$10^{-3}$ and $x_{ij}$") == "10⁻³ and x_ij")
  }
}
