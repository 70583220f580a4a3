/// A BibTeX database: `@type{key, field = {value} | "value" | number, …}`.
public struct Bibliography: Sendable {
  public struct Entry: Sendable, Hashable {
    public var type: String
    public var key: String
    public var fields: [String: String]
    public var line: Int
    /// Where each field's name stands (for warnings about its value).
    public var positions: [String: Position] = [:]
  }

  public struct Position: Sendable, Hashable {
    public var line: Int
    public var column: Int
  }

  public var entries: [String: Entry]

  public struct ParseError: Error, Sendable {
    public var line: Int
    public var column: Int
    public var message: String
  }

  public init(parsing text: String) throws(ParseError) {
    let chars = Array(text)
    var i = 0, line = 1, col = 1
    var entries: [String: Entry] = [:]
    func step() {
      if chars[i] == "\n" {
        line += 1
        col = 1
      } else {
        col += 1
      }
      i += 1
    }
    func skipSpace() { while i < chars.count, chars[i].isWhitespace { step() } }
    while i < chars.count {
      guard chars[i] == "@" else {
        step()
        continue
      }
      let entryLine = line
      step()
      var type = ""
      while i < chars.count, chars[i].isLetter {
        type.append(chars[i])
        step()
      }
      skipSpace()
      guard i < chars.count, chars[i] == "{" || chars[i] == "(" else { throw ParseError(line: line, column: col, message: "expected '{' after @\(type)") }
      step()
      if ["comment", "preamble", "string"].contains(type.lowercased()) {  // skip balanced
        var depth = 1
        while i < chars.count, depth > 0 {
          if chars[i] == "{" { depth += 1 } else if chars[i] == "}" { depth -= 1 }
          step()
        }
        continue
      }
      skipSpace()
      let keyLine = line, keyColumn = col
      var key = ""
      while i < chars.count, chars[i] != ",", chars[i] != "}", !chars[i].isWhitespace {
        key.append(chars[i])
        step()
      }
      guard !key.isEmpty else { throw ParseError(line: line, column: col, message: "expected a citation key after @\(type){") }
      if let first = entries[key] {
        throw ParseError(line: keyLine, column: keyColumn, message: "duplicate citation key '\(key)': already defined on line \(first.line)")
      }
      var fields: [String: String] = [:]
      var positions: [String: Position] = [:]
      while true {
        skipSpace()
        guard i < chars.count else { throw ParseError(line: entryLine, column: 1, message: "entry '\(key)' is not closed: expected '}'") }
        if chars[i] == "}" || chars[i] == ")" {
          step()
          break
        }
        if chars[i] == "," {
          step()
          continue
        }
        var name = ""
        let namePosition = Position(line: line, column: col)
        while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == "-" {
          name.append(chars[i])
          step()
        }
        skipSpace()
        guard !name.isEmpty, i < chars.count, chars[i] == "=" else { throw ParseError(line: line, column: col, message: "expected 'field = value' in entry '\(key)'") }
        step()
        skipSpace()
        guard i < chars.count else { throw ParseError(line: line, column: col, message: "expected a value for '\(name)'") }
        var value = ""
        if chars[i] == "{" {
          var depth = 0
          repeat {
            if chars[i] == "{" { depth += 1 } else if chars[i] == "}" { depth -= 1 }
            if depth > 0, !(chars[i] == "{" && depth == 1) { value.append(chars[i]) }
            step()
          } while i < chars.count && depth > 0
        } else if chars[i] == "\"" {
          step()
          while i < chars.count, chars[i] != "\"" {
            value.append(chars[i])
            step()
          }
          if i < chars.count { step() }
        } else {
          while i < chars.count, chars[i] != ",", chars[i] != "}", !chars[i].isWhitespace {
            value.append(chars[i])
            step()
          }
          if value.isEmpty { throw ParseError(line: line, column: col, message: "expected a value for '\(name)' in entry '\(key)'") }
        }
        positions[name.lowercased()] = namePosition
        fields[name.lowercased()] = value.replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "")
          .split(whereSeparator: { $0 == "\n" || $0 == " " || $0 == "\t" }).joined(separator: " ")
      }
      entries[key] = Entry(type: type.lowercased(), key: key, fields: fields, line: entryLine, positions: positions)
    }
    self.entries = entries
  }

  /// "A. Author, B. Author and C. Author": BibTeX's "Last, First and …" turned around.
  static func authors(_ field: String) -> String {
    let names = field.components(separatedBy: " and ").map { n -> String in
      let parts = n.split(separator: ",", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
      return parts.count == 2 ? parts[1] + " " + parts[0] : n.trimmingCharacters(in: .whitespaces)
    }
    if names.count <= 2 { return names.joined(separator: " and ") }
    return names.dropLast().joined(separator: ", ") + " and " + names.last!
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

  /// One reference as HTML-safe text parts: authors, title, venue, year, link.
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
    for prefix in ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:"] where d.lowercased().hasPrefix(prefix) {
      d = String(d.dropFirst(prefix.count))
    }
    guard d.hasPrefix("10."), !d.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "<" || $0 == ">" }) else { return nil }
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
        dropped.append(("url", at("url"), "BibTeX url of '\(e.key)' dropped: only http:// and https:// links are published (scheme '\(URLPolicy.scheme(t) ?? "none")')"))
      }
    }
    if let d = e.fields["doi"] {
      if let path = Self.doiPath(d) {
        url = url ?? "https://doi.org/" + path
      } else {
        dropped.append(("doi", at("doi"), "BibTeX doi of '\(e.key)' dropped: a DOI starts with '10.' (it is published as https://doi.org/…)"))
      }
    }
    if url == nil, let p = e.fields["eprint"], !p.isEmpty, !p.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\"" || $0 == "<" || $0 == ">" || $0 == ":" }) {
      url = "https://arxiv.org/abs/" + p
    }
    return (url, dropped)
  }
}

import Foundation
