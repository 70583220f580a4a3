import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

@testable import SkelBuild

/// `:table: none | summary | full | auto`: the rows of a result's table shown on the page.
@Suite struct TableChoiceTests {
  static let table = TableData(
    columns: ["n", "v"], rows: (1...20).map { ["\($0)", "\(Double($0) / 8)"] }, titles: ["$n$", "$v$"])

  @Test func summaryKeepsFourFirstAndTwoLastRowsAndSaysWhatIsLeftOut() throws {
    let md = try #require(TableMarkdown.markdown(Self.table, .summary))
    #expect(
      md == """
        | $n$ | $v$ |
        |---|---|
        | $1$ | $0.125$ |
        | $2$ | $0.25$ |
        | $3$ | $0.375$ |
        | $4$ | $0.5$ |
        | ⋮ | ⋮ |
        | $19$ | $2.375$ |
        | $20$ | $2.5$ |

        Rows 5–18 of 20 left out here (`:table: full` shows them); the CSV and JSON hold every row.

        """)
    #expect(TableMarkdown.markdown(Self.table, .none) == nil)
    #expect(TableMarkdown.markdown(Self.table, .full)?.split(separator: "\n").count == 22)
    // a summary that would leave out one row or none shows them all
    let seven = TableData(columns: ["n"], rows: (1...7).map { ["\($0)"] })
    #expect(TableMarkdown.markdown(seven, .summary) == TableMarkdown.markdown(seven, .full))
  }

  @Test func autoIsFullUpToTwelveRowsAndForTableDirectives() {
    #expect(TableChoice.auto.resolved(rows: 12, presentation: .figure) == .full)
    #expect(TableChoice.auto.resolved(rows: 13, presentation: .figure) == .summary)
    #expect(TableChoice.auto.resolved(rows: 31, presentation: .table) == .full)
    #expect(TableChoice.none.resolved(rows: 3, presentation: .figure) == .none)
  }

  /// A phase diagram's edge-of-chaos table (20 roots) under its figure: summary by default,
  /// every row with `full`, no table box with `none`, the JSON keeping all 20 rows each time.
  @Test func aPhaseDiagramsTableOnThePage() throws {
    func directive(_ label: String, _ extra: String) -> String {
      """
      ```{kernel} phase-diagram
      :label: \(label)
      :activation: tanh
      :quantity: chi1
      :sigma_w2: linspace(0.5, 4, 6)
      :sigma_b2: linspace(0, 1, 4)
      :eoc_points: 20
      \(extra)
      The phase diagram.
      ```

      """
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("table-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    let text =
      "---\ntitle: T\norder: 1\n---\n# T\n\n" + directive("fig-a", "") + directive("fig-f", ":table: full\n")
      + directive("fig-n", ":table: none\n")
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/t.md"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: nil)
    try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).build()
    let page = try String(contentsOf: dir.appendingPathComponent("_site/t/index.html"), encoding: .utf8)
    func tableRows(after id: String) -> Int? {
      guard let start = page.range(of: "id=\"\(id)\"") else { return nil }
      let rest = page[start.upperBound...]
      let end = rest.range(of: "<figure")?.lowerBound ?? rest.endIndex
      let part = rest[..<end]
      guard part.contains("figure-table") else { return nil }
      return part.components(separatedBy: "<tr>").count - 1
    }
    for label in ["fig-a", "fig-f", "fig-n"] {
      let data = try Data(contentsOf: dir.appendingPathComponent("_site/t/\(label).json"))
      let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      let table = try #require(json["table"] as? [String: Any])
      #expect((table["rows"] as? [Any])?.count == 20)
    }
    #expect(tableRows(after: "fig-a") == 1 + 4 + 1 + 2)  // header, 4 rows, ⋮, 2 rows
    #expect(page.contains("Rows 5–18 of 20 left out here"))
    #expect(tableRows(after: "fig-f") == 21)
    #expect(tableRows(after: "fig-n") == nil)
  }

  @Test func noneOnATableDirectiveIsAnErrorAtTheValue() throws {
    let text = "```{kernel} parity\n:label: tbl-p\n:table: none\n\nNT.\n```\n"
    #expect(
      try buildErrors(["p.md": Array(text.utf8)]) == [
        "p.md:3:9: error: option 'table' is none, but 'parity' is a table: nothing would be shown (use summary or full)"
      ])
  }
}
