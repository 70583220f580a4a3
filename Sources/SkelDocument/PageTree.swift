import CCmarkGFM
import Foundation

/// An inline node of a page: a construct of the report language inside a paragraph, a heading,
/// a table cell… Each index points into the page's `MathProtection` lists.
public enum InlineNode: Sendable, Hashable {
  /// `spans[k]`: `$…$`, or `$$…$$` that shares its paragraph with other text.
  case math(Int)
  /// `references[k]`: `@label`.
  case reference(Int)
  /// `citations[k]`: `[@key]`, `[@a; @b]`.
  case citation(Int)
  /// `values[k]`: `` {val}`…` ``.
  case value(Int)
  /// `sections[k]`: the anchor of a heading labelled `{#label}`.
  case anchor(Int)
  /// `callouts[k]`: a callout fence cmark did not leave as a paragraph of its own.
  case calloutOpen(Int)
  case calloutClose(Int)
  /// `tableCaptions[k]`: the number at the start of a table's caption ("Table 2.").
  case tableNumber(Int)
}

/// A piece of a node cmark renders as it is (raw HTML, an indented code block, an image):
/// its HTML as cmark wrote it, and the inline nodes inside it.
public enum LiteralPiece: Sendable, Hashable {
  case html(String)
  case inline(InlineNode)
}

/// A node of the page tree whose HTML the page renderer writes. Everything else is a
/// Markdown node cmark renders.
public enum PageNode: Sendable, Hashable {
  /// A fenced code block that is a directive: `directives[index]`, with the block as parsed.
  case directive(index: Int, block: CodeBlock)
  /// An ordinary fenced code block.
  case code(CodeBlock)
  /// `callouts[k]` with the blocks between its fences as children (rendered inside it).
  case callout(Int)
  /// A callout's fences when they are not siblings (a fence in another container): each alone.
  case calloutOpen(Int)
  case calloutClose(Int)
  /// A Markdown table captioned by `tableCaptions[k]`: the numbered figure holding the caption
  /// (`tableCaption`) and the table (`tableBody`) as children.
  case tableFigure(Int)
  case tableCaption(Int)
  case tableBody(Int)
  /// `spans[k]`, a display formula that is a paragraph of its own: a block.
  case displayMath(Int)
  case inline(InlineNode)
  /// A node holding inline nodes in a literal or an attribute (raw HTML, indented code, an image).
  case literal([LiteralPiece])
}

/// HTML the renderer writes for a node: before its children, and after them.
public struct NodeHTML: Sendable, Hashable {
  public var enter: String
  public var exit: String
  public init(_ enter: String, exit: String = "") {
    self.enter = enter
    self.exit = exit
  }
}

/// One parse of a page into a tree (pandoc's model: one AST, then passes over it). cmark-gfm
/// parses the protected text once; the tree is sanitized (`MarkdownTree`'s trust model), then
/// each fenced code block becomes a directive or code node by its info string, and each
/// placeholder of `MathProtection` an inline node (a display formula alone in its paragraph
/// and a callout fence become block nodes; a callout's blocks become its children). The page
/// renderer (SkelBuild `PageAssembly`) gives the HTML of these nodes; `html(_:)` renders the
/// page once. The cmark tree is owned here and freed with it; `html(_:)` is serialized by a lock.
public final class PageTree: @unchecked Sendable {
  let markdown: MarkdownTree
  /// The renderer's nodes in document order (a callout before its children).
  public internal(set) var nodes: [PageNode] = []
  /// `slots[k]`: the cmark custom node standing for `nodes[k]`.
  var slots: [OpaquePointer] = []
  public internal(set) var directives: [Directive] = []
  /// Directive errors and unknown directives, at file positions.
  public internal(set) var problems: [Diagnostic] = []
  public let protected: MathProtection
  private let lock = NSLock()
  /// Callout fences seen as paragraphs of their own: callout index → slot.
  var calloutOpens: [Int: Int] = [:], calloutCloses: [(callout: Int, slot: Int)] = []
  /// Paragraphs that start with a table caption's placeholder: caption index → paragraph.
  var captionParagraphs: [(caption: Int, paragraph: OpaquePointer)] = []

  /// What the safe rendering changed, at positions in the parsed text (`DocumentParser.markupWarnings`).
  public var findings: [MarkupFinding] { markdown.findings }

  /// - Parameter source: the file, for directive positions; nil reads no directives and leaves
  ///   fenced code to cmark (captions and result tables, rendered as before).
  public init(_ protected: MathProtection, trustHTML: Bool, source: SourceFile? = nil) {
    self.protected = protected
    markdown = MarkdownTree(protected.text, trustHTML: trustHTML)
    var skipped = Set<OpaquePointer>()
    for node in markdown.allNodes() where !skipped.contains(node) {
      visit(node, source: source, skipped: &skipped)
    }
    nestCallouts()
    nestTables()
  }

  /// The file line of line `line` of the parsed text.
  public func fileLine(_ line: Int) -> Int {
    line >= 1 && line <= protected.lineMap.count ? protected.lineMap[line - 1] : line
  }

  /// The page's HTML: cmark's for Markdown, `render`'s for the tree's own nodes.
  public func html(_ render: (PageNode) -> NodeHTML) -> String {
    lock.lock()
    defer { lock.unlock() }
    for (node, slot) in zip(nodes, slots) {
      let h = render(node)
      if cmark_node_get_type(slot) == CMARK_NODE_HTML_INLINE {
        cmark_node_set_literal(slot, h.enter + h.exit)
      } else {
        cmark_node_set_on_enter(slot, h.enter)
        cmark_node_set_on_exit(slot, h.exit)
      }
    }
    return markdown.renderHTML()
  }

  /// A literal node's HTML, with `inline` giving each inline node's.
  public static func join(_ pieces: [LiteralPiece], _ inline: (InlineNode) -> String) -> String {
    pieces.map { piece in
      switch piece {
      case .html(let h): h
      case .inline(let n): inline(n)
      }
    }.joined()
  }

  /// The cmark node standing for a renderer's node: a custom block (HTML before and after its
  /// children), or inline a raw HTML node, which every container accepts (GFM table cells
  /// take no custom inline). Created after the sanitizing pass, so it is not the author's.
  static func slot(block: Bool) -> OpaquePointer? {
    cmark_node_new(block ? CMARK_NODE_CUSTOM_BLOCK : CMARK_NODE_HTML_INLINE)
  }

  /// Adds `node` for the cmark node `old`, which a new slot replaces (`old` is freed). Nil,
  /// and `old` kept, where cmark refuses the slot there.
  @discardableResult
  func replace(_ old: OpaquePointer, with node: PageNode, block: Bool) -> OpaquePointer? {
    guard let custom = Self.slot(block: block) else { return nil }
    guard cmark_node_replace(old, custom) != 0 else {
      cmark_node_free(custom)
      return nil
    }
    cmark_node_free(old)
    nodes.append(node)
    slots.append(custom)
    return custom
  }

  /// Inserts an inline slot for `node` before `next`; false where cmark refuses it.
  func insert(_ node: PageNode, before next: OpaquePointer) -> Bool {
    guard let custom = Self.slot(block: false) else { return false }
    guard cmark_node_insert_before(next, custom) != 0 else {
      cmark_node_free(custom)
      return false
    }
    nodes.append(node)
    slots.append(custom)
    return true
  }
}
