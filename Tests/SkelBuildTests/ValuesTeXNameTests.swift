import Testing

@testable import SkelBuild

/// values.tex macro names: letters only, readable, and one per selection (a sign or a decimal
/// point is part of the name, so `rho0=-0.5` and `rho0=0.5` never share one).
@Suite struct ValuesTeXNameTests {
  @Test(arguments: [
    ("fig-d.y[L=16, rho=0]:.3f", "valFigDYLOneSixRhoZero"),
    ("fig-fp.y[rho0=-0.5, layer=3]:.3g", "valFigFpYRhoZeroMinusZeroPointFiveLayerThree"),
    ("fig-fp.y[rho0=0.5, layer=3]", "valFigFpYRhoZeroZeroPointFiveLayerThree"),
    ("fig-w.y[w=1e-05]", "valFigWYWOneEMinusZeroFive"),
    ("fig-a.y[rho=-.5]", "valFigAYRhoMinusPointFive"),
    ("fig-x-y.y", "valFigXYY"),
  ])
  func spells(expression: String, name: String) {
    #expect(ValuesTeX.name(expression, taken: []) == name)
  }

  /// Names differ for values that differ only in their sign or decimal point.
  @Test func signAndPointKeepNamesApart() {
    let expressions = ["f.y[r=-0.5]", "f.y[r=0.5]", "f.y[r=5]", "f.y[r=-5]", "f.y[r=0.05]", "f.y[r=-.5]", "f.y[r=.5]"]
    var taken: [String] = []
    for e in expressions { taken.append(ValuesTeX.name(e, taken: taken)) }
    #expect(Set(taken).count == expressions.count)
    #expect(!taken.contains { $0.hasSuffix("X") }, "\(taken)")
  }

  /// The same selection with another format: the only case for the `X` suffix.
  @Test func sameSelectionOtherFormat() {
    let first = ValuesTeX.name("f.y[r=-0.5]:.3g", taken: [])
    #expect(ValuesTeX.name("f.y[r=-0.5]:.2e", taken: [first]) == first + "X")
  }
}
