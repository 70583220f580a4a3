import SkelDocument

/// Rendered formulas, and the HTML of bodies and captions with the placeholders restored.
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

  /// Replaces placeholders in `html` by typeset math. A display formula alone in a paragraph
  /// replaces the paragraph.
  func restore(_ html: String, spans: [MathSpan], report r: Int) -> String {
    let display = { (k: Int) in spans.indices.contains(k) && spans[k].display }
    return MathProtection.substitutePlaceholders(in: html, prefix: MathProtection.mathPrefix, unwrapsParagraph: display) { k in
      spans.indices.contains(k) ? self.html(for: spans[k], report: r) : nil
    }
  }

  func bodyHTML(report r: Int, tree: MarkdownTree, replacing figures: [Int: String], values: [String]) -> String {
    let p = plans[r].document.protected
    let html = restore(tree.html(replacing: figures), spans: p.spans, report: r)
    return plans[r].links.resolve(html, p, values: values) + plans[r].links.referenceList()
  }

  /// A caption's HTML without its enclosing paragraph.
  func captionHTML(report r: Int, directive k: Int, values: [String]) -> String {
    let math = plans[r].directives[k].captionMath
    var html = MarkdownTree(math.text, trustHTML: plans[r].document.trustsHTML, builtHTML: math.builtHTML).html().trimmingCharacters(in: .whitespacesAndNewlines)
    if html.hasPrefix("<p>"), html.hasSuffix("</p>"), html.components(separatedBy: "<p>").count == 2 {
      html = String(html.dropFirst(3).dropLast(4))
    }
    return plans[r].links.resolve(restore(html, spans: math.spans, report: r), math, values: values)
  }
}

import Foundation

enum HTMLText {
  static func escape(_ s: String) -> String { HTMLEscape.text(s) }
}
