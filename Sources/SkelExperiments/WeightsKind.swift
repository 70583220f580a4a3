import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} weights`: single-layer (leaky) ReLU kernels under different weight laws
/// (Tsuchida, Roosta, Gallagher 2018): Monte Carlo with standard errors against the exact
/// kernel, which holds for every rotation-invariant law up to the factor E‖w‖²/n.
public struct WeightsKind: ExperimentKind {
  public init() {}

  static let lawSpecs: [CallableSpec] = [
    CallableSpec(name: "gaussian"), CallableSpec(name: "student_t", parameters: ["nu"], defaults: [5]),
    CallableSpec(name: "sphere"), CallableSpec(name: "uniform"), CallableSpec(name: "rademacher"), CallableSpec(name: "laplace"),
  ]

  public let schema = DirectiveSchema(
    kind: "weights",
    summary: "Single-layer leaky-ReLU kernels under weight laws (Gaussian, Student-t, sphere, i.i.d. uniform/Rademacher/Laplace), Monte Carlo ± s.e. against the exact kernel",
    options: [
      OptionSpec("laws", .list(.callable(noun: "weight law", lawSpecs), minCount: 1), default: "[gaussian, student_t(nu=5), rademacher]", "weight laws, one series each"),
      OptionSpec("slope", .number(min: 0, max: 1), default: "0", "negative slope a of the leaky ReLU (0: ReLU)"),
      OptionSpec("dimension", .integer(min: 2, max: 4096), default: "4", "input dimension n"),
      OptionSpec("inputs", .choice(["sparse", "dense"]), default: "sparse", "inputs on two coordinates (sparse) or spread over all n (dense, where the central limit applies)"),
      OptionSpec("samples", .integer(min: 100, max: 10_000_000), default: "20000", "weight vectors per angle"),
      OptionSpec("theta", .grid(min: 0, max: 3.141592653589793), default: "linspace(0, pi, 13)", "angles θ between the inputs"),
    ],
    example: """
      ```{kernel} weights
      :label: fig-weights
      :laws: [gaussian, student_t(nu=5), rademacher]
      :samples: 20000

      Kernels under three weight laws.
      ```
      """)

  /// Student-t needs ν > 2 (finite variance): checked before anything runs, at the value.
  public func check(_ d: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for raw in d.options where raw.key == "laws" || raw.key == "law" {
      let items: [OptionNode]
      if case .list(let xs) = raw.value.value { items = xs } else { items = [raw.value] }
      for item in items {
        guard case .call("student_t", let args) = item.value, let arg = args.first, case .number(let nu) = arg.value.value, nu <= 2 else { continue }
        out.append(Diagnostic(at: SourceLocation(path: d.location.path, line: raw.line, column: arg.value.column), length: arg.value.length, "a Student-t law needs nu > 2 (its variance is infinite for nu <= 2), got \(arg.value.text)"))
      }
    }
    return out
  }

  /// The weight law a `laws` item names.
  static func law(_ name: String, _ arguments: [String: Double]) -> WeightLaw {
    switch name {
    case "student_t": return .studentT(nu: arguments["nu"] ?? 5)
    case "sphere": return .sphere
    case "uniform": return .uniform
    case "rademacher": return .rademacher
    case "laplace": return .laplace
    default: return .gaussian
    }
  }

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = options.number("slope"), n = options.integer("dimension"), m = options.integer("samples")
    let dense = options.string("inputs") == "dense"
    let thetas = options.grid("theta")
    var series: [SeriesData] = []
    for call in options.calls("laws") {
      let law = Self.law(call.name, call.arguments)
      // each law's stream derives from the directive's seed and the law's name
      var g = SeededGenerator(seed: context.seed, label: law.description)
      let mc = thetas.map { WeightLawKernel.monteCarlo(law, slope: a, theta: $0, dimension: n, samples: m, dense: dense, generator: &g) }
      series.append(SeriesData(name: law.description, x: thetas, y: mc.map(\.mean), yerr: mc.map(\.standardError)))
      if law.isRotationInvariant {
        series.append(SeriesData(name: "exact " + law.description, x: thetas, y: thetas.map { WeightLawKernel.exact(law, slope: a, theta: $0) }))
      }
    }
    if !series.contains(where: { $0.name == "exact gaussian" }) {
      series.append(SeriesData(name: "exact gaussian", x: thetas, y: thetas.map { WeightLawKernel.exact(.gaussian, slope: a, theta: $0) }))
    }
    return ExperimentResult(xlabel: "theta", ylabel: "kernel", xlabelTeX: "angle $\\theta$", ylabelTeX: "$k(x, y)$", series: series)
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    var marks: [Mark] = []
    for s in result.series {
      if let e = s.yerr {
        marks.append(.errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: e)))
      } else {
        marks.append(.line(LineSeries(name: s.name, x: s.x, y: s.y, dash: s.name == "exact gaussian" ? [] : [4, 3], lineWidth: 1.2)))
      }
    }
    return Figure(width: size.width, height: size.height, panels: [Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .upperRight)])
  }
}
