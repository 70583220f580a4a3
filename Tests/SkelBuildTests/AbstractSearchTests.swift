import Foundation
import SkelDocument
import SkelTestSupport
import Testing

@testable import SkelBuild

/// Front-matter abstracts rendered as inline Markdown (sanitized as the body is), and the
/// search index's text: formulas as their reading, never their TeX.
@Suite(.serialized) struct AbstractSearchTests {
  static func report(abstract: String, body: String = "Body.\n", trust: Bool = false) -> String {
    let yaml = "'" + abstract.replacingOccurrences(of: "'", with: "''") + "'"
    return "---\ntitle: A\nabstract: \(yaml)\n\(trust ? "trust: html\n" : "")---\n\n\(body)"
  }

  /// The `<div class="abstract">` of a page, and the card's abstract of the index.
  static func abstracts(_ site: URL, _ name: String) throws -> (page: String, card: String) {
    let page = try String(contentsOf: site.appendingPathComponent("\(name)/index.html"), encoding: .utf8)
    let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
    func between(_ text: String, _ open: String, _ close: String) -> String {
      guard let a = text.range(of: open), let b = text.range(of: close, range: a.upperBound..<text.endIndex) else { return "" }
      return String(text[a.upperBound..<b.lowerBound])
    }
    return (
      between(page, "<div class=\"abstract\">", "</div>\n</header>"),
      between(index, "<span class=\"card-abstract\">", "</span>\n</span>\n</a>")
    )
  }

  @Test func abstractIsInlineMarkdown() throws {
    let abstract = "The *dual* of `relu` is $\\hat\\sigma(\\rho)$, see [Daniely](https://arxiv.org/abs/1602.05897) and **more**."
    let dir = try writeScratch(["reports/a.md": Self.report(abstract: abstract)])
    defer { try? FileManager.default.removeItem(at: dir) }
    try trustBuilder(dir).build()
    let (page, card) = try Self.abstracts(dir.appendingPathComponent("_site"), "a")
    #expect(
      page.hasPrefix(
        "<strong>Abstract.</strong> The <em>dual</em> of <code>relu</code> is <span class=\"math inline\"><span class=\"katex\">"))
    #expect(page.contains("<a href=\"https://arxiv.org/abs/1602.05897\">Daniely</a>") && page.contains("<strong>more</strong>."))
    #expect(!page.contains("$") && !page.contains("<p>"))
    // the card is itself a link: the abstract's link is unwrapped there, its text kept
    #expect(card.hasPrefix("The <em>dual</em> of <code>relu</code> is <span class=\"math inline\"><span class=\"katex\">"), "\(card)")
    #expect(!card.contains("<a ") && card.contains("see Daniely and <strong>more</strong>."))
  }

  /// Hostile abstracts: raw HTML shown as text (with the body's warning), refused link schemes
  /// removed, block syntax (`#`, `-`, `1.`, fences, `[x]: url`) kept as text in one paragraph.
  @Test func hostileAbstractsAreSanitizedLikeTheBody() throws {
    let hostile = [
      "<script>alert(1)</script> and <img src=x onerror=alert(1)>",
      "[click](javascript:alert(1)) and <javascript:alert(1)> and [ent](jav&#x61;script:alert(1))",
      "<svg onload=alert(1)> <a href=\"javascript:alert(1)\">x</a>",
      "# Not a heading",
      "- not a list",
      "1. not a list either",
      "```not a fence",
      "[x]: javascript:alert(1)",
      "> not a quote\n\n* * *\n\nsecond paragraph",
      ":::{warning}\nnot a callout",
    ]
    var files: [String: String] = [:]
    for (k, a) in hostile.enumerated() { files["reports/h\(k).md"] = Self.report(abstract: a) }
    let dir = try writeScratch(files)
    defer { try? FileManager.default.removeItem(at: dir) }
    let summary = try trustBuilder(dir).build()
    let site = dir.appendingPathComponent("_site")
    let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
    #expect(HTMLSafety.violations(in: index) == [], "\(HTMLSafety.violations(in: index))")
    for k in hostile.indices {
      let html = try String(contentsOf: site.appendingPathComponent("h\(k)/index.html"), encoding: .utf8)
      #expect(HTMLSafety.violations(in: html) == [], "h\(k): \(HTMLSafety.violations(in: html))")
      #expect(HTMLSafety.elements("h1", in: html).count == 1, "h\(k)")
      let (page, card) = try Self.abstracts(site, "h\(k)")
      for tag in ["<h1", "<h2", "<ul", "<ol", "<pre", "<blockquote", "<hr", "<p>", "<div"] {
        #expect(!page.contains(tag) && !card.contains(tag), "h\(k) abstract has \(tag): \(page)")
      }
      #expect(!HTMLSafety.elements("a", in: "<p>\(page)</p>").contains { ($0["href"] ?? "").lowercased().contains("script") })
    }
    let (first, _) = try Self.abstracts(site, "h0")
    #expect(first.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    let (heading, _) = try Self.abstracts(site, "h3")
    #expect(heading == "<strong>Abstract.</strong> # Not a heading")
    let (list, _) = try Self.abstracts(site, "h5")
    #expect(list == "<strong>Abstract.</strong> 1. not a list either")
    let (quote, _) = try Self.abstracts(site, "h8")
    #expect(quote == "<strong>Abstract.</strong> &gt; not a quote * * * second paragraph", "\(quote)")
    let warnings = summary.warnings.joined(separator: "\n")
    #expect(warnings.contains("h0.md:3:") && warnings.contains("raw HTML '<script>alert(1)</script>"), "\(warnings)")
    #expect(warnings.contains("h1.md:3:") && warnings.contains("link with URL scheme 'javascript:' removed"))
    // trusted, the abstract's raw HTML is published as the body's is; its link schemes are still filtered
    let trusted = try writeScratch(["reports/t.md": Self.report(abstract: hostile[2], trust: true)])
    defer { try? FileManager.default.removeItem(at: trusted) }
    try trustBuilder(trusted).build()
    let (live, _) = try Self.abstracts(trusted.appendingPathComponent("_site"), "t")
    #expect(live.contains("<svg onload=alert(1)>") && !live.contains("javascript:"), "\(live)")
  }

  /// The built index: each formula as its reading in the text (what a result shows), its TeX
  /// in a field of its own (what a query may name); the abstract in the page's first section.
  @Test func searchIndexReadsFormulas() throws {
    let body = """
      The kernel $\\kappa_v = \\hat\\sigma_v(\\rho)$ at $\\sigma_w^2 = 2$ and $\\frac{1}{\\pi}$.

      ## Depth $L$ and $\\E[\\phi]$

      $$\\sum_{k \\ge 0} a_k^2 \\rho^k$$

      """
    let text = "---\ntitle: S\nabstract: 'The *dual* $\\hat\\sigma$.'\nmacros:\n  \\E: \\mathbb{E}\n---\n\n" + body
    let dir = try writeScratch(["reports/s.md": text])
    defer { try? FileManager.default.removeItem(at: dir) }
    try trustBuilder(dir).build()
    let script = try String(contentsOf: dir.appendingPathComponent("_site/assets/search-index.js"), encoding: .utf8)
    let json = String(script.drop { $0 != "[" }.dropLast(2))
    struct Doc: Decodable {
      var url, page, title, text, tex: String
    }
    let docs = try JSONDecoder().decode([Doc].self, from: Data(json.utf8))
    #expect(docs.map(\.url) == ["s/index.html", "s/index.html#depth-l-and-e-phi"])
    #expect(docs[0].text == "The dual σ̂. The kernel κ_v = σ̂_v(ρ) at σ_w² = 2 and 1/π.", "\(docs[0].text)")
    #expect(docs[1].title == "Depth L and 𝔼[ϕ]", "\(docs[1].title)")
    #expect(docs[1].text == "∑_(k ≥ 0)a_k²ρ^k", "\(docs[1].text)")
    for d in docs {
      #expect(!d.text.contains("\\") && !d.text.contains("$") && !d.title.contains("\\"), "\(d.text)")
    }
    #expect(docs[0].tex.contains("\\kappa_v = \\hat\\sigma_v(\\rho)") && docs[1].tex.contains("\\E[\\phi]"))
  }
}

/// TeX read as text for the search (`TeXReading`).
@Suite struct TeXReadingTests {
  @Test(arguments: [
    (
      "\\kappa_v = \\hat\\sigma_v\\big(\\tfrac{1}{\\delta(v)}\\sum_{u \\in \\mathrm{in}(v)} \\kappa_u\\big)",
      "κ_v = σ̂_v(1/(δ(v))∑_(u ∈ in(v))κ_u)"
    ),
    ("\\hat\\sigma(\\rho) = \\frac{\\sqrt{1 - \\rho^2} + (\\pi - \\arccos\\rho)\\,\\rho}{\\pi}", "σ̂(ρ) = (√(1−ρ²)+(π−arccos ρ) ρ)/π"),
    (
      "(X, Y) \\sim \\mathcal{N}\\!\\left(0, \\begin{pmatrix} 1 & \\rho \\\\ \\rho & 1 \\end{pmatrix}\\right)",
      "(X, Y) ∼ 𝒩(0, (1, ρ; ρ, 1))"
    ),
    ("1 - c^l \\simeq 9\\pi^2/(2l^2) \\tag{3}", "1−c^l ≃ 9π²/(2l²) (3)"),
    ("\\sigma_w^2 = 2", "σ_w² = 2"),
  ])
  func reads(tex: String, text: String) {
    #expect(TeXReading.text(tex) == text)
  }

  @Test func macrosExpandAndDeepFormulasStayTeX() {
    #expect(TeXReading.text("\\dual(\\rho) = \\E[\\sigma]", macros: ["\\dual": "\\hat\\sigma", "\\E": "\\mathbb{E}"]) == "σ̂(ρ) = 𝔼[σ]")
    let deep = String(repeating: "{", count: 10_000) + "x" + String(repeating: "}", count: 10_000)
    #expect(TeXReading.text(deep) == deep)
  }
}
