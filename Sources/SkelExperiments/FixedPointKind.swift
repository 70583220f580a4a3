import SkelDocument
import SkelKernels
import SkelPlot

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} fixed-point`: correlation trajectories ρ_l over depth from several starts, and the
/// fixed points of the dual with their stability. The `output` option shows the same iteration
/// in other coordinates (the gap 1 − ρ_l on log–log axes with its 1/l² or 1/l law, the angle
/// l·θ_l against Tsuchida et al.'s constant) and, in mean-field mode, Poole et al.'s length and
/// correlation maps with their fixed points and the length trajectories q^l.
public struct FixedPointKind: ExperimentKind {
  public init() {}

  static let outputs = ["correlation", "gap", "angle", "length", "length-map", "correlation-map"]

  public let schema = DirectiveSchema(
    kind: "fixed-point",
    summary: "Trajectories ρ_l = σ̂(ρ_{l−1}) from several starts, and the fixed points ρ* = σ̂(ρ*) with their stability; also 1 − ρ_l, l·θ_l, and the mean-field length and correlation maps",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "relu", "the activation of every layer"),
      OptionSpec("starts", .grid(min: -1, max: 1), default: "[-0.9, -0.5, 0, 0.5, 0.9]", "initial correlations ρ₀, one series each"),
      OptionSpec("depth", .integer(min: 1, max: 100_000), default: "30", "number of layers"),
      OptionSpec("mode", .choice(["dual", "mean-field"]), default: "dual", "iterate the normalized dual (no bias), or the mean-field maps of a network with (σ_w², σ_b²): pre-activation correlations c^l"),
      OptionSpec(
        "output", .choice(outputs), default: "correlation",
        "correlation: ρ_l (c^l) against l; gap: 1 − ρ_l on log–log axes with the asymptote 9π²(1+a²)²/(2(1−a)⁴l²) of the (leaky) ReLU family, or 2/(𝒞″(1)l) for a smooth φ on the edge of chaos; angle: l·θ_l, θ_l = arccos ρ_l, on a log l axis with the limit 3π(1+a²)/(1−a)² (leaky ReLU); mean-field only: length (q^l from q_starts, q* dashed), length-map (q^{l−1} ↦ q^l with q* marked), correlation-map (c^{l−1} ↦ c^l at q* with c* marked), one curve per σ_w²"),
      OptionSpec("sigma_w2", .grid(min: 0, max: 100), default: "2", "weight variance σ_w² (mean-field mode); several values give one set of curves each"),
      OptionSpec("sigma_b2", .number(min: 0, max: 100), default: "0", "bias variance σ_b² (mean-field mode)"),
      OptionSpec("q0", .number(min: 0, max: 1e6), default: "1", "input length x·x/d (mean-field mode)"),
      OptionSpec("q_starts", .grid(min: 0, max: 1e6), default: "[0.5, 2, 5, 10, 15]", "input lengths q⁰ = x·x/d, one series each (output: length)"),
      OptionSpec("q", .grid(min: 0, max: 1e6), default: "linspace(0, 15, 301)", "lengths q^{l−1} at which the length map is drawn (output: length-map)"),
      OptionSpec("c", .grid(min: -1, max: 1), default: "linspace(0, 1, 201)", "correlations c^{l−1} at which the correlation map is drawn (output: correlation-map)"),
    ],
    example: """
      ```{kernel} fixed-point
      :label: fig-relu-fixed
      :activation: relu
      :starts: [-0.5, 0, 0.5]
      :depth: 30

      Correlations approach the fixed point ρ* = 1.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let call = options.calls("activation")[0]
    let a = ActivationOption.activation(call)
    let depth = options.integer("depth")
    let output = options.string("output")
    let meanField = options.string("mode") == "mean-field"
    if ["length", "length-map", "correlation-map"].contains(output) {
      guard meanField else { throw ExperimentError("output '\(output)' needs mode: mean-field (a length map needs σ_w² and σ_b²)") }
      switch output {
      case "length": return lengths(a, options: options, depth: depth)
      case "length-map": return lengthMap(a, options: options)
      default: return correlationMap(a, options: options)
      }
    }
    var result = meanField ? self.meanField(a, options: options, depth: depth) : dual(a, options: options, depth: depth)
    if output == "gap" || output == "angle" { try recoordinate(&result, a, output: output, options: options, meanField: meanField) }
    return result
  }

  func dual(_ a: Activation, options: ResolvedOptions, depth: Int) -> ExperimentResult {
    let layers = (0...depth).map(Double.init)
    let kernel = EqualVarianceKernel(a, q: 1)  // series coefficients built once for all starts
    let series = options.grid("starts").map { r0 in
      SeriesData(name: "rho0=\(ActivationOption.format(r0))", x: layers, y: [r0] + DepthMap.iterate(kernel, from: r0, depth: depth))
    }
    let points = DepthMap.fixedPoints(kernel)
    let table = TableData(
      columns: ["rho*", "slope", "stability"],
      rows: points.map { [String(cFormat: "%.12g", $0.rho), String(cFormat: "%.12g", $0.slope), $0.stability] })
    return ExperimentResult(
      xlabel: "layer", ylabel: "rho", xlabelTeX: "layer $l$", ylabelTeX: "$\\rho_l$", series: series, table: table)
  }

  static func cell(_ v: Double?) -> String { v.map { $0.isFinite ? String(cFormat: "%.10g", $0) : "inf" } ?? "—" }

  static let tableColumns = ["phase", "q*", "c*", "chi1", "chi_c", "xi_c", "xi_q", "note"]
  static func row(_ p: MeanField.Point) -> [String] {
    [p.phase.rawValue, cell(p.qStar), cell(p.cStar), cell(p.chi1), cell(p.chiC), cell(p.xiC), cell(p.xiQ), p.note]
  }

  /// The analysis table; with several σ_w² each row starts with its σ_w².
  static func table(_ columns: [String], _ rows: [[String]], _ ws: [Double]) -> TableData {
    guard ws.count > 1 else { return TableData(columns: columns, rows: rows) }
    return TableData(columns: ["sigma_w2"] + columns, rows: zip(ws, rows).map { [cell($0)] + $1 })
  }

  /// Series names carry σ_w² only when there are several.
  static func prefix(_ w: Double, _ ws: [Double]) -> String { ws.count > 1 ? "sigma_w2=\(ActivationOption.format(w)), " : "" }

  /// c^l of a network with (σ_w², σ_b²) from each start, and the fixed-point analysis.
  func meanField(_ a: Activation, options: ResolvedOptions, depth: Int) -> ExperimentResult {
    let field = MeanField(a)
    let ws = options.grid("sigma_w2"), b = options.number("sigma_b2"), q0 = options.number("q0")
    let layers = (1...depth).map(Double.init)
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      for c0 in options.grid("starts") {
        series.append(SeriesData(name: Self.prefix(w, ws) + "c0=\(ActivationOption.format(c0))", x: layers, y: field.trajectory(sigmaW2: w, sigmaB2: b, q0: q0, c0: c0, depth: depth).c))
      }
      rows.append(Self.row(field.analyze(sigmaW2: w, sigmaB2: b)))
    }
    return ExperimentResult(
      xlabel: "layer", ylabel: "c", xlabelTeX: "layer $l$", ylabelTeX: "$c^l$", series: series,
      table: Self.table(Self.tableColumns, rows, ws))
  }

  /// Rewrites ρ_l trajectories as 1 − ρ_l or l·θ_l (layers l ≥ 1), with the asymptotic law as a
  /// guide series where it is known.
  func recoordinate(_ r: inout ExperimentResult, _ a: Activation, output: String, options: ResolvedOptions, meanField: Bool) throws {
    var family: (a: Double, b: Double)?
    if case .abRelu(let x, let y) = a, y > 0, x / y >= 0, x / y < 1 { family = (x / y, y) }
    var series: [SeriesData] = []
    for s in r.series {
      let keep = s.x.indices.filter { s.x[$0] >= 1 }
      let ls = keep.map { s.x[$0] }
      if output == "gap" {
        series.append(SeriesData(name: s.name, x: ls, y: keep.map { 1 - s.y[$0] }))
      } else if let family, !meanField || options.number("sigma_b2") == 0, let r0 = s.y.first, s.x.first == 0 {
        // the (leaky) ReLU angle map iterated on θ itself keeps full precision as θ → 0
        let thetas = AngleMap.angles(from: acos(min(1, max(-1, r0))), a: family.a, depth: ls.count)
        series.append(SeriesData(name: s.name, x: ls, y: zip(ls, thetas).map { $0 * $1 }))
      } else {
        series.append(SeriesData(name: s.name, x: ls, y: keep.map { s.x[$0] * acos(min(1, max(-1, s.y[$0]))) }))
      }
    }
    let depth = Double(options.integer("depth"))
    let guideX = (1...60).map { pow(depth, Double($0 - 1) / 59) }
    if output == "gap" {
      if let family, !meanField || options.number("sigma_b2") == 0 {
        let c = AngleMap.asymptote(a: family.a)
        let name = family.a == 0 ? "asymptote 9pi^2/(2l^2)" : "asymptote 9pi^2(1+a^2)^2/(2(1-a)^4 l^2)"
        series.append(SeriesData(name: name, x: guideX, y: guideX.map { c * c / (2 * $0 * $0) }))
      } else if meanField, options.grid("sigma_w2").count == 1 {
        let field = MeanField(a)
        let w = options.grid("sigma_w2")[0], b = options.number("sigma_b2")
        let p = field.analyze(sigmaW2: w, sigmaB2: b)
        if abs(p.chi1 - 1) < 1e-9, let c2 = field.curvatureAtOne(sigmaW2: w, sigmaB2: b), c2 > 0 {
          series.append(SeriesData(name: "asymptote 2/(C''(1) l)", x: guideX, y: guideX.map { 2 / (c2 * $0) }))
        }
      }
      r.ylabel = meanField ? "one_minus_c" : "one_minus_rho"
      r.ylabelTeX = meanField ? "$1 - c^l$" : "$1 - \\rho_l$"
    } else {
      if let family, !meanField || options.number("sigma_b2") == 0 {
        let c = AngleMap.asymptote(a: family.a)
        series.append(SeriesData(name: family.a == 0 ? "limit 3pi" : "limit 3pi(1+a^2)/(1-a)^2", x: [1, depth], y: [c, c]))
      }
      r.ylabel = "l_theta"
      r.ylabelTeX = "$l\\,\\theta_l$"
    }
    r.series = series
  }

  /// q^l for l = 1 … depth from each input length q⁰, per σ_w², with q* in the table.
  func lengths(_ a: Activation, options: ResolvedOptions, depth: Int) -> ExperimentResult {
    let field = MeanField(a)
    let ws = options.grid("sigma_w2"), b = options.number("sigma_b2")
    let layers = (1...depth).map(Double.init)
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      for q0 in options.grid("q_starts") {
        series.append(SeriesData(name: Self.prefix(w, ws) + "q0=\(ActivationOption.format(q0))", x: layers, y: field.trajectory(sigmaW2: w, sigmaB2: b, q0: q0, c0: 1, depth: depth).q))
      }
      let p = field.analyze(sigmaW2: w, sigmaB2: b, correlation: false)
      rows.append(Array(Self.row(p).prefix(2)) + [Self.cell(p.lengthSlope), Self.cell(p.xiQ)])
      if let q = p.qStar { series.append(SeriesData(name: Self.prefix(w, ws) + "q*", x: [1, Double(depth)], y: [q, q])) }
    }
    return ExperimentResult(
      xlabel: "layer", ylabel: "q", xlabelTeX: "layer $l$", ylabelTeX: "$q^l$", series: series,
      table: Self.table(["phase", "q*", "V'(q*)", "xi_q"], rows, ws))
  }

  /// Poole et al.'s Fig. 1A: q^{l−1} ↦ q^l = 𝒱(q^{l−1}) per σ_w², the diagonal, q* marked.
  func lengthMap(_ a: Activation, options: ResolvedOptions) -> ExperimentResult {
    let field = MeanField(a)
    let ws = options.grid("sigma_w2"), b = options.number("sigma_b2"), qs = options.grid("q")
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      series.append(SeriesData(name: "sigma_w2=\(ActivationOption.format(w))", x: qs, y: qs.map { field.lengthMap($0, sigmaW2: w, sigmaB2: b) }))
      let p = field.analyze(sigmaW2: w, sigmaB2: b, correlation: false)
      rows.append(Array(Self.row(p).prefix(2)) + [Self.cell(p.lengthSlope), Self.cell(p.qStar.map { field.lengthMap($0, sigmaW2: w, sigmaB2: b) - $0 })])
      if let q = p.qStar { series.append(SeriesData(name: "sigma_w2=\(ActivationOption.format(w)) q*", x: [q], y: [q])) }
    }
    series.append(SeriesData(name: "diagonal", x: [qs.min() ?? 0, qs.max() ?? 1], y: [qs.min() ?? 0, qs.max() ?? 1]))
    return ExperimentResult(
      xlabel: "q_prev", ylabel: "q", xlabelTeX: "$q^{l-1}$", ylabelTeX: "$q^l$", series: series,
      table: Self.table(["phase", "q*", "V'(q*)", "V(q*) - q*"], rows, ws))
  }

  /// Poole et al.'s Fig. 2A: c^{l−1} ↦ c^l = 𝒞(c^{l−1}) at q* per σ_w², the diagonal, c* marked.
  func correlationMap(_ a: Activation, options: ResolvedOptions) -> ExperimentResult {
    let field = MeanField(a)
    let ws = options.grid("sigma_w2"), b = options.number("sigma_b2"), cs = options.grid("c")
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      let p = field.analyze(sigmaW2: w, sigmaB2: b)
      rows.append(Self.row(p))
      guard let curve = field.correlationMapCurve(cs, sigmaW2: w, sigmaB2: b) else { continue }
      series.append(SeriesData(name: "sigma_w2=\(ActivationOption.format(w))", x: cs, y: curve.values))
      if let c = p.cStar { series.append(SeriesData(name: "sigma_w2=\(ActivationOption.format(w)) c*", x: [c], y: [c])) }
    }
    series.append(SeriesData(name: "diagonal", x: [cs.min() ?? 0, cs.max() ?? 1], y: [cs.min() ?? 0, cs.max() ?? 1]))
    return ExperimentResult(
      xlabel: "c_prev", ylabel: "c", xlabelTeX: "$c^{l-1}$", ylabelTeX: "$c^l$", series: series,
      table: Self.table(Self.tableColumns, rows, ws))
  }

  /// TeX legend labels of the guide series (their JSON names are plain text).
  static let guideLabels = [
    "asymptote 9pi^2/(2l^2)": "$9\\pi^2/(2l^2)$",
    "asymptote 9pi^2(1+a^2)^2/(2(1-a)^4 l^2)": "$9\\pi^2(1+a^2)^2/(2(1-a)^4 l^2)$",
    "asymptote 2/(C''(1) l)": "$2/(\\mathcal{C}''(1)\\,l)$",
    "limit 3pi": "$3\\pi$",
    "limit 3pi(1+a^2)/(1-a)^2": "$3\\pi(1+a^2)/(1-a)^2$",
  ]

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    if result.series.isEmpty { return nil }
    let size = options.size("size")
    let output = options.string("output")
    let maps = output == "length-map" || output == "correlation-map"
    var marks: [Mark] = []
    var slots: [String: Int] = [:]
    // a map's curve and its fixed-point marker share a color
    func slotFor(_ name: String) -> Int {
      if let s = slots[name] { return s }
      slots[name] = slots.count
      return slots[name]!
    }
    func legend(_ name: String) -> String {
      name.replacingOccurrences(of: "sigma_w2=", with: "$\\sigma_w^2 = $").replacingOccurrences(of: "rho0=", with: "$\\rho_0 = $")
        .replacingOccurrences(of: "c0=", with: "$c^0 = $").replacingOccurrences(of: "q0=", with: "$q^0 = $")
    }
    for s in result.series {
      if s.name == "diagonal" {
        marks.append(.line(LineSeries(name: "", x: s.x, y: s.y, color: .black, dash: [2, 2], lineWidth: 0.8)))
      } else if let label = Self.guideLabels[s.name] {
        marks.append(.line(LineSeries(name: label, x: s.x, y: s.y, color: .black, dash: [5, 3], lineWidth: 1)))
      } else if maps, s.name.hasSuffix(" q*") || s.name.hasSuffix(" c*") {
        marks.append(.line(LineSeries(name: "", x: s.x, y: s.y, marker: .circle, markersOnly: true, colorSlot: slotFor(String(s.name.dropLast(3))))))
      } else if output == "length", s.name.hasSuffix("q*") {  // the q* level of the length trajectories
        marks.append(.line(LineSeries(name: legend(String(s.name.dropLast(2))) + "$q^*$", x: s.x, y: s.y, color: .black, dash: [4, 3], lineWidth: 1)))
      } else {
        marks.append(.line(LineSeries(name: legend(s.name), x: s.x, y: s.y, colorSlot: slotFor(s.name))))
      }
    }
    var x = AxisSpec(label: result.xlabelTeX), y = AxisSpec(label: result.ylabelTeX)
    if output == "gap" { (x.scale, y.scale) = (.log, .log) }
    if output == "angle" { x.scale = .log }
    return Figure(width: size.width, height: size.height, panels: [Axes(x: x, y: y, marks: marks)])
  }
}
