import ArgumentParser
import Dispatch
import Foundation
import SkelBuild
import SkelCairo
import SkelPreview

/// `skelreport preview`: builds into `<cache-dir>/preview`, serves it on 127.0.0.1, rebuilds on
/// every save and reloads the open pages (SkelPreview does the work; this only reads the flags,
/// the working folder and the signals).
struct PreviewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "preview",
    abstract: "Serve the site on 127.0.0.1, rebuild what a save changed and reload the page (Ctrl-C stops).")

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Option(help: "Port on 127.0.0.1 (a port in use is refused with exit 2; 0 takes a free one, printed in the 'serving' line).")
  var port: Int = 8000

  @Flag(help: "Open the page in the browser (xdg-open).")
  var open = false

  @Option(help: "Folder whose templates override the built-in ones file by file (default as for build).")
  var templates: String?

  @Option(help: "Folder for cached results; the preview's site is written to <cache-dir>/preview.")
  var cacheDir: String = ".skelcache"

  @Flag(help: "Treat warnings as errors.")
  var strict = false

  @Flag(help: "Trust the authors: publish raw HTML in the reports as written.")
  var allowHTML = false

  @Flag(help: "Watch by comparing modification times every 250 ms instead of inotify.")
  var poll = false

  @Option(help: "Memory budget per directive, e.g. 4GiB.")
  var maxMemory: String = "4GiB"

  @Option(help: "Work budget per directive in minutes.")
  var maxMinutes: Double = 10

  @Option(help: "Threads for the engine and OpenBLAS (default: $SKELREPORT_THREADS, else every core).")
  var threads: Int?

  func validate() throws {
    guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535, got \(port)") }
  }

  func configuration() throws -> BuildConfiguration {
    let reportsURL = URL(fileURLWithPath: reports)
    var config = BuildConfiguration(
      reports: reportsURL, output: URL(fileURLWithPath: cacheDir).appendingPathComponent("preview"),
      templates: BuildCommand.templatesFolder(templates, reports: reportsURL),
      cache: URL(fileURLWithPath: cacheDir).appendingPathComponent("results"))
    config.strict = strict
    config.allowHTML = allowHTML
    config.updateInPlace = true  // the preview's own site: only changed files, no flush
    config.compute = try ThreadsFlag.compute(threads)
    try BudgetFlags.apply(maxMemory: maxMemory, maxMinutes: maxMinutes, to: &config)
    return config
  }

  func run() throws {
    try CacheFolderFlag.check(cacheDir)
    let config = try configuration()
    let builder = SiteBuilder(
      configuration: config, backend: CairoBackend(),
      log: { line in
        // a long directive's progress; the steps' lines would repeat at every save
        if !line.hasPrefix("[") { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
      })
    do { _ = try builder.checkOutput() } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal)
      throw ExitCode(2)
    }
    let session = PreviewSession(
      builder: builder, log: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
      errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
    let server = try PreviewServer(session: session, port: UInt16(port))
    do { try Blocking.run { try await server.start() } } catch let busy as PreviewServer.PortInUse {
      FileHandle.standardError.write(Data("error: \(busy.description)\n".utf8))
      throw ExitCode(2)
    }
    let listening = port == 0 ? (Blocking.value { await server.port } ?? 0) : UInt16(port)
    let url = "http://127.0.0.1:\(listening)/"
    say("serving \(url) from \(config.output.relativePath)/ (Ctrl-C stops)")
    session.rebuild()
    let watcher = FileWatcher(folders: watchedFolders(config), mode: poll ? .polling : .automatic) { session.changed($0) }
    watcher.start()
    say(
      "watching \(watchedFolders(config).map(\.relativePath).joined(separator: ", ")) (\(watcher.isUsingInotify ? "inotify" : "polling"))")
    if open { Self.openBrowser(url) }
    Self.waitForInterrupt()
    watcher.stop()
    Blocking.run { await server.stop() }
    say("stopped")
  }

  /// A progress line, written at once (in order with the session's lines in a piped log).
  func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

  /// The reports folder (or a single report's folder) and the templates folder, if any.
  func watchedFolders(_ config: BuildConfiguration) -> [URL] {
    var isDir: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: config.reports.path, isDirectory: &isDir)
    let reportsFolder = exists && !isDir.boolValue ? config.reports.deletingLastPathComponent() : config.reports
    return [reportsFolder] + (config.templates.map { [$0] } ?? [])
  }

  /// Blocks until SIGINT or SIGTERM (both then handled here, not by the default action).
  static func waitForInterrupt() {
    let done = DispatchSemaphore(value: 0)
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGINT, SIGTERM] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
      source.setEventHandler { done.signal() }
      source.resume()
      sources.append(source)
    }
    done.wait()
    for s in sources { s.cancel() }
  }

  static func openBrowser(_ url: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["xdg-open", url]
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    do { try p.run() } catch {
      FileHandle.standardError.write(Data("cannot open a browser (\(error.localizedDescription)); open \(url)\n".utf8))
    }
  }
}

/// Runs async work from the synchronous command and waits for it.
enum Blocking {
  static func run<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
      box.set(await Result { try await work() })
      done.signal()
    }
    done.wait()
    return try box.get()
  }

  static func value<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T? {
    try? run { () async throws -> T in await work() }
  }

  static func run(_ work: @escaping @Sendable () async -> Void) {
    _ = try? run { () async throws -> Int in
      await work()
      return 0
    }
  }
}

final class ResultBox<T: Sendable>: @unchecked Sendable {
  private var value: Result<T, Error>?
  private let lock = NSLock()
  func set(_ v: Result<T, Error>) { lock.withLock { value = v } }
  func get() throws -> T {
    guard let v = lock.withLock({ value }) else { throw CancellationError() }
    return try v.get()
  }
}

extension Result where Failure == Error {
  init(_ body: () async throws -> Success) async {
    do { self = .success(try await body()) } catch { self = .failure(error) }
  }
}
