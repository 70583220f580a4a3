import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Watches folders (not recursively) and calls `onChange` with the names of the files that
/// changed, once per burst of saves (an editor's write, rename and chmod arrive together).
/// On Linux it uses inotify (`inotify_init1`, `inotify_add_watch` on each folder: writes closed,
/// files moved in or out, created, deleted); elsewhere, or when inotify cannot be set up (no
/// watches left), it compares each file's modification time and size every `interval`.
/// Hidden files and editor leftovers (`x~`, `.x.swp`, vim's `4913`) are ignored.
public final class FileWatcher: Sendable {
  public enum Mode: Sendable {
    case automatic
    case polling
  }

  let folders: [URL]
  let mode: Mode
  let interval: Double
  let onChange: @Sendable ([String]) -> Void
  private let stopped = Mutex(false)
  private let done = DispatchSemaphore(value: 0)
  private let usedInotify = Mutex(false)

  public init(folders: [URL], mode: Mode = .automatic, interval: Double = 0.25, onChange: @escaping @Sendable ([String]) -> Void) {
    self.folders = folders
    self.mode = mode
    self.interval = interval
    self.onChange = onChange
  }

  /// Whether the watcher runs on inotify (else it polls).
  public var isUsingInotify: Bool { usedInotify.withLock { $0 } }

  /// Starts watching on a thread of its own.
  public func start() {
    #if os(Linux)
      if mode == .automatic, let inotify = Inotify(folders: folders) {
        usedInotify.withLock { $0 = true }
        Thread.detachNewThread { [self] in
          inotify.run(until: { self.isStopped }, onChange: { self.report($0) })
          inotify.close()
          done.signal()
        }
        return
      }
    #endif
    // the first snapshot is taken here, before `start` returns (and the preview says it is
    // watching): a save right after that is a change from it, however late the thread starts
    // (taken on the thread, a save before it ran was in the baseline and never reported: seen as
    // a lost reload on a loaded machine)
    let baseline = snapshot()
    Thread.detachNewThread { [self] in
      pollLoop(from: baseline)
      done.signal()
    }
  }

  /// Stops watching and waits (at most a second) for the thread to end.
  public func stop() {
    let wasRunning = stopped.withLock { s -> Bool in
      defer { s = true }
      return !s
    }
    if wasRunning { _ = done.wait(timeout: .now() + 1) }
  }

  var isStopped: Bool { stopped.withLock { $0 } }

  func report(_ names: [String]) {
    let kept = names.filter { !Self.ignored($0) }
    if !kept.isEmpty, !isStopped { onChange(Array(Set(kept)).sorted()) }
  }

  static func ignored(_ name: String) -> Bool {
    let file = (name as NSString).lastPathComponent
    return file.isEmpty || file.hasPrefix(".") || file.hasSuffix("~") || file == "4913" || file.hasSuffix(".swp")
  }

  // MARK: - Polling

  struct Stamp: Equatable {
    var modified: Double
    var size: Int
  }

  func snapshot() -> [String: Stamp] {
    var out: [String: Stamp] = [:]
    let fm = FileManager.default
    for folder in folders {
      for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] {
        let path = folder.appendingPathComponent(name).path
        guard let a = try? fm.attributesOfItem(atPath: path) else { continue }
        let modified = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        out[path] = Stamp(modified: modified, size: (a[.size] as? Int) ?? 0)
      }
    }
    return out
  }

  func pollLoop(from baseline: [String: Stamp]) {
    var last = baseline
    while !isStopped {
      Thread.sleep(forTimeInterval: interval)
      let now = snapshot()
      if now != last {
        let changed = Set(now.keys).union(last.keys).filter { now[$0] != last[$0] }
        last = now
        report(changed.map { ($0 as NSString).lastPathComponent })
      }
    }
  }
}

#if os(Linux)
  /// One inotify descriptor watching folders.
  struct Inotify: Sendable {
    let fd: Int32

    init?(folders: [URL]) {
      let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
      guard fd >= 0 else { return nil }
      let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB)
      for folder in folders where inotify_add_watch(fd, folder.path, mask) < 0 {
        Glibc.close(fd)
        return nil
      }
      self.fd = fd
    }

    func close() { Glibc.close(fd) }

    /// Waits for events (checking `stop` every 200 ms); gathers a burst (until 20 ms pass with
    /// no new event) and reports the names in it.
    func run(until stop: () -> Bool, onChange: ([String]) -> Void) {
      var names: [String] = []
      while !stop() {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, names.isEmpty ? 200 : 20)
        if ready > 0 {
          names += readNames()
        } else if ready == 0, !names.isEmpty {
          onChange(names)
          names = []
        } else if ready < 0, errno != EINTR {
          return
        }
      }
    }

    /// The names of the files in every event waiting on the descriptor.
    func readNames() -> [String] {
      var names: [String] = []
      var buffer = [UInt8](repeating: 0, count: 64 * 1024)
      while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return names }
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= n {
          let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
          let start = offset + header
          let end = min(n, start + length)
          let nameBytes = buffer[start..<end].prefix { $0 != 0 }
          if let name = String(bytes: nameBytes, encoding: .utf8), !name.isEmpty { names.append(name) }
          offset = start + length
        }
      }
    }
  }
#endif
