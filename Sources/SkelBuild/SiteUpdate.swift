import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What the last in-place update left in a site (`SiteWriter.update`): each file's bytes (the
/// same buffers the build holds, so comparing an unchanged image costs nothing) and each copy's
/// source with its size and modification time.
public struct PublishedSite: Sendable {
  struct Copy: Equatable {
    var source: String
    var size: Int
    var modified: Double
  }
  var files: [String: SiteFile] = [:]
  var copies: [String: Copy] = [:]
}

extension SiteWriter {
  /// Updates a site this writer published before, in place: only the files whose bytes changed
  /// are written (each to a temporary name beside it, then renamed over it), copies whose source
  /// changed are copied again, files no longer in the site are removed. The first time (no
  /// `previous`) the site is published as a whole (`publish`). For the preview's own site under
  /// the cache folder, which a reader may load while a save is being built; the output rule is
  /// checked as for `publish`. Returns what the site now holds.
  public func update(files: [String: [UInt8]], copies: [String: URL], previous: PublishedSite?) throws -> PublishedSite {
    try update(files: files.mapValues { SiteFile.bytes($0) }, copies: copies, previous: previous)
  }

  /// `update` of site files (an array streamed as `.npy`; a file `kept` at its own path is
  /// unchanged, at another path copied).
  public func update(files: [String: SiteFile], copies: [String: URL], previous: PublishedSite?) throws -> PublishedSite {
    var now = PublishedSite(files: files)
    for (path, url) in copies { now.copies[path] = Self.stamp(url) }
    guard let previous, OutputSafety.state(outPath) == .site else {
      try publish(files: files, copies: copies)
      return now
    }
    try Self.checkPaths(Array(files.keys) + Array(copies.keys))
    for (path, file) in files.sorted(by: { $0.key < $1.key }) {
      if case .kept(let old) = file { now.files[path] = previous.files[old] }  // what it holds, for the next comparison
      guard previous.files[path] != file, file != .kept(path) else { continue }
      try replace(path, with: file)
    }
    for (path, url) in copies.sorted(by: { $0.key < $1.key }) where previous.copies[path] != now.copies[path] {
      let data: Data
      do { data = try Data(contentsOf: url) } catch { throw Self.failure("read (to copy into the site)", url.path, error) }
      try replace(path, with: .bytes(Array(data)))
    }
    let gone = Set(previous.files.keys).union(previous.copies.keys).subtracting(files.keys).subtracting(copies.keys)
    for path in gone.sorted() where unlink(outPath + "/" + path) != 0 && errno != ENOENT {
      throw Self.failure("remove the file no longer in the site", outPath + "/" + path)
    }
    return now
  }

  /// Writes `relative` under the site: a temporary file in its folder, renamed over the old one.
  func replace(_ relative: String, with file: SiteFile) throws {
    let path = outPath + "/" + relative
    try makeFolders((path as NSString).deletingLastPathComponent, doing: "create the folder")
    let temp = (path as NSString).deletingLastPathComponent + "/.skelreport-update-" + Self.tag()
    _ = try place(file, at: temp)  // (a kept file linked, or copied where the link fails)
    guard rename(temp, path) == 0 else {
      let failure = Self.failure("move the updated file over", path)
      _ = unlink(temp)
      throw failure
    }
  }

  static func stamp(_ url: URL) -> PublishedSite.Copy {
    let a = try? FileManager.default.attributesOfItem(atPath: url.path)
    return PublishedSite.Copy(
      source: url.path, size: (a?[.size] as? Int) ?? -1, modified: (a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1)
  }
}
