import Dispatch
import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} phase-diagram`: the order/chaos phase diagram of a deep network (Poole et al. 2016,
/// Schoenholz et al. 2017): χ₁, ξ_c, c* or q* over a (σ_w², σ_b²) grid, with the edge of chaos
/// found by root finding on χ₁ = 1 for each σ_b² (never by contouring the grid).
public struct PhaseDiagramKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "phase-diagram",
    summary: "Order/chaos phase diagram: χ₁, ξ_c, c* or q* over (σ_w², σ_b²), with the edge of chaos χ₁ = 1 drawn by root finding",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "tanh", "the activation of every layer"),
      OptionSpec("quantity", .choice(["chi1", "xi_c", "c_star", "q_star"]), default: "chi1", "what the heat map shows"),
      OptionSpec("sigma_w2", .grid(min: 0, max: 100), default: "linspace(0.5, 4, 101)", "weight variances σ_w² (x axis)"),
      OptionSpec("sigma_b2", .grid(min: 0, max: 100), default: "linspace(0, 0.3, 101)", "bias variances σ_b² (y axis)"),
      OptionSpec("coordinates", .choice(["variance", "std"]), default: "variance", "plot (σ_w², σ_b²) or the standard deviations (σ_w, σ_b) as Poole et al."),
      OptionSpec("eoc_points", .integer(min: 0, max: 1000), default: "31", "σ_b² values at which the edge of chaos is solved (0: none)"),
    ],
    example: """
      ```{kernel} phase-diagram
      :label: fig-phase
      :activation: tanh
      :quantity: xi_c

      Depth scale ξ_c over the phase diagram, with the edge of chaos.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let field = MeanField(a)
    let ws = options.grid("sigma_w2"), bs = options.grid("sigma_b2")
    let quantity = options.string("quantity")
    let rows = context.compute.map(bs.count) { i in
      var guess: Double?  // q* moves smoothly along a row: warm-start each point from the last
      return ws.map { w in
        let p = field.analyze(sigmaW2: w, sigmaB2: bs[i], qGuess: guess, correlation: quantity == "xi_c" || quantity == "c_star")
        guess = p.qStar.flatMap { $0 > 0 ? $0 : nil }
        return Self.value(p, quantity)
      }
    }
    var series: [SeriesData] = []
    var table = TableData(columns: ["sigma_b2", "sigma_w2_critical"], rows: [])
    let n = options.integer("eoc_points")
    if n > 0 {
      let lo = bs.min() ?? 0, hi = bs.max() ?? 0
      // quadratic spacing: the curve rises steeply as σ_b² → 0
      let sample = n == 1 ? [lo] : (0..<n).map { lo + (hi - lo) * pow(Double($0) / Double(n - 1), 2) }
      var xs: [Double] = [], ys: [Double] = []
      for b in sample {
        guard let w = field.edgeOfChaos(sigmaB2: b), w >= (ws.min() ?? 0), w <= (ws.max() ?? 0) else { continue }
        xs.append(w)
        ys.append(b)
        table.rows.append([String(cFormat: "%.6g", b), String(cFormat: "%.12g", w)])
      }
      if !xs.isEmpty { series.append(SeriesData(name: "edge of chaos", x: xs, y: ys)) }
    }
    let std = options.string("coordinates") == "std"
    let tx = { (v: Double) in std ? v.squareRoot() : v }
    let grid = GridData(name: quantity, x: ws.map(tx), y: bs.map(tx), values: rows)
    series = series.map { SeriesData(name: $0.name, x: $0.x.map(tx), y: $0.y.map(tx)) }
    return ExperimentResult(
      xlabel: std ? "sigma_w" : "sigma_w2", ylabel: std ? "sigma_b" : "sigma_b2",
      xlabelTeX: std ? "$\\sigma_w$" : "$\\sigma_w^2$", ylabelTeX: std ? "$\\sigma_b$" : "$\\sigma_b^2$",
      series: series, table: table, grid: grid)
  }

  /// The heat map has holes (NaN) where its quantity does not exist: the divergent phase
  /// (q* = ∞), ξ_c at χ₁ = 1, a fixed point that was not found; the figure leaves them blank.
  public func nonFiniteReason(_ name: String) -> String? {
    ["chi1", "xi_c", "c_star", "q_star"].contains(name) ? "the quantity does not exist in the divergent phase or at the edge of chaos; those cells are blank" : nil
  }

  static func value(_ p: MeanField.Point, _ quantity: String) -> Double {
    switch quantity {
    case "xi_c": return p.xiC.map { $0.isFinite ? $0 : .nan } ?? .nan
    case "c_star": return p.cStar ?? .nan
    case "q_star": return p.qStar ?? .nan
    default: return p.phase == .divergent ? .nan : p.chi1
    }
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    guard let g = result.grid else { return nil }
    let size = options.size("size")
    let flat = g.values.reversed().flatMap { $0 }  // row 0 of the image is the top (largest σ_b²)
    let label = ["chi1": "$\\chi_1$", "xi_c": "$\\xi_c$", "c_star": "$c^*$", "q_star": "$q^*$"][g.name] ?? g.name
    var limits: ClosedRange<Double>? = nil
    var map = Colormap.viridis
    if g.name == "chi1" {  // diverging around the edge χ₁ = 1
      let finite = flat.filter(\.isFinite)
      let spread = max(abs((finite.min() ?? 0) - 1), abs((finite.max() ?? 2) - 1))
      limits = (1 - spread)...(1 + spread)
      map = .diverging
    } else if g.name == "xi_c" {  // ξ_c diverges at the edge: clip to a readable range
      let finite = flat.filter(\.isFinite).sorted()
      let top = finite.isEmpty ? 1 : finite[Int(Double(finite.count - 1) * 0.98)]
      limits = 0...max(top, 1e-9)
    }
    var marks: [Mark] = [
      .heatmap(Heatmap(values: flat, rows: g.y.count, columns: g.x.count, x: (g.x.first ?? 0)...(g.x.last ?? 1), y: (g.y.first ?? 0)...(g.y.last ?? 1), colormap: map, limits: limits, colorbarLabel: label))
    ]
    for s in result.series { marks.append(.line(LineSeries(name: s.name, x: s.x, y: s.y, color: .black, dash: [5, 3], lineWidth: 1.6))) }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .upperLeft, grid: false)
    ])
  }
}

/// `{kernel} depth-scales`: ξ_c, ξ_q and |ξ_∇| against σ_w² at fixed σ_b², with the divergence at
/// the critical σ_w² and the guide 1/|χ₁ − 1|.
public struct DepthScalesKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "depth-scales",
    summary: "Depth scales ξ_c, ξ_q, |ξ_∇| against σ_w² at fixed σ_b² (Schoenholz et al. 2017), with the critical point",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "tanh", "the activation of every layer"),
      OptionSpec("sigma_b2", .number(min: 0, max: 100), default: "0.05", "bias variance σ_b²"),
      OptionSpec("sigma_w2", .grid(min: 0, max: 100), default: "linspace(1, 4, 301)", "weight variances σ_w²"),
    ],
    example: """
      ```{kernel} depth-scales
      :label: fig-xi
      :activation: tanh
      :sigma_b2: 0.05

      Depth scales diverge at the edge of chaos.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let field = MeanField(a)
    let b = options.number("sigma_b2"), ws = options.grid("sigma_w2")
    let points = ws.map { field.analyze(sigmaW2: $0, sigmaB2: b) }
    func finite(_ v: Double?) -> Double { v.map { $0.isFinite ? abs($0) : .nan } ?? .nan }
    let series = [
      SeriesData(name: "xi_c", x: ws, y: points.map { finite($0.xiC) }),
      SeriesData(name: "xi_q", x: ws, y: points.map { finite($0.xiQ) }),
      SeriesData(name: "|xi_grad|", x: ws, y: points.map { finite($0.xiGradient) }),
      SeriesData(name: "1/|chi1-1|", x: ws, y: points.map { $0.chi1 == 1 ? .nan : 1 / abs($0.chi1 - 1) }),
    ]
    var table = TableData(columns: ["sigma_b2", "sigma_w2_critical"], rows: [])
    if let wc = field.edgeOfChaos(sigmaB2: b) { table.rows.append([String(cFormat: "%.6g", b), String(cFormat: "%.12g", wc)]) }
    return ExperimentResult(xlabel: "sigma_w2", ylabel: "depth_scale", xlabelTeX: "$\\sigma_w^2$", ylabelTeX: "depth scale (layers)", series: series, table: table)
  }

  /// A depth scale diverges at the critical σ_w² (χ₁ = 1): the curves break there (NaN).
  public func nonFiniteReason(_ name: String) -> String? {
    ["xi_c", "xi_q", "|xi_grad|", "1/|chi1-1|"].contains(name) ? "a depth scale diverges at the edge of chaos; the curve breaks there" : nil
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    let names = ["xi_c": "$\\xi_c$", "xi_q": "$\\xi_q$", "|xi_grad|": "$|\\xi_\\nabla|$", "1/|chi1-1|": "$1/|\\chi_1-1|$"]
    var marks: [Mark] = result.series.map { s in
      .line(LineSeries(name: names[s.name] ?? s.name, x: s.x, y: s.y, dash: s.name == "1/|chi1-1|" ? [4, 3] : [], lineWidth: s.name == "1/|chi1-1|" ? 1 : nil))
    }
    if let row = result.table?.rows.first, let wc = Double(row[1]) { marks.append(.reference(.vertical(x: wc, label: "$\\sigma^2_{w,c}$"))) }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks)
    ])
  }
}

#if canImport(Glibc)
  import Glibc
#endif
