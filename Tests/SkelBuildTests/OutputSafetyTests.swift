import Foundation
import SkelBuild
import SkelCairo
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 15 A and F in the library: the output-folder rule as a checker, and the site writer's
/// swap, lock and recovery of leftovers.
@Suite struct OutputSafetyTests {
  func temp(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-\(label)-\(UUID().uuidString)").resolvingSymlinksInPath()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  func write(_ text: String, _ url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try text.write(to: url, atomically: false, encoding: .utf8)
  }

  @Test func realPathResolvesLinksDotDotAndMissingComponents() throws {
    let dir = try temp("real")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    try fm.createDirectory(at: dir.appendingPathComponent("a/b"), withIntermediateDirectories: true)
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: "a/b")
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("abs").path, withDestinationPath: dir.appendingPathComponent("a").path)
    // `..` after a symlink goes to the target's parent, as the kernel does.
    #expect(try OutputSafety.realPath(URL(fileURLWithPath: "link/../x/y"), cwd: dir) == dir.path + "/a/x/y")
    #expect(try OutputSafety.realPath(URL(fileURLWithPath: dir.path + "/abs/b/./missing/../c"), cwd: dir) == dir.path + "/a/b/c")
    #expect(try OutputSafety.realPath(URL(fileURLWithPath: "."), cwd: dir) == dir.path)
    #expect(try OutputSafety.realPath(URL(fileURLWithPath: "../../../../../../../.."), cwd: dir) == "/")
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("loop1").path, withDestinationPath: "loop2")
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("loop2").path, withDestinationPath: "loop1")
    #expect(throws: OutputSafety.Refusal.self) { try OutputSafety.realPath(URL(fileURLWithPath: "loop1/x"), cwd: dir) }
  }

  @Test func checkRefusesOverlapsFilesAndForeignFolders() throws {
    let dir = try temp("check")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    try write("# r\n", dir.appendingPathComponent("reports/a.md"))
    try write("x", dir.appendingPathComponent("templates/page.mustache"))
    try write("{}", dir.appendingPathComponent("cache/math.json"))
    try write("hand-written\n", dir.appendingPathComponent("docs/index.html"))
    try write("note\n", dir.appendingPathComponent("notes.txt"))
    try write(OutputSafety.markerText, dir.appendingPathComponent("site/" + OutputSafety.markerName))
    try write("not ours\n", dir.appendingPathComponent("fake/" + OutputSafety.markerName))
    try fm.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
    let cwd = dir.appendingPathComponent("work")
    try fm.createDirectory(at: cwd, withIntermediateDirectories: true)
    func check(_ out: String, reports: String = "reports", caches: [String] = ["cache"]) -> String? {
      do {
        try OutputSafety.check(
          output: URL(fileURLWithPath: dir.path + "/" + out), reports: dir.appendingPathComponent(reports),
          templates: dir.appendingPathComponent("templates"), caches: caches.map { dir.appendingPathComponent($0) }, cwd: cwd)
        return nil
      } catch let r as OutputSafety.Refusal {
        return r.message
      } catch {
        return "unexpected \(error)"
      }
    }
    #expect(check("reports")?.contains("it is the reports folder") == true)
    #expect(check("reports/_site")?.contains("lies inside the reports folder") == true)
    #expect(check("templates")?.contains("it is the templates folder") == true)
    #expect(check("cache")?.contains("it is the cache folder") == true)
    #expect(check("work")?.contains("it is the working folder") == true)
    #expect(check("")?.contains("it contains the working folder") == true)
    #expect(check("notes.txt")?.contains("existing file") == true)
    #expect(check("docs")?.contains("did not write") == true)
    #expect(check("fake")?.contains("did not write") == true)  // a marker must say skelreport
    #expect(check("site/cache", caches: ["site/cache/results"])?.contains("lies inside the output") == true)
    #expect(check("site", caches: ["site/cache/results"])?.contains("the cache folder") == true)
    #expect(check("site", caches: ["site/cache/results"])?.contains("lies inside the output") == true)
    // A single report: the output must not hold it; beside it is fine.
    #expect(check("reports", reports: "reports/a.md")?.contains("contains the report") == true)
    #expect(check("reports/_site", reports: "reports/a.md") == nil)
    // Accepted: a marked site, an empty folder, a missing path.
    #expect(check("site") == nil)
    #expect(check("empty") == nil)
    #expect(check("new/deeper/site") == nil)
    // figures: not in the reports/templates/cache, not over a file; other folders are fine.
    func figures(_ out: String) -> Bool {
      (try? OutputSafety.checkFigures(
        output: URL(fileURLWithPath: dir.path + "/" + out), reports: dir.appendingPathComponent("reports/a.md"),
        templates: dir.appendingPathComponent("templates"), caches: [dir.appendingPathComponent("cache")], cwd: cwd)) != nil
    }
    #expect(!figures("reports") && !figures("reports/figs") && !figures("templates") && !figures("cache/x") && !figures("notes.txt"))
    #expect(figures("docs") && figures("work") && figures("paper/figs"))
  }

  /// The builder checks the rule itself (defence in depth): a library caller pointing the
  /// output at the reports folder gets a refusal and the reports are untouched.
  @Test func builderRefusesTheReportsFolder() throws {
    let dir = try scratch(["a.md": "---\ntitle: T\n---\n\nText.\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let before = snapshot(dir)
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("reports"),
      templates: packageRoot.appendingPathComponent("templates"), cache: nil)
    #expect(throws: OutputSafety.Refusal.self) { try SiteBuilder(configuration: config, backend: CairoBackend()).build() }
    let cached = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent("_site/cache/results"))
    #expect(throws: OutputSafety.Refusal.self) { try SiteBuilder(configuration: cached, backend: CairoBackend()).build() }
    #expect(snapshot(dir) == before)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("._site.lock").path))
  }

  @Test(arguments: [true, false]) func publishReplacesASiteWithAndWithoutTheExchange(exchange: Bool) throws {
    let dir = try temp("publish")
    defer { try? FileManager.default.removeItem(at: dir) }
    var writer = SiteWriter(output: dir.appendingPathComponent("_site"))
    writer.exchange = exchange
    try writer.publish(files: ["index.html": Array("one".utf8), "r/a.svg": [1, 2, 3]], copies: [:])
    try writer.publish(files: ["index.html": Array("two".utf8), "s/b/c.json": [4]], copies: [:])
    let site = snapshot(dir.appendingPathComponent("_site"))
    #expect(
      site == [
        "/index.html": Data("two".utf8), "/s/b/c.json": Data([4]), "/" + OutputSafety.markerName: Data(OutputSafety.markerText.utf8),
      ])
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["_site"])
    // Paths that would leave the site are refused.
    #expect(throws: BuildError.self) { try writer.publish(files: ["../x": [1]], copies: [:]) }
    #expect(throws: BuildError.self) { try writer.publish(files: ["/etc/x": [1]], copies: [:]) }
    #expect(snapshot(dir.appendingPathComponent("_site")) == site)
  }

  /// Under the lock, just before writing, the writer checks again: a folder that became foreign
  /// (or a file) is refused and left as it is.
  @Test func publishRefusesWhatIsNotOurs() throws {
    let dir = try temp("foreign")
    defer { try? FileManager.default.removeItem(at: dir) }
    try write("mine\n", dir.appendingPathComponent("docs/index.md"))
    try write("note\n", dir.appendingPathComponent("file"))
    let before = snapshot(dir)
    for out in ["docs", "file"] {
      #expect(throws: OutputSafety.Refusal.self) {
        try SiteWriter(output: dir.appendingPathComponent(out)).publish(files: ["index.html": [1]], copies: [:])
      }
    }
    #expect(snapshot(dir) == before)
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["docs", "file"])
  }

  /// A build killed between the fallback's two renames leaves no output but `.old-*`: the next
  /// build puts it back byte-for-byte, and removes the staging folders of dead builds (partial,
  /// empty, or an old site cut short while being removed), but nothing without our marker.
  @Test func recoverRestoresTheOldSiteAndRemovesOnlyOurLeftovers() throws {
    let dir = try temp("recover")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    let out = dir.appendingPathComponent("_site")
    let lines = LogLines()
    let writer = SiteWriter(output: out, log: { lines.append($0) })
    try writer.publish(files: ["index.html": Array("old".utf8), "r/a.png": [9, 9]], copies: [:])
    let old = snapshot(out)
    #expect(rename(out.path, dir.path + "/._site.old-123-1000") == 0)  // killed between the renames
    try write(OutputSafety.markerText, dir.appendingPathComponent("._site.staging-123-999/" + OutputSafety.markerName))
    try write("half", dir.appendingPathComponent("._site.staging-123-999/r/x.svg"))
    try fm.createDirectory(at: dir.appendingPathComponent("._site.staging-77-5"), withIntermediateDirectories: true)
    try write(OutputSafety.markerText, dir.appendingPathComponent("._site.old-5-6/" + OutputSafety.markerName))  // an older one
    try write("someone's\n", dir.appendingPathComponent("._site.staging-1-2/notes.md"))  // no marker
    try write(OutputSafety.markerText, dir.appendingPathComponent("._site.staging-x/" + OutputSafety.markerName))  // not our naming
    try write(OutputSafety.markerText, dir.appendingPathComponent("._site2.staging-1-2/" + OutputSafety.markerName))  // another output's
    let lock = try writer.lock()
    writer.recover()
    lock.release()
    #expect(snapshot(out) == old)
    #expect(
      try fm.contentsOfDirectory(atPath: dir.path).sorted() == [
        "._site.lock", "._site.staging-1-2", "._site.staging-x", "._site2.staging-1-2", "_site",
      ])
    #expect(lines.items.contains { $0.hasPrefix("restored the previous site") && $0.contains("._site.old-123-1000") })
    #expect(lines.items.contains { $0.contains("._site.staging-1-2") && $0.contains("left alone") })
    #expect(lines.items.filter { $0.hasPrefix("removed ") }.count == 3)
  }

  /// A build killed between creating the staging folder's marker and finishing its write leaves
  /// a marker that is empty or cut short: that folder is ours and is removed; a marker file with
  /// other text, or anything beside it, is not (a flaky kill test found the empty marker).
  @Test func recoverRemovesAStagingFolderWithAPartialMarker() throws {
    let dir = try temp("partial")
    defer { try? FileManager.default.removeItem(at: dir) }
    let marker = OutputSafety.markerName
    try write("", dir.appendingPathComponent("._site.staging-8-1/" + marker))
    try write(String(OutputSafety.markerText.prefix(5)), dir.appendingPathComponent("._site.staging-8-2/" + marker))
    try write("hello", dir.appendingPathComponent("._site.staging-8-3/" + marker))  // not our text
    try write("", dir.appendingPathComponent("._site.staging-8-4/" + marker))
    try write("x", dir.appendingPathComponent("._site.staging-8-4/a.html"))  // more than a marker
    let lines = LogLines()
    SiteWriter(output: dir.appendingPathComponent("_site"), log: { lines.append($0) }).recover()
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["._site.staging-8-3", "._site.staging-8-4"])
    #expect(lines.items.filter { $0.hasPrefix("removed ") }.count == 2)
  }

  /// A leftover that cannot be removed (a read-only folder inside) is a warning, not an error:
  /// it must not stop the build, nor every later one.
  @Test func unremovableLeftoverIsAWarning() throws {
    let dir = try temp("stuck")
    let stuck = dir.appendingPathComponent("._site.staging-4-4/r")
    try write(OutputSafety.markerText, dir.appendingPathComponent("._site.staging-4-4/" + OutputSafety.markerName))
    try write("x", stuck.appendingPathComponent("a.svg"))
    let root = getuid() == 0  // root ignores permissions; the immutable flag stops it too
    func flag(_ on: Bool) -> Int32 {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: root ? "/usr/bin/chattr" : "/bin/chmod")
      p.arguments = [root ? (on ? "+i" : "-i") : (on ? "0555" : "0755"), stuck.path]
      try? p.run()
      p.waitUntilExit()
      return p.terminationStatus
    }
    defer {
      _ = flag(false)
      try? FileManager.default.removeItem(at: dir)
    }
    try #require(flag(true) == 0)
    let lines = LogLines()
    let writer = SiteWriter(output: dir.appendingPathComponent("_site"), log: { lines.append($0) })
    writer.recover()
    #expect(lines.items.count == 1 && lines.items[0].hasPrefix("warning: cannot remove \(stuck.path): "), "\(lines.items)")
    try writer.publish(files: ["index.html": [1]], copies: [:])
    #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site/index.html").path))
  }

  /// A second writer of the same output waits for the lock and says so, naming the lock file
  /// and the holder; it gets the lock once the first releases it.
  @Test func secondLockWaitsAndSaysWhere() throws {
    let dir = try temp("lock")
    defer { try? FileManager.default.removeItem(at: dir) }
    let lines = LogLines()
    let out = dir.appendingPathComponent("_site")
    let first = try SiteWriter(output: out).lock()
    let got = DispatchSemaphore(value: 0)
    let second = SiteWriter(output: out, log: { lines.append($0) })
    Thread.detachNewThread {
      if let l = try? second.lock() {
        got.signal()
        l.release()
      }
    }
    #expect(got.wait(timeout: .now() + 0.5) == .timedOut)
    #expect(
      lines.items == ["waiting for another build of \(out.path) to finish (lock \(dir.path)/._site.lock held by process \(getpid()))"])
    first.release()
    #expect(got.wait(timeout: .now() + 10) == .success)
  }

  @Test func foundationErrorsNameThePathAndTheReason() throws {
    do {
      _ = try Data(contentsOf: URL(fileURLWithPath: "/nonexistent-skel/x.css"))
      Issue.record("read should fail")
    } catch {
      let text = FileErrorText.reason(error)
      #expect(text == "No such file or directory (at /nonexistent-skel/x.css)")
    }
    // A copy source that vanished: the stage error names it and what was being done.
    let dir = try temp("copy")
    defer { try? FileManager.default.removeItem(at: dir) }
    do {
      try SiteWriter(output: dir.appendingPathComponent("_site")).publish(
        files: [String: [UInt8]](), copies: ["assets/k.css": URL(fileURLWithPath: "/nonexistent-skel/k.css")])
      Issue.record("publish should fail")
    } catch BuildError.stage(let name, let message) {
      #expect(name == "Write site")
      #expect(
        message == "cannot read (to copy into the site) /nonexistent-skel/k.css: No such file or directory (at /nonexistent-skel/k.css)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
  }
}

final class LogLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) {
    lock.lock()
    lines.append(s)
    lock.unlock()
  }
  var items: [String] {
    lock.lock()
    defer { lock.unlock() }
    return lines
  }
}
