import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} clt`: the central limit for i.i.d. weights (Tsuchida et al. 2018): the error of the
/// single-layer kernel under i.i.d. uniform / Rademacher / Laplace weights against the Gaussian
/// kernel, as the input dimension n grows. Dense inputs (mass on every coordinate) converge;
/// sparse ones (two coordinates) do not. Rademacher is exact (binomial sums), the others Monte
/// Carlo with antithetic draws and a control variate, ± one standard error.
public struct CLTKind: DirectiveKind {
  public init() {}

  /// The i.i.d. weight laws (unit variance).
  public enum Law: String, OptionChoice {
    case uniform, rademacher, laplace

    var weightLaw: WeightLaw {
      switch self {
      case .uniform: return .uniform
      case .rademacher: return .rademacher
      case .laplace: return .laplace
      }
    }
  }

  public enum Inputs: String, OptionChoice {
    case dense, sparse
  }

  public struct Options: KindOptions {
    public var laws: [Law] = [.uniform, .rademacher, .laplace]
    public var dimensions = GridPoints((1...10).map { Double(1 << $0) }, written: "[2^1 .. 2^10]")
    public var theta = 1.0471975511965976
    public var slope = 0.0
    public var inputs = Inputs.dense
    public var samples = 1_000_000
    public init() {}
  }

  public let name = "clt"
  public let summary =
    "Central limit for i.i.d. weights: kernel error against the Gaussian kernel vs input dimension n (dense or sparse inputs)"
  public let fields: [Field<Options>] = [
    Field("laws", \.laws, .list(Law.optionType, minCount: 1), "i.i.d. weight laws (unit variance), one series each"),
    Field("dimensions", \.dimensions, .grid(min: 2, max: 1_000_000), "input dimensions n (odd n are rounded up to even for dense inputs)"),
    Field("theta", \.theta, .number(min: 0, max: 3.141592653589793), "angle θ between the unit-norm inputs"),
    Field("slope", \.slope, .number(min: 0, max: 1), "negative slope a of the leaky ReLU (0: ReLU)"),
    .choice("inputs", \.inputs, "inputs spread over all n coordinates, or on two of them"),
    Field("samples", \.samples, .integer(min: 1000, max: 100_000_000), "Monte-Carlo weight draws per point"),
  ]
  public let example = """
    ```{kernel} clt
    :label: fig-clt
    :dimensions: [2^1 .. 2^10]

    The kernel of i.i.d. weights approaches the Gaussian one as n grows.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let laws = o.laws, dims = o.dimensions.points.map { max(2, $0.rounded()) }, m = Double(o.samples)
    let dense = o.inputs == .dense
    let mc = Double(laws.filter { $0 != .rademacher }.count), exact = Double(laws.count) - mc
    let total = dims.reduce(0, +)
    c.doubles([laws.count, dims.count, 3], "\(laws.count) laws × \(dims.count) dimensions", options: ["laws", "dimensions"])
    c.doubles(
      [Int(min(1e15, dims.max() ?? 2)), 4], "weight vectors of dimension \(Int(min(1e15, dims.max() ?? 2)))", options: ["dimensions"])
    c.work(
      mc * m * (dense ? total : 2 * Double(dims.count)), each: UnitCost.draw,
      "\(Int(mc)) laws × \(Int(m)) samples × dimensions summing to \(Int(min(1e15, total)))", options: ["samples", "dimensions", "laws"])
    c.work(exact * total, each: 1e-6, "exact Rademacher sums", options: ["dimensions"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let theta = o.theta, a = o.slope, samples = o.samples
    let dense = o.inputs == .dense
    let ns = o.dimensions.points.map { max(2, Int($0.rounded())) }.map { dense ? $0 + $0 % 2 : $0 }
    let gauss = WeightLawKernel.exact(.gaussian, slope: a, theta: theta)
    var series: [SeriesData] = []
    for (k, choice) in o.laws.enumerated() {
      let law = choice.weightLaw, name = choice.rawValue
      let values = context.compute.map(ns.count) { i -> (Double, Double) in
        let n = ns[i]
        if law == .rademacher {
          return (
            (dense
              ? CentralLimit.rademacherDense(slope: a, theta: theta, dimension: n) : CentralLimit.rademacherSparse(slope: a, theta: theta))
              - gauss, 0
          )
        }
        var g = SeededGenerator(seed: context.seed, label: "\(name) n=\(n)")
        // sparse: only w₁, w₂ meet the inputs
        let mc =
          dense
          ? CentralLimit.denseMonteCarlo(law, slope: a, theta: theta, dimension: n, samples: samples, generator: &g)
          : WeightLawKernel.monteCarlo(law, slope: a, theta: theta, dimension: 2, samples: samples, dense: false, generator: &g)
        return (mc.mean - gauss, mc.standardError)
      }
      series.append(SeriesData(name: name, x: ns.map(Double.init), y: values.map(\.0), yerr: law == .rademacher ? nil : values.map(\.1)))
      context.progress(Double(k + 1) / Double(o.laws.count))
    }
    return ExperimentResult(
      xlabel: "n", ylabel: "signed_error", xlabelTeX: "input dimension $n$", ylabelTeX: "$|k_{\\mathrm{iid}} - k_{\\mathrm{Gauss}}|$",
      series: series)
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    // exact series as lines; Monte-Carlo ones as points ± s.e. (not joined: below the Monte-Carlo
    // resolution a point is noise, drawn with its bar rather than a line diving to zero)
    var marks: [Mark] = result.series.map { s in
      .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y.map(abs), error: s.yerr ?? s.y.map { _ in 0 }, connected: s.yerr == nil))
    }
    let errors = result.series.compactMap(\.yerr).flatMap { $0 }.sorted()
    if !errors.isEmpty {
      marks.append(.reference(.horizontal(y: 2 * errors[errors.count / 2], label: "2 s.e. (Monte Carlo)")))
    }
    if options.inputs == .dense, let s = result.series.first(where: { $0.yerr == nil }) ?? result.series.first,
      let k = s.y.indices.first(where: { s.y[$0] != 0 })
    {
      marks.append(.reference(.slope(-1, throughX: s.x[k], y: abs(s.y[k]) * 2, label: "slope $-1$")))
    }
    return Self.logLogFigure(result, marks: marks, size: size)
  }
}
