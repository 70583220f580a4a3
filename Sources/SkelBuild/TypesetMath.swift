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

/// KaTeX's HTML for an inline formula that is a plain decimal (`0.2128`, `12`, `1.999`: digits
/// with at most one point, no sign, no macros), the way KaTeX 0.16.4 writes it: a MathML `<mn>`
/// and one `mord` with the digits' strut. A parameter edit brings a table of new numbers, whose
/// typesetting by node (a process start, ≈ 150 ms) was most of that build; these need none.
/// Used only with that KaTeX version (`MathCache.identity`); `PlainNumberMathTests` checks the
/// template against node's output.
enum PlainNumberMath {
  static let version = "katex 0.16.4"

  static func html(_ r: KatexRenderer.Request, katex: String) -> String? {
    guard katex == version, !r.display, r.macros.isEmpty, isPlainDecimal(r.tex) else { return nil }
    let t = r.tex
    return
      "<span class=\"katex\"><span class=\"katex-mathml\"><math xmlns=\"http://www.w3.org/1998/Math/MathML\"><semantics><mrow><mn>\(t)</mn></mrow><annotation encoding=\"application/x-tex\">\(t)</annotation></semantics></math></span><span class=\"katex-html\" aria-hidden=\"true\"><span class=\"base\"><span class=\"strut\" style=\"height:0.6444em;\"></span><span class=\"mord\">\(t)</span></span></span></span>"
  }

  /// Digits, then at most one point followed by digits.
  static func isPlainDecimal(_ s: String) -> Bool {
    let parts = s.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), s.count <= 40 else { return false }
    return parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }
  }
}
