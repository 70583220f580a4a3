import SkelDocument

/// Rendered formulas, and the HTML of bodies and captions with the placeholders restored.
struct TypesetMath {
  let plans: [PlannedReport]
  let rendered: [KatexRenderer.Request: String]

  func html(for span: MathSpan) -> String {
    let html = rendered[KatexRenderer.Request(tex: span.tex, display: span.display)] ?? HTMLText.escape(span.tex)
    return span.display ? "<div class=\"math display\">\(html)</div>" : "<span class=\"math inline\">\(html)</span>"
  }

  /// Replaces placeholders in `html` by typeset math. A display formula alone in a paragraph
  /// replaces the paragraph.
  func restore(_ html: String, spans: [MathSpan]) -> String {
    var out = html
    // Highest index first, so SKMATH1Q never matches inside SKMATH12Q (the Q ends each token anyway).
    for (k, span) in spans.enumerated().reversed() {
      let token = MathProtection.placeholder(k)
      let rendered = self.html(for: span)
      if span.display {
        out = out.replacingOccurrences(of: "<p>\(token)</p>", with: rendered)
      }
      out = out.replacingOccurrences(of: token, with: rendered)
    }
    return out
  }

  func bodyHTML(report r: Int, tree: MarkdownTree, replacing figures: [Int: String]) -> String {
    restore(tree.html(replacing: figures), spans: plans[r].document.protected.spans)
  }

  /// A caption's HTML without its enclosing paragraph.
  func captionHTML(report r: Int, directive k: Int) -> String {
    let math = plans[r].directives[k].captionMath
    var html = MarkdownTree(math.text).html().trimmingCharacters(in: .whitespacesAndNewlines)
    if html.hasPrefix("<p>"), html.hasSuffix("</p>"), html.components(separatedBy: "<p>").count == 2 {
      html = String(html.dropFirst(3).dropLast(4))
    }
    return restore(html, spans: math.spans)
  }
}

import Foundation

enum HTMLText {
  static func escape(_ s: String) -> String {
    var r = ""
    for c in s {
      switch c {
      case "&": r += "&amp;"
      case "<": r += "&lt;"
      case ">": r += "&gt;"
      case "\"": r += "&quot;"
      default: r.append(c)
      }
    }
    return r
  }
}
