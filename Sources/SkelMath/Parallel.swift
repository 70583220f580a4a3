import CBLAS
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// How many threads the engine uses: its own loops (`Parallel.forEach`) and OpenBLAS.
/// Every parallel loop in the engine splits its work into pieces whose results do not depend on
/// which thread runs them, so 1 and 2 threads give the same bytes; `configure(threads:)` exists
/// to check exactly that, and to leave cores to other work.
public enum Parallel {
  nonisolated(unsafe) private static var configured: Int = 0

  /// The machine's online cores.
  public static let cores: Int = {
    #if canImport(Glibc)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 2
    #endif
  }()

  /// Threads in use: `configure(threads:)`, else `SKELREPORT_THREADS`, else every core.
  public static var threads: Int {
    if configured > 0 { return configured }
    if let v = getenv("SKELREPORT_THREADS"), let n = Int(String(cString: v)), n > 0 { return n }
    return cores
  }

  /// Sets the thread count for the engine's loops and for OpenBLAS (call before any work).
  public static func configure(threads n: Int) {
    configured = max(1, n)
    openblas_set_num_threads(Int32(configured))
  }

  /// How many `singleThreadedBLAS` regions are open, on any thread.
  private static let pinned = Mutex(0)

  /// Runs `body` with OpenBLAS on one thread, then restores the thread count: for calls whose
  /// rounding would otherwise depend on how OpenBLAS splits the work. Regions nest and may run
  /// on several threads at once: the thread count comes back only when the last one closes.
  public static func singleThreadedBLAS<T>(_ body: () throws -> T) rethrows -> T {
    let t = threads
    guard t > 1 else { return try body() }
    pinned.withLock { depth in
      if depth == 0 { openblas_set_num_threads(1) }
      depth += 1
    }
    defer {
      pinned.withLock { depth in
        depth -= 1
        if depth == 0 { openblas_set_num_threads(Int32(t)) }
      }
    }
    return try body()
  }

  /// Runs `body(i)` for i in 0..<count on up to `threads` threads (serially with one thread).
  public static func forEach(_ count: Int, _ body: @Sendable (Int) -> Void) {
    let t = threads
    if t <= 1 || count <= 1 {
      for i in 0..<count { body(i) }
      return
    }
    if t >= cores {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
      return
    }
    // fewer threads than cores: t workers take indices in strides
    DispatchQueue.concurrentPerform(iterations: t) { w in
      var i = w
      while i < count {
        body(i)
        i += t
      }
    }
  }
}

extension Parallel {
  /// `[body(0), …, body(count − 1)]`, computed by `forEach`: each slot is written by the one task
  /// of its index, so no lock is needed and the order never depends on the threads.
  public static func map<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    slots.initialize(repeating: nil)
    defer {
      _ = slots.deinitialize()
      slots.deallocate()
    }
    if count > 0 {
      let p = SendablePointer(slots.baseAddress!)
      forEach(count) { i in (p.pointer + i).pointee = body(i) }
    }
    return slots.map { $0! }
  }
}

/// A raw pointer handed to worker threads, each writing a disjoint part.
public struct SendablePointer<T>: @unchecked Sendable {
  public let pointer: UnsafeMutablePointer<T>
  public init(_ p: UnsafeMutablePointer<T>) { pointer = p }
}
