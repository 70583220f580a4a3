/// The readers of the report language's prose constructs, one construct each. Each reads at a
/// position of the body's characters and says what it found and where it ends; `ProseScanner`
/// (which knows what is prose and what is code) calls them and records positions. Pure: no
/// state, no output; each has a table test (ProseReaderTests).
public enum ProseReaders {
  /// `$…$` at `i` (pandoc's `tex_math_dollars`): the opening `$` is followed by a non-space,
  /// the closing one preceded by a non-space and not followed by a digit; `\` escapes the next
  /// character; no blank line inside. The index just past the closing `$`, and the TeX.
  public static func inlineMath(_ s: [Character], at start: Int) -> (end: Int, tex: String)? {
    let first = start + 1
    guard start < s.count, s[start] == "$", first < s.count, !s[first].isWhitespace else { return nil }
    var k = first
    while k < s.count {
      let c = s[k]
      if c == "\\" {
        k += 2
        continue
      }
      if c == "\n", k + 1 < s.count, s[k + 1] == "\n" { return nil }  // blank line
      if c == "$" {
        if s[k - 1].isWhitespace { return nil }
        if k + 1 < s.count, s[k + 1].isNumber { return nil }
        return (k + 1, String(s[first..<k]))
      }
      k += 1
    }
    return nil
  }

  /// `$$…$$` at `i`, optionally followed by ` (label)` (a numbered equation: the label starts
  /// with a letter and has key characters only). The TeX is trimmed and not empty.
  public static func displayMath(_ s: [Character], at start: Int) -> (end: Int, tex: String, label: String?)? {
    guard start + 1 < s.count, s[start] == "$", s[start + 1] == "$" else { return nil }
    var k = start + 2
    while k + 1 < s.count {
      if s[k] == "\\" {
        k += 2
        continue
      }
      if s[k] == "$" && s[k + 1] == "$" {
        let tex = String(s[(start + 2)..<k]).trimmingCharacters()
        if tex.isEmpty { return nil }
        let (end, label) = equationLabel(s, after: k + 2)
        return (end, tex, label)
      }
      k += 1
    }
    return nil
  }

  /// ` (label)` after a display formula ending at `end`: the new end and the label, or `end`.
  static func equationLabel(_ s: [Character], after end: Int) -> (Int, String?) {
    var k = end
    while k < s.count, s[k] == " " { k += 1 }
    guard k < s.count, s[k] == "(", let close = s[k...].firstIndex(of: ")") else { return (end, nil) }
    let name = String(s[(k + 1)..<close])
    guard let f = name.first, f.isLetter, name.allSatisfy(isKeyCharacter) else { return (end, nil) }
    return (close + 1, name)
  }

  /// A ```` ```{math} ```` block whose opening fence (`count` times `fence`) ends its info
  /// string at `infoStart`: the formula up to a line of at least `count` fence characters,
  /// with leading `:label: x` lines as its label. Nil when no closing fence follows. `end` is
  /// the end of the closing fence line (its newline, or the end of the text).
  public static func mathBlock(
    _ s: [Character], infoStart: Int, fence: Character, count: Int
  ) -> (end: Int, tex: String, label: String?)? {
    var lines: [String] = []
    var e = s[infoStart...].firstIndex(of: "\n") ?? s.count
    var closed = false
    while e < s.count {
      let start = e + 1
      let end = start < s.count ? (s[start...].firstIndex(of: "\n") ?? s.count) : s.count
      let text = start < s.count ? String(s[start..<end]) : ""
      e = end
      let t = text.trimmingCharacters()
      if t.count >= count, t.allSatisfy({ $0 == fence }) {
        closed = true
        break
      }
      lines.append(text)
      if end >= s.count { break }
    }
    guard closed else { return nil }
    var label: String?
    while let first = lines.first, first.trimmingCharacters().hasPrefix(":label:") {
      label = String(first.trimmingCharacters().dropFirst(7)).trimmingCharacters()
      lines.removeFirst()
    }
    return (e, lines.joined(separator: "\n").trimmingCharacters(), label)
  }

  /// `[@key]` or `[@a; @b]` at `i`, on one line: the keys, each key's offset from `i`, and the
  /// index just past `]`. Separators are spaces, `;` and `,`; anything else is no citation.
  public static func citation(_ s: [Character], at i: Int) -> (keys: [String], offsets: [Int], end: Int)? {
    guard i + 1 < s.count, s[i] == "[", s[i + 1] == "@", let close = s[i...].firstIndex(of: "]"),
      !s[i..<close].contains("\n")
    else { return nil }
    var keys: [String] = [], offsets: [Int] = []
    var k = i + 1
    while k < close {
      while k < close, s[k] == " " || s[k] == ";" || s[k] == "," { k += 1 }
      guard k < close else { break }
      guard s[k] == "@" else { return nil }
      let keyStart = k + 1
      var e = keyStart
      while e < close, isKeyCharacter(s[e]) { e += 1 }
      if e == keyStart { return nil }
      keys.append(String(s[keyStart..<e]))
      offsets.append(keyStart - i)
      k = e
    }
    return keys.isEmpty ? nil : (keys, offsets, close + 1)
  }

  /// `@label` at `i`, not inside a word or an e-mail address; sentence punctuation (`.`, `:`)
  /// at its end is not part of it. The label and the index just past it.
  public static func reference(_ s: [Character], at i: Int) -> (label: String, end: Int)? {
    guard i + 1 < s.count, s[i] == "@", s[i + 1].isLetter else { return nil }
    if i > 0, s[i - 1].isLetter || s[i - 1].isNumber || s[i - 1] == "@" || s[i - 1] == "." || s[i - 1] == "_" { return nil }
    var e = i + 1
    while e < s.count, isKeyCharacter(s[e]) { e += 1 }
    while e > i + 1, s[e - 1] == "." || s[e - 1] == ":" { e -= 1 }
    return (String(s[(i + 1)..<e]), e)
  }

  public enum ValueRead: Equatable {
    /// The expression between the backticks, and the index just past the closing one.
    case value(String, end: Int)
    /// No closing backtick in the paragraph.
    case unclosed
  }

  /// `` {val}`expression` `` at `i`; the closing backtick must come before a blank line.
  public static func value(_ s: [Character], at i: Int) -> ValueRead? {
    guard matches(s, at: i, "{val}`") else { return nil }
    let start = i + 6
    var m = start
    while m < s.count {
      if s[m] == "`" { return .value(String(s[start..<m]), end: m + 1) }
      if s[m] == "\n", blankLineFollows(s, m) { break }
      m += 1
    }
    return .unclosed
  }

  public enum CalloutLine: Equatable {
    /// `:::{kind} optional title`
    case open(kind: String, title: String)
    /// `:::` alone
    case close
    /// `:::` followed by something else: left as written.
    case other
  }

  /// A line (trimmed) starting with `:::`; nil for any other line.
  public static func calloutLine(_ trimmed: String) -> CalloutLine? {
    guard trimmed.hasPrefix(":::") else { return nil }
    let rest = String(trimmed.dropFirst(3)).trimmingCharacters()
    if rest.isEmpty { return .close }
    guard rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") else { return .other }
    let kind = String(rest[rest.index(after: rest.startIndex)..<close])
    return .open(kind: kind, title: String(rest[rest.index(after: close)...]).trimmingCharacters())
  }

  /// `## Title {#label}` (a trimmed line): the heading level, the label and the title. The label
  /// has letters, digits, `-`, `_` and `:`.
  public static func headingLabel(_ trimmed: String) -> (level: Int, label: String, title: String)? {
    guard trimmed.hasPrefix("#"), trimmed.hasSuffix("}"), let open = trimmed.range(of: "{#", options: .backwards) else { return nil }
    let label = String(trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)])
    let hashes = trimmed.prefix(while: { $0 == "#" }).count
    guard hashes <= 6, !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ":" }) else {
      return nil
    }
    let title = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: hashes)..<open.lowerBound]).trimmingCharacters()
    return (hashes, label, title)
  }

  /// A table caption line (trimmed), pandoc's `: Caption text {#tbl-x}`: the caption text, the
  /// label and the label's offset in the line; nil for any other line.
  public static func tableCaption(_ trimmed: String) -> (text: String, label: String, labelOffset: Int)? {
    guard trimmed.hasPrefix(": "), trimmed.hasSuffix("}"), let open = trimmed.range(of: "{#", options: .backwards) else { return nil }
    let label = String(trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)])
    guard let first = label.first, first.isLetter, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
      return nil
    }
    let text = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 2)..<open.lowerBound]).trimmingCharacters()
    return (text, label, trimmed.distance(from: trimmed.startIndex, to: open.upperBound))
  }

  /// The level of an ATX heading line (trimmed): 1–6 `#` and a space, else nil.
  public static func headingLevel(_ trimmed: String) -> Int? {
    let n = trimmed.prefix(while: { $0 == "#" }).count
    guard n >= 1, n <= 6, trimmed.count > n, trimmed[trimmed.index(trimmed.startIndex, offsetBy: n)] == " " else { return nil }
    return n
  }

  /// Whether the line after the newline at `i` is blank (or the text ends there).
  static func blankLineFollows(_ chars: [Character], _ i: Int) -> Bool {
    var k = i + 1
    while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
    return k >= chars.count || chars[k] == "\n"
  }

  static func matches(_ chars: [Character], at i: Int, _ word: String) -> Bool {
    let w = Array(word)
    return i >= 0 && i + w.count <= chars.count && Array(chars[i..<(i + w.count)]) == w
  }

  static func isKeyCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" || c == ":" || c == "." }
}
