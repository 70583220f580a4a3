import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The README's new-user path, with the binary: `skelreport init demo && cd demo && skelreport
/// preview` serves the example page on 127.0.0.1, SIGINT stops it with exit 0, and a preview on
/// a port already taken exits 2 saying so. Every wait is bounded; the process is always ended.
@Suite(.serialized) struct PreviewCommandTests {
  /// A socket listening on a free port of 127.0.0.1, and the port.
  static func listener() throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(fd, $0, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &len) == 0
      }
    }
    guard ok else { throw CocoaError(.fileWriteUnknown) }
    return (fd, UInt16(bigEndian: addr.sin_port))
  }

  /// The status line and body of `GET path`, or nil when nothing answers.
  static func get(_ path: String, port: UInt16) -> String? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var tv = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
    guard connected else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while data.count < 16 << 20 {
      let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n <= 0 { break }
      data += buffer[0..<n]
    }
    return String(decoding: data, as: UTF8.self)
  }

  @Test func initThenPreviewServesTheExampleAndStopsOnSIGINT() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-preview-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try run(["init", "demo"], in: dir).status == 0)
    let project = dir.appendingPathComponent("demo")
    let (probe, port) = try Self.listener()
    close(probe)  // a free port for the preview
    let p = Process()
    p.executableURL = binary()
    p.arguments = ["preview", "--port", "\(port)"]
    p.currentDirectoryURL = project
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
    var page: String?
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline {
      if let text = Self.get("/example/", port: port), text.contains("fig-relu-dual") {
        page = text
        break
      }
      Thread.sleep(forTimeInterval: 0.2)
    }
    let served = try #require(page, "the preview did not serve the example page within 120 s")
    #expect(served.hasPrefix("HTTP/1.1 200") && served.contains("skelreport-preview") && served.contains("The dual of the ReLU"))
    kill(p.processIdentifier, SIGINT)
    let stopBy = Date().addingTimeInterval(15)
    while p.isRunning, Date() < stopBy { Thread.sleep(forTimeInterval: 0.05) }
    #expect(!p.isRunning, "SIGINT did not stop the preview within 15 s")
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(stdout.contains("serving http://127.0.0.1:\(port)/") && stdout.hasSuffix("stopped\n"), "\(stdout)")
    // the preview wrote its own site under the cache folder, and no _site
    #expect(FileManager.default.fileExists(atPath: project.appendingPathComponent(".skelcache/preview/example/index.html").path))
    #expect(!FileManager.default.fileExists(atPath: project.appendingPathComponent("_site").path))
  }

  @Test func aBusyPortIsRefusedWithExit2() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-preview-busy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try run(["init", "demo"], in: dir).status == 0)
    let (fd, port) = try Self.listener()
    defer { close(fd) }
    let p = Process()
    p.executableURL = binary()
    p.arguments = ["preview", "--port", "\(port)"]
    p.currentDirectoryURL = dir.appendingPathComponent("demo")
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    try p.run()
    let deadline = Date().addingTimeInterval(30)
    while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if p.isRunning { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(p.terminationStatus == 2)
    #expect(stderr.contains("error: port \(port) on 127.0.0.1 is already in use"), "\(stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("demo/.skelcache/preview").path))
  }
}
