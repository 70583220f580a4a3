import SkelExperiments
import Testing

@testable import SkelBuild

/// Table cells and cross-references as the page writes them.
@Suite struct TableTypesetTests {
  @Test func numericCellsAreMathWithFourDigits() {
    let t = TableData(
      columns: ["b", "w", "name"], rows: [["0.05", "1.76384723949", "relu"], ["-7.68136817138e-33", "0", "0.5 ✓"]],
      titles: ["$\\sigma_b^2$", "$\\sigma_w^2$", "name"])
    let md = TableMarkdown.markdown(t)
    #expect(md.contains("| $0.05$ | $1.764$ | relu |"))
    #expect(md.contains("| $-7.681\\times10^{-33}$ | $0$ | 0.5 ✓ |"))
    #expect(md.hasPrefix("| $\\sigma_b^2$ | $\\sigma_w^2$ | name |"))
  }

  @Test func theWordBeforeAReferenceIsNotWrittenTwice() {
    #expect(ReportLinks.referenceText("Section 1", after: "Section") == "1")
    #expect(ReportLinks.referenceText("Section 1", after: "section") == "1")
    #expect(ReportLinks.referenceText("Figure 2", after: "see") == "Figure 2")
    #expect(ReportLinks.referenceText("Table 3", after: "") == "Table 3")
    #expect(ReportLinks.referenceText("Introduction", after: "Introduction") == "Introduction")
  }
}
