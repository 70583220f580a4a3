import Foundation

/// `build.html`: what the build did — each directive's kind, whether its result came from the
/// cache, its compute time, the slowest first — and the time of each step before the pages were
/// rendered. With `--reproducible` it lists the directives only (no times, no cache use), so the
/// page is the same whatever the cache held.
enum BuildPage {
  struct Row {
    var report: String
    var label: String
    var kind: String
    var cached: Bool
    var seconds: Double
  }

  static func html(rows: [Row], steps: [StepTiming], reproducible: Bool, generator: String) -> String {
    // With --reproducible the page must not depend on the cache or the clock: it lists the
    // directives in page order and says that the rest is not recorded.
    let sorted = reproducible ? rows : rows.sorted { ($0.seconds, $1.report, $1.label) > ($1.seconds, $0.report, $0.label) }
    let computed = rows.filter { !$0.cached }.count
    let plural = rows.count == 1 ? "" : "s"
    var body = "<h1>Build</h1>\n"
    body +=
      reproducible
      ? "<p>\(rows.count) directive\(plural). A reproducible build (<code>--reproducible</code>) records no times and no cache use, so that the same reports give the same bytes.</p>\n"
      : "<p>\(rows.count) directive\(plural): \(rows.count - computed) from the cache, \(computed) computed. Times are the compute time of each result (for a cached one, when it was computed).</p>\n"
    let heads = reproducible ? "<th>directive</th><th>kind</th>" : "<th>directive</th><th>kind</th><th>result</th><th>compute (s)</th>"
    body += "<div class=\"table-scroll\"><table>\n<thead><tr>\(heads)</tr></thead>\n<tbody>\n"
    for r in sorted {
      let name = HTMLText.escape(r.report) + "/" + HTMLText.escape(r.label)
      let link = "<a href=\"\(HTMLText.escape(r.report))/index.html#\(HTMLText.escape(r.label))\">\(name)</a>"
      let extra = reproducible ? "" : "<td>\(r.cached ? "cache" : "computed")</td><td>\(String(format: "%.3f", r.seconds))</td>"
      body += "<tr><td>\(link)</td><td>\(HTMLText.escape(r.kind))</td>\(extra)</tr>\n"
    }
    body += "</tbody>\n</table></div>\n"
    if !reproducible {
      body += "<h2>Steps</h2>\n<div class=\"table-scroll\"><table>\n<thead><tr><th>step</th><th>time (s)</th></tr></thead>\n<tbody>\n"
      for s in steps { body += "<tr><td>\(HTMLText.escape(s.step))</td><td>\(String(format: "%.3f", s.seconds))</td></tr>\n" }
      body += "</tbody>\n</table></div>\n"
    }
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
