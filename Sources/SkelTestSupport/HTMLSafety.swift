import CLibXML2
import Foundation

/// Checks built HTML or SVG for live injected markup by PARSING it (libxml2), never by
/// substring: an element that runs or loads code (`script`, `iframe`, `object`, `embed`,
/// `style`, `base`, `form`, `meta`, `link`; `meta`, `link`, `style` and `script` are allowed only as
/// children of `<head>`, where the page template puts them, and `form` only as the site header's
/// search), an event-handler attribute
/// (`on…`), a URL attribute (`href`, `src`, `xlink:href`, `action`, `formaction`, `srcset`,
/// `poster`, `background`, `data`, `cite`) whose scheme — after entity decoding (libxml2),
/// removing whitespace and control characters and case folding — is not http, https or
/// mailto (relative URLs and fragments are fine), and a `style` attribute with `url(`
/// `javascript:` or `expression(`. The trust model is README "Trust model".
public enum HTMLSafety {
  static let forbidden: Set<String> = [
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "style", "base", "form", "meta", "link",
  ]
  static let headOnly: Set<String> = ["meta", "link", "style", "title"]
  static let urlAttributes: Set<String> = [
    "href", "src", "xlink:href", "action", "formaction", "srcset", "poster", "background", "data", "cite", "codebase", "dynsrc", "lowsrc",
  ]
  static let allowedSchemes: Set<String> = ["http", "https", "mailto"]

  /// One line per violation (element path and what is wrong); empty means safe.
  public static func violations(in html: String) -> [String] {
    let trimmed = html.drop(while: { $0.isWhitespace })
    let isXML = trimmed.hasPrefix("<?xml") || trimmed.hasPrefix("<svg")
    let bytes = Array(html.utf8)
    guard !bytes.isEmpty else { return [] }
    let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buf in
      buf.baseAddress?.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
        if isXML {
          let opts = Int32(
            XML_PARSE_RECOVER.rawValue | XML_PARSE_HUGE.rawValue | XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue
              | XML_PARSE_NOWARNING.rawValue)
          return xmlReadMemory(p, Int32(buf.count), "input.svg", "UTF-8", opts)
        }
        let opts = Int32(
          HTML_PARSE_RECOVER.rawValue | XML_PARSE_HUGE.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue)
        return htmlReadMemory(p, Int32(buf.count), "input.html", "UTF-8", opts)
      }
    }
    guard let doc else { return ["the document could not be parsed at all"] }
    defer { xmlFreeDoc(doc) }
    var out: [String] = []
    var node = xmlDocGetRootElement(doc)
    walk(&node, path: "", out: &out)
    return out
  }

  /// The attributes of every element named `name` (lowercased names), as parsed: for tests
  /// that something trusted did get through.
  public static func elements(_ name: String, in html: String) -> [[String: String]] {
    let bytes = Array(html.utf8)
    guard !bytes.isEmpty else { return [] }
    let doc: xmlDocPtr? = bytes.withUnsafeBufferPointer { buf in
      buf.baseAddress?.withMemoryRebound(to: CChar.self, capacity: buf.count) { p in
        let opts = Int32(
          HTML_PARSE_RECOVER.rawValue | XML_PARSE_HUGE.rawValue | HTML_PARSE_NONET.rawValue | HTML_PARSE_NOERROR.rawValue
            | HTML_PARSE_NOWARNING.rawValue)
        return htmlReadMemory(p, Int32(buf.count), "input.html", "UTF-8", opts)
      }
    }
    guard let doc else { return [] }
    defer { xmlFreeDoc(doc) }
    var found: [[String: String]] = []
    var stack: [xmlNodePtr] = []
    if let r = xmlDocGetRootElement(doc) { stack.append(r) }
    while let node = stack.popLast() {
      guard node.pointee.type == XML_ELEMENT_NODE else { continue }
      if self.name(node).lowercased() == name {
        var attrs: [String: String] = [:]
        var a = node.pointee.properties
        while let attr = a {
          let an = attr.pointee.name.map { String(cString: $0) } ?? ""
          if let v = xmlNodeListGetString(node.pointee.doc, attr.pointee.children, 1) {
            attrs[an.lowercased()] = String(cString: v)
            skel_xml_free(v)
          } else {
            attrs[an.lowercased()] = ""
          }
          a = attr.pointee.next
        }
        found.append(attrs)
      }
      var children: [xmlNodePtr] = []
      var child = node.pointee.children
      while let c = child {
        children.append(c)
        child = c.pointee.next
      }
      stack += children.reversed()
    }
    return found
  }

  static func name(_ n: xmlNodePtr) -> String {
    let local = n.pointee.name.map { String(cString: $0) } ?? ""
    if let ns = n.pointee.ns, let prefix = ns.pointee.prefix { return String(cString: prefix) + ":" + local }
    return local
  }

  /// Every element, depth first, without recursion (hostile input nests deeply); `path` keeps
  /// the last few element names for the message.
  /// One attribute: event handlers, URL schemes (raster data images on image elements pass) and
  /// styles that load code.
  static func checkAttribute(_ attr: xmlAttrPtr, of node: xmlNodePtr, element: String, here: String, out: inout [String]) {
    var an = attr.pointee.name.map { String(cString: $0) } ?? ""
    if let ns = attr.pointee.ns, let prefix = ns.pointee.prefix { an = String(cString: prefix) + ":" + an }
    an = an.lowercased()
    let value: String = {
      guard let v = xmlNodeListGetString(node.pointee.doc, attr.pointee.children, 1) else { return "" }
      defer { skel_xml_free(v) }
      return String(cString: v)
    }()
    let bare = an.split(separator: ":").last.map(String.init) ?? an
    if bare.hasPrefix("on") { out.append("\(here): event-handler attribute \(an)=\"\(value)\"") }
    if urlAttributes.contains(an) || bare == "href" {
      let urls =
        an == "srcset"
        ? value.split(separator: ",").map { String($0.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        : [value]
      for u in urls {
        // Raster images inlined as data (cairo's SVG heat maps: <image xlink:href="data:image/png;…">)
        // run no code; SVG or HTML as data would, so only PNG/JPEG/GIF/WebP on image elements pass.
        if element == "image" || element == "img",
          let s = scheme(u), s == "data",
          ["data:image/png", "data:image/jpeg", "data:image/gif", "data:image/webp"].contains(where: {
            u.lowercased().trimmingCharacters(in: .whitespaces).hasPrefix($0)
          })
        {
          continue
        }
        if let s = scheme(u), !allowedSchemes.contains(s) { out.append("\(here): \(an)=\"\(value)\" has scheme '\(s):'") }
      }
    }
    if an == "style" {
      let folded = squeeze(value)
      if folded.contains("javascript:") || folded.contains("expression(")
        || folded.contains("url(") && (folded.contains("data:") || folded.contains("script:"))
      {
        out.append("\(here): style=\"\(value)\" loads code")
      }
    }
  }

  static func walk(_ start: inout xmlNodePtr?, path: String, out: inout [String]) {
    var stack: [(xmlNodePtr, [String])] = []
    var n = start
    while let node = n {
      stack.append((node, []))
      n = node.pointee.next
    }
    stack.reverse()
    while let (node, ancestors) = stack.popLast() {
      guard node.pointee.type == XML_ELEMENT_NODE else { continue }
      let element = name(node).lowercased()
      let local = element.split(separator: ":").last.map(String.init) ?? element
      let trail = Array((ancestors + [element]).suffix(6))
      let here = (ancestors.count + 1 > 6 ? "…/" : "/") + trail.joined(separator: "/")
      let parent = node.pointee.parent.flatMap { $0.pointee.type == XML_ELEMENT_NODE ? name($0).lowercased() : nil }
      // The page template's own chrome: its scripts in <head> (the theme's inline script and the
      // site's files under assets/) and the search form in the site header; a report's HTML goes
      // into <article> and reaches neither place.
      let chrome = (local == "script" && parent == "head") || (local == "form" && ancestors == ["html", "body", "header"])
      if forbidden.contains(local), !(headOnly.contains(local) && parent == "head"), !chrome {
        out.append("\(here): element <\(element)> is not allowed")
      }
      var a = node.pointee.properties
      while let attr = a {
        checkAttribute(attr, of: node, element: element, here: here, out: &out)
        a = attr.pointee.next
      }
      var children: [(xmlNodePtr, [String])] = []
      var child = node.pointee.children
      let below = Array((ancestors + [element]).suffix(6))
      while let c = child {
        children.append((c, below))
        child = c.pointee.next
      }
      stack += children.reversed()
    }
  }

  /// HTML5 named references libxml2 (HTML 4) leaves as text but a browser decodes in URLs.
  static let html5Entities = [
    "&colon;": ":", "&tab;": "\t", "&newline;": "\n", "&sol;": "/", "&lpar;": "(", "&rpar;": ")", "&period;": ".", "&num;": "#",
  ]

  /// The value as a browser reads it: HTML5-only references decoded, ASCII whitespace and
  /// control characters removed, lowercased.
  static func squeeze(_ s: String) -> String {
    var v = s
    for (k, r) in html5Entities {
      v = v.replacingOccurrences(of: k, with: r, options: .caseInsensitive)
      v = v.replacingOccurrences(of: String(k.dropLast()), with: r, options: .caseInsensitive)
    }
    return String(
      String.UnicodeScalarView(v.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F && !(0x80...0x9F).contains($0.value) })
    ).lowercased()
  }

  /// The scheme a browser would see (nil: relative URL or fragment).
  static func scheme(_ url: String) -> String? {
    let s = squeeze(url)
    guard let colon = s.firstIndex(of: ":") else { return nil }
    let head = s[..<colon]
    if head.contains(where: { "/?#".contains($0) }) { return nil }
    return String(head)
  }
}
