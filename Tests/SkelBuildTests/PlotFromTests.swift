import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

/// A kind whose result is a table only: n, a mean, its standard error and a text column.
struct TableOnlyKind: DirectiveKind {
  struct Options: KindOptions {
    var scale = 1.0
  }
  var name: String { "table-only" }
  var summary: String { "a table of numbers and one text column (test)" }
  var fields: [Field<Options>] { [Field("scale", \.scale, .number(min: nil, max: nil), "scale")] }
  var example: String { "" }
  func cost(_ options: Options) -> Cost {
    var c = CostBuilder()
    c.work(1, each: 100, "test", options: ["scale"])
    return c.cost
  }
  func presentation(_ options: Options) -> Presentation { .table }
  func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let rows = [1.0, 2, 4].map { n in ["\(n)", "\(o.scale / n)", "\(0.1 * o.scale / n)", "n=\(n)"] }
    return ExperimentResult(
      xlabel: "n", ylabel: "", xlabelTeX: "n", ylabelTeX: "", series: [],
      table: TableData(columns: ["n", "err", "se", "name"], rows: rows))
  }
}

/// `:from: LABEL` on the `plot` directive (directives.md, "The `plot` directive"): another
/// directive's result redrawn — its series by name, or its table's numeric columns — keyed after
/// its upstream, with the errors a user can make at their positions.
@Suite struct PlotFromTests {
  static let registry = ExperimentRegistry(Array(ExperimentRegistry.standard.kinds.values) + [AnyKind(TableOnlyKind())])

  static func report(rho: String = "[0, 0.5, 0.9]", prose: String = "Prose.", plotLines: String = ":y: [L=2]") -> String {
    """
    # Plots

    \(prose)

    ```{kernel} depth
    :label: fig-a
    :alt: a
    :activation: relu
    :depths: [1, 2]
    :rho: \(rho)

    The iterated kernel.
    ```

    ```{plot}
    :label: fig-p
    :alt: p
    :from: fig-a
    \(plotLines)

    Depth two of @fig-a alone.
    ```

    ```{kernel} table-only
    :label: tbl-t
    :scale: 3

    Errors.
    ```

    ```{plot}
    :label: fig-t
    :alt: t
    :from: tbl-t
    :x: n
    :y: err
    :mark: errorbars
    :yerr: se
    :yscale: log

    The table of @tbl-t drawn.
    ```

    """
  }

  func build(_ dir: URL, _ text: String) throws -> SiteBuilder.Summary {
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/r.md"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    return try SiteBuilder(configuration: config, registry: Self.registry, backend: CairoBackend()).build()
  }

  func series(_ dir: URL, _ label: String) throws -> [(name: String, x: [Double], y: [Double], yerr: [Double]?)] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/r/\(label).json"))
    return try PlotDirectiveTests.series(try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]))
  }

  /// The plot's series are the upstream's, value for value (ReLU's iterated arc-cosine kernel at
  /// depth 2 from the closed form too); the table's columns become one series with error bars;
  /// a prose edit recomputes nothing, an edit of the upstream recomputes it and the plot.
  @Test func aPlotRedrawsAnotherDirectivesSeriesAndTable() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plotfrom-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try build(dir, Self.report())
    #expect(Set(first.recomputed) == ["r/fig-a", "r/fig-p", "r/tbl-t", "r/fig-t"], "\(first.recomputed)")
    let upstream = try series(dir, "fig-a"), plotted = try series(dir, "fig-p")
    #expect(upstream.map(\.name) == ["L=1", "L=2"], "\(upstream.map(\.name))")
    #expect(plotted.count == 1 && plotted[0].name == "L=2")
    #expect(plotted[0].x == upstream[1].x && plotted[0].y == upstream[1].y)
    for (rho, v) in zip([0, 0.5, 0.9], plotted[0].y) {
      let twice = FromDirectiveTests.relu(FromDirectiveTests.relu(rho))
      #expect(abs(v - twice) < 1e-12, "κ∘κ(\(rho)) = \(twice), plotted \(v)")
    }
    let t = try series(dir, "fig-t")
    #expect(t.count == 1 && t[0].name == "err" && t[0].x == [1, 2, 4])
    // Foundation's JSON reader on Linux may miss the last ulp: compare to 1e-15.
    let se = try #require(t[0].yerr)
    #expect(t[0].y == [3, 1.5, 0.75] && se.count == 3)
    for (v, n) in zip(se, [1.0, 2, 4]) { #expect(abs(v - 0.3 / n) < 1e-15, "se at n=\(n): \(v)") }
    let page = try String(contentsOf: dir.appendingPathComponent("_site/r/index.html"), encoding: .utf8)
    #expect(page.contains("Figure 2") && page.contains("Figure 3"))

    #expect(try build(dir, Self.report(prose: "Other prose.")).recomputed.isEmpty, "a prose edit recomputes nothing")
    let edited = try build(dir, Self.report(rho: "[0, 0.25]"))
    #expect(Set(edited.recomputed) == ["r/fig-a", "r/fig-p"], "\(edited.recomputed)")
    #expect(try series(dir, "fig-p")[0].x == [0, 0.25])
    let all = try build(dir, Self.report(rho: "[0, 0.25]", plotLines: ""))
    #expect(all.recomputed == ["r/fig-p"])
    #expect(try series(dir, "fig-p").map(\.name) == ["L=1", "L=2"], "no :y: draws every series")
  }

  /// Both sources, a name the upstream lacks, `:x:` on series, a heat map, error bars that are
  /// not there: each refused with the reason (the build writes nothing).
  @Test func wrongUsesAreRefusedWithTheirReason() throws {
    func errors(_ plotLines: String) throws -> [String] {
      try #require(try buildErrors(["r.md": Array(Self.report(plotLines: plotLines).utf8)], registry: Self.registry))
    }
    let both = try errors(":data: t.csv\n:y: [L=2]")
    #expect(both.first == "r.md:19:8: error: option 'data' and ':from:' both say what to plot; give one of them", "\(both)")
    let unknown = try errors(":y: [L=3]")
    #expect(unknown.count == 1 && unknown[0].contains("option 'y': 'fig-a' has no series 'L=3'; it has 'L=1', 'L=2'"), "\(unknown)")
    let x = try errors(":x: rho")
    #expect(x.count == 1 && x[0].contains("the series of 'fig-a' carry their own x values"), "\(x)")
    let bars = try errors(":mark: errorbars")
    #expect(bars.count == 1 && bars[0].contains("series 'L=1' of 'fig-a' has no error bars"), "\(bars)")
    let noSource = try #require(try buildErrors(["e.md": Array("```{plot}\n:label: fig-e\n:alt: e\n\nE.\n```\n\nSee @fig-e.\n".utf8)]))
    #expect(
      noSource == [
        "e.md:1:5: error: directive 'plot' needs ':data:' (a .csv or .npy file beside the report) or ':from: LABEL' (another directive's result)"
      ], "\(noSource)")
    let noX = try #require(try buildErrors(["e.md": Array("```{plot}\n:label: fig-e\n:alt: e\n:data: t.csv\n:y: b\n\nE.\n```\n".utf8)]))
    #expect(noX.contains("e.md:1:5: error: directive 'plot' needs the option ':x:' (the x column of ':data:')"), "\(noX)")
  }
}
