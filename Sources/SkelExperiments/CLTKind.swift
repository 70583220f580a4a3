import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} clt`: the central limit for i.i.d. weights (Tsuchida et al. 2018): the error of the
/// single-layer kernel under i.i.d. uniform / Rademacher / Laplace weights against the Gaussian
/// kernel, as the input dimension n grows. Dense inputs (mass on every coordinate) converge;
/// sparse ones (two coordinates) do not. Rademacher is exact (binomial sums), the others Monte
/// Carlo with antithetic draws and a control variate, ± one standard error.
public struct CLTKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "clt",
    summary: "Central limit for i.i.d. weights: kernel error against the Gaussian kernel vs input dimension n (dense or sparse inputs)",
    options: [
      OptionSpec("laws", .list(.choice(["uniform", "rademacher", "laplace"]), minCount: 1), default: "[uniform, rademacher, laplace]", "i.i.d. weight laws (unit variance), one series each"),
      OptionSpec("dimensions", .grid(min: 2, max: 1_000_000), default: "[2^1 .. 2^10]", "input dimensions n (odd n are rounded up to even for dense inputs)"),
      OptionSpec("theta", .number(min: 0, max: 3.141592653589793), default: "1.0471975511965976", "angle θ between the unit-norm inputs"),
      OptionSpec("slope", .number(min: 0, max: 1), default: "0", "negative slope a of the leaky ReLU (0: ReLU)"),
      OptionSpec("inputs", .choice(["dense", "sparse"]), default: "dense", "inputs spread over all n coordinates, or on two of them"),
      OptionSpec("samples", .integer(min: 1000, max: 100_000_000), default: "1000000", "Monte-Carlo weight draws per point"),
    ],
    example: """
      ```{kernel} clt
      :label: fig-clt
      :dimensions: [2^1 .. 2^10]

      The kernel of i.i.d. weights approaches the Gaussian one as n grows.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let theta = options.number("theta"), a = options.number("slope"), samples = options.integer("samples")
    let dense = options.string("inputs") == "dense"
    let ns = options.grid("dimensions").map { max(2, Int($0.rounded())) }.map { dense ? $0 + $0 % 2 : $0 }
    let gauss = WeightLawKernel.exact(.gaussian, slope: a, theta: theta)
    var series: [SeriesData] = []
    let laws = options.strings("laws")
    for (k, name) in laws.enumerated() {
      let law: WeightLaw = name == "uniform" ? .uniform : name == "rademacher" ? .rademacher : .laplace
      let values = context.compute.map(ns.count) { i -> (Double, Double) in
        let n = ns[i]
        if law == .rademacher {
          return ((dense ? CentralLimit.rademacherDense(slope: a, theta: theta, dimension: n) : CentralLimit.rademacherSparse(slope: a, theta: theta)) - gauss, 0)
        }
        var g = SeededGenerator(seed: context.seed, label: "\(name) n=\(n)")
        let mc = dense
          ? CentralLimit.denseMonteCarlo(law, slope: a, theta: theta, dimension: n, samples: samples, generator: &g)
          : WeightLawKernel.monteCarlo(law, slope: a, theta: theta, dimension: 2, samples: samples, dense: false, generator: &g)  // sparse: only w₁, w₂ meet the inputs
        return (mc.mean - gauss, mc.standardError)
      }
      series.append(SeriesData(name: name, x: ns.map(Double.init), y: values.map(\.0), yerr: law == .rademacher ? nil : values.map(\.1)))
      context.progress(Double(k + 1) / Double(laws.count))
    }
    return ExperimentResult(
      xlabel: "n", ylabel: "signed_error", xlabelTeX: "input dimension $n$", ylabelTeX: "$|k_{\\mathrm{iid}} - k_{\\mathrm{Gauss}}|$", series: series)
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    // exact series as lines; Monte-Carlo ones as points ± s.e. (not joined: below the Monte-Carlo
    // resolution a point is noise, drawn with its bar rather than a line diving to zero)
    var marks: [Mark] = result.series.map { s in
      .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y.map(abs), error: s.yerr ?? s.y.map { _ in 0 }, connected: s.yerr == nil))
    }
    let errors = result.series.compactMap(\.yerr).flatMap { $0 }.sorted()
    if !errors.isEmpty {
      marks.append(.reference(.horizontal(y: 2 * errors[errors.count / 2], label: "2 s.e. (Monte Carlo)")))
    }
    if options.string("inputs") == "dense", let s = result.series.first(where: { $0.yerr == nil }) ?? result.series.first,
      let k = s.y.indices.first(where: { s.y[$0] != 0 })
    {
      marks.append(.reference(.slope(-1, throughX: s.x[k], y: abs(s.y[k]) * 2, label: "slope $-1$")))
    }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .lowerLeft)
    ])
  }
}
