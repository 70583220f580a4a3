import Foundation

/// Server-side math: one long-lived node process running Debian's KaTeX, fed a batch of formulas
/// as JSON lines (stack.md §7: node start-up costs 0.1 s, a formula under 1 ms).
public struct KatexRenderer: Sendable {
  public struct Request: Sendable, Hashable {
    public var tex: String
    public var display: Bool
    /// TeX macros (`\\R` → `\\mathbb{R}`) from the report's front matter.
    public var macros: [String: String]
    public init(tex: String, display: Bool, macros: [String: String] = [:]) {
      self.tex = tex
      self.display = display
      self.macros = macros
    }
  }

  /// HTML for a formula, or KaTeX's error message.
  public enum Output: Sendable, Hashable {
    case html(String)
    case error(String)
  }

  public var nodePath: String
  public var modulePath: String

  public init(nodePath: String = "node", modulePath: String = "/usr/share/nodejs") {
    self.nodePath = nodePath
    self.modulePath = modulePath
  }

  static let script = #"""
    const katex = require('katex');
    const rl = require('readline').createInterface({ input: process.stdin, terminal: false });
    const out = [];
    rl.on('line', (line) => {
      const req = JSON.parse(line);
      try {
        out.push(JSON.stringify({ html: katex.renderToString(req.tex, { displayMode: req.display, throwOnError: true, strict: 'ignore', macros: req.macros || {} }) }));
      } catch (e) {
        out.push(JSON.stringify({ error: String((e && e.message) || e) }));
      }
    });
    rl.on('close', () => { process.stdout.write(out.join('\n') + (out.length ? '\n' : '')); });
    """#

  /// Renders every formula in one node process.
  public func render(_ requests: [Request]) throws -> [Output] {
    if requests.isEmpty { return [] }
    guard let executable = Self.locate(nodePath) else {
      throw BuildError.stage(
        name: "Typeset math",
        message:
          "cannot start node for KaTeX: '\(nodePath)' is not an executable file\(nodePath.contains("/") ? "" : " on PATH (\(ProcessInfo.processInfo.environment["PATH"] ?? "PATH is not set"))"); run 'make site' to install nodejs and katex"
      )
    }
    let (process, input, output, errors) = try launch(executable)
    let payload = try Self.payload(requests)
    // A child that dies early closes its stdin: the write fails with EPIPE (SIGPIPE is ignored
    // by the CLI), which is reported below with the child's own message, never a signal.
    let writer = input.fileHandleForWriting
    let done = DispatchSemaphore(value: 0)
    let bytes = payload
    let writeFailure = WriteFailure()
    DispatchQueue.global().async {
      do { try writer.write(contentsOf: bytes) } catch { writeFailure.set(error) }
      try? writer.close()
      done.signal()
    }
    let errData = ErrorCollector(errors.fileHandleForReading)
    let data = output.fileHandleForReading.readDataToEndOfFile()
    done.wait()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      let stderrLines = String(decoding: errData.collect(), as: UTF8.self).split(separator: "\n")
      let firstLine =
        stderrLines.first(where: { $0.contains("Error") }) ?? stderrLines.first
        ?? Substring(
          "node exited with status \(process.terminationStatus)\(writeFailure.error.map { " (writing the formulas failed: \($0))" } ?? "")")
      // node dumps KaTeX's minified source on failure: report one line only (stack.md §7).
      throw BuildError.stage(
        name: "Typeset math", message: "KaTeX failed: \(firstLine.prefix(200)); is Debian's 'katex' package installed? run 'make site'")
    }
    return try Self.outputs(data, count: requests.count, executable: executable)
  }

  /// node running the KaTeX script, with KaTeX's module folder on NODE_PATH.
  func launch(_ executable: URL) throws -> (Process, input: Pipe, output: Pipe, errors: Pipe) {
    let process = Process()
    process.executableURL = executable
    process.arguments = ["-e", Self.script]
    var env = ProcessInfo.processInfo.environment
    env["NODE_PATH"] = modulePath + (env["NODE_PATH"].map { ":" + $0 } ?? "")
    process.environment = env
    let input = Pipe(), output = Pipe(), errors = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = errors
    do { try process.run() } catch {
      throw BuildError.stage(
        name: "Typeset math",
        message:
          "cannot start node for KaTeX (\(BuildError.describe(error, doing: "running", path: executable.path))); run 'make site' to install it"
      )
    }
    return (process, input, output, errors)
  }

  /// One JSON request a line.
  static func payload(_ requests: [Request]) throws -> Data {
    var payload = Data()
    for r in requests {
      let line = try JSONSerialization.data(withJSONObject: ["tex": r.tex, "display": r.display, "macros": r.macros] as [String: Any])
      payload.append(line)
      payload.append(0x0A)
    }
    return payload
  }

  /// node's answer, one JSON object a line: the HTML or KaTeX's error of each formula.
  static func outputs(_ data: Data, count: Int, executable: URL) throws -> [Output] {
    let lines = data.split(separator: 0x0A)
    guard lines.count == count else {
      throw BuildError.stage(name: "Typeset math", message: "KaTeX answered \(lines.count) of \(count) formulas")
    }
    return try lines.map { line in
      // A node on PATH that is not KaTeX's runner may answer anything: an error, not a crash.
      guard let obj = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: String] else {
        throw BuildError.stage(
          name: "Typeset math",
          message:
            "node (\(executable.path)) did not answer as KaTeX does: '\(String(decoding: line.prefix(80), as: UTF8.self))'; is Debian's 'nodejs' and 'katex' installed? run 'make site'"
        )
      }
      if let html = obj["html"] { return .html(html) }
      return .error(obj["error"] ?? "unknown KaTeX error")
    }
  }
}

extension KatexRenderer {
  /// The node executable: a path as given, or the first executable match on PATH.
  static func locate(_ name: String) -> URL? {
    let fm = FileManager.default
    if name.contains("/") { return fm.isExecutableFile(atPath: name) ? URL(fileURLWithPath: name) : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    for dir in path.split(separator: ":") where !dir.isEmpty {
      let candidate = String(dir) + "/" + name
      var isDir: ObjCBool = false
      if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: candidate) {
        return URL(fileURLWithPath: candidate)
      }
    }
    return nil
  }
}

/// The error of a background write, read after it finished.
final class WriteFailure: @unchecked Sendable {
  private let lock = NSLock()
  private var stored: Error?
  func set(_ e: Error) {
    lock.lock()
    stored = e
    lock.unlock()
  }
  var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }
}

/// Drains a pipe in the background so a chatty child never blocks on a full stderr.
final class ErrorCollector: @unchecked Sendable {
  private var data = Data()
  private let group = DispatchGroup()
  init(_ handle: FileHandle) {
    group.enter()
    DispatchQueue.global().async {
      self.data = handle.readDataToEndOfFile()
      self.group.leave()
    }
  }
  func collect() -> Data {
    group.wait()
    return data
  }
}
