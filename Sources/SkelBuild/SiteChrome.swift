import Foundation
import SkelDocument

/// The site's chrome, computed from the rendered pages: every h2–h6 of a body gets an `id`
/// (a labelled section's own label, else a slug of its text), the "On this page" contents
/// (h2 and h3), the reports in reading order for the sidebar and previous/next links, and the
/// search documents (one per page section, as plain text) that `assets/site.js` indexes with lunr.
enum SiteChrome {
  struct Heading: Equatable {
    var level: Int
    var id: String
    /// The heading's inner HTML with links unwrapped (contents entries are links themselves).
    var html: String
    var text: String
  }

  /// One section of a page for the search index.
  struct Section: Equatable, Encodable {
    /// Page-relative URL from the site root: `duals/index.html#sec-x`.
    var url: String
    var page: String
    var title: String
    /// The section's text, each formula as its reading (`TeXReading`): what a result shows.
    var text: String
    /// The TeX of its formulas, indexed but never shown (a query for `kappa` finds `κ`).
    var tex: String = ""
  }

  // MARK: - Headings

  /// `body` with an `id` on every heading (h2…h6) that has none, and its headings in order. A
  /// labelled heading (`## T {#sec-x}`, rendered with an empty `<a id="sec-x"></a>` first) takes
  /// its label as the id (the anchor goes); others get a unique slug of their text.
  static func identifyHeadings(_ body: String, macros: [String: String] = [:]) -> (html: String, headings: [Heading]) {
    guard let pattern = try? NSRegularExpression(pattern: "<h([2-6])>(.*?)</h\\1>", options: [.dotMatchesLineSeparators]) else {
      return (body, [])
    }
    var used = Set(existingIDs(body)), headings: [Heading] = [], out = "", last = body.startIndex
    for match in pattern.matches(in: body, range: NSRange(body.startIndex..., in: body)) {
      guard let whole = Range(match.range, in: body), let levelRange = Range(match.range(at: 1), in: body),
        let innerRange = Range(match.range(at: 2), in: body), let level = Int(body[levelRange])
      else { continue }
      var inner = String(body[innerRange])
      var id: String
      if let anchor = leadingAnchor(inner) {
        id = anchor.id
        inner = anchor.rest
      } else {
        id = unique(slug(plainText(inner, readsFormulas: false)), used: &used)
      }
      used.insert(id)
      out += body[last..<whole.lowerBound]
      out += "<h\(level) id=\"\(HTMLText.escape(id))\">\(inner)</h\(level)>"
      last = whole.upperBound
      headings.append(Heading(level: level, id: id, html: unwrapLinks(inner), text: plainText(inner, macros: macros)))
    }
    out += body[last...]
    return (out, headings)
  }

  /// `<a id="x"></a>` at the start of a heading's HTML: its id and the rest.
  static func leadingAnchor(_ inner: String) -> (id: String, rest: String)? {
    guard inner.hasPrefix("<a id=\""), let close = inner.range(of: "\"></a>") else { return nil }
    let id = String(inner[inner.index(inner.startIndex, offsetBy: 7)..<close.lowerBound])
    guard !id.isEmpty, !id.contains("\"") else { return nil }
    return (HTMLText.unescape(id), String(inner[close.upperBound...]))
  }

  /// Every `id="…"` already in the page (figures, equations, footnotes), so slugs avoid them.
  static func existingIDs(_ html: String) -> [String] {
    guard let pattern = try? NSRegularExpression(pattern: " id=\"([^\"]*)\"") else { return [] }
    return pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)).compactMap {
      Range($0.range(at: 1), in: html).map { HTMLText.unescape(String(html[$0])) }
    }
  }

  /// A lowercase ASCII slug (`Weights that are not Gaussian` → `weights-that-are-not-gaussian`),
  /// `section` when nothing is left.
  static func slug(_ text: String) -> String {
    var out = "", dash = false
    for scalar in text.lowercased().unicodeScalars {
      if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
        if dash, !out.isEmpty { out += "-" }
        out.unicodeScalars.append(scalar)
        dash = false
      } else {
        dash = true
      }
    }
    let trimmed = String(out.prefix(60))
    return trimmed.isEmpty ? "section" : (trimmed.first?.isNumber == true ? "s-" + trimmed : trimmed)
  }

  static func unique(_ base: String, used: inout Set<String>) -> String {
    var id = base, n = 2
    while used.contains(id) {
      id = "\(base)-\(n)"
      n += 1
    }
    return id
  }

  /// The HTML with its `<a …>`/`</a>` tags removed and their contents kept.
  static func unwrapLinks(_ html: String) -> String {
    html.replacingOccurrences(of: "<a\\b[^>]*>|</a>", with: "", options: .regularExpression)
  }

  /// KaTeX's MathML layer writes `<mtd width="50%">` around a `\\tag`, which HTML does not
  /// allow (the layer is for screen readers; the visible layout is KaTeX's HTML).
  static func cleanMathML(_ body: String) -> String {
    body.replacingOccurrences(of: "<mtd width=\"50%\">", with: "<mtd>")
  }

  // MARK: - Text

  /// The visible text of an HTML fragment, for search and contents: tags dropped, entities
  /// decoded, KaTeX's HTML layer skipped and each formula read from the TeX its MathML layer
  /// keeps as an annotation (`TeXReading`: `κ_v = σ̂_v`, not `\\kappa_v`), `<script>`/`<style>`
  /// skipped, spaces collapsed.
  /// `readsFormulas: false` keeps each formula's TeX instead (heading slugs stay ASCII words).
  static func plainText(_ html: String, macros: [String: String] = [:], readsFormulas: Bool = true) -> String {
    readText(html, macros: macros, readsFormulas: readsFormulas).text
  }

  /// `plainText`, and the TeX of the fragment's formulas in order (entities decoded).
  static func readText(_ html: String, macros: [String: String] = [:], readsFormulas: Bool = true) -> (text: String, tex: [String]) {
    var text = "", skipDepth = 0, depth = 0, i = html.startIndex
    var annotation: String?, formulas: [String] = []
    let voids: Set<String> = ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"]
    while i < html.endIndex {
      guard html[i] == "<", let end = html[i...].firstIndex(of: ">") else {
        if skipDepth == 0 {
          if annotation != nil { annotation?.append(html[i]) } else { text.append(html[i]) }
        }
        i = html.index(after: i)
        continue
      }
      let tag = html[html.index(after: i)..<end]
      i = html.index(after: end)
      if tag.hasPrefix("/") {
        if skipDepth > 0, depth == skipDepth { skipDepth = 0 }
        if let tex = annotation {
          // the formula's reading, escaped again: the whole text is unescaped once at the end
          let source = HTMLText.unescape(tex)
          formulas.append(source)
          text += " " + (readsFormulas ? HTMLText.escape(TeXReading.text(source, macros: macros)) : tex)
          annotation = nil
        }
        depth -= 1
        text += " "
        continue
      }
      let name = String(tag.prefix { $0.isLetter || $0.isNumber }).lowercased()
      if voids.contains(name) || tag.hasSuffix("/") || tag.hasPrefix("!") { continue }
      depth += 1
      // MathML presentation elements repeat the formula letter by letter: the TeX annotation stays.
      let mathML = name.count > 1 && name.hasPrefix("m") && !["main", "mark", "menu", "meta", "meter", "math"].contains(name)
      // (a figure's data links are no text to search: "SVG · PNG · JSON")
      let hidden =
        tag.contains("class=\"katex-html\"") || tag.contains("class=\"figure-files\"") || name == "script" || name == "style" || mathML
      if skipDepth == 0, hidden { skipDepth = depth }
      if skipDepth == 0, name == "annotation" { annotation = "" }
      if ["p", "li", "div", "td", "th", "br", "tr"].contains(name) { text += " " }
    }
    let decoded = HTMLText.unescape(text).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    // (a tag is a space: none before the punctuation after a formula or a link, none inside brackets)
    let tight = decoded.replacingOccurrences(of: " ([.,;:!?)\\]])", with: "$1", options: .regularExpression)
    return (tight.replacingOccurrences(of: "([(\\[]) ", with: "$1", options: .regularExpression), formulas)
  }

  // MARK: - Search documents

  /// A page's sections for the search index: the abstract (its HTML) and the text before the
  /// first h2 under the page's title, then one section per h2/h3 (its heading's id in the URL);
  /// formulas read with the report's `macros`.
  static func sections(
    body: String, headings: [Heading], page: String, title: String, href: String, abstract: String? = nil,
    macros: [String: String] = [:]
  ) -> [Section] {
    guard let pattern = try? NSRegularExpression(pattern: "<h[23] id=\"([^\"]*)\">") else { return [] }
    let matches = pattern.matches(in: body, range: NSRange(body.startIndex..., in: body))
    var out: [Section] = []
    var start = body.startIndex, current = (id: "", title: title, tex: [String]())
    func flush(upTo end: String.Index) {
      let html = (out.isEmpty && current.id.isEmpty ? (abstract.map { "<p>" + $0 + "</p>" } ?? "") : "") + body[start..<end]
      let (text, tex) = readText(html, macros: macros)
      if !text.isEmpty || !current.id.isEmpty {
        var section = Section(url: current.id.isEmpty ? href : href + "#" + current.id, page: title, title: current.title, text: text)
        section.tex = (current.tex + tex).joined(separator: " ")
        out.append(section)
      }
    }
    for match in matches {
      guard let whole = Range(match.range, in: body), let idRange = Range(match.range(at: 1), in: body) else { continue }
      flush(upTo: whole.lowerBound)
      let id = HTMLText.unescape(String(body[idRange]))
      let heading = headings.first { $0.id == id }
      current = (id, heading?.text ?? id, heading.map { readText($0.html, macros: macros).tex } ?? [])
      start =
        body.range(of: "</h", range: whole.upperBound..<body.endIndex).flatMap { close in
          body[close.upperBound...].firstIndex(of: ">").map { body.index(after: $0) }
        } ?? whole.upperBound  // the section's text starts after its heading
    }
    flush(upTo: body.endIndex)
    return out
  }

  /// `assets/search-index.js`: the documents as a script (a page opened from the disk cannot
  /// `fetch` a JSON file, but it can load a script).
  static func searchScript(_ sections: [Section]) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let json = (try? encoder.encode(sections)).flatMap { String(bytes: $0, encoding: .utf8) } ?? "[]"
    // `</script` cannot end the script from inside a JS string, but keep the file inert anyway.
    let safe = json.replacingOccurrences(of: "</", with: "<\\/")
    return Array("window.skelSearchDocuments = \(safe);\n".utf8)
  }

  // MARK: - Reading order

  /// Reports in reading order: front matter `order:` first (ascending), then by title, then by
  /// name; drafts left out.
  static func readingOrder(_ documents: [Document]) -> [Document] {
    documents.filter { !$0.frontMatter.draft }.sorted { a, b in
      let oa = a.frontMatter.order ?? Int.max, ob = b.frontMatter.order ?? Int.max
      if oa != ob { return oa < ob }
      if a.frontMatter.title != b.frontMatter.title { return a.frontMatter.title < b.frontMatter.title }
      return a.name < b.name
    }
  }
}

extension HTMLText {
  /// Decodes the entities cmark and `HTMLEscape` write (named and numeric).
  static func unescape(_ s: String) -> String {
    guard s.contains("&") else { return s }
    var out = "", i = s.startIndex
    let named = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "#39": "'"]
    while i < s.endIndex {
      if s[i] == "&", let semi = s[i...].prefix(12).firstIndex(of: ";") {
        let name = String(s[s.index(after: i)..<semi])
        if let v = named[name] {
          out += v
          i = s.index(after: semi)
          continue
        }
        if name.hasPrefix("#") {
          let digits = name.dropFirst()
          let code = digits.hasPrefix("x") || digits.hasPrefix("X") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits)
          if let code, let scalar = Unicode.Scalar(code) {
            out.unicodeScalars.append(scalar)
            i = s.index(after: semi)
            continue
          }
        }
      }
      out.append(s[i])
      i = s.index(after: i)
    }
    return out
  }
}

extension SiteChrome {
  /// Every `<table>` of a body that is not already in a scrolling box (Markdown tables) wrapped
  /// in one, so a wide table scrolls inside the page instead of the page scrolling.
  static func wrapTables(_ body: String) -> String {
    guard body.contains("<table") else { return body }
    var out = "", rest = Substring(body)
    while let start = rest.range(of: "<table") {
      let before = rest[..<start.lowerBound]
      out += before
      let wrapped = isInsideScroll(out)
      guard let end = rest.range(of: "</table>", range: start.lowerBound..<rest.endIndex) else {
        out += rest[start.lowerBound...]
        return out
      }
      let table = rest[start.lowerBound..<end.upperBound]
      if wrapped {
        out += table
      } else {
        out += "<div class=\"table-scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Table\">\n\(table)</div>"
      }
      rest = rest[end.upperBound...]
    }
    out += rest
    return out
  }

  /// True when the last opened scrolling box before the end of `html` is still open.
  static func isInsideScroll(_ html: String) -> Bool {
    guard let open = html.range(of: "table-scroll\"", options: .backwards) else { return false }
    return !html[open.upperBound...].contains("</div>")
  }
}
