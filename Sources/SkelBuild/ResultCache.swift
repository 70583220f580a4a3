import Foundation
import SkelExperiments

/// Experiment results stored by key (content-addressed: engine, kind, options, seed), one JSON
/// file each, written atomically. Entries are never deleted by a build, so a failed or
/// interrupted build loses nothing it could reuse.
public struct ResultCache: Sendable {
  public let directory: URL?

  public init(directory: URL?) { self.directory = directory }

  public struct Entry: Sendable {
    public var result: ExperimentResult
    public var seconds: Double
  }

  /// The stored form: number arrays as raw little-endian float64 bytes (base64 in the JSON), so
  /// a warm build decodes a 101 × 101 phase diagram in microseconds instead of parsing 10⁴ numbers.
  struct Stored: Codable {
    struct Series: Codable {
      var name: String
      var x: Data
      var y: Data
      var yerr: Data?
    }
    struct Grid: Codable {
      var name: String
      var x: Data
      var y: Data
      var values: Data
    }
    var result: ExperimentResult  // with numbers stripped
    var series: [Series]
    var grid: Grid?
    var seconds: Double
  }

  static func pack(_ xs: [Double]) -> Data { xs.withUnsafeBufferPointer { Data(buffer: $0) } }
  static func unpack(_ d: Data) -> [Double] {
    d.withUnsafeBytes { raw in Array(raw.bindMemory(to: Double.self)) }
  }

  public func load(_ key: String) -> Entry? {
    guard let directory else { return nil }
    let url = directory.appendingPathComponent(key + ".json")
    guard let data = try? Data(contentsOf: url), let stored = try? JSONDecoder().decode(Stored.self, from: data) else { return nil }
    var result = stored.result
    result.series = stored.series.map { SeriesData(name: $0.name, x: Self.unpack($0.x), y: Self.unpack($0.y), yerr: $0.yerr.map(Self.unpack)) }
    if let g = stored.grid {
      let xs = Self.unpack(g.x), ys = Self.unpack(g.y), flat = Self.unpack(g.values)
      guard flat.count == xs.count * ys.count else { return nil }
      result.grid = GridData(name: g.name, x: xs, y: ys, values: (0..<ys.count).map { Array(flat[($0 * xs.count)..<(($0 + 1) * xs.count)]) })
    }
    return Entry(result: result, seconds: stored.seconds)
  }

  public func store(_ entry: Entry, key: String) {
    guard let directory else { return }
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      var stripped = entry.result
      stripped.series = []
      stripped.grid = nil
      let stored = Stored(
        result: stripped,
        series: entry.result.series.map { Stored.Series(name: $0.name, x: Self.pack($0.x), y: Self.pack($0.y), yerr: $0.yerr.map(Self.pack)) },
        grid: entry.result.grid.map { Stored.Grid(name: $0.name, x: Self.pack($0.x), y: Self.pack($0.y), values: Self.pack($0.values.flatMap { $0 })) },
        seconds: entry.seconds)
      let data = try JSONEncoder().encode(stored)
      try data.write(to: directory.appendingPathComponent(key + ".json"), options: .atomic)
    } catch {
      // A cache that cannot be written only costs time on the next build.
    }
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

/// The engine's identity for provenance and cache keys: the version and a stamp of the running
/// executable (size and modification time), so a rebuilt engine never reuses an older one's results.
public enum Engine {
  public static let version = "0.1.0"
  public static let identity: String = {
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: exe.path),
      let size = attributes[.size] as? NSNumber, let date = attributes[.modificationDate] as? Date
    else { return version }
    return version + "+" + ContentHash.hex("\(size)-\(date.timeIntervalSince1970)").prefix(12)
  }()
}
