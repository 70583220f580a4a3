import Foundation

/// A BibTeX field's text with its markup read: `\emph{…}`, `\textit{…}`, `{\em …}`, `{\it …}`
/// (italic), `\textbf{…}`, `{\bf …}` (bold), `$…$` (math, kept as TeX for the page's KaTeX),
/// `--` (en dash), `---` (em dash), `~` (no-break space), TeX accents and special letters
/// (`TeXAccents`), braces dropped, runs of white space one space. `\$` is a dollar sign.
public struct BibTeXText: Sendable, Hashable {
  public struct Segment: Sendable, Hashable {
    public var text: String
    public var italic = false
    public var bold = false
    /// The TeX of an inline formula (without its dollars); `text` is then that TeX too.
    public var math = false

    public init(text: String, italic: Bool = false, bold: Bool = false, math: Bool = false) {
      self.text = text
      self.italic = italic
      self.bold = bold
      self.math = math
    }
  }

  public var segments: [Segment]

  /// Accent arguments nested deeper than `TeXAccents.maxDepth` (`\"{\"{…`), at `offset`
  /// (characters into the value read).
  public struct TooDeep: Error, Sendable, Equatable {
    public var offset: Int
    public var message: String { "TeX accents nested more than \(TeXAccents.maxDepth) levels deep" }
  }

  /// The characters, formulas as their TeX: for author-year labels, sorting, plain contexts.
  public var plain: String { segments.map(\.text).joined().trimmingCharacters(in: .whitespaces) }

  public init(segments: [Segment]) { self.segments = segments }

  /// Reads a field value (its outer braces or quotes already removed, macros expanded); accents
  /// nested too deep are refused at their brace.
  public init(parsing raw: String) throws(TooDeep) {
    var reader = Reader(chars: Array(raw))
    var out: [Segment] = []
    try reader.parse(until: nil, italic: false, bold: false, into: &out)
    // one space between segments, none at the ends
    var merged: [Segment] = []
    for var s in out {
      if !s.math {
        if merged.last.map({ !$0.math && $0.text.hasSuffix(" ") }) ?? true, s.text.hasPrefix(" ") { s.text.removeFirst() }
        if s.text.isEmpty { continue }
      }
      merged.append(s)
    }
    if var last = merged.last, !last.math, last.text.hasSuffix(" ") {
      last.text.removeLast()
      merged[merged.count - 1] = last
      if last.text.isEmpty { merged.removeLast() }
    }
    segments = merged
  }

  /// HTML: text escaped by `escape`, `<em>`/`<strong>` for styles, each formula by `math`.
  public func html(escape: (String) -> String, math: (String) -> String) -> String {
    segments.map { s in
      if s.math { return math(s.text) }
      var h = escape(s.text)
      if s.bold { h = "<strong>" + h + "</strong>" }
      if s.italic { h = "<em>" + h + "</em>" }
      return h
    }.joined()
  }

  /// The segments with their styles, as text in a fixed form (for fingerprints of a page).
  public var signature: String {
    segments.map { "\($0.italic ? "i" : "")\($0.bold ? "b" : "")\($0.math ? "m" : ""):\($0.text)" }.joined(separator: "\u{1F}")
  }

  /// The formulas' TeX, in order.
  public var formulas: [String] { segments.filter(\.math).map(\.text) }

  private struct Reader {
    let chars: [Character]
    var i = 0
    /// Nested style groups being read: beyond `maxLevel` a style command is read as text, so
    /// no input nests the reader without bound.
    var level = 0
    static let maxLevel = 16

    static let styleCommands: [String: (italic: Bool, bold: Bool)] = [
      "emph": (true, false), "textit": (true, false), "textsl": (true, false), "textbf": (false, true),
    ]
    static let groupSwitches: [String: (italic: Bool, bold: Bool)] = [
      "em": (true, false), "it": (true, false), "sl": (true, false), "bf": (false, true),
    ]

    /// The control word at `k` (after a backslash), or "".
    func word(at k: Int) -> String {
      var j = k, w = ""
      while j < chars.count, chars[j].isLetter {
        w.append(chars[j])
        j += 1
      }
      return w
    }

    /// Segments up to the closing brace of the current group (`until` = "}") or the end.
    mutating func parse(until close: Character?, italic: Bool, bold: Bool, into out: inout [Segment]) throws(TooDeep) {
      // the buffer holds `chars[start...]`: its characters are appended in order from `i`
      var buffer = "", start = i
      func flush(_ out: inout [Segment]) throws(TooDeep) {
        if !buffer.isEmpty { out.append(Segment(text: try Self.text(buffer, at: start), italic: italic, bold: bold)) }
        buffer = ""
      }
      func keep(_ c: Character, at k: Int) {
        if buffer.isEmpty { start = k }
        buffer.append(c)
      }
      var depth = 0
      while i < chars.count {
        let c = chars[i]
        if c == "}" && depth == 0 && close != nil {
          i += 1
          try flush(&out)
          return
        }
        if c == "\\", i + 1 < chars.count {
          let w = word(at: i + 1)
          var k = i + 1 + w.count
          while k < chars.count, chars[k] == " " { k += 1 }
          if let style = Self.styleCommands[w], k < chars.count, chars[k] == "{", level < Self.maxLevel {
            try flush(&out)
            i = k + 1
            // \emph inside italic text is upright again, as LaTeX sets it
            try group(italic: w == "emph" ? !italic : (italic || style.italic), bold: bold || style.bold, into: &out)
            continue
          }
          // any other command and its next character go to the accent decoder (`\$` stays a dollar)
          keep(c, at: i)
          keep(chars[i + 1], at: i + 1)
          i += 2
          continue
        }
        if c == "{", i + 1 < chars.count, chars[i + 1] == "\\" {
          let w = word(at: i + 2)
          if let style = Self.groupSwitches[w], i + 2 + w.count < chars.count, !chars[i + 2 + w.count].isLetter,
            level < Self.maxLevel
          {
            try flush(&out)
            i += 2 + w.count
            try group(italic: w == "em" ? !italic : (italic || style.italic), bold: bold || style.bold, into: &out)
            continue
          }
        }
        if c == "$" {
          if let tex = formula() {
            try flush(&out)
            out.append(Segment(text: tex, math: true))
          } else {
            keep(c, at: i)  // an unclosed or empty `$` is a dollar sign
            i += 1
          }
          continue
        }
        if c == "{" { depth += 1 } else if c == "}" { depth = max(0, depth - 1) }
        keep(c, at: i)
        i += 1
      }
      try flush(&out)
    }

    /// A styled group's segments, up to its closing brace, one level deeper.
    mutating func group(italic: Bool, bold: Bool, into out: inout [Segment]) throws(TooDeep) {
      level += 1
      defer { level -= 1 }
      try parse(until: "}", italic: italic, bold: bold, into: &out)
    }

    /// The formula `$…$` at `i` (its TeX, trimmed; `i` past the closing dollar), or nil (and `i`
    /// left) when it is unclosed or empty.
    mutating func formula() -> String? {
      var j = i + 1, tex = ""
      while j < chars.count, chars[j] != "$" {
        if chars[j] == "\\", j + 1 < chars.count {
          tex.append(chars[j])
          j += 1
        }
        tex.append(chars[j])
        j += 1
      }
      let t = tex.trimmingCharacters(in: .whitespaces)
      guard j < chars.count, !t.isEmpty else { return nil }
      i = j + 1
      return t
    }

    /// Plain text: accents decoded, then ties and dashes, braces dropped, white space one space
    /// (`raw` starts at character `start` of the value, where a refusal is placed).
    static func text(_ raw: String, at start: Int) throws(TooDeep) -> String {
      var t = try TeXAccents.decode(raw, base: start)
      t = t.replacingOccurrences(of: "---", with: "\u{2014}").replacingOccurrences(of: "--", with: "\u{2013}")
      t = t.replacingOccurrences(of: "~", with: "\u{00A0}")
      t = t.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
      var s = "", space = false
      for ch in t {
        if ch == " " || ch == "\n" || ch == "\t" || ch == "\r" {
          space = true
        } else {
          if space { s.append(" ") }
          space = false
          s.append(ch)
        }
      }
      if space { s.append(" ") }
      return s
    }
  }
}
