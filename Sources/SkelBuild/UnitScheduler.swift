import Foundation
import SkelExperiments

/// Hands out the units of a build (a directive, or one point of a sweep) to the threads of
/// `runExperiments`: longest first, and a unit only once its directive's upstream (`:from:`) has
/// its whole result (every unit done, a sweep merged). A directive whose upstream failed is not
/// run (its upstream's error is the one reported) and neither is anything below it; every other
/// directive still runs. Results depend only on their directive, so not on the order.
final class UnitScheduler: @unchecked Sendable {
  typealias Outcome = Result<(SiteBuilder.ExperimentResultWithTime, Bool), Error>
  struct Job {
    var index: DirectiveIndex
    var unit: Int
  }

  let jobs: [Job]
  private let plans: [PlannedReport]
  private let merge: (DirectiveIndex, [SiteBuilder.ExperimentResultWithTime]) throws -> ExperimentResult
  private let condition = NSCondition()
  private var started: [Bool]
  private var running = 0
  private var remaining: [DirectiveIndex: Int] = [:]
  private var units: [DirectiveIndex: [Int: SiteBuilder.ExperimentResultWithTime]] = [:]
  private var finished: [DirectiveIndex: ExperimentResult] = [:]
  private var failed = Set<DirectiveIndex>()
  private(set) var outcomes: [Int: Outcome] = [:]

  /// - Parameter merge: a sweep's result from its points' (in point order).
  init(
    plans: [PlannedReport], merge: @escaping (DirectiveIndex, [SiteBuilder.ExperimentResultWithTime]) throws -> ExperimentResult
  ) {
    var jobs: [(Job, Double)] = []
    for r in plans.indices {
      for k in plans[r].directives.indices {
        let index = DirectiveIndex(report: r, directive: k), d = plans[r].directives[k]
        remaining[index] = d.units.count
        for (u, unit) in d.units.enumerated() { jobs.append((Job(index: index, unit: u), unit.cost?.seconds ?? 0)) }
      }
    }
    self.jobs = jobs.enumerated().sorted { a, b in a.element.1 != b.element.1 ? a.element.1 > b.element.1 : a.offset < b.offset }
      .map(\.element.0)
    self.plans = plans
    self.merge = merge
    started = Array(repeating: false, count: self.jobs.count)
  }

  /// The next job that can run (its index in `jobs`, and its directive's upstream), waiting while
  /// every job left waits for an upstream still running; `nil` when none is left.
  func next() -> (job: Int, upstream: Upstream?)? {
    condition.lock()
    defer { condition.unlock() }
    while true {
      var blocked = false
      for j in jobs.indices where !started[j] {
        let d = plans[jobs[j].index.report].directives[jobs[j].index.directive]
        guard let u = d.upstream else { return start(j, upstream: nil) }
        if failed.contains(u) {
          started[j] = true
          settle(j, .failure(BuildError.diagnostics([], sources: [:])))  // not run: the upstream's error says why
          continue
        }
        guard let result = finished[u] else {
          blocked = true
          continue
        }
        let up = plans[u.report].directives[u.directive]
        return start(j, upstream: Upstream(label: up.label, kind: up.directive.kind, result: result))
      }
      if !blocked || running == 0 { return nil }  // all started (or nothing left could ever start)
      condition.wait()
    }
  }

  private func start(_ j: Int, upstream: Upstream?) -> (job: Int, upstream: Upstream?) {
    started[j] = true
    running += 1
    return (j, upstream)
  }

  /// The threads the job just handed out may use, of `total` shared by `workers`: a share while
  /// other jobs wait to start (the workers keep every core busy; loops of two threads each on two
  /// cores lost 15 % of the bundled build to waiting on each other), all of them for the last
  /// one, which may run alone.
  func threads(total: Int, workers: Int) -> Int {
    condition.lock()
    defer { condition.unlock() }
    return started.contains(false) ? max(1, total / max(1, workers)) : total
  }

  /// Records a job's outcome; when it was its directive's last unit, the directive's result
  /// becomes available to the directives reading it.
  func finish(_ j: Int, _ outcome: Outcome) {
    condition.lock()
    defer { condition.unlock() }
    running -= 1
    settle(j, outcome)
    condition.broadcast()
  }

  private func settle(_ j: Int, _ outcome: Outcome) {
    outcomes[j] = outcome
    let index = jobs[j].index
    switch outcome {
    case .success(let (result, _)): units[index, default: [:]][jobs[j].unit] = result
    case .failure: failed.insert(index)
    }
    remaining[index, default: 1] -= 1
    guard remaining[index] == 0, !failed.contains(index) else { return }
    let done = (units[index] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
    do { finished[index] = try merge(index, done) } catch { failed.insert(index) }  // collect reports the merge's error
    units[index] = nil
  }
}
