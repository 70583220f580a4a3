import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// The preview's HTTP server (FlyingFox), on 127.0.0.1 only: the files of the session's site
/// folder, HTML with the reload script (and the error overlay after a failed rebuild) added as
/// it is served, and the event stream at `/__skelreport/events`. Paths are looked up inside the
/// site folder only (no `..`, no symlink out of it).
public final class PreviewServer: Sendable {
  /// The port is taken (another preview, or any other server): the CLI exits 2.
  public struct PortInUse: Error, CustomStringConvertible {
    public let port: UInt16
    public var description: String {
      "port \(port) on 127.0.0.1 is already in use (another skelreport preview?); stop it or choose another with --port"
    }
  }

  public let session: PreviewSession
  let server: HTTPServer
  let requested: UInt16
  private let runTask = Mutex<Task<Void, Never>?>(nil)
  private let failure = Mutex<Error?>(nil)

  /// `port` 0 takes a free port (tests); `port` reads the one taken once `start` returns.
  public init(session: PreviewSession, port: UInt16) throws {
    self.session = session
    self.requested = port
    let address = try sockaddr_in.inet(ip4: "127.0.0.1", port: port)
    let site = session.site
    // a handler's time limit; the event stream's body is written after it and has none
    let handler = ClosureHTTPHandler { [session] request in PreviewServer.respond(to: request, session: session, site: site) }
    server = HTTPServer(address: address, timeout: 30, logger: .disabled, handler: handler)
  }

  /// Listens, or throws `PortInUse` (or the socket's error) within `timeout` seconds.
  ///
  /// FlyingFox's `run()` starts its accept loop as an unstructured task inside the server actor,
  /// which keeps no task executor preference: the accept loop, the connections and the actor run
  /// on Swift's cooperative pool whatever this task prefers (README, "Off the cooperative pool").
  /// A process whose pool threads are all blocked for longer than `timeout` (a test process
  /// running other suites) may therefore see this time out; the preview command's process
  /// blocks no pool thread, and the tests run that command in a child process.
  public func start(timeout: Double = 30) async throws {
    let task = Task(executorPreference: ServerExecutor.shared) { [self] in
      do { try await server.run() } catch { failure.withLock { $0 = $0 ?? error } }
    }
    runTask.withLock { $0 = task }
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      // looked at once more after the deadline: a wait that woke late may find it listening
      let late = Date() >= deadline
      if await server.isListening { return }
      if let error = failure.withLock({ $0 }) {
        if case SocketError.failed(_, let code, _) = error, code == EADDRINUSE { throw PortInUse(port: requested) }
        throw error
      }
      if late { break }
      try await Task.sleep(nanoseconds: 5_000_000)
    }
    throw SocketError.timeout(message: "the server did not start listening within \(timeout) s")
  }

  /// The port listened on (after `start`).
  public var port: UInt16 {
    get async {
      if case .ip4(_, let p)? = await server.listeningAddress { return p }
      return requested
    }
  }

  /// Ends the event streams, closes the socket and waits (at most `timeout` seconds) for the
  /// connections to end.
  public func stop(timeout: Double = 1) async {
    session.events.finishAll()
    await server.stop(timeout: timeout)
    let task = runTask.withLock { $0 }
    task?.cancel()
    await task?.value
  }

  // MARK: - Responses

  static func respond(to request: HTTPRequest, session: PreviewSession, site: URL) -> HTTPResponse {
    guard request.method == .GET || request.method == .HEAD else { return HTTPResponse(statusCode: .methodNotAllowed) }
    if request.path == "/__skelreport/events" { return session.events.response() }
    let error = session.last?.error
    guard let file = file(for: request.path, in: site) else {
      if request.path == "/" || request.path == "/index.html" {
        return html(PreviewPage.noSite(error: error))
      }
      return HTTPResponse(
        statusCode: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: Data("not found: \(request.path)\n".utf8))
    }
    guard let data = FileManager.default.contents(atPath: file.path) else { return HTTPResponse(statusCode: .notFound) }
    if file.pathExtension == "html" {
      return html(PreviewPage.inject(into: String(decoding: data, as: UTF8.self), error: error))
    }
    return HTTPResponse(statusCode: .ok, headers: [.contentType: contentType(file.pathExtension), .cacheControl: "no-store"], body: data)
  }

  static func html(_ text: String) -> HTTPResponse {
    HTTPResponse(statusCode: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: Data(text.utf8))
  }

  /// The file a URL path names inside `site` (`/` and `/a/` are their `index.html`), or nil for
  /// anything missing or outside it.
  static func file(for path: String, in site: URL) -> URL? {
    let decoded = path.removingPercentEncoding ?? path
    let parts = decoded.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    guard !parts.contains(where: { $0 == ".." || $0 == "." || $0.contains("\0") }) else { return nil }
    var url = parts.reduce(site) { $0.appendingPathComponent($1) }
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else { return nil }
    if isDir.boolValue { url = url.appendingPathComponent("index.html") }
    let real = url.resolvingSymlinksInPath().path
    let base = site.resolvingSymlinksInPath().path + "/"
    guard real.hasPrefix(base), FileManager.default.fileExists(atPath: real) else { return nil }
    return URL(fileURLWithPath: real)
  }

  static func contentType(_ ext: String) -> String {
    let types = [
      "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
      "svg": "image/svg+xml", "png": "image/png", "pdf": "application/pdf", "json": "application/json",
      "csv": "text/csv; charset=utf-8", "woff2": "font/woff2", "txt": "text/plain; charset=utf-8",
    ]
    return types[ext.lowercased()] ?? "application/octet-stream"
  }
}

/// The executor of the preview server's tasks: a concurrent Dispatch queue of its own (GCD's
/// threads, outside the cooperative pool), so the server accepts and answers while the pool's
/// threads are blocked.
final class ServerExecutor: TaskExecutor {
  static let shared = ServerExecutor()
  private let queue = DispatchQueue(label: "skelreport.preview.server", attributes: .concurrent)

  func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    let executor = asUnownedTaskExecutor()
    queue.async { job.runSynchronously(on: executor) }
  }
}
