import Yams

/// A report's front matter, decoded into typed values.
public struct FrontMatter: Sendable, Hashable {
  public var title: String
  public var authors: [String]
  public var date: String?
  /// One paragraph of inline Markdown (emphasis, code, math, links), rendered like the body
  /// (`Document.abstract`); where its value starts, for diagnostics in it.
  public var abstract: String?
  public var abstractLocation: SourceLocation?
  /// The document seed; each directive derives its stream from (seed, label).
  public var seed: UInt64
  public var tags: [String]
  public var draft: Bool
  /// BibTeX file, relative to the report, and where the key stood (for errors).
  public var bibliography: String?
  public var bibliographyLocation: SourceLocation?
  /// `numbered` ([1]) or `author-year` ((Daniely et al., 2016)).
  public var citationStyle = "numbered"
  /// TeX macros for every formula of the report (`\R: \mathbb{R}`).
  public var macros: [String: String] = [:]
  /// `trust: html`: the author's raw HTML is published as written (README "Trust model").
  /// Link schemes and BibTeX URLs are filtered either way. Default `safe`.
  public var trustHTML = false
  /// `order: 2`: the report's place in the site's navigation (ascending; reports without one
  /// come after, by title).
  public var order: Int?

  public init(
    title: String, authors: [String] = [], date: String? = nil, abstract: String? = nil,
    seed: UInt64 = 0, tags: [String] = [], draft: Bool = false
  ) {
    self.title = title
    self.authors = authors
    self.date = date
    self.abstract = abstract
    self.seed = seed
    self.tags = tags
    self.draft = draft
  }

  /// Keys a report may set, for messages and suggestions.
  public static let keys = [
    "title", "authors", "date", "abstract", "seed", "tags", "draft", "bibliography", "citation-style", "macros", "trust",
    "order",
  ]
}

/// Splits a report into front matter and Markdown body, and decodes the front matter with
/// positions for every error (Yams node marks, offset to file lines).
public enum FrontMatterReader {
  /// The YAML text, the line of the first YAML line in the file, and the body with the front
  /// matter replaced by as many empty lines (so the body's line numbers stay the file's).
  public static func split(_ source: SourceFile) -> (yaml: String?, firstLine: Int, body: String) {
    guard source.lines.first.map({ $0.trimmingTrailingSpaces() == "---" }) == true else {
      return (nil, 1, source.text)
    }
    for i in 1..<source.lines.count
    where source.lines[i].trimmingTrailingSpaces() == "---" || source.lines[i].trimmingTrailingSpaces() == "..." {
      let yaml = source.lines[1..<i].joined(separator: "\n")
      let body = String(repeating: "\n", count: i + 1) + source.lines[(i + 1)...].joined(separator: "\n")
      return (yaml, 2, body)
    }
    return (nil, 1, source.text)  // no closing fence: reported by `decode`
  }

  /// Decodes the front matter. `fallbackTitle` is used when there is no `title`.
  public static func decode(_ source: SourceFile, fallbackTitle: String) -> (FrontMatter, [Diagnostic]) {
    var fm = FrontMatter(title: fallbackTitle)
    if source.lines.first?.trimmingTrailingSpaces() == "---",
      !source.lines.dropFirst().contains(where: { $0.trimmingTrailingSpaces() == "---" || $0.trimmingTrailingSpaces() == "..." })
    {
      return (
        fm,
        [
          Diagnostic(
            at: SourceLocation(path: source.path, line: 1, column: 1), length: 3,
            "front matter is not closed: expected a line '---' after the YAML")
        ]
      )
    }
    let (yamlText, firstLine, _) = split(source)
    guard let yamlText else { return (fm, []) }
    let loc = YAMLPlace(path: source.path, firstLine: firstLine)
    let mapping: Node.Mapping
    switch compose(yamlText, loc) {
    case .empty: return (fm, [])
    case .problem(let d): return (fm, [d])
    case .mapping(let m): mapping = m
    }
    var problems: [Diagnostic] = []
    for (keyNode, value) in mapping { decodeEntry(keyNode, value, into: &fm, problems: &problems, loc) }
    return (fm, problems)
  }

  /// Where a YAML mark stands in the report (the front matter starts at `firstLine`).
  struct YAMLPlace {
    var path: String
    var firstLine: Int
    func callAsFunction(_ mark: Mark?) -> SourceLocation {
      SourceLocation(path: path, line: (mark?.line ?? 1) + firstLine - 1, column: mark?.column ?? 1)
    }
  }

  /// The composed YAML: nothing, the top-level mapping, or the one problem that stops decoding.
  enum Composed {
    case empty
    case mapping(Node.Mapping)
    case problem(Diagnostic)
  }

  static func compose(_ yamlText: String, _ loc: YAMLPlace) -> Composed {
    let root: Node?
    do {
      root = try Yams.compose(yaml: yamlText)
    } catch let error as YamlError {
      return .problem(
        duplicateKey(error, yaml: yamlText, path: loc.path, lineOffset: loc.firstLine - 1)
          ?? yamlDiagnostic(error, path: loc.path, lineOffset: loc.firstLine - 1))
    } catch {
      return .problem(Diagnostic(at: loc(nil), "front matter: \(error)"))
    }
    guard let root else { return .empty }
    guard let mapping = root.mapping else {
      return .problem(Diagnostic(at: loc(root.mark), "front matter must be a mapping of keys to values"))
    }
    return .mapping(mapping)
  }

  /// `date:` into `fm`, or what the value should have been.
  static func decodeDate(_ value: Node, into fm: inout FrontMatter) -> String? {
    guard let s = value.scalar?.string else { return "a date such as 2026-11-23" }
    if let why = FrontMatterReader.invalidISODate(s) { return "a real date such as 2026-11-23 (\(why))" }
    fm.date = s
    return nil
  }

  /// One `key: value` of the front matter into `fm`, or a problem at the key or the value.
  static func decodeEntry(_ keyNode: Node, _ value: Node, into fm: inout FrontMatter, problems: inout [Diagnostic], _ loc: YAMLPlace) {
    let key = keyNode.string ?? ""
    let vat = loc(value.mark)
    var expected: String?
    func expect(_ what: String) { expected = what }
    switch key {
    case "title":
      if let s = value.scalar?.string { fm.title = s } else { expect("a string") }
    case "date":
      if let why = decodeDate(value, into: &fm) { expect(why) }
    case "abstract":
      if let s = value.scalar?.string { (fm.abstract, fm.abstractLocation) = (s, vat) } else { expect("a string") }
    case "authors", "tags":
      let list = stringList(value, key: key, problems: &problems, loc)
      if list == nil { expect("a list of strings") }
      if key == "authors" { fm.authors = list ?? [] } else { fm.tags = list ?? [] }
    case "seed":
      if let s = value.scalar?.string, let n = UInt64(s) { fm.seed = n } else { expect("a non-negative integer") }
    case "bibliography":
      if let s = value.scalar?.string {
        fm.bibliography = s
        fm.bibliographyLocation = vat
      } else {
        expect("a file name such as refs.bib")
      }
    case "citation-style":
      if let s = value.scalar?.string, ["numbered", "author-year"].contains(s) {
        fm.citationStyle = s
      } else {
        expect("'numbered' or 'author-year'")
      }
    case "macros":
      if let map = value.mapping {
        decodeMacros(map, into: &fm.macros, problems: &problems, loc)
      } else {
        expect("a map of TeX macros, as in {\\R: \\mathbb{R}}")
      }
    case "trust":
      if let s = value.scalar?.string, ["html", "safe"].contains(s) {
        fm.trustHTML = s == "html"
      } else {
        expect("'safe' (the default: raw HTML is shown as text) or 'html' (raw HTML is published as written)")
      }
    case "order":
      if let s = value.scalar?.string, let n = Int(s), abs(n) <= 1_000_000 { fm.order = n } else { expect("an integer such as 2") }
    case "draft":
      if let b = value.scalar.flatMap({ Node.scalar($0).bool }) { fm.draft = b } else { expect("true or false") }
    default:
      problems.append(
        Diagnostic(
          at: loc(keyNode.mark), length: key.count,
          "unknown front matter key '\(key)'\(Suggestion.didYouMean(key, among: FrontMatter.keys))"))
    }
    if let expected {
      problems.append(Diagnostic(at: vat, length: max(1, value.string?.count ?? 1), "front matter '\(key)' must be \(expected)"))
    }
  }

  /// A list of strings (one string is a list of one), with a problem at each item that is not a
  /// string; nil when the value is neither a list nor a string.
  static func stringList(_ value: Node, key: String, problems: inout [Diagnostic], _ loc: YAMLPlace) -> [String]? {
    if let seq = value.sequence {
      var list: [String] = []
      for item in seq {
        if let s = item.scalar?.string {
          list.append(s)
        } else {
          problems.append(Diagnostic(at: loc(item.mark), "front matter '\(key)' must be a list of strings"))
        }
      }
      return list
    }
    if let s = value.scalar?.string { return [s] }
    return nil
  }

  /// `macros`: TeX macro names (a backslash and a name) mapped to their TeX.
  static func decodeMacros(_ map: Node.Mapping, into macros: inout [String: String], problems: inout [Diagnostic], _ loc: YAMLPlace) {
    for (k, v) in map {
      guard let name = k.string, name.hasPrefix("\\"), name.count > 1, let body = v.scalar?.string else {
        problems.append(Diagnostic(at: loc(k.mark), "macro names start with a backslash and map to TeX, as in \\R: \\mathbb{R}"))
        continue
      }
      macros[name] = body
    }
  }

  /// Yams reports a duplicate key at the start of its mapping; the error belongs on the second
  /// occurrence of the key (found in the YAML text: `key:` after a line start, `{` or `,`).
  static func duplicateKey(_ error: YamlError, yaml: String, path: String, lineOffset: Int) -> Diagnostic? {
    guard case .duplicatedKeysInMapping(let duplicates, let context) = error, let key = duplicates.first else { return nil }
    var found: [(line: Int, column: Int)] = []
    // from the mapping's first key on (Yams's mark is 0-based or 1-based by version: back one line)
    for (n, line) in yaml.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where n + 2 >= context.mark.line {
      let chars = Array(line), k = Array(key)
      var i = 0
      while i + k.count <= chars.count {
        let before = chars[..<i].last(where: { $0 != " " && $0 != "\t" })
        if Array(chars[i..<(i + k.count)]) == k, before == nil || before == "{" || before == ",",
          chars[(i + k.count)...].first(where: { $0 != " " }) == ":"
        {
          found.append((n + 1, i + 1))
          i += k.count
        } else {
          i += 1
        }
      }
    }
    guard found.count >= 2 else { return nil }
    return Diagnostic(
      at: SourceLocation(path: path, line: found[1].line + lineOffset, column: found[1].column), length: key.count,
      "front matter key '\(key)' is given twice (first on line \(found[0].line + lineOffset))")
  }

  static func yamlDiagnostic(_ error: YamlError, path: String, lineOffset: Int) -> Diagnostic {
    switch error {
    case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
      .composer(let context, let problem, let mark, _):
      var message = "malformed YAML in front matter: \(problem)"
      if let context { message += " (\(context.text) at line \(context.mark.line + lineOffset), column \(context.mark.column))" }
      return Diagnostic(at: SourceLocation(path: path, line: mark.line + lineOffset, column: mark.column), message)
    default:
      return Diagnostic(at: SourceLocation(path: path, line: 1 + lineOffset, column: 1), "malformed YAML in front matter: \(error)")
    }
  }
}

extension Substring {
  func trimmingTrailingSpaces() -> Substring {
    var s = self
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return s
  }
}

extension FrontMatterReader {
  /// Why a date written as YYYY-MM-DD is not a calendar date (month 13, 31 April, 29 February
  /// of a common year), or `nil`; dates in other spellings are kept as text.
  static func invalidISODate(_ s: String) -> String? {
    let parts = s.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), parts.allSatisfy({ $0.allSatisfy(\.isASCII) })
    else { return nil }
    guard (1...12).contains(m) else { return "there is no month \(m)" }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
    let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
    guard (1...days).contains(d) else { return "month \(m) of \(y) has \(days) days" }
    return nil
  }
}
