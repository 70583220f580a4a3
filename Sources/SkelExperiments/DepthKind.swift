import SkelDocument
import SkelKernels

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} depth`: the normalized kernel of a depth-L fully connected network, σ̂^{∘L}(ρ).
public struct DepthKind: DirectiveKind {
  public init() {}

  public enum Axis: String, OptionChoice {
    case rho, angle
  }

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("relu")
    public var depths = [1, 2, 4, 8, 16]
    public var rho = GridPoints.linspace(-1, 1, 401)
    public var axis = Axis.rho
    public var theta = GridPoints.linspace(0, Double.pi, 101, written: "linspace(0, pi, 101)")
    public init() {}
  }

  public let name = "depth"
  public let summary = "Iterated normalized dual κ^(L)(ρ) = σ̂∘…∘σ̂(ρ) for several depths L"
  public let fields: [Field<Options>] = [
    Field("activation", \.activation, ActivationOption.type, "the activation of every layer"),
    Field("depths", \.depths, .list(.integer(min: 1, max: 100_000), minCount: 1), "depths L, one series each"),
    Field("rho", \.rho, .grid(min: -1, max: 1), "input correlations ρ (axis: rho)"),
    .choice(
      "axis", \.axis, "x axis: the input correlation ρ, or the input angle θ⁰ with cos θ^(L) = κ^(L)(cos θ⁰) (Tsuchida et al.'s angle map)"),
    Field("theta", \.theta, .grid(min: 0, max: 3.141592653589793), "input angles θ⁰ (axis: angle)"),
  ]
  public let example = """
    ```{kernel} depth
    :label: fig-relu-depth
    :activation: relu
    :depths: [1, 2, 4, 8, 16]

    Normalized ReLU kernel for several depths.
    ```
    """

  /// The input correlations of the x axis (cos θ⁰ on the angle axis).
  func inputs(_ o: Options) -> [Double] { o.axis == .angle ? o.theta.points.map { cos($0) } : o.rho.points }

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let rho = inputs(o).count, depths = o.depths, deepest = depths.max() ?? 1
    c.doubles([depths.count, rho, 2], "\(depths.count) depths × \(rho) correlations", options: ["depths", "rho"])
    c.doubles([deepest], "path of depth \(deepest)", options: ["depths"])
    let each = UnitCost.kernel(closedForm: ActivationOption.closedForm([o.activation]))
    c.work(Double(rho) * Double(deepest), each: each, "\(rho) correlations × depth \(deepest)", options: ["rho", "depths"])
    c.work(Double(rho) * Double(depths.count), each: 1e-8, "\(rho) correlations × \(depths.count) depths", options: ["rho", "depths"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = try ActivationOption.activation(o.activation)
    let angle = o.axis == .angle
    let rho = inputs(o)
    let maxDepth = o.depths.max() ?? 1
    // one pass over the grid: iterate each ρ to the deepest L and keep the asked depths
    var ys = [[Double]](repeating: [], count: o.depths.count)
    let kernel = EqualVarianceKernel(a, q: 1)
    for r in rho {
      let path = DepthMap.iterate(kernel, from: r, depth: maxDepth)
      for (k, L) in o.depths.enumerated() { ys[k].append(path[L - 1]) }
    }
    let x = angle ? o.theta.points : rho
    let series = o.depths.enumerated().map { SeriesData(name: "L=\($0.element)", x: x, y: ys[$0.offset]) }
    if angle {
      return ExperimentResult(
        xlabel: "theta0", ylabel: "cos_theta", xlabelTeX: "$\\theta^{(0)}$", ylabelTeX: "$\\cos\\theta^{(L)}$", series: series)
    }
    return ExperimentResult(xlabel: "rho", ylabel: "kappa", xlabelTeX: "$\\rho$", ylabelTeX: "$\\kappa^{(L)}(\\rho)$", series: series)
  }
}
