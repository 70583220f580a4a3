import Foundation

/// A TeX formula found in prose.
public struct MathSpan: Sendable, Hashable {
  public var tex: String
  public var display: Bool
  public var location: SourceLocation
  /// `$$ … $$ (label)`: a numbered, referenceable equation.
  public var label: String? = nil
  public init(tex: String, display: Bool, location: SourceLocation, label: String? = nil) {
    self.tex = tex
    self.display = display
    self.location = location
    self.label = label
  }
}

/// `@label` in prose: a cross-reference to a figure, table, equation or section.
public struct ReferenceSpan: Sendable, Hashable {
  public var label: String
  public var location: SourceLocation
  /// The word just before the reference (`Section` in "Section @sec-x"), empty when none: a
  /// target named "Section 2" is then written "2", not "Section Section 2".
  public var precedingWord: String = ""
  public init(label: String, location: SourceLocation, precedingWord: String = "") {
    self.label = label
    self.location = location
    self.precedingWord = precedingWord
  }
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

/// `: Caption text {#tbl-x}` after a Markdown table: a numbered, referenceable table.
public struct TableCaptionSpan: Sendable, Hashable {
  public var label: String
  /// Where the label starts (after `{#`), and where the caption line starts.
  public var location: SourceLocation
  public var lineLocation: SourceLocation
}

/// `:::{note}` … `:::`: a callout box.
public struct CalloutSpan: Sendable, Hashable {
  public var kind: String
  public var location: SourceLocation
  /// The title after `:::{kind}`; empty when none was written.
  public var title: String = ""
}

/// Hides `$…$` and `$$…$$` from cmark, which would otherwise eat backslashes and turn `*` and
/// `_` into emphasis (stack.md §3), and records where each formula was. The same pass, which
/// knows what is prose and what is code, finds the other inline constructs of the report
/// language: `@label` references, `[@key]` citations, `` {val}`…` `` inline values, `{#label}` on
/// headings and `:::{kind}` callouts. Each is read by its own reader (`ProseReaders`), recorded
/// with its exact position and replaced by a placeholder token in `text`, the text cmark parses.
/// The placeholders never leave `SkelDocument`: `PageTree` turns each into a node of the tree
/// right after the parse (README "Page tree").
///
/// Rules follow pandoc's `tex_math_dollars`: an opening `$` must be followed by a non-space, a
/// closing `$` preceded by a non-space and not followed by a digit; `\$` is a literal dollar;
/// fenced code blocks and inline code spans are left alone; inline math does not cross a blank line.
public struct MathProtection: Sendable {
  /// The text with each formula replaced by a placeholder token.
  public var text: String
  public var spans: [MathSpan]
  public var references: [ReferenceSpan] = []
  public var citations: [CitationSpan] = []
  public var values: [ValueSpan] = []
  public var sections: [SectionLabel] = []
  public var callouts: [CalloutSpan] = []
  public var tableCaptions: [TableCaptionSpan] = []
  /// `:::` lines that close nothing, unknown and unclosed callouts, and inline values never closed.
  public var calloutProblems: [Diagnostic] = []
  /// `lineMap[k]` is the source line of line `k + 1` of `text` (multi-line formulas shrink to one line).
  public var lineMap: [Int]

  /// Placeholders are `<prefix><index>Q` (`PageTree.pieces` reads them back as nodes).
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
  /// A callout's opening and closing fences (`k` the callout's index) and a labelled heading's anchor.
  public static let calloutPrefix = sentinel + "SKBOX", calloutEndPrefix = sentinel + "SKEND", sectionPrefix = sentinel + "SKSEC"
  public static func calloutPlaceholder(_ index: Int) -> String { "\(calloutPrefix)\(index)Q" }
  public static func calloutEndPlaceholder(_ index: Int) -> String { "\(calloutEndPrefix)\(index)Q" }
  public static func sectionPlaceholder(_ index: Int) -> String { "\(sectionPrefix)\(index)Q" }
  /// The start of a table caption's paragraph (`k` the caption's index).
  public static let tableCaptionPrefix = sentinel + "SKTBL"
  public static func tableCaptionPlaceholder(_ index: Int) -> String { "\(tableCaptionPrefix)\(index)Q" }

  /// Replaces every placeholder `<prefix><k>Q` of `text` in one pass over its bytes (one
  /// `replacingOccurrences` per placeholder was quadratic: 10⁴ formulas on a page cost most of a
  /// warm rebuild). `replacement(k)` nil leaves the placeholder as it is. Where
  /// `unwrapsParagraph(k)`, a placeholder that is a paragraph of its own, `<p>…</p>`, loses the
  /// paragraph tags (display math is a block). The build no longer uses it (`PageTree` turns
  /// placeholders into nodes); kept for tools that render `text` with another Markdown parser.
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

  /// The file the body comes from.
  public var path: String

  public init(_ body: String, path: String, firstLine: Int = 1) {
    self.path = path
    var scanner = ProseScanner(body, path: path, firstLine: firstLine)
    scanner.run()
    text = scanner.out
    spans = scanner.spans
    lineMap = scanner.lineMap
    references = scanner.references
    citations = scanner.citations
    values = scanner.values
    sections = scanner.sections
    callouts = scanner.callouts
    tableCaptions = scanner.tableCaptions
    calloutProblems = scanner.problems
  }
}

/// The scan behind `MathProtection`: walks the body once, tracking fenced code, inline code
/// spans and positions, and hands each construct to its reader (`ProseReaders`). What a reader
/// finds is recorded with its position and replaced by a placeholder token in `out`.
struct ProseScanner {
  let chars: [Character]
  let path: String
  var out = ""
  var lineMap: [Int]
  var line: Int
  var col = 1, i = 0
  var fence: (char: Character, count: Int)?
  var atLineStart = true
  var spans: [MathSpan] = [], references: [ReferenceSpan] = [], citations: [CitationSpan] = [], values: [ValueSpan] = []
  var sections: [SectionLabel] = [], callouts: [CalloutSpan] = [], problems: [Diagnostic] = []
  var tableCaptions: [TableCaptionSpan] = []
  /// A table caption's ` {#label}`, dropped when the scan reaches it (`chars` indices).
  var captionLabel: Range<Int>?
  var openCallouts: [Int] = []
  var headingCounters = [Int](repeating: 0, count: 7)

  init(_ body: String, path: String, firstLine: Int) {
    chars = Array(body)
    self.path = path
    line = firstLine
    lineMap = [firstLine]
  }

  var here: SourceLocation { SourceLocation(path: path, line: line, column: col) }

  mutating func advance(_ c: Character, emit: Bool) {
    if c == "\n" {
      line += 1
      col = 1
      if emit { lineMap.append(line) }
    } else {
      col += 1
    }
    if emit { out.append(c) }
  }

  /// Consumes `chars[i..<end]` without copying it.
  /// The word before position `k` of `chars`, after one space or non-breaking space ("see
  /// Section @…" → "Section"); at most 40 letters are read, so this is constant time.
  static func word(before k: Int, in chars: [Character]) -> String {
    guard k > 0, chars[k - 1] == " " || chars[k - 1] == "\u{00A0}" else { return "" }
    var start = k - 1
    while start > 0, k - 1 - start < 40, chars[start - 1].isLetter { start -= 1 }
    return String(chars[start..<(k - 1)])
  }

  mutating func skip(to end: Int) {
    while i < end {
      advance(chars[i], emit: false)
      i += 1
    }
  }

  /// Writes generated text: each newline in it is a line of `out` at the current source line.
  mutating func emitGenerated(_ s: String) {
    for piece in s {
      out.append(piece)
      if piece == "\n" { lineMap.append(line) }
    }
  }

  mutating func run() {
    while i < chars.count {
      if let drop = captionLabel, i == drop.lowerBound {
        skip(to: drop.upperBound)
        captionLabel = nil
        continue
      }
      if atLineStart {
        if fenceLine() { continue }
        atLineStart = false
        if fence == nil, lineConstruct() { continue }
      }
      let c = chars[i]
      if c == "\n" {
        atLineStart = true
        advance(c, emit: true)
        i += 1
        continue
      }
      if fence != nil || !inlineConstruct() {
        advance(c, emit: true)
        i += 1
      }
    }
    for k in openCallouts {
      let open = callouts[k]
      problems.append(Diagnostic(at: open.location, length: 3, "callout '\(open.kind)' is never closed: expected a line ':::'"))
    }
  }

  /// At a line start: a fence line (copied verbatim, opening or closing a fence) or a closed
  /// ```` ```{math} ```` block (a display formula). True when it consumed the line.
  mutating func fenceLine() -> Bool {
    var j = i
    while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
    guard j < chars.count, chars[j] == "`" || chars[j] == "~" else { return false }
    let fc = chars[j]
    var k = j
    while k < chars.count, chars[k] == fc { k += 1 }
    let n = k - j
    guard n >= 3 else { return false }
    let lineEnd = chars[k...].firstIndex(of: "\n") ?? chars.count
    if fence == nil, String(chars[k..<lineEnd]).trimmingCharacters() == "{math}",
      let block = ProseReaders.mathBlock(chars, infoStart: k, fence: fc, count: n)
    {
      let location = SourceLocation(path: path, line: line, column: col + (j - i))
      out += MathProtection.placeholder(spans.count)
      spans.append(MathSpan(tex: block.tex, display: true, location: location, label: block.label))
      // keep the line count: the fence's lines become blank lines
      while i < block.end {
        if chars[i] == "\n" { out.append("\n") }
        advance(chars[i], emit: false)
        if chars[i] == "\n" { lineMap.append(line) }
        i += 1
      }
      atLineStart = false
      return true
    }
    // CommonMark: a closing fence has the opening's character, at least its length and
    // nothing but spaces after it (```` ```python ```` inside a block is code); a backtick
    // fence's info string has no backtick (that line is prose).
    let rest = chars[k..<lineEnd]
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
    return true
  }

  /// At a line start outside code: a callout fence or a labelled heading. True when it
  /// consumed the line.
  mutating func lineConstruct() -> Bool {
    var e = i
    while e < chars.count, chars[e] != "\n" { e += 1 }
    let lineText = String(chars[i..<e])
    let trimmed = lineText.trimmingCharacters()
    if let callout = ProseReaders.calloutLine(trimmed) {
      let indent = lineText.count - lineText.drop(while: { $0 == " " }).count
      let location = SourceLocation(path: path, line: line, column: col + indent)
      skip(to: e)
      calloutLine(callout, lineText: lineText, at: location)
      return true
    }
    if tableCaption(lineText, trimmed: trimmed, end: e) { return true }
    if let level = ProseReaders.headingLevel(trimmed) {
      headingCounters[level] += 1
      for deeper in (level + 1)..<7 { headingCounters[deeper] = 0 }
    }
    guard let heading = ProseReaders.headingLabel(trimmed) else { return false }
    let labelColumn = col + lineText.count - (heading.label.count + 1)
    let number = (2...max(2, heading.level)).map { String(headingCounters[$0]) }.joined(separator: ".")
    sections.append(
      SectionLabel(
        label: heading.label, title: heading.title, level: heading.level, number: heading.level == 1 ? "" : number,
        location: SourceLocation(path: path, line: line, column: labelColumn)))
    // keep the heading, drop the attribute; the anchor is an inline node of the page tree
    skip(to: e)
    out += String(repeating: "#", count: heading.level) + " " + MathProtection.sectionPlaceholder(sections.count - 1) + heading.title
    return true
  }

  /// `: Caption {#tbl-x}` right after a table row (or after a row and one blank line): the
  /// caption becomes a paragraph of its own that starts with a placeholder (the page tree puts
  /// it and the table in one numbered figure); its text is scanned as prose (math, references),
  /// the ` {#label}` dropped. True when it consumed the line's start.
  mutating func tableCaption(_ lineText: String, trimmed: String, end e: Int) -> Bool {
    guard let caption = ProseReaders.tableCaption(trimmed), followsTableRow() else { return false }
    let indent = lineText.count - lineText.drop(while: { $0 == " " || $0 == "\t" }).count
    let lineLocation = SourceLocation(path: path, line: line, column: col + indent)
    let labelStart = i + indent + caption.labelOffset
    tableCaptions.append(
      TableCaptionSpan(
        label: caption.label, location: SourceLocation(path: path, line: line, column: col + indent + caption.labelOffset),
        lineLocation: lineLocation))
    // the caption's text starts after ": " and its spaces; the label and the spaces before it are dropped
    var labelFrom = labelStart - 2
    while labelFrom > i + indent + 2, chars[labelFrom - 1] == " " || chars[labelFrom - 1] == "\t" { labelFrom -= 1 }
    captionLabel = labelFrom..<e
    var textStart = i + indent + 1
    while textStart < labelFrom, chars[textStart] == " " || chars[textStart] == "\t" { textStart += 1 }
    skip(to: textStart)
    emitGenerated("\n" + MathProtection.tableCaptionPlaceholder(tableCaptions.count - 1) + " ")
    return true
  }

  /// Whether the text written so far ends with a table row (a line with a `|`), maybe followed
  /// by one blank line.
  func followsTableRow() -> Bool {
    var lines = out.split(separator: "\n", omittingEmptySubsequences: false).dropLast()  // the current line (empty)
    if let last = lines.last, last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines = lines.dropLast() }
    return lines.last?.contains("|") == true
  }

  /// A `:::` line (already consumed): a callout opens or closes; the marker is a paragraph of
  /// its own (blank lines around it), which the page tree turns into a callout node.
  mutating func calloutLine(_ callout: ProseReaders.CalloutLine, lineText: String, at location: SourceLocation) {
    switch callout {
    case .close:
      if let k = openCallouts.popLast() {
        emitGenerated("\n" + MathProtection.calloutEndPlaceholder(k) + "\n")
      } else {
        problems.append(Diagnostic(at: location, length: 3, "':::' closes no callout"))
      }
    case .open(let kind, let title):
      let kinds = MathProtection.calloutKinds
      if !kinds.contains(kind) {
        problems.append(
          Diagnostic(
            at: SourceLocation(path: path, line: location.line, column: location.column + 4), length: kind.count,
            "unknown callout '\(kind)'\(Suggestion.didYouMean(kind, among: kinds)); expected one of \(kinds.joined(separator: ", "))"))
      }
      openCallouts.append(callouts.count)
      emitGenerated("\n" + MathProtection.calloutPlaceholder(callouts.count) + "\n")
      callouts.append(CalloutSpan(kind: kind, location: location, title: title))
    case .other:
      emitGenerated(lineText)
    }
  }

  /// At `i` in prose: an escaped dollar, an inline code span (copied through), an inline value,
  /// a citation, a reference or a formula. True when it consumed something.
  mutating func inlineConstruct() -> Bool {
    let c = chars[i]
    if c == "\\", i + 1 < chars.count, chars[i + 1] == "$" {
      advance(c, emit: true)
      advance("$", emit: true)
      i += 2
      return true
    }
    if c == "`" {
      copyCodeSpan()
      return true
    }
    if c == "{", let read = ProseReaders.value(chars, at: i) {
      switch read {
      case .unclosed:
        problems.append(Diagnostic(at: here, length: 6, "inline value is never closed: expected a '`' to end {val}`…` in its paragraph"))
        return false
      case .value(let expression, let end):
        values.append(ValueSpan(expression: expression, location: SourceLocation(path: path, line: line, column: col + 6)))
        out += MathProtection.valuePlaceholder(values.count - 1)
        skip(to: end)
        return true
      }
    }
    if c == "[", let cite = ProseReaders.citation(chars, at: i) {
      citations.append(
        CitationSpan(keys: cite.keys, locations: cite.offsets.map { SourceLocation(path: path, line: line, column: col + $0) }))
      out += MathProtection.citationPlaceholder(citations.count - 1)
      skip(to: cite.end)
      return true
    }
    if c == "@", let ref = ProseReaders.reference(chars, at: i) {
      references.append(ReferenceSpan(label: ref.label, location: here, precedingWord: Self.word(before: i, in: chars)))
      out += MathProtection.referencePlaceholder(references.count - 1)
      skip(to: ref.end)
      return true
    }
    if c == "$" { return formula() }
    return false
  }

  /// `$…$` or `$$…$$ (label)` at `i`.
  mutating func formula() -> Bool {
    let display = i + 1 < chars.count && chars[i + 1] == "$"
    let found: (end: Int, tex: String, label: String?)?
    if display {
      found = ProseReaders.displayMath(chars, at: i)
    } else {
      found = ProseReaders.inlineMath(chars, at: i).map { ($0.end, $0.tex, nil) }
    }
    guard let found else { return false }
    out += MathProtection.placeholder(spans.count)
    spans.append(MathSpan(tex: found.tex, display: display, location: here, label: found.label))
    skip(to: found.end)
    return true
  }

  /// An inline code span: copied through the matching backtick run (or just the run, unmatched).
  mutating func copyCodeSpan() {
    var k = i
    while k < chars.count, chars[k] == "`" { k += 1 }
    let run = k - i
    var m = k, close: Int?
    while m < chars.count {
      guard chars[m] == "`" else {
        m += 1
        continue
      }
      var e = m
      while e < chars.count, chars[e] == "`" { e += 1 }
      if e - m == run {
        close = e
        break
      }
      m = e
    }
    let end = close ?? k
    while i < end {
      advance(chars[i], emit: true)
      i += 1
    }
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
