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
public struct RealizationKind: DirectiveKind {
  public init() {}

  public struct Options: KindOptions {
    public var law = CallValue("gaussian", specs: WeightsKind.lawSpecs)
    public var depths = [1, 2, 4, 8, 16, 32]
    public var width = 1000
    public var slope = 0.0
    public var theta = GridPoints.linspace(0, Double.pi, 41, written: "linspace(0, pi, 41)")
    public init() {}
  }

  public let name = "realization"
  public let summary =
    "Normalized kernel cos θ^(l) of a finite random deep (leaky) ReLU network with explicit weights of any law, against the infinite-width angle map"
  public let fields: [Field<Options>] = [
    Field(
      "law", \.law, .callable(noun: "weight law", WeightsKind.lawSpecs),
      "law of each neuron's weight vector (scaled to variance 2/(n(1+a²)) per entry)"),
    Field("depths", \.depths, .list(.integer(min: 1, max: 1000), minCount: 1), "depths l shown, one series each"),
    Field("width", \.width, .integer(min: 1, max: 20000), "width r of every layer"),
    Field("slope", \.slope, .number(min: 0, max: 1), "negative slope a (0: ReLU)"),
    Field("theta", \.theta, .grid(min: 0, max: 3.141592653589793), "input angles θ₀"),
  ]
  public let example = """
    ```{kernel} realization
    :label: fig-realization
    :law: student_t(nu=5)
    :width: 1000

    A finite network follows the angle map.
    ```
    """

  /// Student-t needs ν > 2 (the weights kind's check of the `law` option).
  public func check(_ o: Options, directive: Directive) -> [Diagnostic] { WeightsKind().check(directive) }

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let depths = o.depths, deepest = depths.max() ?? 1, r = o.width, t = o.theta.points.count
    // h (inputs × r) and its product, the weights (fan-in × r), the kernels per layer
    c.doubles([t + 1, r, 2], "activations \(t + 1) × width \(r)", options: ["theta", "width"])
    c.doubles([r, r], "weights \(r) × \(r)", options: ["width"])
    c.doubles([deepest, t, 3], "depth \(deepest) × \(t) angles", options: ["depths", "theta"])
    c.work(
      Double(deepest) * Double(t + 1) * Double(r) * Double(r), each: UnitCost.flop,
      "depth \(deepest) × \(t + 1) inputs × width \(r)²", options: ["width", "theta", "depths"])
    c.work(
      Double(deepest) * Double(r) * Double(r), each: UnitCost.draw, "depth \(deepest) × width \(r)² weights", options: ["width", "depths"])
    c.work(Double(deepest) * Double(t) * Double(deepest), each: UnitCost.closedKernel, "exact angle maps", options: ["theta", "depths"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let law = WeightsKind.law(o.law.name, o.law.arguments)
    let a = o.slope, thetas = o.theta.points
    guard let deepest = o.depths.max() else { throw ExperimentError("realization needs at least one depth") }
    var g = SeededGenerator(seed: context.seed, label: law.description)
    let empirical: [[Double]]
    do {
      empirical = try ExplicitRealization.normalizedKernels(
        thetas: thetas, width: o.width, depth: deepest, slope: a, law: law, generator: &g)
    } catch {
      throw ExperimentError("\(error)")
    }
    let exact = thetas.map { AngleMap.angles(from: $0, a: a, depth: deepest).map(cos) }
    var series: [SeriesData] = []
    for l in o.depths {
      let depth = ["L": Double(l)]
      series.append(SeriesData(name: "L=\(l)", x: thetas, y: empirical[l - 1], role: .estimate, parameters: depth))
      series.append(SeriesData(name: "angle map L=\(l)", x: thetas, y: exact.map { $0[l - 1] }, role: .limit, parameters: depth))
    }
    return ExperimentResult(
      xlabel: "theta", ylabel: "cos_theta", xlabelTeX: "input angle $\\theta_0$", ylabelTeX: "$\\cos\\theta^{(l)}$", series: series)
  }

  /// Markers of the finite network per depth, each over its angle map (a line in its colour).
  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    var marks: [Mark] = []
    let empirical = result.series.filter { $0.role == .estimate }
    for (i, s) in empirical.enumerated() {
      // spaced as TeX spaces a relation (the figure's math text drops plain spaces): not `l=1`
      let name = s.parameters?["L"].map { SeriesLabel.math("l", $0) } ?? ""
      marks.append(.line(LineSeries(name: name, x: s.x, y: s.y, marker: .circle, markersOnly: true, colorSlot: i)))
      if let e = result.series.first(where: { $0.role == .limit && $0.parameters == s.parameters }) {
        marks.append(.line(LineSeries(name: "", x: e.x, y: e.y, lineWidth: 1.1, colorSlot: i)))
      }
    }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .best)
      ])
  }
}
