import Foundation
import SkelCairo
import SkelExperiments
import SkelMath
import SkelPlot
import Testing

@testable import SkelBuild

/// Two figures of the same kind (so their result entries can be swapped), formulas in prose and captions.
let cacheReport = """
  ---
  title: Cache checks
  seed: 11
  ---

  Inline $\\alpha^2 + 1$ and $\\beta_{12}$, display math:

  $$\\kappa(\\rho) = \\sum_{k \\ge 0} a_k^2 \\rho^k$$

  See @fig-a and @fig-b.

  ```{kernel} dual
  :label: fig-a
  :activations: [relu, step]
  :rho: [-1, -0.5, 0, 0.5, 1]
  :formats: [svg, png]
  :alt: Two duals.

  Duals of $\\mathrm{relu}$ and the step.
  ```

  ```{kernel} dual
  :label: fig-b
  :activations: [exp]
  :rho: [-1, 0, 0.25, 1]
  :formats: [svg, png]
  :alt: One dual.

  The dual of $e^{x}$.
  ```
  """

/// A backend that draws nothing (its `render` fails), to show that a build took every image from the cache.
struct RefusingBackend: FigureBackend {
  let measurer = CairoBackend()
  struct Refused: Error {}
  func measure(runs: [TextRun], font: FontSpec) -> TextExtent { measurer.measure(runs: runs, font: font) }
  func render(_ scene: Scene, as format: ImageFormat, pixelsPerPoint: Double) throws -> [UInt8] { throw Refused() }
}

func cacheBuilder(_ dir: URL, cache: Bool = true, offline: Bool = false) -> SiteBuilder {
  var c = BuildConfiguration(
    reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
    templates: packageRoot.appendingPathComponent("templates"),
    cache: cache ? dir.appendingPathComponent(".skelcache/results") : nil,
    katex: offline ? KatexRenderer(nodePath: "/nonexistent/node") : KatexRenderer())
  c.reproducible = true
  return SiteBuilder(configuration: c, backend: offline ? RefusingBackend() as FigureBackend : CairoBackend())
}

/// A site built once with a filled cache, and the site a clean build without any cache writes.
struct CacheMaster: Sendable {
  var dir: URL
  var reference: [String: Data]

  static let shared: Result<CacheMaster, any Error> = Result {
    let dir = try scratch(["t.md": cacheReport])
    try cacheBuilder(dir).build()
    let clean = try scratch(["t.md": cacheReport])
    defer { try? FileManager.default.removeItem(at: clean) }
    try cacheBuilder(clean, cache: false).build()
    return CacheMaster(dir: dir, reference: snapshot(clean.appendingPathComponent("_site")))
  }

  /// A fresh copy of the master's folder (reports, cache, site).
  func copy() throws -> URL {
    let to = FileManager.default.temporaryDirectory.appendingPathComponent("skel-\(UUID().uuidString)")
    try FileManager.default.copyItem(at: dir, to: to)
    return to
  }
}

/// The bytes of an entry after its header line.
func payload(_ data: Data) -> Data {
  guard let nl = data.firstIndex(of: 0x0A) else { return data }
  return Data(data[(nl + 1)...])
}

func header(_ data: Data) -> Data {
  guard let nl = data.firstIndex(of: 0x0A) else { return Data() }
  return Data(data[...nl])
}

/// The result entry of a figure, found through the cache key in its published JSON.
func resultEntry(_ dir: URL, _ label: String) throws -> URL {
  struct Published: Decodable {
    struct Provenance: Decodable { var cache_key: String }
    var provenance: Provenance
  }
  let data = try Data(contentsOf: dir.appendingPathComponent("_site/t/\(label).json"))
  let key = try JSONDecoder().decode(Published.self, from: data).provenance.cache_key
  return dir.appendingPathComponent(".skelcache/results/\(key).json")
}

/// The figure entry whose image is the published file `name` (`fig-a.svg`, `fig-b.dark.svg`).
func figureEntry(_ dir: URL, _ name: String) throws -> URL {
  let published = try Data(contentsOf: dir.appendingPathComponent("_site/t/\(name)"))
  let folder = dir.appendingPathComponent(".skelcache/figures")
  for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
    let url = folder.appendingPathComponent(file)
    if try payload(Data(contentsOf: url)) == published { return url }
  }
  throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
}

func swapFiles(_ a: URL, _ b: URL) throws {
  let da = try Data(contentsOf: a), db = try Data(contentsOf: b)
  try db.write(to: a)
  try da.write(to: b)
}

/// One character of `data` after `offset` that is a digit or base64 letter, changed to another of its class.
func flipOne(_ data: Data, after offset: Int) -> Data {
  var bytes = [UInt8](data)
  for i in offset..<bytes.count {
    let c = bytes[i]
    if (0x30...0x38).contains(c) || (0x41...0x59).contains(c) || (0x61...0x79).contains(c) {
      bytes[i] = c + 1
      return Data(bytes)
    }
  }
  return data
}

enum Damage: String, CaseIterable, Sendable {
  case flipNumber, swapEntries, truncate, empty, garbage, otherImageBytes
}

@Suite(.serialized) struct CacheVerificationTests {
  /// Builds `dir` after its cache was damaged: the build succeeds, warns naming `path` (and
  /// `reason` when given), publishes the clean site, and leaves a cache from which the next
  /// build takes every result, image and formula (no node, no drawing) without a warning.
  func expectRepaired(
    _ dir: URL, _ master: CacheMaster, path: URL, reason: String?, warned: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    let summary = try cacheBuilder(dir).build()
    let warnings = summary.warnings.filter { $0.contains("cache entry") }
    if warned {
      #expect(
        warnings.contains { $0.contains(path.standardizedFileURL.path + ": warning: damaged cache entry not used") }, "\(warnings)",
        sourceLocation: sourceLocation)
      if let reason { #expect(warnings.contains { $0.contains(reason) }, "\(warnings)", sourceLocation: sourceLocation) }
    } else {
      #expect(warnings.isEmpty, "an entry of the older format is a plain miss: \(warnings)", sourceLocation: sourceLocation)
    }
    #expect(snapshot(dir.appendingPathComponent("_site")) == master.reference, "published as a clean build", sourceLocation: sourceLocation)
    let again = try cacheBuilder(dir, offline: true).build()
    #expect(again.cacheHits == 2, sourceLocation: sourceLocation)
    #expect(again.warnings.filter { $0.contains("cache entry") }.isEmpty, "repaired: \(again.warnings)", sourceLocation: sourceLocation)
    #expect(snapshot(dir.appendingPathComponent("_site")) == master.reference, sourceLocation: sourceLocation)
  }

  @Test func sha256KnownAnswers() {
    #expect(SHA256Hash.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256Hash.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256Hash.hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256Hash.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }

  /// The filled cache serves a warm build the clean site, with no warning.
  @Test func cleanCacheIsUsedAsItIs() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let summary = try cacheBuilder(dir, offline: true).build()
    #expect(summary.cacheHits == 2 && summary.warnings.filter { $0.contains("cache entry") }.isEmpty)
    #expect(snapshot(dir.appendingPathComponent("_site")) == master.reference)
  }

  /// A FIFO at an entry's name (someone who can write the cache put it there) is damage, read
  /// without blocking: the build warns, recomputes and replaces it, and does not wait for a writer.
  @Test func anEntryThatIsAFIFOIsDamageNotAWait() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try resultEntry(dir, "fig-a")
    try FileManager.default.removeItem(at: a)
    #expect(mkfifo(a.path, 0o644) == 0)
    try expectRepaired(dir, master, path: a, reason: "not a regular file")
  }

  @Test(arguments: Damage.allCases.filter { $0 != .otherImageBytes })
  func damagedResultEntry(_ damage: Damage) throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try resultEntry(dir, "fig-a"), b = try resultEntry(dir, "fig-b")
    let data = try Data(contentsOf: a)
    let reason: String
    switch damage {
    case .flipNumber:
      // a y value of the payload (base64 float64s) changes
      let at = try #require(data.range(of: Data("\"y\":\"".utf8))).upperBound
      try flipOne(data, after: at + 10).write(to: a)
      reason = "payload hash mismatch"
    case .swapEntries:
      try swapFiles(a, b)
      reason = "holds the entry for key"
    case .truncate:
      try data.prefix(data.count * 2 / 3).write(to: a)
      reason = "truncated"
    case .empty:
      try Data().write(to: a)
      reason = "empty file"
    case .garbage:
      try Data("\u{0}\u{1}garbage\n{not json".utf8).write(to: a)
      reason = "no valid entry header"
    case .otherImageBytes:
      return
    }
    try expectRepaired(dir, master, path: a, reason: reason)
  }

  /// A header that names another kind, or another engine, is not used.
  @Test(arguments: [
    ("\"kind\":\"dual\"", "\"kind\":\"ntk\"", "holds a 'ntk' entry"), ("\"engine\":\"", "\"engine\":\"9", "written by engine 9"),
  ])
  func resultHeaderOfAnotherEntry(_ edit: (String, String, String)) throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try resultEntry(dir, "fig-a")
    let data = try Data(contentsOf: a)
    let head = String(decoding: header(data), as: UTF8.self)
    #expect(head.contains(edit.0))
    try (Data(head.replacingOccurrences(of: edit.0, with: edit.1).utf8) + payload(data)).write(to: a)
    try expectRepaired(dir, master, path: a, reason: edit.2)
  }

  /// A well-formed entry (right key, kind and hash) whose series has fewer x than y values is
  /// refused by the shape check, not drawn or published.
  @Test func resultEntryWithShorterX() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try resultEntry(dir, "fig-a")
    let key = a.deletingPathExtension().lastPathComponent
    let cache = ResultCache(directory: a.deletingLastPathComponent())
    var entry = try #require(cache.load(key, kind: "dual"))
    entry.result.series[0].x.removeLast()
    cache.store(entry, key: key, kind: "dual")
    var warnings: [String] = []
    #expect(cache.load(key, kind: "dual", warn: { warnings.append($0.description) }) == nil)
    #expect(warnings.count == 1 && warnings[0].contains("series 'relu': 4 x values but 5 y values"))
    try expectRepaired(dir, master, path: a, reason: "series 'relu': 4 x values but 5 y values")
  }

  /// What a figure reads besides the numbers (role, family, parameters) survives the cache: a
  /// warm build draws the same figure as a cold one.
  @Test func typedSeriesPartsRoundTrip() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("typed-series-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let series = [
      SeriesData(name: "he_normal", x: [1, 2], y: [0.5, 0.7], family: "he_normal"),
      SeriesData(name: "nngp he_normal", x: [1, 2], y: [0.9, 0.9], role: .limit, family: "he_normal", parameters: ["d": 3]),
    ]
    let result = ExperimentResult(xlabel: "m", ylabel: "accuracy", xlabelTeX: "m", ylabelTeX: "accuracy", series: series)
    let cache = ResultCache(directory: dir)
    let key = String(repeating: "ab", count: 32)
    cache.store(ResultCache.Entry(result: result, seconds: 1), key: key, kind: "nnpk")
    let loaded = try #require(cache.load(key, kind: "nnpk"))
    #expect(loaded.result.series == series)
  }

  /// A result's full arrays (a Gram matrix) are stored as their raw float64 bytes after the JSON
  /// line, not as JSON numbers: the entry is 8 bytes a number plus a small head, round-trips bit
  /// for bit (NaN, −0, subnormals too), and a truncated array or bytes after the last one are
  /// damage with the reason.
  @Test func resultArraysAreRawBytesAfterTheJSON() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("arrays-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var g = SeededGenerator(seed: 5)
    let big = (0..<(300 * 300)).map { _ in g.nextUniform() * 2 - 1 }
    let odd: [Double] = [.nan, -0.0, 5e-324, .infinity, 1, 2]
    var result = ExperimentResult(xlabel: "j", ylabel: "i", xlabelTeX: "j", ylabelTeX: "i", series: [])
    result.arrays = [ResultArray(name: "nngp", shape: [300, 300], values: big), ResultArray(name: "odd", shape: [2, 3], values: odd)]
    let cache = ResultCache(directory: dir)
    let key = String(repeating: "cd", count: 32)
    cache.store(ResultCache.Entry(result: result, seconds: 1), key: key, kind: "gram")
    let url = try #require(cache.url(key))
    let bytes = try Data(contentsOf: url)
    #expect(bytes.count > 8 * (big.count + 6) && bytes.count < 8 * (big.count + 6) + 2048, "\(bytes.count) bytes")
    let loaded = try #require(cache.load(key, kind: "gram"))
    let arrays = try #require(loaded.result.arrays)
    #expect(arrays.map(\.name) == ["nngp", "odd"] && arrays.map(\.shape) == [[300, 300], [2, 3]])
    #expect(arrays[0].values == big)
    #expect(arrays[1].values.map(\.bitPattern) == odd.map(\.bitPattern))
    // a payload cut short in the last array, and one with a byte too many, with headers that vouch for them
    let newline = try #require(bytes.firstIndex(of: 0x0A))
    let payload = bytes[(newline + 1)...]
    for (damaged, reason) in [
      (payload.dropLast(8), "array 'odd': fewer numbers than its shape [2, 3] holds"), (payload + [0], "bytes after the last array"),
    ] {
      var warnings: [String] = []
      let head = String(decoding: bytes[..<newline], as: UTF8.self)
        .replacingOccurrences(of: "\"bytes\":\(payload.count)", with: "\"bytes\":\(damaged.count)")
        .replacingOccurrences(of: SHA256Hash.hex(payload), with: SHA256Hash.hex(Data(damaged)))
      try (Data(head.utf8) + [0x0A] + damaged).write(to: url)
      #expect(cache.load(key, kind: "gram", warn: { warnings.append($0.description) }) == nil)
      #expect(warnings.count == 1 && warnings[0].contains(reason), "\(warnings)")
    }
  }

  /// A stored Gram matrix is never copied on its way to the disk: the entry's writer holds the
  /// result's own array (the same storage), hashed and written where it lies; and a result whose
  /// JSON line is longer than the reader's 64 KiB read-ahead (a 20 000-point series) comes back
  /// whole, with its arrays read straight into their own storage.
  @Test func entryPartsShareTheResultsArraysAndLongLinesRoundTrip() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("parts-\(UInt64.random(in: 0...UInt64.max))")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    var g = SeededGenerator(seed: 9)
    let matrix = (0..<(200 * 200)).map { _ in g.nextUniform() }
    let xs = (0..<20_000).map { Double($0) }
    let ys = xs.map { _ in g.nextUniform() }
    var result = ExperimentResult(
      xlabel: "x", ylabel: "y", xlabelTeX: "x", ylabelTeX: "y", series: [SeriesData(name: "long", x: xs, y: ys)])
    result.arrays = [ResultArray(name: "nngp", shape: [200, 200], values: matrix)]
    let cache = ResultCache(directory: dir)
    let key = String(repeating: "ef", count: 32)
    let item = try #require(cache.item(ResultCache.Entry(result: result, seconds: 2), key: key, kind: "gram"))
    let shared = item.parts.contains { part in
      guard case .doubles(let values) = part else { return false }
      return values.withUnsafeBufferPointer { a in matrix.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress } }
    }
    #expect(shared, "the entry holds a copy of the matrix, not the result's array")
    let written: Int = item.parts.reduce(0) { $0 + $1.count }
    #expect(written > 8 * (matrix.count + 2 * xs.count))
    AtomicFile.writeAll([item])
    let loaded = try #require(cache.load(key, kind: "gram"))
    #expect(loaded.result.series.first?.x == xs && loaded.result.series.first?.y == ys)
    #expect(loaded.result.arrays?.first?.values == matrix && loaded.seconds == 2)
  }

  /// A result file of the headerless format 1 is recomputed without a warning.
  @Test func olderResultFormatIsAMiss() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try resultEntry(dir, "fig-a")
    try payload(Data(contentsOf: a)).write(to: a)
    try expectRepaired(dir, master, path: a, reason: nil, warned: false)
  }

  @Test(arguments: Damage.allCases)
  func damagedFigureEntry(_ damage: Damage) throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try figureEntry(dir, "fig-a.svg"), b = try figureEntry(dir, "fig-b.svg")
    let data = try Data(contentsOf: a)
    var reason: String?
    switch damage {
    case .flipNumber:
      try flipOne(data, after: header(data).count + payload(data).count / 2).write(to: a)
      reason = "payload hash mismatch"
    case .swapEntries:
      try swapFiles(a, b)
      reason = "holds the entry for key"
    case .truncate:
      try data.prefix(data.count / 2).write(to: a)
      reason = "truncated"
    case .empty:
      try Data().write(to: a)
      reason = "empty file"
    case .garbage:
      try Data((0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 131) }).write(to: a)
      reason = "no valid entry header"
    case .otherImageBytes:
      // the header stays, the image is another figure's (a PNG of the other figure)
      let other = try payload(Data(contentsOf: figureEntry(dir, "fig-b.svg")))
      try (header(data) + other).write(to: a)
      reason = nil  // a length or hash mismatch, whichever comes first
    }
    try expectRepaired(dir, master, path: a, reason: reason)
  }

  /// A bare image (what format 1 stored) is drawn again without a warning.
  @Test func olderFigureFormatIsAMiss() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = try figureEntry(dir, "fig-a.png")
    try payload(Data(contentsOf: a)).write(to: a)
    try expectRepaired(dir, master, path: a, reason: nil, warned: false)
  }

  @Test(arguments: Damage.allCases.filter { $0 != .otherImageBytes })
  func damagedMathCache(_ damage: Damage) throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent(".skelcache/math.json")
    let data = try Data(contentsOf: file)
    var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var entries = try #require(json["entries"] as? [[String: Any]])
    #expect(entries.count == 5)
    var reason: String
    switch damage {
    case .flipNumber:
      let html = try #require(entries[0]["html"] as? String)
      let digit = try #require(html.firstIndex(where: { $0.isNumber && $0 != "9" }))
      entries[0]["html"] = html.replacingCharacters(in: digit...digit, with: String(html[digit].wholeNumberValue! + 1))
      reason = "1 typeset formula does not match"
    case .swapEntries:
      let h0 = entries[0]["html"], h1 = entries[1]["html"]
      entries[0]["html"] = h1
      entries[1]["html"] = h0
      reason = "2 typeset formulas do not match"
    case .truncate, .empty, .garbage, .otherImageBytes:
      reason = damage == .empty ? "empty file" : "not a formula cache"
    }
    json["entries"] = entries
    switch damage {
    case .truncate: try data.prefix(data.count / 2).write(to: file)
    case .empty: try Data().write(to: file)
    case .garbage: try Data("[1, 2, \"formula\"]".utf8).write(to: file)
    default: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]).write(to: file)
    }
    try expectRepaired(dir, master, path: file, reason: reason)
  }

  /// The headerless map of format 1 is re-typeset without a warning.
  @Test func olderMathFormatIsAMiss() throws {
    let master = try CacheMaster.shared.get()
    let dir = try master.copy()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = dir.appendingPathComponent(".skelcache/math.json")
    try Data(#"{"0123456789abcdef0123456789abcdef": "<span>1</span>"}"#.utf8).write(to: file)
    try expectRepaired(dir, master, path: file, reason: nil, warned: false)
  }
}
