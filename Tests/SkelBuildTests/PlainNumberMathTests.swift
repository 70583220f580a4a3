import Foundation
import Testing

@testable import SkelBuild

/// `PlainNumberMath`: the HTML it writes for plain decimals is KaTeX's own, byte for byte (node
/// typesets the same numbers here), and anything else is left to KaTeX.
@Suite struct PlainNumberMathTests {
  @Test func plainDecimalsAreKaTeXsOwnHTML() throws {
    let renderer = KatexRenderer()
    let katex = MathCache.identity(renderer)
    let numbers = ["0", "7", "0.2128", "12.5", "1.999", "1234.5678", "100", "0.0001", "31415926535"]
    let requests = numbers.map { KatexRenderer.Request(tex: $0, display: false) }
    let typeset = try renderer.render(requests)
    for (r, out) in zip(requests, typeset) {
      guard case .html(let html) = out else {
        Issue.record("KaTeX failed on \(r.tex)")
        continue
      }
      if katex == PlainNumberMath.version {
        #expect(PlainNumberMath.html(r, katex: katex) == html, "\(r.tex)")
      } else {
        #expect(PlainNumberMath.html(r, katex: katex) == nil, "another KaTeX (\(katex)): node typesets")
      }
    }
  }

  @Test func anythingElseIsLeftToKaTeX() {
    let v = PlainNumberMath.version
    for tex in ["-0.5", "\u{2212}0.5", "1.2\\times10^{-3}", "1.", ".5", "1.2.3", "1e5", "x", "", "١٢"] {
      #expect(PlainNumberMath.html(.init(tex: tex, display: false), katex: v) == nil, "\(tex)")
    }
    #expect(PlainNumberMath.html(.init(tex: "0.5", display: true), katex: v) == nil)
    #expect(PlainNumberMath.html(.init(tex: "0.5", display: false, macros: ["\\R": "\\mathbb{R}"]), katex: v) == nil)
    #expect(PlainNumberMath.html(.init(tex: "0.5", display: false), katex: "katex 0.17.0") == nil)
  }
}
