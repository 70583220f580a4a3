import Foundation
import SkelBuild
import SkelCairo
import SkelPreview
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The preview on a real socket on 127.0.0.1, with a small HTTP client (`TestClient`): what it
/// serves, that a save rebuilds what changed and pushes `event: reload`, the error overlay, and a
/// busy port. Counted, not timed: every wait is bounded (5–20 s) and every server is stopped.
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

  /// A project in a new folder, its session (site under `.skelcache/preview`) and a started server.
  struct Preview {
    let dir: URL
    let session: PreviewSession
    let server: PreviewServer
    let port: UInt16
    var reportFile: URL { dir.appendingPathComponent("reports/a.md") }

    func stop() async {
      await server.stop()
      try? FileManager.default.removeItem(at: dir)
    }
  }

  /// The repository (for the built-in templates' sources).
  static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static func start(port: UInt16 = 0, templates: Bool = false) async throws -> Preview {
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
    var config = BuildConfiguration(
      reports: reports, output: dir.appendingPathComponent(".skelcache/preview"),
      templates: templates ? dir.appendingPathComponent("templates") : nil,
      cache: dir.appendingPathComponent(".skelcache/results"), workingDirectory: dir)
    config.compute = .init(threads: 1)
    config.updateInPlace = true
    let session = PreviewSession(builder: SiteBuilder(configuration: config, backend: CairoBackend()), log: { _ in })
    let server = try PreviewServer(session: session, port: port)
    do { try await server.start() } catch {
      try? FileManager.default.removeItem(at: dir)
      throw error
    }
    return Preview(dir: dir, session: session, server: server, port: await server.port)
  }

  /// Runs `body` on a started preview and stops it whatever happens.
  static func withPreview(templates: Bool = false, _ body: (Preview) async throws -> Void) async throws {
    let p = try await start(templates: templates)
    do { try await body(p) } catch {
      await p.stop()
      throw error
    }
    await p.stop()
  }

  /// Writes the report as an editor would (a new file renamed over it), then waits for the
  /// reload event the watcher's rebuild sends.
  static func save(_ text: String, _ p: Preview, events: TestClient.EventStream) throws -> [String: Any] {
    let temp = p.dir.appendingPathComponent("reports/.a.md.tmp")
    try Data(text.utf8).write(to: temp)
    _ = rename(temp.path, p.reportFile.path)
    let data = try #require(events.next("reload", within: 20), "no reload event after the save")
    return try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
  }

  @Test func servesTheIndexAndAPageWithTheReloadScriptOnlyWhenServed() async throws {
    try await Self.withPreview { p in
      let first = p.session.rebuild()
      #expect(first.error == nil && first.recomputed == ["a/fig-one", "a/fig-two"] && first.rendered == ["a", "b"], "\(first)")
      let index = try TestClient.get("/", port: p.port)
      #expect(index.status == 200 && index.body.contains("Preview test") && index.body.contains(PreviewPage.marker))
      let page = try TestClient.get("/a/", port: p.port)
      #expect(page.status == 200 && page.body.contains("The first paragraph") && page.body.contains("/__skelreport/events"))
      #expect(page.headers.lowercased().contains("content-type: text/html"))
      let svg = try TestClient.get("/a/fig-one.svg", port: p.port)
      #expect(svg.status == 200 && svg.body.contains("<svg") && svg.headers.lowercased().contains("image/svg+xml"))
      // the built files hold no preview script: only the served copy has it
      let built = try String(contentsOf: p.session.site.appendingPathComponent("a/index.html"), encoding: .utf8)
      #expect(built.contains("The first paragraph") && !built.contains(PreviewPage.marker))
      #expect(try TestClient.get("/../../etc/passwd", port: p.port).status == 404)
      #expect(try TestClient.get("/a/%2e%2e/%2e%2e/reports/a.md", port: p.port).status == 404)
      #expect(try TestClient.get("/nothing.html", port: p.port).status == 404)
      // the preview's site follows the output-folder rule: a marked site under the cache folder
      #expect(FileManager.default.fileExists(atPath: p.session.site.appendingPathComponent(OutputSafety.markerName).path))
    }
  }

  @Test func aProseEditPushesAReloadAndRecomputesNothing() async throws {
    try await Self.withPreview { p in
      p.session.rebuild()
      let watcher = FileWatcher(folders: [p.dir.appendingPathComponent("reports")]) { p.session.changed($0) }
      watcher.start()
      defer { watcher.stop() }
      #expect(watcher.isUsingInotify)
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let event = try Self.save(Self.report.replacingOccurrences(of: "The first paragraph", with: "An edited paragraph"), p, events: events)
      #expect(event["error"] is NSNull && (event["recomputed"] as? [String]) == [], "\(event)")
      #expect((event["rendered"] as? [String]) == ["a"], "\(event)")  // the other page is not rendered again
      #expect((event["build"] as? Int) == 2)
      let page = try TestClient.get("/a/", port: p.port)
      #expect(page.body.contains("An edited paragraph") && !page.body.contains("The first paragraph"))
    }
  }

  @Test func anOptionEditRecomputesExactlyThatDirective() async throws {
    try await Self.withPreview { p in
      p.session.rebuild()
      let watcher = FileWatcher(folders: [p.dir.appendingPathComponent("reports")]) { p.session.changed($0) }
      watcher.start()
      defer { watcher.stop() }
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let edited = Self.report.replacingOccurrences(of: ":rho: [0, 0.5]\n", with: ":rho: [0, 0.25, 0.5]\n")
      #expect(edited != Self.report)
      let event = try Self.save(edited, p, events: events)
      #expect((event["recomputed"] as? [String]) == ["a/fig-two"] && (event["rendered"] as? [String]) == ["a"], "\(event)")
      #expect(p.session.last?.recomputed == ["a/fig-two"])
      // the new point is served: the normalized step dual at ρ = 1/4 is 1/2 + arcsin(1/4)/π
      let csv = try TestClient.get("/a/fig-two.csv", port: p.port).body
      let row = try #require(csv.split(separator: "\n").first { $0.hasPrefix("step,0.25,") }, "\(csv)")
      let y = try #require(Double(row.split(separator: ",")[2]))
      #expect(abs(y - (0.5 + asin(0.25) / Double.pi)) < 1e-12, "\(y)")
    }
  }

  @Test func aBadEditShowsTheErrorOverlayAtItsPositionOverTheLastGoodPage() async throws {
    try await Self.withPreview { p in
      p.session.rebuild()
      let watcher = FileWatcher(folders: [p.dir.appendingPathComponent("reports")], mode: .polling, interval: 0.1) {
        p.session.changed($0)
      }
      watcher.start()
      defer { watcher.stop() }
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
      // fixed again: the overlay is gone
      let fixed = try Self.save(Self.report, p, events: events)
      #expect(fixed["error"] is NSNull && (fixed["recomputed"] as? [String]) == [])
      #expect(!(try TestClient.get("/a/", port: p.port).body.contains("skelreport-preview-error")))
    }
  }

  @Test func aTemplateEditRendersThePagesAgainAndRecomputesNothing() async throws {
    try await Self.withPreview(templates: true) { p in
      p.session.rebuild()
      let folder = p.dir.appendingPathComponent("templates")
      let watcher = FileWatcher(folders: [folder]) { p.session.changed($0) }
      watcher.start()
      defer { watcher.stop() }
      let events = try TestClient.EventStream(port: p.port)
      defer { events.close() }
      let file = folder.appendingPathComponent("page.mustache")
      let template = try String(contentsOf: file, encoding: .utf8)
      try Data(template.replacingOccurrences(of: "</body>", with: "<p>an edited template</p></body>").utf8).write(to: file)
      let data = try #require(events.next("reload", within: 20), "no reload event after the template edit")
      let event = try #require(try JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any])
      #expect(event["error"] is NSNull && (event["recomputed"] as? [String]) == [], "\(event)")
      for page in ["/a/", "/b/"] {
        let body = try TestClient.get(page, port: p.port).body
        #expect(body.contains("<p>an edited template</p>") && body.contains(PreviewPage.marker), "\(page)")
      }
    }
  }

  @Test func aSecondPreviewOnABusyPortIsRefused() async throws {
    try await Self.withPreview { p in
      let dir = FileManager.default.temporaryDirectory.appendingPathComponent("preview-busy-\(UUID().uuidString)")
      defer { try? FileManager.default.removeItem(at: dir) }
      let config = BuildConfiguration(
        reports: dir, output: dir.appendingPathComponent("site"), templates: nil, cache: nil, workingDirectory: dir)
      let session = PreviewSession(builder: SiteBuilder(configuration: config, backend: CairoBackend()), log: { _ in })
      let second = try PreviewServer(session: session, port: p.port)
      await #expect(throws: PreviewServer.PortInUse.self) { try await second.start() }
      await second.stop()
      #expect(try TestClient.get("/", port: p.port).status == 200)  // the first still serves
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
