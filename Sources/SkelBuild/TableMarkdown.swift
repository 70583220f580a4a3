import SkelExperiments

/// A result table as a GFM Markdown table, so its cells may hold math and code like prose. The
/// header row is the kind's column titles (`TableData.titles`), or its column keys.
enum TableMarkdown {
  static func markdown(_ t: TableData) -> String {
    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
    let titles = t.titles ?? t.columns
    var lines = ["| " + titles.map(cell).joined(separator: " | ") + " |"]
    lines.append("|" + t.columns.map { _ in "---|" }.joined())
    for row in t.rows { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
    return lines.joined(separator: "\n") + "\n"
  }
}
