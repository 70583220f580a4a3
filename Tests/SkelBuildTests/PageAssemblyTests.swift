import SkelDocument
import SkelExperiments
import Testing

@testable import SkelBuild

/// The page renderer writes the build's HTML into the page tree's nodes.
@Suite struct PageAssemblyTests {
  func assembly(values: [String] = []) -> PageAssembly {
    PageAssembly(math: { "<M>\($0.tex)</M>" }, links: ReportLinks(), values: values)
  }

  /// The build's own anchors and callout boxes survive safe mode; the author's look-alikes
  /// with an extra attribute do not.
  @Test func builtHTMLIsKeptAuthorHTMLIsNot() {
    let body = "## Duals {#sec-duals}\n\n:::{note}\nInside **bold**.\n:::\nAfter.\n\n<a id=\"sec-duals\" onclick=\"x()\">y</a>\n"
    let html = assembly().html(PageTree(MathProtection(body, path: "r.md"), trustHTML: false))
    #expect(html.contains("<h2><a id=\"sec-duals\"></a>Duals</h2>"), "\(html)")
    #expect(html.contains("<div class=\"callout callout-note\"><p class=\"callout-title\">Note</p>"))
    #expect(html.contains("<strong>bold</strong>") && html.contains("</div>\n<p>After.</p>"), "\(html)")
    #expect(html.contains("&lt;a id=&quot;sec-duals&quot; onclick=&quot;x()&quot;&gt;"))
  }

  /// Input → HTML for each node the renderer writes.
  @Test func nodes() {
    let table: [(String, String)] = [
      ("a $x$ b\n", "<p>a <M>x</M> b</p>\n"),
      ("$$x$$\n", "<M>x</M>\n"),
      ("v {val}`f.g`\n", "<p>v <span class=\"value\">1 &lt; 2</span></p>\n"),
      ("see @fig-x\n", "<p>see @fig-x</p>\n"),
      (
        ":::{warning} Be <careful>\nx\n:::\n",
        "<div class=\"callout callout-warning\"><p class=\"callout-title\">Be &lt;careful&gt;</p>\n<p>x</p>\n</div>\n"
      ),
      (
        "```swift\nlet a = 1\n```\n",
        "<pre><code class=\"language-swift\">" + SyntaxHighlighter.html("let a = 1\n", language: "swift") + "</code></pre>\n"
      ),
    ]
    for (input, html) in table {
      let tree = PageTree(MathProtection(input, path: "p.md"), trustHTML: false, source: SourceFile(path: "p.md", text: input))
      #expect(assembly(values: [InlineText(text: "1 < 2").html]).html(tree) == html, "\(input)")  // values arrive escaped
    }
    // captions and tables (no source) leave fenced code to cmark
    #expect(
      assembly().html(PageTree(MathProtection("```swift\nx\n```\n", path: "p.md"), trustHTML: false))
        == "<pre><code class=\"language-swift\">x\n</code></pre>\n")
  }

  /// A directive's node gets its figure's HTML, by directive index.
  @Test func figuresByDirective() {
    let text = "```{kernel} dual\n```\n\ntext\n\n```{kernel} depth\n```\n"
    let tree = PageTree(MathProtection(text, path: "p.md"), trustHTML: false, source: SourceFile(path: "p.md", text: text))
    var a = assembly()
    a.figures = [0: "<figure>A</figure>\n", 1: "<figure>B</figure>\n"]
    #expect(a.html(tree) == "<figure>A</figure>\n<p>text</p>\n<figure>B</figure>\n")
  }
}
