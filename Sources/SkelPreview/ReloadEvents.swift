import FlyingFox
import FlyingSocks
import Foundation
import Synchronization

/// The server-sent events every open page listens to (`/__skelreport/events`): one
/// `event: reload` after each rebuild, with the build's number, what it recomputed and its error
/// (if any) as JSON. Each client gets its own stream; `finishAll` ends them when the server stops.
public final class ReloadEvents: Sendable {
  private let clients = Mutex([UUID: AsyncStream<[UInt8]>.Continuation]())

  public init() {}

  /// How many pages are listening.
  public var count: Int { clients.withLock { $0.count } }

  /// A new client's stream: a comment line at once (so the client sees the stream is open),
  /// then one event per `send`.
  func subscribe() -> AsyncStream<[UInt8]> {
    let id = UUID()
    let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(16))
    continuation.yield(Array(": skelreport preview\nretry: 500\n\n".utf8))
    continuation.onTermination = { [weak self] _ in self?.drop(id) }
    clients.withLock { $0[id] = continuation }
    return stream
  }

  private func drop(_ id: UUID) { _ = clients.withLock { $0.removeValue(forKey: id) } }

  /// Sends `event: <name>` with one line of `data` to every client.
  public func send(_ name: String, data: String) {
    let line = data.replacingOccurrences(of: "\n", with: " ")
    let bytes = Array("event: \(name)\ndata: \(line)\n\n".utf8)
    for c in clients.withLock({ Array($0.values) }) { c.yield(bytes) }
  }

  /// Ends every stream (the server is stopping).
  public func finishAll() {
    for c in clients.withLock({ Array($0.values) }) { c.finish() }
  }

  /// The response of `/__skelreport/events`: an endless chunked body that writes each event as
  /// it comes.
  func response() -> HTTPResponse {
    HTTPResponse(
      statusCode: .ok,
      headers: [.contentType: "text/event-stream; charset=utf-8", .init("Cache-Control"): "no-store"],
      body: HTTPBodySequence(from: EventBytes(stream: subscribe()), suggestedBufferSize: 1 << 20))
  }
}

/// An event stream as the bytes FlyingFox writes: each event is one buffer, written at once.
struct EventBytes: AsyncBufferedSequence, Sendable {
  typealias Element = UInt8
  let stream: AsyncStream<[UInt8]>

  func makeAsyncIterator() -> Iterator { Iterator(base: stream.makeAsyncIterator()) }

  struct Iterator: AsyncBufferedIteratorProtocol {
    var base: AsyncStream<[UInt8]>.Iterator
    var pending: ArraySlice<UInt8> = []

    mutating func next() async throws -> UInt8? {
      guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
      return buffer.first
    }

    mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
      if pending.isEmpty {
        guard let event = await base.next() else { return nil }
        pending = event[...]
      }
      let n = Swift.max(1, Swift.min(count, pending.count))
      defer { pending = pending.dropFirst(n) }
      return pending.prefix(n)
    }
  }
}
