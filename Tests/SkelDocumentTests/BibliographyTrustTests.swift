import SkelDocument
import Testing

@Suite struct BibliographyTrustTests {
  /// A second entry with the same key is an error at its key, naming the first entry's line.
  @Test func duplicateKeyIsAnError() {
    let text = "@article{daniely, title = {A}}\n\n  @book{daniely, title = {B}}\n"
    do {
      _ = try Bibliography(parsing: text)
      Issue.record("duplicate key accepted")
    } catch {
      #expect(error.line == 3 && error.column == 9, "\(error.line):\(error.column)")
      #expect(error.message == "duplicate citation key 'daniely': already defined on line 1")
    }
  }

  /// Only http(s) urls are kept; a DOI becomes https://doi.org/…; the rest is dropped with
  /// its field's position.
  @Test func linksAreFiltered() throws {
    let text = """
      @misc{ok, url = {https://example.org/p}}
      @misc{js, url = {  JaVaScRiPt:alert(1)}}
      @misc{data, url = {data:text/html,<script>alert(1)</script>}}
      @misc{doi, doi = {10.1000/182}}
      @misc{doiurl, doi = {https://doi.org/10.1000/183}}
      @misc{baddoi,
        doi = {javascript:alert(1)}}
      @misc{both, url = {ftp://x.org/a}, doi = {10.1/x}}
      """
    let bib = try Bibliography(parsing: text)
    func link(_ k: String) -> (String?, [Int]) {
      let l = bib.link(bib.entries[k]!)
      return (l.url, l.dropped.map(\.position.line))
    }
    #expect(link("ok").0 == "https://example.org/p" && link("ok").1 == [])
    #expect(link("js").0 == nil && link("js").1 == [2])
    #expect(link("data").0 == nil && link("data").1 == [3])
    #expect(link("doi").0 == "https://doi.org/10.1000/182")
    #expect(link("doiurl").0 == "https://doi.org/10.1000/183")
    #expect(link("baddoi").0 == nil && link("baddoi").1 == [7])
    #expect(link("both").0 == "https://doi.org/10.1/x" && link("both").1 == [8])
    #expect(bib.link(bib.entries["baddoi"]!).dropped.first?.position.column == 3)
    #expect(bib.formatted("js").url == nil)
  }

  /// Markdown trees: raw HTML becomes text unless trusted; bad links lose their URL either way.
  @Test func markdownTreeSanitizes() {
    let md =
      "<div class=\"x\">d</div>\n\nA <b onclick=\"x()\">b</b> [l](javascript:x) ![i](JAVASCRIPT:x) <javascript:x> [ok](https://a.org)\n"
    let safe = MarkdownTree(md)
    let html = safe.html()
    #expect(html.contains("&lt;div class=&quot;x&quot;&gt;d&lt;/div&gt;"))
    #expect(html.contains("&lt;b onclick=&quot;x()&quot;&gt;"))
    #expect(!html.contains("href=\"javascript") && !html.contains("src=\"JAVASCRIPT") && html.contains("javascript:x"))
    #expect(html.contains("<a href=\"https://a.org\">ok</a>"))
    #expect(safe.findings.count == 6, "\(safe.findings)")  // div, <b>, </b>, link, image, autolink
    let trusted = MarkdownTree(md, trustHTML: true)
    let t = trusted.html()
    #expect(t.contains("<div class=\"x\">d</div>") && t.contains("<b onclick"))
    #expect(!t.contains("href=\"javascript") && !t.contains("src=\"JAVASCRIPT"))
    #expect(trusted.findings.count == 3)
  }

  /// Trusted raw HTML keeps everything but its disallowed URL attributes.
  @Test func trustedHTMLLosesBadURLAttributes() {
    let cases: [(String, String, Int)] = [
      ("<a href=\"javascript:x\" class=a>t</a>", "<a class=a>t</a>", 1),
      ("<img SRC = 'JaVa&#x53;cript:x' alt=\"a\">", "<img alt=\"a\">", 1),
      ("<a href=https://a.org/x title='q'>", "<a href=https://a.org/x title='q'>", 0),
      ("<form action=javascript:x><button formaction=\"data:text/html,x\">b</button></form>", "<form><button>b</button></form>", 2),
      ("<img srcset=\"a.png 1x, javascript:x 2x\">", "<img>", 1),
      ("<!-- <a href=javascript:x> --><a href=\"#f\">", "<!-- <a href=javascript:x> --><a href=\"#f\">", 0),
      ("<svg><a xlink:href=\"vbscript:x\">v</a></svg>", "<svg><a>v</a></svg>", 1),
      ("<a href=\"java\tscript:x\"", "<a", 1),
    ]
    for (input, output, n) in cases {
      let (filtered, removed) = TrustedHTML.filterURLs(input)
      #expect(filtered == output, "\(input)")
      #expect(removed.count == n, "\(input): \(removed)")
    }
  }
}

@Suite struct BuiltHTMLTests {
  /// The build's own anchors and callout boxes are nodes of the page tree (written by the page
  /// renderer, never raw HTML in the parsed text), so they survive safe mode; the author's
  /// look-alikes with an extra attribute do not. (SkelBuild's PageAssemblyTests check the HTML.)
  @Test func builtHTMLIsKeptAuthorHTMLIsNot() {
    let body = "## Duals {#sec-duals}\n\n:::{note}\nInside **bold**.\n:::\nAfter.\n\n<a id=\"sec-duals\" onclick=\"x()\">y</a>\n"
    let p = MathProtection(body, path: "r.md")
    let tree = PageTree(p, trustHTML: false)
    #expect(tree.nodes == [.inline(.anchor(0)), .callout(0), .literal([])])
    let html = tree.html { node in
      switch node {
      case .inline(.anchor(let k)): NodeHTML("<a id=\"\(p.sections[k].label)\"></a>")
      case .callout: NodeHTML("<div class=\"callout\">", exit: "</div>")
      default: NodeHTML("")
      }
    }
    #expect(html.contains("<h2><a id=\"sec-duals\"></a>Duals</h2>"), "\(html)")
    #expect(html.contains("<div class=\"callout\">\n<p>Inside <strong>bold</strong>.</p>\n</div>\n<p>After.</p>"), "\(html)")
    #expect(html.contains("&lt;a id=&quot;sec-duals&quot; onclick=&quot;x()&quot;&gt;"))
    // the look-alike's open tag and its </a>: no tag of the author's is kept in safe mode now
    // (the build no longer lists tags of its own, such as </a>, that a sanitizer lets through)
    #expect(tree.findings.count == 2, "\(tree.findings)")
    let warnings = DocumentParser.markupWarnings(tree)
    #expect(warnings.map(\.location.description) == ["r.md:8:1", "r.md:8:34"], "\(warnings)")
  }
}
