/// A parsed report: front matter, directives and formulas, every one with its position.
public struct Document: Sendable {
  public var source: SourceFile
  /// The report's name: its file name without `.md` (the folder it is published in).
  public var name: String
  public var frontMatter: FrontMatter
  /// The body with formulas replaced by placeholders (what cmark sees).
  public var protected: MathProtection
  public var directives: [Directive]
  /// Indices of the code blocks that are directives, in the order of `directives`.
  public var directiveBlockIndices: [Int]
  /// Whether the author's raw HTML is published (front matter `trust: html` or the build's
  /// `--allow-html`); otherwise it is shown as text. Render every tree of this report with it.
  public var trustsHTML = false
}

public enum DocumentParser {
  /// Parses a report. Problems are collected, not thrown, so a build can report all of them.
  /// Warnings (severity `.warning`) say what the safe rendering changed: raw HTML shown as
  /// text, links and images with a disallowed URL scheme.
  public static func parse(_ source: SourceFile, name: String, allowHTML: Bool = false) -> (Document, [Diagnostic]) {
    var problems: [Diagnostic] = []
    let (frontMatter, fmProblems) = FrontMatterReader.decode(source, fallbackTitle: name)
    problems += fmProblems
    let (_, _, body) = FrontMatterReader.split(source)
    let protected = MathProtection(body, path: source.path)
    let trustsHTML = allowHTML || frontMatter.trustHTML
    let tree = MarkdownTree(protected.text, trustHTML: trustsHTML, builtHTML: protected.builtHTML)
    problems += markupWarnings(tree, protected, path: source.path)
    var directives: [Directive] = []
    var indices: [Int] = []
    for (k, block) in tree.codeBlocks().enumerated() {
      let fileLine = block.line >= 1 && block.line <= protected.lineMap.count ? protected.lineMap[block.line - 1] : block.line
      let (d, p) = DirectiveReader.read(
        info: block.info, body: block.literal, fenceLine: fileLine, fenceColumn: block.column, source: source,
        index: directives.count)
      problems += p
      if let d {
        directives.append(d)
        indices.append(k)
      }
      if d == nil, let (bracedName, _) = DirectiveReader.braced(block.info), bracedName == "math" {
        // A closed ```{math} block was typeset already; one cmark still sees never closed.
        problems.append(Diagnostic(at: SourceLocation(path: source.path, line: fileLine, column: block.column), length: 9, "unclosed ```{math} block: expected a closing fence ``` after the formula"))
      } else if d == nil, let (bracedName, _) = DirectiveReader.braced(block.info) {
        let known = DirectiveReader.fenceNames
        problems.append(Diagnostic(at: SourceLocation(path: source.path, line: fileLine, column: block.column), length: bracedName.count + 5, "unknown directive '{\(bracedName)}'\(Suggestion.didYouMean(bracedName, among: known)); directives are written ```{kernel} KIND"))
      }
    }
    unterminatedFence(source, body: body, into: &problems)
    // Labels must be unique within a report.
    var seen: [String: SourceLocation] = [:]
    for d in directives {
      guard let label = d.label, let opt = d.options.first(where: { $0.key == "label" }) else { continue }
      let at = SourceLocation(path: source.path, line: opt.line, column: opt.value.column)
      if let first = seen[label] {
        problems.append(Diagnostic(at: at, length: label.count, "label '\(label)' is already used on line \(first.line)"))
      } else {
        seen[label] = at
      }
    }
    // Equation labels are referenced as @eq-x: `eq-` and then letters, digits, '-' or '_'.
    for span in protected.spans {
      guard let label = span.label else { continue }
      let rest = label.hasPrefix("eq-") ? label.dropFirst(3) : ""
      if rest.isEmpty || !rest.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
        problems.append(Diagnostic(
          at: SourceLocation(path: source.path, line: span.location.line + 1, column: 1), length: label.count + 8,
          "equation label '\(label)' must be 'eq-' followed by letters, digits, '-' or '_' (it is referenced as @eq-…)"))
      }
    }
    var doc = Document(
      source: source, name: name, frontMatter: frontMatter, protected: protected, directives: directives,
      directiveBlockIndices: indices)
    doc.trustsHTML = trustsHTML
    return (doc, problems)
  }

  /// The safe rendering's findings in `tree` (parsed from `protected.text`) as warnings at
  /// the file's lines.
  public static func markupWarnings(_ tree: MarkdownTree, _ protected: MathProtection, path: String) -> [Diagnostic] {
    tree.findings.map { f in
      let line = f.line >= 1 && f.line <= protected.lineMap.count ? protected.lineMap[f.line - 1] : f.line
      return Diagnostic(.warning, at: SourceLocation(path: path, line: line, column: f.column), length: f.length, f.message)
    }
  }

  /// A directive fence left open swallows the rest of the file; say so where it opened.
  static func unterminatedFence(_ source: SourceFile, body: String, into problems: inout [Diagnostic]) {
    var open: (line: Int, column: Int, char: Character, count: Int, isDirective: Bool)?
    for (k, raw) in body.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let lead = raw.prefix(while: { $0 == " " }).count
      let t = raw.dropFirst(lead)
      guard let c = t.first, c == "`" || c == "~" else { continue }
      let n = t.prefix(while: { $0 == c }).count
      guard n >= 3 else { continue }
      if let o = open {
        if c == o.char, n >= o.count, t.dropFirst(n).allSatisfy({ $0 == " " }) { open = nil }
      } else {
        let info = String(t.dropFirst(n))
        open = (k + 1, lead + 1, c, n, DirectiveReader.braced(info).map { DirectiveReader.fenceNames.contains($0.name) } ?? false)
      }
    }
    if let o = open, o.isDirective {
      problems.append(Diagnostic(at: SourceLocation(path: source.path, line: o.line, column: o.column), length: o.count, "directive fence is never closed: expected a line '\(String(repeating: o.char, count: o.count))' after its caption"))
    }
  }
}
