import Foundation
import SkelEngineStamp
import SkelExperiments

/// Experiment results stored by key (content-addressed: engine, kind, options, seed), one file
/// each (`<key>.json`), written atomically. Entries are never deleted by a build, so a failed or
/// interrupted build loses nothing it could reuse.
///
/// An entry is trusted only after it is verified (`CacheEntryFile`): its header names its key,
/// kind, engine and format version, and the length and SHA-256 of its payload; the decoded
/// payload must have the shape of a result (x and y of equal length, finite x, a full grid).
/// Anything else is a warning naming the file and the reason, and the directive is recomputed
/// and the entry overwritten; an entry written by an earlier version of the tool is a plain miss.
public struct ResultCache: Sendable {
  public let directory: URL?

  public init(directory: URL?) { self.directory = directory }

  public struct Entry: Sendable {
    public var result: ExperimentResult
    public var seconds: Double
    public init(result: ExperimentResult, seconds: Double) {
      self.result = result
      self.seconds = seconds
    }
  }

  /// The format version in every entry's header.
  static let format = "skelreport-result/2"

  /// The stored payload: number arrays as raw little-endian float64 bytes (base64 in the JSON),
  /// so a warm build decodes a 101 × 101 phase diagram in microseconds instead of parsing 10⁴ numbers.
  /// A result's full arrays (`ResultArray`: a Gram matrix of N² numbers) follow the JSON line as
  /// raw bytes, in order: never as JSON numbers (≈ 24 bytes of text each, and the encoder's tree
  /// of them) nor base64, so the entry costs one copy of the matrix while it is written.
  struct Stored: Codable {
    struct Series: Codable {
      var name: String
      var x: Data
      var y: Data
      var yerr: Data?
      // the typed parts a kind's figure reads (absent in entries of plain series)
      var role: SeriesRole?
      var family: String?
      var parameters: [String: Double]?
    }
    struct Grid: Codable {
      var name: String
      var x: Data
      var y: Data
      var values: Data
    }
    /// A full array whose `shape`'s product of numbers follows the JSON line.
    struct Array: Codable {
      var name: String
      var shape: [Int]
    }
    var result: ExperimentResult  // with numbers stripped
    var series: [Series]
    var grid: Grid?
    var seconds: Double
    var arrays: [Array]?
  }

  /// The numbers a shape holds, nil for a negative axis or more bytes than an Int counts.
  static func numbers(_ shape: [Int]) -> Int? {
    var n = 1
    for d in shape {
      guard d >= 0 else { return nil }
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      guard !overflow, p <= Int.max / 8 else { return nil }
      n = p
    }
    return n
  }

  static func pack(_ xs: [Double]) -> Data { xs.withUnsafeBufferPointer { Data(buffer: $0) } }
  /// Float64s from bytes (copied, so the bytes need no alignment); nil unless a whole number of them.
  static func unpack(_ d: Data) -> [Double]? {
    guard d.count % 8 == 0 else { return nil }
    var out = [Double](repeating: 0, count: d.count / 8)
    out.withUnsafeMutableBytes { _ = d.copyBytes(to: $0) }
    return out
  }

  public func url(_ key: String) -> URL? { directory?.appendingPathComponent(key + ".json") }

  /// The folder a directive keeps its large intermediate files in (a tiled Gram matrix's
  /// `.npy` tiles, `RunContext.tileDirectory`): `tiles/<key>` in the cache; `nil` without a cache.
  /// Kept like entries (a build never deletes it), so a later build or another shard reuses it.
  public func tileDirectory(_ key: String) -> String? { directory?.appendingPathComponent("tiles/" + key).path }

  /// The verified entry for `key` and `kind`, or nil (a miss); a damaged entry also calls `warn`
  /// with a message naming its path and what is wrong. A result's arrays are read from the file
  /// straight into the arrays the result keeps (hashed on the way), so a loaded Gram matrix
  /// costs its own size, not that plus the file's bytes.
  public func load(_ key: String, kind: String, warn: (CacheWarning) -> Void = { _ in }) -> Entry? {
    guard let url = url(key) else { return nil }
    let read = CacheEntryFile.read(
      url, format: Self.format, key: key, kind: kind,
      isOlderFormat: { data in (try? JSONDecoder().decode(Stored.self, from: data)) != nil },  // the headerless JSON of format 1
      body: Self.decode)
    switch read {
    case .miss: return nil
    case .damaged(let reason):
      warn(CacheEntryFile.warning(url, reason, "recomputed and rewritten"))
      return nil
    case .payload(let entry): return entry
    }
  }

  typealias Problem = CacheEntryFile.Problem

  /// The result in a payload (its hash is checked by the reader's caller), checked for the
  /// shape every result has: the JSON line, then the arrays' raw bytes.
  static func decode(_ reader: PayloadReader) -> Result<Entry, Problem> {
    // compact JSON has no raw newline: the line is the JSON
    guard let line = reader.line(), let stored = try? JSONDecoder().decode(Stored.self, from: line.bytes) else {
      return .failure(Problem(reason: "payload is not a result"))
    }
    var result = stored.result
    if let arrays = stored.arrays {
      var decoded: [ResultArray] = []
      for a in arrays {
        guard let count = numbers(a.shape), count * 8 <= reader.remaining, let values = readNumbers(count, reader) else {
          return .failure(Problem(reason: "array '\(a.name)': fewer numbers than its shape \(a.shape) holds"))
        }
        decoded.append(ResultArray(name: a.name, shape: a.shape, values: values))
      }
      guard reader.remaining == 0 else { return .failure(Problem(reason: "bytes after the last array")) }
      result.arrays = decoded
    } else if line.newline {
      return .failure(Problem(reason: "bytes after the result"))
    }
    return decodeNumbers(stored, into: result)
  }

  /// `count` float64s read from `reader` into a new array's own storage.
  static func readNumbers(_ count: Int, _ reader: PayloadReader) -> [Double]? {
    var ok = true
    let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
      ok = reader.read(into: UnsafeMutableRawBufferPointer(buffer))
      if !ok { buffer.initialize(repeating: 0) }
      initialized = count
    }
    return ok ? values : nil
  }

  /// The stored series and grid, unpacked and checked, into `result`.
  static func decodeNumbers(_ stored: Stored, into result: ExperimentResult) -> Result<Entry, Problem> {
    var result = result
    result.series = []
    for s in stored.series {
      guard let x = unpack(s.x), let y = unpack(s.y) else {
        return .failure(Problem(reason: "series '\(s.name)': number data of a length not a multiple of 8 bytes"))
      }
      guard x.count == y.count else { return .failure(Problem(reason: "series '\(s.name)': \(x.count) x values but \(y.count) y values")) }
      guard x.allSatisfy(\.isFinite) else { return .failure(Problem(reason: "series '\(s.name)': non-finite x value")) }
      var yerr: [Double]?
      if let e = s.yerr {
        guard let u = unpack(e), u.count == y.count else {
          return .failure(Problem(reason: "series '\(s.name)': standard errors do not match the \(y.count) y values"))
        }
        yerr = u
      }
      result.series.append(SeriesData(name: s.name, x: x, y: y, yerr: yerr, role: s.role, family: s.family, parameters: s.parameters))
    }
    if let g = stored.grid {
      guard let xs = unpack(g.x), let ys = unpack(g.y), let flat = unpack(g.values) else {
        return .failure(Problem(reason: "grid '\(g.name)': number data of a length not a multiple of 8 bytes"))
      }
      guard flat.count == xs.count * ys.count else {
        return .failure(Problem(reason: "grid '\(g.name)': \(flat.count) values for \(ys.count) × \(xs.count)"))
      }
      guard xs.allSatisfy(\.isFinite), ys.allSatisfy(\.isFinite) else {
        return .failure(Problem(reason: "grid '\(g.name)': non-finite axis value"))
      }
      result.grid = GridData(
        name: g.name, x: xs, y: ys, values: (0..<ys.count).map { Array(flat[($0 * xs.count)..<(($0 + 1) * xs.count)]) })
    }
    guard stored.seconds.isFinite, stored.seconds >= 0 else { return .failure(Problem(reason: "invalid run time")) }
    return .success(Entry(result: result, seconds: stored.seconds))
  }

  /// The entry file's parts: header line, the JSON line, then each array's numbers from the
  /// result's own storage (shared, not copied: the writer holds the matrix the build holds).
  static func encode(_ entry: Entry, key: String, kind: String) -> [AtomicFile.Part]? {
    var stripped = entry.result
    stripped.series = []
    stripped.grid = nil
    stripped.arrays = nil
    let arrays = entry.result.arrays ?? []
    let stored = Stored(
      result: stripped,
      series: entry.result.series.map {
        Stored.Series(
          name: $0.name, x: Self.pack($0.x), y: Self.pack($0.y), yerr: $0.yerr.map(Self.pack), role: $0.role, family: $0.family,
          parameters: $0.parameters)
      },
      grid: entry.result.grid.map {
        Stored.Grid(name: $0.name, x: Self.pack($0.x), y: Self.pack($0.y), values: Self.pack($0.values.flatMap { $0 }))
      },
      seconds: entry.seconds, arrays: arrays.isEmpty ? nil : arrays.map { Stored.Array(name: $0.name, shape: $0.shape) })
    guard var json = try? JSONEncoder().encode(stored) else { return nil }
    guard !arrays.isEmpty else { return CacheEntryFile.encode(format: format, key: key, kind: kind, parts: [.bytes(json)]) }
    // an array that does not fill its shape would not decode: not stored (recomputed next time)
    guard arrays.allSatisfy({ numbers($0.shape) == $0.values.count }) else { return nil }
    json.append(0x0A)
    return CacheEntryFile.encode(format: format, key: key, kind: kind, parts: [.bytes(json)] + arrays.map { .doubles($0.values) })
  }

  /// Stores (or overwrites) the entry, atomically; with `keepingValid`, a valid entry already
  /// there (another process computed the same key first) is kept and only a damaged one is
  /// replaced, so concurrent writers of one key are harmless and a valid entry is never rewritten
  /// with other bytes (the build's and the shards' writes). A cache that cannot be written only
  /// costs time on the next build.
  public func store(_ entry: Entry, key: String, kind: String, keepingValid: Bool = false) {
    guard let item = item(entry, key: key, kind: kind, keepingValid: keepingValid) else { return }
    _ = try? AtomicFile.write(parts: item.parts, to: item.url, keepExisting: item.keepExisting)
  }

  /// The entry's file, for `store` or a batch of writes (`CacheWrites`).
  func item(_ entry: Entry, key: String, kind: String, keepingValid: Bool = false) -> AtomicFile.Item? {
    guard let url = url(key), let parts = Self.encode(entry, key: key, kind: kind) else { return nil }
    return AtomicFile.Item(parts: parts, url: url, keepExisting: { _ in keepingValid && load(key, kind: kind) != nil })
  }
}

/// Stable 128-bit content hashes for cache keys (two independent FNV-1a 64 streams).
public enum ContentHash {
  public static func hex(_ text: String) -> String { hex(bytes: text.utf8) }

  public static func hex<S: Sequence>(bytes: S) -> String where S.Element == UInt8 {
    var a: UInt64 = 0xcbf2_9ce4_8422_2325, b: UInt64 = 0x8422_2325_cbf2_9ce4
    for byte in bytes {
      a = (a ^ UInt64(byte)) &* 0x100_0000_01b3
      b = (b ^ UInt64(byte ^ 0x5c)) &* 0x100_0000_01b3
      b ^= b >> 29
    }
    return hex64(a) + hex64(b)
  }

  static func hex64(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
  }
}

/// The engine's identity for provenance and cache keys: the version and the SHA-256 of the
/// engine's sources, stamped when the binary was built (`SkelEngineStamp`, generated by
/// Plugins/EngineStampPlugin), so an engine built from changed sources never reuses an older
/// one's results, on every platform and whatever the executable's file dates.
public enum Engine {
  public static let version = "0.1.0"
  public static let identity = version + "+" + engineSourceHash
}
