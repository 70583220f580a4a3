import Foundation

/// A BibTeX database: `@type{key, field = {value} | "value" | number, …}`.
public struct Bibliography: Sendable {
  public struct Entry: Sendable, Hashable {
    public var type: String
    public var key: String
    public var fields: [String: String]
    public var line: Int
    /// Where each field's name stands (for warnings about its value).
    public var positions: [String: Position] = [:]
    /// Each field's text with its markup (`\emph`, `$…$`, dashes): `fields` holds its `plain`.
    public var texts: [String: BibTeXText] = [:]
  }

  public struct Position: Sendable, Hashable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
      self.line = line
      self.column = column
    }
  }

  public var entries: [String: Entry]

  public struct ParseError: Error, Sendable {
    public var line: Int
    public var column: Int
    public var message: String
  }

  public init(parsing text: String) throws(ParseError) {
    var scanner = BibTeXScanner(chars: Array(text))
    var entries: [String: Entry] = [:]
    while let c = scanner.current {
      guard c == "@" else {
        scanner.step()
        continue
      }
      if let entry = try scanner.entry(known: entries) { entries[entry.key] = entry }
    }
    self.entries = entries
  }

  /// "A. Author, B. Author and C. Author": BibTeX's "Last, First and …" turned around.
  static func authors(_ field: String) -> String {
    let names = field.components(separatedBy: " and ").map { n -> String in
      let parts = n.split(separator: ",", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
      return parts.count == 2 ? parts[1] + " " + parts[0] : n.trimmingCharacters(in: .whitespaces)
    }
    guard names.count > 2, let last = names.last else { return names.joined(separator: " and ") }
    return names.dropLast().joined(separator: ", ") + " and " + last
  }

  /// "Daniely et al., 2016": first author's last name, "and" for two, "et al." beyond.
  public func authorYear(_ key: String) -> String {
    guard let e = entries[key] else { return key }
    let names = (e.fields["author"] ?? "").components(separatedBy: " and ").map { n -> String in
      let t = n.trimmingCharacters(in: .whitespaces)
      if let comma = t.firstIndex(of: ",") { return String(t[..<comma]) }
      return t.split(separator: " ").last.map(String.init) ?? t
    }.filter { !$0.isEmpty }
    let who: String
    switch names.count {
    case 0: who = key
    case 1: who = names[0]
    case 2: who = names[0] + " and " + names[1]
    default: who = names[0] + " et al."
    }
    return who + (e.fields["year"].map { ", " + $0 } ?? "")
  }

  /// A field's text with its markup (italic, bold, formulas), nil if the entry or field is missing.
  public func text(_ key: String, _ field: String) -> BibTeXText? { entries[key]?.texts[field] }

  /// The field a reference's venue is read from: journal, booktitle, publisher (else the eprint).
  public func venueField(_ key: String) -> String? {
    guard let f = entries[key]?.fields else { return nil }
    return ["journal", "booktitle", "publisher"].first { f[$0] != nil }
  }

  /// One reference as plain text parts: authors, title, venue, year, link.
  public func formatted(_ key: String) -> (authors: String, title: String, venue: String, year: String, url: String?) {
    guard let e = entries[key] else { return ("", key, "", "", nil) }
    let f = e.fields
    let venue = f["journal"] ?? f["booktitle"] ?? f["publisher"] ?? (f["eprint"].map { "arXiv:" + $0 } ?? "")
    return (Self.authors(f["author"] ?? ""), f["title"] ?? "", venue, f["year"] ?? "", link(e).url)
  }

  /// A DOI as its path under https://doi.org/ (`doi:`, `https://doi.org/` and `dx.doi.org`
  /// prefixes removed), or nil if it is not a DOI (`10.` prefix, no spaces or controls).
  static func doiPath(_ doi: String) -> String? {
    var d = doi.trimmingCharacters(in: .whitespaces)
    for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"]
    where d.lowercased().hasPrefix(prefix) {
      d = String(d.dropFirst(prefix.count))
    }
    guard d.hasPrefix("10."),
      !d.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "<" || $0 == ">" })
    else { return nil }
    return d
  }

  /// The entry's link (its `url` if http or https, else https://doi.org/ for its `doi`, else
  /// its arXiv `eprint`), and a warning for every `url` or `doi` that was dropped: trust model,
  /// README "Trust model".
  public func link(_ e: Entry) -> (url: String?, dropped: [(field: String, position: Position, message: String)]) {
    var dropped: [(String, Position, String)] = []
    let at = { (field: String) in e.positions[field] ?? Position(line: e.line, column: 1) }
    var url: String?
    if let u = e.fields["url"] {
      let t = u.trimmingCharacters(in: .whitespaces)
      if URLPolicy.allowsBibliography(t), t.contains("//") {
        url = t
      } else {
        dropped.append(
          (
            "url", at("url"),
            "BibTeX url of '\(e.key)' dropped: only http:// and https:// links are published (scheme '\(URLPolicy.scheme(t) ?? "none")')"
          ))
      }
    }
    if let d = e.fields["doi"] {
      if let path = Self.doiPath(d) {
        url = url ?? "https://doi.org/" + path
      } else {
        dropped.append(
          ("doi", at("doi"), "BibTeX doi of '\(e.key)' dropped: a DOI starts with '10.' (it is published as https://doi.org/…)"))
      }
    }
    if url == nil, let p = e.fields["eprint"], !p.isEmpty,
      !p.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == ":" })
    {
      url = "https://arxiv.org/abs/" + p
    }
    return (url, dropped)
  }
}

/// The BibTeX reader of `Bibliography(parsing:)`: a cursor over the characters with its line and
/// column (1-based), which every error reports.
private struct BibTeXScanner {
  typealias ParseError = Bibliography.ParseError
  let chars: [Character]
  var i = 0, line = 1, col = 1
  /// `@string{name = value}` macros by lowercased name, with BibTeX's month names predefined.
  var macros: [String: String] = [
    "jan": "January", "feb": "February", "mar": "March", "apr": "April", "may": "May", "jun": "June", "jul": "July",
    "aug": "August", "sep": "September", "oct": "October", "nov": "November", "dec": "December",
  ]

  var current: Character? { i < chars.count ? chars[i] : nil }

  /// Where each part of the value being read starts: its first character's offset in the value
  /// and its place in the file; `literal`, the part's characters are the file's one for one (a
  /// macro's are not: they point at its name).
  var parts: [(offset: Int, index: Int, line: Int, column: Int, literal: Bool)] = []
  var valueLength = 0

  mutating func step() {
    if chars[i] == "\n" {
      line += 1
      col = 1
    } else {
      col += 1
    }
    i += 1
  }

  mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { step() } }

  /// The characters from here while `accept` holds.
  mutating func take(while accept: (Character) -> Bool) -> String {
    var s = ""
    while i < chars.count, accept(chars[i]) {
      s.append(chars[i])
      step()
    }
    return s
  }

  /// One entry, from its `@`; nil for `@comment`, `@preamble` and `@string`, whose balanced
  /// body is skipped. A key among `known` is an error.
  mutating func entry(known: [String: Bibliography.Entry]) throws(ParseError) -> Bibliography.Entry? {
    let entryLine = line
    step()
    let type = take(while: \.isLetter)
    skipSpace()
    guard i < chars.count, chars[i] == "{" || chars[i] == "(" else {
      throw ParseError(line: line, column: col, message: "expected '{' after @\(type)")
    }
    step()
    if type.lowercased() == "string" {
      // a macro keeps its raw value (markup read where it is used)
      let (fields, _, _) = try fields(of: "@string", entryLine: entryLine, raw: true)
      for (name, value) in fields { macros[name] = value }
      return nil
    }
    if ["comment", "preamble"].contains(type.lowercased()) {  // skip balanced
      var depth = 1
      while i < chars.count, depth > 0 {
        if chars[i] == "{" { depth += 1 } else if chars[i] == "}" { depth -= 1 }
        step()
      }
      return nil
    }
    skipSpace()
    let keyLine = line, keyColumn = col
    let key = take { $0 != "," && $0 != "}" && !$0.isWhitespace }
    guard !key.isEmpty else { throw ParseError(line: line, column: col, message: "expected a citation key after @\(type){") }
    if let first = known[key] {
      throw ParseError(line: keyLine, column: keyColumn, message: "duplicate citation key '\(key)': already defined on line \(first.line)")
    }
    let (fields, positions, texts) = try fields(of: key, entryLine: entryLine)
    return Bibliography.Entry(type: type.lowercased(), key: key, fields: fields, line: entryLine, positions: positions, texts: texts)
  }

  /// The `name = value` fields up to the entry's closing brace, by lowercased name, with where
  /// each name stands, and their `BibTeXText`; `fields` holds its plain text (or, `raw`, for
  /// `@string` macros, the value as written, whose markup is read where the macro is used).
  mutating func fields(of key: String, entryLine: Int, raw: Bool = false) throws(ParseError) -> (
    [String: String], [String: Bibliography.Position], [String: BibTeXText]
  ) {
    var fields: [String: String] = [:]
    var positions: [String: Bibliography.Position] = [:]
    var texts: [String: BibTeXText] = [:]
    while true {
      skipSpace()
      guard i < chars.count else { throw ParseError(line: entryLine, column: 1, message: "entry '\(key)' is not closed: expected '}'") }
      if chars[i] == "}" || chars[i] == ")" {
        step()
        return (fields, positions, texts)
      }
      if chars[i] == "," {
        step()
        continue
      }
      let namePosition = Bibliography.Position(line: line, column: col)
      let name = take { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
      skipSpace()
      guard !name.isEmpty, i < chars.count, chars[i] == "=" else {
        throw ParseError(line: line, column: col, message: "expected 'field = value' in entry '\(key)'")
      }
      step()
      skipSpace()
      guard i < chars.count else { throw ParseError(line: line, column: col, message: "expected a value for '\(name)'") }
      let value = try value(of: name, in: key)
      positions[name.lowercased()] = namePosition
      let text: BibTeXText
      do { text = try BibTeXText(parsing: value) } catch {
        let at = position(ofValueCharacter: error.offset)
        throw ParseError(line: at.line, column: at.column, message: "\(error.message) in field '\(name)' of '\(key)'")
      }
      texts[name.lowercased()] = text
      fields[name.lowercased()] = raw ? value : text.plain
    }
  }

  /// A field's value: parts joined by `#`, each `{braced}`, `"quoted"`, a number or an
  /// `@string` macro; an unknown bare word is an error at it.
  mutating func value(of name: String, in key: String) throws(ParseError) -> String {
    (parts, valueLength) = ([], 0)
    var value = try part(of: name, in: key)
    skipSpace()
    while i < chars.count, chars[i] == "#" {
      step()
      skipSpace()
      guard i < chars.count else { throw ParseError(line: line, column: col, message: "expected a value after '#' in entry '\(key)'") }
      value += try part(of: name, in: key)
      skipSpace()
    }
    return value
  }

  mutating func part(of name: String, in key: String) throws(ParseError) -> String {
    var value = ""
    defer { valueLength += value.count }
    if chars[i] == "{" {
      step()
      parts.append((valueLength, i, line, col, true))
      var depth = 1
      while i < chars.count {
        if chars[i] == "{" { depth += 1 } else if chars[i] == "}" { depth -= 1 }
        if depth == 0 {
          step()
          break
        }
        value.append(chars[i])
        step()
      }
    } else if chars[i] == "\"" {
      step()
      parts.append((valueLength, i, line, col, true))
      value = take { $0 != "\"" }
      if i < chars.count { step() }
    } else {
      let wordLine = line, wordColumn = col
      parts.append((valueLength, i, line, col, false))
      value = take { $0 != "," && $0 != "}" && $0 != "#" && !$0.isWhitespace }
      if value.isEmpty { throw ParseError(line: line, column: col, message: "expected a value for '\(name)' in entry '\(key)'") }
      if !value.allSatisfy(\.isNumber) {
        guard let expanded = macros[value.lowercased()] else {
          throw ParseError(
            line: wordLine, column: wordColumn,
            message:
              "unknown @string macro '\(value)' in field '\(name)' of '\(key)'; define it with @string{\(value) = {…}} or brace the value")
        }
        value = expanded
      }
    }
    return value
  }

  /// The file's line and column of character `offset` of the value last read: exact in a
  /// braced or quoted part, a macro's name for the characters it gave.
  func position(ofValueCharacter offset: Int) -> (line: Int, column: Int) {
    guard let part = parts.last(where: { $0.offset <= offset }) else { return (line, col) }
    guard part.literal else { return (part.line, part.column) }
    var (l, c) = (part.line, part.column)
    for k in part.index..<min(chars.count, part.index + offset - part.offset) {
      if chars[k] == "\n" {
        (l, c) = (l + 1, 1)
      } else {
        c += 1
      }
    }
    return (l, c)
  }
}

/// TeX accents and special letters in BibTeX values as Unicode: `{\\"o}`, `\\"{o}`, `\\'e`,
/// `\\c{c}`, `\\v{s}`, `\\l`, `\\ss`, `\\&` … (NFC: `ö` is one character). Unknown commands stay.
enum TeXAccents {
  static let symbolAccents: [Character: String] = [
    "'": "\u{0301}", "`": "\u{0300}", "^": "\u{0302}", "\"": "\u{0308}", "~": "\u{0303}", "=": "\u{0304}", ".": "\u{0307}",
  ]
  static let letterAccents: [String: String] = [
    "c": "\u{0327}", "v": "\u{030C}", "H": "\u{030B}", "u": "\u{0306}", "k": "\u{0328}", "r": "\u{030A}", "d": "\u{0323}",
    "b": "\u{0331}",
  ]
  static let letters: [String: String] = [
    "l": "ł", "L": "Ł", "o": "ø", "O": "Ø", "ss": "ß", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ", "aa": "å", "AA": "Å", "i": "ı",
    "j": "ȷ", "textendash": "\u{2013}", "textemdash": "\u{2014}",
  ]

  /// Accent arguments nest (`\"{\"{o}}`) at most this deep: deeper is refused (`TooDeep`), so
  /// no value recurses, or copies its text once a level, without bound.
  static let maxDepth = 16

  typealias TooDeep = BibTeXText.TooDeep

  /// The accent's argument at `k`: `{x}` or one character (a dotless `\i` read as i). `depth`
  /// is how many arguments enclose it; `base` where `c` starts in the outermost text.
  static func argument(_ c: [Character], _ k: inout Int, depth: Int, base: Int) throws(TooDeep) -> String {
    while k < c.count, c[k] == " " { k += 1 }
    guard k < c.count else { return "" }
    if c[k] == "{" {
      guard depth < maxDepth else { throw TooDeep(offset: base + k) }
      var inner = ""
      k += 1
      let start = k
      while k < c.count, c[k] != "}" {
        inner.append(c[k])
        k += 1
      }
      k += 1
      return try decode(inner, depth: depth + 1, base: base + start).replacingOccurrences(of: "ı", with: "i")
        .replacingOccurrences(of: "ȷ", with: "j")
    }
    if c[k] == "\\", k + 1 < c.count, c[k + 1] == "i" || c[k + 1] == "j" {
      k += 2
      return c[k - 1] == "i" ? "i" : "j"
    }
    k += 1
    return String(c[k - 1])
  }

  /// `text` with its accents and special letters as Unicode; an accent argument nested deeper
  /// than `maxDepth` is refused at its brace.
  static func decode(_ text: String, depth: Int = 0, base: Int = 0) throws(TooDeep) -> String {
    guard text.contains("\\") else { return text }
    let c = Array(text)
    var out = "", k = 0
    while k < c.count {
      guard c[k] == "\\", k + 1 < c.count else {
        out.append(c[k])
        k += 1
        continue
      }
      let next = c[k + 1]
      if let mark = symbolAccents[next] {
        k += 2
        out += try argument(c, &k, depth: depth, base: base) + mark
      } else if next.isLetter {
        var j = k + 1, name = ""
        while j < c.count, c[j].isLetter {
          name.append(c[j])
          j += 1
        }
        if let mark = letterAccents[name] {
          k = j
          out += try argument(c, &k, depth: depth, base: base) + mark
        } else if let letter = letters[name] {
          k = j
          if k < c.count, c[k] == " " { k += 1 }  // the space ending a control word
          out += letter
        } else {
          out += "\\" + name
          k = j
        }
      } else if "&%$#_{}".contains(next) {
        out.append(next)
        k += 2
      } else {
        out.append(c[k])
        k += 1
      }
    }
    return out.precomposedStringWithCanonicalMapping
  }
}
