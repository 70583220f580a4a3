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
  /// Tile folders (`tiles/<key>` in the results folder) of keys no report reaches, each with the
  /// files in it that are ours (tiles, manifests, sums files, a crashed writer's temporary
  /// files): only those are removed, and the folder only once it is then empty.
  public var unusedTiles: [TileFolder] = []
  /// The build manifests (`builds/*.json`, `BuildManifest`): removed with the entries, so that
  /// the next build reads the cache it just cleaned instead of finding its site up to date.
  public var manifests: [URL] = []

  public struct TileFolder: Sendable, Equatable {
    public var folder: URL
    public var files: [URL]
    public var bytes: Int
  }

  /// Removes the unused entries and the tile files listed (never anything else); the first
  /// failure is thrown with its path.
  public func remove() throws {
    for url in unused + manifests { try FileManager.default.removeItem(at: url) }
    for t in unusedTiles {
      for f in t.files { try FileManager.default.removeItem(at: f) }
      if ((try? FileManager.default.contentsOfDirectory(atPath: t.folder.path)) ?? ["?"]).isEmpty {
        try FileManager.default.removeItem(at: t.folder)
      }
    }
  }
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
    if let builds = configuration.cache?.deletingLastPathComponent().appendingPathComponent("builds") {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: builds.path)) ?? []
      cleanup.manifests = names.sorted().map { builds.appendingPathComponent($0) }.filter { BuildManifest.load($0) != nil }
    }
    for folder in [configuration.cache, figureCache].compactMap({ $0 }) {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
      for name in names.sorted() {
        let url = folder.appendingPathComponent(name)
        if folder == configuration.cache, name == "tiles", Self.isFolder(url) {
          tileFolders(url, reached: reached, into: &cleanup)
          continue
        }
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

extension SiteBuilder {
  /// The folders of `tiles/` (named by a directive's key, `RunContext.tileDirectory`): reached
  /// ones are kept; of the others, the files that are ours are listed, everything else is foreign.
  func tileFolders(_ tiles: URL, reached: Set<String>, into cleanup: inout CacheCleanup) {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: tiles.path)) ?? []
    for name in names.sorted() {
      let url = tiles.appendingPathComponent(name)
      guard Self.isFolder(url), !name.isEmpty, name.allSatisfy(\.isHexDigit) else {
        cleanup.foreign.append(url)
        continue
      }
      if reached.contains(name) {
        cleanup.kept += 1
        continue
      }
      var folder = CacheCleanup.TileFolder(folder: url, files: [], bytes: 0)
      for file in ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() {
        let f = url.appendingPathComponent(file)
        guard Self.isOwnTileFile(f) else {
          cleanup.foreign.append(f)
          continue
        }
        folder.files.append(f)
        folder.bytes += (try? f.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0
      }
      guard !folder.files.isEmpty else { continue }
      cleanup.unusedTiles.append(folder)
      cleanup.bytes += folder.bytes
    }
  }

  static func isFolder(_ url: URL) -> Bool {
    var st = stat()
    return lstat(url.path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
  }

  /// A regular file a tile store writes (`SkelTiles.GramTileWriter`): `<store>-<i>-<j>.npy` that
  /// is a NumPy file, `<store>.manifest.json` of our format, `<store>.sums.<pid>.<n>` of
  /// "i-j hex" lines, and a writer's temporary `….tmp` of one of those names.
  static func isOwnTileFile(_ url: URL) -> Bool {
    var st = stat()
    guard lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return false }
    let name = url.lastPathComponent
    func matches(_ pattern: String) -> Bool { name.range(of: pattern, options: .regularExpression) != nil }
    let store = "^[a-z]+"
    guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
    defer { try? handle.close() }
    let head = (try? handle.read(upToCount: 64)) ?? Data()
    if matches(store + "-[0-9]+-[0-9]+\\.npy(\\.[0-9]+\\.[0-9]+\\.tmp)?$") { return head.starts(with: [0x93] + Array("NUMPY".utf8)) }
    if matches(store + "\\.manifest\\.json(\\.[0-9]+\\.tmp)?$") {
      return String(decoding: head, as: UTF8.self).contains("skelreport-tiles-1")
    }
    if matches(store + "\\.sums\\.[0-9]+\\.[0-9]+(\\.[0-9]+\\.tmp)?$") {
      return head.isEmpty
        || String(decoding: head, as: UTF8.self).range(of: "^[0-9]+-[0-9]+ [0-9a-f]+\n", options: .regularExpression) != nil
    }
    return false
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
