import Foundation

/// `build.html`: what the build did — each directive's kind, whether its result came from the
/// cache, its compute time, the slowest first — and the time of each step before the pages were
/// rendered. With `--reproducible` every time is written as 0, so the page stays byte-identical.
enum BuildPage {
  struct Row {
    var report: String
    var label: String
    var kind: String
    var cached: Bool
    var seconds: Double
  }

  static func html(rows: [Row], steps: [StepTiming], reproducible: Bool, generator: String) -> String {
    func time(_ s: Double) -> String { reproducible ? "0" : String(format: "%.3f", s) }
    // slowest first; with --reproducible (times written as 0) in page order, so the bytes repeat
    let sorted = reproducible ? rows : rows.sorted { ($0.seconds, $1.report, $1.label) > ($1.seconds, $0.report, $0.label) }
    let computed = rows.filter { !$0.cached }.count
    var body = "<h1>Build</h1>\n<p>\(rows.count) directive\(rows.count == 1 ? "" : "s"): \(rows.count - computed) from the cache, "
    body += "\(computed) computed. Times are the compute time of each result (for a cached one, when it was computed).</p>\n"
    body +=
      "<div class=\"table-scroll\"><table>\n<thead><tr><th>directive</th><th>kind</th><th>result</th><th>compute (s)</th></tr></thead>\n<tbody>\n"
    for r in sorted {
      let link =
        "<a href=\"\(HTMLText.escape(r.report))/index.html#\(HTMLText.escape(r.label))\">\(HTMLText.escape(r.report))/\(HTMLText.escape(r.label))</a>"
      body +=
        "<tr><td>\(link)</td><td>\(HTMLText.escape(r.kind))</td><td>\(r.cached ? "cache" : "computed")</td><td>\(time(r.seconds))</td></tr>\n"
    }
    body +=
      "</tbody>\n</table></div>\n<h2>Steps</h2>\n<div class=\"table-scroll\"><table>\n<thead><tr><th>step</th><th>time (s)</th></tr></thead>\n<tbody>\n"
    for s in steps { body += "<tr><td>\(HTMLText.escape(s.step))</td><td>\(time(s.seconds))</td></tr>\n" }
    body += "</tbody>\n</table></div>\n"
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <meta name="generator" content="\(HTMLText.escape(generator))">
      <link rel="stylesheet" href="assets/style.css">
      <title>Build</title>
      </head>
      <body>
      <nav class="site-nav"><a href="index.html">← All reports</a></nav>
      <main class="report">
      \(body)</main>
      </body>
      </html>

      """
  }
}
