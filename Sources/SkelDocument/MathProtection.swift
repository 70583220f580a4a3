import Foundation

/// A TeX formula found in prose.
public struct MathSpan: Sendable, Hashable {
  public var tex: String
  public var display: Bool
  public var location: SourceLocation
  /// `$$ … $$ (label)`: a numbered, referenceable equation.
  public var label: String? = nil
}

/// `@label` in prose: a cross-reference to a figure, table, equation or section.
public struct ReferenceSpan: Sendable, Hashable {
  public var label: String
  public var location: SourceLocation
}

/// `[@key]` or `[@a; @b]`: citations from the bibliography.
public struct CitationSpan: Sendable, Hashable {
  public var keys: [String]
  /// Where each key starts.
  public var locations: [SourceLocation]
}

/// `` {val}`label.field[selector]:format` ``: a number computed by a directive.
public struct ValueSpan: Sendable, Hashable {
  public var expression: String
  /// Position of the expression (inside the backticks).
  public var location: SourceLocation
}

/// A heading with `{#label}`: a referenceable section.
public struct SectionLabel: Sendable, Hashable {
  public var label: String
  public var title: String
  public var level: Int
  /// "2", "2.1": the heading's number among all headings (level-1 headings are titles).
  public var number: String
  public var location: SourceLocation
}

/// `:::{note}` … `:::`: a callout box.
public struct CalloutSpan: Sendable, Hashable {
  public var kind: String
  public var location: SourceLocation
}

/// Hides `$…$` and `$$…$$` from cmark, which would otherwise eat backslashes and turn `*` and
/// `_` into emphasis (stack.md §3), and records where each formula was. The same pass, which
/// knows what is prose and what is code, finds the other inline constructs of the report
/// language: `@label` references, `[@key]` citations, `` {val}`…` `` inline values, `{#label}` on
/// headings and `:::{kind}` callouts. Each becomes a placeholder token with its exact position.
///
/// Rules follow pandoc's `tex_math_dollars`: an opening `$` must be followed by a non-space, a
/// closing `$` preceded by a non-space and not followed by a digit; `\$` is a literal dollar;
/// fenced code blocks and inline code spans are left alone; inline math does not cross a blank line.
public struct MathProtection: Sendable {
  /// The text with each formula replaced by a placeholder token.
  public var text: String
  public var spans: [MathSpan]
  /// The raw HTML this protection wrote into `text` itself (section anchors, callout boxes),
  /// tag by tag: the only raw HTML a safe `MarkdownTree` keeps (README "Trust model").
  public var builtHTML: Set<String> = []
  public var references: [ReferenceSpan] = []
  public var citations: [CitationSpan] = []
  public var values: [ValueSpan] = []
  public var sections: [SectionLabel] = []
  public var callouts: [CalloutSpan] = []
  /// `:::` lines that close nothing, callouts left open, and inline values never closed.
  public var calloutProblems: [Diagnostic] = []
  /// `lineMap[k]` is the source line of line `k + 1` of `text` (multi-line formulas shrink to one line).
  public var lineMap: [Int]

  /// Placeholders are `<prefix><index>Q`; `substitutePlaceholders` takes the same prefixes.
  /// Every prefix starts with `sentinel`, U+FDD0, a Unicode noncharacter ("for internal use"):
  /// `SourceFile` and `HTMLEscape` turn it into U+FFFD, so an author's literal `SKMATH0Q` (or
  /// any other spelling) stays text and no input can forge a placeholder.
  /// U+FDD0 (Swift rejects noncharacters in literals).
  public static let sentinelScalar: Unicode.Scalar = Unicode.Scalar(0xFDD0 as UInt32) ?? "\u{FFFD}"
  public static let sentinel = String(Character(sentinelScalar))
  public static let mathPrefix = sentinel + "SKMATH", referencePrefix = sentinel + "SKREF"
  public static let citationPrefix = sentinel + "SKCITE", valuePrefix = sentinel + "SKVAL"
  public static func placeholder(_ index: Int) -> String { "\(mathPrefix)\(index)Q" }
  public static func referencePlaceholder(_ index: Int) -> String { "\(referencePrefix)\(index)Q" }
  public static func citationPlaceholder(_ index: Int) -> String { "\(citationPrefix)\(index)Q" }
  public static func valuePlaceholder(_ index: Int) -> String { "\(valuePrefix)\(index)Q" }

  /// Replaces every placeholder `<prefix><k>Q` of `text` in one pass over its bytes (one
  /// `replacingOccurrences` per placeholder was quadratic: 10⁴ formulas on a page cost most of a
  /// warm rebuild). `replacement(k)` nil leaves the placeholder as it is. Where
  /// `unwrapsParagraph(k)`, a placeholder that is a paragraph of its own, `<p>…</p>`, loses the
  /// paragraph tags (display math is a block).
  public static func substitutePlaceholders(
    in text: String, prefix: String, unwrapsParagraph: (Int) -> Bool = { _ in false }, _ replacement: (Int) -> String?
  ) -> String {
    let bytes = Array(text.utf8), marker = Array(prefix.utf8)
    guard let first = marker.first else { return text }
    let open = Array("<p>".utf8), close = Array("</p>".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + bytes.count / 2)
    var i = 0
    while i < bytes.count {
      if bytes[i] == first, i + marker.count < bytes.count, bytes[i..<(i + marker.count)].elementsEqual(marker) {
        var j = i + marker.count, k = 0
        while j < bytes.count, j - i - marker.count < 9, (48...57).contains(bytes[j]) {
          k = k * 10 + Int(bytes[j] - 48)
          j += 1
        }
        if j > i + marker.count, j < bytes.count, bytes[j] == UInt8(ascii: "Q"), let r = replacement(k) {
          var end = j + 1
          if unwrapsParagraph(k), out.count >= open.count, out.suffix(open.count).elementsEqual(open),
            end + close.count <= bytes.count, bytes[end..<(end + close.count)].elementsEqual(close)
          {
            out.removeLast(open.count)
            end += close.count
          }
          out.append(contentsOf: r.utf8)
          i = end
          continue
        }
      }
      out.append(bytes[i])
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Callout kinds (MyST admonitions).
  public static let calloutKinds = ["note", "tip", "important", "warning", "caution"]

  public init(_ body: String, path: String, firstLine: Int = 1) {
    let chars = Array(body)
    var out = ""
    var spans: [MathSpan] = []
    var builtHTML = Set<String>()
    var lineMap: [Int] = [firstLine]
    var line = firstLine, col = 1
    var i = 0
    var fence: (char: Character, count: Int)?
    var atLineStart = true
    var references: [ReferenceSpan] = [], citations: [CitationSpan] = [], values: [ValueSpan] = []
    var sections: [SectionLabel] = [], callouts: [CalloutSpan] = [], calloutProblems: [Diagnostic] = []
    var openCallouts: [CalloutSpan] = []
    var headingCounters = [Int](repeating: 0, count: 7)

    func advance(_ c: Character, emit: Bool) {
      if c == "\n" {
        line += 1
        col = 1
        if emit { lineMap.append(line) }
      } else {
        col += 1
      }
      if emit { out.append(c) }
    }

    while i < chars.count {
      let c = chars[i]
      if atLineStart {
        // fence detection on the line's first non-space characters
        var j = i
        while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
        if j < chars.count, chars[j] == "`" || chars[j] == "~" {
          let fc = chars[j]
          var k = j
          while k < chars.count, chars[k] == fc { k += 1 }
          let n = k - j
          if n >= 3 {
            if fence == nil, String(chars[k..<(chars[k...].firstIndex(of: "\n") ?? chars.count)]).trimmingCharacters() == "{math}" {
              // ```{math} with optional `:label: x`: a display formula, numbered when labelled.
              let location = SourceLocation(path: path, line: line, column: col + (j - i))
              var lines: [String] = []
              var e = chars[k...].firstIndex(of: "\n") ?? chars.count
              var closed = false
              while e < chars.count {
                let start = e + 1
                let end = start < chars.count ? (chars[start...].firstIndex(of: "\n") ?? chars.count) : chars.count
                let text = start < chars.count ? String(chars[start..<end]) : ""
                e = end
                let t = text.trimmingCharacters()
                if t.count >= n, t.allSatisfy({ $0 == fc }) {
                  closed = true
                  break
                }
                lines.append(text)
                if end >= chars.count { break }
              }
              var label: String?
              while let first = lines.first, first.trimmingCharacters().hasPrefix(":label:") {
                label = String(first.trimmingCharacters().dropFirst(7)).trimmingCharacters()
                lines.removeFirst()
              }
              if closed {
                out += Self.placeholder(spans.count)
                spans.append(MathSpan(tex: lines.joined(separator: "\n").trimmingCharacters(), display: true, location: location, label: label))
                // keep the line count: the fence's lines become blank lines
                for q in i..<e {
                  if chars[q] == "\n" {
                    out.append("\n")
                    line += 1
                    col = 1
                    lineMap.append(line)
                  } else {
                    col += 1
                  }
                }
                // the closing fence line itself
                while e < chars.count, chars[e] == "\n" || chars[e] == fc || chars[e] == " " {
                  if chars[e] == "\n" { break }
                  e += 1
                }
                i = e
                atLineStart = false
                continue
              }
            }
            // CommonMark: a closing fence has the opening's character, at least its length
            // and nothing but spaces after it (```` ```python ```` inside a block is code);
            // a backtick fence's info string has no backtick (that line is prose).
            let rest = chars[k..<(chars[k...].firstIndex(of: "\n") ?? chars.count)]
            if let f = fence {
              if f.char == fc, n >= f.count, rest.allSatisfy({ $0 == " " || $0 == "\t" }) { fence = nil }
            } else if fc == "~" || !rest.contains("`") {
              fence = (fc, n)
            }
            // a fence line is copied verbatim (its backticks are not an inline code span)
            while i < chars.count, chars[i] != "\n" {
              advance(chars[i], emit: true)
              i += 1
            }
            atLineStart = false
            continue
          }
        }
        atLineStart = false
        if fence == nil {
          // the whole line, for line-level constructs
          var e = i
          while e < chars.count, chars[e] != "\n" { e += 1 }
          let lineText = String(chars[i..<e])
          let trimmed = lineText.trimmingCharacters()
          if trimmed.hasPrefix(":::") {
            let rest = String(trimmed.dropFirst(3)).trimmingCharacters()
            let location = SourceLocation(path: path, line: line, column: col + (lineText.count - lineText.drop(while: { $0 == " " }).count))
            var replacement: String
            if rest.isEmpty {
              if openCallouts.popLast() != nil {
                replacement = "\n</div>\n"  // blank lines around: the HTML block is this tag alone
              } else {
                calloutProblems.append(Diagnostic(at: location, length: 3, "':::' closes no callout"))
                replacement = ""
              }
            } else if rest.hasPrefix("{"), let close = rest.firstIndex(of: "}") {
              let kind = String(rest[rest.index(after: rest.startIndex)..<close])
              let title = String(rest[rest.index(after: close)...]).trimmingCharacters()
              if !Self.calloutKinds.contains(kind) {
                calloutProblems.append(Diagnostic(at: SourceLocation(path: path, line: location.line, column: location.column + 4), length: kind.count, "unknown callout '\(kind)'\(Suggestion.didYouMean(kind, among: Self.calloutKinds)); expected one of \(Self.calloutKinds.joined(separator: ", "))"))
              }
              let callout = CalloutSpan(kind: kind, location: location)
              openCallouts.append(callout)
              callouts.append(callout)
              let heading = title.isEmpty ? kind.prefix(1).uppercased() + kind.dropFirst() : title
              replacement = "<div class=\"callout callout-\(Self.escapeHTML(kind))\"><p class=\"callout-title\">\(Self.escapeHTML(heading))</p>\n"
              builtHTML.insert(replacement.trimmingCharacters(in: .whitespacesAndNewlines))
            } else {
              replacement = lineText
            }
            for q in i..<e { advance(chars[q], emit: false) }
            // an extra blank line lets cmark parse the Markdown inside the raw HTML block
            for piece in replacement {
              if piece == "\n" {
                out.append("\n")
                lineMap.append(line)
              } else {
                out.append(piece)
              }
            }
            i = e
            continue
          }
          let hashCount = trimmed.prefix(while: { $0 == "#" }).count
          if hashCount >= 1, hashCount <= 6, trimmed.count > hashCount, trimmed[trimmed.index(trimmed.startIndex, offsetBy: hashCount)] == " " {
            headingCounters[hashCount] += 1
            for deeper in (hashCount + 1)..<7 { headingCounters[deeper] = 0 }
          }
          if trimmed.hasPrefix("#"), trimmed.hasSuffix("}"), let open = trimmed.range(of: "{#", options: .backwards) {
            let label = String(trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)])
            let hashes = trimmed.prefix(while: { $0 == "#" }).count
            if hashes <= 6, !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ":" }) {
              let title = String(trimmed[trimmed.index(trimmed.startIndex, offsetBy: hashes)..<open.lowerBound]).trimmingCharacters()
              let labelColumn = col + lineText.count - (label.count + 1)
              let number = (2...max(2, hashes)).map { String(headingCounters[$0]) }.joined(separator: ".")
              sections.append(SectionLabel(label: label, title: title, level: hashes, number: hashes == 1 ? "" : number, location: SourceLocation(path: path, line: line, column: labelColumn)))
              // keep the heading, drop the attribute, add an anchor
              let headingText = String(repeating: "#", count: hashes) + " <a id=\"" + Self.escapeHTML(label) + "\"></a>"
              builtHTML.insert("<a id=\"" + Self.escapeHTML(label) + "\">")
              builtHTML.insert("</a>")
              for q in i..<e { advance(chars[q], emit: false) }
              out += headingText
              out += title
              i = e
              continue
            }
          }
        }
      }
      if c == "\n" {
        atLineStart = true
        advance(c, emit: true)
        i += 1
        continue
      }
      if fence != nil {
        advance(c, emit: true)
        i += 1
        continue
      }
      if c == "\\", i + 1 < chars.count, chars[i + 1] == "$" {
        advance(c, emit: true)
        advance("$", emit: true)
        i += 2
        continue
      }
      if c == "`" {  // inline code span: copy through the matching backtick run
        var k = i
        while k < chars.count, chars[k] == "`" { k += 1 }
        let run = k - i
        var m = k, close: Int?
        while m < chars.count {
          if chars[m] == "`" {
            var e = m
            while e < chars.count, chars[e] == "`" { e += 1 }
            if e - m == run {
              close = e
              break
            }
            m = e
          } else {
            m += 1
          }
        }
        let end = close ?? k
        for q in i..<end { advance(chars[q], emit: true) }
        i = end
        continue
      }
      // {val}`expression`
      if c == "{", Self.matches(chars, at: i, "{val}`") {
        let start = i + 6
        // the closing backtick, within the paragraph (not across a blank line)
        var end: Int?
        var m = start
        while m < chars.count {
          if chars[m] == "`" {
            end = m
            break
          }
          if chars[m] == "\n", Self.blankLineFollows(chars, m) { break }
          m += 1
        }
        if end == nil {
          calloutProblems.append(Diagnostic(at: SourceLocation(path: path, line: line, column: col), length: 6, "inline value is never closed: expected a '`' to end {val}`…` in its paragraph"))
        }
        if let end {
          let location = SourceLocation(path: path, line: line, column: col + 6)
          values.append(ValueSpan(expression: String(chars[start..<end]), location: location))
          out += Self.valuePlaceholder(values.count - 1)
          for q in i...end { advance(chars[q], emit: false) }
          i = end + 1
          continue
        }
      }
      // [@key] or [@a; @b]
      if c == "[", i + 1 < chars.count, chars[i + 1] == "@", let close = chars[i...].firstIndex(of: "]"),
        !chars[i..<close].contains("\n")
      {
        var keys: [String] = [], locations: [SourceLocation] = []
        var k = i + 1, valid = true
        while k < close {
          while k < close, chars[k] == " " || chars[k] == ";" || chars[k] == "," { k += 1 }
          guard k < close, chars[k] == "@" else {
            valid = k >= close
            break
          }
          let keyStart = k + 1
          var e = keyStart
          while e < close, Self.isKeyCharacter(chars[e]) { e += 1 }
          if e == keyStart {
            valid = false
            break
          }
          keys.append(String(chars[keyStart..<e]))
          locations.append(SourceLocation(path: path, line: line, column: col + (keyStart - i)))
          k = e
        }
        if valid, !keys.isEmpty {
          citations.append(CitationSpan(keys: keys, locations: locations))
          out += Self.citationPlaceholder(citations.count - 1)
          for q in i...close { advance(chars[q], emit: false) }
          i = close + 1
          continue
        }
      }
      // @label (not inside a word or an e-mail address)
      if c == "@", i + 1 < chars.count, chars[i + 1].isLetter, i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "@" || chars[i - 1] == "." || chars[i - 1] == "_") {
        var e = i + 1
        while e < chars.count, Self.isKeyCharacter(chars[e]) { e += 1 }
        while e > i + 1, chars[e - 1] == "." || chars[e - 1] == ":" { e -= 1 }  // sentence punctuation
        references.append(ReferenceSpan(label: String(chars[(i + 1)..<e]), location: SourceLocation(path: path, line: line, column: col)))
        out += Self.referencePlaceholder(references.count - 1)
        for q in i..<e { advance(chars[q], emit: false) }
        i = e
        continue
      }
      if c == "$" {
        let display = i + 1 < chars.count && chars[i + 1] == "$"
        if var (end, tex) = Self.findClose(chars, from: i, display: display) {
          let location = SourceLocation(path: path, line: line, column: col)
          var label: String?
          if display {  // `$$ … $$ (label)` numbers the equation
            var k = end
            while k < chars.count, chars[k] == " " { k += 1 }
            if k < chars.count, chars[k] == "(", let close = chars[k...].firstIndex(of: ")") {
              let name = String(chars[(k + 1)..<close])
              if let f = name.first, f.isLetter, name.allSatisfy(Self.isKeyCharacter) {
                label = name
                end = close + 1
              }
            }
          }
          out += Self.placeholder(spans.count)
          spans.append(MathSpan(tex: tex, display: display, location: location, label: label))
          for q in i..<end { advance(chars[q], emit: false) }
          i = end
          continue
        }
      }
      advance(c, emit: true)
      i += 1
    }
    for open in openCallouts {
      calloutProblems.append(Diagnostic(at: open.location, length: 3, "callout '\(open.kind)' is never closed: expected a line ':::'"))
    }
    text = out
    self.spans = spans
    self.lineMap = lineMap
    self.builtHTML = builtHTML
    if !callouts.isEmpty { self.builtHTML.insert("</div>") }
    self.references = references
    self.citations = citations
    self.values = values
    self.sections = sections
    self.callouts = callouts
    self.calloutProblems = calloutProblems
  }

  /// Whether the line after the newline at `i` is blank (or the text ends there).
  static func blankLineFollows(_ chars: [Character], _ i: Int) -> Bool {
    var k = i + 1
    while k < chars.count, chars[k] == " " || chars[k] == "\t" { k += 1 }
    return k >= chars.count || chars[k] == "\n"
  }

  static func matches(_ chars: [Character], at i: Int, _ word: String) -> Bool {
    let w = Array(word)
    return i + w.count <= chars.count && Array(chars[i..<(i + w.count)]) == w
  }

  static func isKeyCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "-" || c == "_" || c == ":" || c == "." }

  static func escapeHTML(_ s: String) -> String { HTMLEscape.text(s) }

  /// The index just past the closing delimiter, and the TeX between the delimiters.
  static func findClose(_ s: [Character], from start: Int, display: Bool) -> (Int, String)? {
    if display {
      var k = start + 2
      while k + 1 < s.count {
        if s[k] == "\\" {
          k += 2
          continue
        }
        if s[k] == "$" && s[k + 1] == "$" {
          let tex = String(s[(start + 2)..<k]).trimmingCharacters()
          return tex.isEmpty ? nil : (k + 2, tex)
        }
        k += 1
      }
      return nil
    }
    let first = start + 1
    guard first < s.count, !s[first].isWhitespace else { return nil }
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
}

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
