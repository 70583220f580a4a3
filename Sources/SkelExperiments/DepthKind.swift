import SkelDocument
import SkelKernels

/// `{kernel} depth`: the normalized kernel of a depth-L fully connected network, σ̂^{∘L}(ρ).
public struct DepthKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "depth",
    summary: "Iterated normalized dual κ^(L)(ρ) = σ̂∘…∘σ̂(ρ) for several depths L",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "relu", "the activation of every layer"),
      OptionSpec("depths", .list(.integer(min: 1, max: 100_000), minCount: 1), default: "[1, 2, 4, 8, 16]", "depths L, one series each"),
      OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 401)", "input correlations ρ"),
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
    let rho = options.grid("rho")
    let depths = options.integers("depths")
    let maxDepth = depths.max() ?? 1
    // one pass over the grid: iterate each ρ to the deepest L and keep the asked depths
    var ys = [[Double]](repeating: [], count: depths.count)
    for r in rho {
      let path = DepthMap.iterate(a, from: r, depth: maxDepth)
      for (k, L) in depths.enumerated() { ys[k].append(path[L - 1]) }
    }
    let series = depths.enumerated().map { SeriesData(name: "L=\($0.element)", x: rho, y: ys[$0.offset]) }
    return ExperimentResult(xlabel: "rho", ylabel: "kappa", xlabelTeX: "$\\rho$", ylabelTeX: "$\\kappa^{(L)}(\\rho)$", series: series)
  }
}

/// `{kernel} fixed-point`: correlation trajectories ρ_l over depth from several starts, and the
/// fixed points of the dual with their stability.
public struct FixedPointKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "fixed-point",
    summary: "Trajectories ρ_l = σ̂(ρ_{l−1}) from several starts, and the fixed points ρ* = σ̂(ρ*) with their stability",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "relu", "the activation of every layer"),
      OptionSpec("starts", .grid(min: -1, max: 1), default: "[-0.9, -0.5, 0, 0.5, 0.9]", "initial correlations ρ₀, one series each"),
      OptionSpec("depth", .integer(min: 1, max: 100_000), default: "30", "number of layers"),
    ],
    example: """
      ```{kernel} fixed-point
      :label: fig-relu-fixed
      :activation: relu
      :starts: [-0.5, 0, 0.5]
      :depth: 30

      Correlations approach the fixed point ρ* = 1.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let call = options.calls("activation")[0]
    let a = ActivationOption.activation(call)
    let depth = options.integer("depth")
    let layers = (0...depth).map(Double.init)
    let series = options.grid("starts").map { r0 in
      SeriesData(name: "rho0=\(ActivationOption.format(r0))", x: layers, y: [r0] + DepthMap.iterate(a, from: r0, depth: depth))
    }
    let points = DepthMap.fixedPoints(a, gridPoints: a.hasClosedForm ? 2001 : 201)
    let table = TableData(
      columns: ["rho*", "slope", "stability"],
      rows: points.map { [String(cFormat: "%.12g", $0.rho), String(cFormat: "%.12g", $0.slope), $0.stability] })
    return ExperimentResult(
      xlabel: "layer", ylabel: "rho", xlabelTeX: "layer $l$", ylabelTeX: "$\\rho_l$", series: series, table: table)
  }
}
