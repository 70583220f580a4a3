import Dispatch
import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} phase-diagram`: the order/chaos phase diagram of a deep network (Poole et al. 2016,
/// Schoenholz et al. 2017): χ₁, ξ_c, c* or q* over a (σ_w², σ_b²) grid, with the edge of chaos
/// found by root finding on χ₁ = 1 for each σ_b² (never by contouring the grid).
public struct PhaseDiagramKind: DirectiveKind {
  public init() {}

  public enum Quantity: String, OptionChoice {
    case chi1
    case xiC = "xi_c"
    case cStar = "c_star"
    case qStar = "q_star"
    /// The colour bar's label.
    var tex: String {
      switch self {
      case .chi1: return "$\\chi_1$"
      case .xiC: return "$\\xi_c$"
      case .cStar: return "$c^*$"
      case .qStar: return "$q^*$"
      }
    }
  }

  public enum Coordinates: String, OptionChoice {
    case variance, std
  }

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("tanh")
    public var quantity = Quantity.chi1
    public var sigmaW2 = GridPoints.linspace(0.5, 4, 101)
    public var sigmaB2 = GridPoints.linspace(0, 0.3, 101)
    public var coordinates = Coordinates.variance
    public var eocPoints = 31
    public init() {}
  }

  public let name = "phase-diagram"
  public let summary = "Order/chaos phase diagram: χ₁, ξ_c, c* or q* over (σ_w², σ_b²), with the edge of chaos χ₁ = 1 drawn by root finding"
  public let fields: [Field<Options>] = [
    Field("activation", \.activation, ActivationOption.type, "the activation of every layer"),
    .choice("quantity", \.quantity, "what the heat map shows"),
    Field("sigma_w2", \.sigmaW2, .grid(min: 0, max: 100), "weight variances σ_w² (x axis)"),
    Field("sigma_b2", \.sigmaB2, .grid(min: 0, max: 100), "bias variances σ_b² (y axis)"),
    .choice("coordinates", \.coordinates, "plot (σ_w², σ_b²) or the standard deviations (σ_w, σ_b) as Poole et al."),
    Field("eoc_points", \.eocPoints, .integer(min: 0, max: 1000), "σ_b² values at which the edge of chaos is solved (0: none)"),
  ]
  public let example = """
    ```{kernel} phase-diagram
    :label: fig-phase
    :activation: tanh
    :quantity: xi_c

    Depth scale ξ_c over the phase diagram, with the edge of chaos.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let w = o.sigmaW2.points.count, b = o.sigmaB2.points.count, eoc = o.eocPoints
    c.doubles([w, b, 2], "grid \(w) × \(b)", options: ["sigma_w2", "sigma_b2"])
    c.work(Double(w) * Double(b), each: UnitCost.meanFieldPoint, "grid \(w) × \(b)", options: ["sigma_w2", "sigma_b2"])
    c.work(Double(eoc), each: UnitCost.edgeOfChaos, "\(eoc) edge-of-chaos roots", options: ["eoc_points"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let field = MeanField(try ActivationOption.activation(o.activation))
    let ws = o.sigmaW2.points, bs = o.sigmaB2.points
    let correlation = o.quantity == .xiC || o.quantity == .cStar
    let rows = context.compute.map(bs.count) { i in
      var guess: Double?  // q* moves smoothly along a row: warm-start each point from the last
      return ws.map { w in
        let p = field.analyze(sigmaW2: w, sigmaB2: bs[i], qGuess: guess, correlation: correlation)
        guess = p.qStar.flatMap { $0 > 0 ? $0 : nil }
        return Self.value(p, o.quantity)
      }
    }
    var (series, table) = Self.edgeOfChaos(field, ws: ws, bs: bs, points: o.eocPoints)
    let std = o.coordinates == .std
    let tx = { (v: Double) in std ? v.squareRoot() : v }
    let grid = GridData(name: o.quantity.rawValue, x: ws.map(tx), y: bs.map(tx), values: rows)
    series = series.map { SeriesData(name: $0.name, x: $0.x.map(tx), y: $0.y.map(tx)) }
    return ExperimentResult(
      xlabel: std ? "sigma_w" : "sigma_w2", ylabel: std ? "sigma_b" : "sigma_b2",
      xlabelTeX: std ? "$\\sigma_w$" : "$\\sigma_w^2$", ylabelTeX: std ? "$\\sigma_b$" : "$\\sigma_b^2$",
      series: series, table: table, grid: grid)
  }

  /// The edge of chaos χ₁ = 1 solved at `points` values of σ_b² (inside the σ_w² range): the
  /// curve and its table.
  static func edgeOfChaos(_ field: MeanField, ws: [Double], bs: [Double], points n: Int) -> ([SeriesData], TableData) {
    var table = criticalTable([])
    guard n > 0 else { return ([], table) }
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
    return (xs.isEmpty ? [] : [SeriesData(name: "edge of chaos", x: xs, y: ys)], table)
  }

  /// The table of critical points (σ_b², σ²_w,c).
  static func criticalTable(_ rows: [[String]]) -> TableData {
    TableData(columns: ["sigma_b2", "sigma_w2_critical"], rows: rows, titles: ["$\\sigma_b^2$", "$\\sigma^2_{w,c}$"])
  }

  /// The heat map has holes (NaN) where its quantity does not exist: the divergent phase
  /// (q* = ∞), ξ_c at χ₁ = 1, a fixed point that was not found; the figure leaves them blank.
  public func nonFiniteReason(_ name: String) -> String? {
    Quantity(rawValue: name) != nil
      ? "the quantity does not exist in the divergent phase or at the edge of chaos; those cells are blank" : nil
  }

  static func value(_ p: MeanField.Point, _ quantity: Quantity) -> Double {
    switch quantity {
    case .xiC: return p.xiC.map { $0.isFinite ? $0 : .nan } ?? .nan
    case .cStar: return p.cStar ?? .nan
    case .qStar: return p.qStar ?? .nan
    case .chi1: return p.phase == .divergent ? .nan : p.chi1
    }
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    guard let g = result.grid else { return nil }
    let flat = g.values.reversed().flatMap { $0 }  // row 0 of the image is the top (largest σ_b²)
    var limits: ClosedRange<Double>? = nil
    var map = Colormap.viridis
    switch o.quantity {
    case .chi1:  // diverging around the edge χ₁ = 1
      let finite = flat.filter(\.isFinite)
      let spread = max(abs((finite.min() ?? 0) - 1), abs((finite.max() ?? 2) - 1))
      limits = (1 - spread)...(1 + spread)
      map = .diverging
    case .xiC:  // ξ_c diverges at the edge: clip to a readable range
      let finite = flat.filter(\.isFinite).sorted()
      let top = finite.isEmpty ? 1 : finite[Int(Double(finite.count - 1) * 0.98)]
      limits = 0...max(top, 1e-9)
    case .cStar, .qStar: break
    }
    var marks: [Mark] = [
      .heatmap(
        Heatmap(
          values: flat, rows: g.y.count, columns: g.x.count, x: (g.x.first ?? 0)...(g.x.last ?? 1), y: (g.y.first ?? 0)...(g.y.last ?? 1),
          colormap: map, limits: limits, colorbarLabel: o.quantity.tex))
    ]
    for s in result.series { marks.append(.line(LineSeries(name: s.name, x: s.x, y: s.y, color: .black, dash: [5, 3], lineWidth: 1.6))) }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .best, grid: false)
      ])
  }
}

/// `{kernel} depth-scales`: ξ_c, ξ_q and |ξ_∇| against σ_w² at fixed σ_b², with the divergence at
/// the critical σ_w² and the guide 1/|χ₁ − 1|.
public struct DepthScalesKind: DirectiveKind {
  public init() {}

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("tanh")
    public var sigmaB2 = 0.05
    public var sigmaW2 = GridPoints.linspace(1, 4, 301)
    public init() {}
  }

  /// The curves: three depth scales and the guide 1/|χ₁ − 1| (`.limit`); the raw value is the
  /// series name and its `family`.
  enum Scale: String, CaseIterable {
    case xiC = "xi_c"
    case xiQ = "xi_q"
    case gradient = "|xi_grad|"
    case guide = "1/|chi1-1|"
    var tex: String {
      switch self {
      case .xiC: return "$\\xi_c$"
      case .xiQ: return "$\\xi_q$"
      case .gradient: return "$|\\xi_\\nabla|$"
      case .guide: return "$1/|\\chi_1-1|$"
      }
    }
  }

  public let name = "depth-scales"
  public let summary = "Depth scales ξ_c, ξ_q, |ξ_∇| against σ_w² at fixed σ_b² (Schoenholz et al. 2017), with the critical point"
  public let fields: [Field<Options>] = [
    Field("activation", \.activation, ActivationOption.type, "the activation of every layer"),
    Field("sigma_b2", \.sigmaB2, .number(min: 0, max: 100), "bias variance σ_b²"),
    Field("sigma_w2", \.sigmaW2, .grid(min: 0, max: 100), "weight variances σ_w²"),
  ]
  public let example = """
    ```{kernel} depth-scales
    :label: fig-xi
    :activation: tanh
    :sigma_b2: 0.05

    Depth scales diverge at the edge of chaos.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let w = o.sigmaW2.points.count
    c.doubles([w, 8], "\(w) weight variances", options: ["sigma_w2"])
    c.work(Double(w), each: UnitCost.meanFieldPoint, "\(w) weight variances", options: ["sigma_w2"])
    c.work(1, each: UnitCost.edgeOfChaos, "edge of chaos", options: [])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let field = MeanField(try ActivationOption.activation(o.activation))
    let b = o.sigmaB2, ws = o.sigmaW2.points
    let points = ws.map { field.analyze(sigmaW2: $0, sigmaB2: b) }
    func finite(_ v: Double?) -> Double { v.map { $0.isFinite ? abs($0) : .nan } ?? .nan }
    let values: [Scale: [Double]] = [
      .xiC: points.map { finite($0.xiC) }, .xiQ: points.map { finite($0.xiQ) }, .gradient: points.map { finite($0.xiGradient) },
      .guide: points.map { $0.chi1 == 1 ? .nan : 1 / abs($0.chi1 - 1) },
    ]
    let series = Scale.allCases.map { s in
      SeriesData(name: s.rawValue, x: ws, y: values[s] ?? [], role: s == .guide ? .limit : nil, family: s.rawValue)
    }
    var table = PhaseDiagramKind.criticalTable([])
    if let wc = field.edgeOfChaos(sigmaB2: b) { table.rows.append([String(cFormat: "%.6g", b), String(cFormat: "%.12g", wc)]) }
    return ExperimentResult(
      xlabel: "sigma_w2", ylabel: "depth_scale", xlabelTeX: "$\\sigma_w^2$", ylabelTeX: "depth scale (layers)", series: series, table: table
    )
  }

  /// A depth scale diverges at the critical σ_w² (χ₁ = 1): the curves break there (NaN).
  public func nonFiniteReason(_ name: String) -> String? {
    Scale(rawValue: name) != nil ? "a depth scale diverges at the edge of chaos; the curve breaks there" : nil
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    var marks: [Mark] = result.series.map { s in
      let guide = s.role == .limit
      return .line(
        LineSeries(
          name: s.family.flatMap(Scale.init(rawValue:))?.tex ?? s.name, x: s.x, y: s.y, dash: guide ? [4, 3] : [],
          lineWidth: guide ? 1 : nil))
    }
    // the critical σ_w² as the table prints it (12 digits)
    if let t = result.table, let k = t.columns.firstIndex(of: "sigma_w2_critical"), let row = t.rows.first, k < row.count,
      let wc = Double(row[k])
    {
      marks.append(.reference(.vertical(x: wc, label: "$\\sigma^2_{w,c}$")))
    }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks)
      ])
  }
}

#if canImport(Glibc)
  import Glibc
#endif
