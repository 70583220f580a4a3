// STUB — TO BE REPLACED AT MERGE by the `markup` branch's libxml2-based HTMLSafety (same name and
// signature: `HTMLSafety.violations(in: String) -> [String]`). Delete this file when that one lands.
// A minimal tag scanner, enough for the hostile corpus (Tests/SkelReportTests/Hostile) to compile
// and to flag live markup: script-like elements, event-handler attributes, and URL attributes whose
// scheme (after entity decoding and removing whitespace/control characters) is not http, https,
// mailto, a relative or fragment link (or a data:image/png|jpeg|gif|webp source).

public enum HTMLSafety {
  static let forbiddenElements: Set<String> = [
    "script", "iframe", "object", "embed", "frame", "frameset", "applet", "base", "noembed",
    "noframes", "plaintext", "xmp", "textarea", "foreignobject", "portal", "handler", "listener",
  ]
  static let urlAttributes: Set<String> = [
    "href", "src", "xlink:href", "action", "formaction", "poster", "data", "background", "lowsrc",
    "ping", "cite", "srcset", "codebase", "dynsrc", "longdesc", "usemap", "manifest",
  ]

  /// Human-readable descriptions of live markup in `html` (empty: nothing live was found).
  public static func violations(in html: String) -> [String] {
    var out: [String] = []
    let s = Array(html.unicodeScalars)
    var i = 0
    let n = s.count
    func lower(_ c: Unicode.Scalar) -> Character { Character(String(c).lowercased()) }
    while i < n {
      guard s[i] == "<" else { i += 1; continue }
      // comments, doctype, CDATA, processing instructions
      if i + 3 < n, s[i + 1] == "!", s[i + 2] == "-", s[i + 3] == "-" {
        var j = i + 4
        while j + 2 < n, !(s[j] == "-" && s[j + 1] == "-" && s[j + 2] == ">") { j += 1 }
        i = j + 3; continue
      }
      if i + 1 < n, s[i + 1] == "!" || s[i + 1] == "?" {
        var j = i + 1
        while j < n, s[j] != ">" { j += 1 }
        i = j + 1; continue
      }
      var j = i + 1
      if j < n, s[j] == "/" { j += 1 }
      var name = ""
      while j < n, s[j].properties.isAlphabetic || ("0"..."9").contains(s[j]) || s[j] == ":" || s[j] == "-" {
        name.append(lower(s[j])); j += 1
      }
      if name.isEmpty { i += 1; continue }
      let closing = s[i + 1] == "/"
      let local = name.split(separator: ":").last.map(String.init) ?? name
      if !closing, forbiddenElements.contains(local) { out.append("live <\(name)> element") }
      // attributes
      while j < n, s[j] != ">" {
        while j < n, s[j] == " " || s[j] == "\t" || s[j] == "\n" || s[j] == "\r" || s[j] == "/" || s[j] == "\u{0C}" { j += 1 }
        if j >= n || s[j] == ">" { break }
        var attr = ""
        while j < n, !(" \t\n\r/>=\u{0C}".unicodeScalars.contains(s[j])) { attr.append(lower(s[j])); j += 1 }
        while j < n, s[j] == " " || s[j] == "\t" || s[j] == "\n" || s[j] == "\r" { j += 1 }
        var value: String? = nil
        if j < n, s[j] == "=" {
          j += 1
          while j < n, s[j] == " " || s[j] == "\t" || s[j] == "\n" || s[j] == "\r" { j += 1 }
          var v = ""
          if j < n, s[j] == "\"" || s[j] == "'" {
            let q = s[j]; j += 1
            while j < n, s[j] != q { v.unicodeScalars.append(s[j]); j += 1 }
            j += 1
          } else {
            while j < n, !(" \t\n\r>".unicodeScalars.contains(s[j])) { v.unicodeScalars.append(s[j]); j += 1 }
          }
          value = v
        }
        if attr.isEmpty { j += 1; continue }
        if closing { continue }
        if attr.hasPrefix("on") && attr.count > 2 { out.append("event handler \(attr) on <\(name)>") }
        if let value {
          let decoded = decodeEntities(value)
          let compact = String(decoded.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }).lowercased()
          if urlAttributes.contains(attr) || attr.hasSuffix(":href") {
            let candidates = attr == "srcset" ? compact.split(separator: ",").map(String.init) : [compact]
            for url in candidates where !safeURL(url, imageSource: attr == "src" || attr.hasSuffix("href")) {
              out.append("unsafe URL \(attr)=\"\(value.prefix(60))\" on <\(name)>")
            }
          }
          if attr == "style", compact.contains("javascript:") || compact.contains("expression(") {
            out.append("script in style attribute on <\(name)>")
          }
          if local == "meta", attr == "http-equiv", compact == "refresh" { out.append("meta refresh") }
        }
      }
      i = j + 1
    }
    return out
  }

  static func safeURL(_ url: String, imageSource: Bool) -> Bool {
    guard let colon = url.firstIndex(of: ":") else { return true }
    let before = url[..<colon]
    if before.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) { return true }
    let scheme = String(before)
    // a scheme is [a-z][a-z0-9+.-]*; anything else before the colon (e.g. %-escapes) makes a relative link
    guard let f = scheme.unicodeScalars.first, ("a"..."z").contains(f),
      scheme.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+.-".unicodeScalars.contains($0) })
    else { return true }
    if ["http", "https", "mailto"].contains(scheme) { return true }
    if imageSource, scheme == "data" {
      let rest = url[url.index(after: colon)...]
      return ["image/png", "image/jpeg", "image/gif", "image/webp"].contains { rest.hasPrefix($0) }
    }
    return false
  }

  static func decodeEntities(_ s: String) -> String {
    guard s.contains("&") else { return s }
    let named: [String: String] = [
      "colon": ":", "tab": "\t", "newline": "\n", "amp": "&", "lt": "<", "gt": ">", "quot": "\"",
      "apos": "'", "sol": "/", "lpar": "(", "rpar": ")", "period": ".", "comma": ",", "nbsp": " ",
    ]
    var out = ""
    let c = Array(s)
    var i = 0
    while i < c.count {
      if c[i] == "&" {
        var j = i + 1
        var body = ""
        while j < c.count, j - i < 40, c[j] != ";", c[j].isLetter || c[j].isNumber || c[j] == "#" { body.append(c[j]); j += 1 }
        let hasSemi = j < c.count && c[j] == ";"
        var rep: String? = nil
        if body.hasPrefix("#x") || body.hasPrefix("#X") {
          if let v = UInt32(body.dropFirst(2), radix: 16), let u = Unicode.Scalar(v) { rep = String(Character(u)) }
        } else if body.hasPrefix("#") {
          if let v = UInt32(body.dropFirst()), let u = Unicode.Scalar(v) { rep = String(Character(u)) }
        } else if let r = named[body.lowercased()] { rep = r }
        if let rep { out += rep; i = hasSemi ? j + 1 : j; continue }
      }
      out.append(c[i]); i += 1
    }
    return out
  }
}
