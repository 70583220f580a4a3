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
public struct RainbowKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "rainbow",
    summary: "Rainbow networks: Gaussian rainbow ReLU kernel vs anisotropy, colored vs whitened weight spectra against Marchenko–Pastur, or alignment error vs width",
    options: [
      OptionSpec("mode", .choice(["kernel", "spectrum", "alignment"]), default: "alignment", "what to show"),
      OptionSpec("anisotropy", .grid(min: 0, max: 1e6), default: "linspace(1, 16, 16)", "kernel: s in C = diag(s, 1)"),
      OptionSpec("angle", .number(min: 0, max: 3.141592653589793), default: "1.0471975511965976", "kernel: angle between φ = (1, 0) and φ′"),
      OptionSpec("samples", .integer(min: 100, max: 100_000_000), default: "200000", "kernel: Monte-Carlo draws per point"),
      OptionSpec("atoms", .integer(min: 2, max: 20000), default: "2048", "spectrum: atoms N (rows of W)"),
      OptionSpec("dimension", .integer(min: 2, max: 4096), default: "256", "spectrum: atom dimension d; alignment: input dimension"),
      OptionSpec("rank", .integer(min: 0, max: 4096), default: "8", "spectrum: directions of C with large variance (C = I + Σ_k 30/k · u_k u_kᵀ)"),
      OptionSpec("networks", .integer(min: 1, max: 1000), default: "8", "spectrum: independent draws pooled to estimate C"),
      OptionSpec("widths", .grid(min: 1, max: 16384), default: "[2^4 .. 2^11]", "alignment: widths r"),
      OptionSpec("depth", .integer(min: 1, max: 16), default: "2", "alignment: layers, one series each"),
      OptionSpec("points", .integer(min: 4, max: 4000), default: "200", "alignment: inputs (standard normal in R^d)"),
    ],
    example: """
      ```{kernel} rainbow
      :label: fig-rainbow-alignment
      :mode: alignment
      :widths: [2^4 .. 2^10]

      Two random networks align better as they widen.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    switch options.string("mode") {
    case "kernel": return kernel(options, context)
    case "spectrum": return try spectrum(options, context)
    default: return try alignment(options, context)
    }
  }

  func kernel(_ o: ResolvedOptions, _ context: RunContext) -> ExperimentResult {
    let ss = o.grid("anisotropy"), angle = o.number("angle"), m = o.integer("samples")
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
      xlabel: "s", ylabel: "kernel", xlabelTeX: "anisotropy $s$, $C = \\mathrm{diag}(s, 1)$",
      ylabelTeX: "$\\bar k(\\varphi, \\varphi')$",
      series: [SeriesData(name: "closed form", x: ss, y: exact), SeriesData(name: "monte carlo", x: ss, y: mean, yerr: err)])
  }

  func spectrum(_ o: ResolvedOptions, _ context: RunContext) throws -> ExperimentResult {
    let n = o.integer("atoms"), d = o.integer("dimension"), rank = min(o.integer("rank"), d)
    var g = SeededGenerator(seed: context.seed, label: "covariance")
    // C = I + Σ_k (30/k) u_k u_kᵀ with random orthonormal u_k: a few strong directions over a white bulk
    let u = try Matrix.randomOrthonormalColumns(rows: d, columns: max(1, rank), generator: &g)
    var c = Matrix(rows: d, columns: d)
    for i in 0..<d { c[i, i] = 1 }
    for k in 0..<rank { for i in 0..<d { for j in 0..<d { c[i, j] += 30 / Double(k + 1) * u[i, k] * u[j, k] } } }
    let root = try c.cholesky()  // W = Z Lᵀ has rows ~ N(0, C)
    func atoms(_ label: String) -> Matrix {
      MonteCarloKernel.gaussianMatrix(rows: n, columns: d, seed: context.seed, label: label) * root.transposed
    }
    // C estimated from independent draws (as pooled over trained networks), then whitening
    var estimate = Matrix(rows: d, columns: d)
    let pooled = o.integer("networks")
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
        SeriesData(name: "colored", x: index, y: colored.reversed()), SeriesData(name: "whitened", x: index, y: white.reversed()),
        SeriesData(name: "marchenko-pastur", x: grid, y: grid.map { Rainbow.marchenkoPastur($0, q: q) }),
      ],
      table: TableData(columns: ["atoms", "fraction outside the MP bulk (±2 %)", "largest eigenvalue"], rows: [
        ["colored W", NumberFormat(".1%")!.format(outside(colored)), NumberFormat(".3g")!.format(colored.last!)],
        ["whitened G = W Ĉ^{-1/2}", NumberFormat(".1%")!.format(outside(white)), NumberFormat(".3g")!.format(white.last!)],
        ["Marchenko–Pastur, q = d/N = \(NumberFormat(".3g")!.format(q))", "bulk [\(NumberFormat(".3f")!.format(lo)), \(NumberFormat(".3f")!.format(hi))]", ""],
      ]))
  }

  func alignment(_ o: ResolvedOptions, _ context: RunContext) throws -> ExperimentResult {
    let widths = o.grid("widths").map { max(1, Int($0.rounded())) }, depth = o.integer("depth")
    let n = o.integer("points"), d = o.integer("dimension")
    let x = MonteCarloKernel.gaussianMatrix(rows: n, columns: d, seed: context.seed, label: "inputs")
    var errors = [[Double]](repeating: [], count: depth)
    for (k, r) in widths.enumerated() {
      var grams: [[Matrix]] = []
      for net in 0..<2 {
        var h = x
        var perLayer: [Matrix] = []
        for l in 0..<depth {
          let w = MonteCarloKernel.gaussianMatrix(rows: h.columns, columns: r, seed: context.seed, label: "r=\(r) net=\(net) layer=\(l)")
          let scale = (2 / Double(h.columns)).squareRoot()
          h = h * w
          for i in h.storage.indices { h.storage[i] = max(0, scale * h.storage[i]) }
          perLayer.append(h.gram(dividedBy: Double(r)))
        }
        grams.append(perLayer)
      }
      for l in 0..<depth { errors[l].append(try Rainbow.alignmentError(gram: grams[0][l], gram: grams[1][l])) }
      context.progress(Double(k + 1) / Double(widths.count))
    }
    let xs = widths.map(Double.init)
    var rows: [[String]] = []
    let series = (0..<depth).map { l -> SeriesData in
      let tail = Array(xs.indices.suffix(max(2, xs.count / 2)))
      let slope = xs.count >= 2 ? LeastSquares.powerLawExponent(x: tail.map { xs[$0] }, y: tail.map { errors[l][$0] }, from: 0, to: .infinity) : .nan
      rows.append(["layer=\(l + 1)", NumberFormat(".3g")!.format(errors[l].first!), NumberFormat(".3g")!.format(errors[l].last!), NumberFormat(".3f")!.format(slope)])
      return SeriesData(name: "layer=\(l + 1)", x: xs, y: errors[l])
    }
    return ExperimentResult(
      xlabel: "r", ylabel: "alignment_error", xlabelTeX: "width $r$", ylabelTeX: "alignment error $\\|A\\varphi' - \\varphi\\|^2 / \\|\\varphi\\|^2$",
      series: series,
      table: TableData(columns: ["layer", "error at r = \(widths.first!)", "error at r = \(widths.last!)", "fitted exponent (wider half)"], rows: rows))
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    switch options.string("mode") {
    case "kernel":
      let s = result.series
      return Figure(width: size.width, height: size.height, panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: [
          .line(LineSeries(name: s[0].name, x: s[0].x, y: s[0].y, lineWidth: 1.4)),
          .errorBars(ErrorBarSeries(name: s[1].name, x: s[1].x, y: s[1].y, error: s[1].yerr ?? [])),
        ], legend: .upperLeft)
      ])
    case "spectrum":
      let mp = result.series[2]
      let top = mp.x.last!
      let edges = Grid.linspace(0, top, count: 61)
      func histogram(_ values: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: edges.count - 1)
        let width = edges[1] - edges[0]
        for v in values where v >= 0 && v < top { counts[min(counts.count - 1, Int(v / width))] += 1 }
        return counts.map { $0 / (Double(values.count) * width) }
      }
      return Figure(width: size.width, height: size.height, panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: [
          .histogram(Histogram(name: "colored $W$", edges: edges, heights: histogram(result.series[0].y))),
          .histogram(Histogram(name: "whitened $G$", edges: edges, heights: histogram(result.series[1].y))),
          .line(LineSeries(name: "Marchenko–Pastur", x: mp.x, y: mp.y, lineWidth: 1.6)),
        ], legend: .upperRight)
      ])
    default:
      let marks: [Mark] = result.series.map { .line(LineSeries(name: $0.name.replacingOccurrences(of: "=", with: " "), x: $0.x, y: $0.y, marker: .circle, lineWidth: 1.4)) }
      return Figure(width: size.width, height: size.height, panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .upperRight)
      ])
    }
  }
}
