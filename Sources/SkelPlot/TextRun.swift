/// A piece of label text in one style, at one script level: what the figure model says about text,
/// in no backend's language. A label is an array of runs; a backend turns them into its own form
/// (SkelCairo: Pango markup, escaped there).
public struct TextRun: Hashable, Sendable, CustomStringConvertible {
  public enum Style: Hashable, Sendable { case regular, italic, bold }
  public enum Script: Hashable, Sendable { case superscript, `subscript` }

  public var text: String
  public var style: Style
  /// The scripts the run sits in, outermost first: `[]` on the baseline, `[.superscript]` in an
  /// exponent, `[.superscript, .subscript]` for a subscript inside an exponent. Consecutive runs
  /// with a common prefix share those scripts (one exponent holding an italic and an upright run).
  public var scripts: [Script]

  public init(_ text: String, style: Style = .regular, scripts: [Script] = []) {
    self.text = text
    self.style = style
    self.scripts = scripts
  }

  /// The innermost script, `nil` on the baseline.
  public var script: Script? { scripts.last }

  /// `text`, with its style and scripts as short tags (for test failures and debugging only).
  public var description: String {
    let style = self.style == .regular ? "" : self.style == .italic ? "i:" : "b:"
    let scripts = self.scripts.map { $0 == .superscript ? "^" : "_" }.joined()
    return scripts + style + text
  }
}

extension Array where Element == TextRun {
  /// One upright run on the baseline (nothing for empty text).
  public static func plain(_ text: String) -> [TextRun] { text.isEmpty ? [] : [TextRun(text)] }

  /// The characters of the runs without their styles (alt text, CSV headers, layout tests).
  public var plainText: String { map(\.text).joined() }

  /// The characters with one level of scripts as Unicode sub- and superscripts where every
  /// character of the run has one (`ρ₀`, `σ²`, `10⁻³`), else the characters as they are, after
  /// `_` or `^` (`σ_w`): text for alt attributes and other places without markup.
  public var unicodeText: String {
    // adjacent runs in the same scripts are one script (math letters are one run each)
    var groups: [TextRun] = []
    for r in self {
      if let last = groups.last, last.scripts == r.scripts { groups[groups.count - 1].text += r.text } else { groups.append(r) }
    }
    return groups.map { r in
      guard let s = r.script else { return r.text }
      let table = s == .superscript ? Self.superscripts : Self.subscripts
      let mapped = r.text.map { table[$0] }
      if r.scripts.count == 1, mapped.allSatisfy({ $0 != nil }) { return String(mapped.compactMap { $0 }) }
      return (s == .superscript ? "^" : "_") + r.text
    }.joined()
  }

  static let superscripts: [Character: Character] = Dictionary(
    uniqueKeysWithValues: zip("0123456789+-−=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿ"))
  static let subscripts: [Character: Character] = Dictionary(
    uniqueKeysWithValues: zip("0123456789+-−=()", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎"))

  /// Appends a run; an upright run joins an upright predecessor at the same script level (one
  /// run either way for every backend), styled runs stay apart. Empty runs are dropped.
  public mutating func appendRun(_ run: TextRun) {
    guard !run.text.isEmpty else { return }
    if run.style == .regular, let last = self.last, last.style == .regular, last.scripts == run.scripts {
      self[count - 1].text += run.text
    } else {
      append(run)
    }
  }

  /// Appends runs one by one (`appendRun`).
  public mutating func appendRuns(_ runs: [TextRun]) {
    for r in runs { appendRun(r) }
  }

  /// The runs set one script level deeper (`x^{…}` puts `…` in a superscript).
  func inScript(_ s: TextRun.Script) -> [TextRun] {
    map { r in
      var r = r
      r.scripts.insert(s, at: 0)
      return r
    }
  }
}
