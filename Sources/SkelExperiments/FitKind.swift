import Foundation
import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} fit`: the log marginal likelihood log N(y; 0, K + σ²I) of the NNGP of a network on
/// data (`KernelPrediction.logMarginalLikelihood`, summed over output columns) over a grid of
/// (w_std, b_std) — every dense and conv layer's, replaced — and of the noise σ², drawn as a heat
/// map over the two axes that vary, with the optimum marked; the optimum is the table's row
/// `optimum` (an inline value: `fig-fit.table[optimum, w_std]`).
public struct FitKind: DirectiveKind {
  public init() {}

  public struct Options: KindOptions {
    public var inputs = InputsValue(.generated(law: .cube, n: 80, d: 3))
    public var network = NetworkValue(
      MLPShorthand(depth: 2, activation: .relu, wStd: 2.0.squareRoot(), bStd: 0.1, wStdOut: 1).network)
    public var targets = "smooth"
    public var wStd = GridPoints.linspace(0.5, 2.5, 9)
    public var bStd = GridPoints.linspace(0, 1, 6)
    public var noise = GridPoints([1e-2])
    public init() {}

    var target: DataTargets { DataTargets(targets) }
  }

  /// The grid's points at most (each is a Gram matrix and a Cholesky factor).
  public static let maxPoints = 10_000

  public let name = "fit"
  public let summary =
    "Log marginal likelihood of the NNGP on data over a (w_std, b_std, noise) grid: heat map with the optimum marked, the optimum as a table row"
  public let fields: [Field<Options>] = [
    Field("inputs", \.inputs, InputsValue.type, "the inputs (a .csv or .npy file, fashion-mnist(…), gaussian(n, d), …)"),
    Field(
      "network", \.network, NetworkOption.type,
      "the network, a list of layers (stax names); every dense and conv layer takes the grid's w_std and b_std"),
    Field(
      "targets", \.targets, .string,
      "labels (the inputs' classes one-hot), smooth, oscillating, step (functions of the inputs), or a numeric column of the inputs' CSV file"
    ),
    Field("w_std", \.wStd, .grid(min: 0, max: 100), "W_std of every dense and conv layer, an axis when it has several points"),
    Field("b_std", \.bStd, .grid(min: 0, max: 100), "b_std of every dense and conv layer, an axis when it has several points"),
    Field(
      "noise", \.noise, .grid(min: 0, max: 1e6), "noise variance σ² added to the diagonal (absolute), an axis when it has several points"),
  ]
  public let example = """
    ```{kernel} fit
    :label: fig-fit
    :inputs: data/points.csv(columns=[x0, x1, x2], labels=label)
    :targets: labels
    :network: [dense, erf, dense, erf, dense]
    :w_std: linspace(0.5, 3, 11)
    :b_std: linspace(0, 1, 6)
    :noise: 0.01

    Log marginal likelihood of the NNGP; the optimum is at W_std = {{fig-fit.table[optimum, w_std]}}.
    ```
    """

  static let axisNames = ["w_std", "b_std", "noise"]

  /// The heat map's axes: the grids with several points (at most two), then the others, in the
  /// order w_std, b_std, noise.
  static func axes(_ o: Options) -> [Int] {
    let grids = [o.wStd.points, o.bStd.points, o.noise.points]
    let varying = (0..<3).filter { grids[$0].count > 1 }, fixed = (0..<3).filter { grids[$0].count <= 1 }
    return Array((varying + fixed).prefix(2))
  }

  /// The network with every dense and conv layer's W_std and b_std replaced.
  static func network(_ n: Network, wStd: Double, bStd: Double) -> Network {
    switch n {
    case .dense(var d):
      d.wStd = wStd
      d.bStd = bStd
      return .dense(d)
    case .conv(var c):
      c.wStd = wStd
      c.bStd = bStd
      return .conv(c)
    case .serial(let layers): return .serial(layers.map { network($0, wStd: wStd, bStd: bStd) })
    case .parallel(let branches, let fanIn): return .parallel(branches.map { network($0, wStd: wStd, bStd: bStd) }, fanIn: fanIn)
    case .repeated(let body, let count): return .repeated(network(body, wStd: wStd, bStd: bStd), count: count)
    default: return n
    }
  }

  /// Where a grid's points are drawn: evenly spaced values as themselves, a geometric grid as
  /// log₁₀ of its values; nil when neither (or a one-point grid: itself).
  static func coordinates(_ xs: [Double]) -> (values: [Double], log: Bool)? {
    guard xs.count > 2 else { return (xs, false) }
    let step = xs[1] - xs[0], tol = 1e-9 * max(abs(xs[0]), abs(xs[xs.count - 1]), abs(step))
    if zip(xs.dropFirst(), xs).allSatisfy({ abs(($0 - $1) - step) <= tol }) { return (xs, false) }
    guard xs.allSatisfy({ $0 > 0 }) else { return nil }
    let logs = xs.map(log10)
    let ls = logs[1] - logs[0]
    if zip(logs.dropFirst(), logs).allSatisfy({ abs(($0 - $1) - ls) <= 1e-9 * max(1, abs(ls)) }) { return (logs, true) }
    return nil
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    guard case .batch(let batch) = try o.inputs.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("fit takes a batch of inputs, not pairs(…)")
    }
    guard let base = o.network.network else { throw ExperimentError("fit needs a network") }
    let y = try o.target.values(batch, inputs: o.inputs, files: context.files, classes: DataTargets.classes([batch]))
    let grids = [o.wStd.points, o.bStd.points, o.noise.points]
    let (lml, jitter) = try Self.evaluate(base, grids: grids, rows: batch, y: y, compute: context.compute, progress: context.progress)
    return Self.result(o, grids: grids, lml: lml, jitter: jitter)
  }

  /// The log marginal likelihood and the jitter of every grid point, `[w][b][noise]`: one NNGP
  /// Gram matrix per (w_std, b_std), every noise on it.
  static func evaluate(
    _ base: Network, grids: [[Double]], rows engine: InputBatch, y: Matrix, compute: Compute, progress: (Double) -> Void
  ) throws -> (lml: [[[Double]]], jitter: [[[Double]]]) {
    // lml[w][b][noise], the jitter of each
    var lml = [[[Double]]](), jitter = [[[Double]]]()
    var done = 0.0
    for w in grids[0] {
      var rowL = [[Double]](), rowJ = [[Double]]()
      for b in grids[1] {
        let k = try GramKind.kernels(network(base, wStd: w, bStd: b), rows: engine, kernels: [.nngp], compute: compute)[0]
        var cellL = [Double](), cellJ = [Double]()
        for s2 in grids[2] {
          let (v, f): (Double, KernelPrediction.Factor)
          do { (v, f) = try KernelPrediction.logMarginalLikelihood(k, y: y, noise: s2) } catch LinearAlgebraError.notPositiveDefinite {
            throw ExperimentError(
              "at w_std = \(w), b_std = \(b), noise = \(s2) the NNGP Gram matrix is not positive definite even with a jitter of 10⁻³ × its mean diagonal; give a noise > 0"
            )
          }
          cellL.append(v)
          cellJ.append(f.jitter)
        }
        rowL.append(cellL)
        rowJ.append(cellJ)
        done += 1
        progress(done / Double(grids[0].count * grids[1].count))
      }
      lml.append(rowL)
      jitter.append(rowJ)
    }
    return (lml, jitter)
  }

  /// The heat map over the figure's two axes (the third grid at the optimum) and the optimum's row.
  static func result(_ o: Options, grids: [[Double]], lml: [[[Double]]], jitter: [[[Double]]]) -> ExperimentResult {
    // the optimum over the whole grid (first in grid order on ties)
    var best = (0, 0, 0)
    for i in grids[0].indices {
      for j in grids[1].indices {
        for l in grids[2].indices where lml[i][j][l] > lml[best.0][best.1][best.2] { best = (i, j, l) }
      }
    }
    let axes = axes(o)
    let fixed = (0..<3).first { !axes.contains($0) } ?? 2
    let fixedIndex = [best.0, best.1, best.2][fixed]
    func value(_ idx: [Int]) -> Double { lml[idx[0]][idx[1]][idx[2]] }
    // values[row = second axis][column = first axis], the third grid at the optimum
    let values = grids[axes[1]].indices.map { r in
      grids[axes[0]].indices.map { c in
        var idx = [0, 0, 0]
        idx[axes[0]] = c
        idx[axes[1]] = r
        idx[fixed] = fixedIndex
        return value(idx)
      }
    }
    let optimum = [grids[0][best.0], grids[1][best.1], grids[2][best.2]]
    let maxJitter = jitter.flatMap { $0.flatMap { $0 } }.max() ?? 0
    let table = TableData(
      columns: ["", "w_std", "b_std", "noise", "log_marginal_likelihood", "jitter"],
      rows: [
        ["optimum"] + optimum.map { "\($0)" } + ["\(lml[best.0][best.1][best.2])", "\(jitter[best.0][best.1][best.2])"],
        ["largest jitter", "", "", "", "", "\(maxJitter)"],
      ], titles: ["", "$\\sigma_w$", "$\\sigma_b$", "noise", "log marginal likelihood", "jitter"])
    let names = axes.map { axisNames[$0] }
    return ExperimentResult(
      xlabel: names[0], ylabel: names[1], xlabelTeX: tex(names[0]), ylabelTeX: tex(names[1]),
      series: [SeriesData(name: "optimum", x: [optimum[axes[0]]], y: [optimum[axes[1]]])], table: table,
      grid: GridData(name: "log_marginal_likelihood", x: grids[axes[0]], y: grids[axes[1]], values: values))
  }

  static func tex(_ name: String) -> String {
    switch name {
    case "w_std": return "$\\sigma_w$"
    case "b_std": return "$\\sigma_b$"
    default: return "noise $\\sigma^2$"
    }
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    guard let g = result.grid, let cx = Self.coordinates(g.x), let cy = Self.coordinates(g.y) else { return nil }
    func extent(_ c: [Double]) -> ClosedRange<Double> {
      guard let a = c.first, let b = c.last else { return 0...1 }
      guard c.count > 1 else { return (a - 0.5)...(a + 0.5) }
      let h = (b - a) / Double(c.count - 1) / 2
      return (a - h)...(b + h)
    }
    let flat = g.values.reversed().flatMap { $0 }  // row 0 of the image is the top (the largest y)
    var marks: [Mark] = [
      .heatmap(
        Heatmap(
          values: flat, rows: g.y.count, columns: g.x.count, x: extent(cx.values), y: extent(cy.values),
          colorbarLabel: "log marginal likelihood"))
    ]
    if let s = result.series.first(where: { $0.name == "optimum" }), let x = s.x.first, let y = s.y.first {
      marks.append(
        .line(
          LineSeries(
            name: "optimum", x: [cx.log ? log10(x) : x], y: [cy.log ? log10(y) : y], color: .white, marker: .diamond,
            markersOnly: true)))
    }
    func label(_ t: String, _ log: Bool) -> String { log ? "$\\log_{10}$ " + t : t }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(
          x: AxisSpec(label: label(result.xlabelTeX, cx.log), limits: extent(cx.values)),
          y: AxisSpec(label: label(result.ylabelTeX, cy.log), limits: extent(cy.values)), marks: marks, legend: .none, grid: false)
      ])
  }

  public func cost(_ o: Options) -> Cost { cost(o, measured: MeasuredInputs()) }

  public func cost(_ o: Options, measured: MeasuredInputs) -> Cost {
    var c = CostBuilder()
    let (n, d, spatial) = GramKind.size(o.inputs, measured: measured)
    o.inputs.addCost(to: &c, option: "inputs")
    let kernels = o.wStd.points.count * o.bStd.points.count, cells = kernels * o.noise.points.count
    c.doubles([4, n, n], "the NNGP Gram matrix of \(n) inputs, its regularized copy and factor", options: ["inputs"])
    c.doubles([cells, 2], "\(cells) grid cells", options: ["w_std", "b_std", "noise"])
    var one = CostBuilder()
    GramKind.addKernelWork(to: &one, n: n, d: d, spatial: spatial, network: o.network)
    c.work(
      one.cost.seconds * Double(kernels), each: 1, "\(kernels) Gram matrices of \(n) inputs (w_std × b_std)",
      options: ["inputs", "w_std", "b_std", "network"])
    let nn = Double(n), outputs = Double(o.target.outputs(o.inputs))
    c.work(
      Double(cells) * (nn * nn * nn / 3 + 2 * nn * nn * outputs), each: UnitCost.flop, "\(cells) Cholesky factors of \(n) × \(n)",
      options: ["inputs", "w_std", "b_std", "noise"])
    return c.cost
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func problem(_ key: String, _ message: String) { out += GramKind().at(key, directive, message) }
    if case .pairs = o.inputs.source {
      problem("inputs", "fit takes a batch of inputs (gaussian(n, d), a file, fashion-mnist(…), …), not pairs(…)")
    }
    if let p = o.target.problem(o.inputs) { problem("targets", p) }
    let grids = [o.wStd.points, o.bStd.points, o.noise.points]
    if grids.filter({ $0.count > 1 }).count > 2 {
      problem("noise", "w_std, b_std and noise all have several points; a heat map has two axes: give one of them a single value")
    }
    for (i, name) in Self.axisNames.enumerated() where Self.coordinates(grids[i]) == nil {
      problem(name, "the heat map draws evenly spaced or geometric grids (linspace, logspace or equal steps); these points are neither")
    }
    if grids.map(\.count).reduce(1, *) > Self.maxPoints {
      problem("w_std", "the grid has \(grids.map(\.count).reduce(1, *)) points; fit computes at most \(Self.maxPoints)")
    }
    if let shape = GramKind.knownShape(o.inputs) {
      out += NetworkShorthandChecks.shapes(directive, input: shape, inputsAre: "the inputs are \(GramKind.text(shape))")
      if out.isEmpty, let p = GramKind.outputProblem(o.network, shape) { problem("network", p) }
    }
    return out
  }

  public func checkFiles(_ o: Options, files: InputFiles) -> String? {
    guard GramKind.knownShape(o.inputs) == nil, case .batch(let b)? = try? o.inputs.inputs(seed: 0, files: files) else { return nil }
    if b.count > GramKind.maxFileRows {
      return
        "the file has \(b.count) inputs; fit computes at most \(GramKind.maxFileRows) from a file (its cost is estimated for that many before the file is read)"
    }
    do { _ = try o.target.values(b, inputs: o.inputs, files: files, classes: DataTargets.classes([b])) } catch {
      return "targets: \(error)"
    }
    return GramKind.outputProblem(o.network, b.shape).map { "network on the file's inputs (\(GramKind.text(b.shape))): \($0)" }
  }
}
