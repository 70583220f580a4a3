import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

/// Issue 22: when a tiled Gram matrix's tiles are units of a plan (`plan`, `shard`, `submit`,
/// and the gather `build --missing report`), the budget applies to each unit — its largest
/// tile and its gather — not to the whole directive: the NNGP Gram matrix of 100 000 inputs
/// (d = 784, L = 3) plans within the default 10 minutes, while a one-process build of it is
/// refused at the default budget. Nothing is computed.
@Suite struct TileBudgetTests {
  static func report(eigenvalues: Int = 0) -> String {
    let relu = "dense(w_std=1.4142135623730951), relu"
    return """
      # T

      ```{kernel} gram
      :label: fig-big
      :alt: g
      :inputs: gaussian(n=100000, d=784)
      :network: [\(relu), \(relu), \(relu), dense]
      :storage: tiles
      \(eigenvalues > 0 ? ":eigenvalues: \(eigenvalues)" : "")

      A large Gram matrix (@fig-big).
      ```

      """
  }

  static func builder(_ dir: URL, units: Bool) -> SiteBuilder {
    var config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    config.budgetsUnits = units
    return SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend())
  }

  static func project(_ text: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tilebudget-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/r.md"))
    return dir
  }

  @Test func aLargeTiledGramPlansWithinTheDefaultBudgetPerUnit() throws {
    let dir = try Self.project(Self.report())
    defer { try? FileManager.default.removeItem(at: dir) }
    let units = try Self.builder(dir, units: true).workPlan().units
    // ⌈100 000 / 1920⌉ = 53 tiles a side: 53·54/2 tile units, then the gram
    let tiles = units.filter { $0.tile != nil }
    #expect(tiles.count == 1431 && units.count == 1432)
    let limit = Budget.standard.seconds
    #expect(units.allSatisfy { $0.seconds <= limit }, "\(units.map(\.seconds).max() ?? 0) s")
    let whole = tiles.reduce(0) { $0 + $1.seconds }
    #expect(whole > 10 * limit, "the directive as a whole is far over: \(whole) s")
    // a full tile is 1920² of the 5·10⁹ entries of the upper triangle's tiles
    let full = try #require(tiles.first).seconds
    #expect(abs(full / whole - 1920.0 * 1920 / Double(tiles.reduce(0) { $0 + Self.entries($1) })) < 1e-12)
    // the same report built in one process: refused before anything runs, at the budget
    do {
      _ = try Self.builder(dir, units: false).workPlan()
      Issue.record("a one-process plan of the whole directive was not refused")
    } catch BuildError.diagnostics(let problems, _) {
      #expect(problems.count == 1 && problems[0].message.contains("--max-minutes"), "\(problems.map(\.message))")
      #expect(problems[0].message.contains("directive 'fig-big' (gram) would need about"), "\(problems[0].message)")
    }
  }

  static func entries(_ u: WorkUnit) -> Int {
    guard let t = u.tile else { return 0 }
    return min(t.size, t.order - t.row * t.size) * min(t.size, t.order - t.column * t.size)
  }

  /// A unit over budget is still refused, named as the largest unit: here the gather, whose
  /// block Lanczos reads the 40 GB of tiles at each of its passes.
  @Test func aGatherOverBudgetIsRefusedAsTheGather() throws {
    let dir = try Self.project(Self.report(eigenvalues: 20))
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      _ = try Self.builder(dir, units: true).workPlan()
      Issue.record("the gather's block Lanczos over budget was not refused")
    } catch BuildError.diagnostics(let problems, _) {
      #expect(problems.count == 1, "\(problems.map(\.message))")
      #expect(problems.first?.message.contains("the gather of 1431 tiles") == true, "\(problems.map(\.message))")
      #expect(problems.first?.location.line == 9, "at :eigenvalues:, the option driving it: \(problems.map(\.location))")
    }
  }
}
