import CCmarkGFM
import Foundation

/// The passes that turn cmark's tree into the page tree, node by node (see `PageTree`).
extension PageTree {
  /// One cmark node, in document order. Nodes under a node replaced whole go into `skipped`.
  func visit(_ node: OpaquePointer, source: SourceFile?, skipped: inout Set<OpaquePointer>) {
    let type = cmark_node_get_type(node)
    switch type {
    case CMARK_NODE_CODE_BLOCK where source != nil && MarkdownTree.isFenced(node):
      if let source { codeBlock(node, source: source) }
    case CMARK_NODE_TEXT:
      text(node)
    case CMARK_NODE_HTML_BLOCK, CMARK_NODE_CODE_BLOCK:
      if Self.hasSentinel(MarkdownTree.literal(node)) { literal(node, block: true, skipped: &skipped) }
    case CMARK_NODE_HTML_INLINE, CMARK_NODE_CODE:
      if Self.hasSentinel(MarkdownTree.literal(node)) { literal(node, block: false, skipped: &skipped) }
    case CMARK_NODE_IMAGE:
      // alt text is rendered as plain text: inline nodes inside it are written into the literal
      if markdown.subtree(node).contains(where: { Self.hasSentinel(MarkdownTree.literal($0)) })
        || Self.hasSentinel(MarkdownTree.attributes(node))
      {
        literal(node, block: false, skipped: &skipped)
      }
    case CMARK_NODE_LINK:
      if Self.hasSentinel(MarkdownTree.attributes(node)) { literal(node, block: false, skipped: &skipped) }
    default:
      return
    }
  }

  static func hasSentinel(_ s: String) -> Bool { s.unicodeScalars.contains(MathProtection.sentinelScalar) }

  /// A fenced code block: a directive when its info string names one (read here, from the
  /// block cmark parsed), else code; `{name}` that names no directive is an error.
  func codeBlock(_ node: OpaquePointer, source: SourceFile) {
    let block = MarkdownTree.codeBlock(node)
    let line = fileLine(block.line)
    let (d, p) = DirectiveReader.read(
      info: block.info, body: block.literal, fenceLine: line, fenceColumn: block.column, source: source, index: directives.count)
    problems += p
    if let d {
      replace(node, with: .directive(index: directives.count, block: block), block: true)
      directives.append(d)
      return
    }
    replace(node, with: .code(block), block: true)
    guard let (name, _) = DirectiveReader.braced(block.info) else { return }
    let at = SourceLocation(path: source.path, line: line, column: block.column)
    if name == "math" {
      // A closed ```{math} block was typeset already; one cmark still sees never closed.
      problems.append(Diagnostic(at: at, length: 9, "unclosed ```{math} block: expected a closing fence ``` after the formula"))
    } else {
      problems.append(
        Diagnostic(
          at: at, length: name.count + 5,
          "unknown directive '{\(name)}'\(Suggestion.didYouMean(name, among: DirectiveReader.fenceNames)); directives are written ```{kernel} KIND"
        ))
    }
  }

  /// A text node: each placeholder in it becomes an inline node. A display formula or a
  /// callout fence that is its paragraph's only content becomes a block node instead.
  func text(_ node: OpaquePointer) {
    let literal = MarkdownTree.literal(node)
    guard Self.hasSentinel(literal) else { return }
    let pieces = Self.pieces(literal, protected)
    if case .inline(.tableNumber(let k))? = pieces.first, let paragraph = cmark_node_parent(node),
      cmark_node_get_type(paragraph) == CMARK_NODE_PARAGRAPH, cmark_node_first_child(paragraph) == node
    {
      captionParagraphs.append((k, paragraph))
    }
    if pieces.count == 1, case .inline(let inline) = pieces[0], let paragraph = cmark_node_parent(node),
      cmark_node_get_type(paragraph) == CMARK_NODE_PARAGRAPH, cmark_node_first_child(paragraph) == node,
      cmark_node_next(node) == nil, blockNode(inline, replacing: paragraph)
    {
      return
    }
    // The pieces go before the text node, which then goes (a container refusing them keeps it).
    var inserted = false
    for piece in pieces {
      switch piece {
      case .html(let text):
        guard let t = cmark_node_new(CMARK_NODE_TEXT) else { continue }
        cmark_node_set_literal(t, text)
        if cmark_node_insert_before(node, t) == 0 { cmark_node_free(t) } else { inserted = true }
      case .inline(let inline):
        if insert(.inline(inline), before: node) { inserted = true }
      }
    }
    guard inserted else { return }
    cmark_node_unlink(node)
    cmark_node_free(node)
  }

  /// The paragraph holding only `inline`, as a block node, where it is one: a callout fence;
  /// a display formula where cmark writes `<p>…</p>` around it (not in a tight list, not the
  /// last paragraph of a footnote, which ends with the back link).
  func blockNode(_ inline: InlineNode, replacing paragraph: OpaquePointer) -> Bool {
    switch inline {
    case .calloutOpen(let k):
      guard replace(paragraph, with: .calloutOpen(k), block: true) != nil else { return false }
      calloutOpens[k] = slots.count - 1
      return true
    case .calloutClose(let k):
      guard replace(paragraph, with: .calloutClose(k), block: true) != nil else { return false }
      calloutCloses.append((k, slots.count - 1))
      return true
    case .math(let k) where protected.spans[k].display:
      let parent = cmark_node_parent(paragraph)
      let grandparent = parent.flatMap { cmark_node_parent($0) }
      if let g = grandparent, cmark_node_get_type(g) == CMARK_NODE_LIST, cmark_node_get_list_tight(g) != 0 { return false }
      if let p = parent, cmark_node_get_type(p) == CMARK_NODE_FOOTNOTE_DEFINITION, cmark_node_next(paragraph) == nil { return false }
      return replace(paragraph, with: .displayMath(k), block: true) != nil
    default:
      return false
    }
  }

  /// A node cmark renders as it is but with placeholders inside: its HTML, split at them.
  func literal(_ node: OpaquePointer, block: Bool, skipped: inout Set<OpaquePointer>) {
    let html = markdown.renderHTML(node)
    for d in markdown.subtree(node) { skipped.insert(d) }
    replace(node, with: .literal(Self.pieces(html, protected)), block: block)
  }

  /// Nests each callout's blocks in it where its two fences are siblings; other fences stay
  /// as they are (each renders its half of the box). Inner callouts close first.
  func nestCallouts() {
    for (k, closeSlot) in calloutCloses {
      guard let openSlot = calloutOpens[k] else { continue }
      let open = slots[openSlot], close = slots[closeSlot]
      guard let parent = cmark_node_parent(open), cmark_node_parent(close) == parent else { continue }
      var children: [OpaquePointer] = []
      var next = cmark_node_next(open)
      while let n = next, n != close {
        children.append(n)
        next = cmark_node_next(n)
      }
      guard next == close else { continue }
      for child in children {
        cmark_node_unlink(child)
        if cmark_node_append_child(open, child) == 0 { cmark_node_insert_before(close, child) }
      }
      nodes[openSlot] = .callout(k)
      nodes[closeSlot] = .literal([])  // left in place, empty
    }
  }

  /// Puts each captioned table and its caption in one numbered figure: the caption paragraph
  /// must follow a table node; where it does not (a line with `|` that cmark read as no table),
  /// the caption is an error at its line.
  func nestTables() {
    for (k, paragraph) in captionParagraphs {
      let caption = protected.tableCaptions[k]
      guard let table = cmark_node_previous(paragraph), String(cString: cmark_node_get_type_string(table)) == "table",
        let figure = Self.slot(block: true), let captionBox = Self.slot(block: true), let body = Self.slot(block: true)
      else {
        problems.append(
          Diagnostic(
            at: caption.lineLocation, length: 1, "table caption '{#\(caption.label)}' follows no table; put it on the line after the table")
        )
        continue
      }
      cmark_node_insert_before(table, figure)
      cmark_node_unlink(paragraph)
      cmark_node_unlink(table)
      cmark_node_append_child(captionBox, paragraph)
      cmark_node_append_child(body, table)
      cmark_node_append_child(figure, captionBox)
      cmark_node_append_child(figure, body)
      nodes += [.tableFigure(k), .tableCaption(k), .tableBody(k)]
      slots += [figure, captionBox, body]
    }
  }

  /// `s` split at the placeholders of `p` (a token whose index `p` has none stays text).
  static func pieces(_ s: String, _ p: MathProtection) -> [LiteralPiece] {
    var out: [LiteralPiece] = []
    var text = ""
    var rest = Substring(s)
    while let at = rest.firstIndex(where: { $0.unicodeScalars.first == MathProtection.sentinelScalar }) {
      text += rest[..<at]
      let after = rest[at...].dropFirst()
      let name = after.prefix(while: { $0.isASCII && $0.isUppercase && $0 != "Q" })
      let digits = after.dropFirst(name.count).prefix(while: { $0.isASCII && $0.isNumber }).prefix(9)
      let tail = after.dropFirst(name.count + digits.count)
      if !digits.isEmpty, tail.first == "Q", let k = Int(digits), let node = inlineNode(String(name), k, p) {
        if !text.isEmpty { out.append(.html(text)) }
        text = ""
        out.append(.inline(node))
        rest = tail.dropFirst()
      } else {
        text.append(rest[at])
        rest = after
      }
    }
    text += rest
    if !text.isEmpty { out.append(.html(text)) }
    return out
  }

  /// The node a placeholder `\u{FDD0}<name><k>Q` stands for, if `p` has one at `k`.
  static func inlineNode(_ name: String, _ k: Int, _ p: MathProtection) -> InlineNode? {
    typealias M = MathProtection
    switch M.sentinel + name {
    case M.mathPrefix: return p.spans.indices.contains(k) ? .math(k) : nil
    case M.referencePrefix: return p.references.indices.contains(k) ? .reference(k) : nil
    case M.citationPrefix: return p.citations.indices.contains(k) ? .citation(k) : nil
    case M.valuePrefix: return p.values.indices.contains(k) ? .value(k) : nil
    case M.sectionPrefix: return p.sections.indices.contains(k) ? .anchor(k) : nil
    case M.calloutPrefix: return p.callouts.indices.contains(k) ? .calloutOpen(k) : nil
    case M.calloutEndPrefix: return p.callouts.indices.contains(k) ? .calloutClose(k) : nil
    case M.tableCaptionPrefix: return p.tableCaptions.indices.contains(k) ? .tableNumber(k) : nil
    default: return nil
    }
  }
}
