import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo

/// `skelreport clean --unused`: cache entries no report reaches, listed (a dry run) or, with
/// `--delete`, removed. Only files that are the build's own entries (named by their key, with
/// the header that names it; in a tile folder `tiles/<key>`, the tile store's own files) are
/// ever listed or removed.
struct CleanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "clean", abstract: "List (or with --delete remove) the cache entries no report reaches.")

  @Argument(help: "A folder of reports (*.md) or one report: what the cache must keep.")
  var reports: String = "reports"

  @Option(help: "The cache folder the builds use.")
  var cacheDir: String = ".skelcache"

  @Flag(help: "Entries that no directive of the reports reaches (results, drawn figures and tile folders).")
  var unused = false

  @Flag(help: "Remove them (without it, clean only lists what it would remove).")
  var delete = false

  func run() throws {
    guard unused else {
      FileHandle.standardError.write(Data("error: say what to clean: --unused (cache entries no report reaches)\n".utf8))
      throw ExitCode(2)
    }
    try CacheFolderFlag.check(cacheDir)
    let config = BuildConfiguration.readingCache(reports: reports, cacheDir: cacheDir)
    let cleanup: CacheCleanup
    do {
      cleanup = try SiteBuilder(configuration: config, backend: CairoBackend()).unusedCacheEntries()
    } catch let error as BuildError {
      Diagnostics.report(error, what: "nothing was changed")
      throw ExitCode(1)
    }
    if delete {
      do { try cleanup.remove() } catch {
        Diagnostics.report(BuildError.io(error, stage: "Clean", doing: "cannot remove the cache entry", path: cacheDir))
        throw ExitCode(1)
      }
    }
    for url in cleanup.unused { print((delete ? "removed " : "would remove ") + url.path) }
    for t in cleanup.unusedTiles {
      print((delete ? "removed " : "would remove ") + t.folder.path + "/ (\(t.files.count) tile file\(t.files.count == 1 ? "" : "s"))")
    }
    let size = cleanup.bytes == 0 ? "0 bytes" : ByteCountFormatter.string(fromByteCount: Int64(cleanup.bytes), countStyle: .binary)
    let count = cleanup.unused.count + cleanup.unusedTiles.count
    var line = "\(count) unused cache entr\(count == 1 ? "y" : "ies") (\(size)), \(cleanup.kept) in use"
    if !cleanup.foreign.isEmpty { line += "; \(cleanup.foreign.count) other file(s) left alone" }
    print(line + (delete || count == 0 ? "" : "; run again with --delete to remove them"))
  }
}

/// `--cache-dir`: a path that is an existing file is refused (exit 2), by every command.
enum CacheFolderFlag {
  static func refusal(_ path: String) -> OutputSafety.Refusal? {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { return nil }
    return OutputSafety.Refusal("refusing to use '\(path)' as the cache folder: it is an existing file, not a folder")
  }

  /// Prints the refusal and exits 2, for the commands that write no site.
  static func check(_ path: String) throws {
    guard let refusal = refusal(path) else { return }
    Diagnostics.refuse(refusal)
    throw ExitCode(2)
  }
}

extension BuildConfiguration {
  /// The configuration of a command that reads the reports and the cache but writes no site
  /// (`clean`, `why`, `plan`, `shard`): results in `<cache-dir>/results`.
  static func readingCache(reports: String, cacheDir: String) -> BuildConfiguration {
    let cache = URL(fileURLWithPath: cacheDir)
    return BuildConfiguration(
      reports: URL(fileURLWithPath: reports), output: cache.appendingPathComponent("unused-output"), templates: nil,
      cache: cache.appendingPathComponent("results"))
  }
}
