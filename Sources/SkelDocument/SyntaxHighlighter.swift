/// A small syntax highlighter for code blocks that are not directives: comments, strings,
/// numbers and keywords as `<span class="tok-…">`, for Python, Swift, shell, JSON, YAML, TeX and
/// BibTeX. Unknown languages are escaped only. Pure text → HTML.
public enum SyntaxHighlighter {
  struct Language {
    var keywords: Set<String>
    var lineComment: [String]
    var blockComment: (String, String)?
  }

  static let languages: [String: Language] = [
    "python": Language(
      keywords: ["def", "return", "import", "from", "as", "for", "in", "if", "elif", "else", "while", "with", "class", "lambda", "None", "True", "False", "and", "or", "not", "is", "yield", "try", "except", "raise", "pass", "break", "continue", "global", "assert"],
      lineComment: ["#"], blockComment: nil),
    "swift": Language(
      keywords: ["func", "let", "var", "return", "import", "struct", "class", "enum", "case", "switch", "if", "else", "guard", "for", "in", "while", "public", "private", "static", "throws", "throw", "try", "self", "nil", "true", "false", "extension", "protocol", "init", "some", "any"],
      lineComment: ["//"], blockComment: ("/*", "*/")),
    "bash": Language(
      keywords: ["if", "then", "else", "fi", "for", "do", "done", "in", "case", "esac", "function", "export", "echo", "cd", "make", "swift"],
      lineComment: ["#"], blockComment: nil),
    "json": Language(keywords: ["true", "false", "null"], lineComment: [], blockComment: nil),
    "yaml": Language(keywords: ["true", "false", "null", "yes", "no"], lineComment: ["#"], blockComment: nil),
    "tex": Language(keywords: [], lineComment: ["%"], blockComment: nil),
  ]
  static let aliases = ["py": "python", "sh": "bash", "shell": "bash", "console": "bash", "yml": "yaml", "latex": "tex", "bibtex": "tex", "bib": "tex"]

  public static func html(_ code: String, language: String) -> String {
    let name = aliases[language] ?? language
    guard let lang = languages[name] else { return escape(code) }
    let chars = Array(code)
    var out = "", i = 0
    func starts(_ s: String, at k: Int) -> Bool {
      let w = Array(s)
      return k + w.count <= chars.count && Array(chars[k..<(k + w.count)]) == w
    }
    func span(_ cls: String, _ text: String) { out += "<span class=\"tok-\(cls)\">\(escape(text))</span>" }
    while i < chars.count {
      let c = chars[i]
      if let marker = lang.lineComment.first(where: { starts($0, at: i) }), name != "bash" || i == 0 || chars[i - 1] == " " || chars[i - 1] == "\n" {
        _ = marker
        var e = i
        while e < chars.count, chars[e] != "\n" { e += 1 }
        span("comment", String(chars[i..<e]))
        i = e
        continue
      }
      if let (open, close) = lang.blockComment, starts(open, at: i) {
        var e = i + open.count
        while e < chars.count, !starts(close, at: e) { e += 1 }
        e = min(chars.count, e + close.count)
        span("comment", String(chars[i..<e]))
        i = e
        continue
      }
      if c == "\"" || c == "'" {
        var e = i + 1
        while e < chars.count, chars[e] != c, chars[e] != "\n" {
          if chars[e] == "\\" { e += 1 }
          e += 1
        }
        e = min(chars.count, e + 1)
        span("string", String(chars[i..<e]))
        i = e
        continue
      }
      if name == "tex", c == "\\" {
        var e = i + 1
        while e < chars.count, chars[e].isLetter { e += 1 }
        span("keyword", String(chars[i..<max(e, i + 2 > chars.count ? chars.count : i + 2)]))
        i = max(e, min(chars.count, i + 2))
        continue
      }
      if c.isNumber, i == 0 || !(chars[i - 1].isLetter || chars[i - 1] == "_") {
        var e = i
        while e < chars.count, chars[e].isNumber || chars[e] == "." || chars[e] == "e" || chars[e] == "_" { e += 1 }
        span("number", String(chars[i..<e]))
        i = e
        continue
      }
      if c.isLetter || c == "_" {
        var e = i
        while e < chars.count, chars[e].isLetter || chars[e].isNumber || chars[e] == "_" { e += 1 }
        let word = String(chars[i..<e])
        if lang.keywords.contains(word) { span("keyword", word) } else { out += escape(word) }
        i = e
        continue
      }
      out += escape(String(c))
      i += 1
    }
    return out
  }

  static func escape(_ s: String) -> String { HTMLEscape.text(s) }

}

/// HTML escaping, the one place: `&`, `<`, `>` and `"` (safe in text and in attribute values).
public enum HTMLEscape {
  public static func text(_ s: String) -> String {
    var r = ""
    r.reserveCapacity(s.utf8.count)
    for c in s {
      switch c {
      case "&": r += "&amp;"
      case "<": r += "&lt;"
      case ">": r += "&gt;"
      case "\"": r += "&quot;"
      default:
        // the placeholder sentinel never comes from text
        if c.unicodeScalars.first == MathProtection.sentinelScalar { r += "\u{FFFD}" } else { r.append(c) }
      }
    }
    return r
  }
}
