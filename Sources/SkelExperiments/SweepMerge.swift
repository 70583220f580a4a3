import Foundation

/// One result from the results of a sweep's points (directives.md, "Sweeps"): every series of
/// every point, named by the point (`L=4`, or `L=4, relu` when a point has several series) with
/// the variables in its `parameters`; table rows with a column per variable in front; the
/// checks of every point. A heat map or a graph has no way to stack: such a sweep is an error.
public enum SweepMerge {
  public struct Problem: Error, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// - Parameter points: each point's variables (name, value as written, numeric value when it is
  ///   a number) and its result, in sweep order.
  public static func merge(_ points: [(variables: [(name: String, text: String, value: Double?)], result: ExperimentResult)])
    throws(Problem) -> ExperimentResult
  {
    guard var out = points.first?.result else { throw Problem(description: "the sweep has no points") }
    if out.grid != nil || out.graph != nil {
      throw Problem(description: "a heat map or a graph cannot be swept into one figure: write one directive per value instead")
    }
    out.series = []
    out.checks = []
    for (variables, result) in points {
      let point = variables.map { "\($0.name)=\($0.text)" }.joined(separator: ", ")
      for s in result.series {
        var t = s
        t.name = result.series.count == 1 || s.name.isEmpty ? point : "\(point), \(s.name)"
        var parameters = s.parameters ?? [:]
        for v in variables { if let x = v.value { parameters[v.name] = x } }
        t.parameters = parameters.isEmpty ? nil : parameters
        out.series.append(t)
      }
      out.checks += result.checks
    }
    if let first = points.first?.result.table {
      let names = points[0].variables.map(\.name)
      var rows: [[String]] = []
      for (variables, result) in points {
        guard let t = result.table, t.columns == first.columns else {
          throw Problem(description: "the sweep's points give tables of different columns")
        }
        rows += t.rows.map { variables.map(\.text) + $0 }
      }
      // the variables' columns titled by their symbols (`$L$`, `$\sigma_w$`), as the legend names them
      let titles = names.map { "$" + SeriesLabel.symbol(ofKey: $0) + "$" } + (first.titles ?? first.columns)
      // the variables' values are names the legend typesets (`nngp` → NNGP), as are the points'
      let nameColumns = Array(names.indices) + (first.nameColumns ?? []).map { $0 + names.count }
      out.table = TableData(columns: names + first.columns, rows: rows, titles: titles, nameColumns: nameColumns)
    }
    return out
  }
}

extension SweepMerge {
  /// A sweep's `:summary:` (directives.md, "Sweeps"): the scalar `summary` reads from each
  /// point's result, against the first variable; one series per value of the second variable
  /// when there are two (named `w=2`). Standard errors are kept where the points have them.
  /// The first variable's values must be numbers.
  public static func summarize(
    _ points: [(variables: [(name: String, text: String, value: Double?)], result: ExperimentResult)], summary: InlineValue,
    text: String
  ) throws(Problem) -> ExperimentResult {
    guard let first = points.first, let xName = first.variables.first?.name else { throw Problem(description: "the sweep has no points") }
    var series: [SeriesData] = []
    for (variables, result) in points {
      guard let x = variables[0].value else {
        throw Problem(description: "':summary:' plots against \(xName), whose value '\(variables[0].text)' is not a number")
      }
      let v: (value: Double, error: Double?)
      do { v = try summary.number(result) } catch {
        throw Problem(description: "':summary: \(text)' at \(variables.map { "\($0.name)=\($0.text)" }.joined(separator: ", ")): \(error)")
      }
      let group = variables.dropFirst().map { "\($0.name)=\($0.text)" }.joined(separator: ", ")
      var parameters: [String: Double] = [:]
      for p in variables.dropFirst() { if let x = p.value { parameters[p.name] = x } }
      if let k = series.firstIndex(where: { $0.name == (group.isEmpty ? text : group) }) {
        guard (series[k].yerr != nil) == (v.error != nil) else {
          throw Problem(description: "':summary: \(text)' has a standard error at some points and not at others")
        }
        series[k].x.append(x)
        series[k].y.append(v.value)
        if let e = v.error { series[k].yerr?.append(e) }
      } else {
        series.append(
          SeriesData(
            name: group.isEmpty ? text : group, x: [x], y: [v.value], yerr: v.error.map { [$0] },
            parameters: parameters.isEmpty ? nil : parameters))
      }
    }
    return ExperimentResult(
      xlabel: xName, ylabel: text, xlabelTeX: "$\(xName)$", ylabelTeX: axisLabel(summary, text: text, upstream: first.result),
      series: series, checks: points.flatMap(\.result.checks))
  }

  /// The summary's axis label: for a series value `y[n=160]`, the points' own y label with its
  /// selectors as mathematics ("test accuracy at n = 160"); otherwise the summary as written
  /// (a selector that is not a one-letter name at a number, a table cell, min or max).
  public static func axisLabel(_ s: InlineValue, text: String, upstream: ExperimentResult) -> String {
    guard s.field == "y", !upstream.ylabelTeX.isEmpty else { return text }
    let at = s.selectors.compactMap { selector -> String? in
      let parts = selector.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.count == 2, parts[0].count == 1, parts[0].allSatisfy(\.isLetter), Double(parts[1]) != nil else { return nil }
      return "$\(parts[0]) \\;=\\; \(parts[1])$"  // spaced: the figure's math text drops plain spaces
    }
    guard at.count == s.selectors.count else { return text }
    return at.isEmpty ? upstream.ylabelTeX : upstream.ylabelTeX + " at " + at.joined(separator: ", ")
  }
}
