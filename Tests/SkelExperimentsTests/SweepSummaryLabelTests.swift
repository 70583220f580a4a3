import SkelExperiments
import Testing

/// A `:summary:` sweep's y axis reads as the points' own y axis at the selected x
/// ("test accuracy at n = 160"), not as the summary's code (`y[n=160]`), where that can be said.
@Suite struct SweepSummaryLabelTests {
  /// Two points (L = 1, 2) of a result whose one series `nngp` has y at n = 10 and n = 160.
  static func points(ylabelTeX: String) -> [(variables: [(name: String, text: String, value: Double?)], result: ExperimentResult)] {
    [1.0, 2.0].map { l in
      let r = ExperimentResult(
        xlabel: "n", ylabel: "test_accuracy", xlabelTeX: "training points $n$", ylabelTeX: ylabelTeX,
        series: [SeriesData(name: "nngp", x: [10, 160], y: [0.5 + l / 10, 0.9 + l / 100])])
      return (variables: [(name: "L", text: "\(Int(l))", value: l)], result: r)
    }
  }

  @Test func aSeriesValueAtANumberTakesThePointsLabel() throws {
    let merged = try SweepMerge.summarize(
      Self.points(ylabelTeX: "test accuracy"), summary: try InlineValue(parsing: "x.y[n=160]"), text: "y[n=160]")
    #expect(merged.ylabelTeX == "test accuracy at $n \\;=\\; 160$")
    #expect(merged.series.map(\.y) == [[0.91, 0.92]])
    #expect(merged.xlabelTeX == "$L$")
  }

  /// Where the selector is not a one-letter name at a number, or the field is not `y`, or the
  /// points have no label, the summary stays as written.
  @Test(arguments: [
    ("x.y[rho=0]", "test accuracy", "y[rho=0]"), ("x.max", "test accuracy", "max"), ("x.y[n=160]", "", "y[n=160]"),
    ("x.y[n=nngp]", "test accuracy", "y[n=nngp]"),
  ])
  func otherSummariesKeepTheirText(_ value: String, _ ylabelTeX: String, _ text: String) throws {
    let upstream = Self.points(ylabelTeX: ylabelTeX)[0].result
    #expect(SweepMerge.axisLabel(try InlineValue(parsing: value), text: text, upstream: upstream) == text)
  }
}
