import CCmarkGFM
import Foundation

/// A fenced code block as cmark found it.
public struct CodeBlock: Sendable, Hashable {
  public var info: String
  public var literal: String
  /// Line and column of the opening fence in the parsed text.
  public var line: Int
  public var column: Int
}

/// cmark-gfm, wrapped: parse with the GFM extensions (tables, strikethrough, autolinks, task
/// lists, footnotes), list the fenced code blocks, and render HTML with some of them replaced.
/// The C tree lives in this final class and is freed in `deinit`.
public final class MarkdownTree {
  private let parser: OpaquePointer
  private let root: OpaquePointer
  private static let options = CMARK_OPT_DEFAULT | CMARK_OPT_FOOTNOTES | CMARK_OPT_UNSAFE | CMARK_OPT_SMART

  public init(_ text: String) {
    cmark_gfm_core_extensions_ensure_registered()
    let p = cmark_parser_new(Self.options)!
    for name in ["table", "strikethrough", "autolink", "tasklist"] {
      if let ext = cmark_find_syntax_extension(name) { cmark_parser_attach_syntax_extension(p, ext) }
    }
    let bytes = Array(text.utf8CString)
    bytes.withUnsafeBufferPointer { cmark_parser_feed(p, $0.baseAddress, $0.count - 1) }
    parser = p
    root = cmark_parser_finish(p)
  }

  deinit {
    cmark_node_free(root)
    cmark_parser_free(parser)
  }

  private func codeBlockNodes() -> [OpaquePointer] {
    var nodes: [OpaquePointer] = []
    let iter = cmark_iter_new(root)
    defer { cmark_iter_free(iter) }
    while true {
      let ev = cmark_iter_next(iter)
      if ev == CMARK_EVENT_DONE { break }
      guard ev == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iter) else { continue }
      var length: Int32 = 0, offset: Int32 = 0
      var fenceChar: CChar = 0
      if cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK, cmark_node_get_fenced(node, &length, &offset, &fenceChar) != 0 {
        nodes.append(node)
      }
    }
    return nodes
  }

  /// Every fenced code block, in document order.
  public func codeBlocks() -> [CodeBlock] {
    codeBlockNodes().map { node in
      CodeBlock(
        info: cmark_node_get_fence_info(node).map { String(cString: $0) } ?? "",
        literal: cmark_node_get_literal(node).map { String(cString: $0) } ?? "",
        line: Int(cmark_node_get_start_line(node)), column: Int(cmark_node_get_start_column(node)))
    }
  }

  /// HTML of the whole tree, with the fenced code block number `k` replaced by `replacements[k]`
  /// (raw HTML) where present.
  public func html(replacing replacements: [Int: String] = [:]) -> String {
    for (k, node) in codeBlockNodes().enumerated() {
      guard let html = replacements[k], let block = cmark_node_new(CMARK_NODE_HTML_BLOCK) else { continue }
      cmark_node_set_literal(block, html)
      cmark_node_replace(node, block)
      cmark_node_free(node)
    }
    guard let out = cmark_render_html(root, Self.options, cmark_parser_get_syntax_extensions(parser)) else { return "" }
    defer { free(out) }
    return String(cString: out)
  }
}
