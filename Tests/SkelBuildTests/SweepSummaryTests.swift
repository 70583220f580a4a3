import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

/// A sweep's `:summary:` (directives.md, "Sweeps"): the scalar each point gives, against the
/// sweep variable, as one figure.
@Suite struct SweepSummaryTests {
  /// The normalized ReLU dual (the arc-cosine kernel of degree 1), iterated: κ^(L)(ρ).
  static func relu(_ rho: Double, depth: Int) -> Double {
    var r = rho
    for _ in 0..<depth { r = ((1 - r * r).squareRoot() + (Double.pi - acos(r)) * r) / Double.pi }
    return r
  }

  static func directive(_ lines: String, activation: String = "relu") -> String {
    "```{kernel} depth\n:label: fig-s\n:alt: s\n:activation: \(activation)\n\(lines)\n\nSummary.\n```\n\nSee @fig-s.\n"
  }

  func build(_ report: String) throws -> (URL, SiteBuilder.Summary) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("summary-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Data(report.utf8).write(to: dir.appendingPathComponent("reports/s.md"))
    return (dir, try builder(dir).build())
  }

  func builder(_ dir: URL) -> SiteBuilder {
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    return SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend())
  }

  static func json(_ dir: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/s/fig-s.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// κ^(L)(0) against L is the iterated arc-cosine map at full precision, one series, one figure.
  @Test func aKernelValueAtASelectorAgainstTheVariable() throws {
    let (dir, first) = try build(Self.directive(":depths: [$L]\n:rho: [0, 0.5]\n:sweep: L = [1, 2, 4, 8]\n:summary: y[rho=0]"))
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(first.recomputed == ["s/fig-s"])
    let json = try Self.json(dir)
    #expect(json["xlabel"] as? String == "L" && json["ylabel"] as? String == "y[rho=0]")
    let series = try #require(json["series"] as? [[String: Any]])
    #expect(series.count == 1 && series[0]["name"] as? String == "y[rho=0]")
    let x = try #require(series[0]["x"] as? [Double]), y = try #require(series[0]["y"] as? [Double])
    #expect(x == [1, 2, 4, 8])
    #expect(abs(y[0] - 1 / Double.pi) < 1e-15)
    for (l, v) in zip([1, 2, 4, 8], y) { #expect(abs(v - Self.relu(0, depth: l)) < 1e-13, "L=\(l): \(v)") }
    for f in ["svg", "png", "pdf"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site/s/fig-s.\(f)").path))
    }
    let page = try String(contentsOf: dir.appendingPathComponent("_site/s/index.html"), encoding: .utf8)
    #expect(page.contains("Figure 1."))
    let again = try builder(dir).build()
    #expect(again.recomputed.isEmpty, "every point hits")
  }

  /// Two variables: one series per value of the second, named by it; the max of each point.
  @Test func twoVariablesGiveOneSeriesPerValueOfTheSecond() throws {
    let (dir, _) = try build(Self.directive(":depths: [$L]\n:rho: [$a]\n:sweep: L = [1, 2]; a = [0, 0.5]\n:summary: max"))
    defer { try? FileManager.default.removeItem(at: dir) }
    let series = try #require(try Self.json(dir)["series"] as? [[String: Any]])
    #expect(series.map { $0["name"] as? String } == ["a=0", "a=0.5"])
    for (s, a) in zip(series, [0.0, 0.5]) {
      let y = try #require(s["y"] as? [Double])
      #expect(s["x"] as? [Double] == [1, 2])
      #expect(abs(y[0] - Self.relu(a, depth: 1)) < 1e-13 && abs(y[1] - Self.relu(a, depth: 2)) < 1e-13)
      #expect((s["parameters"] as? [String: Double])?["a"] == a)
    }
  }

  @Test func badSummariesAreErrors() throws {
    func errors(_ lines: String, activation: String = "relu") throws -> [String]? {
      try buildErrors(["e.md": Array(Self.directive(lines, activation: activation).utf8)])
    }
    #expect(
      try errors(":depths: [2]\n:summary: y[rho=0]") == [
        "e.md:6:2: error: option 'summary' needs a :sweep: (the summary is plotted against the sweep's variable)"
      ])
    #expect(
      try errors(":depths: [$L]\n:sweep: L = [1, 2]\n:summary: mean") == [
        "e.md:7:11: error: option 'summary' (FIELD[SELECTORS], as in y[rho=0]): unknown field 'mean'; did you mean 'min'?; fields: y, yerr, min, max, table"
      ])
    #expect(
      try errors(":depths: [2]\n:sweep: f = [relu, step]\n:summary: max", activation: "$f").map { Array($0.suffix(1)) } == [
        "e.md:7:11: error: ':summary:' is plotted against f, whose value 'relu' is not a number"
      ])
    let late = try #require(try errors(":depths: [$L]\n:rho: [0, 0.5]\n:sweep: L = [1, 2]\n:summary: y[rho=0.3]"))
    #expect(
      late.count == 1 && late[0].contains("':summary: y[rho=0.3]' at L=1: rho=0.3 is not a point of 'fig-s' (nearest: 0.5)"), "\(late)")
  }
}
