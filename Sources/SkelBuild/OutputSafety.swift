import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The output-folder rule (issue 15 A). A build replaces its output folder as a whole, so it may
/// only ever replace
///
/// - a path that does not exist,
/// - an empty folder, or
/// - a folder a previous build wrote: one holding the marker file `.skelreport-site` whose first
///   line starts with `skelreport` (every site gets one).
///
/// It refuses, before anything is written: an output that is, contains or lies inside the
/// reports folder (for a single report: that contains the report), the templates folder or the
/// cache folder; the working folder or any folder above it; any existing file (or dangling
/// symlink); and any other non-empty folder. The cache must not lie inside the output either.
/// Paths are compared as real paths: symlinks and `..` are resolved, and for a path whose last
/// components do not exist yet, the deepest existing ancestor is resolved and the rest appended.
///
/// `figures --out` follows a weaker rule (`checkFigures`): it adds or replaces only its own
/// files (`<label>.<format>`, `values.tex`) in a folder that may hold anything else, so the
/// folder may be any existing folder except one that is or lies inside the reports, templates
/// or cache folder.
public enum OutputSafety {
  /// The marker file at the root of every site.
  public static let markerName = ".skelreport-site"

  /// What the marker holds: the tool's name and version, and what the folder is.
  public static var markerText: String {
    "skelreport \(Engine.version)\nThis folder is a site written by `skelreport build`; the next build replaces all of it.\n"
  }

  /// Why an output (or cache) folder was refused. Nothing has been written when it is thrown;
  /// the CLI exits 2.
  public struct Refusal: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
  }

  /// Checks `output` against the rule, and returns its real path (the folder the build swaps).
  /// - Parameters:
  ///   - reports: the reports folder or a single report.
  ///   - caches: the cache folders and files the build reads and writes; the CLI passes
  ///     `--cache-dir` even with `--no-cache`, since that folder must survive too.
  ///   - cwd: the working folder.
  @discardableResult
  public static func check(output: URL, reports: URL, templates: URL?, caches: [URL], cwd: URL) throws -> String {
    let given = output.relativePath
    let o = try realPath(output, cwd: cwd)
    let name = "'\(given)'" + (o == given ? "" : " (\(o))")
    let c = try realPath(cwd, cwd: cwd)
    if o == c {
      throw Refusal(
        "refusing to build into \(name): it is the working folder; a build replaces its output folder as a whole, so choose a folder of its own, such as _site"
      )
    }
    if isInside(c, o) {
      throw Refusal(
        "refusing to build into \(name): it contains the working folder \(c); a build replaces its output folder as a whole, so choose a folder of its own, such as _site"
      )
    }
    let guarded =
      [("the reports folder", reports)] + (templates.map { [("the templates folder", $0)] } ?? []) + caches.map { ("the cache folder", $0) }
    for (what, url) in guarded {
      let p = try realPath(url, cwd: cwd)
      if case .file = state(p) {  // a single report, a cache file: the output must not hold it
        if o == p || isInside(p, o) {
          throw Refusal(
            "refusing to build into \(name): it \(o == p ? "is" : "contains") \(what == "the reports folder" ? "the report" : what) \(p); a build replaces its output folder as a whole"
          )
        }
        continue
      }
      if o == p {
        throw Refusal(
          "refusing to build into \(name): it is \(what); a build replaces its output folder as a whole, so choose a folder of its own, such as _site"
        )
      }
      if isInside(o, p) {
        throw Refusal(
          "refusing to build into \(name): it lies inside \(what) \(p); a build replaces its output folder as a whole, so choose a folder outside it, such as _site"
        )
      }
      if isInside(p, o) {
        if what == "the cache folder" {
          throw Refusal(
            "the cache folder \(p) lies inside the output \(name); every build replaces the output, so the cache would be lost: choose a --cache-dir outside it"
          )
        }
        throw Refusal(
          "refusing to build into \(name): it contains \(what) \(p); a build replaces its output folder as a whole, so choose a folder of its own, such as _site"
        )
      }
    }
    switch state(o) {
    case .missing, .empty, .site: return o
    case .file:
      throw Refusal(
        "refusing to build into \(name): it is an existing file, not a folder; a build writes a folder there, so remove the file or choose another output"
      )
    case .foreign:
      throw Refusal(
        "refusing to build into \(name): it is a folder that skelreport did not write (it has no \(markerName) marker) and it is not empty; a build would replace everything in it. Remove it yourself or choose another output (a site from before this rule must be removed once)"
      )
    }
  }

  /// The rule for `figures --out`: the folder may hold other files, but it must not be or lie
  /// inside the reports folder (for a single report, its folder), the templates folder or the
  /// cache folder, and it must not be an existing file. Returns the real path.
  @discardableResult
  public static func checkFigures(output: URL, reports: URL, templates: URL?, caches: [URL], cwd: URL) throws -> String {
    let given = output.relativePath
    let o = try realPath(output, cwd: cwd)
    let name = "'\(given)'" + (o == given ? "" : " (\(o))")
    let guarded =
      [("the reports folder", reports)] + (templates.map { [("the templates folder", $0)] } ?? []) + caches.map { ("the cache folder", $0) }
    for (what, url) in guarded {
      var p = try realPath(url, cwd: cwd)
      if case .file = state(p) {
        guard what == "the reports folder" else { continue }  // a cache file: only writing over it is wrong (below)
        p = (p as NSString).deletingLastPathComponent  // a single report: its folder
      }
      if o == p || isInside(o, p) {
        throw Refusal(
          "refusing to write figures into \(name): it is or lies inside \(what) \(p); figures go to a folder outside the reports, templates and cache, such as figures"
        )
      }
    }
    if case .file = state(o) {
      throw Refusal("refusing to write figures into \(name): it is an existing file, not a folder")
    }
    return o
  }

  /// What is at a (real) path, as far as the rule cares.
  public enum State: Equatable, Sendable {
    case missing, empty, site, foreign
    /// A file, a symlink (dangling: a resolved path only ends in one when it points nowhere) or
    /// anything else that is not a folder.
    case file
  }

  public static func state(_ path: String) -> State {
    var st = stat()
    guard lstat(path, &st) == 0 else { return errno == ENOENT ? .missing : .file }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return .file }
    if hasMarker(path) { return .site }
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return .foreign }
    return names.isEmpty ? .empty : .foreign
  }

  /// Whether `folder` holds our marker: a regular file whose first line starts with `skelreport`.
  public static func hasMarker(_ folder: String) -> Bool {
    let path = folder + "/" + markerName
    var st = stat()
    guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size < 4096,
      let data = FileManager.default.contents(atPath: path)
    else { return false }
    return String(decoding: data.prefix(64), as: UTF8.self).hasPrefix("skelreport")
  }

  /// `a` lies strictly inside `b` (both real, absolute, without a trailing slash).
  static func isInside(_ a: String, _ b: String) -> Bool {
    b == "/" ? a != "/" : a.hasPrefix(b + "/")
  }

  /// The real path of `url` (relative paths against `cwd`): symlinks and `.`/`..` resolved
  /// component by component, as the kernel would; components that do not exist (yet) are
  /// appended as they are. A symlink loop is a refusal.
  public static func realPath(_ url: URL, cwd: URL) throws -> String {
    var raw = url.relativePath.isEmpty ? "." : url.relativePath
    if url.isFileURL, url.baseURL == nil { raw = url.path }
    if !raw.hasPrefix("/") { raw = cwd.path + "/" + raw }
    var pending: [String] = Array(raw.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
    var resolved: [String] = []
    var links = 0
    while let c = pending.popLast() {
      if c == "." { continue }
      if c == ".." {
        _ = resolved.popLast()
        continue
      }
      let candidate = "/" + (resolved + [c]).joined(separator: "/")
      var st = stat()
      if lstat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK {
        links += 1
        guard links <= 40 else { throw Refusal("too many symbolic links (a loop?) while resolving \(raw)") }
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) else {
          resolved.append(c)
          continue
        }
        if target.hasPrefix("/") { resolved = [] }
        // The target's components are resolved in turn (a dangling link resolves to the
        // missing path it names, where the build would write).
        pending += Array(target.split(separator: "/", omittingEmptySubsequences: true).map(String.init).reversed())
        continue
      }
      resolved.append(c)
    }
    return "/" + resolved.joined(separator: "/")
  }
}
