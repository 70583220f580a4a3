import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

/// The `plot` directive (directives.md, "The `plot` directive"): a file's columns as a numbered,
/// exported figure; the file in the cache key; bad files and options as positioned errors.
@Suite struct PlotDirectiveTests {
  /// A float64 C-order `.npy` file of that shape, as numpy writes it.
  static func npy(_ values: [Double], shape: [Int]) -> [UInt8] {
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))), }"
    while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
    out += Array(header.utf8)
    for x in values { out += withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init) }
    return out
  }

  static let csv = "step,train_loss,run,test_loss,se\n1,1.0,a,1.25,0.1\n2,0.5,a,0.8125,0.05\n4,0.25,b,0.6,0.04\n8,0.125,b,0.55,0.03\n"
  /// Column 0 is t, column 1 is t², column 2 is 0.1 t.
  static let npyValues = [0.5, 0.25, 0.05, 1.5, 2.25, 0.15, 3, 9, 0.3]

  static let report = """
    ---
    title: Plots
    ---

    The losses are in @fig-loss, the squares in @fig-square.

    ```{plot}
    :label: fig-loss
    :data: data/training.csv
    :x: step
    :y: [train_loss, test_loss]
    :yscale: log
    :alt: train and test loss against step

    Losses against step $t$.
    ```

    ```{plot}
    :label: fig-square
    :data: data/square.npy
    :x: 0
    :y: 1
    :mark: errorbars
    :yerr: [2]
    :xlabel: $t$
    :ylabel: $t^2$
    :alt: squares

    Squares with error bars.
    ```

    """

  func project() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports.appendingPathComponent("data"), withIntermediateDirectories: true)
    try Data(Self.report.utf8).write(to: reports.appendingPathComponent("p.md"))
    try Data(Self.csv.utf8).write(to: reports.appendingPathComponent("data/training.csv"))
    try Data(Self.npy(Self.npyValues, shape: [3, 3])).write(to: reports.appendingPathComponent("data/square.npy"))
    return dir
  }

  func builder(_ dir: URL) -> SiteBuilder {
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    return SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend())
  }

  static func json(_ dir: URL, _ label: String) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/p/\(label).json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  static func series(_ json: [String: Any]) throws -> [(name: String, x: [Double], y: [Double], yerr: [Double]?)] {
    let list = try #require(json["series"] as? [[String: Any]])
    return try list.map { s in
      (
        try #require(s["name"] as? String), try #require(s["x"] as? [Double]), try #require(s["y"] as? [Double]),
        s["yerr"] as? [Double]
      )
    }
  }

  /// The JSON series are the file's columns, value for value; the CSV export too; the page
  /// numbers the figures and resolves their references; every image format is written.
  @Test func aPlotPublishesTheColumnsOfItsFile() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try builder(dir).build()
    #expect(Set(first.recomputed) == ["p/fig-loss", "p/fig-square"], "\(first.recomputed)")
    let loss = try Self.series(try Self.json(dir, "fig-loss"))
    #expect(loss.map(\.name) == ["train_loss", "test_loss"])
    #expect(loss[0].x == [1, 2, 4, 8] && loss[1].x == [1, 2, 4, 8])
    #expect(loss[0].y == [1, 0.5, 0.25, 0.125])
    #expect(loss[1].y == [1.25, 0.8125, 0.6, 0.55])
    #expect(loss[0].yerr == nil)
    let square = try Self.series(try Self.json(dir, "fig-square"))
    #expect(square.count == 1 && square[0].name == "1")
    #expect(square[0].x == [0.5, 1.5, 3] && square[0].y == [0.25, 2.25, 9] && square[0].yerr == [0.05, 0.15, 0.3])
    let squareJSON = try Self.json(dir, "fig-square")
    #expect(squareJSON["kind"] as? String == "plot" && squareJSON["xlabel"] as? String == "0")
    let csv = try String(contentsOf: dir.appendingPathComponent("_site/p/fig-square.csv"), encoding: .utf8)
    #expect(csv == "series,x,y,yerr\n1,0.5,0.25,0.05\n1,1.5,2.25,0.15\n1,3.0,9.0,0.3\n")
    for f in ["svg", "png", "pdf"] {
      let bytes = try Data(contentsOf: dir.appendingPathComponent("_site/p/fig-loss.\(f)"))
      #expect(bytes.count > 1000, "fig-loss.\(f)")
    }
    let page = try String(contentsOf: dir.appendingPathComponent("_site/p/index.html"), encoding: .utf8)
    #expect(page.contains("Figure 1") && page.contains("Figure 2"))
    #expect(page.contains("href=\"#fig-loss\"") && page.contains("href=\"#fig-square\""))
  }

  /// The file's content is in the key: a changed file recomputes its directive only, an
  /// unchanged one hits, and the new figure has the new numbers.
  @Test func aChangedFileRecomputesItsPlot() throws {
    let dir = try project()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try builder(dir).build()
    let again = try builder(dir).build()
    #expect(again.recomputed.isEmpty && again.cacheHits == 2)
    let changed = Self.csv.replacingOccurrences(of: "8,0.125,b,0.55", with: "8,0.0625,b,0.55")
    try Data(changed.utf8).write(to: dir.appendingPathComponent("reports/data/training.csv"))
    let third = try builder(dir).build()
    #expect(third.recomputed == ["p/fig-loss"] && third.cacheHits == 1, "\(third.recomputed)")
    #expect(try Self.series(try Self.json(dir, "fig-loss"))[0].y == [1, 0.5, 0.25, 0.0625])
  }

  static func directive(_ lines: String) -> String { "```{plot}\n:label: fig-e\n:alt: e\n\(lines)\n```\n\nSee @fig-e.\n" }

  func errors(_ lines: String, files: [String: [UInt8]] = [:]) throws -> [String]? {
    var all = files
    all["e.md"] = Array(Self.directive(lines).utf8)
    return try buildErrors(all, registry: .standard)
  }

  /// Bad files are errors at `:data:` with the file's own position; bad options at theirs.
  @Test func badFilesAndOptionsAreErrorsAtTheirPositions() throws {
    let csv = Array(Self.csv.utf8)
    #expect(
      try errors(":data: t.csv\n:x: step\n:y: [train_loss, nope]", files: ["t.csv": csv]) == [
        "e.md:4:8: error: option 'data': t.csv: line 1, column 1: the header has no column 'nope'; it has 'step', 'train_loss', 'run', 'test_loss', 'se'"
      ])
    #expect(
      try errors(":data: t.csv\n:x: step\n:y: run", files: ["t.csv": csv]) == [
        "e.md:4:8: error: option 'data': t.csv: line 2, column 3: 'a' in column 'run' is not a number"
      ])
    #expect(
      try errors(":data: t.csv\n:x: a\n:y: b", files: ["t.csv": Array("a,b\n1,2\n3\n".utf8)]) == [
        "e.md:4:8: error: option 'data': t.csv: line 3, column 2: row has 1 fields; the header has 2"
      ])
    #expect(
      try errors(":data: t.csv\n:x: a\n:y: b", files: ["t.csv": Array("a,b\n1,2\n3,NaN\n".utf8)]) == [
        "e.md:4:8: error: option 'data': t.csv: line 3, column 2: 'NaN' in column 'b' is not a finite number"
      ])
    let npy = Self.npy(Self.npyValues, shape: [3, 3])
    #expect(
      try errors(":data: s.npy\n:x: 0\n:y: [1, 3]", files: ["s.npy": npy]) == [
        "e.md:4:8: error: option 'data': s.npy: byte 60: the array has shape 3×3, so no column 3 (columns are 0 to 2)"
      ])
    let fourAxes = Self.npy([Double](repeating: 1, count: 8), shape: [2, 2, 2, 1])
    #expect(
      try errors(":data: c.npy\n:x: 0\n:y: 1", files: ["c.npy": fourAxes]) == [
        "e.md:4:8: error: option 'data': c.npy: byte 60: shape 2×2×2×1 is not N×d; a plot reads the columns of a 2-axis array"
      ])
    let missing = try #require(try errors(":data: gone.csv\n:x: a\n:y: b"))
    #expect(missing.count == 1 && missing[0].hasPrefix("e.md:4:8: error: option 'data': 'gone.csv' not found"), "\(missing)")
    let outside = try #require(try errors(":data: \"../secret.csv\"\n:x: a\n:y: b"))
    #expect(outside.count == 1 && outside[0].contains("outside the reports folder"), "\(outside)")
    #expect(
      try errors(":data: t.txt\n:x: a\n:y: b") == ["e.md:4:8: error: option 'data' must name a .csv or .npy file, got 't.txt'"])
    #expect(
      try errors(":x: a\n:y: b") == [
        "e.md:1:5: error: directive 'plot' needs ':data:' (a .csv or .npy file beside the report) or ':from: LABEL' (another directive's result)"
      ])
    #expect(
      try errors(":data: t.csv\n:x: step\n:y: [train_loss, test_loss]\n:mark: errorbars\n:yerr: se", files: ["t.csv": csv]) == [
        "e.md:8:8: error: mark 'errorbars' needs one ':yerr:' column per ':y:' column (2), got 1"
      ])
    #expect(
      try errors(":data: t.csv\n:x: step\n:y: test_loss\n:yerr: se", files: ["t.csv": csv]) == [
        "e.md:7:8: error: option 'yerr' is drawn only with ':mark: errorbars'"
      ])
    #expect(
      try errors(":data: s.npy\n:x: t\n:y: 1", files: ["s.npy": npy]) == [
        "e.md:5:5: error: option 'x': an .npy array's columns are numbered from 0; got 't'"
      ])
    #expect(
      try buildErrors(["e.md": Array("```{kernel} plot\n:data: t.csv\n```\n".utf8)]) == [
        "e.md:1:13: error: 'plot' is a directive of its own: write ```{plot}"
      ])
  }
}
