import SkelDocument
import SkelKernels
import SkelPlot

/// `{kernel} skeleton`: the compositional kernel of a fully connected or convolutional
/// computation skeleton (Daniely et al. 2016), against the fully connected one on the same inputs.
public struct SkeletonKind: DirectiveKind {
  public init() {}

  public enum Architecture: String, OptionChoice {
    case convolutional
    case fullyConnected = "fully-connected"
  }

  public struct Options: KindOptions {
    public var architecture = Architecture.convolutional
    public var activation = ActivationOption.call("relu")
    public var correlations: [Double] = [1, 0.5, 0, -0.5]
    public var window = 2
    public var stride = 1
    public var layers = 1
    public var t = GridPoints.linspace(0, 1, 101)
    public var realization = 0
    public var inputWidth = 2
    public var outputs = 1
    public init() {}
  }

  public let name = "skeleton"
  public let summary = "Compositional kernel κ_S of a computation skeleton as the input correlations ⟨xⁱ, yⁱ⟩ = t·cᵢ grow from 0 to 1"
  public let fields: [Field<Options>] = [
    .choice("architecture", \.architecture, "the skeleton"),
    Field("activation", \.activation, ActivationOption.type, "activation of the hidden nodes"),
    Field(
      "correlations", \.correlations, .list(.number(min: -1, max: 1), minCount: 1),
      "per-coordinate correlations cᵢ = ⟨xⁱ, yⁱ⟩ at t = 1; their count is the number of input coordinates"),
    Field("window", \.window, .integer(min: 1, max: 10_000), "convolution window (convolutional only)"),
    Field("stride", \.stride, .integer(min: 1, max: 10_000), "convolution stride (convolutional only)"),
    Field("layers", \.layers, .integer(min: 1, max: 100), "convolution layers (nested) or fully connected layers"),
    Field("t", \.t, .grid(min: 0, max: 1), "scale t of the input correlations"),
    Field(
      "realization", \.realization, .integer(min: 0, max: 12),
      "draw the realization N(S, r) instead of the skeleton: every hidden node replicated r times, edges between all replicas (Daniely et al.'s Fig. 2); 0: the skeleton"
    ),
    Field("input_width", \.inputWidth, .integer(min: 1, max: 8), "realization: neurons d per input node"),
    Field("outputs", \.outputs, .integer(min: 1, max: 12), "realization: neurons k of the output node"),
  ]
  public let example = """
    ```{kernel} skeleton
    :label: fig-conv
    :architecture: convolutional
    :correlations: [1, 0.5, 0, -0.5]
    :window: 2

    A convolutional skeleton compares aligned patches only.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let coords = o.correlations.count, layers = o.layers, t = o.t.points.count
    let window = o.architecture == .fullyConnected ? coords : o.window
    // nodes ≤ coordinates per layer; edges ≤ window per node
    let nodes = Double(coords) * Double(layers + 1) + 1, edges = Double(coords) * Double(layers) * Double(window) + Double(coords)
    c.doubles([coords, layers + 1, 8], "skeleton of \(coords) inputs × \(layers) layers", options: ["correlations", "layers"])
    c.doubles([coords, layers, min(window, coords)], "edges", options: ["correlations", "window"])
    let each = UnitCost.kernel(closedForm: ActivationOption.closedForm([o.activation]))
    c.work(2 * Double(t + 2) * nodes, each: each, "\(t) points × \(Int(nodes)) nodes", options: ["t", "correlations", "layers"])
    c.work(2 * Double(t + 2) * edges, each: 1e-8, "\(t) points × \(Int(edges)) edges", options: ["t", "correlations", "window"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = try ActivationOption.activation(o.activation)
    let c = o.correlations
    let fc = try Skeleton.fullyConnected(activations: Array(repeating: a, count: o.layers), coordinates: c.count)
    let skeleton: Skeleton
    do {
      skeleton =
        o.architecture == .fullyConnected
        ? fc
        : try Skeleton.convolutional(coordinates: c.count, layers: Array(repeating: (o.window, o.stride, a), count: o.layers))
    } catch {
      throw ExperimentError("\(error)")
    }
    let t = o.t.points, architecture = o.architecture.rawValue
    var series = [SeriesData(name: architecture, x: t, y: try t.map { s in try skeleton.kernel(inputCorrelations: c.map { s * $0 }) })]
    if o.architecture != .fullyConnected {
      series.append(SeriesData(name: "fully-connected", x: t, y: try t.map { s in try fc.kernel(inputCorrelations: c.map { s * $0 }) }))
    }
    let table = TableData(
      columns: ["skeleton", "depth", "size", "kappa(t=1)"],
      rows: [
        [architecture, String(skeleton.depth), String(skeleton.size), String(cFormat: "%.10f", try skeleton.kernel(inputCorrelations: c))],
        ["fully-connected", String(fc.depth), String(fc.size), String(cFormat: "%.10f", try fc.kernel(inputCorrelations: c))],
      ])
    return ExperimentResult(
      xlabel: "t", ylabel: "kappa", xlabelTeX: "$t$", ylabelTeX: "$\\kappa_S$", series: series, table: table,
      graph: o.realization > 0
        ? Self.realizationData(skeleton, r: o.realization, d: o.inputWidth, k: o.outputs)
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
  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    let lines = result.series.map { LineSeries(name: $0.name, x: $0.x, y: $0.y) }
    let curve = Axes(x: AxisSpec(label: result.xlabelTeX), y: AxisSpec(label: result.ylabelTeX), lines: lines)
    guard let g = result.graph else { return Figure(width: size.width, height: size.height, panels: [curve]) }
    let drawing = GraphDrawing.layered(
      levels: g.levels, labels: g.labels, styles: g.roles.map(Self.style),
      edges: g.edges.map { ($0[0], $0[1]) })
    return Figure(width: size.width * 1.5, height: size.height, panels: [Axes(marks: [.graph(drawing)]), curve], columns: 2)
  }
}
