import SkelDocument
import Testing

/// The page tree: one cmark parse, the report language's constructs as nodes.
@Suite struct PageTreeTests {
  /// A renderer that names each node, so the tests see where the tree put it.
  func names(_ tree: PageTree) -> String {
    tree.html { node in
      switch node {
      case .directive(let k, let block): NodeHTML("[directive \(k) \(block.info)]")
      case .code(let block): NodeHTML("[code \(block.info)]")
      case .callout(let k): NodeHTML("[callout \(k)]", exit: "[/callout]")
      case .calloutOpen(let k): NodeHTML("[open \(k)]")
      case .calloutClose(let k): NodeHTML("[close \(k)]")
      case .displayMath(let k): NodeHTML("[display \(k)]")
      case .tableFigure(let k): NodeHTML("[table \(k)]", exit: "[/table]")
      case .tableCaption: NodeHTML("[caption]", exit: "[/caption]")
      case .tableBody: NodeHTML("[body]", exit: "[/body]")
      case .inline(let n): NodeHTML("[\(n)]")
      case .literal(let pieces): NodeHTML(PageTree.join(pieces) { "[\($0)]" })
      }
    }
  }

  func tree(_ body: String, trust: Bool = false) -> PageTree {
    PageTree(MathProtection(body, path: "p.md"), trustHTML: trust, source: SourceFile(path: "p.md", text: body))
  }

  /// Directives are nodes of the parse (by their info string), numbered in document order;
  /// ordinary fences are code nodes, unknown braced names errors.
  @Test func directivesAreNodes() {
    let t = tree("```python\nx\n```\n\n```{kernel} dual\n:label: fig-a\n```\n\n> ```{kernel} depth\n> ```\n\n```{kernl} x\n```\n")
    #expect(t.directives.map(\.kind) == ["dual", "depth"])
    #expect(
      names(t)
        == "[code python]\n[directive 0 {kernel} dual]\n<blockquote>\n[directive 1 {kernel} depth]\n</blockquote>\n[code {kernl} x]\n")
    #expect(t.problems.map { "\($0.location)" } == ["p.md:12:1"])
  }

  /// A captioned table: one figure node holding the caption (number first) and the table.
  @Test func captionedTablesAreFigures() {
    let t = tree("| a |\n|---|\n| 1 |\n: Cap $x$ {#tbl-a}\n\nafter\n")
    #expect(
      names(t)
        == "[table 0]\n[caption]\n<p>[tableNumber(0)] Cap [math(0)]</p>\n[/caption]\n[body]\n<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n</tr>\n</tbody>\n</table>\n[/body]\n[/table]\n<p>after</p>\n"
    )
    #expect(t.problems.isEmpty)
  }

  /// Inline constructs are inline nodes; a display formula alone in its paragraph is a block
  /// (but not in a tight list item, where cmark writes no paragraph).
  @Test func inlineAndDisplayNodes() {
    let t = tree("a $x$ @fig-a [@k] {val}`f.g` b\n\n$$y$$\n\n- $$z$$\n")
    #expect(names(t) == "<p>a [math(0)] [reference(0)] [citation(0)] [value(0)] b</p>\n[display 1]\n<ul>\n<li>[math(2)]</li>\n</ul>\n")
  }

  /// Math in table cells, headings, links and image alt text. (A labelled heading's title is
  /// kept as written: no math in it.)
  @Test func nodesInEveryContainer() {
    let t = tree("## T $a$ {#sec-t}\n\n| $b$ |\n|---|\n| [@k] |\n\n[see $c$](#x) ![alt $d$](i.png)\n")
    #expect(
      names(t)
        == "<h2>[anchor(0)]T $a$</h2>\n<table>\n<thead>\n<tr>\n<th>[math(0)]</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>[citation(0)]</td>\n</tr>\n</tbody>\n</table>\n<p><a href=\"#x\">see [math(1)]</a> <img src=\"i.png\" alt=\"alt [math(2)]\" /></p>\n"
    )
  }

  /// A callout's blocks are its children where both fences are siblings; nested callouts nest.
  @Test func calloutsNest() {
    let t = tree(":::{note}\nA\n:::{tip} T\nB\n:::\nC\n:::\nafter\n")
    #expect(names(t) == "[callout 0]\n<p>A</p>\n[callout 1]\n<p>B</p>\n[/callout]\n<p>C</p>\n[/callout]\n<p>after</p>\n")
    #expect(t.protected.callouts.map(\.title) == ["", "T"])
    // fences in different containers (here an opening one in a trusted HTML comment) render each on its own
    let split = tree("<!--\n:::{note}\n-->\n\nx\n\n:::\n", trust: true)
    #expect(names(split) == "<!--\n\n[calloutOpen(0)]\n\n-->\n<p>x</p>\n[close 0]\n", "\(names(split))")
  }

  /// The author's raw HTML is sanitized before the tree's nodes exist; trusted HTML keeps its
  /// inline nodes inside the literal.
  @Test func rawHTMLAndTrust() {
    let safe = tree("<b>$x$</b>\n")
    #expect(names(safe) == "<p>&lt;b&gt;[math(0)]&lt;/b&gt;</p>\n")
    #expect(safe.findings.count == 2)
    let trusted = tree("<div>$x$</div>\n", trust: true)
    #expect(names(trusted) == "<div>[math(0)]</div>\n")
  }
}
