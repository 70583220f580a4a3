import Foundation
import Testing

@testable import SkelBuild

/// The site chrome's build-time parts (SiteChrome.swift) and the stylesheet's colours. The
/// browser side (overflow, search in use, theme toggle, print) is Tests/browser/site-check.mjs.
@Suite struct SiteChromeTests {
  @Test func everyHeadingGetsAnID() {
    let body = """
      <h2><a id="sec-a"></a>Labelled</h2><p>x</p><h2>Weights that are not Gaussian</h2>
      <h3>Weights that are not Gaussian</h3><figure id="fig-x"></figure><h3>fig x</h3><h4>3 laws</h4>
      """
    let (html, headings) = SiteChrome.identifyHeadings(body)
    #expect(headings.map(\.id) == ["sec-a", "weights-that-are-not-gaussian", "weights-that-are-not-gaussian-2", "fig-x-2", "s-3-laws"])
    #expect(headings.map(\.level) == [2, 2, 3, 3, 4])
    #expect(html.contains("<h2 id=\"sec-a\">Labelled</h2>"))
    #expect(!html.contains("<a id=\"sec-a\"></a>"))
    #expect(!html.contains("<h2>") && !html.contains("<h3>"))
  }

  /// A formula reads as its annotation's TeX read as text (`TeXReading`); heading slugs keep the
  /// TeX's ASCII words.
  @Test func plainTextSkipsKaTeXLayoutReadsTeX() {
    let html = """
      <p>The <em>dual</em> <span class="katex"><span class="katex-mathml"><math><semantics><mrow><mi>σ</mi></mrow>\
      <annotation encoding="application/x-tex">\\hat\\sigma</annotation></semantics></math></span>\
      <span class="katex-html" aria-hidden="true"><span class="mord">σ̂</span></span></span> &amp; more</p>
      """
    #expect(SiteChrome.plainText(html) == "The dual σ̂ & more")
    #expect(SiteChrome.plainText(html, readsFormulas: false) == "The dual \\hat\\sigma & more")
    #expect(SiteChrome.readText(html).tex == ["\\hat\\sigma"])
  }

  @Test func sectionsSplitAtHeadings() {
    let (body, headings) = SiteChrome.identifyHeadings("<p>intro words</p><h2>First part</h2><p>alpha</p><h3>Sub</h3><p>beta</p>")
    let sections = SiteChrome.sections(body: body, headings: headings, page: "P", title: "P", href: "p/index.html")
    #expect(sections.map(\.url) == ["p/index.html", "p/index.html#first-part", "p/index.html#sub"])
    #expect(sections.map(\.title) == ["P", "First part", "Sub"])
    #expect(sections.map(\.text) == ["intro words", "alpha", "beta"])
    let script = String(decoding: SiteChrome.searchScript([.init(url: "a", page: "b", title: "</script>", text: "t")]), as: UTF8.self)
    #expect(script.hasPrefix("window.skelSearchDocuments = [") && !script.contains("</script"))
  }

  @Test func markdownTablesScrollInTheirBox() {
    let wrapped = SiteChrome.wrapTables("<p>a</p><table><tr><td>1</td></tr></table>")
    #expect(wrapped.contains("<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Table\">\n<table>"))
    let already = "<div class=\"table-scroll\" tabindex=\"0\">\n<table><tr><td>1</td></tr></table></div>"
    #expect(SiteChrome.wrapTables(already) == already)
  }

  // MARK: - WCAG AA contrast of the stylesheet's colours, in both themes

  /// The custom properties of the first block that starts with `selector {`.
  static func variables(_ css: String, block selector: String) -> [String: String] {
    guard let start = css.range(of: selector + " {"), let end = css[start.upperBound...].firstIndex(of: "}") else { return [:] }
    var out: [String: String] = [:]
    for declaration in css[start.upperBound..<end].split(separator: ";") {
      let parts = declaration.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
      if parts.count == 2, parts[0].hasPrefix("--") { out[parts[0]] = parts[1] }
    }
    return out
  }

  /// WCAG 2.x relative luminance of `#rrggbb`.
  static func luminance(_ hex: String) -> Double? {
    guard hex.hasPrefix("#"), hex.count == 7, let v = UInt32(hex.dropFirst(), radix: 16) else { return nil }
    func channel(_ c: UInt32) -> Double {
      let s = Double(c) / 255
      return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
    }
    return 0.2126 * channel(v >> 16 & 0xFF) + 0.7152 * channel(v >> 8 & 0xFF) + 0.0722 * channel(v & 0xFF)
  }

  static func contrast(_ a: String, _ b: String) -> Double? {
    guard let la = luminance(a), let lb = luminance(b) else { return nil }
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
  }

  /// A figure with a phone rendering: the phone sources come first (dark before light), under
  /// the column width where the page image would fall below 9 px text, and the image's floor is
  /// the page image's readable width or, in that range, the phone image's; a figure without one
  /// keeps the plain floor. 9 px / 11.33 px (8.5 pt) = 0.794.
  @Test func phoneRenderingIsAPictureSource() throws {
    let html = PageRenderer.figureHTML(
      label: "fig-a", number: 1, caption: "C", alt: "A", width: 360, height: 244.8, formats: ["svg", "png"], dark: true,
      phone: (270, 203))
    let narrow = "(max-width: 416px)"  // 480 CSS px × 0.794 → 382 px, + 2 × 17 px padding
    // beside the sidebar (from 768 px) the column is the viewport less 289 px, from 1200 px less 552
    #expect(PageRenderer.phoneMedia(minWidth: 382) == [narrow])
    #expect(PageRenderer.phoneMedia(minWidth: 488) == ["(max-width: 522px)", "(min-width: 768px) and (max-width: 777px)"])
    #expect(PageRenderer.phoneMedia(minWidth: 700).last == "(min-width: 1200px) and (max-width: 1252px)")
    #expect(PageRenderer.phoneMedia(minWidth: 763).count == 2, "a figure wider than the column never fits it there")
    #expect(
      html.contains(
        #"<source srcset="fig-a.phone.dark.svg" media="\#(narrow) and (prefers-color-scheme: dark)" data-width="360" data-height="271">"#))
    #expect(html.contains(#"<source srcset="fig-a.phone.svg" media="\#(narrow)" data-width="360" data-height="271">"#))
    let order = ["fig-a.phone.dark.svg", "fig-a.phone.svg", "fig-a.dark.svg", "<img src=\"fig-a.svg\""].map {
      html.range(of: $0)!.lowerBound
    }
    #expect(order == order.sorted())
    #expect(html.contains(#"style="min-width: min(382px, max(286px, 100%))""#))
    let plain = PageRenderer.figureHTML(label: "fig-b", number: 2, caption: "C", alt: "A", width: 360, height: 244.8, formats: ["svg"])
    #expect(!plain.contains("<picture>") && plain.contains(#"style="min-width: 382px""#))
  }

  @Test func contrastFormulaMatchesWCAG() throws {
    // Black on white is 21:1; #777777 on white is 4.48:1 (the classic near miss).
    #expect(abs(try #require(Self.contrast("#000000", "#ffffff")) - 21) < 1e-9)
    #expect(abs(try #require(Self.contrast("#777777", "#ffffff")) - 4.478) < 0.001)
  }

  @Test func everyTextColourMeetsAAInBothThemes() throws {
    let css = try String(contentsOf: packageRoot.appendingPathComponent("templates/style.css"), encoding: .utf8)
    let light = Self.variables(css, block: ":root")
    let dark = Self.variables(css, block: ":root[data-theme=\"dark\"]")
    let auto = Self.variables(css, block: ":root:not([data-theme=\"light\"])")
    #expect(!light.isEmpty && !dark.isEmpty)
    #expect(
      auto == dark.filter { auto.keys.contains($0.key) } && auto.count == dark.count, "the automatic dark theme differs from the toggle's")
    let texts = ["--text", "--muted", "--accent", "--tok-keyword", "--tok-string", "--tok-comment", "--tok-number"]
    for (name, theme) in [("light", light), ("dark", dark)] {
      for background in ["--bg", "--card"] {
        for text in texts {
          let fg = try #require(theme[text]), bg = try #require(theme[background])
          let ratio = try #require(Self.contrast(fg, bg), "\(name) \(text)")
          #expect(ratio >= 4.5, "\(name): \(text) on \(background) is \(ratio):1")
        }
      }
      // Non-text contrast (WCAG 1.4.11): input borders and the focus ring at 3:1.
      for ui in ["--border", "--focus"] {
        let fg = try #require(theme[ui]), bg = try #require(theme["--bg"])
        let ratio = try #require(Self.contrast(fg, bg))
        #expect(ratio >= 3, "\(name): \(ui) on --bg is \(ratio):1")
      }
    }
  }
}
