import Foundation

/// What `skelreport clean --unused` finds in the cache folders: entries no directive of the
/// reports reaches (their key is no directive's result key, nor the key of one of its drawn
/// images), and files it does not recognize as its own entries, which are never touched.
public struct CacheCleanup: Sendable {
  /// Entries of ours that no report reaches, sorted.
  public var unused: [URL] = []
  /// Their total size in bytes.
  public var bytes: Int = 0
  /// Entries still reached.
  public var kept = 0
  /// Files in the cache folders that are not our entries (left alone).
  public var foreign: [URL] = []
}

extension SiteBuilder {
  /// The cache entries no report reaches: the reports are read and validated (nothing runs),
  /// every directive's result key and image keys are reachable, everything else of ours in the
  /// results and figures folders is not. `math.json` (one file of formulas) is not pruned.
  public func unusedCacheEntries() throws -> CacheCleanup {
    let run = BuildRun()
    try execute(Pipeline.plan, run)
    var reached = Set<String>()
    for report in run.plans {
      for d in report.directives {
        for unit in d.units { reached.insert(unit.key) }
        for render in renders(d) { reached.insert(figureKey(d, render)) }
      }
    }
    var cleanup = CacheCleanup()
    for folder in [configuration.cache, figureCache].compactMap({ $0 }) {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for name in names.sorted() {
        let url = folder.appendingPathComponent(name)
        guard let key = CacheEntryFile.ownKey(url) else {
          cleanup.foreign.append(url)
          continue
        }
        if reached.contains(key) {
          cleanup.kept += 1
        } else {
          cleanup.unused.append(url)
          cleanup.bytes += (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
        }
      }
    }
    return cleanup
  }
}

extension CacheEntryFile {
  /// The key of a cache entry this program wrote: a regular file named `<hex key>.<json, svg,
  /// png or pdf>` whose first line is our header naming that key; `nil` for anything else.
  static func ownKey(_ url: URL) -> String? {
    let name = url.lastPathComponent, ext = url.pathExtension
    let key = String(name.dropLast(ext.count + 1))
    guard ["json", "svg", "png", "pdf"].contains(ext), !key.isEmpty, key.allSatisfy(\.isHexDigit) else { return nil }
    var st = stat()
    guard lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, let handle = try? FileHandle(forReadingFrom: url) else { return nil }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 4096)) ?? Data()
    guard let newline = head.firstIndex(of: 0x0A),
      let header = try? JSONDecoder().decode(Header.self, from: head[head.startIndex..<newline]),
      header.format.hasPrefix("skelreport-"), header.key == key
    else { return nil }
    return key
  }
}
