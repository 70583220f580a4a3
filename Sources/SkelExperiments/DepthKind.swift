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
    let kernel = EqualVarianceKernel(a, q: 1)
    for r in rho {
      let path = DepthMap.iterate(kernel, from: r, depth: maxDepth)
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
      OptionSpec("mode", .choice(["dual", "mean-field"]), default: "dual", "iterate the normalized dual (no bias), or the mean-field maps of a network with (σ_w², σ_b²): pre-activation correlations c^l"),
      OptionSpec("sigma_w2", .number(min: 0, max: 100), default: "2", "weight variance σ_w² (mean-field mode)"),
      OptionSpec("sigma_b2", .number(min: 0, max: 100), default: "0", "bias variance σ_b² (mean-field mode)"),
      OptionSpec("q0", .number(min: 0, max: 1e6), default: "1", "input length x·x/d (mean-field mode)"),
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
    if options.string("mode") == "mean-field" { return meanField(a, options: options, depth: depth) }
    let layers = (0...depth).map(Double.init)
    let kernel = EqualVarianceKernel(a, q: 1)  // series coefficients built once for all starts
    let series = options.grid("starts").map { r0 in
      SeriesData(name: "rho0=\(ActivationOption.format(r0))", x: layers, y: [r0] + DepthMap.iterate(kernel, from: r0, depth: depth))
    }
    let points = DepthMap.fixedPoints(kernel)
    let table = TableData(
      columns: ["rho*", "slope", "stability"],
      rows: points.map { [String(cFormat: "%.12g", $0.rho), String(cFormat: "%.12g", $0.slope), $0.stability] })
    return ExperimentResult(
      xlabel: "layer", ylabel: "rho", xlabelTeX: "layer $l$", ylabelTeX: "$\\rho_l$", series: series, table: table)
  }

  /// c^l of a network with (σ_w², σ_b²) from each start, and the fixed-point analysis.
  func meanField(_ a: Activation, options: ResolvedOptions, depth: Int) -> ExperimentResult {
    let field = MeanField(a)
    let w = options.number("sigma_w2"), b = options.number("sigma_b2"), q0 = options.number("q0")
    let layers = (1...depth).map(Double.init)
    let series = options.grid("starts").map { c0 in
      SeriesData(name: "c0=\(ActivationOption.format(c0))", x: layers, y: field.trajectory(sigmaW2: w, sigmaB2: b, q0: q0, c0: c0, depth: depth).c)
    }
    let p = field.analyze(sigmaW2: w, sigmaB2: b)
    func f(_ v: Double?) -> String { v.map { $0.isFinite ? String(cFormat: "%.10g", $0) : "inf" } ?? "—" }
    let table = TableData(
      columns: ["phase", "q*", "c*", "chi1", "chi_c", "xi_c", "xi_q", "note"],
      rows: [[p.phase.rawValue, f(p.qStar), f(p.cStar), f(p.chi1), f(p.chiC), f(p.xiC), f(p.xiQ), p.note]])
    return ExperimentResult(xlabel: "layer", ylabel: "c", xlabelTeX: "layer $l$", ylabelTeX: "$c^l$", series: series, table: table)
  }
}
