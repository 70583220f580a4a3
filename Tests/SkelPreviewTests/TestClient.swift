import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A minimal HTTP/1.1 client on a blocking socket to 127.0.0.1, with a receive timeout on every
/// read, so no test waits unbounded on the server.
enum TestClient {
  struct Failure: Error, CustomStringConvertible {
    let description: String
  }

  struct Response {
    var status: Int
    var headers: String
    var body: String
  }

  /// A connected socket with `SO_RCVTIMEO` set to `timeout` seconds.
  static func connect(port: UInt16, timeout: Int = 30) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
    var tv = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let ok = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard ok == 0 else {
      close(fd)
      throw Failure(description: "connect to 127.0.0.1:\(port): errno \(errno)")
    }
    return fd
  }

  static func send(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
  }

  /// Reads what is there (nil at the end of the stream or after the timeout).
  static func read(_ fd: Int32) -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: 65536)
    let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
    return n > 0 ? Array(buffer[0..<n]) : nil
  }

  /// `GET path` with `Connection: close`; the whole response (at most 32 MiB).
  static func get(_ path: String, port: UInt16) throws -> Response {
    let fd = try connect(port: port)
    defer { close(fd) }
    send(fd, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    var data: [UInt8] = []
    while data.count < 32 << 20, let chunk = read(fd) { data += chunk }
    let text = String(decoding: data, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no response to GET \(path): \(text)") }
    let head = String(text[..<split.lowerBound])
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return Response(status: status, headers: head, body: String(text[split.upperBound...]))
  }

  /// The preview's event stream, read as it comes.
  final class EventStream {
    let fd: Int32
    var buffer = ""

    init(port: UInt16) throws {
      fd = try TestClient.connect(port: port, timeout: 10)
      TestClient.send(fd, "GET /__skelreport/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
      guard next(nil, within: 30) != nil else { throw Failure(description: "the event stream did not open") }
    }

    /// The data of the next event named `name` (nil: the stream's opening comment), waiting at
    /// most `seconds`.
    func next(_ name: String?, within seconds: Double) -> String? {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if let found = take(name) { return found }
        if let chunk = TestClient.read(fd) { buffer += String(decoding: chunk, as: UTF8.self) }
      }
      return take(name)
    }

    /// Removes events from the buffer up to the first one named `name`, and returns its data.
    private func take(_ name: String?) -> String? {
      guard let name else {
        guard let r = buffer.range(of: ": skelreport preview") else { return nil }
        buffer.removeSubrange(buffer.startIndex..<r.upperBound)
        return ""
      }
      guard let start = buffer.range(of: "event: \(name)\ndata: "),
        let end = buffer.range(of: "\n", range: start.upperBound..<buffer.endIndex)
      else { return nil }
      let data = String(buffer[start.upperBound..<end.lowerBound])
      buffer.removeSubrange(buffer.startIndex..<end.upperBound)
      return data
    }

    func close() { Glibc.close(fd) }
  }
}
