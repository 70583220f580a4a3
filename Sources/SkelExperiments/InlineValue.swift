import Foundation
import SkelPlot

#if canImport(Glibc)
  import Glibc
#endif

/// An inline value `label.field[selectors]:format`, read from a directive's result (never
/// recomputed for prose).
///
/// - `label.y[SERIES, X=VALUE]`: the y of the named series at the grid point x = VALUE (X is the
///   result's x name, e.g. `rho`); with one series its name may be left out. Monte-Carlo values
///   carry their standard error: `0.123 ± 0.004`.
/// - `label.min[SERIES]`, `label.max[SERIES]`: extremes of a series.
/// - `label.table[ROW, COLUMN]`: a table cell; ROW is an index from 0 or a first-column value,
///   COLUMN a name or an index.
/// - `:format` is Python's: `.3f`, `.4g` (the default), `.2e`, `.1%`, `d`.
public struct InlineValue: Sendable, Hashable {
  public var label: String
  public var field: String
  public var selectors: [String]
  public var format: String

  public static let fields = ["y", "yerr", "min", "max", "table"]

  public struct ParseError: Error, Sendable {
    public var offset: Int
    public var message: String
  }

  public init(parsing text: String) throws(ParseError) {
    let chars = Array(text)
    var i = 0
    while i < chars.count, chars[i] != ".", chars[i] != "[", chars[i] != ":" { i += 1 }
    label = String(chars[0..<i])
    guard !label.isEmpty else { throw ParseError(offset: 0, message: "an inline value starts with a label, as in fig-x.y[rho=0]") }
    guard i < chars.count, chars[i] == "." else {
      throw ParseError(offset: i, message: "expected '.field' after the label '\(label)' (fields: \(Self.fields.joined(separator: ", ")))")
    }
    i += 1
    let fieldStart = i
    while i < chars.count, chars[i].isLetter { i += 1 }
    field = String(chars[fieldStart..<i])
    guard Self.fields.contains(field) else {
      throw ParseError(
        offset: fieldStart, message: "unknown field '\(field)'\(Self.suggest(field)); fields: \(Self.fields.joined(separator: ", "))")
    }
    var selectors: [String] = []
    if i < chars.count, chars[i] == "[" {
      guard let close = chars[i...].firstIndex(of: "]") else { throw ParseError(offset: i, message: "unclosed '[' in the selector") }
      selectors = String(chars[(i + 1)..<close]).split(separator: ",").map { String($0).trimmedForValue() }.filter { !$0.isEmpty }
      i = close + 1
    }
    self.selectors = selectors
    var format = ".4g"
    if i < chars.count {
      guard chars[i] == ":" else { throw ParseError(offset: i, message: "unexpected '\(chars[i])'; a format follows ':' as in :.3f") }
      format = String(chars[(i + 1)...])
      guard NumberFormat(format) != nil else {
        throw ParseError(offset: i + 1, message: "unknown format '\(format)'; expected a Python format such as .3f, .4g, .2e, .1% or d")
      }
    }
    self.format = format
  }

  static func suggest(_ f: String) -> String {
    guard let best = fields.min(by: { lev(f, $0) < lev(f, $1) }) else { return "" }
    return lev(f, best) <= 2 ? "; did you mean '\(best)'?" : ""
  }

  static func lev(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    var d = Array(0...y.count)
    for i in 1...max(1, x.count) where !x.isEmpty {
      var prev = d[0]
      d[0] = i
      for j in 1...max(1, y.count) where !y.isEmpty {
        let t = d[j]
        d[j] = min(d[j] + 1, d[j - 1] + 1, prev + (x[i - 1] == y[j - 1] ? 0 : 1))
        prev = t
      }
    }
    return d[y.count]
  }

  public struct EvaluationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  /// What an inline value reads from a result, before it is written anywhere: a number with
  /// its standard error, or a table cell that is no number (its text).
  public enum Reading: Hashable, Sendable {
    case number(Double, error: Double?)
    case text(String)
  }

  /// The formatted value from a result (plain Unicode text: `0.123 ± 0.004`, `2.25 × 10⁻³`).
  public func evaluate(_ r: ExperimentResult) throws(EvaluationError) -> String {
    try evaluateText(r).plain
  }

  /// The value written in every medium (plain, HTML, TeX) by the one number formatter.
  public func evaluateText(_ r: ExperimentResult) throws(EvaluationError) -> InlineText {
    guard let fmt = NumberFormat(format) else { throw EvaluationError(message: "unknown number format '\(format)'") }
    switch try read(r) {
    case .text(let t): return InlineText(text: t)
    case .number(let v, let e): return InlineText(value: fmt.text(v), error: e.map(fmt.text), percent: fmt.style == "%")
    }
  }

  /// The value as read from the result, unformatted.
  public func read(_ r: ExperimentResult) throws(EvaluationError) -> Reading {
    if field == "table" {
      guard let t = r.table else { throw EvaluationError(message: "'\(label)' has no table") }
      return try tableValue(t)
    }
    let (series, xValue, seriesName) = try selectSeries(r)
    switch field {
    case "min", "max":
      if let x = xValue {
        throw EvaluationError(
          message:
            "\(field) is taken over the whole series, not at \(r.xlabel)=\(NumberFormat.g6.format(x)); use \(label).y[…, \(r.xlabel)=…] for one point"
        )
      }
      let finite = series.y.filter(\.isFinite)
      guard let v = field == "min" ? finite.min() : finite.max() else {
        throw EvaluationError(message: "series '\(series.name)' of '\(label)' has no finite value to take the \(field) of")
      }
      return .number(v, error: nil)
    default:
      guard let x = xValue else {
        let first = series.x.first.map { NumberFormat.g4.format($0) } ?? "0"
        throw EvaluationError(
          message: "which point? add \(r.xlabel)=VALUE, as in \(label).\(field)[\(seriesName.map { $0 + ", " } ?? "")\(r.xlabel)=\(first)]")
      }
      return try pointValue(series, at: x, xlabel: r.xlabel)
    }
  }

  /// The value as a number (a sweep's `:summary:`): a point's y and its standard error, a
  /// series' min or max, a table cell that is a number, or `yerr` — at full precision.
  public func number(_ r: ExperimentResult) throws(EvaluationError) -> (value: Double, error: Double?) {
    switch try read(r) {  // every selector checked once, by the same rules as prose
    case .number(let v, let e): return (v, e)
    case .text(let t): throw EvaluationError(message: "\(field)[\(selectors.joined(separator: ", "))] is '\(t)', not a number")
    }
  }

  /// `.table[ROW, COLUMN]`: a row by index or first cell, a column by name or index.
  func tableValue(_ t: TableData) throws(EvaluationError) -> Reading {
    guard selectors.count == 2 else {
      throw EvaluationError(message: "table values need [ROW, COLUMN], as in \(label).table[0, \(t.columns.first ?? "name")]")
    }
    let row: [String]
    if let k = Int(selectors[0]), k >= 0, k < t.rows.count {
      row = t.rows[k]
    } else if let match = t.rows.first(where: { $0.first == selectors[0] }) {
      row = match
    } else {
      let firsts = t.rows.map { $0.first ?? "" }.prefix(6).joined(separator: ", ")
      throw EvaluationError(message: "no row '\(selectors[0])' in the table of '\(label)' (\(t.rows.count) rows; first column: \(firsts))")
    }
    let col: Int
    if let k = t.columns.firstIndex(of: selectors[1]) {
      col = k
    } else if let k = Int(selectors[1]), k >= 0, k < t.columns.count {
      col = k
    } else {
      throw EvaluationError(
        message: "no column '\(selectors[1])' in the table of '\(label)'; columns: \(t.columns.joined(separator: ", "))")
    }
    guard col < row.count else { throw EvaluationError(message: "the row has no column \(col)") }
    let cell = row[col]
    if let x = NumberText.number(in: cell) { return .number(x, error: nil) }
    return .text(cell)
  }

  /// The series the selectors name (or the only one), and the x value they ask for, if any.
  func selectSeries(_ r: ExperimentResult) throws(EvaluationError) -> (SeriesData, Double?, String?) {
    var seriesName: String?
    var xValue: Double?
    for s in selectors {
      if let eq = s.firstIndex(of: "="), String(s[..<eq]).trimmedForValue() == r.xlabel, r.series.contains(where: { $0.name == s }) == false
      {
        guard let v = Double(String(s[s.index(after: eq)...]).trimmedForValue()) else {
          throw EvaluationError(message: "'\(s)': expected \(r.xlabel)=NUMBER")
        }
        xValue = v
      } else {
        seriesName = s
      }
    }
    if let name = seriesName {
      guard let s = r.series.first(where: { $0.name == name }) else {
        throw EvaluationError(message: "no series '\(name)' in '\(label)'; series: \(r.series.map(\.name).joined(separator: ", "))")
      }
      return (s, xValue, seriesName)
    }
    guard r.series.count == 1 else {
      throw EvaluationError(
        message: "'\(label)' has \(r.series.count) series; name one, as in \(label).\(field)[\(r.series.first?.name ?? "name")]")
    }
    return (r.series[0], xValue, nil)
  }

  /// `y` (± its standard error when there is one) or `yerr` at the point x.
  func pointValue(_ series: SeriesData, at x: Double, xlabel: String) throws(EvaluationError) -> Reading {
    let tolerance = 1e-9 * max(1, abs(x))
    guard let k = series.x.firstIndex(where: { abs($0 - x) <= tolerance }) else {
      let nearest = series.x.min { abs($0 - x) < abs($1 - x) }
      throw EvaluationError(
        message:
          "\(xlabel)=\(NumberFormat.g6.format(x)) is not a point of '\(label)'\(nearest.map { " (nearest: \(NumberFormat.g6.format($0)))" } ?? "")"
      )
    }
    if field == "yerr" {
      guard let e = series.yerr else { throw EvaluationError(message: "'\(label)' has no standard errors") }
      return .number(e[k], error: nil)
    }
    return .number(series.y[k], error: series.yerr?[k])
  }
}

/// Python-style number formats: `.Nf`, `.Ng`, `.Ne`, `.N%`, `d`.
public struct NumberFormat: Sendable {
  let precision: Int
  let style: Character
  /// `.6g` and `.4g`, for numbers in messages.
  static let g6 = NumberFormat(precision: 6, style: "g"), g4 = NumberFormat(precision: 4, style: "g")

  init(precision: Int, style: Character) {
    self.precision = precision
    self.style = style
  }

  public init?(_ spec: String) {
    if spec == "d" {
      precision = 0
      style = "d"
      return
    }
    guard spec.hasPrefix("."), let last = spec.last, "fge%".contains(last), let p = Int(spec.dropFirst().dropLast()), p >= 0, p <= 17 else {
      return nil
    }
    precision = p
    style = last
  }

  /// The number rounded by this format (the one formatter, `NumberText`).
  public func text(_ x: Double) -> NumberText {
    switch style {
    case "d": NumberText(x, fixedDecimals: 0)
    case "%": NumberText(x * 100, fixedDecimals: precision)
    case "e": NumberText(x, scientificDecimals: precision)
    case "g": NumberText(x, significant: max(precision, 1))
    default: NumberText(x, fixedDecimals: precision)
    }
  }

  /// Plain Unicode text (`−0.5`, `2.25 × 10⁻³`, `12.5%`).
  public func format(_ x: Double) -> String { text(x).plain + (style == "%" && x.isFinite ? "%" : "") }
}

/// An inline value's text in every medium: a number (± its standard error, `%` for a percent
/// format) or a table cell's own text.
public struct InlineText: Hashable, Sendable {
  public var value: NumberText?
  public var error: NumberText?
  public var percent = false
  public var text = ""

  public init(value: NumberText, error: NumberText? = nil, percent: Bool = false) {
    self.value = value
    self.error = error
    self.percent = percent
  }

  public init(text: String) { self.text = text }

  /// Unicode: `0.123 ± 0.004`, `−2.25 × 10⁻³`.
  public var plain: String {
    guard let v = value else { return text }
    return v.plain + (error.map { " ± " + $0.plain } ?? "") + (percent ? "%" : "")
  }

  /// HTML (escaped): powers of ten as `<sup>`.
  public var html: String {
    guard let v = value else { return HTMLEscape.text(text) }
    return v.html + (error.map { " ± " + $0.html } ?? "") + (percent ? "%" : "")
  }

  /// TeX that works in running text and in math (`\ensuremath{0.123\pm0.004}`); a text cell
  /// with TeX's specials escaped.
  public var tex: String {
    guard let v = value else { return TeXEscape.text(text) }
    return "\\ensuremath{" + v.tex + (error.map { "\\pm " + $0.tex } ?? "") + (percent ? "\\%" : "") + "}"
  }
}

enum HTMLEscape {
  static func text(_ s: String) -> String {
    s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
      .replacingOccurrences(of: "\"", with: "&quot;")
  }
}

enum TeXEscape {
  /// Running text for TeX: `\ # $ % & _ { } ~ ^` escaped, the true minus as `-`.
  static func text(_ s: String) -> String {
    var out = ""
    for c in s {
      switch c {
      case "\\": out += "\\textbackslash{}"
      case "#", "$", "%", "&", "_", "{", "}": out += "\\" + String(c)
      case "~": out += "\\textasciitilde{}"
      case "^": out += "\\textasciicircum{}"
      case "−": out += "-"
      default: out.append(c)
      }
    }
    return out
  }
}

extension String {
  func trimmedForValue() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " { s = s.dropFirst() }
    while let l = s.last, l == " " { s = s.dropLast() }
    return String(s)
  }
}
