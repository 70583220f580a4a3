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
    let folder = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let temp = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(nonce).tmp").path
    try writeFlushed(data, to: temp)
    let target = url.path
    if link(temp, target) == 0 {
      unlink(temp)
      syncFolder(folder.path)
      return .written
    }
    if errno == EEXIST, keepExisting(url) {
      unlink(temp)
      return .kept
    }
    // The name exists and is not accepted, or the file system has no hard links: replace.
    guard rename(temp, target) == 0 else {
      let failure = Failure("cannot rename the temporary file onto", target)
      unlink(temp)
      throw failure
    }
    syncFolder(folder.path)
    return .written
  }

  /// Creates `path` (it must not exist), writes all of `data` and flushes it to disk; on a
  /// failure the partial file is removed.
  static func writeFlushed(_ data: Data, to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure("cannot create", path) }
    var failure: Failure?
    data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
      guard let base = raw.baseAddress else { return }
      var offset = 0
      while offset < raw.count {
        let n = systemWrite(fd, base + offset, raw.count - offset)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else {
          failure = Failure("cannot write", path)
          return
        }
        offset += n
      }
    }
    if failure == nil, fsync(fd) != 0 { failure = Failure("cannot flush", path) }
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

/// `write(2)` (the name `AtomicFile.write` hides).
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
  #else
    Darwin.write(fd, buffer, count)
  #endif
}
