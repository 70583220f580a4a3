import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// `skelreport preview` in a child process, as a user runs it: its stdout and stderr read line
/// by line on threads of their own, the port taken from its `serving` line, SIGINT to stop it.
///
/// Why a child process: FlyingFox runs its accept loop, its connections and its server actor on
/// Swift's cooperative pool (two threads on this machine), whatever executor the caller prefers
/// (Sources/SkelPreview/README.md). In the test process other suites' synchronous builds hold
/// both pool threads for seconds at a time, so an in-process server stopped answering; the
/// child's pool is its own and nothing else blocks it.
final class PreviewProcess: @unchecked Sendable {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  let process = Process()
  private let condition = NSCondition()
  private var out: [String] = []
  private var err: [String] = []
  private var closed = 0
  private(set) var port: UInt16 = 0

  /// The `skelreport` binary next to this test bundle (same build configuration).
  static var binary: URL {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
    for dir in [bundleDir, root.appendingPathComponent(".build/debug")] {
      let url = dir.appendingPathComponent("skelreport")
      if FileManager.default.isExecutableFile(atPath: url.path) { return url }
    }
    return root.appendingPathComponent(".build/debug/skelreport")
  }

  /// Starts `skelreport <arguments>` in `dir`; `start` waits for it to listen.
  init(in dir: URL, arguments: [String]) throws {
    process.executableURL = Self.binary
    process.arguments = arguments
    process.currentDirectoryURL = dir
    let o = Pipe(), e = Pipe()
    process.standardOutput = o
    process.standardError = e
    process.standardInput = FileHandle.nullDevice
    try process.run()
    read(o.fileHandleForReading, stderr: false)
    read(e.fileHandleForReading, stderr: true)
  }

  /// `skelreport preview --port 0 <more>` in `dir`, once it has printed its port, built once and
  /// started watching (at most `seconds`).
  static func preview(in dir: URL, _ more: [String], within seconds: Double = 300) throws -> PreviewProcess {
    let p = try PreviewProcess(in: dir, arguments: ["preview", "--port", "0", "--threads", "1"] + more)
    do {
      let serving = try p.line(within: seconds) { $0.hasPrefix("serving http://127.0.0.1:") }
      let digits = serving.dropFirst("serving http://127.0.0.1:".count).prefix { $0.isNumber }
      p.port = try UInt16(digits).orThrow(Failure(description: "no port in '\(serving)'"))
      _ = try p.line(within: seconds) { $0.hasPrefix("watching ") }
    } catch {
      _ = p.stop()
      throw error
    }
    return p
  }

  private func read(_ handle: FileHandle, stderr: Bool) {
    let thread = Thread { [self] in
      var pending = Data()
      while true {
        let chunk = handle.availableData
        condition.lock()
        if chunk.isEmpty {
          if !pending.isEmpty { append(String(decoding: pending, as: UTF8.self), stderr: stderr) }
          closed += 1
        } else {
          pending += chunk
          while let nl = pending.firstIndex(of: UInt8(ascii: "\n")) {
            append(String(decoding: pending[pending.startIndex..<nl], as: UTF8.self), stderr: stderr)
            pending = Data(pending[(nl + 1)...])
          }
        }
        condition.broadcast()
        condition.unlock()
        if chunk.isEmpty { return }
      }
    }
    thread.start()
  }

  /// (with `condition` locked)
  private func append(_ line: String, stderr: Bool) {
    if stderr { err.append(line) } else { out.append(line) }
  }

  /// Every stdout line so far.
  var stdout: [String] { condition.withLock { out } }
  /// Every stderr line so far.
  var stderr: [String] { condition.withLock { err } }

  /// The first stdout (or stderr) line (after the first `after` lines) that `matches`, waiting
  /// at most `seconds`; throws with what was printed when none came.
  func line(after: Int = 0, within seconds: Double, stderr: Bool = false, _ matches: (String) -> Bool) throws -> String {
    let deadline = Date().addingTimeInterval(seconds)
    condition.lock()
    defer { condition.unlock() }
    while true {
      if let found = (stderr ? err : out).dropFirst(after).first(where: matches) { return found }
      if closed == 2 || !condition.wait(until: deadline) {
        if let found = (stderr ? err : out).dropFirst(after).first(where: matches) { return found }
        throw Failure(description: "no such line within \(seconds) s; stdout: \(out), stderr: \(err)")
      }
    }
  }

  /// Waits (at most `seconds`) for the process to end by itself; its exit status, or nil.
  func exit(within seconds: Double) -> Int32? {
    let deadline = Date().addingTimeInterval(seconds)
    while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    guard !process.isRunning else { return nil }
    process.waitUntilExit()
    return process.terminationStatus
  }

  /// SIGINT, as Ctrl-C; SIGKILL after 15 s. The exit status (nil: it had to be killed).
  @discardableResult
  func stop() -> Int32? {
    guard process.isRunning else { return exit(within: 0) }
    kill(process.processIdentifier, SIGINT)
    if let status = exit(within: 15) { return status }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    return nil
  }
}

extension Optional {
  func orThrow(_ error: Error) throws -> Wrapped {
    guard let self else { throw error }
    return self
  }
}
