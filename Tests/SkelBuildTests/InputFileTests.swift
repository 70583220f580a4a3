import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import SkelTestSupport
import Testing

/// A kind that reads `inputs` and publishes the column means of its points (the build's input
/// files, their hashes in the key and their errors, without a science kind in the way).
struct ColumnMeansKind: DirectiveKind {
  struct Options: KindOptions {
    var inputs = InputsValue(.generated(law: .gaussian, n: 4, d: 2))
  }
  var name: String { "column-means" }
  var summary: String { "test" }
  var fields: [Field<Options>] { [Field("inputs", \.inputs, InputsValue.type, "inputs")] }
  var example: String { "" }
  func run(_ options: Options, context: RunContext) throws -> ExperimentResult {
    guard case .batch(let b) = try options.inputs.inputs(seed: context.seed, files: context.files) else { throw ExperimentError("pairs") }
    let d = b.size
    let means = (0..<d).map { j in (0..<b.count).reduce(0) { $0 + b.storage[$1 * d + j] } / Double(b.count) }
    return ExperimentResult(
      xlabel: "column", ylabel: "mean", xlabelTeX: "column", ylabelTeX: "mean",
      series: [SeriesData(name: "means", x: (0..<d).map(Double.init), y: means)])
  }
  func cost(_ options: Options) -> Cost {
    var b = CostBuilder()
    options.inputs.addCost(to: &b, option: "inputs")
    b.doubles([64], "small", options: [])
    b.work(64, each: UnitCost.closedKernel, "small", options: [])
    return b.cost
  }
}

@Suite struct InputFileTests {
  static let registry = ExperimentRegistry([AnyKind(ColumnMeansKind())])

  static func directive(_ label: String, _ inputs: String) -> String {
    "```{kernel} column-means\n:label: \(label)\n:alt: means\n:inputs: \(inputs)\n\nMeans.\n```\n\n"
  }

  func project() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("inputs-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports.appendingPathComponent("data"), withIntermediateDirectories: true)
    let a =
      "# A\n\n" + Self.directive("fig-x", "data/x.csv") + Self.directive("fig-y", "csv(data/y.csv, columns=[b])")
      + Self.directive("fig-g", "gaussian(n=10, d=3)") + "See @fig-x, @fig-y and @fig-g.\n"
    let b = "# B\n\n" + Self.directive("fig-x2", "data/x.csv(normalize=center)") + "See @fig-x2.\n"
    try Data(a.utf8).write(to: reports.appendingPathComponent("a.md"))
    try Data(b.utf8).write(to: reports.appendingPathComponent("b.md"))
    try Data("a,b\n1,2\n3,4\n".utf8).write(to: reports.appendingPathComponent("data/x.csv"))
    try Data("a,b\n0,10\n0,20\n".utf8).write(to: reports.appendingPathComponent("data/y.csv"))
    return dir
  }

  func builder(_ dir: URL) -> SiteBuilder {
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    return SiteBuilder(configuration: config, registry: Self.registry, backend: CairoBackend())
  }

  /// The CSV the site holds for the figure `label`.
  static func data(_ dir: URL, _ label: String) throws -> String {
    let site = dir.appendingPathComponent("_site")
    let files = FileManager.default.enumerator(atPath: site.path)?.compactMap { $0 as? String } ?? []
    let path = try #require(files.first { ($0 as NSString).lastPathComponent == "\(label).csv" }, "no \(label).csv in \(files)")
    return try String(contentsOf: site.appendingPathComponent(path), encoding: .utf8)
  }

  /// A changed file recomputes exactly the directives that read it (in both reports); an
  /// unchanged one hits; `why` names the file; the new numbers are the new file's.
  @Test func aChangedFileRecomputesExactlyItsDirectives() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try builder(dir).build()
    #expect(Set(first.recomputed) == ["a/fig-g", "a/fig-x", "a/fig-y", "b/fig-x2"], "\(first.recomputed)")
    #expect(try Self.data(dir, "fig-x") == "series,x,y\nmeans,0.0,2.0\nmeans,1.0,3.0\n")
    #expect(try Self.data(dir, "fig-y") == "series,x,y\nmeans,0.0,15.0\n")
    let second = try builder(dir).build()
    #expect(second.recomputed.isEmpty && second.cacheHits == 4)
    try Data("a,b\n1,2\n5,4\n".utf8).write(to: dir.appendingPathComponent("reports/data/x.csv"))
    let why = try builder(dir).why("fig-x")
    #expect(why.changes?.count == 1)
    #expect(why.changes?.first?.hasPrefix("input file 'data/x.csv' changed (sha256 ") == true, "\(why.changes ?? [])")
    #expect(try builder(dir).why("fig-y").changes == nil, "fig-y reads y.csv only: still in the cache")
    let third = try builder(dir).build()
    #expect(Set(third.recomputed) == ["a/fig-x", "b/fig-x2"], "\(third.recomputed)")
    #expect(third.cacheHits == 2)
    #expect(try Self.data(dir, "fig-x") == "series,x,y\nmeans,0.0,3.0\nmeans,1.0,3.0\n", "a = [1, 5], b = [2, 4]")
    #expect(try Self.data(dir, "fig-x2") == "series,x,y\nmeans,0.0,0.0\nmeans,1.0,0.0\n", "centred")
  }

  @Test func badFilesAreErrorsAtTheOptionWithTheirPosition() throws {
    func errors(_ inputs: String, files: [String: String] = [:]) throws -> [String]? {
      var all: [String: [UInt8]] = ["e.md": Array(Self.directive("fig-e", inputs).utf8)]
      for (k, v) in files { all[k] = Array(v.utf8) }
      return try buildErrors(all, registry: Self.registry)
    }
    #expect(
      try errors("p.csv", files: ["p.csv": "a,b\n1,2\n3,x\n"]) == [
        "e.md:4:10: error: option 'inputs': p.csv: line 3, column 2: 'x' in column 'b' is not a number"
      ])
    #expect(
      try errors("p.csv", files: ["p.csv": "a,b\n1,2\n3\n"]) == [
        "e.md:4:10: error: option 'inputs': p.csv: line 3, column 2: row has 1 fields; the header has 2"
      ])
    #expect(
      try errors("q.npy", files: ["q.npy": "NUMPY"]) == [
        "e.md:4:10: error: option 'inputs': q.npy: byte 0: not a NumPy .npy file (it does not start with \\x93NUMPY)"
      ])
    let missing = try #require(try errors("gone.csv"))
    #expect(
      missing.count == 1 && missing[0].hasPrefix("e.md:4:10: error: option 'inputs': 'gone.csv' not found (looked for "), "\(missing)")
    let outside = try #require(try errors("\"../secret.csv\""))  // quoted: `..` is a span outside quotes
    #expect(outside.count == 1 && outside[0].contains("outside the reports folder"), "\(outside)")
  }

  /// A symlink inside the reports folder that points outside it is refused (after resolving).
  @Test func aSymlinkOutOfTheReportsFolderIsRefused() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let secret = dir.appendingPathComponent("secret.csv")
    try Data("a\n1\n".utf8).write(to: secret)
    try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("reports/data/link.csv"), withDestinationURL: secret)
    try Data(("# C\n\n" + Self.directive("fig-l", "data/link.csv") + "See @fig-l.\n").utf8).write(
      to: dir.appendingPathComponent("reports/c.md"))
    do {
      _ = try builder(dir).build()
      Issue.record("a symlink out of the reports folder was read")
    } catch BuildError.diagnostics(let list, _) {
      #expect(
        list.count == 1 && list[0].message.contains("resolves to") && list[0].message.contains("outside the reports folder"), "\(list)")
      #expect(list[0].location.line == 6 && list[0].location.column == 10)
    }
  }
}
