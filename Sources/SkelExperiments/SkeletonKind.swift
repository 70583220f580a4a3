import SkelDocument
import SkelKernels
import SkelPlot

/// `{kernel} skeleton`: the compositional kernel of a computation skeleton (Daniely et al. 2016),
/// any DAG written as a `network` over the input nodes (`Skeleton.init(network:coordinates:)`),
/// against the fully connected skeleton of the same depth and activations on the same inputs.
/// `architecture`, `activation`, `window`, `stride` and `layers` are the shorthand of two
/// networks (`network(_:)`), with the same key as the network they write.
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
    public var network = NetworkValue()
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
    Field(
      "network", \.network, NetworkOption.type,
      "the skeleton as a network over the input nodes x¹…xⁿ (a sequence): dense, conv(padding=valid|circular), avg_pool, global_avg_pool, flatten, parallel … fan_in_sum/fan_in_concat, residual, repeat and activations, read as Daniely et al.'s DAG (each layer with fan-in makes nodes averaging their in-nodes, the activation after it is theirs); default: the shorthand of architecture, activation, window, stride, layers; not with them"
    ),
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
    let coords = o.correlations.count, t = o.t.points.count
    let written = o.network.network != nil
    // the skeleton itself (its lowering is bounded by Skeleton.maxNodes and maxEdges)
    let s = try? Self.skeleton(o)
    let nodes = Double(s?.nodes.count ?? Skeleton.maxNodes) + Double(coords * max(1, s?.depth ?? 1) + 1)
    let edges = Double(s.map { $0.edges.count } ?? Skeleton.maxEdges) + Double(coords)
    let shape = written ? ["correlations", "network"] : ["correlations", "layers"]
    c.doubles([Int(nodes), 8], "skeleton of \(coords) inputs and \(Int(nodes)) nodes", options: shape)
    c.doubles([Int(edges), 2], "\(Int(edges)) edges", options: written ? shape : ["correlations", "window"])
    let closed =
      written
      ? NetworkOption.activations(o.network.network ?? .identity).allSatisfy(\.hasClosedForm) : ActivationOption.closedForm([o.activation])
    let each = UnitCost.kernel(closedForm: closed)
    c.work(2 * Double(t + 2) * nodes, each: each, "\(t) points × \(Int(nodes)) nodes", options: ["t"] + shape)
    c.work(
      2 * Double(t + 2) * edges, each: 1e-8, "\(t) points × \(Int(edges)) edges",
      options: ["t"] + (written ? shape : ["correlations", "window"]))
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let skeleton: Skeleton
    do {
      skeleton = try Self.skeleton(o)
    } catch {
      throw ExperimentError("\(error)")
    }
    let c = o.correlations
    let fc = skeleton.fullyConnectedReference
    let t = o.t.points, name = Self.seriesName(try Self.network(o), skeleton)
    var series = [SeriesData(name: name, x: t, y: try t.map { s in try skeleton.kernel(inputCorrelations: c.map { s * $0 }) })]
    var rows = [[name, String(skeleton.depth), String(skeleton.size), String(cFormat: "%.10f", try skeleton.kernel(inputCorrelations: c))]]
    // the reference beside it, unless the skeleton is its own reference
    if fc != skeleton {
      series.append(SeriesData(name: "fully-connected", x: t, y: try t.map { s in try fc.kernel(inputCorrelations: c.map { s * $0 }) }))
      rows.append(["fully-connected", String(fc.depth), String(fc.size), String(cFormat: "%.10f", try fc.kernel(inputCorrelations: c))])
    }
    // the column keys are the published names (CSV, selectors); the titles are typeset
    let table = TableData(
      columns: ["skeleton", "depth", "size", "kappa(t=1)"], rows: rows, titles: ["skeleton", "depth", "size", "$\\kappa(t = 1)$"])
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
          roles.append(a == .identity ? .pooling : index == s.output ? .output : .hidden)
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
        roles.append(a == .identity ? .pooling : k == s.output ? .output : .hidden)
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

// MARK: - The network option

extension SkeletonKind {
  static let shorthand = ["architecture", "activation", "window", "stride", "layers"]

  /// The network of the shorthand options: `[flatten, repeat(L, [dense, σ])]` (fully connected:
  /// one node reading every input, then a chain) or `[repeat(L, [conv(window, stride,
  /// padding=valid), σ]), global_avg_pool]` (convolutional, then a pooling node).
  static func network(_ o: Options) throws -> Network {
    if let n = o.network.network { return n }
    let a = try ActivationOption.activation(o.activation)
    let layer: Network =
      o.architecture == .fullyConnected
      ? .serial([.dense(DenseLayer()), .activation(a)])
      : .serial([.conv(ConvLayer(window: [o.window], strides: [o.stride], padding: .valid)), .activation(a)])
    let body = Network.repeated(layer, count: o.layers)
    return NetworkOption.normalized(
      o.architecture == .fullyConnected ? .serial([.flatten, body]) : .serial([body, .globalPool(.average)]))
  }

  static func skeleton(_ o: Options) throws -> Skeleton {
    try Skeleton(network: try network(o), coordinates: o.correlations.count)
  }

  /// The series of a network: `fully-connected` when its skeleton is its own fully connected
  /// reference, `convolutional` when it is the convolutional shorthand's form, else `network`.
  static func seriesName(_ n: Network, _ s: Skeleton) -> String {
    if s == s.fullyConnectedReference { return Architecture.fullyConnected.rawValue }
    guard case .serial(let xs) = n, xs.count >= 2, xs.last == .globalPool(.average) else { return "network" }
    func isLayer(_ x: [Network]) -> Bool {
      guard x.count == 2, case .conv(let c) = x[0], case .activation = x[1] else { return false }
      return c.padding == .valid && c.wStd == 1 && c.bStd == nil && c.width == nil && c.parameterization == .ntk
    }
    let body = Array(xs.dropLast())
    if isLayer(body) { return Architecture.convolutional.rawValue }
    if body.count == 1, case .repeated(.serial(let x), _) = body[0], isLayer(x) { return Architecture.convolutional.rawValue }
    return "network"
  }

  /// The shorthand and `network` together; the network's nodes, each problem at its layer.
  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    let conflicts = NetworkShorthandChecks.conflicts(
      directive, shorthand: Self.shorthand,
      writing:
        "[flatten, repeat(layers, [dense, ACTIVATION])] (fully-connected) or [repeat(layers, [conv(window, stride, padding=valid), ACTIVATION]), global_avg_pool] (convolutional)"
    )
    guard conflicts.isEmpty else { return conflicts }
    let n = o.correlations.count
    if let raw = directive.options.first(where: { $0.key == "network" }) {
      do {
        let written = try NetworkOption.parse(raw.value)
        _ = try Skeleton(network: written, coordinates: n)
        return []
      } catch let e as NetworkShapeError {
        let node = NetworkParser.node(at: e.path, in: raw.value)
        return [
          Diagnostic(
            at: raw.location(of: node, path: directive.location.path), length: node.length,
            "\(e.reason) (the skeleton's \(n) input node\(n == 1 ? "" : "s") are the \(n) correlations)")
        ]
      } catch {
        return []  // a syntax error: the option's type reports it
      }
    }
    do {
      _ = try Self.skeleton(o)
      return []
    } catch {
      let at = ["window", "layers", "stride", "correlations"].lazy.compactMap { key in directive.options.first { $0.key == key } }.first
      let reason = (error as? NetworkShapeError)?.reason ?? "\(error)"
      return [
        Diagnostic(
          at: at?.keyLocation ?? directive.location, length: at?.key.count ?? 1,
          "the \(o.architecture.rawValue) skeleton of \(o.layers) layer\(o.layers == 1 ? "" : "s") (window \(o.window), stride \(o.stride)) does not fit \(n) input nodes: \(reason)"
        )
      ]
    }
  }

  /// The key sees the network, however it was written: the shorthand options and the `network`
  /// option give one entry, `network`.
  public func canonicalFields(_ o: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    guard let network = try? Self.network(o) else { return fields }
    let kept = fields.filter { !Self.shorthand.contains($0.name) && $0.name != "network" }
    return kept + [(name: "network", value: NetworkOption.encode(network).canonical)]
  }
}
