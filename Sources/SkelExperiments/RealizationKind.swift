import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} realization`: a width-r random deep (leaky) ReLU network with explicit weight
/// matrices of any law (Tsuchida et al. 2018): its normalized kernel cos θ^(l) against the input
/// angle θ₀ (markers) over the Gaussian angle map (lines, series "angle map L=…"), one depth per
/// color. The angle map is the infinite-width limit for rotation-invariant laws (Gaussian,
/// multivariate t, sphere); for i.i.d. laws it is not the limit at small input dimension (for
/// Rademacher at θ⁰ = π/3 on two coordinates the layer-1 limit is 0.683, the map gives 0.609), so
/// it is never called "exact" (issue 16).
public struct RealizationKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "realization",
    summary: "Normalized kernel cos θ^(l) of a finite random deep (leaky) ReLU network with explicit weights of any law, against the infinite-width angle map",
    options: [
      OptionSpec("law", .callable(noun: "weight law", WeightsKind.lawSpecs), default: "gaussian", "law of each neuron's weight vector (scaled to variance 2/(n(1+a²)) per entry)"),
      OptionSpec("depths", .list(.integer(min: 1, max: 1000), minCount: 1), default: "[1, 2, 4, 8, 16, 32]", "depths l shown, one series each"),
      OptionSpec("width", .integer(min: 1, max: 20000), default: "1000", "width r of every layer"),
      OptionSpec("slope", .number(min: 0, max: 1), default: "0", "negative slope a (0: ReLU)"),
      OptionSpec("theta", .grid(min: 0, max: 3.141592653589793), default: "linspace(0, pi, 41)", "input angles θ₀"),
    ],
    example: """
      ```{kernel} realization
      :label: fig-realization
      :law: student_t(nu=5)
      :width: 1000

      A finite network follows the angle map.
      ```
      """)

  public func check(_ d: Directive) -> [Diagnostic] { WeightsKind().check(d) }

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let call = options.calls("law")[0]
    let law = WeightsKind.law(call.name, call.arguments)
    let depths = options.integers("depths"), a = options.number("slope"), thetas = options.grid("theta")
    var g = SeededGenerator(seed: context.seed, label: law.description)
    let empirical: [[Double]]
    do {
      empirical = try ExplicitRealization.normalizedKernels(thetas: thetas, width: options.integer("width"), depth: depths.max()!, slope: a, law: law, generator: &g)
    } catch {
      throw ExperimentError("\(error)")
    }
    let exact = thetas.map { AngleMap.angles(from: $0, a: a, depth: depths.max()!).map(cos) }
    var series: [SeriesData] = []
    for l in depths {
      series.append(SeriesData(name: "L=\(l)", x: thetas, y: empirical[l - 1]))
      series.append(SeriesData(name: "angle map L=\(l)", x: thetas, y: exact.map { $0[l - 1] }))
    }
    return ExperimentResult(xlabel: "theta", ylabel: "cos_theta", xlabelTeX: "input angle $\\theta_0$", ylabelTeX: "$\\cos\\theta^{(l)}$", series: series)
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    var marks: [Mark] = []
    let empirical = result.series.filter { !$0.name.hasPrefix("angle map ") }
    for (i, s) in empirical.enumerated() {
      marks.append(.line(LineSeries(name: "$l = \(s.name.dropFirst(2))$", x: s.x, y: s.y, marker: .circle, markersOnly: true, colorSlot: i)))
      if let e = result.series.first(where: { $0.name == "angle map " + s.name }) {
        marks.append(.line(LineSeries(name: "", x: e.x, y: e.y, lineWidth: 1.1, colorSlot: i)))
      }
    }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .lowerLeft)
    ])
  }
}
