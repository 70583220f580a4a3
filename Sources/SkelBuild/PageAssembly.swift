import SkelDocument

/// Writes a page from its tree: the HTML of every node the tree leaves to the renderer
/// (figures and tables for directives, highlighted code, callout boxes, typeset math,
/// cross-references, citations, inline values, section anchors), then one cmark render.
/// The only place the build's HTML enters a page (SkelDocument writes none).
struct PageAssembly {
  /// A formula's HTML (`TypesetMath.html(for:report:)`).
  var math: (MathSpan) -> String
  var links: ReportLinks
  /// The inline values' HTML (escaped, `InlineText.html`), in the order of `MathProtection.values`.
  var values: [String]
  /// Figure or table HTML by directive index.
  var figures: [Int: String] = [:]

  /// The HTML of `tree`.
  func html(_ tree: PageTree) -> String {
    tree.html { node in self.html(node, tree.protected) }
  }

  func html(_ node: PageNode, _ p: MathProtection) -> NodeHTML {
    switch node {
    case .directive(let k, let block):
      return NodeHTML(figures[k] ?? Self.code(block))
    case .code(let block):
      return NodeHTML(Self.code(block))
    case .callout(let k):
      return NodeHTML(Self.calloutOpen(p.callouts[k]), exit: Self.calloutClose)
    case .calloutOpen(let k):
      return NodeHTML(Self.calloutOpen(p.callouts[k]))
    case .calloutClose:
      return NodeHTML(Self.calloutClose)
    case .tableFigure(let k):
      return NodeHTML("<figure class=\"skel-table\" id=\"\(HTMLText.escape(p.tableCaptions[k].label))\">\n", exit: "</figure>\n")
    case .tableCaption:
      return NodeHTML("<figcaption>", exit: "</figcaption>\n")
    case .tableBody:
      return NodeHTML("<div class=\"table-scroll\">\n", exit: "</div>\n")
    case .displayMath(let k):
      return NodeHTML(math(p.spans[k]))
    case .inline(let inline):
      return NodeHTML(html(inline, p))
    case .literal(let pieces):
      return NodeHTML(PageTree.join(pieces) { html($0, p) })
    }
  }

  func html(_ inline: InlineNode, _ p: MathProtection) -> String {
    switch inline {
    case .math(let k): math(p.spans[k])
    case .reference(let k): links.referenceHTML(p.references[k])
    case .citation(let k): links.citationHTML(p.citations[k])
    case .value(let k): values.indices.contains(k) ? "<span class=\"value\">\(values[k])</span>" : ""
    case .anchor(let k): "<a id=\"\(HTMLText.escape(p.sections[k].label))\"></a>"
    case .calloutOpen(let k): Self.calloutOpen(p.callouts[k])
    case .calloutClose: Self.calloutClose
    case .tableNumber(let k):
      "<span class=\"figure-number\">\(HTMLText.escape(links.labels.targets[p.tableCaptions[k].label]?.text ?? "Table"))." + "</span>"
    }
  }

  /// An ordinary fenced code block, highlighted.
  static func code(_ block: CodeBlock) -> String {
    let language = block.info.split(separator: " ").first.map(String.init) ?? ""
    let code = SyntaxHighlighter.html(block.literal, language: language)
    let cls = language.isEmpty ? "" : " class=\"language-\(HTMLText.escape(language))\""
    return "<pre><code\(cls)>\(code)</code></pre>\n"
  }

  /// A callout box's opening: the box and its title (the kind, capitalized, when none is written).
  static func calloutOpen(_ c: CalloutSpan) -> String {
    let heading = c.title.isEmpty ? c.kind.prefix(1).uppercased() + c.kind.dropFirst() : c.title
    return "<div class=\"callout callout-\(HTMLText.escape(c.kind))\"><p class=\"callout-title\">\(HTMLText.escape(heading))</p>"
  }

  static let calloutClose = "</div>"
}
