import Dispatch
import Foundation
import SkelExperiments
import Testing

@testable import SkelBuild

/// Cache writes for a shared folder (issue 22): a temporary name, fsync, then link or rename; a
/// valid entry another writer left first is kept; concurrent writers of one key leave one whole,
/// verified entry and no temporary file.
@Suite struct AtomicWriteTests {
  static func folder() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  @Test func writesKeepsOrReplaces() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let url = dir.appendingPathComponent("sub/entry.json")
    #expect(try AtomicFile.write(Data("first".utf8), to: url) == .written)
    #expect(try Data(contentsOf: url) == Data("first".utf8))
    #expect(try AtomicFile.write(Data("second".utf8), to: url, keepExisting: { _ in true }) == .kept)
    #expect(try Data(contentsOf: url) == Data("first".utf8))
    #expect(try AtomicFile.write(Data("third".utf8), to: url, keepExisting: { _ in false }) == .written)
    #expect(try Data(contentsOf: url) == Data("third".utf8))
    #expect(try AtomicFile.write(Data(), to: dir.appendingPathComponent("empty")) == .written)
    #expect(try Data(contentsOf: dir.appendingPathComponent("empty")).isEmpty)
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("sub").path)
    #expect(names == ["entry.json"], "no temporary file is left")
  }

  @Test func aFailedWriteLeavesNothing() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let blocker = dir.appendingPathComponent("file")
    try Data("x".utf8).write(to: blocker)
    #expect(throws: (any Error).self) { try AtomicFile.write(Data("y".utf8), to: blocker.appendingPathComponent("inside.json")) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["file"])
  }

  /// Eight writers store one key at once with different run times (different bytes): the entry
  /// verifies, holds one writer's bytes whole, and a later store of a valid entry keeps it.
  @Test func concurrentStoresOfOneKeyLeaveOneValidEntry() throws {
    let dir = try Self.folder()
    defer { try? FileManager.default.removeItem(at: dir) }
    let cache = ResultCache(directory: dir)
    let key = String(repeating: "cd", count: 32)
    let result = ExperimentResult(
      xlabel: "ρ", ylabel: "κ", xlabelTeX: "\\rho", ylabelTeX: "\\kappa",
      series: [SeriesData(name: "relu", x: (0...2000).map { Double($0) / 1000 - 1 }, y: Array(repeating: 0.5, count: 2001))])
    for _ in 0..<5 {
      try? FileManager.default.removeItem(at: dir.appendingPathComponent(key + ".json"))
      DispatchQueue.concurrentPerform(iterations: 8) { i in
        cache.store(ResultCache.Entry(result: result, seconds: Double(i + 1)), key: key, kind: "dual", keepingValid: true)
      }
      let entry = try #require(cache.load(key, kind: "dual", warn: { Issue.record("\($0)") }))
      #expect(entry.result == result)
      #expect((1...8).contains(entry.seconds))
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [key + ".json"])
    }
    let before = try Data(contentsOf: dir.appendingPathComponent(key + ".json"))
    cache.store(ResultCache.Entry(result: result, seconds: 99), key: key, kind: "dual", keepingValid: true)
    #expect(try Data(contentsOf: dir.appendingPathComponent(key + ".json")) == before, "a valid entry is never rewritten")
    try Data("damaged".utf8).write(to: dir.appendingPathComponent(key + ".json"))
    cache.store(ResultCache.Entry(result: result, seconds: 99), key: key, kind: "dual", keepingValid: true)
    #expect(cache.load(key, kind: "dual")?.seconds == 99, "a damaged entry is replaced")
    cache.store(ResultCache.Entry(result: result, seconds: 7), key: key, kind: "dual")
    #expect(cache.load(key, kind: "dual")?.seconds == 7, "a plain store overwrites")
  }
}
