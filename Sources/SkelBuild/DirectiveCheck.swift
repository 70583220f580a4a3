import Foundation
import SkelDocument
import SkelExperiments

/// A directive's `:check: {OPTION: VALUE, ..., tol: T}`: the same directive computed again with
/// those options replaced (an independent route: `method: quadrature` against the closed form, a
/// wider network, more samples) as a unit of its own (cached, keyed, seeded from `LABEL#check`),
/// and the largest absolute difference of the two results, which must not exceed `tol`.
struct PlannedCheck {
  var twin: PlannedDirective
  var tolerance: Double
  /// The replaced options as written (`method: quadrature`): the check's name on the page and in
  /// the JSON's `provenance.checks`.
  var method: String
  var option: RawOption
}

extension SiteBuilder {
  /// Plans `d` without its `:check:`, then its twin with the check's options; errors at the option.
  func planChecked(
    _ d: Directive, _ raw: RawOption, in doc: Document, taken: inout Set<String>, _ tally: inout PlanTally
  ) -> PlannedDirective? {
    let path = doc.source.path
    func problem(_ node: OptionNode, _ message: String) {
      tally.problems.append(Diagnostic(at: raw.location(of: node, path: path), length: node.length, message))
    }
    var main = d
    main.options.removeAll { $0.key == "check" }
    if d.options.contains(where: { $0.key == "sweep" }) {
      problem(raw.value, "':check:' is not available with ':sweep:' yet")
      return nil
    }
    guard case .map(let entries) = raw.value.value else {
      problem(raw.value, "':check:' is a map of the options to compute again with and a tolerance, as in {method: quadrature, tol: 1e-10}")
      return nil
    }
    let tol = entries.first { $0.key == "tol" }
    guard let tol, case .number(let tolerance) = tol.value.value, tolerance > 0, tolerance.isFinite else {
      problem(tol?.value ?? raw.value, "':check:' needs 'tol: T', the largest absolute difference allowed (a positive number)")
      return nil
    }
    let overrides = entries.filter { $0.key != "tol" }
    guard !overrides.isEmpty else {
      problem(raw.value, "':check:' names no option to compute again with (as in {method: quadrature, tol: 1e-10})")
      return nil
    }
    guard var planned = planDirective(main, in: doc, taken: &taken, &tally) else { return nil }
    var twin = main
    for e in overrides {
      var option = raw  // errors in the value point into the check
      option.key = e.key
      option.value = e.value
      if let i = twin.options.firstIndex(where: { $0.key == e.key }) { twin.options[i] = option } else { twin.options.append(option) }
    }
    let warnings = tally.warnings.count
    guard var twinPlan = planDirective(twin, in: doc, taken: &taken, &tally, label: planned.label + "#check") else { return nil }
    tally.warnings.removeSubrange(warnings...)  // the caption's warnings once
    twinPlan.label = planned.label + "[check]"
    let method = overrides.map { "\($0.key): \($0.value.text)" }.joined(separator: ", ")
    planned.checks = [PlannedCheck(twin: twinPlan, tolerance: tolerance, method: method, option: raw)]
    return planned
  }

  /// The check of `d`'s result against its twin's: a `CheckResult` in the result, and an error
  /// at the `:check:` option when the difference exceeds the tolerance.
  static func evaluate(_ check: PlannedCheck, _ result: inout ExperimentResult, twin: ExperimentResult, path: String) -> Diagnostic? {
    let (error, where_) = maxAbsDifference(result, twin)
    let passed = error <= check.tolerance
    result.checks.append(CheckResult(method: check.method, maxAbsError: error, tolerance: check.tolerance, passed: passed))
    guard !passed else { return nil }
    let at = check.option.location(of: check.option.value, path: path)
    let measured = error.isFinite ? String(format: "%.3g", error) : "\(error)"
    return Diagnostic(
      at: at, length: check.option.value.length,
      "check failed: computed again with \(check.method), the result differs by max |Δ| = \(measured)\(where_) > tol \(String(format: "%g", check.tolerance))"
    )
  }

  /// The largest absolute difference between two results (series matched by name, grids by
  /// name), and where; infinity when their shapes differ.
  static func maxAbsDifference(_ a: ExperimentResult, _ b: ExperimentResult) -> (Double, String) {
    var worst = 0.0, place = ""
    func compare(_ x: [Double], _ y: [Double], _ name: String, at: (Int) -> String) {
      guard x.count == y.count else {
        worst = .infinity
        place = " (series '\(name)' has \(x.count) points against \(y.count))"
        return
      }
      for i in x.indices {
        let d = abs(x[i] - y[i])
        if d > worst || (d.isNaN && !worst.isNaN) {
          worst = d.isNaN ? .infinity : d
          place = " (series '\(name)' \(at(i)))"
        }
      }
    }
    for s in a.series {
      guard let t = b.series.first(where: { $0.name == s.name }) else { return (.infinity, " (series '\(s.name)' is missing)") }
      compare(s.y, t.y, s.name) { i in "at x = \(s.x.indices.contains(i) ? String(format: "%g", s.x[i]) : "?")" }
    }
    if let g = a.grid, let h = b.grid {
      compare(g.values.flatMap { $0 }, h.values.flatMap { $0 }, g.name) { i in "at cell \(i)" }
    }
    return (worst, place)
  }
}
