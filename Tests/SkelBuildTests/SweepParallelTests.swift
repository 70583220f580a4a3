import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import SkelMath
import Synchronization
import Testing

/// How many runs of `ProbeKind` are in flight at once, and the most there ever were.
let probeState = Mutex((running: 0, most: 0, runs: 0))

/// A kind that holds its run for a few milliseconds and counts how many of its runs overlap.
struct ProbeKind: DirectiveKind {
  struct Options: KindOptions {
    var n = 1.0
  }
  var name: String { "probe" }
  var summary: String { "counts overlapping runs (test)" }
  var fields: [Field<Options>] { [Field("n", \.n, .number(min: nil, max: nil), "a number")] }
  var example: String { "" }
  func cost(_ options: Options) -> Cost {
    var c = CostBuilder()
    c.work(1, each: 0.05, "test", options: ["n"])
    return c.cost
  }
  func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    probeState.withLock { s in
      s.running += 1
      s.runs += 1
      s.most = max(s.most, s.running)
    }
    Thread.sleep(forTimeInterval: 0.04)
    probeState.withLock { $0.running -= 1 }
    return ExperimentResult(xlabel: "x", ylabel: "y", xlabelTeX: "x", ylabelTeX: "y", series: [SeriesData(name: "n", x: [0], y: [o.n])])
  }
}

/// `:sweep:` (directives.md, "Sweeps") on the build's threads: the points of one directive run
/// side by side, and a 16-depth `spectrum` sweep on a data file is one cache entry per point, each
/// equal to the directive written out at that depth; an added point computes that point only.
@Suite(.serialized) struct SweepParallelTests {
  func build(_ dir: URL, _ files: [String: String], threads: Int, registry: ExperimentRegistry = .standard) throws -> SiteBuilder.Summary {
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports/data"), withIntermediateDirectories: true)
    for (name, text) in files { try Data(text.utf8).write(to: dir.appendingPathComponent("reports/\(name)")) }
    var config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    config.compute = Compute(threads: threads)
    return try SiteBuilder(configuration: config, registry: registry, backend: CairoBackend()).build()
  }

  func entries(_ dir: URL) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".skelcache/results").path)) ?? [])
      .filter { $0.hasSuffix(".json") }.count
  }

  /// Sixteen points on two threads: two in flight at once (all the cores), never more; on one
  /// thread, one at a time. Every point ran exactly once.
  @Test(arguments: [1, 2])
  func sweepPointsRunOnEveryThread(_ threads: Int) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweeppar-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let points = (1...16).map(String.init).joined(separator: ", ")
    let report = "# P\n\n```{kernel} probe\n:label: fig-p\n:alt: p\n:sweep: k = [\(points)]\n:n: $k\n\nSixteen.\n```\n\nSee @fig-p.\n"
    probeState.withLock { $0 = (0, 0, 0) }
    let summary = try build(dir, ["p.md": report], threads: threads, registry: ExperimentRegistry([AnyKind(ProbeKind())]))
    let state = probeState.withLock { $0 }
    #expect(summary.recomputed == ["p/fig-p"] && state.runs == 16, "\(state)")
    #expect(state.most == threads, "at most \(state.most) of 16 points ran at once on \(threads) threads")
  }

  static let csv: String = {
    var g = SeededGenerator(seed: 7)
    var text = "a,b,c\n"
    for _ in 0..<48 { text += (0..<3).map { _ in "\(Double.random(in: -1...1, using: &g))" }.joined(separator: ",") + "\n" }
    return text
  }()

  static func report(_ depths: [Int]) -> String {
    """
    # Spectrum against depth

    ```{kernel} spectrum
    :label: fig-s
    :alt: s
    :sweep: L = [\(depths.map(String.init).joined(separator: ", "))]
    :depth: $L
    :inputs: data/x.csv
    :kernels: [ntk]
    :fit: [2, 20]

    Eigenvalues of the NTK of depth L on the same 48 points; @fig-five is one of them.
    ```

    ```{kernel} spectrum
    :label: fig-five
    :alt: five
    :depth: 5
    :inputs: data/x.csv
    :kernels: [ntk]
    :fit: [2, 20]

    Depth five alone.
    ```

    """
  }

  static func series(_ dir: URL, _ label: String) throws -> [(name: String, y: [Double])] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/r/\(label).json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let series = try #require(json["series"] as? [[String: Any]])
    return series.map { ($0["name"] as? String ?? "", ($0["y"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }) }
  }

  @Test func sixteenDepthsOfSpectrumAreSixteenEntriesAndAnAddedPointIsOne() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sweepspec-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try build(dir, ["r.md": Self.report(Array(1...16)), "data/x.csv": Self.csv], threads: 2)
    #expect(Set(first.recomputed) == ["r/fig-s", "r/fig-five"])
    #expect(entries(dir) == 17, "sixteen points and the written-out directive")
    let swept = try Self.series(dir, "fig-s"), five = try Self.series(dir, "fig-five")
    #expect(swept.count == 16 && swept.map(\.name) == (1...16).map { "L=\($0)" }, "\(swept.map(\.name))")
    #expect(five.count == 1 && five[0].y.count == 48 && swept[4].y == five[0].y, "the point L=5 is the directive written out")
    // λ₁ ≥ λ₂ ≥ … ≥ 0 at each depth, and the spectra differ between depths
    for s in swept { #expect(zip(s.y, s.y.dropFirst()).allSatisfy { $0 >= $1 } && (s.y.last ?? -1) > -1e-12, "\(s.name)") }
    #expect(swept[0].y != swept[15].y)
    // one thread: the same numbers, nothing recomputed
    #expect(try build(dir, [:], threads: 1).recomputed.isEmpty)
    let added = try build(dir, ["r.md": Self.report(Array(1...17))], threads: 2)
    #expect(added.recomputed == ["r/fig-s"] && entries(dir) == 18, "the new point only: \(added.recomputed), \(entries(dir)) entries")
    let again = try Self.series(dir, "fig-s")
    #expect(again.count == 17 && Array(again.prefix(16).map(\.y)) == swept.map(\.y))
  }
}

/// The estimate of a directive on a data file counts the rows the file has: a `gram`, `predict`
/// or `fit` on a 48-row CSV is estimated as the same directive on 48 generated points of the same
/// dimension (1 % time; memory to the generated points' bytes), not as the largest file the reader allows.
@Suite struct MeasuredInputCostTests {
  @Test(arguments: ["gram", "predict", "fit"]) func aFilesEstimateIsItsRowsEstimate(_ kind: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("measured-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports/data"), withIntermediateDirectories: true)
    func directive(_ label: String, _ inputs: String) -> String {
      "```{kernel} \(kind)\n:label: \(label)\n:alt: g\n:inputs: \(inputs)\n:network: [dense(w_std=1.5), relu, dense]\n\nG.\n```\n\n"
    }
    let report = "# G\n\n" + directive("fig-file", "data/x.csv") + directive("fig-gen", "gaussian(n=48, d=3)")
    try Data(report.utf8).write(to: dir.appendingPathComponent("reports/r.md"))
    try Data(SweepParallelTests.csv.utf8).write(to: dir.appendingPathComponent("reports/data/x.csv"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    let units = try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).workPlan().units
    let file = try #require(units.first { $0.label == "fig-file" }), generated = try #require(units.first { $0.label == "fig-gen" })
    // the same but for generating the points (the file's are read: its bytes are counted apart):
    // the memory differs by at most the 48 × 3 generated numbers
    #expect(
      abs(file.seconds / generated.seconds - 1) < 0.01 && abs(file.bytes - generated.bytes) <= 48 * 3 * 8, "\(file) vs \(generated)")
    #expect(file.bytes < 1 << 20, "48 × 48 matrices: \(file.bytes) bytes")
  }
}
