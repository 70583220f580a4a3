import Foundation
import SkelDocument
import Testing

@Suite struct PlaceholderTests {
  /// One pass replaces every placeholder by its own index (SKMATH1Q is not a prefix match of
  /// SKMATH12Q), leaves unknown indices and malformed tokens alone, and unwraps `<p>` only around
  /// a placeholder that is a whole paragraph and asks for it. The result equals the sequence of
  /// `replacingOccurrences` it replaced.
  @Test func substitutesInOnePass() {
    let text = "<p>SKMATH0Q</p>\n<p>a SKMATH1Q b SKMATH12Q SKMATH7Q SKMATHQ SKMATH3</p>\n<p>SKMATH1Q</p>SKMATH12Q"
    let names = [0: "Zero", 1: "One", 12: "Twelve"]
    let display: Set<Int> = [0]
    let out = MathProtection.substitutePlaceholders(in: text, prefix: "SKMATH", unwrapsParagraph: { display.contains($0) }, { names[$0] })
    #expect(out == "Zero\n<p>a One b Twelve SKMATH7Q SKMATHQ SKMATH3</p>\n<p>One</p>Twelve")
    // the old way, highest index first
    var old = text
    for k in names.keys.sorted(by: >) {
      if display.contains(k) { old = old.replacingOccurrences(of: "<p>SKMATH\(k)Q</p>", with: names[k]!) }
      old = old.replacingOccurrences(of: "SKMATH\(k)Q", with: names[k]!)
    }
    #expect(out == old)
  }

  /// Non-ASCII text around the placeholders survives byte for byte.
  @Test func keepsUnicode() {
    let out = MathProtection.substitutePlaceholders(in: "θ → SKVAL0Q ∞ SKVAL1Q", prefix: "SKVAL") { $0 == 0 ? "α" : nil }
    #expect(out == "θ → α ∞ SKVAL1Q")
  }
}
