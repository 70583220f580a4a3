import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import Testing

/// Numbered Markdown tables (directives.md, "Tables"): a table followed by `: Caption {#tbl-x}`
/// is a numbered table, counted with the tables kinds emit by one rule (document order).
@Suite struct TableCaptionTests {
  static let report = """
    ---
    title: Tables
    ---

    First @tbl-duals, then @tbl-hermite, then @tbl-errors.

    | activation | $\\hat\\sigma(0)$ |
    |---|---|
    | relu | $1/\\pi$ |
    | step | $1/2$ |
    : Duals at $\\rho = 0$ (see @tbl-errors) {#tbl-duals}

    ```{kernel} hermite-table
    :label: tbl-hermite
    :activations: [relu]

    Hermite coefficients.
    ```

    | n | error |
    |---|---|
    | 10 | 0.5 |

    :   Test error against $n$   {#tbl-errors}

    A line such as : this {#not-a-table} in prose stays text.

    """

  func page(_ report: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tables-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Data(report.utf8).write(to: dir.appendingPathComponent("reports/t.md"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: nil)
    try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).build()
    return try String(contentsOf: dir.appendingPathComponent("_site/t/index.html"), encoding: .utf8)
  }

  /// The HTML of the figure with this id, from its opening tag to its end.
  static func figure(_ id: String, in page: String) throws -> String {
    let start = try #require(page.range(of: "<figure class=\"skel-table\" id=\"\(id)\">"), "no table \(id)")
    let end = try #require(page[start.upperBound...].range(of: "</figure>"))
    return String(page[start.lowerBound..<end.upperBound])
  }

  @Test func captionedTablesAreNumberedWithTheKindsTablesInDocumentOrder() throws {
    let page = try page(Self.report)
    #expect(page.contains("First <a class=\"xref\" href=\"#tbl-duals\">Table 1</a>"))
    #expect(page.contains("then <a class=\"xref\" href=\"#tbl-hermite\">Table 2</a>"))
    #expect(page.contains("then <a class=\"xref\" href=\"#tbl-errors\">Table 3</a>"))
    let duals = try Self.figure("tbl-duals", in: page)
    #expect(duals.contains("<span class=\"figure-number\">Table 1.</span> Duals at <span class=\"math inline\"><span class=\"katex\">"))
    #expect(duals.contains("<annotation encoding=\"application/x-tex\">\\rho = 0</annotation>"), "the caption's math is typeset")
    #expect(duals.contains("(see <a class=\"xref\" href=\"#tbl-errors\">Table 3</a>)"), "references in the caption resolve")
    #expect(duals.contains("<td>relu</td>") && duals.contains("<th>activation</th>"), "the table is inside its figure")
    #expect(!duals.contains("{#tbl-duals}") && !duals.contains(": Duals"))
    let hermite = try Self.figure("tbl-hermite", in: page)
    #expect(hermite.contains("<span class=\"figure-number\">Table 2.</span> Hermite coefficients."))
    let errors = try Self.figure("tbl-errors", in: page)
    #expect(errors.contains("<span class=\"figure-number\">Table 3.</span> Test error against <span class=\"math inline\">"))
    #expect(errors.contains("<td>10</td>") && errors.contains("<td>0.5</td>"))
    #expect(page.contains("<p>A line such as : this {#not-a-table} in prose stays text.</p>"))
  }

  @Test func captionsAreReadWithTheirLabelsPositions() {
    let p = MathProtection("| a |\n|---|\n| 1 |\n  : Cap $x$ {#tbl-a}\n", path: "t.md", firstLine: 5)
    #expect(p.tableCaptions.map(\.label) == ["tbl-a"])
    #expect(p.tableCaptions.map(\.location) == [SourceLocation(path: "t.md", line: 8, column: 15)])
    #expect(p.tableCaptions.map(\.lineLocation) == [SourceLocation(path: "t.md", line: 8, column: 3)])
    #expect(p.spans.map(\.tex) == ["x"])
    #expect(ProseReaders.tableCaption(": A {#tbl-1}")?.label == "tbl-1")
    #expect(ProseReaders.tableCaption(": A {#tbl-1}")?.text == "A")
    #expect(ProseReaders.tableCaption(":A {#tbl-1}") == nil)
    #expect(ProseReaders.tableCaption(": A {#1tbl}") == nil)
    #expect(ProseReaders.tableCaption(": A {tbl-1}") == nil)
    #expect(MathProtection("Text\n: A {#tbl-a}\n", path: "t.md").tableCaptions.isEmpty, "no table row before it")
  }

  @Test func aCaptionAfterNoTableOrALabelUsedTwiceIsAnError() throws {
    let body = "---\ntitle: T\n---\n\nSee @tbl-a.\n\nx | y\n: Cap {#tbl-a}\n"
    #expect(
      try buildErrors(["e.md": Array(body.utf8)]) == [
        "e.md:8:1: error: table caption '{#tbl-a}' follows no table; put it on the line after the table"
      ])
    let twice = """
      See @tbl-a.

      ```{kernel} hermite-table
      :label: tbl-a
      :activations: [relu]

      H.
      ```

      | a |
      |---|
      | 1 |
      : Cap {#tbl-a}

      """
    #expect(try buildErrors(["e.md": Array(twice.utf8)]) == ["e.md:13:9: error: label 'tbl-a' is already used on line 4"])
  }
}
