import Foundation
import SkelExperiments

/// Experiment results stored by key (content-addressed: engine, kind, options, seed), one JSON
/// file each, written atomically. Entries are never deleted by a build, so a failed or
/// interrupted build loses nothing it could reuse.
public struct ResultCache: Sendable {
  public let directory: URL?

  public init(directory: URL?) { self.directory = directory }

  public struct Entry: Codable, Sendable {
    public var result: ExperimentResult
    public var seconds: Double
  }

  public func load(_ key: String) -> Entry? {
    guard let directory else { return nil }
    let url = directory.appendingPathComponent(key + ".json")
    guard let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(Entry.self, from: data)
  }

  public func store(_ entry: Entry, key: String) {
    guard let directory else { return }
    do {
      try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
      let data = try JSONEncoder().encode(entry)
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
