/// A computation skeleton (Daniely, Frostig, Singer 2016): a DAG whose input nodes each read one
/// coordinate xⁱ ∈ S^{d−1} and whose other nodes carry an activation. Its compositional kernel is
/// ```
/// κ_v(x, y) = ⟨xⁱ, yⁱ⟩                                  v the input node of coordinate i
/// κ_v(x, y) = σ̂_v( (1/|in(v)|) Σ_{u ∈ in(v)} κ_u(x, y) )   otherwise
/// ```
/// with σ̂_v the normalized dual. Identity nodes are average pooling.
public struct Skeleton: Sendable, Hashable {
  public enum Node: Sendable, Hashable {
    case input(coordinate: Int)
    /// Reads the nodes at the given indices (all earlier in `nodes`).
    case hidden(activation: Activation, inputs: [Int])
  }

  /// Nodes in topological order; the last one is the output.
  public private(set) var nodes: [Node]
  public let coordinates: Int

  public init(nodes: [Node]) throws(KernelError) {
    var coords = 0
    for (k, node) in nodes.enumerated() {
      switch node {
      case .input(let c):
        guard c >= 0 else { throw .invalid("skeleton input node \(k) has a negative coordinate") }
        coords = max(coords, c + 1)
      case .hidden(_, let inputs):
        guard !inputs.isEmpty else { throw .invalid("skeleton node \(k) has no inputs") }
        guard inputs.allSatisfy({ $0 >= 0 && $0 < k }) else {
          throw .invalid("skeleton node \(k) reads a node that is not before it (the graph must be acyclic, in topological order)")
        }
      }
    }
    guard let last = nodes.last, case .hidden = last else {
      throw .invalid("a skeleton needs at least one non-input node, the last being the output")
    }
    self.nodes = nodes
    coordinates = coords
  }

  public var output: Int { nodes.count - 1 }

  /// |S|: the number of non-input nodes.
  public var size: Int { nodes.filter { if case .hidden = $0 { return true } else { return false } }.count }

  /// depth(S): the longest path from an input node to the output, in edges.
  public var depth: Int { levels.last ?? 0 }

  /// The level of each node: 0 for inputs, 1 + the deepest input otherwise (the layout's layers).
  public var levels: [Int] {
    var level = [Int](repeating: 0, count: nodes.count)
    for (k, node) in nodes.enumerated() {
      if case .hidden(_, let inputs) = node { level[k] = 1 + (inputs.map { level[$0] }.max() ?? 0) }
    }
    return level
  }

  /// Edges (from, to) for drawing.
  public var edges: [(Int, Int)] {
    nodes.enumerated().flatMap { (k, node) -> [(Int, Int)] in
      if case .hidden(_, let inputs) = node { return inputs.map { ($0, k) } }
      return []
    }
  }

  /// The compositional kernel κ_S for per-coordinate input correlations ⟨xⁱ, yⁱ⟩.
  public func kernel(inputCorrelations rho: [Double]) throws(KernelError) -> Double {
    guard rho.count >= coordinates else {
      throw .shapeMismatch("the skeleton reads \(coordinates) coordinates, \(rho.count) correlations given")
    }
    var kappa = [Double](repeating: 0, count: nodes.count)
    var variance: [Activation: Double] = [:]
    for (k, node) in nodes.enumerated() {
      switch node {
      case .input(let c): kappa[k] = rho[c]
      case .hidden(let a, let inputs):
        let mean = inputs.reduce(0) { $0 + kappa[$1] } / Double(inputs.count)
        if a == .identity {
          kappa[k] = mean
          continue
        }
        let v = variance[a] ?? Dual.variance(a)
        variance[a] = v
        kappa[k] = a.kernel(q11: 1, q22: 1, q12: min(1, max(-1, mean))).nngp / v
      }
    }
    return kappa[output]
  }

  // MARK: - Builders

  /// A fully connected chain: one node per layer, the first reading all `coordinates` inputs.
  /// κ = σ̂_L ∘ … ∘ σ̂₁((1/n) Σᵢ ⟨xⁱ, yⁱ⟩).
  public static func fullyConnected(activations: [Activation], coordinates n: Int = 1) throws(KernelError) -> Skeleton {
    guard !activations.isEmpty, n >= 1 else { throw .invalid("a fully connected skeleton needs at least one layer and one input") }
    var nodes: [Node] = (0..<n).map { .input(coordinate: $0) }
    var previous = Array(0..<n)
    for a in activations {
      nodes.append(.hidden(activation: a, inputs: previous))
      previous = [nodes.count - 1]
    }
    return try Skeleton(nodes: nodes)
  }

  /// A convolutional skeleton: each layer slides a window (width w, stride s) over the previous
  /// layer's nodes with activation σ; then, if `pooling`, an identity node averages the last layer.
  /// Nested layers make deeper convnets.
  public static func convolutional(coordinates n: Int, layers: [(window: Int, stride: Int, activation: Activation)], pooling: Bool = true)
    throws(KernelError) -> Skeleton
  {
    var nodes: [Node] = (0..<n).map { .input(coordinate: $0) }
    var previous = Array(0..<n)
    for (w, s, a) in layers {
      guard w >= 1, s >= 1, w <= previous.count else {
        throw .invalid("a convolution window of \(w) with stride \(s) does not fit \(previous.count) nodes")
      }
      var next: [Int] = []
      var start = 0
      while start + w <= previous.count {
        nodes.append(.hidden(activation: a, inputs: Array(previous[start..<(start + w)])))
        next.append(nodes.count - 1)
        start += s
      }
      previous = next
    }
    if pooling || previous.count > 1 { nodes.append(.hidden(activation: .identity, inputs: previous)) }
    return try Skeleton(nodes: nodes)
  }
}
