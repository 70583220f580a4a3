import SkelDocument

/// Rendered formulas, and the HTML of bodies, captions and tables written from their trees.
struct TypesetMath {
  let plans: [PlannedReport]
  let rendered: [KatexRenderer.Request: String]

  /// The KaTeX request for a formula of report `r`: its macros, and `\tag{n}` for a labelled equation.
  static func request(_ span: MathSpan, in report: PlannedReport) -> KatexRenderer.Request {
    var tex = span.tex
    if let label = span.label, let n = report.links.equationNumbers[label] { tex += " \\tag{\(n)}" }
    return KatexRenderer.Request(tex: tex, display: span.display, macros: report.document.frontMatter.macros)
  }

  func html(for span: MathSpan, report r: Int) -> String {
    let html = rendered[Self.request(span, in: plans[r])] ?? HTMLText.escape(span.tex)
    if !span.display { return "<span class=\"math inline\">\(html)</span>" }
    let id = span.label.map { " id=\"\(HTMLText.escape($0))\"" } ?? ""
    return "<div class=\"math display\"\(id)>\(html)</div>"
  }

  /// The renderer of report `r`'s pages, with the inline values `values`.
  func assembly(report r: Int, values: [String], figures: [Int: String] = [:]) -> PageAssembly {
    PageAssembly(math: { self.html(for: $0, report: r) }, links: plans[r].links, values: values, figures: figures)
  }

  /// The page body of report `r` from its tree (parsed once, by `DocumentParser`): `figures`
  /// by directive index, and the reference list.
  func bodyHTML(report r: Int, figures: [Int: String], values: [String]) -> String {
    assembly(report: r, values: values, figures: figures).html(plans[r].document.tree)
      + plans[r].links.referenceList(math: { self.html(for: $0, report: r) })
  }

  /// A result table's HTML (Markdown: its cells may hold math).
  func tableHTML(report r: Int, _ table: MathProtection) -> String {
    assembly(report: r, values: []).html(PageTree(table, trustHTML: false))
  }

  /// A caption's HTML without its enclosing paragraph.
  func captionHTML(report r: Int, directive k: Int, values: [String]) -> String {
    inlineHTML(report: r, plans[r].directives[k].captionMath, values: values)
  }

  /// The abstract's HTML (`Document.abstract`: one paragraph, rendered and sanitized as the body
  /// is) without its paragraph, or nil when the report has none.
  func abstractHTML(report r: Int, values: [String]) -> String? {
    plans[r].document.abstract.map { inlineHTML(report: r, $0, values: values) }
  }

  /// The HTML of prose outside the body, without its enclosing paragraph when it is one.
  func inlineHTML(report r: Int, _ math: MathProtection, values: [String]) -> String {
    var html = assembly(report: r, values: values).html(PageTree(math, trustHTML: plans[r].document.trustsHTML))
    html = html.trimmingCharacters(in: .whitespacesAndNewlines)
    if html.hasPrefix("<p>"), html.hasSuffix("</p>"), html.components(separatedBy: "<p>").count == 2 {
      html = String(html.dropFirst(3).dropLast(4))
    }
    return html
  }
}

enum HTMLText {
  static func escape(_ s: String) -> String { HTMLEscape.text(s) }
}
