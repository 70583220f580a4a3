import SkelDocument
import SkelExperiments

/// One point of a `:sweep:`: the directive as planned with the point's values substituted (its
/// own typed options, cache key and estimate: a unit of its own), and the values.
struct SweepPoint {
  var planned: PlannedDirective
  var variables: [(name: String, text: String, value: Double?)]
}

extension PlannedDirective {
  /// What is computed and cached for this directive: its points, or itself.
  /// What is computed and cached for this directive: its points, or itself (and its `:check:`'s
  /// twin, second).
  var units: [PlannedDirective] { points.isEmpty ? [self] + checks.map(\.twin) : points.map(\.planned) }
}

extension SiteBuilder {
  /// A directive with `:sweep:`: every point planned as a directive of its own (the same label
  /// and seed, so points share random numbers and adding a point leaves the others' keys alone),
  /// then one directive whose result is the points' merged (`SweepMerge`). Each problem is
  /// reported once, at the first point that has it.
  func planSweep(
    _ d: Directive, _ option: RawOption, in doc: Document, taken: inout Set<String>, _ tally: inout PlanTally
  ) -> PlannedDirective? {
    let (spec, problems) = SweepSpec.parse(option)
    tally.problems += problems
    guard let spec else { return nil }
    let used = Set(d.options.filter { $0.key != "sweep" }.flatMap { SweepSpec.variables(in: $0.value) })
    let unused = spec.variables.filter { !used.contains($0.name) }
    for v in unused {
      tally.problems.append(
        Diagnostic(at: v.location, length: v.name.count, "sweep variable '\(v.name)' is used by no option: write $\(v.name) in one"))
    }
    guard unused.isEmpty else { return nil }
    let label = d.label.flatMap { $0.isEmpty ? nil : $0 } ?? Self.generatedLabel(d, taken: &taken)
    var points: [SweepPoint] = []
    for (n, point) in spec.points.enumerated() {
      let (pd, substitution) = SweepSpec.substitute(d, point)
      let warnings = tally.warnings.count
      tally.problems += substitution
      guard substitution.isEmpty, var planned = planDirective(pd, in: doc, taken: &taken, &tally, label: label) else { return nil }
      planned.label = "\(label)[\(SweepSpec.describe(point))]"  // in progress lines, plan units and errors; the seed is the label's
      if n > 0 { tally.warnings.removeSubrange(warnings...) }  // the caption's warnings once
      let variables = point.map { p -> (name: String, text: String, value: Double?) in
        if case .number(let x) = p.value.value { return (p.name, p.value.text, x) }
        return (p.name, p.value.text, nil)
      }
      points.append(SweepPoint(planned: planned, variables: variables))
    }
    guard var whole = points.first?.planned else { return nil }
    whole.directive = d
    whole.label = label
    whole.points = points
    if let raw = d.options.first(where: { $0.key == "summary" }) {
      guard let summary = Self.summary(raw, label: label, points: points, path: doc.source.path, &tally) else { return nil }
      whole.summary = summary
      whole.configured = whole.configured.summarized()
    }
    whole.key = Self.sweepKey(whole)
    if var cost = whole.cost {
      cost.seconds = points.reduce(0) { $0 + ($1.planned.cost?.seconds ?? 0) }
      cost.bytes = points.map { $0.planned.cost?.bytes }.reduce(0) { a, b in a.flatMap { x in b.map { max(x, $0) } } }
      whole.cost = cost
    }
    return whole
  }

  /// A sweep directive's own key: its points' keys and its summary (figure cache, provenance).
  static func sweepKey(_ d: PlannedDirective) -> String {
    let key = ContentHash.hex(d.points.map(\.planned.key).joined(separator: "|"))
    return d.summary.map { ContentHash.hex(key + "|summary=" + $0.text) } ?? key
  }

  /// A sweep's `:summary: FIELD[SELECTORS]`: an inline value's field and selectors read from
  /// each point's result at full precision (`.17g`); errors at the option. The first variable
  /// must take numbers (the summary is plotted against it).
  static func summary(
    _ raw: RawOption, label: String, points: [SweepPoint], path: String, _ tally: inout PlanTally
  ) -> (value: InlineValue, text: String)? {
    let text = raw.value.text.trimmingCharacters(in: .whitespaces)
    let at = SourceLocation(path: path, line: raw.line, column: raw.value.column)
    do {
      var value = try InlineValue(parsing: "\(label).\(text)")
      value.format = ".17g"
      if let bad = points.first(where: { $0.variables.first?.value == nil }), let v = bad.variables.first {
        tally.problems.append(
          Diagnostic(
            at: at, length: text.count, "':summary:' is plotted against \(v.name), whose value '\(v.text)' is not a number"))
        return nil
      }
      return (value, text)
    } catch {
      let column = raw.value.column + max(0, error.offset - label.count - 1)
      tally.problems.append(
        Diagnostic(
          at: SourceLocation(path: path, line: raw.line, column: column),
          "option 'summary' (FIELD[SELECTORS], as in y[rho=0]): \(error.message)"))
      return nil
    }
  }

  /// `$NAME` in the options of a directive with no `:sweep:`: an error at each use; so is `:summary:`.
  static func strayVariables(_ d: Directive) -> [Diagnostic] {
    guard !d.options.contains(where: { $0.key == "sweep" }) else { return [] }
    let summary = d.options.filter { $0.key == "summary" }.map {
      Diagnostic(
        at: $0.keyLocation, length: 7, "option 'summary' needs a :sweep: (the summary is plotted against the sweep's variable)")
    }
    return summary
      + d.options.flatMap { o in
        SweepSpec.variables(in: o.value).map {
          Diagnostic(
            at: o.keyLocation, length: o.key.count, "option '\(o.key)' uses $\($0), but the directive has no :sweep: that gives it values")
        }
      }
  }

  /// The result of a sweep directive from its points' results (in point order).
  func mergeSweep(_ d: PlannedDirective, _ results: [ExperimentResultWithTime], report: PlannedReport) throws -> ExperimentResultWithTime {
    do {
      let points = zip(d.points, results).map { (variables: $0.variables, result: $1.result) }
      let merged =
        try d.summary.map { s throws(SweepMerge.Problem) in try SweepMerge.summarize(points, summary: s.value, text: s.text) }
        ?? SweepMerge.merge(points)
      return ExperimentResultWithTime(result: merged, seconds: results.reduce(0) { $0 + $1.seconds })
    } catch {
      throw directiveError(d, report: report, "directive '\(d.label)': \(error)")
    }
  }
}
