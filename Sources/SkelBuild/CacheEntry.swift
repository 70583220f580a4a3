import CCrypto
import Foundation

/// SHA-256 from OpenSSL's libcrypto (the system's, hardware-accelerated where the CPU has the
/// SHA extensions: a warm build hashes every cached byte it uses, 1.4 GB/s or more).
public enum SHA256Hash {
  public static func digest<D: ContiguousBytes>(_ data: D) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 32)
    data.withUnsafeBytes { raw in
      out.withUnsafeMutableBufferPointer { md in
        // SHA256 reads `count` bytes; an empty buffer may have no base address, so pass a byte.
        var zero: UInt8 = 0
        if let base = raw.baseAddress, raw.count > 0 {
          _ = SHA256(base.assumingMemoryBound(to: UInt8.self), raw.count, md.baseAddress)
        } else {
          _ = SHA256(&zero, 0, md.baseAddress)
        }
      }
    }
    return out
  }

  public static func hex<D: ContiguousBytes>(_ data: D) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for b in digest(data) {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }
}

/// What reading one cache entry gave.
enum CacheRead {
  /// The verified payload.
  case payload(Data)
  /// No entry, or an entry in an older format of this tool (recomputed without a warning).
  case miss
  /// A damaged or foreign entry: the reason, for the warning (recomputed and overwritten).
  case damaged(String)
}

/// The file format of result and figure entries: one line of JSON header, a newline, then the
/// payload bytes as they are (result JSON, or the image). The header names what the entry is
/// (format version, key, kind, engine) and how long its payload is and its SHA-256, so a
/// changed byte, a truncation and an entry copied or renamed onto another key are all detected
/// on read.
enum CacheEntryFile {
  struct Header: Codable, Equatable {
    /// `skelreport-result/2`, `skelreport-figure/2`: the layout of this file.
    var format: String
    /// The entry's own key (the file's name without extension).
    var key: String
    /// The directive kind (results) or the image format (figures).
    var kind: String
    /// The engine that wrote it (`Engine.identity`).
    var engine: String
    /// Payload length in bytes.
    var bytes: Int
    /// SHA-256 of the payload, lowercase hex.
    var sha256: String
  }

  static func encode(format: String, key: String, kind: String, payload: Data) -> Data {
    encode(format: format, key: key, kind: kind, payloadBytes: payload.count) { $0.append(payload) }
  }

  /// The entry whose payload `fill` appends (about `payloadBytes` bytes) to the file's bytes
  /// themselves, so that a large payload (a Gram matrix's raw numbers) is never held twice: the
  /// header line is written first with a placeholder digest of the same length, then replaced.
  static func encode(format: String, key: String, kind: String, payloadBytes: Int, fill: (inout Data) -> Void) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    func line(bytes: Int, sha256: String) -> Data {
      let header = Header(format: format, key: key, kind: kind, engine: Engine.identity, bytes: bytes, sha256: sha256)
      var out = (try? encoder.encode(header)) ?? Data()  // plain strings and an Int: cannot fail
      out.append(0x0A)
      return out
    }
    var out = line(bytes: payloadBytes, sha256: String(repeating: "0", count: 64))
    let start = out.count
    out.reserveCapacity(start + payloadBytes)
    fill(&out)
    let payload = out[start...]
    let header = line(bytes: payload.count, sha256: SHA256Hash.hex(payload))
    guard header.count == start else { return header + payload }  // a payload of another length than announced
    out.replaceSubrange(0..<start, with: header)
    return out
  }

  /// Reads and verifies the entry at `url`. `isOlderFormat` recognizes what earlier versions of
  /// the tool wrote under the same name (a miss, not damage).
  static func read(_ url: URL, format: String, key: String, kind: String, isOlderFormat: (Data) -> Bool) -> CacheRead {
    guard FileManager.default.fileExists(atPath: url.path) else { return .miss }
    let data: Data
    do { data = try Data(contentsOf: url) } catch { return .damaged("unreadable (\(error.localizedDescription))") }
    return verify(data, format: format, key: key, kind: kind, isOlderFormat: isOlderFormat)
  }

  static func verify(_ data: Data, format: String, key: String, kind: String, isOlderFormat: (Data) -> Bool) -> CacheRead {
    if data.isEmpty { return .damaged("empty file") }
    guard let newline = data.firstIndex(of: 0x0A), data.first == UInt8(ascii: "{"),
      let header = try? JSONDecoder().decode(Header.self, from: data[data.startIndex..<newline])
    else {
      return isOlderFormat(data) ? .miss : .damaged("no valid entry header (not an entry, or its first line is damaged)")
    }
    let family = format.split(separator: "/").first.map(String.init) ?? format
    if header.format != format {
      // Another version of this tool's format: not damage, just not ours to read.
      return header.format.hasPrefix(family + "/") ? .miss : .damaged("unknown entry format '\(header.format)'")
    }
    if header.key != key { return .damaged("holds the entry for key \(header.key), not \(key) (entries swapped or copied)") }
    if header.kind != kind { return .damaged("holds a '\(header.kind)' entry, not '\(kind)'") }
    if header.engine != Engine.identity { return .damaged("written by engine \(header.engine), not \(Engine.identity)") }
    let payload = data[(newline + 1)...]
    if payload.count != header.bytes {
      return .damaged(
        payload.count < header.bytes
          ? "truncated: \(payload.count) of \(header.bytes) payload bytes" : "\(payload.count - header.bytes) bytes after the payload")
    }
    if SHA256Hash.hex(payload) != header.sha256 { return .damaged("payload hash mismatch (the entry's content was changed)") }
    return .payload(Data(payload))
  }

  /// The warning for a damaged entry: the file's path and the reason.
  static func warning(_ url: URL, _ reason: String, _ action: String) -> CacheWarning {
    CacheWarning(url: url, reason: reason, action: action)
  }

  /// Writes `data` to `url` atomically (`AtomicFile`: a temporary name, fsync, then link or
  /// rename), creating the folder; a cache that cannot be written only costs time on the next
  /// build. A file already at `url` that `keepExisting` accepts (a valid entry another process
  /// wrote first) is left as it is, so a valid entry is never replaced by different bytes.
  static func write(_ data: Data, to url: URL, keepExisting: (URL) -> Bool = { _ in false }) {
    _ = try? AtomicFile.write(data, to: url, keepExisting: keepExisting)
  }
}

/// A damaged cache entry that was not used: where, why, and what the build did instead.
public struct CacheWarning: Sendable, CustomStringConvertible {
  public var url: URL
  public var reason: String
  public var action: String

  /// `path: warning: …`, the path as `display` shows it (the builder's: relative to the working
  /// folder).
  public func formatted(_ display: (URL) -> String) -> String {
    "\(display(url)): warning: damaged cache entry not used: \(reason); \(action)"
  }

  public var description: String { formatted(\.path) }
}
