import CCmarkGFM
import Foundation

/// A fenced code block as cmark found it.
public struct CodeBlock: Sendable, Hashable {
  public var info: String
  public var literal: String
  /// Line and column of the opening fence in the parsed text.
  public var line: Int
  public var column: Int
}

/// Something the safe rendering changed in the author's Markdown, at its position in the
/// parsed text (map the line through `MathProtection.lineMap` for the file's line).
public struct MarkupFinding: Sendable, Hashable {
  public var line: Int
  public var column: Int
  public var length: Int
  public var message: String
}

/// The URL allowlist of the trust model (README "Trust model"): http, https, mailto, relative
/// paths and fragments. A URL is judged as a browser reads it: entities decoded, ASCII
/// whitespace and control characters removed, case folded, then its scheme (letters, digits,
/// `+ - .` before the first `:`, with no `/ ? #` before it) looked up.
public enum URLPolicy {
  public static let markdownSchemes: Set<String> = ["http", "https", "mailto"]
  public static let bibliographySchemes: Set<String> = ["http", "https"]

  /// The scheme a browser would see, lowercased, or nil for a relative URL or fragment.
  public static func scheme(_ url: String) -> String? {
    let decoded = HTMLEntities.decode(url)
    let cleaned = String(
      String.UnicodeScalarView(
        decoded.unicodeScalars.filter {
          $0.value > 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) && $0 != "\u{00A0}" && $0 != "\u{FEFF}"
            && $0 != "\u{200B}"
        })
    )
    .lowercased()
    guard let colon = cleaned.firstIndex(of: ":") else { return nil }
    let head = cleaned[..<colon]
    if head.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { return nil }
    guard let first = head.first, first.isASCII, first.isLetter,
      head.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") })
    else {
      // Not a valid scheme: a browser treats it as a relative path, unless it is something
      // odd we refuse to guess about (non-ASCII before the colon).
      return head.allSatisfy(\.isASCII) ? nil : String(head)
    }
    return String(head)
  }

  /// Whether a link or image URL in a report may be published.
  public static func allowsMarkdown(_ url: String) -> Bool { scheme(url).map(markdownSchemes.contains) ?? true }

  /// Whether a BibTeX `url` may be published: absolute http or https only.
  public static func allowsBibliography(_ url: String) -> Bool { scheme(url).map(bibliographySchemes.contains) ?? false }
}

/// HTML character references (`&#x61;`, `&#97;`, `&colon;`…) decoded as a browser would in an
/// attribute value. Named references: the ones that spell URL punctuation, plus the common ones.
public enum HTMLEntities {
  static let named: [String: String] = [
    "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "colon": ":", "sol": "/", "tab": "\t",
    "newline": "\n", "nbsp": "\u{00A0}", "lpar": "(", "rpar": ")", "period": ".", "comma": ",", "num": "#",
    "quest": "?", "equals": "=", "semi": ";", "excl": "!", "percnt": "%", "plus": "+", "bsol": "\\",
  ]

  public static func decode(_ s: String) -> String {
    guard s.contains("&") else { return s }
    var out = ""
    let c = Array(s)
    var i = 0
    while i < c.count {
      guard c[i] == "&" else {
        out.append(c[i])
        i += 1
        continue
      }
      var j = i + 1
      if j < c.count, c[j] == "#" {
        j += 1
        let hex = j < c.count && (c[j] == "x" || c[j] == "X")
        if hex { j += 1 }
        var digits = ""
        while j < c.count, digits.count < 10, hex ? c[j].isHexDigit : c[j].isASCII && c[j].isNumber {
          digits.append(c[j])
          j += 1
        }
        if !digits.isEmpty, let v = UInt32(digits, radix: hex ? 16 : 10) {
          out.unicodeScalars.append(Unicode.Scalar(v) ?? "\u{FFFD}")
          i = j < c.count && c[j] == ";" ? j + 1 : j
          continue
        }
      } else {
        var name = ""
        while j < c.count, name.count < 10, c[j].isASCII, c[j].isLetter {
          name.append(c[j])
          j += 1
        }
        if let v = named[name.lowercased()] {
          out += v
          i = j < c.count && c[j] == ";" ? j + 1 : j
          continue
        }
      }
      out.append("&")
      i += 1
    }
    return out
  }
}

/// cmark-gfm, wrapped: parse with the GFM extensions (tables, strikethrough, autolinks, task
/// lists, footnotes), sanitize, list the fenced code blocks, render HTML. `PageTree` builds
/// the page's tree on it.
/// The C tree lives in this final class and is freed in `deinit`.
///
/// Trust model (README "Trust model"): unless `trustHTML`, the author's raw HTML (blocks and
/// inline) becomes text, so it is shown escaped; always, every link and image whose URL fails
/// `URLPolicy.allowsMarkdown` loses its URL (a link keeps its text, an image its alt text).
/// Both are done on the tree right after parsing and listed in `findings`. The build's own
/// HTML (figures, tables, highlighted code, math, callout boxes) enters later, through the
/// custom nodes of `PageTree`, after the check.
public final class MarkdownTree {
  private let parser: OpaquePointer
  private let root: OpaquePointer
  static let options = CMARK_OPT_DEFAULT | CMARK_OPT_FOOTNOTES | CMARK_OPT_UNSAFE | CMARK_OPT_SMART
  /// What the safe rendering changed, in document order.
  public private(set) var findings: [MarkupFinding] = []

  /// Every raw HTML node in `text` is the author's: the build writes none into the text it
  /// parses (its own HTML is written by the page renderer into the nodes of `PageTree`).
  public init(_ text: String, trustHTML: Bool = false) {
    cmark_gfm_core_extensions_ensure_registered()
    let p = Self.allocated(cmark_parser_new(Self.options), "a parser")
    for name in ["table", "strikethrough", "autolink", "tasklist"] {
      if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(p, ext) }
    }
    let bytes = Array(text.utf8CString)
    bytes.withUnsafeBufferPointer { cmark_parser_feed(p, $0.baseAddress, $0.count - 1) }
    parser = p
    root = cmark_parser_finish(p)
    sanitize(trustHTML: trustHTML)
  }

  /// cmark-gfm returns no parser or node only when malloc fails: out of memory, as for any Swift
  /// allocation, not something a report can cause.
  static func allocated(_ pointer: OpaquePointer?, _ what: String) -> OpaquePointer {
    guard let pointer else { fatalError("cmark-gfm could not allocate \(what): out of memory") }
    return pointer
  }

  deinit {
    cmark_node_free(root)
    cmark_parser_free(parser)
  }

  /// Nodes of the tree in document order (collected first: the walk then edits freely).
  func allNodes() -> [OpaquePointer] { subtree(root) }

  /// `node` and the nodes under it, in document order.
  func subtree(_ node: OpaquePointer) -> [OpaquePointer] {
    var nodes: [OpaquePointer] = []
    let iter = cmark_iter_new(node)
    defer { cmark_iter_free(iter) }
    while true {
      let ev = cmark_iter_next(iter)
      if ev == CMARK_EVENT_DONE { break }
      if ev == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iter) { nodes.append(node) }
    }
    return nodes
  }

  /// The node's start position, or its nearest positioned ancestor's (inline nodes made by
  /// extensions may have none).
  private func position(_ node: OpaquePointer) -> (line: Int, column: Int) {
    var n: OpaquePointer? = node
    while let m = n {
      let line = Int(cmark_node_get_start_line(m))
      if line > 0 { return (line, max(1, Int(cmark_node_get_start_column(m)))) }
      n = cmark_node_parent(m)
    }
    return (1, 1)
  }

  private func sanitize(trustHTML: Bool) {
    for node in allNodes() {
      let type = cmark_node_get_type(node)
      switch type {
      case CMARK_NODE_HTML_BLOCK, CMARK_NODE_HTML_INLINE: sanitizeHTML(node, type: type, trustHTML: trustHTML)
      case CMARK_NODE_LINK, CMARK_NODE_IMAGE: sanitizeLink(node, type: type)
      default: continue
      }
    }
  }

  /// Raw HTML: trusted, its URL attributes filtered; otherwise shown as text.
  private func sanitizeHTML(_ node: OpaquePointer, type: cmark_node_type, trustHTML: Bool) {
    let literal = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
    let shown = literal.trimmingCharacters(in: .whitespacesAndNewlines)
    if trustHTML {
      // Trusted HTML is published, but its URL attributes obey the same allowlist.
      let (filtered, removed) = TrustedHTML.filterURLs(literal)
      if !removed.isEmpty {
        cmark_node_set_literal(node, filtered)
        let at = position(node)
        for r in removed {
          findings.append(
            MarkupFinding(
              line: at.line, column: at.column, length: 1,
              message:
                "raw HTML attribute \(r) removed: link schemes are filtered even in trusted HTML (allowed: http, https, mailto, relative paths and #fragments)"
            ))
        }
      }
      return
    }
    let at = position(node)
    findings.append(
      MarkupFinding(
        line: at.line, column: at.column, length: shown.prefix(while: { $0 != "\n" }).count,
        message:
          "raw HTML '\(shown.count > 40 ? String(shown.prefix(40)) + "…" : shown)' is shown as text (reports are rendered safe); set 'trust: html' in the front matter or build with --allow-html to let it through"
      ))
    let text = Self.allocated(cmark_node_new(CMARK_NODE_TEXT), "a text node")
    cmark_node_set_literal(text, literal)
    var replacement = text
    if type == CMARK_NODE_HTML_BLOCK {
      replacement = Self.allocated(cmark_node_new(CMARK_NODE_PARAGRAPH), "a paragraph node")
      cmark_node_append_child(replacement, text)
    }
    if cmark_node_replace(node, replacement) == 0 {
      cmark_node_free(replacement)  // not allowed here: drop the HTML instead
      cmark_node_unlink(node)
    }
    cmark_node_free(node)
  }

  /// A link or image with a refused URL scheme: its text (or alt text) kept, the node removed.
  private func sanitizeLink(_ node: OpaquePointer, type: cmark_node_type) {
    let url = cmark_node_get_url(node).map { String(cString: $0) } ?? ""
    guard !URLPolicy.allowsMarkdown(url) else { return }
    let at = position(node)
    let what = type == CMARK_NODE_LINK ? "link" : "image"
    let scheme = URLPolicy.scheme(url) ?? ""
    findings.append(
      MarkupFinding(
        line: at.line, column: at.column, length: 1,
        message:
          "\(what) with URL scheme '\(scheme):' removed (allowed: http, https, mailto, relative paths and #fragments); its text is kept"
      ))
    // Keep the children (the link text, or the image's alt text) in place of the node.
    while let child = cmark_node_first_child(node) {
      cmark_node_unlink(child)
      cmark_node_insert_before(node, child)
    }
    cmark_node_unlink(node)
    cmark_node_free(node)
  }

  static func isFenced(_ node: OpaquePointer) -> Bool {
    var length: Int32 = 0, offset: Int32 = 0
    var fenceChar: CChar = 0
    return cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK && cmark_node_get_fenced(node, &length, &offset, &fenceChar) != 0
  }

  static func literal(_ node: OpaquePointer) -> String { cmark_node_get_literal(node).map { String(cString: $0) } ?? "" }

  /// A link's or image's URL and title.
  static func attributes(_ node: OpaquePointer) -> String {
    (cmark_node_get_url(node).map { String(cString: $0) } ?? "") + (cmark_node_get_title(node).map { String(cString: $0) } ?? "")
  }

  static func codeBlock(_ node: OpaquePointer) -> CodeBlock {
    CodeBlock(
      info: cmark_node_get_fence_info(node).map { String(cString: $0) } ?? "", literal: literal(node),
      line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
  }

  /// HTML of the whole tree (or of the subtree at `node`).
  func renderHTML(_ node: OpaquePointer? = nil) -> String {
    guard let out = cmark_render_html(node ?? root, Self.options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
    defer { free(out) }
    return String(cString: out)
  }

  /// HTML of the whole tree.
  public func html() -> String { renderHTML() }
}

/// URL attributes in trusted raw HTML: each tag's `href`, `src`, `action`, `formaction`,
/// `xlink:href`, `srcset`, `poster`, `data`, `background`, `cite` whose value fails
/// `URLPolicy.allowsMarkdown` is removed (the rest of the tag is kept as written).
public enum TrustedHTML {
  static let urlAttributes: Set<String> = [
    "href", "src", "action", "formaction", "xlink:href", "srcset", "poster", "data", "background", "cite", "codebase", "lowsrc", "dynsrc",
  ]

  /// The HTML with disallowed URL attributes removed, and `name 'scheme:'` for each removed.
  public static func filterURLs(_ html: String) -> (String, [String]) {
    let c = Array(html)
    var out = "", removed: [String] = []
    var i = 0
    while i < c.count {
      if c[i] == "<", i + 3 < c.count, c[i + 1] == "!", c[i + 2] == "-", c[i + 3] == "-" {  // comment: copied as is
        var j = i + 4
        while j < c.count, !(c[j] == ">" && c[j - 1] == "-" && c[j - 2] == "-") { j += 1 }
        j = min(j + 1, c.count)
        out += String(c[i..<j])
        i = j
        continue
      }
      guard c[i] == "<", i + 1 < c.count, c[i + 1].isLetter else {
        out.append(c[i])
        i += 1
        continue
      }
      var j = i + 1
      while j < c.count, !isSpace(c[j]), c[j] != ">", c[j] != "/" { j += 1 }
      out += String(c[i..<j])
      j = filterAttributes(c, from: j, into: &out, removed: &removed)
      if j < c.count {
        out.append(">")
        j += 1
      }
      i = j
    }
    return (out, removed)
  }

  static func isSpace(_ ch: Character) -> Bool { ch == " " || ch == "\t" || ch == "\n" || ch == "\r" || ch == "\u{0C}" }

  /// The attributes of one tag from `j` to its `>`: copied, except URL attributes whose scheme
  /// the policy refuses (named in `removed`). Returns the index of the `>` (or the end).
  static func filterAttributes(_ c: [Character], from start0: Int, into out: inout String, removed: inout [String]) -> Int {
    var j = start0
    while j < c.count, c[j] != ">" {
      let start = j
      while j < c.count, isSpace(c[j]) || c[j] == "/" { j += 1 }
      let nameStart = j
      while j < c.count, !isSpace(c[j]), c[j] != "=", c[j] != ">", c[j] != "/" || j == nameStart { j += 1 }
      let name = String(c[nameStart..<j]).lowercased()
      var value = ""
      if let (v, end) = attributeValue(c, after: j) { (value, j) = (v, end) }
      if j == start { j += 1 }  // no progress: copy one character
      let urls =
        name == "srcset"
        ? value.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") } : [value]
      if urlAttributes.contains(name) || name.hasSuffix(":href"), let bad = urls.first(where: { !URLPolicy.allowsMarkdown($0) }) {
        removed.append("\(name) with scheme '\(URLPolicy.scheme(bad) ?? ""):'")
      } else {
        out += String(c[start..<min(j, c.count)])
      }
    }
    return j
  }

  /// `= value` (quoted or not) after an attribute name ending at `j`: the value and the index
  /// after it, or `nil` for an attribute without a value.
  static func attributeValue(_ c: [Character], after j: Int) -> (String, Int)? {
    var k = j
    while k < c.count, isSpace(c[k]) { k += 1 }
    guard k < c.count, c[k] == "=" else { return nil }
    k += 1
    while k < c.count, isSpace(c[k]) { k += 1 }
    if k < c.count, c[k] == "\"" || c[k] == "'" {
      let q = c[k]
      var e = k + 1
      while e < c.count, c[e] != q { e += 1 }
      return (String(c[min(k + 1, c.count)..<e]), min(e + 1, c.count))
    }
    var e = k
    while e < c.count, !isSpace(c[e]), c[e] != ">" { e += 1 }
    return (String(c[k..<e]), e)
  }
}
