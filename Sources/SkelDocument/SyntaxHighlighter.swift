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
      keywords: [
        "def", "return", "import", "from", "as", "for", "in", "if", "elif", "else", "while", "with", "class", "lambda", "None", "True",
        "False", "and", "or", "not", "is", "yield", "try", "except", "raise", "pass", "break", "continue", "global", "assert",
      ],
      lineComment: ["#"], blockComment: nil),
    "swift": Language(
      keywords: [
        "func", "let", "var", "return", "import", "struct", "class", "enum", "case", "switch", "if", "else", "guard", "for", "in", "while",
        "public", "private", "static", "throws", "throw", "try", "self", "nil", "true", "false", "extension", "protocol", "init", "some",
        "any",
      ],
      lineComment: ["//"], blockComment: ("/*", "*/")),
    "bash": Language(
      keywords: [
        "if", "then", "else", "fi", "for", "do", "done", "in", "case", "esac", "function", "export", "echo", "cd", "make", "swift",
      ],
      lineComment: ["#"], blockComment: nil),
    "json": Language(keywords: ["true", "false", "null"], lineComment: [], blockComment: nil),
    "yaml": Language(keywords: ["true", "false", "null", "yes", "no"], lineComment: ["#"], blockComment: nil),
    "tex": Language(keywords: [], lineComment: ["%"], blockComment: nil),
  ]
  static let aliases = [
    "py": "python", "sh": "bash", "shell": "bash", "console": "bash", "yml": "yaml", "latex": "tex", "bibtex": "tex", "bib": "tex",
  ]

  public static func html(_ code: String, language: String) -> String {
    let name = aliases[language] ?? language
    guard let lang = languages[name] else { return escape(code) }
    let scanner = TokenScanner(chars: Array(code), language: lang, isBash: name == "bash", isTeX: name == "tex")
    var out = "", i = 0
    while i < scanner.chars.count {
      let (end, cls) = scanner.token(at: i)
      let text = String(scanner.chars[i..<end])
      if let cls { out += "<span class=\"tok-\(cls)\">\(escape(text))</span>" } else { out += escape(text) }
      i = end
    }
    return out
  }

  /// Cuts code into tokens: each ends where the next begins and has a class (`comment`,
  /// `string`, `keyword`, `number`) or none (words that are not keywords, other characters).
  struct TokenScanner {
    let chars: [Character]
    let language: Language
    let isBash: Bool
    let isTeX: Bool

    func starts(_ s: String, at k: Int) -> Bool {
      let w = Array(s)
      return k + w.count <= chars.count && Array(chars[k..<(k + w.count)]) == w
    }

    /// The token at `i` (`i` < the count): its end and its class.
    func token(at i: Int) -> (end: Int, cls: String?) {
      let c = chars[i]
      // (in shell, `#` starts a comment only after a space or at a line start: `$#` is a word)
      if language.lineComment.contains(where: { starts($0, at: i) }), !isBash || i == 0 || chars[i - 1] == " " || chars[i - 1] == "\n" {
        return (scan(from: i) { $0 != "\n" }, "comment")
      }
      if let (open, close) = language.blockComment, starts(open, at: i) {
        var e = i + open.count
        while e < chars.count, !starts(close, at: e) { e += 1 }
        return (min(chars.count, e + close.count), "comment")
      }
      if c == "\"" || c == "'" { return (stringEnd(from: i), "string") }
      if isTeX, c == "\\" { return (max(scan(from: i + 1) { $0.isLetter }, min(chars.count, i + 2)), "keyword") }
      if c.isNumber, i == 0 || !(chars[i - 1].isLetter || chars[i - 1] == "_") {
        return (scan(from: i) { $0.isNumber || $0 == "." || $0 == "e" || $0 == "_" }, "number")
      }
      if c.isLetter || c == "_" {
        let e = scan(from: i) { $0.isLetter || $0.isNumber || $0 == "_" }
        return (e, language.keywords.contains(String(chars[i..<e])) ? "keyword" : nil)
      }
      return (i + 1, nil)
    }

    /// The first index from `k` where `accept` fails (or the end).
    func scan(from k: Int, while accept: (Character) -> Bool) -> Int {
      var e = k
      while e < chars.count, accept(chars[e]) { e += 1 }
      return e
    }

    /// The end of a quoted string from its quote at `i`: past the closing quote, or at the line's end.
    func stringEnd(from i: Int) -> Int {
      let q = chars[i]
      var e = i + 1
      while e < chars.count, chars[e] != q, chars[e] != "\n" {
        if chars[e] == "\\" { e += 1 }
        e += 1
      }
      return min(chars.count, e + 1)
    }
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
