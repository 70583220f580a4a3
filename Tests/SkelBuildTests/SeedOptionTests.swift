import Foundation
import SkelBuild
import SkelCairo
import SkelData
import SkelExperiments
import Testing

/// `:seed: N` (directives.md, common keys): the directive's seed in place of the derived one.
@Suite struct SeedOptionTests {
  static let body = ":inputs: gaussian(n=6, d=3)\n:network: [dense(w_std=1.3), relu, dense]\n:kernel: [nnpk]\n:networks: 3\n:width: 8"

  func build(_ directives: [(String, String)]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("seed-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
    var text = "---\ntitle: S\nseed: 99\n---\n\n"
    for (label, extra) in directives {
      text += "See @\(label).\n\n```{kernel} gram\n:label: \(label)\n:alt: g\n\(extra)\(Self.body)\n\nGram.\n```\n\n"
    }
    try Data(text.utf8).write(to: reports.appendingPathComponent("s.md"))
    let config = BuildConfiguration(
      reports: reports, output: dir.appendingPathComponent("_site"), templates: packageRoot.appendingPathComponent("templates"),
      cache: dir.appendingPathComponent(".skelcache/results"))
    _ = try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).build()
    return dir
  }

  static func matrix(_ dir: URL, _ label: String) throws -> [Double] {
    try NPY.read(Array(try Data(contentsOf: dir.appendingPathComponent("_site/s/\(label).npy")))).values
  }

  static func seed(_ dir: URL, _ label: String) throws -> UInt64? {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/s/\(label).json"))
    let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    return ((json?["provenance"] as? [String: Any])?["seed"] as? NSNumber)?.uint64Value
  }

  /// Two labels with one written seed draw the same inputs and networks (equal matrices, seed 7
  /// in the provenance); a third without it derives its own from (99, label) and differs.
  @Test func aWrittenSeedReplacesTheDerivedOne() throws {
    let dir = try build([("fig-a", ":seed: 7\n"), ("fig-b", ":seed: 7\n"), ("fig-c", "")])
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try Self.matrix(dir, "fig-a"), b = try Self.matrix(dir, "fig-b"), c = try Self.matrix(dir, "fig-c")
    #expect(a.count == 36 && a == b)
    #expect(a != c)
    #expect(try Self.seed(dir, "fig-a") == 7 && Self.seed(dir, "fig-b") == 7)
    #expect(try Self.seed(dir, "fig-c") != 7)
  }
}
