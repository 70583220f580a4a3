import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import SkelMath
import Testing

/// A kind that reads its `:from:` directive's result and scales every series by `factor`. Its
/// estimate is large, so the scheduler (longest first) would start it before its upstream if it
/// ignored the DAG; it throws when it runs without an upstream.
struct ScaledKind: DirectiveKind {
  struct Options: KindOptions {
    var factor = 1.0
  }
  var name: String { "scaled" }
  var summary: String { "the :from: result times a factor (test)" }
  var fields: [Field<Options>] { [Field("factor", \.factor, .number(min: nil, max: nil), "factor")] }
  var example: String { "" }
  var takesFrom: Bool { true }
  func cost(_ options: Options) -> Cost {
    var c = CostBuilder()
    c.work(1, each: 100, "test", options: ["factor"])
    return c.cost
  }
  func run(_ options: Options, context: RunContext) throws -> ExperimentResult {
    guard let up = context.upstream else { throw ExperimentError("ran before its upstream") }
    var r = up.result
    for s in r.series.indices { r.series[s].y = r.series[s].y.map { $0 * options.factor } }
    return r
  }
}

/// `:from: LABEL` (directives.md, "Common keys"): the directive DAG of a build.
@Suite struct FromDirectiveTests {
  static let registry = ExperimentRegistry(Array(ExperimentRegistry.standard.kinds.values) + [AnyKind(ScaledKind())])

  /// κ^(1)(ρ) of ReLU, the normalized arc-cosine kernel of degree 1.
  static func relu(_ r: Double) -> Double { ((1 - r * r).squareRoot() + (Double.pi - acos(r)) * r) / Double.pi }

  static func report(rho: String = "[0, 0.5]", factor: String = "2", prose: String = "Prose.") -> String {
    """
    \(prose)

    ```{kernel} scaled
    :label: fig-c
    :alt: c
    :from: fig-b
    :factor: 3

    Three times @fig-b.
    ```

    ```{kernel} scaled
    :label: fig-b
    :alt: b
    :from: fig-a
    :factor: \(factor)

    Scaled @fig-a.
    ```

    ```{kernel} depth
    :label: fig-a
    :alt: a
    :activation: relu
    :depths: [1]
    :rho: \(rho)

    The kernel.
    ```

    """
  }

  func write(_ dir: URL, _ files: [String: String]) throws {
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent("reports/\(name)")) }
  }

  func build(_ dir: URL, threads: Int = 2) throws -> SiteBuilder.Summary {
    var config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    config.compute = Compute(threads: threads)
    return try SiteBuilder(configuration: config, registry: Self.registry, backend: CairoBackend()).build()
  }

  func ys(_ dir: URL, _ report: String, _ label: String) throws -> [Double] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/\(report)/\(label).json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let series = try #require(json["series"] as? [[String: Any]])
    return try #require(series.first?["y"] as? [Double])
  }

  /// A chain a → b → c written downstream first: each reads its upstream's values (closed form
  /// times the factors); an option edit recomputes that directive and what is below it, a prose
  /// edit nothing.
  @Test func aChainRunsInOrderAndEditsPropagateDownstream() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("from-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try write(dir, ["r.md": Self.report()])
    let first = try build(dir)
    #expect(first.recomputed == ["r/fig-c", "r/fig-b", "r/fig-a"])  // in page order
    let c = try ys(dir, "r", "fig-c")
    #expect(c.count == 2)
    for (v, rho) in zip(c, [0, 0.5]) { #expect(abs(v - 6 * Self.relu(rho)) < 1e-13, "rho=\(rho): \(v)") }
    #expect(try build(dir, threads: 1).recomputed.isEmpty)
    try write(dir, ["r.md": Self.report(prose: "Other prose.")])
    #expect(try build(dir).recomputed.isEmpty, "a prose edit recomputes nothing")
    try write(dir, ["r.md": Self.report(factor: "5")])
    #expect(try build(dir).recomputed == ["r/fig-c", "r/fig-b"], "b's option: b and what reads it")
    for (v, rho) in zip(try ys(dir, "r", "fig-c"), [0, 0.5]) { #expect(abs(v - 15 * Self.relu(rho)) < 1e-13) }
    try write(dir, ["r.md": Self.report(rho: "[0.25]", factor: "5")])
    #expect(try build(dir).recomputed == ["r/fig-c", "r/fig-b", "r/fig-a"], "the head's option: the whole chain")
    let head = try #require(try ys(dir, "r", "fig-c").first)
    #expect(abs(head - 15 * Self.relu(0.25)) < 1e-13)
  }

  /// `REPORT/LABEL` reads a directive of another report of the build.
  @Test func anotherReportsDirective() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("from-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let other = "```{kernel} scaled\n:label: fig-x\n:alt: x\n:from: r/fig-a\n:factor: 10\n\nTen times.\n```\n"
    try write(dir, ["r.md": Self.report(), "s.md": other])
    let first = try build(dir)
    #expect(first.recomputed.contains("s/fig-x"))
    for (v, rho) in zip(try ys(dir, "s", "fig-x"), [0, 0.5]) { #expect(abs(v - 10 * Self.relu(rho)) < 1e-13) }
    try write(dir, ["r.md": Self.report(rho: "[0.25]")])
    #expect(try build(dir).recomputed.contains("s/fig-x"), "the other report's upstream changed")
  }

  @Test func missingLabelsCyclesAndKindsWithoutFromAreErrorsAtTheOption() throws {
    func scaled(_ label: String, from: String) -> String {
      "```{kernel} scaled\n:label: \(label)\n:from: \(from)\n\nCaption.\n```\n\n"
    }
    #expect(
      try buildErrors(["e.md": Array(scaled("fig-a", from: "fig-aa").utf8)], registry: Self.registry) == [
        "e.md:3:8: error: ':from:' names 'fig-aa', but no directive in this report has that label; did you mean 'fig-a'?"
      ])
    #expect(
      try buildErrors(["e.md": Array(scaled("fig-a", from: "fig-a").utf8)], registry: Self.registry) == [
        "e.md:3:8: error: ':from:' names the directive itself ('fig-a'); a directive cannot read its own result"
      ])
    let cycle = scaled("fig-a", from: "fig-b") + scaled("fig-b", from: "fig-a")
    #expect(
      try buildErrors(["e.md": Array(cycle.utf8)], registry: Self.registry) == [
        "e.md:10:8: error: ':from:' makes a cycle: fig-a → fig-b → fig-a; a directive cannot read a result computed from its own"
      ])
    #expect(
      try buildErrors(["e.md": Array(scaled("fig-a", from: "nope/fig-b").utf8)], registry: Self.registry) == [
        "e.md:3:8: error: ':from:' names report 'nope', which is not in this build"
      ])
    let dual = "```{kernel} dual\n:label: fig-d\n:from: fig-a\n\nCaption.\n```\n\n" + scaled("fig-a", from: "fig-d")
    #expect(
      try buildErrors(["e.md": Array(dual.utf8)], registry: Self.registry) == [
        "e.md:3:2: error: kind 'dual' takes no ':from:' (kinds that do: plot, scaled)"
      ])
  }
}
