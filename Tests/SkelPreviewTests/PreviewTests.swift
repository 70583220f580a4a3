import Foundation
import SkelBuild
import SkelPreview
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `skelreport preview` in a child process (`PreviewProcess`), on a real socket on 127.0.0.1,
/// with a small HTTP client (`TestClient`): what it serves, that a save rebuilds what changed and
/// pushes `event: reload`, the error overlay, a busy port, and Ctrl-C. Counted, not timed: every
/// wait is bounded and every child is stopped (SIGINT, then SIGKILL).
@Suite(.serialized) struct PreviewTests {
  static let report = """
    ---
    title: Preview test
    seed: 7
    ---

    # Preview

    The first paragraph, about @fig-one.

    ```{kernel} dual
    :label: fig-one
    :activations: [relu]
    :rho: [0, 0.5, 1]
    :formats: [svg]
    :alt: the ReLU dual

    The ReLU dual.
    ```

    ```{kernel} dual
    :label: fig-two
    :activations: [step]
    :rho: [0, 0.5]
    :formats: [svg]
    :alt: the step dual

    The step dual (@fig-two).
    ```

    """

  /// A second report, which no edit in these tests touches (its labels make its links a
  /// dictionary of several entries, whose order differs between builds).
  static let other = """
    ---
    title: Other
    ---

    # Other

    Prose of the other page, about @sec-one, @sec-two, @sec-three and @sec-four.

    ## One {#sec-one}

    ## Two {#sec-two}

    ## Three {#sec-three}

    ## Four {#sec-four}

    """

  /// A project in a new folder and `skelreport preview` running on it in a child process
  /// (`PreviewProcess`: the server's tasks run on the cooperative pool, which the other suites
  /// of this test process may hold).
  struct Preview {
    let dir: URL
    let child: PreviewProcess
    var port: UInt16 { child.port }
    var reportFile: URL { dir.appendingPathComponent("reports/a.md") }
    /// The preview's own site folder.
    var site: URL { dir.appendingPathComponent(".skelcache/preview") }

    /// Ctrl-C: the preview says `stopped` and exits 0.
    func stop() {
      let status = child.stop()
      #expect(status == 0, "the preview did not exit 0 on SIGINT: \(String(describing: status)); stderr: \(child.stderr)")
      #expect(child.stdout.last == "stopped", "\(child.stdout)")
    }
  }

  /// A new project folder with the two reports (and the page template, if asked).
  static func project(templates: Bool) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("preview-\(UUID().uuidString)").resolvingSymlinksInPath()
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
    try Data(report.utf8).write(to: reports.appendingPathComponent("a.md"))
    try Data(other.utf8).write(to: reports.appendingPathComponent("b.md"))
    if templates {
      try FileManager.default.createDirectory(at: dir.appendingPathComponent("templates"), withIntermediateDirectories: true)
      try FileManager.default.copyItem(
        at: packageRoot.appendingPathComponent("templates/page.mustache"), to: dir.appendingPathComponent("templates/page.mustache"))
    }
    return dir
  }

  /// The repository (for the built-in templates' sources).
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Runs `body` on a started preview (`skelreport preview --port 0 --threads 1 <arguments>` in
  /// a new project) and stops it with SIGINT whatever happens.
  static func withPreview(templates: Bool = false, _ arguments: [String] = [], _ body: (Preview) throws -> Void) throws {
    let dir = try project(templates: templates)
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = Preview(dir: dir, child: try PreviewProcess.preview(in: dir, arguments))
    defer { p.stop() }
    try body(p)
  }

  /// The first build's line: `built in N ms (recomputed: …; pages rendered: …; slowest: …)`.
  static func firstBuild(_ p: Preview) throws -> String {
    try p.child.line(within: 5) { $0.hasPrefix("built in ") }
  }

  /// Writes the report as an editor would (a new file renamed over it), then waits for the
  /// reload event the watcher's rebuild sends.
  static func save(_ text: String, _ p: Preview, events: TestClient.EventStream) throws -> [String: Any] {
    let temp = p.dir.appendingPathComponent("reports/.a.md.tmp")
    try Data(text.utf8).write(to: temp)
    _ = rename(temp.path, p.reportFile.path)
    let data = try #require(events.next("reload", within: 120), "no reload event after the save")
    return try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
  }

  @Test func servesTheIndexAndAPageWithTheReloadScriptOnlyWhenServed() throws {
    try Self.withPreview { p in
      let first = try Self.firstBuild(p)
      #expect(first.contains("(recomputed: a/fig-one, a/fig-two; pages rendered: a, b;"), "\(first)")
      let index = try TestClient.get("/", port: p.port)
      #expect(index.status == 200 && index.body.contains("Preview test") && index.body.contains(PreviewPage.marker))
      let page = try TestClient.get("/a/", port: p.port)
      #expect(page.status == 200 && page.body.contains("The first paragraph") && page.body.contains("/__skelreport/events"))
      #expect(page.headers.lowercased().contains("content-type: text/html"))
      let svg = try TestClient.get("/a/fig-one.svg", port: p.port)
      #expect(svg.status == 200 && svg.body.contains("<svg") && svg.headers.lowercased().contains("image/svg+xml"))
      // the built files hold no preview script: only the served copy has it
      let built = try String(contentsOf: p.site.appendingPathComponent("a/index.html"), encoding: .utf8)
      #expect(built.contains("The first paragraph") && !built.contains(PreviewPage.marker))
      #expect(try TestClient.get("/../../etc/passwd", port: p.port).status == 404)
      #expect(try TestClient.get("/a/%2e%2e/%2e%2e/reports/a.md", port: p.port).status == 404)
      #expect(try TestClient.get("/nothing.html", port: p.port).status == 404)
      // the preview's site follows the output-folder rule: a marked site under the cache folder
      #expect(FileManager.default.fileExists(atPath: p.site.appendingPathComponent(OutputSafety.markerName).path))
      #expect(!FileManager.default.fileExists(atPath: p.dir.appendingPathComponent("_site").path))
    }
  }

  @Test func aProseEditPushesAReloadAndRecomputesNothing() throws {
    try Self.withPreview { p in
      #expect(p.child.stdout.contains("watching reports (inotify)"), "\(p.child.stdout)")
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let event = try Self.save(Self.report.replacingOccurrences(of: "The first paragraph", with: "An edited paragraph"), p, events: events)
      #expect(event["error"] is NSNull && (event["recomputed"] as? [String]) == [], "\(event)")
      #expect((event["rendered"] as? [String]) == ["a"], "\(event)")  // the other page is not rendered again
      #expect((event["build"] as? Int) == 2)
      let page = try TestClient.get("/a/", port: p.port)
      #expect(page.body.contains("An edited paragraph") && !page.body.contains("The first paragraph"))
      // the terminal says the same
      let line = try p.child.line(within: 30) { $0.hasPrefix("built in ") && $0.contains("nothing recomputed; pages rendered: a;") }
      #expect(p.child.stdout.contains("changed: a.md"), "\(line)")
    }
  }

  @Test func anOptionEditRecomputesExactlyThatDirective() throws {
    try Self.withPreview { p in
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let edited = Self.report.replacingOccurrences(of: ":rho: [0, 0.5]\n", with: ":rho: [0, 0.25, 0.5]\n")
      #expect(edited != Self.report)
      let event = try Self.save(edited, p, events: events)
      #expect((event["recomputed"] as? [String]) == ["a/fig-two"] && (event["rendered"] as? [String]) == ["a"], "\(event)")
      // the new point is served: the normalized step dual at ρ = 1/4 is 1/2 + arcsin(1/4)/π
      let csv = try TestClient.get("/a/fig-two.csv", port: p.port).body
      let row = try #require(csv.split(separator: "\n").first { $0.hasPrefix("step,0.25,") }, "\(csv)")
      let y = try #require(Double(row.split(separator: ",")[2]))
      #expect(abs(y - (0.5 + asin(0.25) / Double.pi)) < 1e-12, "\(y)")
    }
  }

  @Test func aBadEditShowsTheErrorOverlayAtItsPositionOverTheLastGoodPage() throws {
    try Self.withPreview(["--poll"]) { p in
      #expect(p.child.stdout.contains("watching reports (polling)"), "\(p.child.stdout)")
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let bad = Self.report.replacingOccurrences(of: ":activations: [relu]", with: ":activation: [relu]")
      let line = bad.components(separatedBy: "\n").firstIndex { $0.hasPrefix(":activation:") }! + 1
      let event = try Self.save(bad.replacingOccurrences(of: "The first paragraph", with: "Never shown"), p, events: events)
      let error = try #require(event["error"] as? String)
      let position = "reports/a.md:\(line):2: error: unknown option 'activation' for directive 'dual'"
      #expect(error.contains(position), "\(error)")
      let page = try TestClient.get("/a/", port: p.port).body
      #expect(page.contains("skelreport-preview-error") && page.contains(position))
      #expect(page.contains("The first paragraph") && !page.contains("Never shown"))  // the last good page underneath
      // the terminal prints the same diagnostic, on stderr (its reader thread may get the line
      // after the page's event: waited for, bounded)
      _ = try p.child.line(within: 30, stderr: true) { $0.contains(position) }
      // fixed again: the overlay is gone
      let fixed = try Self.save(Self.report, p, events: events)
      #expect(fixed["error"] is NSNull && (fixed["recomputed"] as? [String]) == [])
      #expect(!(try TestClient.get("/a/", port: p.port).body.contains("skelreport-preview-error")))
    }
  }

  @Test func aTemplateEditRendersThePagesAgainAndRecomputesNothing() throws {
    try Self.withPreview(templates: true, ["--templates", "templates"]) { p in
      let folder = p.dir.appendingPathComponent("templates")
      #expect(p.child.stdout.contains("watching reports, templates (inotify)"), "\(p.child.stdout)")
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let file = folder.appendingPathComponent("page.mustache")
      let template = try String(contentsOf: file, encoding: .utf8)
      try Data(template.replacingOccurrences(of: "</body>", with: "<p>an edited template</p></body>").utf8).write(to: file)
      let data = try #require(events.next("reload", within: 120), "no reload event after the template edit")
      let event = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
      #expect(event["error"] is NSNull && (event["recomputed"] as? [String]) == [], "\(event)")
      for page in ["/a/", "/b/"] {
        let body = try TestClient.get(page, port: p.port).body
        #expect(body.contains("<p>an edited template</p>") && body.contains(PreviewPage.marker), "\(page)")
      }
    }
  }

  @Test func aSecondPreviewOnABusyPortIsRefused() throws {
    try Self.withPreview { p in
      let dir = try Self.project(templates: false)
      defer { try? FileManager.default.removeItem(at: dir) }
      let second = try PreviewProcess(in: dir, arguments: ["preview", "--port", "\(p.port)"])
      let status = second.exit(within: 120)
      if status == nil { second.stop() }
      #expect(status == 2)
      // (its stderr reader may still be draining the pipe when the process has ended: waited for)
      let refusal =
        "error: port \(p.port) on 127.0.0.1 is already in use (another skelreport preview?); stop it or choose another with --port"
      _ = try second.line(within: 10, stderr: true) { $0 == refusal }
      // it built nothing, and the first still serves
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".skelcache/preview").path))
      #expect(try TestClient.get("/", port: p.port).status == 200)
    }
  }

  @Test func thePollingWatcherSeesASave() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let seen = DispatchSemaphore(value: 0)
    let names = NamesBox()
    let watcher = FileWatcher(folders: [dir], mode: .polling, interval: 0.05) {
      names.add($0)
      seen.signal()
    }
    watcher.start()
    defer { watcher.stop() }
    #expect(!watcher.isUsingInotify)
    Thread.sleep(forTimeInterval: 0.1)
    try Data("x".utf8).write(to: dir.appendingPathComponent(".hidden"))
    try Data("x".utf8).write(to: dir.appendingPathComponent("r.md"))
    #expect(seen.wait(timeout: .now() + 5) == .success)
    #expect(names.all == ["r.md"])
  }
}

final class NamesBox: @unchecked Sendable {
  private var names: [String] = []
  private let lock = NSLock()
  func add(_ n: [String]) { lock.withLock { names += n } }
  var all: [String] { lock.withLock { names } }
}
