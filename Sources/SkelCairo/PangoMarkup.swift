import SkelPlot

/// Text runs as Pango markup: the one place figure text becomes markup, and the one place it is
/// escaped. An italic run is `<i>…</i>`, a bold run `<b>…</b>`, an upright run its escaped text;
/// scripts open as `<sup>`/`<sub>` and stay open while the next runs share them, so an exponent
/// holding several runs is one `<sup>`. `CairoBackend` then sizes and raises the scripts itself.
public enum PangoMarkup {
  /// The markup of `runs` (empty runs are skipped).
  public static func markup(_ runs: [TextRun]) -> String {
    var out = ""
    var open: [TextRun.Script] = []
    for run in runs where !run.text.isEmpty {
      let shared = zip(open, run.scripts).prefix { $0 == $1 }.count
      while open.count > shared { out += close(open.removeLast()) }
      for s in run.scripts[shared...] {
        out += s == .superscript ? "<sup>" : "<sub>"
        open.append(s)
      }
      let text = escape(run.text)
      switch run.style {
      case .regular: out += text
      case .italic: out += "<i>" + text + "</i>"
      case .bold: out += "<b>" + text + "</b>"
      }
    }
    while let s = open.popLast() { out += close(s) }
    return out
  }

  static func close(_ s: TextRun.Script) -> String { s == .superscript ? "</sup>" : "</sub>" }

  /// `&`, `<` and `>` as entities: what Pango's markup parser needs of text content.
  public static func escape(_ s: String) -> String {
    var r = ""
    for c in s {
      switch c {
      case "&": r += "&amp;"
      case "<": r += "&lt;"
      case ">": r += "&gt;"
      default: r.append(c)
      }
    }
    return r
  }
}
