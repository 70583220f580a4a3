import CSiteIO
import Foundation
import SkelData
import SkelExperiments

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Writes a whole site into a staging folder beside the output and swaps it in with one
/// `renameat2(RENAME_EXCHANGE)`, so readers never see a half-written site and a failed or killed
/// build leaves the old one untouched (issue 15 F).
///
/// Beside an output `_site` live only names of ours:
///
/// - `._site.lock`: the lock file. A build holds an exclusive `flock` on it from validation to
///   the end; a second build of the same output waits, saying so and naming the lock file.
///   The file stays (deleting a lock file is racy); it holds the last holder's pid.
/// - `._site.staging-<pid>-<ms>`: the site being written; after the exchange it holds the old
///   site until that is removed.
/// - `._site.old-<pid>-<ms>`: the old site, only on platforms without the exchange, between
///   the two renames of the fallback.
///
/// Every site and every staging folder holds the marker `.skelreport-site` (written first,
/// removed last), so a leftover of a killed build is recognized by its name and its marker
/// (or by being empty) and removed by the next build (`recover`); if the output itself is
/// missing and an `.old-*` with a marker exists, that old site is put back first.
public struct SiteWriter: Sendable {
  /// The real path of the output (see `OutputSafety.check`).
  public let output: URL
  public var log: @Sendable (String) -> Void
  /// Swap with `RENAME_EXCHANGE` where the platform has it; `false` forces the two-rename
  /// fallback of other platforms (for tests).
  public var exchange = true
  /// How the staged files are made durable before the swap.
  public var sync: Sync = .fileSystem

  public enum Sync: Sendable {
    /// One `syncfs` on the staging folder's file system after every file is written (falls
    /// back to `eachFile` where there is none).
    case fileSystem
    /// `fsync` every file, then every folder, after all of them are written.
    case eachFile
    /// None (tests of the swap only).
    case none
  }

  public init(output: URL, log: @escaping @Sendable (String) -> Void = { _ in }) {
    self.output = output.standardizedFileURL
    self.log = log
  }

  var outPath: String { output.path }
  var parent: String { (outPath as NSString).deletingLastPathComponent }
  var name: String { (outPath as NSString).lastPathComponent }
  /// The lock file beside the output.
  public var lockPath: String { parent + "/." + name + ".lock" }

  static func tag() -> String {
    "\(getpid())-\(UInt64(Date().timeIntervalSince1970 * 1000))"
  }

  // MARK: - Lock

  /// An exclusive lock on the output, held until `release()` (or the process ends: the kernel
  /// drops `flock`s of dead processes, so a killed build never leaves a stale lock).
  public final class Lock: @unchecked Sendable {
    private var fd: Int32
    public let path: String
    init(fd: Int32, path: String) {
      self.fd = fd
      self.path = path
    }
    public func release() {
      if fd >= 0 { close(fd) }
      fd = -1
    }
    deinit { release() }
  }

  /// Takes the lock beside the output, creating the output's parent folder if needed. If
  /// another build holds it, logs that (with the lock's path and the holder's pid) and waits.
  public func lock() throws -> Lock {
    try makeFolders(parent, doing: "create the output's parent folder")
    let path = lockPath
    let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else { throw Self.failure("create the lock file", path) }
    if flock(fd, LOCK_EX | LOCK_NB) != 0 {
      let e = errno
      guard e == EWOULDBLOCK || e == EAGAIN else {
        close(fd)
        throw Self.failure("lock", path, errno: e)
      }
      var buffer = [UInt8](repeating: 0, count: 32)
      let n = pread(fd, &buffer, 32, 0)
      let holder = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
      log("waiting for another build of \(outPath) to finish (lock \(path)\(holder.isEmpty ? "" : " held by process \(holder)"))")
      while flock(fd, LOCK_EX) != 0 {
        guard errno == EINTR else {
          let e = errno
          close(fd)
          throw Self.failure("lock", path, errno: e)
        }
      }
    }
    // The holder's pid, for the message of the next one that waits: a fixed width, written in
    // place (never truncated), so a waiter reading it sees a whole number.
    let number = "\(getpid())"
    let pid = Array((String(repeating: " ", count: max(0, 11 - number.count)) + number + "\n").utf8)
    _ = pwrite(fd, pid, pid.count, 0)
    return Lock(fd: fd, path: path)
  }

  // MARK: - Leftovers

  enum LeftoverKind { case staging, old }

  /// Our leftover names beside the output: `.<name>.staging-<pid>-<ms>`, `.<name>.old-<pid>-<ms>`.
  func leftover(_ entry: String) -> (kind: LeftoverKind, ms: UInt64)? {
    for (kind, infix) in [(LeftoverKind.staging, ".staging-"), (.old, ".old-")] {
      let prefix = "." + name + infix
      guard entry.hasPrefix(prefix) else { continue }
      let parts = entry.dropFirst(prefix.count).split(separator: "-", omittingEmptySubsequences: false)
      guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
        let ms = UInt64(parts[1])
      else { continue }
      return (kind, ms)
    }
    return nil
  }

  /// Removes what killed builds left beside the output, and puts the old site back if a build
  /// died between the two renames of the fallback. Call it holding the lock. Only folders with
  /// our names that hold our marker (or are empty) are touched; what cannot be removed or
  /// restored is logged as a `warning: …` line.
  public func recover() {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
    var found: [(path: String, kind: LeftoverKind, ms: UInt64)] = []
    for entry in entries.sorted() {
      guard let (kind, ms) = leftover(entry) else { continue }
      let path = parent + "/" + entry
      switch OutputSafety.state(path) {
      case .site, .empty: found.append((path, kind, ms))
      case .foreign where Self.holdsOnlyAPartialMarker(path): found.append((path, kind, ms))  // killed while writing it
      default:
        log("warning: \(path) looks like a leftover of an interrupted build but is not ours (no \(OutputSafety.markerName)); left alone")
      }
    }
    if OutputSafety.state(outPath) == .missing,
      let old = found.filter({ $0.kind == .old && OutputSafety.hasMarker($0.path) }).max(by: { $0.ms < $1.ms })
    {
      if rename(old.path, outPath) == 0 {
        log("restored the previous site \(outPath) from \(old.path) (a build was interrupted while swapping)")
        found.removeAll { $0.path == old.path }
      } else {
        log("warning: \(Self.text(Self.failure("restore the previous site from", old.path)))")
      }
    }
    // A leftover that cannot be removed (a read-only folder inside it) is a warning: it must
    // not stop every later build.
    for f in found {
      do {
        try removeSite(f.path)
        log("removed \(f.path), left by an interrupted build")
      } catch {
        log("warning: \(Self.text(error))")
      }
    }
  }

  /// Whether `folder` holds nothing but a marker cut short: the marker file, with a prefix of
  /// the marker's text (a build killed between creating the marker and finishing its write).
  static func holdsOnlyAPartialMarker(_ folder: String) -> Bool {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder), names == [OutputSafety.markerName] else { return false }
    let path = folder + "/" + OutputSafety.markerName
    var st = stat()
    guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 4096, let data = FileManager.default.contents(atPath: path)
    else { return false }
    return Array(OutputSafety.markerText.utf8).starts(with: Array(data))
  }

  /// Removes a site folder of ours: everything but the marker, then the marker, then the
  /// folder, so a removal cut short is still recognized (and finished) by the next build.
  func removeSite(_ path: String) throws {
    let fm = FileManager.default
    guard OutputSafety.hasMarker(path) || OutputSafety.state(path) == .empty || Self.holdsOnlyAPartialMarker(path) else {
      throw BuildError.stage(name: "Write site", message: "will not remove \(path): it has no \(OutputSafety.markerName) marker")
    }
    let names: [String]
    do { names = try fm.contentsOfDirectory(atPath: path) } catch { throw Self.failure("list", path, error) }
    for entry in names where entry != OutputSafety.markerName {
      do { try fm.removeItem(atPath: path + "/" + entry) } catch { throw Self.failure("remove", path + "/" + entry, error) }
    }
    if unlink(path + "/" + OutputSafety.markerName) != 0, errno != ENOENT {
      throw Self.failure("remove", path + "/" + OutputSafety.markerName)
    }
    if rmdir(path) != 0 { throw Self.failure("remove the folder", path) }
  }

  // MARK: - Publish

  /// Writes the site to a staging folder and swaps it over the output. Call it holding the
  /// lock. The output must be missing, empty or a site of ours (checked again here, under the
  /// lock, just before writing); otherwise `OutputSafety.Refusal` is thrown and nothing written.
  /// - Parameters:
  ///   - files: relative path → bytes.
  ///   - copies: relative path → an existing file to copy.
  public func publish(files: [String: [UInt8]], copies: [String: URL]) throws {
    try publish(files: files.mapValues { SiteFile.bytes($0) }, copies: copies)
  }

  /// `publish` of site files: an array is streamed as `.npy` (`SiteFile.npy`), and a file the
  /// current site holds unchanged (`SiteFile.kept`) is hard-linked from it into the staging
  /// folder (copied where the file system refuses the link). Only the files written (not the
  /// linked ones, which an earlier build made durable) and the folders are flushed.
  public func publish(files: [String: SiteFile], copies: [String: URL]) throws {
    switch OutputSafety.state(outPath) {
    case .missing, .empty, .site: break
    case .file: throw OutputSafety.Refusal("refusing to replace \(outPath): it is now an existing file, not a site folder")
    case .foreign:
      throw OutputSafety.Refusal(
        "refusing to replace \(outPath): it is now a folder that skelreport did not write (no \(OutputSafety.markerName) marker)")
    }
    try Self.checkPaths(Array(files.keys) + Array(copies.keys))
    try Self.checkPaths(files.values.compactMap { if case .kept(let old) = $0 { return old } else { return nil } })
    try makeFolders(parent, doing: "create the output's parent folder")
    let staging = parent + "/." + name + ".staging-" + Self.tag()
    guard mkdir(staging, 0o755) == 0 else { throw Self.failure("create the staging folder", staging) }
    do {
      var stage = Staging(root: staging)
      try writeFile(staging + "/" + OutputSafety.markerName, Array(OutputSafety.markerText.utf8))  // first: the folder is ours
      stage.written.append(staging + "/" + OutputSafety.markerName)
      for (relative, file) in files.sorted(by: { $0.key < $1.key }) {
        let path = try stage.folder(for: relative)
        if try place(file, at: path) { stage.written.append(path) }
      }
      for (relative, source) in copies.sorted(by: { $0.key < $1.key }) {
        let data: Data
        do { data = try Data(contentsOf: source) } catch { throw Self.failure("read (to copy into the site)", source.path, error) }
        let path = try stage.folder(for: relative)
        try writeFile(path, Array(data))
        stage.written.append(path)
      }
      try flush(staging: staging, files: stage.written, folders: Array(stage.folders))
      try swap(staging)
    } catch {
      if OutputSafety.hasMarker(staging) || OutputSafety.state(staging) == .empty { try? removeSite(staging) }
      throw error
    }
  }

  /// The staging folder's subfolders made so far and the files written (to flush).
  struct Staging {
    let root: String
    var folders: Set<String>
    var written: [String] = []
    init(root: String) {
      self.root = root
      folders = [root]
    }

    /// The staged path of `relative`, its folders made.
    mutating func folder(for relative: String) throws -> String {
      let path = root + "/" + relative
      var folder = (path as NSString).deletingLastPathComponent
      var missing: [String] = []
      while !folders.contains(folder) {
        missing.append(folder)
        folder = (folder as NSString).deletingLastPathComponent
      }
      for f in missing.reversed() {
        guard mkdir(f, 0o755) == 0 || errno == EEXIST else { throw SiteWriter.failure("create the folder", f) }
        folders.insert(f)
      }
      return path
    }
  }

  /// Puts one file at `path`; whether it was written (a kept file that was linked was not).
  func place(_ file: SiteFile, at path: String) throws -> Bool {
    switch file {
    case .bytes(let bytes): try writeFile(path, bytes)
    case .npy(let array): try writeArray(path, array)
    case .kept(let old):
      let source = outPath + "/" + old
      if link(source, path) == 0 { return false }
      guard let data = FileManager.default.contents(atPath: source) else { throw Self.failure("read (to keep in the site)", source) }
      try writeFile(path, Array(data))
    }
    return true
  }

  /// A result's array as `.npy`: `NPY.header`, then the values' own bytes (no copy of the matrix).
  func writeArray(_ path: String, _ array: ResultArray) throws {
    guard array.values.count == ResultCache.numbers(array.shape), let header = NPY.header(shape: array.shape, alignment: 64) else {
      throw BuildError.stage(
        name: "Write site", message: "cannot write \(path): array '\(array.name)' does not hold its shape \(array.shape)")
    }
    try withFile(path) { fd in
      try header.withUnsafeBytes { try writeAll(fd, $0, path) }
      try array.values.withUnsafeBytes { try writeAll(fd, $0, path) }
    }
  }

  /// Every path must be a plain relative path inside the site (and not the marker).
  static func checkPaths(_ paths: [String]) throws {
    for path in paths {
      let parts = path.split(separator: "/", omittingEmptySubsequences: false)
      if path.hasPrefix("/") || parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) || path == OutputSafety.markerName {
        throw BuildError.stage(name: "Write site", message: "refusing to write '\(path)': not a plain relative path inside the site")
      }
    }
  }

  /// Up to this many written files are flushed one by one rather than by `syncfs`.
  static let fewFiles = 64

  /// Makes the staged files durable, all at once after all are written (a `fsync` per file as
  /// it is written costs a journal commit each: 10⁴ files took tens of seconds).
  func flush(staging: String, files: [String], folders: [String]) throws {
    // A few files written (an edit's build, the rest linked from the old site): their own
    // flushes cost less than one `syncfs`, which also waits for every other writer's data.
    let sync = self.sync == .fileSystem && files.count <= Self.fewFiles ? .eachFile : self.sync
    switch sync {
    case .none: return
    case .fileSystem:
      let fd = open(staging, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
      guard fd >= 0 else { throw Self.failure("open", staging) }
      let e = siteio_syncfs(fd)
      close(fd)
      if e == 0 { return }
      if e != ENOSYS { throw Self.failure("flush (syncfs) the file system of", staging, errno: e) }
      fallthrough
    case .eachFile:
      for path in files + folders.sorted(by: { $0.count > $1.count }) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Self.failure("open (to flush)", path) }
        let ok = fsync(fd) == 0
        let e = errno
        close(fd)
        if !ok { throw Self.failure("flush (fsync)", path, errno: e) }
      }
    }
  }

  /// Puts the staged site at the output in one step, then removes the old site.
  func swap(_ staging: String) throws {
    var old: String?
    switch OutputSafety.state(outPath) {
    case .missing:
      // rename(2) never replaces a non-empty folder or a folder by a file: nothing can be lost.
      guard rename(staging, outPath) == 0 else { throw Self.failure("move the new site \(staging) to", outPath) }
    case .empty, .site:
      let e = exchange ? siteio_exchange(staging, outPath) : ENOSYS
      if e == 0 {
        old = staging  // the old site now sits at the staging name
      } else if e == ENOSYS || e == EINVAL {
        // No exchange on this platform or file system: two renames. A build killed between
        // them leaves no output but `.old-*`, which the next build's `recover` puts back.
        let aside = parent + "/." + name + ".old-" + Self.tag()
        guard rename(outPath, aside) == 0 else { throw Self.failure("move the previous site aside to \(aside) from", outPath) }
        guard rename(staging, outPath) == 0 else {
          let failure = Self.failure("move the new site \(staging) to", outPath)
          _ = rename(aside, outPath)  // put the old site back
          throw failure
        }
        old = aside
      } else {
        throw Self.failure("swap the new site \(staging) with", outPath, errno: e)
      }
    case .file, .foreign:
      throw OutputSafety.Refusal("refusing to replace \(outPath): it is no longer empty or a site of ours")
    }
    // The rename itself is durable once the parent folder is.
    let fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
      _ = fsync(fd)
      close(fd)
    }
    if let old {
      do { try removeSite(old) } catch {
        log("warning: the new site is in place, but the previous one could not be removed: \(Self.text(error)); the next build tries again")
      }
    }
  }

  // MARK: - Files

  func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    try withFile(path) { fd in try bytes.withUnsafeBytes { try writeAll(fd, $0, path) } }
  }

  /// Creates `path` (replacing a file there, never following a symlink), runs `body` on it, closes it.
  func withFile(_ path: String, _ body: (Int32) throws -> Void) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o644)
    guard fd >= 0 else { throw Self.failure("create", path) }
    do { try body(fd) } catch {
      close(fd)
      throw error
    }
    guard close(fd) == 0 else { throw Self.failure("write", path) }
  }

  /// Writes every byte of `buffer` to `fd` (`writeFully`).
  func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, _ path: String) throws {
    guard writeFully(fd, buffer) else { throw Self.failure("write", path) }
  }

  func makeFolders(_ path: String, doing what: String) throws {
    do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
      throw Self.failure(what, path, error)
    }
  }

  // MARK: - Messages

  /// A stage error's message alone (for warning lines).
  static func text(_ error: Error) -> String {
    if case .stage(_, let message)? = error as? BuildError { return message }
    return FileErrorText.reason(error)
  }

  /// `cannot <what> <path>: <reason>` from an errno.
  static func failure(_ what: String, _ path: String, errno e: Int32 = errno) -> BuildError {
    BuildError.stage(name: "Write site", message: "cannot \(what) \(path): \(String(cString: strerror(e)))")
  }

  /// The same from a Foundation error: the POSIX reason underneath, not "NSCocoaErrorDomain
  /// error 512".
  static func failure(_ what: String, _ path: String, _ error: Error) -> BuildError {
    BuildError.stage(name: "Write site", message: "cannot \(what) \(path): \(FileErrorText.reason(error))")
  }
}

/// Foundation file errors as text a person can act on: the POSIX reason (and the path Foundation
/// names, when it differs from the one in the message) instead of "NSCocoaErrorDomain error 512".
public enum FileErrorText {
  public static func reason(_ error: Error) -> String {
    let ns = error as NSError
    var text: String
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? POSIXError {
      text = String(cString: strerror(posix.code.rawValue))
    } else if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error, (underlying as NSError).domain == NSPOSIXErrorDomain {
      text = String(cString: strerror(Int32((underlying as NSError).code)))
    } else if ns.domain == NSPOSIXErrorDomain {
      text = String(cString: strerror(Int32(ns.code)))
    } else {
      text = ns.localizedDescription
    }
    if let path = ns.userInfo[NSFilePathErrorKey] as? String { text += " (at \(path))" }
    return text
  }
}
