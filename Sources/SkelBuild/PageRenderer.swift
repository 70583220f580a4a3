import Foundation
import Mustache
import SkelDocument
import SkelPlot

/// Pages from the Mustache templates of a `TemplateSource` (a project's `templates/` over the
/// built-in defaults; escaping on by default; raw HTML only where we put it with triple braces).
struct PageRenderer {
  let library: MustacheLibrary

  struct ReportPage {
    var document: Document
    var body: String
    var thumbnail: String?
    /// The thumbnail drawn in the dark theme, offered to dark readers.
    var thumbnailDark: String?
    /// The page's headings (h2 and h3 make its contents).
    var headings: [SiteChrome.Heading] = []
    /// The abstract's HTML (`TypesetMath.abstractHTML`), nil when there is none.
    var abstract: String?
  }

  /// Registers every `.mustache` template of `templates` (a project's file over the built-in
  /// one, name by name); a template error names the file it is in, at line:column.
  init(templates: TemplateSource) throws {
    var lib = MustacheLibrary()
    let stage = "Render pages"
    for name in try templates.mustacheNames(stage: stage) {
      guard let file = try templates.file(name + ".mustache", stage: stage) else { continue }
      guard let text = String(validating: file.bytes, as: UTF8.self) else {
        throw BuildError.stage(name: stage, message: "\(file.path): the template is not valid UTF-8")
      }
      do {
        try lib.register(text, named: name)
      } catch let error as MustacheTemplate.ParserError {
        throw BuildError.stage(
          name: stage, message: "\(file.path):\(error.context.lineNumber):\(error.context.columnNumber): template error: \(error.error)")
      }
    }
    for required in ["page", "index"] where lib.getTemplate(named: required) == nil {
      throw BuildError.stage(
        name: stage, message: "template '\(required).mustache' is missing in \(templates.folder?.path ?? "the built-in templates")")
    }
    library = lib
  }

  /// A page's values for the templates. Empty texts are left out: Mustache takes an empty
  /// string as true, so `{{#abstract}}` would draw an empty abstract box. `abstract` is the
  /// front matter's text as written, `abstractHTML` its rendering (`{{{abstractHTML}}}`); on an
  /// index `card` the rendering has no links (the card is a link) and no blocks (inside a
  /// `<span>`: an abstract that rendered to blocks is its plain text there).
  func context(_ p: ReportPage, card: Bool = false) -> [String: Any] {
    let fm = p.document.frontMatter
    var abstractHTML = p.abstract ?? ""
    if card {
      abstractHTML = SiteChrome.unwrapLinks(abstractHTML)
      if abstractHTML.range(of: "<(p|div|ul|ol|pre|blockquote|table|h[1-6]|section|hr)[ >]", options: .regularExpression) != nil {
        abstractHTML = HTMLText.escape(SiteChrome.plainText(abstractHTML))
      }
    }
    let values: [String: Any] = [
      "title": fm.title, "authors": fm.authors.joined(separator: ", "), "date": fm.date ?? "",
      "abstract": fm.abstract ?? "", "abstractHTML": abstractHTML, "tags": fm.tags, "name": p.document.name, "body": p.body,
      "thumbnail": p.thumbnail ?? "", "assets": "../assets", "generator": "skelreport \(Engine.version)",
    ]
    return values.filter { ($0.value as? String) != "" }
  }

  /// A report's page with the site's chrome: `order` is every published report in reading order
  /// (the sidebar, and the previous and next links around this page).
  func page(_ p: ReportPage, order: [Document]) -> String {
    var c = context(p)
    c["root"] = "../"
    let nav = order.map { d -> [String: Any] in
      var item: [String: Any] = ["title": d.frontMatter.title, "href": "../" + d.name + "/index.html"]
      if d.name == p.document.name { item["current"] = true }
      return item
    }
    (c["nav"], c["hasNav"]) = (nav, true)
    if let i = order.firstIndex(where: { $0.name == p.document.name }) {
      if i > 0 { c["prev"] = nav[i - 1] }
      if i + 1 < nav.count { c["next"] = nav[i + 1] }
    }
    let toc = p.headings.filter { $0.level <= 3 }.map { h -> [String: Any] in
      ["id": h.id, "html": h.html, "sub": h.level == 3]
    }
    if !toc.isEmpty { (c["toc"], c["hasToc"]) = (toc, true) }
    return library.render(c, withTemplate: "page") ?? ""
  }

  /// The index: every published report in reading order, as cards.
  func index(_ pages: [ReportPage], order: [Document]) -> String {
    let byName = Dictionary(pages.map { ($0.document.name, $0) }) { a, _ in a }
    let items: [[String: Any]] = order.compactMap { byName[$0.name] }.map { p in
      var c = context(p, card: true)
      c["href"] = p.document.name + "/index.html"
      c["thumbnail"] = p.thumbnail.map { p.document.name + "/" + $0 }
      c["thumbnailDark"] = p.thumbnailDark.map { p.document.name + "/" + $0 }
      return c
    }
    let values: [String: Any] = ["reports": items, "assets": "assets", "root": "", "generator": "skelreport \(Engine.version)"]
    return library.render(values, withTemplate: "index") ?? ""
  }

  static func tableHTML(label: String, number: Int, caption: String, table: String) -> String {
    let l = HTMLText.escape(label)
    return """
      <figure class="skel-table" id="\(l)">
      <figcaption><span class="figure-number">Table \(number).</span> \(caption)</figcaption>
      <div class="table-scroll" tabindex="0" role="region" aria-label="Table \(number)">
      \(table)</div>
      <p class="figure-files"><a href="\(l).json">JSON</a> · <a href="\(l).csv">CSV</a></p>
      </figure>

      """
  }

  /// A figure: its image (with a dark variant and a phone rendering as `<picture>` sources
  /// when drawn), caption with data links, and table.
  static func figureHTML(
    label: String, number: Int, caption: String, alt: String, width: Double, height: Double, formats: [String],
    dark: Bool = false, table: String? = nil, arrays: [String] = [], phone: (width: Double, height: Double)? = nil
  ) -> String {
    let main = formats.contains("svg") ? "svg" : (formats.contains("png") ? "png" : nil)
    let css = { (points: Double) in Int((points * 96 / 72).rounded()) }
    let cssWidth = css(width), cssHeight = css(height)
    var html = "<figure class=\"skel-figure\" id=\"\(HTMLText.escape(label))\">\n"
    if let main {
      let l = HTMLText.escape(label)
      let minWidth = Int((Double(cssWidth) * minimumScale).rounded(.up))
      var sources: [String] = []
      var floor = "\(minWidth)px"
      if let phone {
        // Where the page's column is narrower than the figure's smallest readable width, the
        // phone rendering; it in turn never shrinks below its own (and scrolls, with the box's
        // fading edge as the cue, on narrower screens).
        let narrow = phoneMedia(minWidth: minWidth)
        let (w, h) = (css(phone.width), css(phone.height))
        // (the validator allows no width/height on <source>: the image's natural size is used
        // once it is loaded, as `height: auto` lets it; data-width tells the browser test)
        let size = " data-width=\"\(w)\" data-height=\"\(h)\""
        let narrowDark = narrow.map { $0 + " and (prefers-color-scheme: dark)" }.joined(separator: ", ")
        sources.append("<source srcset=\"\(l).phone.dark.\(main)\" media=\"\(narrowDark)\"\(size)>")
        sources.append("<source srcset=\"\(l).phone.\(main)\" media=\"\(narrow.joined(separator: ", "))\"\(size)>")
        floor = "min(\(minWidth)px, max(\(Int((Double(w) * minimumScale).rounded(.up)))px, 100%))"
      }
      if dark { sources.append("<source srcset=\"\(l).dark.\(main)\" media=\"(prefers-color-scheme: dark)\">") }
      let img =
        "<img src=\"\(l).\(main)\" alt=\"\(HTMLText.escape(alt))\" width=\"\(cssWidth)\" height=\"\(cssHeight)\" loading=\"lazy\""
        + " style=\"min-width: \(floor)\">"
      let image = sources.isEmpty ? img : "<picture>" + sources.joined() + img + "</picture>"
      html += "<div class=\"figure-image\">\(image)</div>\n"
    }
    // The caption is the figure's last child (HTML allows it only first or last), the data links
    // inside it; a figure's table follows the figure in its own scrolling box.
    var links = (formats + ["json", "csv"]).map { "<a href=\"\(HTMLText.escape(label)).\($0)\">\($0.uppercased())</a>" }
    // Full arrays: `fig.npy` reads "NPY", `fig.ntk.npy` "NTK .npy".
    links += arrays.map { file in
      let middle = file.dropFirst(label.count).dropLast(4).trimmingCharacters(in: CharacterSet(charactersIn: "."))
      let text = middle.isEmpty ? "NPY" : HTMLText.escape(middle.uppercased()) + " .npy"
      return "<a href=\"\(HTMLText.escape(file))\" download>\(text)</a>"
    }
    html += "<figcaption><span class=\"figure-number\">Figure \(number).</span> \(caption)"
    html += "<span class=\"figure-files\">\(links.joined(separator: " · "))</span></figcaption>\n</figure>\n"
    if let table {
      html += "<div class=\"figure-table table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Data of figure \(number)\">\n"
      html += table + "</div>\n"
    }
    return html
  }

  /// The viewport widths (media conditions) at which a report page's text column is narrower
  /// than `minWidth` CSS px, from style.css's layout (1rem = 17 px there; media queries count
  /// 16 px): below 48rem (768 px) the column is the viewport less main's 2 × 1rem padding (34 px);
  /// from 768 px the sidebar (12.5rem), its gap (1.5rem) and the right padding (1rem) come off
  /// too (289 px in all); from 75rem (1200 px) also the contents (13rem + 2.5rem gap: 552 px in
  /// all), the column at most 44rem (748 px). Measured in Chromium: 479 px at 768, 648 at 1200.
  static func phoneMedia(minWidth m: Int) -> [String] {
    var out = ["(max-width: \(min(m + 34, 767))px)"]
    if m + 289 >= 768 { out.append("(min-width: 768px) and (max-width: \(min(m + 289, 1199))px)") }
    if m + 552 >= 1200, m <= 748 { out.append("(min-width: 1200px) and (max-width: \(m + 552)px)") }
    return out
  }

  /// The smallest scale a figure may be shown at so that its smallest text (the site themes'
  /// tick and legend sizes, in points) is still 9 CSS px: below it the image keeps this width
  /// and scrolls in its own box.
  static var minimumScale: Double {
    let points =
      [Theme.light, Theme.dark].flatMap { [$0.tickFontSize, $0.legendFontSize, $0.labelFontSize, $0.titleFontSize] }.min() ?? 8.5
    return min(1, 9 / (points * 96 / 72))
  }
}
