import SkelDocument
import SkelKernels
import SkelPlot

/// `{kernel} skeleton`: the compositional kernel of a fully connected or convolutional
/// computation skeleton (Daniely et al. 2016), against the fully connected one on the same inputs.
public struct SkeletonKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "skeleton",
    summary: "Compositional kernel κ_S of a computation skeleton as the input correlations ⟨xⁱ, yⁱ⟩ = t·cᵢ grow from 0 to 1",
    options: [
      OptionSpec("architecture", .choice(["convolutional", "fully-connected"]), default: "convolutional", "the skeleton"),
      OptionSpec("activation", ActivationOption.type, default: "relu", "activation of the hidden nodes"),
      OptionSpec("correlations", .list(.number(min: -1, max: 1), minCount: 1), default: "[1, 0.5, 0, -0.5]", "per-coordinate correlations cᵢ = ⟨xⁱ, yⁱ⟩ at t = 1; their count is the number of input coordinates"),
      OptionSpec("window", .integer(min: 1, max: 10_000), default: "2", "convolution window (convolutional only)"),
      OptionSpec("stride", .integer(min: 1, max: 10_000), default: "1", "convolution stride (convolutional only)"),
      OptionSpec("layers", .integer(min: 1, max: 100), default: "1", "convolution layers (nested) or fully connected layers"),
      OptionSpec("t", .grid(min: 0, max: 1), default: "linspace(0, 1, 101)", "scale t of the input correlations"),
      OptionSpec("realization", .integer(min: 0, max: 12), default: "0", "draw the realization N(S, r) instead of the skeleton: every hidden node replicated r times, edges between all replicas (Daniely et al.'s Fig. 2); 0: the skeleton"),
      OptionSpec("input_width", .integer(min: 1, max: 8), default: "2", "realization: neurons d per input node"),
      OptionSpec("outputs", .integer(min: 1, max: 12), default: "1", "realization: neurons k of the output node"),
    ],
    example: """
      ```{kernel} skeleton
      :label: fig-conv
      :architecture: convolutional
      :correlations: [1, 0.5, 0, -0.5]
      :window: 2

      A convolutional skeleton compares aligned patches only.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let c = options.numbers("correlations")
    let layers = options.integer("layers")
    let fc = try Skeleton.fullyConnected(activations: Array(repeating: a, count: layers), coordinates: c.count)
    let skeleton: Skeleton
    do {
      skeleton = options.string("architecture") == "fully-connected"
        ? fc
        : try Skeleton.convolutional(coordinates: c.count, layers: Array(repeating: (options.integer("window"), options.integer("stride"), a), count: layers))
    } catch {
      throw ExperimentError("\(error)")
    }
    let t = options.grid("t")
    var series = [SeriesData(name: options.string("architecture"), x: t, y: try t.map { s in try skeleton.kernel(inputCorrelations: c.map { s * $0 }) })]
    if options.string("architecture") != "fully-connected" {
      series.append(SeriesData(name: "fully-connected", x: t, y: try t.map { s in try fc.kernel(inputCorrelations: c.map { s * $0 }) }))
    }
    let table = TableData(
      columns: ["skeleton", "depth", "size", "kappa(t=1)"],
      rows: [
        [options.string("architecture"), String(skeleton.depth), String(skeleton.size), String(cFormat: "%.10f", try skeleton.kernel(inputCorrelations: c))],
        ["fully-connected", String(fc.depth), String(fc.size), String(cFormat: "%.10f", try fc.kernel(inputCorrelations: c))],
      ])
    return ExperimentResult(
      xlabel: "t", ylabel: "kappa", xlabelTeX: "$t$", ylabelTeX: "$\\kappa_S$", series: series, table: table,
      graph: options.integer("realization") > 0
        ? Self.realizationData(skeleton, r: options.integer("realization"), d: options.integer("input_width"), k: options.integer("outputs"))
        : Self.graphData(skeleton))
  }

  /// The realization N(S, r, k) as a graph: each input node becomes d neurons, each hidden node r,
  /// the output node k, and every skeleton edge (u, v) joins every neuron of u to every neuron of v.
  static func realizationData(_ s: Skeleton, r: Int, d: Int, k: Int) -> GraphData {
    var levels: [Int] = [], labels: [String] = [], roles: [NodeRole] = []
    var neurons: [[Int]] = []
    for (index, node) in s.nodes.enumerated() {
      var ids: [Int] = []
      let count: Int
      switch node {
      case .input: count = d
      case .hidden: count = index == s.output ? k : r
      }
      for j in 0..<count {
        ids.append(levels.count)
        levels.append(s.levels[index])
        switch node {
        case .input(let c):
          labels.append("$x^{\(c + 1)}_{\(j + 1)}$")
          roles.append(.input)
        case .hidden(let a, _):
          labels.append("")
          roles.append(index == s.output ? (a == .identity ? .pooling : .output) : .hidden)
        }
      }
      neurons.append(ids)
    }
    var edges: [[Int]] = []
    for (u, v) in s.edges { for i in neurons[u] { for j in neurons[v] { edges.append([i, j]) } } }
    return GraphData(levels: levels, labels: labels, roles: roles, edges: edges)
  }

  /// The skeleton as a drawable graph: inputs x¹…xⁿ, hidden nodes, the output (or pooling) node.
  static func graphData(_ s: Skeleton) -> GraphData {
    var labels: [String] = [], roles: [NodeRole] = []
    for (k, node) in s.nodes.enumerated() {
      switch node {
      case .input(let c):
        labels.append("$x^{\(c + 1)}$")
        roles.append(.input)
      case .hidden(let a, _):
        labels.append("")
        roles.append(k == s.output ? (a == .identity ? .pooling : .output) : .hidden)
      }
    }
    return GraphData(levels: s.levels, labels: labels, roles: roles, edges: s.edges.map { [$0.0, $0.1] })
  }

  static func style(_ role: NodeRole) -> GraphDrawing.Style {
    switch role {
    case .input: return .input
    case .hidden: return .hidden
    case .output: return .output
    case .pooling: return .pooling
    }
  }

  /// Two panels: the skeleton drawn layer by layer, and its kernel against the fully connected one.
  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    let lines = result.series.map { LineSeries(name: $0.name, x: $0.x, y: $0.y) }
    let curve = Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), lines: lines)
    guard let g = result.graph else { return Figure(width: size.width, height: size.height, panels: [curve]) }
    let drawing = GraphDrawing.layered(
      levels: g.levels, labels: g.labels, styles: g.roles.map(Self.style),
      edges: g.edges.map { ($0[0], $0[1]) })
    return Figure(width: size.width * 1.5, height: size.height, panels: [Axes(marks: [.graph(drawing)]), curve], columns: 2)
  }
}
