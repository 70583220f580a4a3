import Foundation
import SkelExperiments
import SkelPlot

/// The data behind a figure: `<label>.json` (stable keys, provenance) and `<label>.csv` (tidy).
enum FigureData {
  struct Provenance: Encodable {
    var cache_key: String
    var seed: UInt64
    var engine: String
    var seconds: Double
    var checks: [CheckResult]
  }

  struct Document: Encodable {
    var label: String
    var kind: String
    var report: String
    var options: [String: String]
    var xlabel: String
    var ylabel: String
    var series: [SeriesData]
    var table: TableData?
    var grid: GridData?
    var grids: [GridData]?
    var provenance: Provenance

    /// A table as published: cells that are numbers are JSON numbers (a true minus read as one),
    /// the others strings.
    struct PublishedTable: Encodable {
      var table: TableData
      enum Keys: String, CodingKey { case columns, rows, titles }
      func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(table.columns, forKey: .columns)
        try c.encode(table.rows.map { $0.map(Cell.init) }, forKey: .rows)
        try c.encodeIfPresent(table.titles, forKey: .titles)
      }
    }

    struct Cell: Encodable {
      var text: String
      init(_ text: String) { self.text = text }
      func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let x = NumberText.number(in: text), x.isFinite { try c.encode(x) } else { try c.encode(text) }
      }
    }

    enum CodingKeys: String, CodingKey { case label, kind, report, options, xlabel, ylabel, series, table, grid, grids, provenance }
    func encode(to encoder: Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(label, forKey: .label)
      try c.encode(kind, forKey: .kind)
      try c.encode(report, forKey: .report)
      try c.encode(options, forKey: .options)
      try c.encode(xlabel, forKey: .xlabel)
      try c.encode(ylabel, forKey: .ylabel)
      try c.encode(series, forKey: .series)
      try c.encode(table.map(PublishedTable.init), forKey: .table)  // explicit null for figures
      try c.encodeIfPresent(grid, forKey: .grid)
      try c.encodeIfPresent(grids, forKey: .grids)
      try c.encode(provenance, forKey: .provenance)
    }
  }

  static func json(_ d: PlannedDirective, result: ExperimentResult, seconds: Double, report: String) throws -> [UInt8] {
    var options: [String: String] = [:]
    for spec in d.schema.options where spec.name != "label" { options[spec.name] = d.options.texts[spec.name] ?? "" }
    let doc = Document(
      label: d.label, kind: d.directive.kind, report: report, options: options, xlabel: result.xlabel,
      ylabel: result.ylabel, series: result.series, table: result.table, grid: result.grid, grids: result.grids,
      provenance: Provenance(cache_key: d.key, seed: d.seed, engine: Engine.identity, seconds: seconds, checks: result.checks))
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
    return Array(try encoder.encode(doc)) + [0x0A]
  }

  /// `series,x,y[,yerr]`, one row per point; a table-only result writes its table.
  static func csv(_ r: ExperimentResult) -> [UInt8] {
    if let g = r.grid {  // tidy: one row per cell
      var out = "\(field(r.xlabel)),\(field(r.ylabel)),\(field(g.name))\n"
      for (i, y) in g.y.enumerated() { for (j, x) in g.x.enumerated() { out += "\(x),\(y),\(g.values[i][j])\n" } }
      return Array(out.utf8)
    }
    if r.series.isEmpty, let t = r.table {
      let lines = ([t.columns] + t.rows).map { $0.map(field).joined(separator: ",") }
      return Array((lines.joined(separator: "\n") + "\n").utf8)
    }
    let withErr = r.series.contains { $0.yerr != nil }
    var out = withErr ? "series,x,y,yerr\n" : "series,x,y\n"
    for s in r.series {
      let name = field(s.name)
      for i in s.x.indices {
        out += "\(name),\(s.x[i]),\(s.y[i])"
        if withErr { out += "," + (s.yerr.map { "\($0[i])" } ?? "") }
        out += "\n"
      }
    }
    return Array(out.utf8)
  }

  /// A CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
  static func field(_ s: String) -> String {
    s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
  }

  /// Alt text generated from the data when the author gave none: what is plotted against what,
  /// the series, the x range; for a heat map the quantity, both axes' ranges and the values'.
  static func alt(_ r: ExperimentResult) -> String {
    var r = r
    // typeset as the figure shows them: ρ₀ = −0.5, σ_w², not rho0=-0.5, sigma_w2
    if !r.xlabelTeX.isEmpty { r.xlabel = MathText.unicode(fromTeX: r.xlabelTeX) }
    if !r.ylabelTeX.isEmpty { r.ylabel = MathText.unicode(fromTeX: r.ylabelTeX) }
    for k in r.series.indices { r.series[k].name = MathText.unicode(fromTeX: SeriesLabel.tex(r.series[k].name)) }
    if let g = r.grid { return heatmapAlt(r, g) }
    let names = r.series.map(\.name)
    let xs = r.series.flatMap(\.x)
    var text = "Line plot of \(r.ylabel) against \(r.xlabel)"
    if !names.isEmpty { text += " for \(names.joined(separator: ", "))" }
    if let lo = xs.min(), let hi = xs.max() { text += "; \(r.xlabel) from \(short(lo)) to \(short(hi))" }
    return text + "."
  }

  static func heatmapAlt(_ r: ExperimentResult, _ g: GridData) -> String {
    var text = "Heat map of \(g.name) over \(r.xlabel) and \(r.ylabel)"
    if let x0 = g.x.min(), let x1 = g.x.max(), let y0 = g.y.min(), let y1 = g.y.max() {
      text += " (\(r.xlabel) from \(short(x0)) to \(short(x1)), \(r.ylabel) from \(short(y0)) to \(short(y1)))"
    }
    let finite = g.values.flatMap { $0 }.filter(\.isFinite)
    if let lo = finite.min(), let hi = finite.max() { text += "; \(g.name) from \(short(lo)) to \(short(hi))" }
    let undefined = g.values.reduce(0) { $0 + $1.count } - finite.count
    if undefined > 0 { text += ", undefined in \(undefined) cells" }
    if !r.series.isEmpty { text += "; overlaid: \(r.series.map(\.name).joined(separator: ", "))" }
    return text + "."
  }

  /// A number of generated text: three significant digits by the one formatter (`NumberText`).
  static func short(_ x: Double) -> String { NumberText(x, significant: 3).plain }
}
