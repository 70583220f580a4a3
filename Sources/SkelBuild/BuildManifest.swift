import Dispatch
import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A file's `stat` as far as a change shows in it: which file (device, inode), its type and size,
/// and when its data (`mtime`) or inode (`ctime`: any write, rename, link or `touch`) last changed,
/// to the nanosecond. `nil` where a path is missing.
struct FileStamp: Codable, Equatable, Sendable {
  var device: UInt64
  var inode: UInt64
  var mode: UInt32
  var size: Int64
  var mtime: Int64
  var ctime: Int64

  /// `stat` (following symlinks) or `lstat` (the site's own files, which are never symlinks).
  static func of(_ path: String, follow: Bool = true) -> FileStamp? {
    var st = stat()
    guard (follow ? stat(path, &st) : lstat(path, &st)) == 0 else { return nil }
    #if canImport(Darwin)
      let (m, c) = (st.st_mtimespec, st.st_ctimespec)
    #else
      let (m, c) = (st.st_mtim, st.st_ctim)
    #endif
    return FileStamp(
      device: UInt64(st.st_dev), inode: UInt64(st.st_ino), mode: UInt32(st.st_mode), size: Int64(st.st_size),
      mtime: Int64(m.tv_sec) * 1_000_000_000 + Int64(m.tv_nsec), ctime: Int64(c.tv_sec) * 1_000_000_000 + Int64(c.tv_nsec))
  }

  /// Changed at or after `time` (nanoseconds since 1970), by data or inode.
  func changed(since time: Int64) -> Bool { mtime >= time || ctime >= time }
}

/// What the last successful `publish` of an output was made of and what it wrote
/// (`<cache>/../builds/<output hash>.json`), so that a build with nothing changed can say so
/// after a few `stat`s instead of reading its results and writing the site again, and a build with
/// something changed keeps the files it would write again byte for byte (`SiteFile.kept`):
///
/// - `configuration`: every setting that reaches the site (paths, flags, engine, themes, kinds);
/// - `binary`: the running executable's stamp (SkelBuild and the templates are not in the engine
///   stamp, so another build of the binary may write other pages);
/// - `reports`: each report's path and the identity (`ContentDigest`) of the bytes the build
///   read, and the folder's list of reports;
/// - `read`: the stamp of every other file the build read (templates, bibliographies, input files,
///   KaTeX's and lunr's files), and `listings`: the folders whose names matter (templates, fonts);
/// - `site`: each file's identity and the `lstat` taken after the swap, and each folder's.
///
/// A build whose files changed while it ran (a stamp at or after its start, less a second) writes
/// no manifest, so the next build is a whole one. The manifest is written after the swap; a build
/// killed between the two leaves the old manifest, whose site stamps no longer match.
struct BuildManifest: Codable, Sendable {
  static let format = "skelreport-build/2"

  struct SiteEntry: Codable, Equatable, Sendable {
    var identity: String
    var stamp: FileStamp
  }
  struct Counts: Codable, Sendable {
    var reports: Int
    var figures: Int
    /// Every directive (an up-to-date build takes each from the last one).
    var hits: Int
    var files: Int
    var warnings: [String]
  }

  var format = Self.format
  var configuration: String
  var binary: FileStamp?
  var reports: [String: String]
  var reportNames: [String]
  var read: [String: FileStamp?]
  var listings: [String: [String]]
  var site: [String: SiteEntry]
  var folders: [String: FileStamp]
  var counts: Counts
  /// Each figure's covering warnings, by its page image's figure key (`SiteBuilder.coverings`).
  var coverings: [String: [String]] = [:]
  /// Each figure's size, by the same key: a build whose images of a figure are all intact needs
  /// only these of it, so it does not make the figure from its result (`SiteBuilder.drawFigures`).
  var sizes: [String: FigureSize] = [:]

  /// Where the manifest of `output` (its real path) lives, beside the results cache; nil without one.
  static func url(cache: URL?, output: URL) -> URL? {
    cache.map {
      $0.deletingLastPathComponent().appendingPathComponent("builds").appendingPathComponent(
        String(SHA256Hash.hex(Array(output.standardizedFileURL.path.utf8)).prefix(32)) + ".json")
    }
  }

  static func load(_ url: URL?) -> BuildManifest? {
    guard let url, let data = FileManager.default.contents(atPath: url.path),
      let m = try? JSONDecoder().decode(BuildManifest.self, from: data), m.format == format
    else { return nil }
    return m
  }

  func store(_ url: URL?) {
    guard let url else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(self) else { return }
    _ = try? AtomicFile.write(data, to: url)
  }

  /// The folder of a relative path (`a/b/c.svg` → `a/b`, `index.html` → ``).
  static func parent(_ path: String) -> String { path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "" }

  /// Every path below `folder` (sorted; empty when it cannot be listed).
  static func listing(_ folder: String) -> [String] { ((try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []).sorted() }

  /// The running executable (`/proc/self/exe` on Linux).
  static var executable: String? {
    if FileManager.default.fileExists(atPath: "/proc/self/exe") { return "/proc/self/exe" }
    return Bundle.main.executablePath
  }

  /// The site files that are still as this manifest's build left them, by identity (one path
  /// each): what a build may keep instead of writing again. Empty when the output is not the
  /// site it published (another folder at its name).
  func intactFiles(output: String) -> [String: String] {
    guard folders[""] == FileStamp.of(output, follow: false) else { return [:] }
    var out: [String: String] = [:]
    for (path, entry) in site where out[entry.identity] == nil && FileStamp.of(output + "/" + path, follow: false) == entry.stamp {
      out[entry.identity] = path
    }
    return out
  }

  /// Whether the site is exactly what this manifest's build wrote: every file and folder as stamped.
  func siteIsIntact(output: String) -> Bool {
    folders.allSatisfy { FileStamp.of($0.key.isEmpty ? output : output + "/" + $0.key, follow: false) == $0.value }
      && site.allSatisfy { FileStamp.of(output + "/" + $0.key, follow: false) == $0.value.stamp }
  }

  /// The site's own stamps after the swap: each file's (with its identity) and each folder's.
  static func stampSite(output: String, identities: [String: String]) -> (site: [String: SiteEntry], folders: [String: FileStamp])? {
    var site: [String: SiteEntry] = [:], folders: [String: FileStamp] = [:]
    for (path, identity) in identities {
      guard let stamp = FileStamp.of(output + "/" + path, follow: false) else { return nil }
      site[path] = SiteEntry(identity: identity, stamp: stamp)
      var folder = parent(path)
      while !folder.isEmpty, folders[folder] == nil {
        guard let s = FileStamp.of(output + "/" + folder, follow: false) else { return nil }
        folders[folder] = s
        folder = parent(folder)
      }
    }
    guard let root = FileStamp.of(output, follow: false) else { return nil }
    folders[""] = root
    return (site, folders)
  }
}

extension SiteBuilder {
  /// Every setting of the builder that reaches the site, as text.
  var manifestConfiguration: String {
    let c = configuration
    let parts: [String] = [
      c.reports.standardizedFileURL.path, c.output.standardizedFileURL.path, c.templates?.standardizedFileURL.path ?? "-",
      c.cache?.standardizedFileURL.path ?? "-", c.katex.nodePath, c.katex.modulePath, c.katexAssets.standardizedFileURL.path,
      c.lunrScript.standardizedFileURL.path, "\(c.pngPixelsPerPoint)", "\(c.strict)", "\(c.reproducible)", "\(c.allowHTML)",
      "\(c.budget.bytes)", "\(c.budget.seconds)", "\(c.maxBuildSeconds)", c.workingDirectory.standardizedFileURL.path, c.engine,
      "\(c.computeMissing)", "\(c.updateInPlace)", themeText, _typeName(type(of: backend)),
      registry.schemas.keys.sorted().joined(separator: ","),
    ]
    return parts.joined(separator: "\u{1F}")
  }

  /// The themes as text: `default` for the built-in pair (compared, not printed: printing a
  /// struct walks it by reflection, whose first conformance lookups scan the whole binary — the
  /// larger part of a no-change build's 10 ms), else their descriptions.
  var themeText: String { theme == .light && darkTheme == .dark ? "default" : "\(theme)|\(darkTheme)" }

  /// The files besides the reports that every build reads (templates, KaTeX's and lunr's files),
  /// and the folders whose listings it reads.
  func fixedInputs() -> (files: [String], listings: [String: [String]]) {
    var files = [
      configuration.katexAssets.appendingPathComponent("katex.min.css").path, configuration.lunrScript.path,
      URL(fileURLWithPath: configuration.katex.modulePath).appendingPathComponent("katex/package.json").path,
    ]
    var listings: [String: [String]] = [:]
    let fonts = configuration.katexAssets.appendingPathComponent("fonts").resolvingSymlinksInPath().path
    let fontNames = BuildManifest.listing(fonts)
    listings[fonts] = fontNames
    files += fontNames.filter { $0.hasSuffix(".woff2") }.map { fonts + "/" + $0 }
    if let folder = configuration.templates?.standardizedFileURL.path {
      let names = BuildManifest.listing(folder)
      listings[folder] = names
      files += names.map { folder + "/" + $0 }
    }
    return (files, listings)
  }

  /// The reports a build reads: the `*.md` of the folder (sorted), or the one report.
  func reportPaths() -> [String]? {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: configuration.reports.path, isDirectory: &isDir) else { return nil }
    guard isDir.boolValue else { return [configuration.reports.path] }
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: configuration.reports.path) else { return nil }
    // (`reportPath` of each: the folder is known to be one)
    return names.filter { URL(fileURLWithPath: $0).pathExtension == "md" }.sorted().map {
      configuration.reports.appendingPathComponent($0).path
    }
  }

  /// A report's path as the manifest names it: the folder's path and the file's name.
  func reportPath(_ name: String) -> String {
    var isDir: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: configuration.reports.path, isDirectory: &isDir)
    return isDir.boolValue ? configuration.reports.appendingPathComponent(name).path : configuration.reports.path
  }
}

// MARK: - The check and the record

extension SiteBuilder {
  /// The manifest of this builder's output (its real path).
  func manifestURL(_ output: URL) -> URL? { BuildManifest.url(cache: configuration.cache, output: output) }

  /// Takes the output's lock, reads the last build's manifest, and returns that build's summary
  /// when nothing it was made of changed and its site is as it left it (nothing is read beyond
  /// the reports and a `stat` of every other file, nothing written); nil otherwise.
  func upToDate(_ run: BuildRun) throws -> Summary? {
    guard let output = run.output else { return nil }
    let start = DispatchTime.now().uptimeNanoseconds
    do { try takeLock(run) } catch BuildError.stage(_, let message) {  // named as the step that takes it otherwise
      throw BuildError.stage(name: BuildStep.lockOutput.name, message: message)
    }
    guard let m = BuildManifest.load(manifestURL(output)) else { return nil }
    run.manifest = m
    guard m.configuration == manifestConfiguration, m.binary == BuildManifest.executable.flatMap({ FileStamp.of($0) }),
      let paths = reportPaths(), paths == m.reportNames,
      paths.allSatisfy({ p in FileManager.default.contents(atPath: p).map { Self.identity(of: $0) } == m.reports[p] }),
      m.listings.allSatisfy({ BuildManifest.listing($0.key) == $0.value }),
      m.read.allSatisfy({ FileStamp.of($0.key) == $0.value }), m.siteIsIntact(output: output.path)
    else { return nil }
    run.context.record("Check the last build", seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    let c = m.counts
    return Summary(
      reports: c.reports, figures: c.figures, cacheHits: c.hits, files: c.files, warnings: c.warnings, timings: run.context.timings,
      upToDate: true)
  }

  static func identity(of data: Data) -> String { data.withUnsafeBytes { ContentDigest.identity([$0]) } }

  /// Records what this build read and wrote (`BuildManifest`), after the swap; or removes the
  /// manifest when a file it read changed while it ran or a warning was about the machine (a
  /// repaired cache entry, a leftover), so the next build is a whole one.
  func storeManifest(_ run: BuildRun, identities: [String: String]) {
    guard configuration.upToDateCheck, memory == nil, let output = run.output, let url = manifestURL(output) else { return }
    try? FileManager.default.removeItem(at: url)
    let (fixed, fixedListings) = fixedInputs()
    var read: [String: FileStamp?] = [:]
    for path in fixed + run.context.readFiles + bibliographies(run.plans) { read[path] = .some(FileStamp.of(path)) }
    guard !run.context.transient, let paths = reportPaths(), Set(paths) == Set(run.context.reportIdentities.keys),
      !read.values.contains(where: { $0?.changed(since: run.started - 1_000_000_000) ?? false }),
      let (site, folders) = BuildManifest.stampSite(output: output.path, identities: identities)
    else { return }
    let counts = BuildManifest.Counts(
      reports: run.plans.count, figures: run.figureCount, hits: run.plans.reduce(0) { $0 + $1.directives.count }, files: run.fileCount,
      warnings: run.context.warnings)
    let manifest = BuildManifest(
      configuration: manifestConfiguration, binary: BuildManifest.executable.flatMap { FileStamp.of($0) },
      reports: run.context.reportIdentities, reportNames: paths, read: read, listings: fixedListings, site: site, folders: folders,
      counts: counts, coverings: run.context.coverings, sizes: run.context.sizes)
    manifest.store(url)
  }

  /// The bibliography files the reports name (as `ReportLinks.readBibliography` finds them).
  func bibliographies(_ plans: [PlannedReport]) -> [String] {
    plans.compactMap { p in
      p.document.frontMatter.bibliography.map {
        URL(fileURLWithPath: p.document.source.path, relativeTo: configuration.workingDirectory).deletingLastPathComponent()
          .appendingPathComponent($0).standardizedFileURL.path
      }
    }
  }
}
