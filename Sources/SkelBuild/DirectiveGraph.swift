import Foundation
import SkelDocument
import SkelExperiments

// `:from: LABEL` (or `REPORT/LABEL`): the directive DAG of a build. Planning resolves each
// `:from:` to a directive of the build (`PlannedDirective.upstream`), refuses a missing label, a
// kind that takes no `:from:` and a cycle (errors at the option, file:line:col), and puts the
// upstream's key into the consumer's, upstream first, so a change anywhere upstream reaches every
// directive below it. `runExperiments` runs a directive only once its upstream's result is there.

extension SiteBuilder {
  /// Resolves every `:from:` of the build's plans, then keys the directives in DAG order.
  func linkUpstreams(_ plans: inout [PlannedReport], _ tally: inout PlanTally) {
    let kindsTaking = registry.kinds.values.filter(\.takesFrom).map(\.name).sorted()
    for r in plans.indices {
      for k in plans[r].directives.indices {
        let d = plans[r].directives[k]
        guard let raw = d.directive.options.first(where: { $0.key == "from" }) else { continue }
        let path = plans[r].document.source.path
        guard d.configured.takesFrom else {
          let which = kindsTaking.isEmpty ? "no kind takes one yet" : "kinds that do: \(kindsTaking.joined(separator: ", "))"
          tally.problems.append(
            Diagnostic(at: raw.keyLocation, length: raw.key.count, "kind '\(d.directive.kind)' takes no ':from:' (\(which))"))
          continue
        }
        switch Self.resolve(d.configured.common.from, in: plans, report: r) {
        case .found(let index): plans[r].directives[k].upstream = index
        case .failed: continue  // the upstream has its own error: not reported again
        case .missing(let message):
          let at = raw.location(of: raw.value, path: path)
          tally.problems.append(Diagnostic(at: at, length: max(1, raw.value.text.count), message))
        }
      }
    }
    var graph = UpstreamGraph(plans: plans)
    for r in plans.indices {
      for k in plans[r].directives.indices { graph.visit(DirectiveIndex(report: r, directive: k), trail: []) }
    }
    plans = graph.plans
    tally.problems += graph.problems
  }

  enum Resolution {
    case found(DirectiveIndex)
    /// A directive with that label exists but did not validate.
    case failed
    case missing(String)
  }

  /// `LABEL` in report `r`, or `REPORT/LABEL` in another report of the build.
  static func resolve(_ text: String, in plans: [PlannedReport], report r: Int) -> Resolution {
    let written = text.trimmingCharacters(in: .whitespaces)
    var target = r, label = written
    if let slash = written.firstIndex(of: "/") {
      let name = String(written[..<slash])
      label = String(written[written.index(after: slash)...])
      guard let other = plans.firstIndex(where: { $0.document.name == name }) else {
        let names = plans.map(\.document.name)
        return .missing(
          "':from:' names report '\(name)', which is not in this build\(Suggestion.didYouMean(name, among: names))")
      }
      target = other
    }
    let report = plans[target]
    if let k = report.directives.firstIndex(where: { $0.label == label }) { return .found(DirectiveIndex(report: target, directive: k)) }
    if report.failedLabels.contains(label) { return .failed }
    let labels = report.directives.map(\.label)
    let place = target == r ? "this report" : "report '\(report.document.name)'"
    return .missing(
      "':from:' names '\(label)', but no directive in \(place) has that label\(Suggestion.didYouMean(label, among: labels))")
  }

  /// The result `d` reads through `:from:`, from the results of the build so far.
  static func upstream(of d: PlannedDirective, plans: [PlannedReport], results: [DirectiveIndex: ExperimentResult]) -> Upstream? {
    guard let u = d.upstream, let result = results[u] else { return nil }
    let up = plans[u.report].directives[u.directive]
    return Upstream(label: up.label, kind: up.directive.kind, result: result)
  }

  /// A directive's result with its upstream's first, one unit after another on this thread
  /// (`skelreport shard`, which computes units one by one; the site build schedules the DAG).
  func directiveResult(
    _ index: DirectiveIndex, plans: [PlannedReport], context: BuildContext, done: inout [DirectiveIndex: ExperimentResult]
  ) throws -> ExperimentResult {
    if let held = done[index] { return held }
    let report = plans[index.report], d = report.directives[index.directive]
    if let u = d.upstream { _ = try directiveResult(u, plans: plans, context: context, done: &done) }
    let upstream = Self.upstream(of: d, plans: plans, results: done)
    let units = try d.units.map { try compute($0, report: report, context: context, upstream: upstream).0 }
    let result = d.points.isEmpty ? units[0].result : try mergeSweep(d, units, report: report).result
    done[index] = result
    return result
  }
}

/// Depth-first over the `:from:` edges: finds cycles and keys each directive after its upstream.
struct UpstreamGraph {
  var plans: [PlannedReport]
  var problems: [Diagnostic] = []
  private enum State { case onPath, keyed, failed }
  private var state: [DirectiveIndex: State] = [:]

  init(plans: [PlannedReport]) { self.plans = plans }

  /// Keys `i` after its upstream; `false` when `i` is on a cycle or below one (not keyed; the
  /// cycle's error is reported once).
  @discardableResult
  mutating func visit(_ i: DirectiveIndex, trail: [DirectiveIndex]) -> Bool {
    switch state[i] {
    case .keyed?: return true
    case .failed?: return false
    case .onPath?:
      cycle(from: i, trail: trail)
      return false
    case nil: break
    }
    guard let u = plans[i.report].directives[i.directive].upstream else {
      state[i] = .keyed
      return true
    }
    state[i] = .onPath
    guard visit(u, trail: trail + [i]) else {
      state[i] = .failed
      return false
    }
    rekey(i, upstreamKey: plans[u.report].directives[u.directive].key)
    state[i] = .keyed
    return true
  }

  /// The error of a cycle `i → … → i`, at the `:from:` of the directive that closes it.
  mutating func cycle(from i: DirectiveIndex, trail: [DirectiveIndex]) {
    guard let start = trail.firstIndex(of: i), let last = trail.last else { return }
    let members = Array(trail[start...])
    let names = (members + [i]).map { plans[$0.report].directives[$0.directive].label }.joined(separator: " → ")
    let closing = plans[last.report].directives[last.directive]
    guard let raw = closing.directive.options.first(where: { $0.key == "from" }) else { return }
    let at = raw.location(of: raw.value, path: plans[last.report].document.source.path)
    let message =
      members.count == 1
      ? "':from:' names the directive itself ('\(closing.label)'); a directive cannot read its own result"
      : "':from:' makes a cycle: \(names); a directive cannot read a result computed from its own"
    problems.append(Diagnostic(at: at, length: max(1, raw.value.text.count), message))
  }

  /// The consumer's key with its upstream's in it (each point's, for a sweep).
  mutating func rekey(_ i: DirectiveIndex, upstreamKey: String) {
    func with(_ key: String) -> String { SHA256Hash.hex("\(key)\nfrom=\(upstreamKey)\n") }
    var d = plans[i.report].directives[i.directive]
    if d.points.isEmpty {
      d.key = with(d.key)
    } else {
      for p in d.points.indices { d.points[p].planned.key = with(d.points[p].planned.key) }
      d.key = SiteBuilder.sweepKey(d)
    }
    plans[i.report].directives[i.directive] = d
  }
}
