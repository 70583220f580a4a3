import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} rainbow`: rainbow networks (Guth et al. 2024, science.md §6). Three views:
/// - `kernel`: the Gaussian rainbow ReLU kernel against the anisotropy s of C = diag(s, 1),
///   closed form and Monte Carlo ± s.e.;
/// - `spectrum`: eigenvalues of the covariance of colored atoms W ~ N(0, C) and of whitened ones
///   G = W C^{−1/2} against Marchenko–Pastur (C estimated from independent draws);
/// - `alignment`: Procrustes alignment error between two independent random ReLU networks,
///   per layer, against the width (activations become deterministic up to a rotation).
public struct RainbowKind: DirectiveKind {
  public init() {}

  public enum Mode: String, OptionChoice {
    case kernel, spectrum, alignment
  }

  public struct Options: KindOptions {
    public var mode = Mode.alignment
    public var anisotropy = GridPoints.linspace(1, 16, 16)
    public var angle = 1.0471975511965976
    public var samples = 200_000
    public var atoms = 2048
    public var dimension = 256
    public var rank = 8
    public var networks = 8
    public var widths = GridPoints((4...11).map { Double(1 << $0) }, written: "[2^4 .. 2^11]")
    public var depth = 2
    public var points = 200
    public init() {}
  }

  public let name = "rainbow"
  public let summary =
    "Rainbow networks: Gaussian rainbow ReLU kernel vs anisotropy, colored vs whitened weight spectra against Marchenko–Pastur, or alignment error vs width"
  public let fields: [Field<Options>] = [
    .choice("mode", \.mode, "what to show"),
    Field("anisotropy", \.anisotropy, .grid(min: 0, max: 1e6), "kernel: s in C = diag(s, 1)"),
    Field("angle", \.angle, .number(min: 0, max: 3.141592653589793), "kernel: angle between φ = (1, 0) and φ′"),
    Field("samples", \.samples, .integer(min: 100, max: 100_000_000), "kernel: Monte-Carlo draws per point"),
    Field("atoms", \.atoms, .integer(min: 2, max: 20000), "spectrum: atoms N (rows of W)"),
    Field("dimension", \.dimension, .integer(min: 2, max: 4096), "spectrum: atom dimension d; alignment: input dimension"),
    Field("rank", \.rank, .integer(min: 0, max: 4096), "spectrum: directions of C with large variance (C = I + Σ_k 30/k · u_k u_kᵀ)"),
    Field("networks", \.networks, .integer(min: 1, max: 1000), "spectrum: independent draws pooled to estimate C"),
    Field("widths", \.widths, .grid(min: 1, max: 16384), "alignment: widths r"),
    Field("depth", \.depth, .integer(min: 1, max: 16), "alignment: layers, one series each"),
    Field("points", \.points, .integer(min: 4, max: 4000), "alignment: inputs (standard normal in R^d)"),
  ]
  public let example = """
    ```{kernel} rainbow
    :label: fig-rainbow-alignment
    :mode: alignment
    :widths: [2^4 .. 2^10]

    Two random networks align better as they widen.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    switch o.mode {
    case .kernel:
      let s = o.anisotropy.points.count, m = o.samples
      c.doubles([s, 4], "\(s) anisotropies", options: ["anisotropy"])
      c.work(Double(s) * Double(m) * 2, each: UnitCost.draw, "\(s) anisotropies × \(m) samples", options: ["samples", "anisotropy"])
    case .spectrum:
      let n = o.atoms, d = o.dimension, rank = min(o.rank, d), nets = o.networks
      c.doubles([4, n, d], "4 atom matrices \(n) × \(d)", options: ["atoms", "dimension"])
      c.doubles([10, d, d], "10 covariance matrices \(d) × \(d)", options: ["dimension"])
      let dd = Double(d) * Double(d)
      c.work(Double(max(1, rank)) * dd * 2, each: 2e-9, "covariance of rank \(rank) in dimension \(d)", options: ["rank", "dimension"])
      c.work(
        Double(nets + 1) * Double(n) * Double(d) * (2 * Double(d) + 1), each: UnitCost.flop, "\(nets + 1) draws of \(n) × \(d) atoms",
        options: ["networks", "atoms", "dimension"])
      c.work(
        Double(nets + 1) * Double(n) * Double(d), each: UnitCost.draw, "\(nets + 1) × \(n) × \(d) normals",
        options: ["networks", "atoms", "dimension"])
      c.work(40 * dd * Double(d) + 4 * Double(n) * dd, each: UnitCost.flop, "eigendecompositions in dimension \(d)", options: ["dimension"])
    case .alignment:
      alignmentCost(o, &c)
    }
    return c.cost
  }

  func alignmentCost(_ o: Options, _ c: inout CostBuilder) {
    let widths = o.widths.points.map { max(1, $0.rounded()) }, depth = o.depth, n = o.points, d = o.dimension
    let rMax = Int(widths.max() ?? 1)
    c.doubles([n, rMax, 4], "activations \(n) × width \(rMax)", options: ["points", "widths"])
    c.doubles([max(d, rMax), rMax, 2], "weights \(max(d, rMax)) × \(rMax)", options: ["widths", "dimension"])
    c.doubles([2 * depth + 4, n, n], "\(2 * depth) Gram matrices \(n) × \(n)", options: ["depth", "points"])
    var flops = 0.0, draws = 0.0
    for r in widths {
      flops += 2 * (Double(n) * Double(d) * r + Double(depth - 1) * Double(n) * r * r + Double(depth) * Double(n) * Double(n) * r)
      draws += 2 * (Double(d) * r + Double(depth - 1) * r * r)
    }
    let nnn = Double(n) * Double(n) * Double(n)
    c.work(
      flops * 2, each: UnitCost.flop, "\(widths.count) widths up to \(rMax) × depth \(depth) on \(n) points",
      options: ["widths", "depth", "points"])
    c.work(draws, each: UnitCost.draw, "weights of \(widths.count) widths up to \(rMax)", options: ["widths", "depth"])
    c.work(
      Double(widths.count) * Double(depth) * 30 * nnn, each: UnitCost.flop, "\(widths.count * depth) alignments of \(n) points",
      options: ["points", "widths", "depth"])
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    switch o.mode {
    case .kernel: return kernel(o, context)
    case .spectrum: return try spectrum(o, context)
    case .alignment: return try alignment(o, context)
    }
  }

  func kernel(_ o: Options, _ context: RunContext) -> ExperimentResult {
    let ss = o.anisotropy.points, angle = o.angle, m = o.samples
    let phi = [1.0, 0], phi2 = [cos(angle), sin(angle)]
    var exact: [Double] = [], mean: [Double] = [], err: [Double] = []
    for s in ss {
      let c = Matrix(rows: 2, columns: 2, storage: [s, 0, 0, 1])
      exact.append(Rainbow.reluKernel(covariance: c, phi, phi2))
      var g = SeededGenerator(seed: context.seed, label: "s=\(s)")
      var sum = 0.0, sum2 = 0.0
      for _ in 0..<m {
        let w1 = s.squareRoot() * g.nextNormal(), w2 = g.nextNormal()
        let v = max(0, w1 * phi[0] + w2 * phi[1]) * max(0, w1 * phi2[0] + w2 * phi2[1])
        sum += v
        sum2 += v * v
      }
      let mu = sum / Double(m)
      mean.append(mu)
      err.append((max(0, sum2 / Double(m) - mu * mu) / Double(m)).squareRoot())
    }
    return ExperimentResult(
      xlabel: "s", ylabel: "kernel", xlabelTeX: "anisotropy $s$, $C \\;=\\; \\mathrm{diag}(s,\\, 1)$",
      ylabelTeX: "$\\bar k(\\varphi, \\varphi')$",
      series: [
        SeriesData(name: "closed form", x: ss, y: exact, role: .exact),
        SeriesData(name: "monte carlo", x: ss, y: mean, yerr: err, role: .estimate),
      ])
  }

  /// C = I + Σ_k (30/k) u_k u_kᵀ with random orthonormal u_k: a few strong directions over a white bulk.
  static func plantedCovariance(dimension d: Int, rank: Int, generator g: inout SeededGenerator) throws -> Matrix {
    let u = try Matrix.randomOrthonormalColumns(rows: d, columns: max(1, rank), generator: &g)
    var c = Matrix(rows: d, columns: d)
    for i in 0..<d { c[i, i] = 1 }
    for k in 0..<rank { for i in 0..<d { for j in 0..<d { c[i, j] += 30 / Double(k + 1) * u[i, k] * u[j, k] } } }
    return c
  }

  func spectrum(_ o: Options, _ context: RunContext) throws -> ExperimentResult {
    let n = o.atoms, d = o.dimension, rank = min(o.rank, d)
    var g = SeededGenerator(seed: context.seed, label: "covariance")
    let root = try Self.plantedCovariance(dimension: d, rank: rank, generator: &g).cholesky()  // W = Z Lᵀ has rows ~ N(0, C)
    func atoms(_ label: String) -> Matrix {
      MonteCarloKernel.gaussianMatrix(rows: n, columns: d, seed: context.seed, label: label) * root.transposed
    }
    // C estimated from independent draws (as pooled over trained networks), then whitening
    var estimate = Matrix(rows: d, columns: d)
    let pooled = o.networks
    for s in 0..<pooled {
      let w = atoms("network \(s)")
      let cs = w.transposed.gram(dividedBy: Double(n * pooled))
      for i in estimate.storage.indices { estimate.storage[i] += cs.storage[i] }
      context.progress(Double(s + 1) / Double(pooled + 1))
    }
    let w = atoms("sample")
    let (values, vectors) = try estimate.symmetricEigen()
    var inverseRoot = vectors
    for i in 0..<d { for k in 0..<d { inverseRoot[i, k] /= values[k].squareRoot() } }
    let whitened = w * (inverseRoot * vectors.transposed)
    // The colored spectrum is scaled so that its bulk (all but the `rank` planted directions) has
    // mean 1: normalizing with the spikes included shrank the bulk by 1/1.32 and the "outside"
    // fraction then counted bulk eigenvalues (issue 16). The whitened one has mean 1 as it is.
    let coloredRaw = try Rainbow.normalizedCovarianceSpectrum(w)
    let bulkMean = coloredRaw.dropLast(rank).reduce(0, +) / Double(max(1, coloredRaw.count - rank))
    let colored = coloredRaw.map { $0 / bulkMean }
    let white = try Rainbow.normalizedCovarianceSpectrum(whitened)
    let q = Double(d) / Double(n)
    let (lo, hi) = Rainbow.marchenkoPasturEdges(q: q)
    // outside [0.98 λ₋, 1.02 λ₊]: 2 % margins for the finite-N fluctuation of the edges
    func outside(_ ev: [Double]) -> Double { Double(ev.filter { $0 < lo * 0.98 || $0 > hi * 1.02 }.count) / Double(ev.count) }
    let grid = Grid.linspace(0, hi * 1.6, count: 201)
    let index = (1...d).map(Double.init)
    return ExperimentResult(
      xlabel: "lambda", ylabel: "density", xlabelTeX: "eigenvalue $\\lambda$ (bulk mean 1)", ylabelTeX: "density",
      series: [
        SeriesData(name: "colored", x: index, y: colored.reversed(), role: .estimate),
        SeriesData(name: "whitened", x: index, y: white.reversed(), role: .estimate),
        SeriesData(name: "marchenko-pastur", x: grid, y: grid.map { Rainbow.marchenkoPastur($0, q: q) }, role: .limit),
      ],
      table: TableData(
        columns: ["atoms", "fraction outside the MP bulk (±2 %)", "largest eigenvalue"],
        rows: [
          // (cells are Markdown on the page: the matrices as mathematics)
          ["colored $W$", formatted(outside(colored), ".1%"), formatted(colored.last ?? .nan, ".3g")],
          ["whitened $G = W\\hat C^{-1/2}$", formatted(outside(white), ".1%"), formatted(white.last ?? .nan, ".3g")],
          ["Marchenko–Pastur, $q = d/N = \(formatted(q, ".3g"))$", "bulk $[\(formatted(lo, ".3f")), \(formatted(hi, ".3f"))]$", ""],
        ]))
  }

  /// The alignment error of every layer (rows) at every width (columns).
  func alignmentErrors(_ o: Options, widths: [Int], _ context: RunContext) throws -> [[Double]] {
    let x = MonteCarloKernel.gaussianMatrix(rows: o.points, columns: o.dimension, seed: context.seed, label: "inputs")
    var errors = [[Double]](repeating: [], count: o.depth)
    for (k, r) in widths.enumerated() {
      var grams: [[Matrix]] = []
      for net in 0..<2 {
        var h = x
        var perLayer: [Matrix] = []
        for l in 0..<o.depth {
          let w = MonteCarloKernel.gaussianMatrix(rows: h.columns, columns: r, seed: context.seed, label: "r=\(r) net=\(net) layer=\(l)")
          let scale = (2 / Double(h.columns)).squareRoot()
          h = h * w
          for i in h.storage.indices { h.storage[i] = max(0, scale * h.storage[i]) }
          perLayer.append(h.gram(dividedBy: Double(r)))
        }
        grams.append(perLayer)
      }
      for l in 0..<o.depth { errors[l].append(try Rainbow.alignmentError(gram: grams[0][l], gram: grams[1][l])) }
      context.progress(Double(k + 1) / Double(widths.count))
    }
    return errors
  }

  func alignment(_ o: Options, _ context: RunContext) throws -> ExperimentResult {
    let widths = o.widths.points.map { max(1, Int($0.rounded())) }
    let errors = try alignmentErrors(o, widths: widths, context)
    let xs = widths.map(Double.init)
    var rows: [[String]] = []
    let series = errors.enumerated().map { l, e -> SeriesData in
      let tail = Array(xs.indices.suffix(max(2, xs.count / 2)))
      let slope =
        xs.count >= 2 ? LeastSquares.powerLawExponent(x: tail.map { xs[$0] }, y: tail.map { e[$0] }, from: 0, to: .infinity) : .nan
      rows.append(["\(l + 1)", formatted(e.first ?? .nan, ".3g"), formatted(e.last ?? .nan, ".3g"), formatted(slope, ".3f")])
      return SeriesData(name: "layer=\(l + 1)", x: xs, y: e, parameters: ["layer": Double(l + 1)])
    }
    let first = widths.first.map(String.init) ?? "", last = widths.last.map(String.init) ?? ""
    return ExperimentResult(
      xlabel: "r", ylabel: "alignment_error", xlabelTeX: "width $r$",
      ylabelTeX: "alignment error $\\|A\\varphi' - \\varphi\\|^2 / \\|\\varphi\\|^2$",
      series: series,
      table: TableData(
        columns: ["layer", "error at r = \(first)", "error at r = \(last)", "fitted exponent (wider half)"], rows: rows,
        titles: ["layer $l$", "error at $r = \(first)$", "error at $r = \(last)$", "fitted exponent (wider half)"]))
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    let axes: Axes?
    switch options.mode {
    case .kernel: axes = Self.kernelAxes(result)
    case .spectrum: axes = Self.spectrumAxes(result)
    case .alignment:
      let marks: [Mark] = result.series.map { s in
        let name = s.parameters?["layer"].map { "layer \(Int($0))" } ?? s.name
        return .line(LineSeries(name: name, x: s.x, y: s.y, marker: .circle, lineWidth: 1.4))
      }
      axes = Axes(
        x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks,
        legend: .best)
    }
    return axes.map { Figure(width: size.width, height: size.height, panels: [$0]) }
  }

  /// The closed form as a line, the Monte-Carlo estimate with its error bars in its colour.
  static func kernelAxes(_ result: ExperimentResult) -> Axes? {
    guard let exact = result.series.first(where: { $0.role == .exact }), let mc = result.series.first(where: { $0.role == .estimate })
    else { return nil }
    return Axes(
      x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX),
      marks: [
        .line(LineSeries(name: exact.name, x: exact.x, y: exact.y, lineWidth: 1.4)),
        .errorBars(ErrorBarSeries(name: mc.name, x: mc.x, y: mc.y, error: mc.yerr ?? [], colorSlot: 0)),
      ], legend: .best)
  }

  /// Histograms of the colored and whitened spectra (in that order) under the Marchenko–Pastur density.
  static func spectrumAxes(_ result: ExperimentResult) -> Axes? {
    guard let mp = result.series.first(where: { $0.role == .limit }), let top = mp.x.last, top > 0 else { return nil }
    let edges = Grid.linspace(0, top, count: 61)
    let width = edges[1] - edges[0]
    func histogram(_ values: [Double]) -> [Double] {
      var counts = [Double](repeating: 0, count: edges.count - 1)
      for v in values where v >= 0 && v < top { counts[min(counts.count - 1, Int(v / width))] += 1 }
      return counts.map { $0 / (Double(values.count) * width) }
    }
    let spectra = result.series.filter { $0.role == .estimate }
    var marks: [Mark] = zip(spectra, ["colored $W$", "whitened $G$"]).map { s, legend in
      .histogram(Histogram(name: legend, edges: edges, heights: histogram(s.y)))
    }
    marks.append(.line(LineSeries(name: "Marchenko–Pastur", x: mp.x, y: mp.y, lineWidth: 1.6)))
    return Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .best)
  }
}

/// `x` in the format `spec` (the specs here are literals that parse; the fallback never shows).
private func formatted(_ x: Double, _ spec: String) -> String { NumberFormat(spec)?.format(x) ?? String(x) }
