/// A parsed report: front matter, its page tree (parsed once), directives and formulas, every
/// one with its position.
public struct Document: Sendable {
  public var source: SourceFile
  /// The report's name: its file name without `.md` (the folder it is published in).
  public var name: String
  public var frontMatter: FrontMatter
  /// The body's formulas, references, citations, values, labelled sections and callouts (and
  /// the text cmark parsed).
  public var protected: MathProtection
  /// The body, parsed once: the page renderer writes the page from it.
  public var tree: PageTree
  /// The directives, in the order of the tree's `.directive` nodes.
  public var directives: [Directive]
  /// Whether the author's raw HTML is published (front matter `trust: html` or the build's
  /// `--allow-html`); otherwise it is shown as text. Render every tree of this report with it.
  public var trustsHTML = false
  /// The front matter's abstract, read as prose (`AbstractMarkdown`): nil when there is none.
  public var abstract: MathProtection?
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
    let tree = PageTree(protected, trustHTML: trustsHTML, source: source)
    problems += markupWarnings(tree)
    problems += tree.problems
    let directives = tree.directives
    unterminatedFence(source, body: body, into: &problems)
    // Labels must be unique within a report.
    var seen: [String: SourceLocation] = [:]
    for d in directives {
      guard let label = d.label, let opt = d.options.first(where: { $0.key == "label" }) else { continue }
      let at = opt.location(of: opt.value, path: source.path)
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
        problems.append(
          Diagnostic(
            at: SourceLocation(path: source.path, line: span.location.line + 1, column: 1), length: label.count + 8,
            "equation label '\(label)' must be 'eq-' followed by letters, digits, '-' or '_' (it is referenced as @eq-…)"))
      }
    }
    var doc = Document(source: source, name: name, frontMatter: frontMatter, protected: protected, tree: tree, directives: directives)
    doc.trustsHTML = trustsHTML
    if let abstract = AbstractMarkdown.protected(frontMatter, path: source.path) {
      // sanitized as the body is, with its warnings (raw HTML shown as text, refused link schemes)
      problems += markupWarnings(MarkdownTree(abstract.text, trustHTML: trustsHTML), abstract, path: source.path)
      doc.abstract = abstract
    }
    return (doc, problems)
  }

  /// The safe rendering's findings in `tree` as warnings at the file's lines.
  public static func markupWarnings(_ tree: PageTree) -> [Diagnostic] {
    markupWarnings(tree.markdown, tree.protected, path: tree.protected.path)
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
      problems.append(
        Diagnostic(
          at: SourceLocation(path: source.path, line: o.line, column: o.column), length: o.count,
          "directive fence is never closed: expected a line '\(String(repeating: o.char, count: o.count))' after its caption"))
    }
  }
}
