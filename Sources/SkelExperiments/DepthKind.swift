import SkelDocument
import SkelKernels

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} depth`: the normalized kernel of a depth-L fully connected network, σ̂^{∘L}(ρ).
public struct DepthKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "depth",
    summary: "Iterated normalized dual κ^(L)(ρ) = σ̂∘…∘σ̂(ρ) for several depths L",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "relu", "the activation of every layer"),
      OptionSpec("depths", .list(.integer(min: 1, max: 100_000), minCount: 1), default: "[1, 2, 4, 8, 16]", "depths L, one series each"),
      OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 401)", "input correlations ρ (axis: rho)"),
      OptionSpec("axis", .choice(["rho", "angle"]), default: "rho", "x axis: the input correlation ρ, or the input angle θ⁰ with cos θ^(L) = κ^(L)(cos θ⁰) (Tsuchida et al.'s angle map)"),
      OptionSpec("theta", .grid(min: 0, max: 3.141592653589793), default: "linspace(0, pi, 101)", "input angles θ⁰ (axis: angle)"),
    ],
    example: """
      ```{kernel} depth
      :label: fig-relu-depth
      :activation: relu
      :depths: [1, 2, 4, 8, 16]

      Normalized ReLU kernel for several depths.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let angle = options.string("axis") == "angle"
    let thetas = options.grid("theta")
    let rho = angle ? thetas.map { cos($0) } : options.grid("rho")
    let depths = options.integers("depths")
    let maxDepth = depths.max() ?? 1
    // one pass over the grid: iterate each ρ to the deepest L and keep the asked depths
    var ys = [[Double]](repeating: [], count: depths.count)
    let kernel = EqualVarianceKernel(a, q: 1)
    for r in rho {
      let path = DepthMap.iterate(kernel, from: r, depth: maxDepth)
      for (k, L) in depths.enumerated() { ys[k].append(path[L - 1]) }
    }
    let series = depths.enumerated().map { SeriesData(name: "L=\($0.element)", x: angle ? thetas : rho, y: ys[$0.offset]) }
    if angle {
      return ExperimentResult(xlabel: "theta0", ylabel: "cos_theta", xlabelTeX: "$\\theta^{(0)}$", ylabelTeX: "$\\cos\\theta^{(L)}$", series: series)
    }
    return ExperimentResult(xlabel: "rho", ylabel: "kappa", xlabelTeX: "$\\rho$", ylabelTeX: "$\\kappa^{(L)}(\\rho)$", series: series)
  }
}
