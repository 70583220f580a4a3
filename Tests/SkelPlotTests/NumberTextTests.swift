import Foundation
import SkelPlot
import Testing

/// The one number formatter: significant digits, the true minus, powers of ten, exact zeros.
@Suite struct NumberTextTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var x: Double, digits: Int, plain: String, tex: String, html: String
    var testDescription: String { "\(x) to \(digits)" }
  }

  static let cases: [Case] = [
    Case(x: 0, digits: 4, plain: "0", tex: "0", html: "0"),
    Case(x: -0.0, digits: 4, plain: "0", tex: "0", html: "0"),
    Case(x: -0.5, digits: 4, plain: "\u{2212}0.5", tex: "-0.5", html: "\u{2212}0.5"),
    Case(x: 16, digits: 4, plain: "16", tex: "16", html: "16"),
    Case(x: 2000, digits: 2, plain: "2000", tex: "2000", html: "2000"),
    Case(x: -123_456, digits: 3, plain: "\u{2212}123456", tex: "-123456", html: "\u{2212}123456"),
    Case(x: 0.99, digits: 4, plain: "0.99", tex: "0.99", html: "0.99"),
    Case(x: 1.0 / 3, digits: 4, plain: "0.3333", tex: "0.3333", html: "0.3333"),
    Case(x: 2.0 / 3, digits: 2, plain: "0.67", tex: "0.67", html: "0.67"),
    Case(x: 1.5, digits: 4, plain: "1.5", tex: "1.5", html: "1.5"),
    Case(x: 1234.56, digits: 4, plain: "1235", tex: "1235", html: "1235"),
    Case(x: 12345.6, digits: 4, plain: "1.235 × 10⁴", tex: "1.235\\times10^{4}", html: "1.235\u{202F}×\u{202F}10<sup>4</sup>"),
    Case(x: 0.001234, digits: 4, plain: "0.001234", tex: "0.001234", html: "0.001234"),
    Case(x: -0.00225, digits: 4, plain: "\u{2212}0.00225", tex: "-0.00225", html: "\u{2212}0.00225"),
    Case(
      x: -2.25e-4, digits: 4, plain: "\u{2212}2.25 × 10⁻⁴", tex: "-2.25\\times10^{-4}",
      html: "\u{2212}2.25\u{202F}×\u{202F}10<sup>\u{2212}4</sup>"),
    Case(
      x: 7.68136817138e-33, digits: 3, plain: "7.68 × 10⁻³³", tex: "7.68\\times10^{-33}",
      html: "7.68\u{202F}×\u{202F}10<sup>\u{2212}33</sup>"),
    Case(x: 6.02214076e23, digits: 4, plain: "6.022 × 10²³", tex: "6.022\\times10^{23}", html: "6.022\u{202F}×\u{202F}10<sup>23</sup>"),
    Case(x: 1e300, digits: 4, plain: "1 × 10³⁰⁰", tex: "1\\times10^{300}", html: "1\u{202F}×\u{202F}10<sup>300</sup>"),
    Case(
      x: 5e-324, digits: 4, plain: "4.941 × 10⁻³²⁴", tex: "4.941\\times10^{-324}", html: "4.941\u{202F}×\u{202F}10<sup>\u{2212}324</sup>"),
    // rounding carries into the next decade, and the notation follows the rounded exponent
    Case(x: 0.00099996, digits: 4, plain: "0.001", tex: "0.001", html: "0.001"),
    Case(x: 9999.7, digits: 4, plain: "1 × 10⁴", tex: "1\\times10^{4}", html: "1\u{202F}×\u{202F}10<sup>4</sup>"),
    Case(x: 0.2500000001, digits: 12, plain: "0.2500000001", tex: "0.2500000001", html: "0.2500000001"),
    Case(x: .nan, digits: 4, plain: "NaN", tex: "\\mathrm{NaN}", html: "NaN"),
    Case(x: .infinity, digits: 4, plain: "∞", tex: "\\infty", html: "∞"),
    Case(x: -.infinity, digits: 4, plain: "\u{2212}∞", tex: "-\\infty", html: "\u{2212}∞"),
  ]

  @Test(arguments: cases)
  func formats(c: Case) {
    let t = NumberText(c.x, significant: c.digits)
    #expect(t.plain == c.plain)
    #expect(t.tex == c.tex)
    #expect(t.html == c.html)
    #expect(t.isFinite == c.x.isFinite)
    if let e = t.exponent { #expect(t.runs.last == TextRun((e < 0 ? "\u{2212}" : "") + String(abs(e)), scripts: [.superscript])) }
  }

  /// The digits printed are the number to the stated digits: read back, they are within half a
  /// unit in the last place, for many values across 600 decades and both signs.
  @Test func roundTripsWithinHalfAnUlpOfTheDigits() {
    var g = SystemRandomNumberGenerator()
    for _ in 0..<2000 {
      let x =
        (Bool.random(using: &g) ? -1.0 : 1.0) * Double.random(in: 1..<10, using: &g)
        * pow(10, Double(Int.random(in: -300...300, using: &g)))
      for digits in [1, 3, 4, 6] {
        let t = NumberText(x, significant: digits)
        let back = Double((t.negative ? "-" : "") + t.mantissa + (t.exponent.map { "e\($0)" } ?? ""))
        guard let back else {
          Issue.record("\(t.plain) does not read back")
          continue
        }
        let e = floor(log10(abs(x)))
        #expect(abs(back - x) <= 0.5000001 * pow(10, e - Double(digits - 1)), "\(x) to \(digits): \(t.plain)")
      }
    }
  }

  @Test func fixedAndScientificDecimals() {
    #expect(NumberText(-0.0004, fixedDecimals: 2).plain == "0.00")
    #expect(NumberText(-1.25, fixedDecimals: 3).plain == "\u{2212}1.250")
    #expect(NumberText(0.00225, scientificDecimals: 2).tex == "2.25\\times10^{-3}")
    #expect(NumberText(0, scientificDecimals: 2).plain == "0")
  }

  @Test func readsNumbersFromDataText() {
    #expect(NumberText.number(in: "\u{2212}0.5") == -0.5)
    #expect(NumberText.number(in: "1e-3") == 0.001)
    #expect(NumberText.number(in: "0.5 ✓") == nil)
    #expect(NumberText.number(in: "relu") == nil)
    #expect(NumberText.number(in: "") == nil)
    #expect(NumberText.number(in: "inf") == nil)
  }
}
