import Foundation

/// The front matter's abstract as one paragraph of inline Markdown: emphasis, code, math,
/// links, references and citations, rendered and sanitized as the body is (the report's trust,
/// the same link rule). Its line breaks are spaces (a YAML `>` or `|` block is one paragraph)
/// and a first character that would open a block (a heading `#`, a quote `>`, a list marker, a
/// thematic break, a code fence, a link definition, a callout or table caption `:`) is escaped
/// (raw HTML is left to the sanitizer, as in the body),
/// so the abstract never becomes a heading, list or code block of the page's header.
public enum AbstractMarkdown {
  /// `abstract` as one line of Markdown that parses to a single paragraph.
  public static func paragraph(_ abstract: String) -> String {
    let line = abstract.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    guard let first = line.first else { return "" }
    let rest = line.dropFirst()
    func escaped(at index: String.Index) -> String {
      String(line[..<index]) + "\\" + String(line[index...])
    }
    switch first {
    case "#", ">", ":":
      return "\\" + line
    case "~":
      return line.hasPrefix("~~~") ? "\\" + line : line  // a fence; `~x~` is struck through
    case "-", "+", "*", "_":
      // a list item ("- x") or a thematic break ("***", "- - -"); `*emphasis*` stays
      let item = first != "_" && (rest.isEmpty || rest.first == " ")
      let rule = line.filter { $0 != " " }.allSatisfy { $0 == first } && line.filter { $0 == first }.count >= 3
      return item || rule ? "\\" + line : line
    case "`":
      // a fence: three backticks and no backtick after them on the line
      let ticks = line.prefix { $0 == "`" }.count
      return ticks >= 3 && !line.dropFirst(ticks).contains("`") ? "\\" + line : line
    case "[":
      // a link reference or footnote definition, `[x]: …`
      if let close = line.firstIndex(of: "]"), line[line.index(after: close)...].first == ":" { return "\\" + line }
      return line
    default:
      // an ordered list item: up to nine digits, then `.` or `)` and a space or the end
      let digits = line.prefix { $0.isASCII && $0.isNumber }
      guard (1...9).contains(digits.count), let mark = line.dropFirst(digits.count).first, mark == "." || mark == ")" else { return line }
      let after = line.dropFirst(digits.count + 1)
      return after.isEmpty || after.first == " " ? escaped(at: line.index(line.startIndex, offsetBy: digits.count)) : line
    }
  }

  /// The abstract of `frontMatter`, read as the body's prose is (`MathProtection`), or nil when
  /// it has none; its positions are the line where its value starts.
  public static func protected(_ frontMatter: FrontMatter, path: String) -> MathProtection? {
    guard let abstract = frontMatter.abstract else { return nil }
    let text = paragraph(abstract)
    guard !text.isEmpty else { return nil }
    return MathProtection(text, path: path, firstLine: frontMatter.abstractLocation?.line ?? 1)
  }
}
