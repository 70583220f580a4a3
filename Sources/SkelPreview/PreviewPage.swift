import Foundation

/// What the preview adds to a page as it serves it (the built files are never changed, so the
/// published `_site` holds none of it): a script that reloads the page on `event: reload`, and
/// when the last rebuild failed, an overlay with its diagnostics over the last good page.
public enum PreviewPage {
  /// The marker of the injected script (tests look for it, and for its absence in `_site`).
  public static let marker = "skelreport-preview"

  /// The script: listens to `/__skelreport/events` and reloads on every rebuild.
  public static let script = """
    <script id="\(marker)">(function(){var s=new EventSource("/__skelreport/events");\
    s.addEventListener("reload",function(){s.close();location.reload();});})();</script>
    """

  /// The overlay of a failed rebuild: the diagnostics as the terminal printed them.
  public static func overlay(_ error: String) -> String {
    """
    <div id="skelreport-preview-error" role="alert" style="position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;\
    z-index:2147483647;margin:0;padding:1em 1.5em;background:#2b0d0d;color:#ffd7d7;border-top:4px solid #e5484d;\
    font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;box-shadow:0 -4px 24px rgba(0,0,0,.4)">\
    <strong style="color:#fff">skelreport preview: the last save did not build; this is the last good page</strong>\
    <pre style="white-space:pre-wrap;margin:.6em 0 0">\(escape(error))</pre></div>
    """
  }

  /// `html` with the script (and the overlay) before `</body>`, or at the end when there is none.
  public static func inject(into html: String, error: String?) -> String {
    let added = (error.map(overlay) ?? "") + script
    guard let end = html.range(of: "</body>", options: .backwards) else { return html + added }
    return html.replacingCharacters(in: end.lowerBound..<end.lowerBound, with: added)
  }

  /// The page shown when no build has succeeded yet: the overlay alone.
  public static func noSite(error: String?) -> String {
    let body = error.map(overlay) ?? "<p>Building…</p>"
    return
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>skelreport preview</title></head><body>\(body)\(script)</body></html>"
  }

  static func escape(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      default: out.append(c)
      }
    }
    return out
  }
}
