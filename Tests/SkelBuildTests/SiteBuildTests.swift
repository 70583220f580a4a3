import Foundation
import SkelCairo
import SkelDocument
import SkelTestSupport
import Testing

@testable import SkelBuild

#if canImport(Glibc)
  import Glibc
#endif

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A scratch folder with `reports/` holding the given files.
func scratch(_ reports: [String: String]) throws -> URL {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
  for (name, text) in reports { try text.write(to: dir.appendingPathComponent("reports/\(name)"), atomically: true, encoding: .utf8) }
  return dir
}

func builder(_ dir: URL, cache: Bool = false) -> SiteBuilder {
  SiteBuilder(
    configuration: BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: cache ? dir.appendingPathComponent(".skelcache") : nil),
    backend: CairoBackend())
}

/// Every file below `dir`, relative path → bytes.
func snapshot(_ dir: URL) -> [String: Data] {
  var out: [String: Data] = [:]
  guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: [.isRegularFileKey]) else { return out }
  for case let url as URL in e where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
    out[String(url.path.dropFirst(dir.path.count))] = try? Data(contentsOf: url)
  }
  return out
}

let testReport = """
  ---
  title: Test duals
  seed: 7
  ---

  Inline $\\hat\\sigma(\\rho)$ and display math:

  $$\\kappa = \\sum_k a_k^2 \\rho^k$$

  ```{kernel} dual
  :label: fig-t
  :activations: [relu, step, exp]
  :rho: [-1, -0.5, 0, 0.5, 0.9, 1]

  Duals at the test points of science.md §2(c).
  ```
  """

struct FigureJSON: Decodable {
  struct Series: Decodable {
    var name: String
    var x: [Double]
    var y: [Double]
  }
  var label: String
  var kind: String
  var report: String
  var options: [String: String]
  var series: [Series]
}

@Suite(.serialized) struct SiteBuildTests {
  /// The JSON beside the figure holds the closed-form duals at the science.md §2(c) points.
  @Test func figureJSONHoldsTheDuals() throws {
    let dir = try scratch(["t.md": testReport])
    defer { try? FileManager.default.removeItem(at: dir) }
    let summary = try builder(dir).build()
    #expect(summary.reports == 1 && summary.figures == 1)
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/t/fig-t.json"))
    let fig = try JSONDecoder().decode(FigureJSON.self, from: data)
    #expect(fig.label == "fig-t" && fig.kind == "dual" && fig.report == "t")
    #expect(fig.series.map(\.name) == ["relu", "step", "exp"])
    let rho = [-1, -0.5, 0, 0.5, 0.9, 1.0]
    let relu = rho.map { ((1 - $0 * $0).squareRoot() + $0 * (Double.pi / 2 + asin($0))) / Double.pi }
    let step = rho.map { 0.5 + asin($0) / Double.pi }
    let ex = rho.map { exp($0 - 1) }
    // 1e-12 (acceptance): JSON round-trips doubles exactly, so this is the engine's accuracy.
    expectClose(fig.series[0].y, relu, absolute: 1e-12, "relu")
    expectClose(fig.series[1].y, step, absolute: 1e-12, "step")
    expectClose(fig.series[2].y, ex, absolute: 1e-12, "exp")
    #expect(fig.series[0].x == rho)
    // the page: figure, typeset math, links to the data
    let html = try String(contentsOf: dir.appendingPathComponent("_site/t/index.html"), encoding: .utf8)
    #expect(html.contains("<img src=\"fig-t.svg\""))
    #expect(html.contains("class=\"katex\""))
    #expect(html.contains("class=\"katex-display\""))
    #expect(html.contains("href=\"fig-t.csv\""))
    #expect(html.contains("alt=\"Line plot of σ̂(ρ) against ρ for ReLU, step, exp; ρ from \u{2212}1 to 1.\""), "generated alt text")
    #expect(!html.contains("SKMATH"), "no placeholder left")
    for f in ["fig-t.png", "fig-t.pdf", "fig-t.csv", "../assets/style.css", "../assets/katex/katex.min.css", "../index.html"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site/t/" + f).path), "\(f)")
    }
    let csv = try String(contentsOf: dir.appendingPathComponent("_site/t/fig-t.csv"), encoding: .utf8)
    #expect(csv.hasPrefix("series,x,y\nrelu,-1.0,0.0\n"))
  }

  /// The bundled reports built in full by `cheapestBundledReportsBuild`: the two cheapest (debug
  /// build, 2026-12-02: guide 0.65 s, duals 0.71 s, depth 3.6 s, meanfield 18 s, random 30 s).
  static let builtReports = ["duals", "guide"]

  /// Every bundled report validates and fits the budget with nothing run: the plan of the whole
  /// folder (read, validate, cost estimates) with `--strict`, so a warning anywhere (missing alt
  /// text, an unreferenced label, …) fails it.
  @Test func bundledReportsPlan() throws {
    let dir = try scratch([:])
    defer { try? FileManager.default.removeItem(at: dir) }
    var config = builder(dir).configuration
    config.reports = packageRoot.appendingPathComponent("reports")
    config.strict = true  // the bundled reports are clean: alt text everywhere, every label referenced
    let site = SiteBuilder(configuration: config, backend: CairoBackend())
    let run = BuildRun()
    try site.execute(Pipeline.plan, run)  // what `SiteBuilder.plan()` runs: read and validate
    let plans = run.plans
    let files = try FileManager.default.contentsOfDirectory(atPath: config.reports.path).filter { $0.hasSuffix(".md") }
    #expect(files.count >= 5)
    #expect(Set(plans.map(\.document.name)) == Set(files.map { String($0.dropLast(3)) }))
    #expect(run.context.warnings.isEmpty)
    var seconds: [String: Double] = [:]
    for report in plans {
      #expect(
        report.directives.count == report.document.directives.filter { !$0.kind.isEmpty }.count,
        "\(report.document.name): every directive planned")
      for d in report.directives {
        let (cost, problems) = SiteBuilder.checkBudget(d.directive, d.configured, label: d.label, budget: config.budget)
        #expect(problems.isEmpty, "\(report.document.name) \(d.label): \(problems.map(\.message))")
        seconds[report.document.name, default: 0] += cost.seconds
      }
    }
    #expect(seconds.values.reduce(0, +) < config.maxBuildSeconds)
    // The two reports built in full stay the cheapest by the estimates, so the suite stays fast.
    let cheapest = seconds.sorted { ($0.value, $0.key) < ($1.value, $1.key) }.prefix(2).map(\.key)
    #expect(Set(cheapest) == Set(Self.builtReports), "estimated seconds: \(seconds)")
  }

  /// The two cheapest bundled reports build in full with `--strict`, and the 401-point grid of
  /// `duals` holds the exact duals.
  @Test func cheapestBundledReportsBuild() throws {
    let dir = try scratch([:])
    defer { try? FileManager.default.removeItem(at: dir) }
    for f in Self.builtReports.map({ $0 + ".md" }) + ["refs.bib"] {
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("reports/\(f)"), to: dir.appendingPathComponent("reports/\(f)"))
    }
    var config = builder(dir).configuration
    config.strict = true
    let summary = try SiteBuilder(configuration: config, backend: CairoBackend()).build()
    #expect(summary.reports == Self.builtReports.count)
    #expect(summary.warnings.isEmpty)
    let fig = try JSONDecoder().decode(FigureJSON.self, from: Data(contentsOf: dir.appendingPathComponent("_site/duals/fig-duals.json")))
    #expect(fig.series[0].x.count == 401)
    for (x, y) in zip(fig.series[0].x, fig.series[0].y) {
      expectClose(y, ((1 - x * x).squareRoot() + x * (Double.pi / 2 + asin(x))) / Double.pi, absolute: 1e-12, "relu(\(x))")
    }
  }

  /// A failed build leaves the previous site byte-identical and reports the exact error.
  @Test func failedBuildKeepsTheOldSite() throws {
    let dir = try scratch(["t.md": testReport])
    defer { try? FileManager.default.removeItem(at: dir) }
    try builder(dir).build()
    let before = snapshot(dir.appendingPathComponent("_site"))
    #expect(before.count > 5)
    let broken = testReport.replacingOccurrences(of: ":activations:", with: ":activatons:")
    try broken.write(to: dir.appendingPathComponent("reports/t.md"), atomically: true, encoding: .utf8)
    do {
      try builder(dir).build()
      Issue.record("the build should have failed")
    } catch BuildError.diagnostics(let list, let sources) {
      #expect(list.count == 1)
      let text = list[0].formatted(source: sources[list[0].location.path])
      #expect(
        text.hasSuffix(
          """
          reports/t.md:12:2: error: unknown option 'activatons' for directive 'dual'; did you mean 'activations'?
             12 | :activatons: [relu, step, exp]
                |  ^~~~~~~~~~
          """))
    }
    #expect(snapshot(dir.appendingPathComponent("_site")) == before, "old site byte-identical")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("staging") || $0.contains(".old-") }
    #expect(leftovers.isEmpty)
  }

  /// A TeX error fails the build at the formula's position.
  @Test func texErrorIsLocated() throws {
    let dir = try scratch(["t.md": "# T\n\nSome $\\frac{1}{$ here.\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      try builder(dir).build()
      Issue.record("the build should have failed")
    } catch BuildError.diagnostics(let list, _) {
      #expect(list.first?.location.description == "\(list.first?.location.path ?? ""):3:6")
      #expect(list.first?.message.hasPrefix("TeX error: KaTeX parse error") == true)
    }
  }

  /// A warm build (results, figures and formulas from the cache) writes the same bytes as the cold one.
  @Test func warmBuildIsByteIdentical() throws {
    let dir = try scratch(["t.md": testReport])
    defer { try? FileManager.default.removeItem(at: dir) }
    try builder(dir, cache: true).build()
    // build.html says what the build did (computed, then from the cache): every other file is the same
    let cold = snapshot(dir.appendingPathComponent("_site")).filter { $0.key != "/build.html" }
    let summary = try builder(dir, cache: true).build()
    #expect(summary.cacheHits == 1)
    #expect(snapshot(dir.appendingPathComponent("_site")).filter { $0.key != "/build.html" } == cold)
    #expect(cold.count > 5)
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("math.json").path), "formulas cached")
  }

  /// The second build reuses every result; a changed option recomputes.
  @Test func cacheIsReused() throws {
    let dir = try scratch(["t.md": testReport])
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try builder(dir, cache: true).build().cacheHits == 0)
    #expect(try builder(dir, cache: true).build().cacheHits == 1)
    let changed = testReport.replacingOccurrences(of: "[relu, step, exp]", with: "[relu, exp]")
    try changed.write(to: dir.appendingPathComponent("reports/t.md"), atomically: true, encoding: .utf8)
    #expect(try builder(dir, cache: true).build().cacheHits == 0)
  }
}

/// The guide report uses every language feature; its HTML shows each one resolved.
@Suite struct LanguageFeatureTests {
  @Test func guideReportResolvesEverything() throws {
    let dir = try scratch([:])
    defer { try? FileManager.default.removeItem(at: dir) }
    for f in ["guide.md", "refs.bib"] {
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("reports/\(f)"), to: dir.appendingPathComponent("reports/\(f)"))
    }
    var config = builder(dir).configuration
    config.strict = true
    try SiteBuilder(configuration: config, backend: CairoBackend()).build()
    let html = try String(contentsOf: dir.appendingPathComponent("_site/guide/index.html"), encoding: .utf8)
    // cross-references: figure, table, equations (both syntaxes), section
    #expect(html.contains("<a class=\"xref\" href=\"#fig-guide-depth\">Figure 1</a>"))
    #expect(html.contains("<a class=\"xref\" href=\"#tbl-guide\">Table 1</a>"))
    #expect(html.contains("<a class=\"xref\" href=\"#eq-hermite\">Equation (1)</a>"))
    #expect(html.contains("<a class=\"xref\" href=\"#eq-derivative\">Equation (2)</a>"))
    #expect(html.contains("Section <a class=\"xref\" href=\"#sec-duals\">1</a>"), "the word before the reference is not doubled")
    #expect(!html.contains("Section <a class=\"xref\" href=\"#sec-duals\">Section"))
    #expect(html.contains("<div class=\"math display\" id=\"eq-hermite\">") && html.contains("(1)"))
    // inline values, read from results: ReLU kernel at depth 1 and ρ = 0 is 1/π
    #expect(html.contains("<span class=\"value\">0.3183</span>"))
    #expect(html.contains("<span class=\"value\">0.1592</span>"), "table cell a₂² of relu = 1/(2π)")
    // citations and the reference list in order of first citation
    #expect(html.contains("<a class=\"citation\" href=\"#ref-daniely2016\">1</a>"))
    #expect(html.contains("<li id=\"ref-daniely2016\">Amit Daniely, Roy Frostig and Yoram Singer."))
    // footnote, callouts, task list, highlighted code, GFM table
    #expect(html.contains("class=\"footnotes\""))
    #expect(html.contains("<div class=\"callout callout-note\"><p class=\"callout-title\">Note</p>"))
    #expect(html.contains("<p class=\"callout-title\">Numerical activations</p>"))
    #expect(html.contains("type=\"checkbox\""))
    #expect(html.contains("<span class=\"tok-keyword\">import</span>"))
    #expect(html.contains("<th>option</th>"))
    #expect(html.contains("alt=\"Three curves of the normalized ReLU kernel"))
    #expect(!html.contains("SKREF") && !html.contains("SKCITE") && !html.contains("SKVAL") && !html.contains("SKMATH"))
  }
}
