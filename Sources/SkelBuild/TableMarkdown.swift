import SkelExperiments

/// A result table as a GFM Markdown table, so its cells may hold math and code like prose.
enum TableMarkdown {
  static func markdown(_ t: TableData) -> String {
    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
    let titles = t.titles ?? t.columns.map(header)
    var lines = ["| " + titles.map(cell).joined(separator: " | ") + " |"]
    lines.append("|" + t.columns.map { _ in "---|" }.joined())
    for row in t.rows { lines.append("| " + row.map(cell).joined(separator: " | ") + " |") }
    return lines.joined(separator: "\n") + "\n"
  }

  /// Column keys such as `a3^2` are shown as math (kinds not yet giving `titles`).
  static func header(_ key: String) -> String {
    if key.hasPrefix("a"), key.hasSuffix("^2"), let k = Int(key.dropFirst().dropLast(2)) { return "$a_{\(k)}^2$" }
    let math = ["rho*": "$\\rho^*$", "q*": "$q^*$", "c*": "$c^*$", "chi1": "$\\chi_1$", "chi_c": "$\\chi_c$", "xi_c": "$\\xi_c$",
      "xi_q": "$\\xi_q$", "sigma_b2": "$\\sigma_b^2$", "sigma_w2_critical": "$\\sigma^2_{w,c}$"]
    if let m = math[key] { return m }
    return key
  }
}
