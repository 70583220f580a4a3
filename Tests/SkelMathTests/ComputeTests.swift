import Dispatch
import Foundation
import SkelMath
import Synchronization
import Testing

/// `Compute` is a value: two of them with different thread counts run side by side, each giving
/// the bytes a serial run gives, and OpenBLAS stays on one thread inside every single-threaded
/// region whatever else runs.
@Suite struct ComputeTests {
  /// A LAPACK eigendecomposition, a Cholesky solve and a dgemm per index: BLAS inside our loops.
  static func work(_ i: Int) -> [Double] {
    let n = 24
    var a = Matrix(rows: n, columns: n)
    for r in 0..<n { for c in 0..<n { a[r, c] = 1 / Double(1 + r + c + i) + (r == c ? Double(n) : 0) } }
    let values = (try? a.symmetricEigenvalues()) ?? []
    let x = (try? a.solvePositiveDefinite(Matrix(rows: n, columns: 1, storage: [Double](repeating: 1, count: n))).storage) ?? []
    return values + x + (a * a).storage
  }

  @Test func mapKeepsTheOrderOfIndices() {
    #expect(Compute(threads: 2).map(100) { $0 * $0 } == (0..<100).map { $0 * $0 })
    #expect(Compute.serial.map(0) { $0 }.isEmpty)
    #expect(Compute(threads: 0).threads == 1, "a count below 1 is one thread")
  }

  /// One thread runs the loop in index order on the calling thread.
  @Test func oneThreadRunsInOrder() {
    let seen = Mutex<[Int]>([])
    Compute.serial.forEach(50) { i in seen.withLock { $0.append(i) } }
    #expect(seen.withLock { $0 } == Array(0..<50))
  }

  @Test func twoValuesWithDifferentThreadCountsRunConcurrently() {
    let reference = (0..<40).map(Self.work)
    let counts = [1, 2, 1, 2]
    let results = Mutex<[Int: [[Double]]]>([:])
    DispatchQueue.concurrentPerform(iterations: counts.count) { k in
      let compute = Compute(threads: counts[k])
      let r = compute.blas { compute.map(40, Self.work) }
      results.withLock { $0[k] = r }
    }
    for k in counts.indices {
      #expect(results.withLock { $0[k] } == reference, "\(counts[k]) thread(s), run \(k)")
    }
  }

  /// A region asking for 2 OpenBLAS threads, held open on another thread, never widens a
  /// single-threaded region (the fewest threads any open region asks for win).
  @Test func singleThreadedRegionsStaySingleThreaded() {
    let inside = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0), closed = DispatchSemaphore(value: 0)
    // a thread of its own, so that the holder and the checker surely run at the same time
    let holder = Thread {
      Compute(threads: 2).blas {
        inside.signal()
        done.wait()
      }
      closed.signal()
    }
    holder.start()
    inside.wait()
    var seen: [Int] = []
    Compute.singleThreadedBLAS { seen.append(Compute.openBLASThreads) }
    Compute.serial.blas { seen.append(Compute.openBLASThreads) }
    done.signal()
    closed.wait()
    #expect(seen == [1, 1])
  }

  /// `forEach` on n threads has n indices in flight at once, whatever GCD's pool is doing: every
  /// index waits (up to 20 s) until n of them have arrived, which a loop running them one after
  /// another on the caller never reaches. GCD's pool is kept busy meanwhile by blocked work items.
  @Test(arguments: [2, 3, 5])
  func forEachRunsItsThreadsAtOnce(_ n: Int) {
    let busy = DispatchSemaphore(value: 0), group = DispatchGroup()
    for _ in 0..<16 { DispatchQueue.global().async(group: group) { _ = busy.wait(timeout: .now() + 30) } }
    defer {
      for _ in 0..<16 { busy.signal() }
      group.wait()
    }
    let arrived = Atomic<Int>(0), timedOut = Atomic<Int>(0), ran = Mutex<[Int]>([])
    Compute(threads: n).forEach(4 * n) { i in
      if i < n {
        arrived.add(1, ordering: .sequentiallyConsistent)
        let deadline = Date().addingTimeInterval(20)
        while arrived.load(ordering: .sequentiallyConsistent) < n {
          if Date() > deadline {
            timedOut.add(1, ordering: .relaxed)
            break
          }
          usleep(200)
        }
      }
      ran.withLock { $0.append(i) }
    }
    #expect(timedOut.load(ordering: .relaxed) == 0, "\(n) indices never were in flight at once")
    #expect(ran.withLock { $0.sorted() } == Array(0..<(4 * n)), "every index once")
  }

  /// `onThreads` runs each of its n bodies once, side by side, and returns after all of them.
  @Test func onThreadsRunsEveryBodyOnce() {
    let seen = Mutex<[Int]>([])
    Compute.onThreads(6) { w in seen.withLock { $0.append(w) } }
    #expect(seen.withLock { $0.sorted() } == Array(0..<6))
    Compute.onThreads(0) { _ in Issue.record("no body for n = 0") }
  }
}
