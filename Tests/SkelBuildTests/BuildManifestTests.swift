import Foundation
import SkelCairo
import SkelData
import SkelExperiments
import Testing

@testable import SkelBuild

#if canImport(Glibc)
  import Glibc
#endif

/// `BuildConfiguration.upToDateCheck` (`skelreport build`): a build with nothing changed reads
/// and writes nothing; a prose edit keeps every file it would write again (the same inode, hard
/// linked into the new site) and the site is byte for byte what a build from nothing writes; any
/// change to what the site is made of, or to the site itself, is a whole build again (issue 20).
@Suite(.serialized) struct BuildManifestTests {
  static let report = """
    ---
    title: M
    seed: 3
    ---

    PROSE

    See @fig-d and @fig-g; $\\rho$ is the correlation.

    ```{kernel} dual
    :label: fig-d
    :activations: [relu, step]
    :rho: linspace(-1, 1, 21)
    :alt: duals

    Duals.
    ```

    ```{kernel} gram
    :label: fig-g
    :inputs: gaussian(n=12, d=3)
    :network: [dense(w_std=1.4142135623730951), relu, dense(w_std=1.4142135623730951)]
    :formats: [svg, png]
    :alt: gram

    Gram.
    ```
    """

  static func write(_ dir: URL, prose: String = "First words.", depth: Int = 1) throws {
    let network = Array(repeating: "dense(w_std=1.4142135623730951), relu", count: depth).joined(separator: ", ")
    let text = report.replacingOccurrences(of: "PROSE", with: prose).replacingOccurrences(
      of: "[dense(w_std=1.4142135623730951), relu, dense", with: "[\(network), dense")
    try Data(text.utf8).write(to: dir.appendingPathComponent("reports/m.md"), options: .atomic)
  }

  static func builder(_ dir: URL, reproducible: Bool = true, out: String = "_site") -> SiteBuilder {
    var c = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent(out), templates: nil,
      cache: dir.appendingPathComponent(".skelcache/results"))
    c.upToDateCheck = true
    c.reproducible = reproducible
    return SiteBuilder(configuration: c, backend: CairoBackend())
  }

  static func project() throws -> URL {
    let dir = try scratch([:])
    try write(dir)
    return dir
  }

  /// Inode of every file of the site, by relative path.
  static func inodes(_ site: URL) -> [String: UInt64] {
    var out: [String: UInt64] = [:]
    for path in snapshot(site).keys {
      var st = stat()
      if lstat(site.path + path, &st) == 0 { out[path] = UInt64(st.st_ino) }
    }
    return out
  }

  @Test func aBuildWithNothingChangedReadsAndWritesNothing() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    let first = try Self.builder(dir).build()
    #expect(!first.upToDate && first.recomputed == ["m/fig-d", "m/fig-g"])
    let before = Self.inodes(site), bytes = snapshot(site)
    let root = FileStamp.of(site.path)
    let second = try Self.builder(dir).build()
    #expect(second.upToDate && second.recomputed.isEmpty && second.cacheHits == 2 && second.figures == 2)
    #expect(second.warnings == first.warnings && second.files == first.files)
    #expect(second.timings.map(\.step) == ["Check the last build"])
    #expect(Self.inodes(site) == before && snapshot(site) == bytes && FileStamp.of(site.path) == root, "not one file touched")
    // the results cache may be gone: nothing is read from it
    try FileManager.default.removeItem(at: dir.appendingPathComponent(".skelcache/results"))
    #expect(try Self.builder(dir).build().upToDate)
  }

  /// A prose edit renders the page again and keeps every other file (same inode: linked, not
  /// written); the site equals a build from nothing, byte for byte.
  @Test func aProseEditWritesOnlyWhatChanged() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    let first = try Self.builder(dir).build()
    let before = Self.inodes(site)
    try Self.write(dir, prose: "Other words, edited.")
    let edit = try Self.builder(dir).build()
    #expect(!edit.upToDate && edit.recomputed.isEmpty)
    // no figure is made from its result again: its images are kept, its size is the manifest's
    #expect(!first.figuresMade.isEmpty && edit.figuresMade.isEmpty, "\(first.figuresMade) then \(edit.figuresMade)")
    #expect(edit.warnings == first.warnings, "the kept figures' findings said again")
    let after = Self.inodes(site)
    let changed = Set(after.keys.filter { after[$0] != before[$0] })
    // the page, the search index, the build page (its timings) and the marker are written again
    #expect(
      changed.isSubset(of: ["/m/index.html", "/assets/search-index.js", "/build.html", "/index.html", "/.skelreport-site"]),
      "\(changed.sorted())")
    #expect(
      changed.contains("/m/index.html") && after["/m/fig-g.png"] == before["/m/fig-g.png"]
        && after["/m/fig-g.npy"] == before["/m/fig-g.npy"])
    #expect(try String(contentsOf: site.appendingPathComponent("m/index.html"), encoding: .utf8).contains("Other words, edited."))
    // the same reports built from nothing into another folder
    let fresh = dir.appendingPathComponent("fresh")
    try FileManager.default.createDirectory(at: fresh.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: dir.appendingPathComponent("reports/m.md"), to: fresh.appendingPathComponent("reports/m.md"))
    try Self.builder(fresh).build()
    let a = snapshot(site).filter { $0.key != "/build.html" },
      b = snapshot(fresh.appendingPathComponent("_site")).filter { $0.key != "/build.html" }
    #expect(a == b && a.count > 10)
  }

  /// A manifest whose recorded figure sizes are not sizes (edited or damaged: negative, huge) is
  /// not believed: the figures are made again and the page is the fresh build's.
  @Test func implausibleRecordedSizesAreNotUsed() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    try Self.builder(dir).build()
    let builds = dir.appendingPathComponent(".skelcache/builds")
    let name = try #require(try FileManager.default.contentsOfDirectory(atPath: builds.path).first { $0.hasSuffix(".json") })
    let manifest = builds.appendingPathComponent(name)
    var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any])
    var sizes = try #require(object["sizes"] as? [String: [String: Any]])
    #expect(!sizes.isEmpty)
    for (k, var size) in sizes {
      size["width"] = -480
      size["height"] = 1e9
      sizes[k] = size
    }
    object["sizes"] = sizes
    try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: manifest)
    try Self.write(dir, prose: "Other words, edited.")
    let edit = try Self.builder(dir).build()
    #expect(edit.recomputed.isEmpty && edit.figuresMade.sorted() == ["m/fig-d", "m/fig-g"], "\(edit.figuresMade)")
    let page = try String(contentsOf: site.appendingPathComponent("m/index.html"), encoding: .utf8)
    #expect(!page.contains("-480") && !page.contains("1000000000"))
    let fresh = dir.appendingPathComponent("fresh")
    try FileManager.default.createDirectory(at: fresh.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(at: dir.appendingPathComponent("reports/m.md"), to: fresh.appendingPathComponent("reports/m.md"))
    try Self.builder(fresh).build()
    #expect(try String(contentsOf: fresh.appendingPathComponent("_site/m/index.html"), encoding: .utf8) == page)
  }

  /// An option edit recomputes that directive; its files are written, the other directive's kept.
  @Test func anOptionEditRecomputesOneDirective() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    try Self.builder(dir).build()
    let before = Self.inodes(site)
    try Self.write(dir, depth: 2)
    let edit = try Self.builder(dir).build()
    #expect(edit.recomputed == ["m/fig-g"])
    let after = Self.inodes(site)
    #expect(after["/m/fig-g.npy"] != before["/m/fig-g.npy"] && after["/m/fig-g.png"] != before["/m/fig-g.png"])
    #expect(after["/m/fig-d.svg"] == before["/m/fig-d.svg"] && after["/m/fig-d.json"] == before["/m/fig-d.json"])
    // the matrix on the site is the result's, as NPY.write makes it
    let planned = try #require(try Self.builder(dir).plan().first { $0.label == "fig-g" })
    let entry = try #require(ResultCache(directory: dir.appendingPathComponent(".skelcache/results")).load(planned.key, kind: "gram"))
    let array = try #require(entry.result.arrays?.first)
    #expect(
      try Data(contentsOf: site.appendingPathComponent("m/fig-g.npy")) == Data(try #require(NPY.write(array.values, shape: array.shape))))
  }

  /// What the site is made of, or the site itself, changed: a whole build, and the site is right.
  @Test func anyChangeIsAWholeBuild() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    try Self.builder(dir).build()
    let clean = snapshot(site).filter { $0.key != "/build.html" }
    // a site file changed in place (same inode): rewritten with the build's bytes
    let png = site.appendingPathComponent("m/fig-g.png").path
    let fd = open(png, O_WRONLY | O_APPEND)
    #expect(fd >= 0 && Glibc.write(fd, "x", 1) == 1)
    close(fd)
    #expect(!(try Self.builder(dir).build().upToDate))
    #expect(snapshot(site).filter { $0.key != "/build.html" } == clean)
    // a file added to the site, then one removed
    try Data("mine".utf8).write(to: site.appendingPathComponent("m/extra.txt"))
    #expect(!(try Self.builder(dir).build().upToDate))
    try FileManager.default.removeItem(at: site.appendingPathComponent("m/fig-d.csv"))
    #expect(!(try Self.builder(dir).build().upToDate))
    #expect(snapshot(site).filter { $0.key != "/build.html" } == clean)
    #expect(try Self.builder(dir).build().upToDate)
    // a report added, a setting changed, a template folder given
    try Data("# Two\n".utf8).write(to: dir.appendingPathComponent("reports/two.md"))
    #expect(!(try Self.builder(dir).build().upToDate))
    #expect(try Self.builder(dir).build().upToDate)
    #expect(!(try Self.builder(dir, reproducible: false).build().upToDate))
    try FileManager.default.removeItem(at: dir.appendingPathComponent("reports/two.md"))
    #expect(!(try Self.builder(dir).build().upToDate))
    #expect(snapshot(site).filter { $0.key != "/build.html" } == clean)
  }

  /// A template file added to a templates folder, or an edited one, is a whole build.
  @Test func aTemplateEditIsAWholeBuild() throws {
    let dir = try Self.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let templates = dir.appendingPathComponent("templates")
    try FileManager.default.createDirectory(at: templates, withIntermediateDirectories: true)
    func builder() -> SiteBuilder {
      var c = Self.builder(dir).configuration
      c.templates = templates
      return SiteBuilder(configuration: c, backend: CairoBackend())
    }
    // (a file changed less than a second before a build started makes it record no manifest)
    Thread.sleep(forTimeInterval: 1.1)
    let first = try builder().build()
    let second = try builder().build()
    #expect(second.upToDate, "\(first.warnings) \(second.warnings)")
    try Data("body { color: red }\n".utf8).write(to: templates.appendingPathComponent("style.css"))
    Thread.sleep(forTimeInterval: 1.1)
    #expect(!(try builder().build().upToDate))
    #expect(try String(contentsOf: dir.appendingPathComponent("_site/assets/style.css"), encoding: .utf8) == "body { color: red }\n")
    #expect(try builder().build().upToDate)
    try Data("body { color: blue }\n".utf8).write(to: templates.appendingPathComponent("style.css"))
    Thread.sleep(forTimeInterval: 1.1)
    #expect(!(try builder().build().upToDate))
    #expect(try String(contentsOf: dir.appendingPathComponent("_site/assets/style.css"), encoding: .utf8) == "body { color: blue }\n")
  }

  /// An array is written as NPY.write writes it, header and values, without being copied.
  @Test func anArrayIsStreamedAsNPY() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let values = (0..<(7 * 5)).map { sin(Double($0)) * 1e3 }
    let array = ResultArray(name: "", shape: [7, 5], values: values)
    var writer = SiteWriter(output: dir.appendingPathComponent("site"))
    writer.sync = .none
    try writer.publish(files: ["a.npy": SiteFile.npy(array)], copies: [:])
    let written = try Data(contentsOf: dir.appendingPathComponent("site/a.npy"))
    #expect(written == Data(try #require(NPY.write(values, shape: [7, 5]))))
    #expect(SiteFile.npy(array).contentIdentity == SiteFile.bytes(Array(written)).contentIdentity)
    #expect(SiteFile.npy(array).count == written.count)
    // a file kept from the site is linked: the same inode
    try writer.publish(files: ["b.npy": .kept("a.npy")], copies: [:])
    #expect(try Data(contentsOf: dir.appendingPathComponent("site/b.npy")) == written)
  }
}
