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
public struct FixedPointKind: DirectiveKind {
  public init() {}

  public enum Mode: String, OptionChoice {
    case dual
    case meanField = "mean-field"
  }

  public enum Output: String, OptionChoice {
    case correlation, gap, angle, length
    case lengthMap = "length-map"
    case correlationMap = "correlation-map"
    /// The outputs of the mean-field length and correlation maps (they need σ_w² and σ_b²).
    var needsMeanField: Bool { self == .length || self == .lengthMap || self == .correlationMap }
  }

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("relu")
    public var starts = GridPoints([-0.9, -0.5, 0, 0.5, 0.9])
    public var depth = 30
    public var mode = Mode.dual
    public var output = Output.correlation
    public var sigmaW2 = GridPoints([2], written: "2")
    public var sigmaB2 = 0.0
    public var q0 = 1.0
    public var qStarts = GridPoints([0.5, 2, 5, 10, 15])
    public var q = GridPoints.linspace(0, 15, 301)
    public var c = GridPoints.linspace(0, 1, 201)
    public init() {}
  }

  public let name = "fixed-point"
  public let summary =
    "Trajectories ρ_l = σ̂(ρ_{l−1}) from several starts, and the fixed points ρ* = σ̂(ρ*) with their stability; also 1 − ρ_l, l·θ_l, and the mean-field length and correlation maps"
  public let fields: [Field<Options>] = [
    Field("activation", \.activation, ActivationOption.type, "the activation of every layer"),
    Field("starts", \.starts, .grid(min: -1, max: 1), "initial correlations ρ₀, one series each"),
    Field("depth", \.depth, .integer(min: 1, max: 100_000), "number of layers"),
    .choice(
      "mode", \.mode,
      "iterate the normalized dual (no bias), or the mean-field maps of a network with (σ_w², σ_b²): pre-activation correlations c^l"),
    .choice(
      "output", \.output,
      "correlation: ρ_l (c^l) against l; gap: 1 − ρ_l on log–log axes with the asymptote 9π²(1+a²)²/(2(1−a)⁴l²) of the (leaky) ReLU family, or 2/(𝒞″(1)l) for a smooth φ on the edge of chaos; angle: l·θ_l, θ_l = arccos ρ_l, on a log l axis with the limit 3π(1+a²)/(1−a)² (leaky ReLU); mean-field only: length (q^l from q_starts, q* dashed), length-map (q^{l−1} ↦ q^l with q* marked), correlation-map (c^{l−1} ↦ c^l at q* with c* marked), one curve per σ_w²"
    ),
    Field(
      "sigma_w2", \.sigmaW2, .grid(min: 0, max: 100), "weight variance σ_w² (mean-field mode); several values give one set of curves each"),
    Field("sigma_b2", \.sigmaB2, .number(min: 0, max: 100), "bias variance σ_b² (mean-field mode)"),
    Field("q0", \.q0, .number(min: 0, max: 1e6), "input length x·x/d (mean-field mode)"),
    Field("q_starts", \.qStarts, .grid(min: 0, max: 1e6), "input lengths q⁰ = x·x/d, one series each (output: length)"),
    Field("q", \.q, .grid(min: 0, max: 1e6), "lengths q^{l−1} at which the length map is drawn (output: length-map)"),
    Field("c", \.c, .grid(min: -1, max: 1), "correlations c^{l−1} at which the correlation map is drawn (output: correlation-map)"),
  ]
  public let example = """
    ```{kernel} fixed-point
    :label: fig-relu-fixed
    :activation: relu
    :starts: [-0.5, 0, 0.5]
    :depth: 30

    Correlations approach the fixed point ρ* = 1.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let starts = o.starts.points.count, depth = o.depth
    // mean field: one set of curves per σ_w²; the length outputs iterate q_starts, the maps are drawn on q or c
    let meanField = o.mode == .meanField
    let widths = meanField ? o.sigmaW2.points.count : 1
    let lengths = max(starts, o.qStarts.points.count), mapPoints = max(o.q.points.count, o.c.points.count)
    c.doubles(
      [widths, lengths, depth + 1, 2], "\(widths) × \(lengths) trajectories × depth \(depth)",
      options: ["starts", "q_starts", "sigma_w2", "depth"])
    let each = meanField ? 4 * UnitCost.integral : UnitCost.kernel(closedForm: ActivationOption.closedForm([o.activation]))
    c.work(
      Double(widths) * Double(lengths) * Double(depth), each: each, "\(widths) × \(lengths) trajectories × depth \(depth)",
      options: ["starts", "q_starts", "sigma_w2", "depth"])
    c.work(Double(widths) * Double(mapPoints), each: each, "\(widths) × \(mapPoints) map points", options: ["q", "c", "sigma_w2"])
    c.work(Double(widths), each: UnitCost.meanFieldPoint * 10, "fixed points", options: ["sigma_w2"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = try ActivationOption.activation(o.activation)
    let meanField = o.mode == .meanField
    if o.output.needsMeanField {
      guard meanField else {
        throw ExperimentError("output '\(o.output.rawValue)' needs mode: mean-field (a length map needs σ_w² and σ_b²)")
      }
      switch o.output {
      case .length: return lengths(a, o)
      case .lengthMap: return lengthMap(a, o)
      default: return correlationMap(a, o)
      }
    }
    var result = meanField ? self.meanField(a, o) : dual(a, o)
    if o.output == .gap || o.output == .angle { recoordinate(&result, a, o) }
    return result
  }

  /// Column titles of the tables (TeX where the key names a symbol).
  static let titles = [
    "sigma_w2": "$\\sigma_w^2$", "rho*": "$\\rho^*$", "q*": "$q^*$", "c*": "$c^*$", "chi1": "$\\chi_1$", "chi_c": "$\\chi_c$",
    "xi_c": "$\\xi_c$", "xi_q": "$\\xi_q$",
  ]

  static func tableData(columns: [String], rows: [[String]]) -> TableData {
    TableData(columns: columns, rows: rows, titles: columns.map { titles[$0] ?? $0 })
  }

  /// A trajectory from one start, named and typed by σ_w² (when there are several) and its start.
  static func trajectory(_ w: Double, _ ws: [Double], start: String, _ value: Double, x: [Double], y: [Double]) -> SeriesData {
    var parameters = [start: value]
    if ws.count > 1 { parameters["sigma_w2"] = w }
    return SeriesData(name: prefix(w, ws) + "\(start)=\(ActivationOption.format(value))", x: x, y: y, parameters: parameters)
  }

  func dual(_ a: Activation, _ o: Options) -> ExperimentResult {
    let layers = (0...o.depth).map(Double.init)
    let kernel = EqualVarianceKernel(a, q: 1)  // series coefficients built once for all starts
    let series = o.starts.points.map { r0 in
      Self.trajectory(0, [], start: "rho0", r0, x: layers, y: [r0] + DepthMap.iterate(kernel, from: r0, depth: o.depth))
    }
    let points = DepthMap.fixedPoints(kernel)
    let table = Self.tableData(
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
    guard ws.count > 1 else { return tableData(columns: columns, rows: rows) }
    return tableData(columns: ["sigma_w2"] + columns, rows: zip(ws, rows).map { [cell($0)] + $1 })
  }

  /// Series names carry σ_w² only when there are several.
  static func prefix(_ w: Double, _ ws: [Double]) -> String { ws.count > 1 ? "sigma_w2=\(ActivationOption.format(w)), " : "" }

  /// c^l of a network with (σ_w², σ_b²) from each start, and the fixed-point analysis.
  func meanField(_ a: Activation, _ o: Options) -> ExperimentResult {
    let field = MeanField(a)
    let ws = o.sigmaW2.points, b = o.sigmaB2
    let layers = (1...o.depth).map(Double.init)
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      for c0 in o.starts.points {
        let c = field.trajectory(sigmaW2: w, sigmaB2: b, q0: o.q0, c0: c0, depth: o.depth).c
        series.append(Self.trajectory(w, ws, start: "c0", c0, x: layers, y: c))
      }
      rows.append(Self.row(field.analyze(sigmaW2: w, sigmaB2: b)))
    }
    return ExperimentResult(
      xlabel: "layer", ylabel: "c", xlabelTeX: "layer $l$", ylabelTeX: "$c^l$", series: series,
      table: Self.table(Self.tableColumns, rows, ws))
  }

  /// The reference lines of the figures: the diagonal of the maps and the asymptotic laws of the
  /// gap and angle outputs. A guide series is `.limit` with its guide's raw value as `family`.
  enum Guide: String, CaseIterable {
    case diagonal
    case gapReLU = "asymptote 9pi^2/(2l^2)"
    case gapLeaky = "asymptote 9pi^2(1+a^2)^2/(2(1-a)^4 l^2)"
    case gapSmooth = "asymptote 2/(C''(1) l)"
    case angleReLU = "limit 3pi"
    case angleLeaky = "limit 3pi(1+a^2)/(1-a)^2"

    /// The series name (plain text, as in the JSON and CSV).
    var name: String { rawValue }
    /// The legend (TeX); the diagonal has none.
    var legend: String {
      switch self {
      case .diagonal: return ""
      case .gapReLU: return "$9\\pi^2/(2l^2)$"
      case .gapLeaky: return "$9\\pi^2(1+a^2)^2/(2(1-a)^4 l^2)$"
      case .gapSmooth: return "$2/(\\mathcal{C}''(1)\\,l)$"
      case .angleReLU: return "$3\\pi$"
      case .angleLeaky: return "$3\\pi(1+a^2)/(1-a)^2$"
      }
    }
    func series(x: [Double], y: [Double]) -> SeriesData { SeriesData(name: name, x: x, y: y, role: .limit, family: rawValue) }
  }

  /// The (leaky) ReLU family σ = b·(max(0, x) + a·min(0, x)) with 0 ≤ a < 1, where the angle map
  /// and its asymptotes are known; `nil` for other activations or with a bias in mean field.
  static func reluFamily(_ act: Activation, _ o: Options) -> (a: Double, b: Double)? {
    guard case .abRelu(let x, let y) = act, y > 0, x / y >= 0, x / y < 1 else { return nil }
    return o.mode == .meanField && o.sigmaB2 != 0 ? nil : (x / y, y)
  }

  /// Rewrites ρ_l trajectories as 1 − ρ_l or l·θ_l (layers l ≥ 1), with the asymptotic law as a
  /// guide series where it is known.
  func recoordinate(_ r: inout ExperimentResult, _ act: Activation, _ o: Options) {
    let family = Self.reluFamily(act, o)
    var series: [SeriesData] = []
    for s in r.series {
      let keep = s.x.indices.filter { s.x[$0] >= 1 }
      var t = s
      t.x = keep.map { s.x[$0] }
      if o.output == .gap {
        t.y = keep.map { 1 - s.y[$0] }
      } else if let family, let r0 = s.y.first, s.x.first == 0 {
        // the (leaky) ReLU angle map iterated on θ itself keeps full precision as θ → 0
        let thetas = AngleMap.angles(from: acos(min(1, max(-1, r0))), a: family.a, depth: t.x.count)
        t.y = zip(t.x, thetas).map { $0 * $1 }
      } else {
        t.y = keep.map { s.x[$0] * acos(min(1, max(-1, s.y[$0]))) }
      }
      series.append(t)
    }
    if let guide = self.guide(act, o, family: family) { series.append(guide) }
    let meanField = o.mode == .meanField
    if o.output == .gap {
      r.ylabel = meanField ? "one_minus_c" : "one_minus_rho"
      r.ylabelTeX = meanField ? "$1 - c^l$" : "$1 - \\rho_l$"
    } else {
      r.ylabel = "l_theta"
      r.ylabelTeX = "$l\\,\\theta_l$"
    }
    r.series = series
  }

  /// The asymptotic law of the gap or angle output, where it is known.
  func guide(_ act: Activation, _ o: Options, family: (a: Double, b: Double)?) -> SeriesData? {
    let depth = Double(o.depth)
    let guideX = (1...60).map { pow(depth, Double($0 - 1) / 59) }
    if o.output == .angle {
      guard let family else { return nil }
      let c = AngleMap.asymptote(a: family.a)
      return (family.a == 0 ? Guide.angleReLU : .angleLeaky).series(x: [1, depth], y: [c, c])
    }
    if let family {
      let c = AngleMap.asymptote(a: family.a)
      return (family.a == 0 ? Guide.gapReLU : .gapLeaky).series(x: guideX, y: guideX.map { c * c / (2 * $0 * $0) })
    }
    guard o.mode == .meanField, o.sigmaW2.points.count == 1 else { return nil }
    let field = MeanField(act)
    let w = o.sigmaW2.points[0], b = o.sigmaB2
    let p = field.analyze(sigmaW2: w, sigmaB2: b)
    guard abs(p.chi1 - 1) < 1e-9, let c2 = field.curvatureAtOne(sigmaW2: w, sigmaB2: b), c2 > 0 else { return nil }
    return Guide.gapSmooth.series(x: guideX, y: guideX.map { 2 / (c2 * $0) })
  }

  /// A fixed point q* or c* of a map or trajectory set: `.limit`, with the σ_w² of its curve.
  static func fixedPoint(_ name: String, _ w: Double, _ ws: [Double], x: [Double], y: [Double], always: Bool) -> SeriesData {
    SeriesData(name: name, x: x, y: y, role: .limit, parameters: always || ws.count > 1 ? ["sigma_w2": w] : nil)
  }

  /// q^l for l = 1 … depth from each input length q⁰, per σ_w², with q* in the table.
  func lengths(_ a: Activation, _ o: Options) -> ExperimentResult {
    let field = MeanField(a)
    let ws = o.sigmaW2.points, b = o.sigmaB2, depth = o.depth
    let layers = (1...depth).map(Double.init)
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      for q0 in o.qStarts.points {
        let q = field.trajectory(sigmaW2: w, sigmaB2: b, q0: q0, c0: 1, depth: depth).q
        series.append(Self.trajectory(w, ws, start: "q0", q0, x: layers, y: q))
      }
      let p = field.analyze(sigmaW2: w, sigmaB2: b, correlation: false)
      rows.append(Array(Self.row(p).prefix(2)) + [Self.cell(p.lengthSlope), Self.cell(p.xiQ)])
      if let q = p.qStar {
        series.append(Self.fixedPoint(Self.prefix(w, ws) + "q*", w, ws, x: [1, Double(depth)], y: [q, q], always: false))
      }
    }
    return ExperimentResult(
      xlabel: "layer", ylabel: "q", xlabelTeX: "layer $l$", ylabelTeX: "$q^l$", series: series,
      table: Self.table(["phase", "q*", "V'(q*)", "xi_q"], rows, ws))
  }

  /// One curve of a map per σ_w².
  static func mapCurve(_ w: Double, x: [Double], y: [Double]) -> SeriesData {
    SeriesData(name: "sigma_w2=\(ActivationOption.format(w))", x: x, y: y, parameters: ["sigma_w2": w])
  }

  static func diagonal(_ xs: [Double]) -> SeriesData {
    Guide.diagonal.series(x: [xs.min() ?? 0, xs.max() ?? 1], y: [xs.min() ?? 0, xs.max() ?? 1])
  }

  /// Poole et al.'s Fig. 1A: q^{l−1} ↦ q^l = 𝒱(q^{l−1}) per σ_w², the diagonal, q* marked.
  func lengthMap(_ a: Activation, _ o: Options) -> ExperimentResult {
    let field = MeanField(a)
    let ws = o.sigmaW2.points, b = o.sigmaB2, qs = o.q.points
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      series.append(Self.mapCurve(w, x: qs, y: qs.map { field.lengthMap($0, sigmaW2: w, sigmaB2: b) }))
      let p = field.analyze(sigmaW2: w, sigmaB2: b, correlation: false)
      rows.append(
        Array(Self.row(p).prefix(2)) + [
          Self.cell(p.lengthSlope), Self.cell(p.qStar.map { field.lengthMap($0, sigmaW2: w, sigmaB2: b) - $0 }),
        ])
      if let q = p.qStar {
        series.append(Self.fixedPoint("sigma_w2=\(ActivationOption.format(w)) q*", w, ws, x: [q], y: [q], always: true))
      }
    }
    series.append(Self.diagonal(qs))
    return ExperimentResult(
      xlabel: "q_prev", ylabel: "q", xlabelTeX: "$q^{l-1}$", ylabelTeX: "$q^l$", series: series,
      table: Self.table(["phase", "q*", "V'(q*)", "V(q*) - q*"], rows, ws))
  }

  /// Poole et al.'s Fig. 2A: c^{l−1} ↦ c^l = 𝒞(c^{l−1}) at q* per σ_w², the diagonal, c* marked.
  func correlationMap(_ a: Activation, _ o: Options) -> ExperimentResult {
    let field = MeanField(a)
    let ws = o.sigmaW2.points, b = o.sigmaB2, cs = o.c.points
    var series: [SeriesData] = [], rows: [[String]] = []
    for w in ws {
      let p = field.analyze(sigmaW2: w, sigmaB2: b)
      rows.append(Self.row(p))
      guard let curve = field.correlationMapCurve(cs, sigmaW2: w, sigmaB2: b) else { continue }
      series.append(Self.mapCurve(w, x: cs, y: curve.values))
      if let c = p.cStar {
        series.append(Self.fixedPoint("sigma_w2=\(ActivationOption.format(w)) c*", w, ws, x: [c], y: [c], always: true))
      }
    }
    series.append(Self.diagonal(cs))
    return ExperimentResult(
      xlabel: "c_prev", ylabel: "c", xlabelTeX: "$c^{l-1}$", ylabelTeX: "$c^l$", series: series,
      table: Self.table(Self.tableColumns, rows, ws))
  }

  /// A legend from a series' parameters: σ_w² (when there are several), then its start.
  static func legend(_ parameters: [String: Double]?) -> String {
    let symbols = [("sigma_w2", "\\sigma_w^2"), ("rho0", "\\rho_0"), ("c0", "c^0"), ("q0", "q^0")]
    return symbols.compactMap { key, tex in parameters?[key].map { SeriesLabel.math(tex, $0) } }.joined(separator: ", ")
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    if result.series.isEmpty { return nil }
    let maps = o.output == .lengthMap || o.output == .correlationMap
    var marks: [Mark] = []
    // one colour per curve; a map's fixed-point marker shares its curve's (the same parameters)
    var slots: [[String: Double]: Int] = [:]
    func slot(_ s: SeriesData) -> Int {
      let key = s.parameters ?? [:]
      if let k = slots[key] { return k }
      slots[key] = slots.count
      return slots.count - 1
    }
    for s in result.series {
      if let guide = s.family.flatMap(Guide.init(rawValue:)) {
        marks.append(
          .line(
            guide == .diagonal
              ? LineSeries(name: "", x: s.x, y: s.y, color: .black, dash: [2, 2], lineWidth: 0.8)
              : LineSeries(name: guide.legend, x: s.x, y: s.y, color: .black, dash: [5, 3], lineWidth: 1)))
      } else if s.role == .limit, maps {
        marks.append(.line(LineSeries(name: "", x: s.x, y: s.y, marker: .circle, markersOnly: true, colorSlot: slot(s))))
      } else if s.role == .limit {  // the q* level of the length trajectories
        let prefix = Self.legend(s.parameters)
        marks.append(
          .line(
            LineSeries(name: (prefix.isEmpty ? "" : prefix + ", ") + "$q^*$", x: s.x, y: s.y, color: .black, dash: [4, 3], lineWidth: 1)))
      } else {
        marks.append(.line(LineSeries(name: Self.legend(s.parameters), x: s.x, y: s.y, colorSlot: slot(s))))
      }
    }
    var x = AxisSpec(label: result.xlabelTeX), y = AxisSpec(label: result.ylabelTeX)
    if o.output == .gap { (x.scale, y.scale) = (.log, .log) }
    if o.output == .angle { x.scale = .log }
    return Figure(width: size.width, height: size.height, panels: [Axes(x: x, y: y, marks: marks)])
  }
}
