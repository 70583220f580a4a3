import Foundation
import Testing

/// Issue 22: a tiled Gram matrix's tiles are units of the plan (`tiles/<key>/<i>-<j>`, with
/// estimates), the directive depends on them; `skelreport shard` computes its tiles into the
/// shared cache (several processes at once, overlapping), `skelreport build --missing report`
/// only gathers, and the site is the one-process build's, byte for byte.
@Suite(.serialized) struct TileUnitsTests {
  /// 3900 inputs in 1920-tiles: 3 tiles a side (the last 60 wide), 6 tiles of the upper triangle
  /// per kernel; two kernels, so each tile unit writes two tile files.
  static let report = """
    ---
    title: Tiles
    seed: 3
    ---

    ```{kernel} gram
    :label: fig-big
    :inputs: gaussian(n=3900, d=8)
    :network: [dense(w_std=1.4142135623730951, b_std=0.2), relu, dense(w_std=1.4142135623730951, b_std=0.2), relu, dense]
    :kernel: [nngp, ntk]
    :storage: tiles
    :eigenvalues: 4

    A tiled Gram matrix.
    ```

    ```{kernel} dual
    :label: fig-small
    :rho: linspace(-1, 1, 11)

    Duals.
    ```

    """

  static func project() throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-tiles-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try report.write(to: dir.appendingPathComponent("reports/t.md"), atomically: true, encoding: .utf8)
    return dir
  }

  static func units(_ dir: URL) throws -> [[String: Any]] {
    let plan = try ClusterTests.plan(dir)
    return try #require(plan["units"] as? [[String: Any]])
  }

  static func gather(_ dir: URL, cache: String, out: String, missing: String = "report") throws -> Run {
    let templates = root.appendingPathComponent("templates").path
    return try run(
      ["build", "reports", "--out", out, "--templates", templates, "--cache-dir", cache, "--reproducible", "--missing", missing], in: dir)
  }

  /// Every file in the directive's tile folder.
  static func tileFiles(_ dir: URL, cache: String) -> [String] {
    let tiles = dir.appendingPathComponent(cache + "/results/tiles")
    let keys = (try? FileManager.default.contentsOfDirectory(atPath: tiles.path)) ?? []
    return keys.flatMap { k in
      ((try? FileManager.default.contentsOfDirectory(atPath: tiles.appendingPathComponent(k).path)) ?? []).map { "\(k)/\($0)" }
    }.sorted()
  }

  @Test func planListsEveryTileAsAUnitTheDirectiveDependsOn() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let units = try Self.units(dir)
    #expect(units.count == 8, "6 tiles, the gram, the dual")
    let gram = try #require(units.first { $0["label"] as? String == "fig-big" })
    let key = try #require(gram["key"] as? String)
    let pairs = ["0-0", "0-1", "0-2", "1-1", "1-2", "2-2"]
    let tiles = units.filter { $0["tile"] != nil }
    #expect(tiles.compactMap { $0["key"] as? String } == pairs.map { "tiles/\(key)/\($0)" })
    #expect(gram["depends"] as? [String] == pairs.map { "tiles/\(key)/\($0)" })
    #expect(units.firstIndex { $0["label"] as? String == "fig-big" } == 6, "the tiles come before the directive that reads them")
    for t in tiles {
      let info = try #require(t["tile"] as? [String: Any])
      #expect(info["directive"] as? String == key && info["order"] as? Int == 3900 && info["size"] as? Int == 1920)
      #expect(info["stores"] as? [String] == ["nngp", "ntk"])
      #expect((t["bytes"] as? Int ?? 0) > 3 * 1920 * 1920 * 8, "a tile unit holds a few tiles: \(t)")
      #expect(t["depends"] as? [String] == [])
    }
    // the estimate shared by entries: a full tile 1920², the last column 1920 × 60
    let seconds = Dictionary(uniqueKeysWithValues: tiles.map { ($0["key"] as! String, $0["seconds"] as! Double) })
    let full = try #require(seconds["tiles/\(key)/0-1"]), edge = try #require(seconds["tiles/\(key)/0-2"])
    let corner = try #require(seconds["tiles/\(key)/2-2"])
    #expect(full > 0 && abs(edge / full - 60.0 / 1920) < 1e-12 && abs(corner / full - 3600.0 / (1920 * 1920)) < 1e-12)
    #expect(seconds["tiles/\(key)/0-0"] == full, "a diagonal tile is estimated as all its entries")
    // the directive itself reads the tiles and runs block Lanczos on them: its memory is a tile
    // unit's and the Lanczos basis (block 12, 200 columns: basis, images, product), which no tile
    // unit holds
    let gather = try #require(gram["seconds"] as? Double)
    #expect(gather > 0)
    let gramBytes = try #require(gram["bytes"] as? Int), tileBytes = try #require(tiles.first?["bytes"] as? Int)
    #expect(gramBytes - tileBytes == 3 * 3900 * 200 * 8, "\(gramBytes) − \(tileBytes)")
  }

  /// Eight processes at once on one cache over overlapping shares (three shards of a 3-way
  /// split, two of a 2-way split — one finding its index in SLURM_ARRAY_TASK_ID — and three
  /// computing the whole plan): every tile written once, no temporary file left, every tile
  /// vouched for by the sums files with one checksum and byte-identical to the one-process
  /// build's tile; the gather computes no tile, and reads and checks every tile when the gram's
  /// result is not in the cache; both sites equal the one-process build's.
  @Test func concurrentShardsComputeTheTilesAndTheBuildOnlyGathers() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let units = try Self.units(dir)
    let key = try #require(units.first { $0["label"] as? String == "fig-big" }?["key"] as? String)
    let jobs: [([String], [String: String])] = [
      (["--index", "0", "--of", "3"], [:]), (["--index", "1", "--of", "3"], [:]), (["--index", "2", "--of", "3"], [:]),
      (["--index", "0", "--of", "2"], [:]), (["--of", "2"], ["SLURM_ARRAY_TASK_ID": "1"]), (["--index", "0", "--of", "1"], [:]),
      (["--index", "0", "--of", "1"], [:]), (["--index", "0", "--of", "1"], [:]),
    ]
    try runShardsAtOnce(jobs, in: dir)
    let files = Self.tileFiles(dir, cache: "shared")
    let tiles = files.filter { $0.hasSuffix(".npy") }
    #expect(tiles.count == 12, "\(files)")
    #expect(files.filter { $0.hasSuffix(".tmp") } == [], "no temporary file is left: \(files)")
    let sums = Self.vouchedSums(dir, cache: "shared", key: key)
    #expect(sums.conflicting == [], "no two sums files disagree on a tile")
    #expect(sums.vouched.sorted() == tiles.map { String($0.dropFirst(key.count + 1).dropLast(4)) }.sorted(), "every tile vouched for")
    let gathered = try Self.gather(dir, cache: "shared", out: "_site")
    #expect(gathered.status == 0, "\(gathered.stderr)")
    #expect(gathered.stdout.contains("(2 from cache)"), "the whole-plan shards computed the gram from its tiles: \(gathered.stdout)")
    let single = try Self.gather(dir, cache: "alone", out: "_single", missing: "compute")
    #expect(single.status == 0, "\(single.stderr)")
    for t in tiles {
      let shared = dir.appendingPathComponent("shared/results/tiles/" + t), alone = dir.appendingPathComponent("alone/results/tiles/" + t)
      #expect(try Data(contentsOf: shared) == Data(contentsOf: alone), "\(t) is the one-process build's tile")
    }
    // the gram's result removed: the gather reads every tile (size, header, XXH3 checked) and computes none
    try FileManager.default.removeItem(at: dir.appendingPathComponent("shared/results/\(key).json"))
    let reread = try Self.gather(dir, cache: "shared", out: "_reread")
    #expect(reread.status == 0, "\(reread.stderr)")
    #expect(reread.stdout.contains("(1 from cache") && !reread.stderr.contains("damaged"), "\(reread.stdout)")
    let whole = ClusterTests.site(dir, "_single")
    for name in ["_site", "_reread"] {
      let sharded = ClusterTests.site(dir, name)
      #expect(!sharded.isEmpty && sharded.keys.sorted() == whole.keys.sorted())
      #expect(sharded.keys.filter { sharded[$0] != whole[$0] }.sorted() == [], "\(name)")
    }
  }

  /// The tiles the sums files of the directive's tile folder vouch for ("nngp-0-1"), and those
  /// two files give different checksums for.
  static func vouchedSums(_ dir: URL, cache: String, key: String) -> (vouched: Set<String>, conflicting: Set<String>) {
    let folder = dir.appendingPathComponent(cache + "/results/tiles/" + key)
    var sums: [String: String] = [:], conflicting: Set<String> = []
    for f in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where f.contains(".sums.") && !f.hasSuffix(".tmp") {
      let store = String(f.prefix { $0 != "." })
      let text = (try? String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: " ")
        guard parts.count == 2 else { continue }
        let tile = "\(store)-\(parts[0])"
        if let old = sums[tile], old != String(parts[1]) { conflicting.insert(tile) }
        sums[tile] = String(parts[1])
      }
    }
    return (Set(sums.keys), conflicting)
  }

  /// One shard of three ran: the tiles it computed are in the cache, the gather (`--missing
  /// report`) names how many tiles no shard computed and writes no site; `--missing compute`
  /// computes only the rest, and a rerun of the shard finds its tiles there.
  @Test func aTileNoShardComputedIsReportedOrComputedLocally() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let units = try Self.units(dir)
    let key = try #require(units.first { $0["label"] as? String == "fig-big" }?["key"] as? String)
    // a plan of two of the six tiles (as a task of a larger array would hold)
    var plan = try ClusterTests.plan(dir)
    plan["units"] = units.filter { ["tiles/\(key)/0-0", "tiles/\(key)/1-2"].contains($0["key"] as? String ?? "") }
    try JSONSerialization.data(withJSONObject: plan).write(to: dir.appendingPathComponent("two.json"))
    let first = try run(["shard", "two.json", "--index", "0", "--of", "1", "--cache-dir", "shared"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(ClusterTests.computed(first) == 2, "\(first.stdout)")
    let tiles = Self.tileFiles(dir, cache: "shared").filter { $0.hasSuffix(".npy") }.count / 2
    #expect(tiles == 2, "\(Self.tileFiles(dir, cache: "shared"))")
    let again = try run(["shard", "two.json", "--index", "0", "--of", "1", "--cache-dir", "shared"], in: dir)
    #expect(ClusterTests.computed(again) == 0, "\(again.stdout)")
    let missing = try Self.gather(dir, cache: "shared", out: "_site")
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("\(6 - tiles) of its 6 tiles (tiles/\(key)) were computed by no shard"), "\(missing.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site").path))
    let local = try Self.gather(dir, cache: "shared", out: "_site", missing: "compute")
    #expect(local.status == 0, "\(local.stderr)")
    #expect(Self.tileFiles(dir, cache: "shared").filter { $0.hasSuffix(".npy") }.count == 12)
  }

  /// `clean --unused` and a tile folder (`tiles/<key>`): the folder of a directive the reports
  /// still reach is kept; an edit's old folder is listed (dry run by default, nothing removed),
  /// and `--delete` removes only the tile store's own files: a file of the user's in the folder
  /// stays, and so does the folder; a folder left empty is removed.
  @Test func cleanUnusedRemovesOnlyTheTileStoresOwnFiles() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-tileclean-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func report(_ n: Int) throws {
      let text =
        "# T\n\n```{kernel} gram\n:label: fig-t\n:alt: t\n:inputs: gaussian(n=\(n), d=4)\n:storage: tiles\n\nA Gram matrix (@fig-t).\n```\n"
      try text.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    }
    let tiles = dir.appendingPathComponent(".skelcache/results/tiles")
    func folders() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: tiles.path)) ?? []).sorted() }
    try report(120)
    #expect(try run(["build", "-q"], in: dir).status == 0)
    let a = try #require(folders().first)
    try report(130)
    #expect(try run(["build", "-q"], in: dir).status == 0)
    let b = try #require(folders().first { $0 != a })
    try report(140)
    #expect(try run(["build", "-q"], in: dir).status == 0)
    #expect(folders().count == 3)
    let oldFolder = tiles.appendingPathComponent(a)
    let ownFiles = try FileManager.default.contentsOfDirectory(atPath: oldFolder.path).sorted()
    #expect(
      ownFiles.contains("nngp-0-0.npy") && ownFiles.contains("nngp.manifest.json") && ownFiles.contains { $0.hasPrefix("nngp.sums.") },
      "\(ownFiles)")
    let dry = try run(["clean", "--unused"], in: dir)
    let listed = dry.stdout.split(separator: "\n").filter { $0.hasPrefix("would remove ") }
    #expect(dry.status == 0 && listed.contains { $0.hasSuffix("tiles/\(a)/ (\(ownFiles.count) tile files)") }, "\(dry.stdout)")
    #expect(listed.contains { $0.hasSuffix("tiles/\(b)/ (\(ownFiles.count) tile files)") }, "\(dry.stdout)")
    let after = try FileManager.default.contentsOfDirectory(atPath: oldFolder.path).sorted()
    #expect(folders().count == 3 && after == ownFiles, "a dry run removes nothing")
    // a file of the user's and a look-alike tile in one unused folder, a foreign folder in tiles/,
    // a temporary file that is not a NumPy file
    try "mine".write(to: oldFolder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    try "a look-alike".write(to: oldFolder.appendingPathComponent("nngp-9-9.npy"), atomically: true, encoding: .utf8)
    try "x".write(to: oldFolder.appendingPathComponent("nngp-0-0.npy.1.2.tmp"), atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(at: tiles.appendingPathComponent("my-folder"), withIntermediateDirectories: true)
    let wet = try run(["clean", "--unused", "--delete"], in: dir)
    #expect(wet.status == 0, "\(wet.stderr)")
    #expect(wet.stdout.contains("4 other file(s) left alone"), "\(wet.stdout)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: oldFolder.path).sorted() == ["nngp-0-0.npy.1.2.tmp", "nngp-9-9.npy", "notes.txt"])
    #expect(!folders().contains(b), "the folder that held only tile files is removed")
    #expect(folders().count == 3, "the reached folder, the one with the user's files and the user's folder")
    let again = try run(["build"], in: dir)
    #expect(again.stdout.contains("(1 from cache)"), "the reached tiles and result are kept: \(again.stdout)")
  }
}
