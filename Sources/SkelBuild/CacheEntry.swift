import CCrypto
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

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

  public static func hex<D: ContiguousBytes>(_ data: D) -> String { hex(digest: digest(data)) }

  public static func hex(_ text: String) -> String { hex(Array(text.utf8)) }

  static func hex(digest: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(64)
    for b in digest {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// SHA-256 of bytes given in pieces (OpenSSL's EVP digest): a cache entry is hashed as it is
  /// written or read, never gathered into one buffer first.
  final class Stream {
    private let context: OpaquePointer?

    init() {
      context = EVP_MD_CTX_new()
      _ = EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ raw: UnsafeRawBufferPointer) {
      guard let base = raw.baseAddress, raw.count > 0 else { return }
      _ = EVP_DigestUpdate(context, base, raw.count)
    }

    func update<D: ContiguousBytes>(_ data: D) { data.withUnsafeBytes { update($0) } }

    /// The digest, lowercase hex; the stream is spent.
    func finishHex() -> String {
      var out = [UInt8](repeating: 0, count: 32)
      var length: UInt32 = 32
      _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
      return SHA256Hash.hex(digest: out)
    }
  }
}

/// What reading one cache entry gave.
enum CacheRead<Payload> {
  /// The verified payload.
  case payload(Payload)
  /// No entry, or an entry in an older format of this tool (recomputed without a warning).
  case miss
  /// A damaged or foreign entry: the reason, for the warning (recomputed and overwritten).
  case damaged(String)
}

/// The file format of result and figure entries: one line of JSON header, a newline, then the
/// payload bytes as they are (result JSON, or the image). The header names what the entry is
/// (format version, key, kind, engine) and how long its payload is and its SHA-256, so a
/// changed byte, a truncation and an entry copied or renamed onto another key are all detected
/// on read. Entries are written from their parts and read in pieces, hashed on the way, so a
/// payload of a Gram matrix's numbers is never held twice (written from the result's own array,
/// read straight into the array the result keeps).
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

  static func headerLine(format: String, key: String, kind: String, bytes: Int, sha256: String) -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let header = Header(format: format, key: key, kind: kind, engine: Engine.identity, bytes: bytes, sha256: sha256)
    var out = (try? encoder.encode(header)) ?? Data()  // plain strings and an Int: cannot fail
    out.append(0x0A)
    return out
  }

  static func encode(format: String, key: String, kind: String, payload: Data) -> Data {
    headerLine(format: format, key: key, kind: kind, bytes: payload.count, sha256: SHA256Hash.hex(payload)) + payload
  }

  /// The entry whose payload is `parts` in order: the header line (hashed over the parts where
  /// they lie), then the parts themselves, for `AtomicFile` to write without joining them.
  static func encode(format: String, key: String, kind: String, parts: [AtomicFile.Part]) -> [AtomicFile.Part] {
    let hash = SHA256Hash.Stream()
    for p in parts { p.withBytes { hash.update($0) } }
    let bytes = parts.reduce(0) { $0 + $1.count }
    return [.bytes(headerLine(format: format, key: key, kind: kind, bytes: bytes, sha256: hash.finishHex()))] + parts
  }

  /// A problem in a payload whose bytes are intact (it does not decode as what it should be).
  struct Problem: Error { var reason: String }

  /// Reads and verifies the entry at `url` as one buffer (figure images).
  static func read(_ url: URL, format: String, key: String, kind: String, isOlderFormat: (Data) -> Bool) -> CacheRead<Data> {
    read(url, format: format, key: key, kind: kind, isOlderFormat: isOlderFormat) { .success($0.rest()) }
  }

  /// Reads and verifies the entry at `url`, its payload taken by `body` from a `PayloadReader`
  /// in pieces, hashed as they are read. A truncated or overlong file is damage found before
  /// anything is read (from its size); a hash that does not match is damage whatever `body`
  /// made of the bytes; then `body`'s own problem, if it had one. `isOlderFormat` recognizes
  /// what earlier versions of the tool wrote under the same name (a miss, not damage).
  static func read<T>(
    _ url: URL, format: String, key: String, kind: String, isOlderFormat: (Data) -> Bool, body: (PayloadReader) -> Result<T, Problem>
  ) -> CacheRead<T> {
    // not blocking: a FIFO put at an entry's name must not hang the build (it is damage)
    let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard fd >= 0 else {
      return errno == ENOENT ? .miss : .damaged("unreadable (\(String(cString: strerror(errno))))")
    }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .damaged("unreadable (\(String(cString: strerror(errno))))") }
    guard (info.st_mode & S_IFMT) == S_IFREG else { return .damaged("not a regular file") }
    let size = Int(info.st_size)
    if size == 0 { return .damaged("empty file") }
    var head = [UInt8](repeating: 0, count: min(size, 1 << 16))
    guard PayloadReader.fill(fd, &head[...]) else { return .damaged("unreadable (short read)") }
    guard let newline = head.firstIndex(of: 0x0A), head.first == UInt8(ascii: "{"),
      let header = try? JSONDecoder().decode(Header.self, from: Data(head[..<newline]))
    else {
      // not an entry of this format: the whole file decides whether an older version wrote it
      guard let whole = try? Data(contentsOf: url) else { return .damaged("unreadable") }
      return isOlderFormat(whole) ? .miss : .damaged("no valid entry header (not an entry, or its first line is damaged)")
    }
    if let problem: CacheRead<T> = mismatch(header, format: format, key: key, kind: kind) { return problem }
    let payloadBytes = size - (newline + 1)
    if payloadBytes != header.bytes {
      return .damaged(
        payloadBytes < header.bytes
          ? "truncated: \(payloadBytes) of \(header.bytes) payload bytes" : "\(payloadBytes - header.bytes) bytes after the payload")
    }
    let reader = PayloadReader(fd: fd, readAhead: Array(head[(newline + 1)...]), bytes: header.bytes)
    let made = body(reader)
    guard reader.finish() else { return .damaged("truncated while read (the file changed)") }
    if reader.digest() != header.sha256 { return .damaged("payload hash mismatch (the entry's content was changed)") }
    switch made {
    case .success(let value): return .payload(value)
    case .failure(let problem): return .damaged(problem.reason)
    }
  }

  /// Why a well-formed header is not the entry asked for, or nil.
  static func mismatch<T>(_ header: Header, format: String, key: String, kind: String) -> CacheRead<T>? {
    let family = format.split(separator: "/").first.map(String.init) ?? format
    if header.format != format {
      // Another version of this tool's format: not damage, just not ours to read.
      return header.format.hasPrefix(family + "/") ? .miss : .damaged("unknown entry format '\(header.format)'")
    }
    if header.key != key { return .damaged("holds the entry for key \(header.key), not \(key) (entries swapped or copied)") }
    if header.kind != kind { return .damaged("holds a '\(header.kind)' entry, not '\(kind)'") }
    if header.engine != Engine.identity { return .damaged("written by engine \(header.engine), not \(Engine.identity)") }
    return nil
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

/// The payload of one cache entry, given out in pieces from its open file and hashed as it is
/// read: a line (a result's JSON), numbers straight into their array, or the rest.
final class PayloadReader {
  private let fd: Int32
  private var ahead: [UInt8]
  private var aheadStart = 0
  /// Payload bytes not given out yet.
  private(set) var remaining: Int
  private var failed = false
  private let hash = SHA256Hash.Stream()

  init(fd: Int32, readAhead: [UInt8], bytes: Int) {
    self.fd = fd
    ahead = readAhead
    remaining = bytes
  }

  /// Reads from `fd` until `buffer` is full; false at an early end of file or an error.
  static func fill(_ fd: Int32, _ buffer: inout ArraySlice<UInt8>) -> Bool {
    buffer.withUnsafeMutableBytes { fill(fd, $0) }
  }

  static func fill(_ fd: Int32, _ raw: UnsafeMutableRawBufferPointer) -> Bool {
    guard let base = raw.baseAddress else { return true }
    var at = 0
    while at < raw.count {
      let n = systemRead(fd, base + at, raw.count - at)
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      at += n
    }
    return true
  }

  /// Exactly `raw.count` payload bytes into `raw`; false if fewer remain.
  func read(into raw: UnsafeMutableRawBufferPointer) -> Bool {
    guard raw.count <= remaining, !failed else { return false }
    let fromAhead = min(raw.count, ahead.count - aheadStart)
    if fromAhead > 0 {
      ahead.withUnsafeBytes {
        UnsafeMutableRawBufferPointer(rebasing: raw[..<fromAhead]).copyMemory(
          from: UnsafeRawBufferPointer(rebasing: $0[aheadStart..<(aheadStart + fromAhead)]))
      }
      aheadStart += fromAhead
    }
    if raw.count > fromAhead, !Self.fill(fd, UnsafeMutableRawBufferPointer(rebasing: raw[fromAhead...])) {
      failed = true
      return false
    }
    hash.update(UnsafeRawBufferPointer(raw))
    remaining -= raw.count
    return true
  }

  /// The payload bytes up to the next newline (consumed with it, returned without it) or to
  /// the payload's end, and whether a newline ended them; nil if the file could not be read.
  func line() -> (bytes: Data, newline: Bool)? {
    var out = Data()
    while remaining > 0 {
      if aheadStart == ahead.count {
        ahead = [UInt8](repeating: 0, count: min(remaining, 1 << 16))
        aheadStart = 0
        guard Self.fill(fd, &ahead[...]) else {
          failed = true
          return nil
        }
      }
      let end = min(ahead.count, aheadStart + remaining)
      let newline = ahead[aheadStart..<end].firstIndex(of: 0x0A)
      let stop = newline.map { $0 + 1 } ?? end
      let piece = ahead[aheadStart..<stop]
      piece.withUnsafeBytes { hash.update($0) }
      remaining -= piece.count
      aheadStart = stop
      if newline != nil {
        out.append(contentsOf: piece.dropLast())
        return (out, true)
      }
      out.append(contentsOf: piece)
    }
    return failed ? nil : (out, false)
  }

  /// All payload bytes not given out yet.
  func rest() -> Data {
    var out = Data(count: remaining)
    let ok = out.withUnsafeMutableBytes { read(into: $0) }
    return ok ? out : Data()
  }

  /// Hashes whatever the payload still holds (what `body` did not take); false if the file
  /// ended early or could not be read.
  func finish() -> Bool {
    var chunk = [UInt8](repeating: 0, count: min(remaining, 1 << 20))
    while remaining > 0, !failed {
      let n = min(remaining, chunk.count)
      _ = chunk.withUnsafeMutableBytes { read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<n])) }
    }
    return !failed
  }

  func digest() -> String { hash.finishHex() }
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

/// `read(2)` (the name `PayloadReader.read` hides).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
  #else
    Darwin.read(fd, buffer, count)
  #endif
}
