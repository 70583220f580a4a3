import Foundation
import Testing

/// Issue 22, first part: `skelreport plan` splits a build into units, `skelreport shard` computes
/// a balanced part of them into a (shared) cache, and `skelreport build` then finds every unit
/// there and gives the site a one-process build gives.
@Suite(.serialized) struct ClusterTests {
  static let reportA = """
    ---
    title: A
    seed: 11
    ---

    ```{kernel} dual
    :label: fig-a1
    :rho: linspace(-1, 1, 11)

    Duals.
    ```

    ```{kernel} dual
    :label: fig-a2
    :rho: linspace(-1, 1, 21)
    :activations: [relu]

    One dual.
    ```

    ```{kernel} dual
    :label: fig-a3
    :rho: [0, 0.5, 1]
    :method: hermite

    Hermite duals.
    ```

    """
  static let reportB = """
    ---
    title: B
    seed: 12
    ---

    ```{kernel} hermite-table
    :label: tbl-b1
    :activations: [relu, step]

    Coefficients.
    ```

    ```{kernel} dual
    :label: fig-b2
    :rho: linspace(-1, 1, 31)
    :derivative: true

    Derivative duals.
    ```

    """
  static let labels: Set = ["fig-a1", "fig-a2", "fig-a3", "tbl-b1", "fig-b2"]

  /// A folder with the two reports; removed by the caller.
  /// `plan --out` never replaces a report, a cache entry or a file that is not a plan.
  @Test func planOutputNeverReplacesOtherFiles() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let reports = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("reports").path).filter {
      $0.hasSuffix(".md")
    }
    let victim = try #require(reports.first)
    let before = try Data(contentsOf: dir.appendingPathComponent("reports/\(victim)"))
    try "my notes".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    for out in ["reports/\(victim)", "reports/new.json", "notes.txt", ".skelcache/p.json", "reports"] {
      let r = try run(["plan", "reports", "--out", out, "-q"], in: dir)
      #expect(r.status == 2 && r.stderr.contains("refusing to write the plan"), "\(out): \(r.status) \(r.stderr)")
    }
    #expect(try Data(contentsOf: dir.appendingPathComponent("reports/\(victim)")) == before)
    #expect(try String(contentsOf: dir.appendingPathComponent("notes.txt"), encoding: .utf8) == "my notes")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("reports/new.json").path))
    // its own plan may be written again
    #expect(try run(["plan", "reports", "-q"], in: dir).status == 0)
    #expect(try run(["plan", "reports", "-q"], in: dir).status == 0)
  }

  static func project() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-cluster-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try reportA.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    try reportB.write(to: dir.appendingPathComponent("reports/b.md"), atomically: true, encoding: .utf8)
    return dir
  }

  static func plan(_ dir: URL) throws -> [String: Any] {
    let r = try run(["plan", "reports", "--out", "plan.json"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let data = try Data(contentsOf: dir.appendingPathComponent("plan.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// `N computed` in a shard's last line.
  static func computed(_ r: Run) -> Int? {
    guard let line = r.stdout.split(separator: "\n").last(where: { $0.hasPrefix("shard ") }) else { return nil }
    let parts = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    return parts.first(where: { $0.hasSuffix(" computed") }).flatMap { Int($0.split(separator: " ")[0]) }
  }

  /// The results cache's entries (`<key>.json`) and anything else left in the folder.
  static func cacheFiles(_ dir: URL, _ cache: String) -> (entries: [String], other: [String]) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(cache + "/results").path)) ?? []
    let entries = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
    return (entries.sorted(), names.filter { !entries.contains($0) }.sorted())
  }

  /// What is wrong with a cache entry, checked here independently of the tool: its first line a
  /// JSON header naming the entry's own key, the payload's length, and its SHA-256 (by
  /// `sha256sum`); `nil` when it is valid.
  static func entryProblem(_ url: URL) throws -> String? {
    let data = try Data(contentsOf: url)
    guard let newline = data.firstIndex(of: 0x0A),
      let header = try JSONSerialization.jsonObject(with: data[..<newline]) as? [String: Any]
    else { return "no header line" }
    let payload = data[(newline + 1)...]
    if header["key"] as? String != url.deletingPathExtension().lastPathComponent { return "the header names key \(header["key"] ?? "")" }
    if header["bytes"] as? Int != payload.count { return "\(payload.count) payload bytes, the header says \(header["bytes"] ?? "")" }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    try p.run()
    input.fileHandleForWriting.write(Data(payload))
    try input.fileHandleForWriting.close()
    let digest = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).prefix(64)
    p.waitUntilExit()
    return header["sha256"] as? String == String(digest) ? nil : "payload SHA-256 \(digest), the header says \(header["sha256"] ?? "")"
  }

  /// A site's files by path relative to `site`.
  static func site(_ dir: URL, _ name: String) -> [String: Data] {
    let base = dir.appendingPathComponent(name).resolvingSymlinksInPath().path + "/"
    var out: [String: Data] = [:]
    for (path, data) in files(dir.appendingPathComponent(name).resolvingSymlinksInPath()) {
      out[path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path] = data
    }
    return out
  }

  static func build(_ dir: URL, cache: String, out: String) throws -> Run {
    let templates = root.appendingPathComponent("templates").path
    return try run(["build", "reports", "--out", out, "--templates", templates, "--cache-dir", cache, "--reproducible"], in: dir)
  }

  @Test func planListsEveryDirectiveWithEstimates() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let plan = try Self.plan(dir)
    #expect(plan["format"] as? String == "skelreport-plan/1")
    #expect((plan["engine"] as? String)?.hasPrefix("0.1.0+") == true)
    #expect(plan["reports"] as? String == dir.appendingPathComponent("reports").standardizedFileURL.path)
    let units = try #require(plan["units"] as? [[String: Any]])
    #expect(units.compactMap { $0["label"] as? String } == ["fig-a1", "fig-a2", "fig-a3", "tbl-b1", "fig-b2"])
    #expect(units.compactMap { $0["report"] as? String } == ["a", "a", "a", "b", "b"])
    #expect(units.compactMap { $0["kind"] as? String } == ["dual", "dual", "dual", "hermite-table", "dual"])
    for u in units {
      #expect((u["seconds"] as? Double ?? 0) > 0, "\(u)")
      #expect((u["bytes"] as? Int ?? 0) > 0, "\(u)")
      #expect((u["depends"] as? [String]) == [])
      #expect((u["key"] as? String)?.count == 64)
    }
    #expect(Set(units.compactMap { $0["key"] as? String }).count == 5)
    let first = try Data(contentsOf: dir.appendingPathComponent("plan.json"))
    _ = try Self.plan(dir)
    #expect(try Data(contentsOf: dir.appendingPathComponent("plan.json")) == first, "the same reports give the same plan bytes")
  }

  @Test func shardsComputeEveryUnitOnceAndTheBuildFindsThem() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.plan(dir)
    var total = 0
    for i in 0..<3 {
      let r = try run(["shard", "plan.json", "--index", "\(i)", "--of", "3", "--cache-dir", "shared"], in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let n = try #require(Self.computed(r), "\(r.stdout)")
      #expect(n >= 1, "3 shards of 5 units: each gets at least one")
      total += n
    }
    #expect(total == 5)
    #expect(Self.cacheFiles(dir, "shared").entries.count == 5)
    #expect(Self.cacheFiles(dir, "shared").other == [], "no temporary file is left")
    let again = try run(["shard", "plan.json", "--index", "1", "--of", "3", "--cache-dir", "shared"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(Self.computed(again) == 0)
    #expect(again.stdout.contains("already in the cache"))
    let gathered = try Self.build(dir, cache: "shared", out: "_site")
    #expect(gathered.status == 0, "\(gathered.stderr)")
    #expect(gathered.stdout.contains("(5 from cache)"), "\(gathered.stdout)")
    let single = try Self.build(dir, cache: "alone", out: "_single")
    #expect(single.status == 0, "\(single.stderr)")
    #expect(single.stdout.contains("(0 from cache; recomputed: "), "\(single.stdout)")
    let sharded = Self.site(dir, "_site"), whole = Self.site(dir, "_single")
    #expect(!sharded.isEmpty)
    #expect(sharded.keys.sorted() == whole.keys.sorted())
    #expect(sharded.keys.filter { sharded[$0] != whole[$0] }.sorted() == [])
  }

  /// Eight processes at once on one cache, over overlapping shards (three compute everything,
  /// five split it in halves and thirds; two find their index in SLURM_ARRAY_TASK_ID or
  /// JOB_COMPLETION_INDEX): every entry valid (its header, key, length and SHA-256 checked here,
  /// by `sha256sum`, and again by the build), nothing left over, the build identical.
  @Test func concurrentOverlappingShardsLeaveAValidCache() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    _ = try Self.plan(dir)
    let jobs: [([String], [String: String])] = [
      (["--index", "0", "--of", "1"], [:]), (["--index", "0", "--of", "1"], [:]), (["--index", "0", "--of", "2"], [:]),
      (["--of", "2"], ["SLURM_ARRAY_TASK_ID": "1"]), (["--index", "0", "--of", "1"], [:]), (["--index", "0", "--of", "3"], [:]),
      (["--index", "1", "--of", "3"], [:]), (["--of", "3"], ["JOB_COMPLETION_INDEX": "2"]),
    ]
    try runShardsAtOnce(jobs, in: dir)
    #expect(Self.cacheFiles(dir, "shared").entries.count == 5)
    #expect(Self.cacheFiles(dir, "shared").other == [])
    for entry in Self.cacheFiles(dir, "shared").entries {
      #expect(try Self.entryProblem(dir.appendingPathComponent("shared/results/" + entry)) == nil, "\(entry)")
    }
    let gathered = try Self.build(dir, cache: "shared", out: "_site")
    #expect(gathered.status == 0, "\(gathered.stderr)")
    #expect(gathered.stdout.contains("(5 from cache)"), "\(gathered.stdout)")
    #expect(!gathered.stderr.contains("damaged"), "every entry verifies (header, length, SHA-256)")
    let single = try Self.build(dir, cache: "alone", out: "_single")
    #expect(single.status == 0, "\(single.stderr)")
    let sharded = Self.site(dir, "_site"), whole = Self.site(dir, "_single")
    #expect(sharded.keys.sorted() == whole.keys.sorted())
    #expect(sharded.keys.filter { sharded[$0] != whole[$0] }.sorted() == [])
  }

  @Test func anotherEnginesPlanOrAStaleKeyIsRefused() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    var plan = try Self.plan(dir)
    let engine = try #require(plan["engine"] as? String)
    plan["engine"] = "0.0.9+0123abcd"
    try JSONSerialization.data(withJSONObject: plan).write(to: dir.appendingPathComponent("other.json"))
    let refused = try run(["shard", "other.json", "--index", "0", "--cache-dir", "shared"], in: dir)
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("0.0.9+0123abcd") && refused.stderr.contains(engine), "\(refused.stderr)")
    #expect(Self.cacheFiles(dir, "shared").entries == [])

    var units = try #require(plan["units"] as? [[String: Any]])
    let stale = String(repeating: "ab", count: 32)
    units[0]["key"] = stale
    plan["units"] = units
    plan["engine"] = engine
    try JSONSerialization.data(withJSONObject: plan).write(to: dir.appendingPathComponent("stale.json"))
    let missing = try run(["shard", "stale.json", "--index", "0", "--of", "1", "--cache-dir", "shared"], in: dir)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains(stale), "\(missing.stderr)")

    let noIndex = try run(["shard", "plan.json", "--cache-dir", "shared"], in: dir)
    #expect(noIndex.status == 2)
    #expect(noIndex.stderr.contains("SLURM_ARRAY_TASK_ID"), "\(noIndex.stderr)")
    let outside = try run(["shard", "plan.json", "--index", "3", "--of", "3", "--cache-dir", "shared"], in: dir)
    #expect(outside.status == 2)
    #expect(outside.stderr.contains("shard index 3 is not in 0..<3"), "\(outside.stderr)")
    let none = try run(["shard", "plan.json", "--index", "0", "--of", "0", "--cache-dir", "shared"], in: dir)
    #expect(none.status == 2)
    #expect(none.stderr.contains("--of must be at least 1"), "\(none.stderr)")
    #expect(Self.cacheFiles(dir, "shared").entries == [])
  }
}
