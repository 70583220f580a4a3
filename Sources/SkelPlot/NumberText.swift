import Foundation

/// The one number formatter of the site: table cells, inline values, captions, alt text, legend
/// and column labels, `values.tex`. A number is rounded once into a `NumberText` (sign, digits,
/// power of ten) and then written in each medium: plain Unicode (`−2.25 × 10⁻³`), TeX
/// (`-2.25\times10^{-3}`), HTML (`−2.25 × 10<sup>−3</sup>`) or figure text runs.
///
/// Rules (`init(_:significant:)`): `significant` digits (trailing zeros dropped, as `%g` does);
/// the true minus U+2212; exact zero (and −0) is `0`; integers below 10⁶ print whole
/// (`2000`, not `2 × 10³`); other numbers are fixed when the rounded exponent e is in
/// −3 ≤ e < significant (`0.001234`, `1235`), scientific otherwise (`1.235 × 10⁴`); NaN
/// and ±∞ are not numbers and say so (`NaN`, `∞`, `−∞`; `isFinite` tells a caller to refuse).
public struct NumberText: Hashable, Sendable {
  public enum Kind: Hashable, Sendable { case finite, nan, infinity }
  public var kind: Kind
  public var negative: Bool
  /// The digits with their decimal point (`2.25`, `0.001234`, `16`), no sign.
  public var mantissa: String
  /// The power of ten the mantissa is multiplied by, `nil` in fixed notation.
  public var exponent: Int?

  /// Significant digits of table cells and generated text (captions, alt text).
  public static let tableDigits = 4

  public var isFinite: Bool { kind == .finite }

  public init(kind: Kind, negative: Bool, mantissa: String, exponent: Int?) {
    self.kind = kind
    self.negative = negative
    self.mantissa = mantissa
    self.exponent = exponent
  }

  /// `x` to `significant` digits (1…17) by the rules above.
  public init(_ x: Double, significant: Int = NumberText.tableDigits) {
    let p = min(17, max(1, significant))
    negative = x.sign == .minus && x != 0 && !x.isNaN
    exponent = nil
    guard x.isFinite else {
      kind = x.isNaN ? .nan : .infinity
      mantissa = ""
      return
    }
    kind = .finite
    let a = Swift.abs(x)
    if a == 0 {
      mantissa = "0"
      return
    }
    if a == a.rounded(), a < 1e6 {
      mantissa = String(Int(a))
      return
    }
    // round once to p significant digits; the rounded exponent decides the notation
    let sci = Self.c("%.\(p - 1)e", a)
    let parts = sci.split(separator: "e")
    let e = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
    if e >= -3, e < p {
      mantissa = Self.trimmed(Self.c("%.\(max(0, p - 1 - e))f", a))
    } else {
      mantissa = Self.trimmed(String(parts[0]))
      exponent = e
    }
  }

  /// Python-style formats of inline values: `.Nf` (fixed, N decimals), `.Ne` (scientific, N
  /// decimals kept), `.N%`, `d`; `.Ng` is `init(_:significant:)`.
  public init(_ x: Double, fixedDecimals n: Int) {
    self.init(x, significant: 1)
    guard x.isFinite else { return }
    let s = Self.c("%.\(min(17, max(0, n)))f", Swift.abs(x))
    mantissa = s
    exponent = nil
    // a value that rounds to zero is 0 (no "−0.00")
    if !s.contains(where: { $0 != "0" && $0 != "." }) { negative = false }
  }

  public init(_ x: Double, scientificDecimals n: Int) {
    self.init(x, significant: 1)
    guard x.isFinite else { return }
    if x == 0 {
      mantissa = "0"
      exponent = nil
      return
    }
    let parts = Self.c("%.\(min(17, max(0, n)))e", Swift.abs(x)).split(separator: "e")
    mantissa = String(parts[0])
    exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
  }

  static func c(_ format: String, _ x: Double) -> String {
    var buffer = [CChar](repeating: 0, count: 512)
    _ = withVaList([x]) { vsnprintf(&buffer, buffer.count, format, $0) }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `1.2500` → `1.25`, `3.000` → `3`, `120` stays.
  static func trimmed(_ s: String) -> String {
    guard s.contains(".") else { return s }
    var t = Substring(s)
    while t.last == "0" { t = t.dropLast() }
    if t.last == "." { t = t.dropLast() }
    return String(t)
  }

  static let superscriptDigits: [Character: Character] = [
    "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹", "-": "⁻",
  ]

  /// Unicode text: `−2.25 × 10⁻³`, `0`, `NaN`, `−∞`.
  public var plain: String {
    let sign = negative ? "−" : ""
    switch kind {
    case .nan: return "NaN"
    case .infinity: return sign + "∞"
    case .finite:
      guard let e = exponent else { return sign + mantissa }
      return sign + mantissa + " × 10" + String(String(e).compactMap { Self.superscriptDigits[$0] })
    }
  }

  /// TeX math, without the dollars: `-2.25\times10^{-3}`, `\mathrm{NaN}`, `-\infty`.
  public var tex: String {
    let sign = negative ? "-" : ""
    switch kind {
    case .nan: return "\\mathrm{NaN}"
    case .infinity: return sign + "\\infty"
    case .finite:
      guard let e = exponent else { return sign + mantissa }
      return sign + mantissa + "\\times10^{\(e)}"
    }
  }

  /// HTML (already escaped; only digits and entities): `−2.25 × 10<sup>−3</sup>`.
  public var html: String {
    let sign = negative ? "−" : ""
    switch kind {
    case .nan: return "NaN"
    case .infinity: return sign + "∞"
    case .finite:
      guard let e = exponent else { return sign + mantissa }
      return sign + mantissa + "\u{202F}×\u{202F}10<sup>" + (e < 0 ? "−" : "") + String(Swift.abs(e)) + "</sup>"
    }
  }

  /// Figure text: the exponent as a superscript run.
  public var runs: [TextRun] {
    guard kind == .finite, let e = exponent else { return .plain(plain) }
    var out: [TextRun] = .plain((negative ? "−" : "") + mantissa + " × 10")
    out.appendRun(TextRun((e < 0 ? "−" : "") + String(Swift.abs(e)), scripts: [.superscript]))
    return out
  }

  /// Reads a number back from data text (`-0.5`, `−0.5`, `1e-3`); `nil` for anything else
  /// (words, `0.5 ✓`, an empty cell).
  public static func number(in text: String) -> Double? {
    let t = text.replacingOccurrences(of: "−", with: "-")
    guard !t.isEmpty, t.allSatisfy({ "0123456789.-+eE".contains($0) }), let v = Double(t) else { return nil }
    return v
  }
}
