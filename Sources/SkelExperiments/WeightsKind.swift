import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} weights`: single-layer (leaky) ReLU kernels under different weight laws
/// (Tsuchida, Roosta, Gallagher 2018): Monte Carlo with standard errors against the exact
/// kernel, which holds for every rotation-invariant law up to the factor E‖w‖²/n.
public struct WeightsKind: DirectiveKind {
  public init() {}

  static let lawSpecs: [CallableSpec] = [
    CallableSpec(name: "gaussian"), CallableSpec(name: "student_t", parameters: ["nu"], defaults: [5]),
    CallableSpec(name: "sphere"), CallableSpec(name: "uniform"), CallableSpec(name: "rademacher"), CallableSpec(name: "laplace"),
  ]

  public enum Inputs: String, OptionChoice {
    case sparse, dense
  }

  public struct Options: KindOptions {
    public var laws = ["gaussian", "student_t", "rademacher"].map { CallValue($0, specs: WeightsKind.lawSpecs) }
    public var slope = 0.0
    public var dimension = 4
    public var inputs = Inputs.sparse
    public var samples = 20000
    public var theta = GridPoints.linspace(0, Double.pi, 13, written: "linspace(0, pi, 13)")
    public init() {}
  }

  public let name = "weights"
  public let summary =
    "Single-layer leaky-ReLU kernels under weight laws (Gaussian, Student-t, sphere, i.i.d. uniform/Rademacher/Laplace), Monte Carlo ± s.e. against the exact kernel"
  public let fields: [Field<Options>] = [
    Field("laws", \.laws, .list(.callable(noun: "weight law", WeightsKind.lawSpecs), minCount: 1), "weight laws, one series each"),
    Field("slope", \.slope, .number(min: 0, max: 1), "negative slope a of the leaky ReLU (0: ReLU)"),
    Field("dimension", \.dimension, .integer(min: 2, max: 4096), "input dimension n"),
    .choice("inputs", \.inputs, "inputs on two coordinates (sparse) or spread over all n (dense, where the central limit applies)"),
    Field("samples", \.samples, .integer(min: 100, max: 10_000_000), "weight vectors per angle"),
    Field("theta", \.theta, .grid(min: 0, max: 3.141592653589793), "angles θ between the inputs"),
  ]
  public let example = """
    ```{kernel} weights
    :label: fig-weights
    :laws: [gaussian, student_t(nu=5), rademacher]
    :samples: 20000

    Kernels under three weight laws.
    ```
    """

  /// Student-t needs ν > 2 (finite variance): checked before anything runs, at the value.
  public func check(_ o: Options, directive: Directive) -> [Diagnostic] { check(directive) }

  /// The Student-t check of the `laws` (or `law`) option of any directive (the realization kind
  /// shares it).
  public func check(_ d: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for raw in d.options where raw.key == "laws" || raw.key == "law" {
      let items: [OptionNode]
      if case .list(let xs) = raw.value.value { items = xs } else { items = [raw.value] }
      for item in items {
        guard case .call("student_t", let args) = item.value, let arg = args.first, case .number(let nu) = arg.value.value, nu <= 2 else {
          continue
        }
        out.append(
          Diagnostic(
            at: raw.location(of: arg.value, path: d.location.path), length: arg.value.length,
            "a Student-t law needs nu > 2 (its variance is infinite for nu <= 2), got \(arg.value.text)"))
      }
    }
    return out
  }

  /// The weight law a validated `laws` item names (the realization kind shares it).
  static func law(_ name: String, _ arguments: [String: Double]) -> WeightLaw {
    switch name {
    case "student_t": return .studentT(nu: arguments["nu"] ?? 5)
    case "sphere": return .sphere
    case "uniform": return .uniform
    case "rademacher": return .rademacher
    case "laplace": return .laplace
    default: return .gaussian  // validation admits only the names of `lawSpecs`
    }
  }

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let laws = o.laws.count, n = o.dimension, m = o.samples, t = o.theta.points.count
    c.doubles([laws + 1, t, 3], "\(laws) laws × \(t) angles", options: ["laws", "theta"])
    c.doubles([n, 4], "weight vectors of dimension \(n)", options: ["dimension"])
    c.work(
      Double(laws) * Double(t) * Double(m) * Double(n), each: UnitCost.draw,
      "\(laws) laws × \(t) angles × \(m) samples × dimension \(n)", options: ["samples", "dimension", "theta", "laws"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = o.slope, n = o.dimension, m = o.samples
    let dense = o.inputs == .dense
    let thetas = o.theta.points
    var series: [SeriesData] = []
    for call in o.laws {
      let law = Self.law(call.name, call.arguments)
      // each law's stream derives from the directive's seed and the law's name
      var g = SeededGenerator(seed: context.seed, label: law.description)
      let mc = thetas.map { WeightLawKernel.monteCarlo(law, slope: a, theta: $0, dimension: n, samples: m, dense: dense, generator: &g) }
      series.append(
        SeriesData(name: law.description, x: thetas, y: mc.map(\.mean), yerr: mc.map(\.standardError), role: .estimate, family: call.name))
      if law.isRotationInvariant {
        let exact = thetas.map { WeightLawKernel.exact(law, slope: a, theta: $0) }
        series.append(SeriesData(name: "exact " + law.description, x: thetas, y: exact, role: .exact, family: call.name))
      }
    }
    if !series.contains(where: Self.isGaussianKernel) {
      let exact = thetas.map { WeightLawKernel.exact(.gaussian, slope: a, theta: $0) }
      series.append(SeriesData(name: "exact gaussian", x: thetas, y: exact, role: .exact, family: "gaussian"))
    }
    return ExperimentResult(xlabel: "theta", ylabel: "kernel", xlabelTeX: "angle $\\theta$", ylabelTeX: "$k(x, y)$", series: series)
  }

  /// The exact Gaussian kernel, the reference every law is compared with (a solid line).
  static func isGaussianKernel(_ s: SeriesData) -> Bool { s.role == .exact && s.family == "gaussian" }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    var marks: [Mark] = []
    var estimateSlot: [String: Int] = [:]  // an exact curve takes the colour of its law's Monte-Carlo points
    for (k, s) in result.series.enumerated() {
      if let e = s.yerr {
        if let f = s.family, estimateSlot[f] == nil { estimateSlot[f] = k }
        marks.append(.errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: e)))
      } else {
        let slot = s.role == .exact ? s.family.flatMap { estimateSlot[$0] } : nil
        marks.append(
          .line(
            LineSeries(name: s.name, x: s.x, y: s.y, dash: Self.isGaussianKernel(s) ? [] : [4, 3], lineWidth: 1.2, colorSlot: slot)))
      }
    }
    return Figure(
      width: size.width, height: size.height,
      panels: [Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .best)])
  }
}
