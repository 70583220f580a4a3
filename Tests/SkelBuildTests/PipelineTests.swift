import Foundation
import SkelBuild
import SkelCairo
import SkelMath
import SkelTestSupport
import Testing

@Suite struct PipelineTests {
  func project() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
    let text = "# P\n\n```{kernel} dual\n:label: fig-p\n:activations: [relu]\n:rho: [0, 0.5, 1]\n\nDuals (@fig-p).\n```\n"
    try Data(text.utf8).write(to: reports.appendingPathComponent("p.md"))
    return dir
  }

  func builder(_ dir: URL, templates: URL = packageRoot.appendingPathComponent("templates")) -> SiteBuilder {
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"), templates: templates,
      cache: dir.appendingPathComponent(".skelcache/results"))
    return SiteBuilder(configuration: config, backend: CairoBackend())
  }

  /// Warnings and timings belong to one build: a second build on the same builder reports its
  /// own (before, it returned the first build's warnings as well).
  @Test func eachBuildHasItsOwnWarningsAndTimings() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let b = builder(dir)
    let first = try b.build(), second = try b.build()
    #expect(first.warnings.count == 1 && first.warnings[0].contains("has no :alt: text"))
    #expect(second.warnings == first.warnings)
    #expect(first.cacheHits == 0 && second.cacheHits == 1)
    #expect(first.recomputed == ["p/fig-p"] && second.recomputed.isEmpty)  // the summary line names them
    // the build page says which came from the cache (issue 20)
    let page = try String(contentsOf: dir.appendingPathComponent("_site/build.html"), encoding: .utf8)
    #expect(page.contains("<a href=\"p/index.html#fig-p\">p/fig-p</a></td><td>dual</td><td>cache</td>"), "\(page)")
    #expect(page.contains("1 directive: 1 from the cache, 0 computed") && page.contains("<td>Run experiments</td>"))
    #expect(HTMLSafety.violations(in: page).isEmpty)
    #expect(first.timings.map(\.step) == SiteBuilder.siteSteps && second.timings.map(\.step) == SiteBuilder.siteSteps)
    #expect(
      SiteBuilder.siteSteps == [
        "Read reports", "Validate directives", "Lock the output", "Typeset math", "Run experiments", "Typeset tables",
        "Draw figures", "Render pages", "Write site",
      ])
  }

  /// The executor prints `[i/n] name` for every step and tags a step's failure with its name.
  @Test func stepsArePrintedAndFailuresTagged() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    final class Lines: @unchecked Sendable {
      var items: [String] = []
      let lock = NSLock()
      func add(_ s: String) { lock.withLock { items.append(s) } }
    }
    let lines = Lines()
    let config = builder(dir, templates: dir.appendingPathComponent("no-templates")).configuration
    let b = SiteBuilder(configuration: config, backend: CairoBackend(), log: { lines.add($0) })
    do {
      try b.build()
      Issue.record("the build should fail without templates")
    } catch BuildError.stage(let name, let message) {
      #expect(name == "Render pages" && message.contains("no templates folder"), "\(name): \(message)")
    }
    #expect(
      lines.items.filter { $0.hasPrefix("[") }.map { String($0.prefix(while: { $0 != "(" })).trimmingCharacters(in: .whitespaces) } == [
        "[1/9] Read reports", "[2/9] Validate directives", "[3/9] Lock the output", "[4/9] Typeset math", "[5/9] Run experiments",
        "[6/9] Typeset tables", "[7/9] Draw figures", "[8/9] Render pages",
      ])
  }

  /// A directive with a bad option keeps its label: the references and inline values that name
  /// it are not reported as unknown (issue 20), only its own error is.
  @Test func aFailedDirectiveKeepsItsLabel() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let text =
      "# C\n\nSee @fig-a and {val}`fig-a.y[relu, rho=0]`, and @fig-nowhere.\n\n```{kernel} dual\n:label: fig-a\n:activations: [relu]\n:rho: [0, 2]\n:alt: x\n\nDuals.\n```\n"
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/p.md"))
    do {
      _ = try builder(dir).plan()
      Issue.record("the plan should fail")
    } catch BuildError.diagnostics(let problems, _) {
      #expect(
        problems.map(\.message) == ["unknown reference '@fig-nowhere'", "option 'rho' has a point 2.0 outside [-1, 1]"],
        "\(problems.map(\.message))")
    }
  }

  /// A TeX error is reported before any experiment runs (issue 20): no result is computed.
  @Test func texErrorsComeBeforeAnyRun() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let text =
      "# T\n\nBroken $\\frac{1}{$ math.\n\n```{kernel} dual\n:label: fig-t\n:activations: [relu]\n:rho: [0, 0.5]\n:alt: x\n\nDuals (@fig-t).\n```\n"
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/p.md"))
    let lines = LockedLines()
    let config = builder(dir).configuration
    do {
      try SiteBuilder(configuration: config, backend: CairoBackend(), log: { lines.add($0) }).build()
      Issue.record("the build should fail")
    } catch BuildError.diagnostics(let problems, _) {
      #expect(problems.count == 1 && problems[0].message.hasPrefix("TeX error"), "\(problems.map(\.message))")
    }
    #expect(!lines.items.contains { $0.contains("Run experiments") })
    let results = dir.appendingPathComponent(".skelcache/results")
    #expect(((try? FileManager.default.contentsOfDirectory(atPath: results.path)) ?? []).isEmpty)
  }

  /// One and two threads (directives side by side, and inside them) give the same files.
  @Test func resultsDoNotDependOnTheThreadCount() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let more =
      "# Q\n\n```{kernel} depth\n:label: fig-q\n:alt: q\n:depths: [1, 3]\n:rho: [0, 0.5, 1]\n\nDepth (@fig-q).\n```\n\n"
      + "```{kernel} weights\n:label: fig-w\n:alt: w\n:samples: 2000\n\nWeights (@fig-w).\n```\n"
    try Data(more.utf8).write(to: dir.appendingPathComponent("reports/q.md"))
    func site(_ threads: Int) throws -> [String: Data] {
      var config = builder(dir).configuration
      config.cache = nil
      config.reproducible = true
      config.compute = Compute(threads: threads)
      config.output = dir.appendingPathComponent("site\(threads)")
      try SiteBuilder(configuration: config, backend: CairoBackend()).build()
      let root = config.output
      var out: [String: Data] = [:]
      for case let f as String in FileManager.default.enumerator(atPath: root.path) ?? FileManager.DirectoryEnumerator() {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: root.appendingPathComponent(f).path, isDirectory: &isDir), !isDir.boolValue {
          out[f] = try Data(contentsOf: root.appendingPathComponent(f))
        }
      }
      return out
    }
    let one = try site(1), two = try site(2)
    #expect(one.count > 10 && one == two)
  }
}

final class LockedLines: @unchecked Sendable {
  private(set) var items: [String] = []
  private let lock = NSLock()
  func add(_ s: String) { lock.withLock { items.append(s) } }
}
