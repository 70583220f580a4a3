import Foundation
import SkelPlot

/// Labels a reader sees that read as code, not mathematics (issue 21: "figures and tables as in
/// a paper"): an ASCII `=` without spaces (`L=16`), an underscore (`student_t`), a Greek letter
/// spelled in ASCII (`kappa`, `rho0`, `sigma_w2`, `nu`), an inline-value selector (`[x=0.5]`).
/// A label is judged as it is shown: its TeX read as text (`MathText.unicode`), so
/// `$\rho_0 = -0.5$` reads `ρ₀ = −0.5` and passes. The build runs it over every figure and
/// table (`SiteBuilder`: a warning names each label); the bundled reports have none
/// (`make test-site`).
public enum LabelAudit {
  public struct Finding: Sendable, Hashable, CustomStringConvertible {
    /// Where the label is shown: "legend", "column", "axis", "title", "annotation".
    public var place: String
    /// The label as the reader reads it.
    public var reading: String
    public var reason: String
    public var description: String { "the \(place) label '\(reading)' reads as code (\(reason))" }
  }

  static let greek = [
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu", "nu", "xi", "omicron",
    "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega",
  ]
  static let greekPattern = "(?<![A-Za-z])(" + greek.joined(separator: "|") + ")(?![A-Za-z])"

  /// Why `text` (a label as shown, Unicode text) reads as code, or nil. In `math` (a formula's
  /// TeX without its commands) a relation is spaced and `_` set as a subscript by the typesetter,
  /// so only a Greek name in ASCII or a selector count.
  public static func reason(_ text: String, math: Bool = false) -> String? {
    if text.range(of: "\\[[^\\]]*=[^\\]]*\\]", options: .regularExpression) != nil { return "an inline-value selector '[…=…]'" }
    if !math {
      if text.range(of: "[^\\s=<>!≤≥]=|=[^\\s=]", options: .regularExpression) != nil { return "'=' without spaces" }
      if text.contains("^{") || text.contains("_{") || text.range(of: "\\\\[A-Za-z]", options: .regularExpression) != nil {
        return "raw TeX"
      }
    }
    if !math, text.contains("_") { return "an underscore" }
    if let r = text.range(of: greekPattern, options: [.regularExpression, .caseInsensitive]) {
      return "'\(text[r])' spelled in ASCII"
    }
    return nil
  }

  /// A TeX label as the reader reads it (simple scripts as Unicode sub- and superscripts).
  public static func reading(_ tex: String) -> String { MathText.unicode(fromTeX: tex) }

  /// Why the TeX label `tex` reads as code: its text outside `$…$` as written; in each formula,
  /// its words (letters not after a backslash: `\\mathrm{kappa}`, not `x_i`, which is two) and an
  /// escaped underscore.
  /// `drawn`: the label is drawn in a figure, whose math text (`MathText`) spaces a relation only
  /// where the TeX says so (`\\;=\\;`), so its formulas' relations count too (`$l = 1$` draws `l=1`).
  public static func reason(tex: String, drawn: Bool = false) -> String? {
    for (k, part) in tex.split(separator: "$", omittingEmptySubsequences: false).enumerated() {
      guard k % 2 == 1 else {
        if let why = reason(String(part)) { return why }
        continue
      }
      if part.contains("\\_") { return "an underscore" }
      if drawn, let why = reason(MathText.plain(fromTeX: "$" + part + "$").replacingOccurrences(of: "_", with: " "), math: false),
        why == "'=' without spaces"
      {
        return why
      }
      let words = part.replacingOccurrences(of: "\\\\[A-Za-z]+", with: " ", options: .regularExpression)
      if let why = reason(words, math: true) { return why }
    }
    return nil
  }

  static func finding(_ place: String, _ tex: String, drawn: Bool = true) -> Finding? {
    reason(tex: tex, drawn: drawn).map { Finding(place: place, reading: reading(tex), reason: $0) }
  }

  /// Every label of `figure` that reads as code: legend entries, axis labels, panel titles,
  /// reference-line labels, colorbar labels and the columns of a drawn table.
  public static func findings(_ figure: Figure) -> [Finding] {
    var out: [Finding] = []
    for panel in figure.panels {
      out += [panel.title].compactMap { finding("title", $0) }
      out += [panel.x.label, panel.y.label].compactMap { finding("axis", $0) }
      for mark in panel.marks {
        switch mark {
        case .line(let s): out += [finding("legend", s.name)].compactMap { $0 }
        case .errorBars(let s): out += [finding("legend", s.name)].compactMap { $0 }
        case .band(let s): out += [finding("legend", s.name)].compactMap { $0 }
        case .histogram(let h): out += [finding("legend", h.name)].compactMap { $0 }
        case .reference(.horizontal(_, let label)), .reference(.vertical(_, let label)), .reference(.slope(_, _, _, let label)):
          out += [finding("annotation", label)].compactMap { $0 }
        case .heatmap(let h): out += [finding("colorbar", h.colorbarLabel)].compactMap { $0 }
        case .table(let t): out += t.columns.compactMap { finding("column", $0) }
        case .graph: continue
        }
      }
    }
    return out
  }

  /// Every column title of `table` (its `titles`, else its keys: what the page shows) and
  /// every cell that is not a number (series names, layers, kernels) that reads as code.
  public static func findings(_ table: TableData) -> [Finding] {
    var out = (table.titles ?? table.columns).compactMap { finding("column", $0, drawn: false) }
    var seen = Set<String>()
    for row in table.rows {
      for (k, cell) in row.enumerated() where NumberText.number(in: cell) == nil {
        let shown = table.shown(cell, column: k)
        if seen.insert(shown).inserted, let f = finding("cell", shown, drawn: false) { out.append(f) }
      }
    }
    return out
  }
}
