import Foundation
import SkelFuzzing
import Testing

/// Replays the fuzzer's seed corpus and every input it ever found crashing (`make fuzz` writes
/// them to Tests/Fuzz/crashes) through the same entry point: a regression would trap here.
@Suite struct FuzzReplayTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

  func inputs(_ folder: String) -> [URL] {
    let dir = Self.root.appendingPathComponent("Fuzz/" + folder)
    return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
      .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
  }

  @Test func seedsAndCrashesReturn() throws {
    let seeds = inputs("corpus"), crashes = inputs("crashes")
    #expect(seeds.count >= 40)
    for url in seeds + crashes {
      FuzzEntry.run(Array(try Data(contentsOf: url)))
    }
  }

  /// The entry really reaches the parsers: a hostile input of each target returns.
  @Test func eachTargetTakesHostileInput() {
    let deep = String(repeating: "(", count: 50_000) + "x" + String(repeating: ")", count: 50_000)
    FuzzEntry.run([0] + Array("---\ntitle: [\(String(repeating: "[", count: 5000))\n---\n".utf8))
    FuzzEntry.run([1, 3] + Array(deep.utf8))
    FuzzEntry.run([2] + Array(deep.utf8))
    FuzzEntry.run([3] + Array("@article{a, title = {\(String(repeating: "{", count: 100_000))".utf8))
  }
}
