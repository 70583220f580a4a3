import Foundation
import Mustache
import SkelDocument

/// Pages from the Mustache templates of a `TemplateSource` (a project's `templates/` over the
/// built-in defaults; escaping on by default; raw HTML only where we put it with triple braces).
struct PageRenderer {
  let library: MustacheLibrary

  struct ReportPage {
    var document: Document
    var body: String
    var thumbnail: String?
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
  /// string as true, so `{{#abstract}}` would draw an empty abstract box.
  func context(_ p: ReportPage) -> [String: Any] {
    let fm = p.document.frontMatter
    let values: [String: Any] = [
      "title": fm.title, "authors": fm.authors.joined(separator: ", "), "date": fm.date ?? "",
      "abstract": fm.abstract ?? "", "tags": fm.tags, "name": p.document.name, "body": p.body,
      "thumbnail": p.thumbnail ?? "", "assets": "../assets", "generator": "skelreport \(Engine.version)",
    ]
    return values.filter { ($0.value as? String) != "" }
  }

  func page(_ p: ReportPage) -> String {
    library.render(context(p), withTemplate: "page") ?? ""
  }

  func index(_ pages: [ReportPage]) -> String {
    let visible = pages.filter { !$0.document.frontMatter.draft }
    let items: [[String: Any]] = visible.map { p in
      var c = context(p)
      c["href"] = p.document.name + "/index.html"
      c["thumbnail"] = p.thumbnail.map { p.document.name + "/" + $0 }
      return c
    }
    return library.render(["reports": items, "assets": "assets", "generator": "skelreport \(Engine.version)"], withTemplate: "index") ?? ""
  }

  static func tableHTML(label: String, number: Int, caption: String, table: String) -> String {
    let l = HTMLText.escape(label)
    return """
      <figure class="skel-table" id="\(l)">
      <figcaption><span class="figure-number">Table \(number).</span> \(caption)</figcaption>
      <div class="table-scroll">
      \(table)</div>
      <p class="figure-files"><a href="\(l).json">JSON</a> · <a href="\(l).csv">CSV</a></p>
      </figure>

      """
  }

  static func figureHTML(
    label: String, number: Int, caption: String, alt: String, width: Double, height: Double, formats: [String],
    dark: Bool = false, table: String? = nil
  ) -> String {
    let main = formats.contains("svg") ? "svg" : (formats.contains("png") ? "png" : nil)
    let cssWidth = Int((width * 96 / 72).rounded()), cssHeight = Int((height * 96 / 72).rounded())
    var html = "<figure class=\"skel-figure\" id=\"\(HTMLText.escape(label))\">\n"
    if let main {
      let l = HTMLText.escape(label)
      let img = "<img src=\"\(l).\(main)\" alt=\"\(HTMLText.escape(alt))\" width=\"\(cssWidth)\" height=\"\(cssHeight)\" loading=\"lazy\">"
      html += dark ? "<picture><source srcset=\"\(l).dark.\(main)\" media=\"(prefers-color-scheme: dark)\">\(img)</picture>\n" : img + "\n"
    }
    html += "<figcaption><span class=\"figure-number\">Figure \(number).</span> \(caption)</figcaption>\n"
    if let table { html += "<div class=\"figure-table\">\n\(table)</div>\n" }
    let links = (formats + ["json", "csv"]).map { "<a href=\"\(HTMLText.escape(label)).\($0)\">\($0.uppercased())</a>" }
    html += "<p class=\"figure-files\">\(links.joined(separator: " · "))</p>\n</figure>\n"
    return html
  }
}
