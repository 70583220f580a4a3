import SkelExperiments
import SkelPlot

/// A result table as a GFM Markdown table, so its cells may hold math and code like prose. The
/// header row is the kind's column titles (`TableData.titles`), or its column keys. A cell that
/// is a number is typeset by the one number formatter (`NumberText`, `NumberText.tableDigits`
/// significant digits, true minus, powers of ten) as math; the data files keep every digit.
enum TableMarkdown {
  static func markdown(_ t: TableData) -> String {
    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
    let titles = t.titles ?? t.columns
    var lines = ["| " + titles.map(cell).joined(separator: " | ") + " |"]
    lines.append("|" + t.columns.map { _ in "---|" }.joined())
    for row in t.rows { lines.append("| " + row.map { cell(typeset($0)) }.joined(separator: " | ") + " |") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A numeric cell as math (`$-2.25\times10^{-3}$`), any other cell as it is.
  static func typeset(_ cell: String) -> String {
    guard let x = NumberText.number(in: cell) else { return cell }
    return "$" + NumberText(x).tex + "$"
  }
}
