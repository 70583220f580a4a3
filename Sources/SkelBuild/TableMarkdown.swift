import SkelExperiments
import SkelPlot

/// A result table as a GFM Markdown table, so its cells may hold math and code like prose. The
/// header row is the kind's column titles (`TableData.titles`), or its column keys; a cell of a
/// column of series names is typeset as the legend is (`TableData.shown`). A cell that
/// is a number is typeset by the one number formatter (`NumberText`, `NumberText.tableDigits`
/// significant digits, true minus, powers of ten) as math; the data files keep every digit.
///
/// `:table:` (`TableChoice`) chooses the rows: `summary` keeps the first `summaryHead` and last
/// `summaryTail` rows, a row of ⋮ between them and a line saying how many rows are left out and
/// that the CSV and JSON hold them; `none` is no table (`nil`).
enum TableMarkdown {
  static func markdown(_ t: TableData, _ choice: TableChoice = .full) -> String? {
    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
    func line(_ row: [String]) -> String {
      "| " + row.enumerated().map { k, c in cell(typeset(t.shown(c, column: k))) }.joined(separator: " | ") + " |"
    }
    let titles = t.titles ?? t.columns
    var lines = ["| " + titles.map(cell).joined(separator: " | ") + " |"]
    lines.append("|" + t.columns.map { _ in "---|" }.joined())
    let head = TableChoice.summaryHead, tail = TableChoice.summaryTail
    switch choice {
    case .none: return nil
    case .summary where t.rows.count > head + tail + 1:
      lines += t.rows.prefix(head).map(line)
      lines.append("| " + t.columns.map { _ in "⋮" }.joined(separator: " | ") + " |")
      lines += t.rows.suffix(tail).map(line)
      let left = t.rows.count - head - tail
      lines.append("")
      lines.append(
        "Rows \(head + 1)–\(head + left) of \(t.rows.count) left out here (`:table: full` shows them); the CSV and JSON hold every row.")
    default:
      lines += t.rows.map(line)
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// A numeric cell as math (`$-2.25\times10^{-3}$`), any other cell as it is.
  static func typeset(_ cell: String) -> String {
    guard let x = NumberText.number(in: cell) else { return cell }
    return "$" + NumberText(x).tex + "$"
  }
}
