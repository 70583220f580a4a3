import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Files written so that no reader, on this machine or another one sharing the folder over a
/// network file system, ever sees part of one: the bytes go to a temporary name beside the
/// file (`.<name>.<pid>.<random>.tmp`), are flushed to disk (`fsync`), and only then get the
/// file's name, by `link` (which fails if the name exists) or `rename` (which replaces it);
/// the folder is flushed last so the new name survives a crash.
enum AtomicFile {
  /// What `write` did.
  enum Outcome: Equatable {
    /// The file now holds the new bytes.
    case written
    /// A file already there was accepted by `keepExisting` and left as it was.
    case kept
  }

  /// A failed system call: what was being done, to which path, and `strerror`.
  struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ doing: String, _ path: String, errno code: Int32 = errno) {
      description = "\(doing) \(path): \(String(cString: strerror(code)))"
    }
  }

  /// Writes `data` to `url` atomically, creating the folder. If a file is already at `url` and
  /// `keepExisting` accepts it, it is left alone (the first writer of a valid file wins, so a
  /// valid file is never replaced by different bytes); otherwise it is replaced in one rename.
  /// Concurrent writers of one name are harmless: each writes its own temporary file.
  @discardableResult
  static func write(_ data: Data, to url: URL, keepExisting: (URL) -> Bool = { _ in false }) throws -> Outcome {
    try write(parts: [.bytes(data)], to: url, keepExisting: keepExisting)
  }

  /// `write` of a file made of `parts`.
  @discardableResult
  static func write(parts: [Part], to url: URL, keepExisting: (URL) -> Bool = { _ in false }) throws -> Outcome {
    let temp = try temporaryPath(for: url)
    try writeFlushed(parts, to: temp)
    let outcome = try place(temp, at: url, keepExisting: keepExisting)
    if outcome == .written { syncFolder(url.deletingLastPathComponent().path) }
    return outcome
  }

  /// A new temporary name beside `url` (`.<name>.<pid>.<random>.tmp`), its folder made.
  static func temporaryPath(for url: URL) throws -> String {
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    return folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(nonce).tmp").path
  }

  /// Gives the written temporary file `temp` the name `url`: by `link` (which fails if the name
  /// exists), or leaves a file there that `keepExisting` accepts, or else replaces it by
  /// `rename` (the name exists and is not accepted, or the file system has no hard links). The
  /// temporary name is gone afterwards, also on a failure.
  static func place(_ temp: String, at url: URL, keepExisting: (URL) -> Bool) throws -> Outcome {
    let target = url.path
    if link(temp, target) == 0 {
      unlink(temp)
      return .written
    }
    if errno == EEXIST, keepExisting(url) {
      unlink(temp)
      return .kept
    }
    guard rename(temp, target) == 0 else {
      let failure = Failure("cannot rename the temporary file onto", target)
      unlink(temp)
      throw failure
    }
    return .written
  }

  /// A piece of a file's bytes: bytes as they are, or numbers written straight from their
  /// array's own storage as little-endian float64 (a Gram matrix of a cache entry is written
  /// without a copy of it: the array is shared with the result, not duplicated).
  enum Part: @unchecked Sendable {
    case bytes(Data)
    case doubles([Double])

    var count: Int {
      switch self {
      case .bytes(let d): d.count
      case .doubles(let xs): xs.count * 8
      }
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
      switch self {
      case .bytes(let d): try d.withUnsafeBytes(body)
      case .doubles(let xs): try xs.withUnsafeBytes(body)
      }
    }
  }

  /// One file of `writeAll`: its bytes are its parts in order.
  struct Item: @unchecked Sendable {
    var parts: [Part]
    var url: URL
    var keepExisting: (URL) -> Bool = { _ in false }

    init(parts: [Part], url: URL, keepExisting: @escaping (URL) -> Bool = { _ in false }) {
      self.parts = parts
      self.url = url
      self.keepExisting = keepExisting
    }

    init(data: Data, url: URL, keepExisting: @escaping (URL) -> Bool = { _ in false }) {
      self.init(parts: [.bytes(data)], url: url, keepExisting: keepExisting)
    }
  }

  /// `write` of many files at once, each as atomic and durable as by `write`, in far fewer waits
  /// for the disk: every temporary file is written first, then all are flushed (the first
  /// `fsync` commits the journal that holds the others, which then return at once: 60 figure
  /// entries took 150 flushes of 8 ms each one after another), then each takes its name, then
  /// each folder is flushed once. A file that cannot be written is left out (its `Outcome` nil).
  @discardableResult
  static func writeAll(_ items: [Item]) -> [Outcome?] {
    var out = [Outcome?](repeating: nil, count: items.count)
    for start in stride(from: 0, to: items.count, by: 256) {  // at most 256 files open at once
      let chunk = Array(start..<min(items.count, start + 256))
      var temps: [(index: Int, fd: Int32, path: String)] = []
      for i in chunk {
        guard let temp = try? temporaryPath(for: items[i].url), let fd = try? writeUnflushed(items[i].parts, to: temp) else { continue }
        temps.append((i, fd, temp))
      }
      var folders = Set<String>()
      for t in temps {
        let flushed = fsync(t.fd) == 0
        close(t.fd)
        guard flushed else {
          unlink(t.path)
          continue
        }
        let url = items[t.index].url
        out[t.index] = try? place(t.path, at: url, keepExisting: items[t.index].keepExisting)
        if out[t.index] == .written { folders.insert(url.deletingLastPathComponent().path) }
      }
      for folder in folders.sorted() { syncFolder(folder) }
    }
    return out
  }

  /// Creates `path` (it must not exist) and writes all of `parts`, not flushed; returns the open
  /// descriptor. On a failure the partial file is removed.
  static func writeUnflushed(_ parts: [Part], to path: String) throws -> Int32 {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure("cannot create", path) }
    if !parts.allSatisfy({ $0.withBytes { writeFully(fd, $0) } }) {
      let failure = Failure("cannot write", path)
      close(fd)
      unlink(path)
      throw failure
    }
    return fd
  }

  /// Creates `path` (it must not exist), writes all of `parts` and flushes it to disk; on a
  /// failure the partial file is removed.
  static func writeFlushed(_ parts: [Part], to path: String) throws {
    let fd = try writeUnflushed(parts, to: path)
    var failure: Failure?
    if fsync(fd) != 0 { failure = Failure("cannot flush", path) }
    if close(fd) != 0, failure == nil { failure = Failure("cannot close", path) }
    if let failure {
      unlink(path)
      throw failure
    }
  }

  /// Flushes a folder's entries (the new name) to disk; a file system that cannot is ignored.
  static func syncFolder(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { return }
    _ = fsync(fd)
    close(fd)
  }
}

/// Writes every byte of `buffer` to `fd`, going on after short writes and EINTR; false (errno
/// set) on an error. The write loop of `AtomicFile` and `SiteWriter`.
func writeFully(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
  guard let base = buffer.baseAddress else { return true }
  var done = 0
  while done < buffer.count {
    #if canImport(Glibc)
      let n = Glibc.write(fd, base + done, buffer.count - done)
    #else
      let n = Darwin.write(fd, base + done, buffer.count - done)
    #endif
    if n < 0 && errno == EINTR { continue }
    guard n > 0 else { return false }
    done += n
  }
  return true
}

/// Cache entries a step writes together (`AtomicFile.writeAll`), collected from its threads and
/// written by `flush()` at the step's end (also when the step fails, so nothing computed is lost).
final class CacheWrites: @unchecked Sendable {
  private let lock = NSLock()
  private var items: [AtomicFile.Item] = []

  func add(_ item: AtomicFile.Item) {
    lock.lock()
    items.append(item)
    lock.unlock()
  }

  func flush() {
    lock.lock()
    let all = items
    items = []
    lock.unlock()
    AtomicFile.writeAll(all)
  }

  /// `flush` on another thread, joined by `group.wait()` (the build's end): waiting for the disk
  /// overlaps drawing and rendering instead of preceding them.
  func flush(in group: DispatchGroup) {
    DispatchQueue.global().async(group: group) { self.flush() }
  }
}
