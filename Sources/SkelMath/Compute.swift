import CBLAS
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// How many threads a computation may use: the engine's own loops (`forEach`, `map`) and
/// OpenBLAS inside `blas`. A value, passed in by whoever starts the work (the CLI from
/// `--threads`, a test, a benchmark); nothing in the libraries reads a global or the environment
/// for it, and two values with different counts can be used at once.
///
/// Every parallel loop in the engine splits its work into pieces whose results do not depend on
/// which thread runs them, and BLAS calls whose rounding would depend on OpenBLAS's split run in
/// `singleThreadedBLAS`: 1 and 2 threads give the same bytes.
public struct Compute: Sendable, Hashable {
  /// Threads for the loops (at least 1).
  public var threads: Int

  public init(threads: Int) {
    self.threads = max(1, threads)
  }

  /// The machine's online cores.
  public static let cores: Int = {
    #if canImport(Glibc)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 2
    #endif
  }()

  /// Every core.
  public static var allCores: Compute { Compute(threads: cores) }
  /// One thread: loops run in index order on the calling thread.
  public static let serial = Compute(threads: 1)

  /// Runs `body(i)` for i in 0..<count on up to `threads` threads (serially with one thread):
  /// `workers` threads take the next index from one counter, so every index runs exactly once and
  /// a slow one does not hold the others back. Which thread runs an index never changes a result:
  /// each index's work must depend only on the index.
  public func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
    let t = min(max(1, threads), count)
    if t <= 1 {
      for i in 0..<count { body(i) }
      return
    }
    let next = Atomic<Int>(0)
    Self.onThreads(t) { _ in
      while true {
        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
        guard i < count else { return }
        body(i)
      }
    }
  }

  /// Runs `body(w)` for w in 0..<n at once: w = 0 on the calling thread, the others on threads
  /// started here (and joined before it returns). Not GCD's pool: `concurrentPerform` may run
  /// every iteration on the caller while its pool is busy elsewhere in the process (a build's
  /// sweep points then ran one at a time on 2 threads, 2026-12-04), and these n bodies run side
  /// by side whatever else the process does. A thread that cannot be started runs its body on the
  /// caller afterwards.
  public static func onThreads(_ n: Int, _ body: @Sendable (Int) -> Void) {
    guard n > 1 else {
      if n == 1 { body(0) }
      return
    }
    withoutActuallyEscaping(body) { body in
      var started: [(pthread_t, Unmanaged<WorkerThread>)] = []
      var notStarted: [Int] = []
      for w in 1..<n {
        let worker = Unmanaged.passRetained(WorkerThread(index: w, body: body))
        var id = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setstacksize(&attributes, WorkerThread.stackBytes)
        let rc = pthread_create(
          &id, &attributes,
          { raw in
            guard let raw else { return nil }
            let w = Unmanaged<WorkerThread>.fromOpaque(raw).takeUnretainedValue()
            w.body(w.index)
            return nil
          }, worker.toOpaque())
        pthread_attr_destroy(&attributes)
        if rc == 0 {
          started.append((id, worker))
        } else {
          worker.release()
          notStarted.append(w)
        }
      }
      body(0)
      for w in notStarted { body(w) }
      for (id, worker) in started {
        pthread_join(id, nil)
        worker.release()
      }
    }
  }

  /// `[body(0), …, body(count − 1)]`, computed by `forEach`: each slot is written by the one task
  /// of its index, so no lock is needed and the order never depends on the threads.
  public func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    guard count > 0 else { return [] }
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer {
      _ = slots.deinitialize()
      slots.deallocate()
    }
    if let base = slots.baseAddress {
      let p = SendablePointer(base)
      forEach(count) { i in (p.pointer + i).pointee = body(i) }
    }
    // every index in 0..<count was written by forEach, so no slot is nil
    return slots.compactMap { $0 }
  }
}

// MARK: - OpenBLAS's thread count

/// OpenBLAS keeps one thread count for the whole process (`openblas_set_num_threads`): state
/// inside OpenBLAS that no value can hold. It is set from `Compute` values around BLAS work:
/// `blas` asks for `threads`, `singleThreadedBLAS` for 1, and while regions are open OpenBLAS
/// runs on the fewest threads any open region asks for (so a single-threaded region is never
/// widened by a concurrent one, and a 1-thread computation never gets more). When the last
/// region closes, OpenBLAS's count comes back to what it was before the first one opened.
extension Compute {
  /// Runs `body` with OpenBLAS on at most `threads` threads (see the section note).
  public func blas<T>(_ body: () throws -> T) rethrows -> T {
    let t = max(1, threads)
    BLASThreads.open(t)
    defer { BLASThreads.close(t) }
    return try body()
  }

  /// Runs `body` with OpenBLAS on one thread: for calls whose rounding would otherwise depend on
  /// how OpenBLAS splits the work. Regions nest and may run on several threads at once.
  public static func singleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
    BLASThreads.open(1)
    defer { BLASThreads.close(1) }
    return try body()
  }

  /// The thread count OpenBLAS uses now (for tests and diagnostics).
  public static var openBLASThreads: Int { Int(openblas_get_num_threads()) }
}

/// The open `blas`/`singleThreadedBLAS` regions of the process, by requested thread count.
private enum BLASThreads {
  struct State {
    var open: [Int: Int] = [:]
    /// OpenBLAS's count before the first region opened.
    var before: Int32 = 0
    var current: Int32 = 0
  }
  static let state = Mutex(State())

  static func open(_ t: Int) {
    state.withLock { s in
      if s.open.isEmpty {
        s.before = openblas_get_num_threads()
        s.current = s.before
      }
      s.open[t, default: 0] += 1
      apply(&s)
    }
  }

  static func close(_ t: Int) {
    state.withLock { s in
      s.open[t, default: 1] -= 1
      if s.open[t] == 0 { s.open[t] = nil }
      apply(&s)
    }
  }

  /// Sets OpenBLAS to the fewest threads an open region asks for, or back to `before`.
  private static func apply(_ s: inout State) {
    let want = s.open.keys.min().map { Int32($0) } ?? s.before
    if want != s.current {
      openblas_set_num_threads(want)
      s.current = want
    }
  }
}

/// What a thread started by `Compute.onThreads` runs: its index and the caller's body (which
/// outlives the thread: the caller joins every thread before it returns).
private final class WorkerThread: @unchecked Sendable {
  /// 8 MiB, as the main thread's usual limit: kernels recurse over networks on these threads.
  static let stackBytes = 8 << 20
  let index: Int
  let body: @Sendable (Int) -> Void
  init(index: Int, body: @escaping @Sendable (Int) -> Void) {
    self.index = index
    self.body = body
  }
}

/// A raw pointer handed to worker threads, each writing a disjoint part.
public struct SendablePointer<T>: @unchecked Sendable {
  public let pointer: UnsafeMutablePointer<T>
  public init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}
