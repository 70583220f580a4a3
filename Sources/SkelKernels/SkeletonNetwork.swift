/// A computation skeleton written as a `Network` (Daniely et al. 2016 in neural-tangents' layer
/// vocabulary). The network reads n input nodes x¹…xⁿ laid out as a sequence (one spatial axis of
/// n positions) and is read as a skeleton, not as stax reads it:
///
/// - every layer with fan-in makes skeleton nodes: `dense` one per position reading that
///   position's nodes (on a vector, after `flatten` or a global pool, one node reading them all),
///   `conv(window=w, stride=s, padding=valid|circular)` one per window, `avg_pool` one per window,
///   `global_avg_pool` one reading every position, `fan_in_sum` one per position reading the
///   branches' nodes there; `fan_in_concat` makes none (the next layer's nodes read the nodes of
///   every branch);
/// - a node's kernel is the mean of its in-nodes' kernels (weights of variance 1/δ(v): the
///   weights of `dense`/`conv` are fixed by the skeleton, `w_std`, `b_std`, `width` and
///   `parameterization` are not skeleton parameters);
/// - an activation right after such a layer is the activation of its nodes (normalized dual
///   σ̂); a node without one is an identity (pooling) node. An activation anywhere else (on the
///   input nodes, after another activation, after `flatten`) has no node to belong to;
/// - the network ends in one node, the output, whose kernel is κ_S.
///
/// A node read by several layers (the input of a `parallel`) is one node of the DAG: the same
/// in-nodes with the same activation are one node. Layers the skeleton cannot take (`layer_norm`,
/// `dropout`, sum pooling, `same` padding, 2-D windows) are refused with the reason, at their
/// index path (`NetworkShapeError.path`, as `Network.outputShape` gives it).
extension Skeleton {
  /// The most nodes and edges a skeleton from a network may have (each costs a step of every
  /// kernel evaluation; more is a typo or a bomb, not a skeleton).
  public static let maxNodes = 100_000
  public static let maxEdges = 2_000_000

  /// The skeleton a network writes over `coordinates` input nodes.
  public init(network: Network, coordinates n: Int) throws(NetworkShapeError) {
    guard n >= 1 else { throw NetworkShapeError(path: [], reason: "a skeleton needs at least one input node") }
    var b = SkeletonBuilder(coordinates: n)
    var f = SkeletonBuilder.Frontier(spatial: true, bundles: (0..<n).map { [.node($0)] })
    f = try b.apply(network, to: f, path: [])
    let items = f.bundles.flatMap { $0 }
    guard items.count == 1, let only = items.first else {
      throw NetworkShapeError(
        path: [],
        reason:
          "the network ends in \(items.count) skeleton nodes (\(f.spatial ? "\(f.bundles.count) positions" : "a vector of \(items.count)")); a skeleton's kernel κ_S is that of one output node: end it with global_avg_pool, or with flatten and dense"
      )
    }
    let output = try b.materialize(only, activation: nil, path: [])
    guard output >= n else {
      throw NetworkShapeError(
        path: [], reason: "the network ends in the input node x^\(output + 1): a skeleton needs a node besides its inputs")
    }
    do {
      try self.init(nodes: b.pruned(output: output))
    } catch {
      throw NetworkShapeError(path: [], reason: "\(error)")
    }
  }

  /// The fully connected skeleton of the same depth and activations: the chain of the
  /// activations on the longest path from an input to the output (identity nodes left out; the
  /// first such path in node order), its first node reading every input.
  public var fullyConnectedReference: Skeleton {
    // best[k]: the most non-identity nodes on a path ending at k, and the previous node
    var best = [(count: Int, previous: Int)](repeating: (0, -1), count: nodes.count)
    for (k, node) in nodes.enumerated() {
      guard case .hidden(let a, let inputs) = node else { continue }
      var top = (count: -1, previous: -1)
      for u in inputs where best[u].count > top.count { top = (best[u].count, u) }
      best[k] = (top.count + (a == .identity ? 0 : 1), top.previous)
    }
    var path: [Activation] = []
    var k = output
    while k >= 0, case .hidden(let a, _) = nodes[k] {
      if a != .identity { path.append(a) }
      k = best[k].previous
    }
    let chain = path.isEmpty ? [Activation.identity] : Array(path.reversed())
    return (try? Skeleton.fullyConnected(activations: chain, coordinates: max(1, coordinates))) ?? self
  }
}

/// The walk of `Skeleton.init(network:coordinates:)`: nodes are made when a layer with fan-in
/// is followed by the next layer (an activation gives them its activation, anything else makes
/// them identity nodes).
struct SkeletonBuilder {
  /// A position's nodes: made ones, or pending ones (their in-nodes known, their activation not).
  enum Item: Hashable {
    case node(Int)
    case pending(Int)
  }

  struct Frontier {
    /// A sequence of positions (`bundles[p]` the nodes at position p), or a vector (one bundle).
    var spatial: Bool
    var bundles: [[Item]]
  }

  struct Key: Hashable {
    var pending: Int
    var activation: Activation
  }

  var nodes: [Skeleton.Node]
  var pendingInputs: [[Int]] = []
  var made: [Key: Int] = [:]
  var edges = 0

  let coordinates: Int

  init(coordinates n: Int) {
    coordinates = n
    nodes = (0..<n).map { .input(coordinate: $0) }
  }

  static func fail(_ path: [Int], _ reason: String) -> NetworkShapeError { NetworkShapeError(path: path, reason: reason) }

  /// The node an item is, made with `activation` (nil: identity) if it is pending.
  mutating func materialize(_ item: Item, activation: Activation?, path: [Int]) throws(NetworkShapeError) -> Int {
    switch item {
    case .node(let id): return id
    case .pending(let p):
      let key = Key(pending: p, activation: activation ?? .identity)
      if let id = made[key] { return id }
      guard nodes.count < Skeleton.maxNodes else {
        throw Self.fail(path, "the skeleton would have more than \(Skeleton.maxNodes) nodes")
      }
      nodes.append(.hidden(activation: key.activation, inputs: pendingInputs[p]))
      made[key] = nodes.count - 1
      return nodes.count - 1
    }
  }

  /// A pending node reading `items` (made identity nodes first).
  mutating func pending(reading items: [Item], path: [Int]) throws(NetworkShapeError) -> Item {
    var inputs: [Int] = []
    inputs.reserveCapacity(items.count)
    for i in items { inputs.append(try materialize(i, activation: nil, path: path)) }
    edges += inputs.count
    guard edges <= Skeleton.maxEdges else { throw Self.fail(path, "the skeleton would have more than \(Skeleton.maxEdges) edges") }
    guard pendingInputs.count < Skeleton.maxNodes else {
      throw Self.fail(path, "the skeleton would have more than \(Skeleton.maxNodes) nodes")
    }
    pendingInputs.append(inputs)
    return .pending(pendingInputs.count - 1)
  }

  /// The hidden nodes the output reads (directly or not), the inputs kept, renumbered in order.
  func pruned(output: Int) -> [Skeleton.Node] {
    var live = [Bool](repeating: false, count: nodes.count)
    live[output] = true
    for k in stride(from: output, through: 0, by: -1) where live[k] {
      if case .hidden(_, let inputs) = nodes[k] { for u in inputs { live[u] = true } }
    }
    var index = [Int](repeating: -1, count: nodes.count)
    var out: [Skeleton.Node] = []
    for (k, node) in nodes.enumerated() where k <= output {
      switch node {
      case .input:
        index[k] = out.count
        out.append(node)
      case .hidden(let a, let inputs) where live[k]:
        index[k] = out.count
        out.append(.hidden(activation: a, inputs: inputs.map { index[$0] }))
      case .hidden: continue
      }
    }
    return out
  }

  // MARK: - Layers

  mutating func apply(_ layer: Network, to f: Frontier, path: [Int]) throws(NetworkShapeError) -> Frontier {
    switch layer {
    case .dense(let d):
      try Self.checkWeights(width: d.width, wStd: d.wStd, bStd: d.bStd, d.parameterization, "dense", path)
      if !f.spatial { return Frontier(spatial: false, bundles: [[try pending(reading: f.bundles.flatMap { $0 }, path: path)]]) }
      var out: [[Item]] = []
      for bundle in f.bundles { out.append([try pending(reading: bundle, path: path)]) }
      return Frontier(spatial: true, bundles: out)
    case .activation(let a):
      var out: [[Item]] = []
      for bundle in f.bundles {
        var next: [Item] = []
        for item in bundle {
          guard case .pending = item else { throw Self.fail(path, misplaced(a, item)) }
          next.append(.node(try materialize(item, activation: a, path: path)))
        }
        out.append(next)
      }
      return Frontier(spatial: f.spatial, bundles: out)
    case .conv(let c):
      try Self.checkWeights(width: c.width, wStd: c.wStd, bStd: c.bStd, c.parameterization, "conv", path)
      return try windows(f, c.window, c.strides, c.padding, "conv", path)
    case .pool(let p):
      let name = p.mode == .average ? "avg_pool" : "sum_pool"
      guard p.mode == .average else {
        throw Self.fail(
          path, "sum_pool scales the kernel by its window; a skeleton's nodes average their in-nodes (κ_v(x, x) = 1): use avg_pool")
      }
      return try windows(f, p.window, p.strides, p.padding, name, path)
    case .globalPool(let m):
      guard m == .average else {
        throw Self.fail(
          path, "global_sum_pool scales the kernel by the positions; a skeleton's nodes average their in-nodes: use global_avg_pool")
      }
      guard f.spatial else {
        throw Self.fail(path, "global_avg_pool needs positions, but its input is a vector (after flatten or a global pool)")
      }
      return Frontier(spatial: false, bundles: [[try pending(reading: f.bundles.flatMap { $0 }, path: path)]])
    case .flatten:
      var all: [Item] = []
      for item in f.bundles.flatMap({ $0 }) { all.append(.node(try materialize(item, activation: nil, path: path))) }
      return Frontier(spatial: false, bundles: [all])
    case .layerNorm:
      throw Self.fail(path, "layer_norm is not a node of a computation skeleton (its kernels are normalized already: κ_v(x, x) = 1)")
    case .dropout:
      throw Self.fail(path, "dropout is not a node of a computation skeleton (Daniely et al.'s realizations have no dropout)")
    case .identity:
      return f
    case .serial(let layers):
      var s = f
      for (i, l) in layers.enumerated() { s = try apply(l, to: s, path: path + [i]) }
      return s
    case .parallel(let branches, let fanIn):
      return try parallel(branches, fanIn, f, path)
    case .repeated(let body, let count):
      var s = f
      for _ in 0..<max(0, count) { s = try apply(body, to: s, path: path + [0]) }
      return s
    }
  }

  mutating func parallel(_ branches: [Network], _ fanIn: NetworkFanIn, _ f: Frontier, _ path: [Int]) throws(NetworkShapeError)
    -> Frontier
  {
    var outs: [Frontier] = []
    for (b, branch) in branches.enumerated() { outs.append(try apply(branch, to: f, path: path + [b])) }
    guard let first = outs.first else { throw Self.fail(path, "parallel needs at least one branch") }
    let name = "fan_in_\(fanIn.rawValue)"
    for o in outs where o.spatial != first.spatial || (o.spatial && o.bundles.count != first.bundles.count) {
      throw Self.fail(path, "\(name) joins branches of different shapes: \(Self.text(first)) and \(Self.text(o))")
    }
    // fan_in_concat keeps every branch's items: a concatenation of a layer with itself doubles
    // them (2^K after K of them), each an edge of the next layer's nodes, so the edge cap bounds them
    let items = outs.reduce(0) { $0 + $1.bundles.reduce(0) { $0 + $1.count } }
    guard items <= Skeleton.maxEdges else {
      throw Self.fail(path, "\(name) would join \(items) items, more than the skeleton's \(Skeleton.maxEdges) edges")
    }
    if !first.spatial {
      let all = outs.flatMap { $0.bundles.flatMap { $0 } }
      return Frontier(spatial: false, bundles: [fanIn == .sum ? [try pending(reading: all, path: path)] : all])
    }
    var out: [[Item]] = []
    for p in first.bundles.indices {
      let here = outs.flatMap { $0.bundles[p] }
      out.append(fanIn == .sum ? [try pending(reading: here, path: path)] : here)
    }
    return Frontier(spatial: true, bundles: out)
  }

  /// Nodes over windows of positions (`conv` or `avg_pool`): `valid` windows inside the
  /// sequence, `circular` ones wrapping around it (NT's padding, centred as `same`).
  mutating func windows(_ f: Frontier, _ window: [Int], _ strides: [Int], _ padding: PaddingMode, _ name: String, _ path: [Int])
    throws(NetworkShapeError) -> Frontier
  {
    guard f.spatial else {
      throw Self.fail(
        path, "'\(name)' needs positions (the skeleton's input sequence), but its input is a vector (after flatten or a global pool)")
    }
    guard window.count == 1, strides.count == 1 else {
      throw Self.fail(path, "'\(name)' has a \(window.count)-D window, but a skeleton's input nodes are a sequence (one axis)")
    }
    let positions = f.bundles.count, w = window[0], s = strides[0]
    guard padding != .same else {
      throw Self.fail(
        path,
        "'\(name)' has padding 'same' (the default): its border windows would read zeros, which are not skeleton nodes; write padding=valid (windows inside the sequence) or padding=circular"
      )
    }
    guard w <= positions else {
      throw Self.fail(path, "the window \(w) of '\(name)' is larger than the \(positions) positions before it")
    }
    var out: [[Item]] = []
    if padding == .valid {
      var start = 0
      while start + w <= positions {
        out.append([try pending(reading: f.bundles[start..<(start + w)].flatMap { $0 }, path: path)])
        start += s
      }
    } else {
      let count = (positions + s - 1) / s
      let before = max((count - 1) * s + w - positions, 0) / 2
      for k in 0..<count {
        let items = (0..<w).flatMap { i in f.bundles[((k * s + i - before) % positions + positions) % positions] }
        out.append([try pending(reading: items, path: path)])
      }
    }
    return Frontier(spatial: true, bundles: out)
  }

  static func checkWeights(
    width: Int?, wStd: Double, bStd: Double?, _ p: ParameterizationName, _ name: String, _ path: [Int]
  ) throws(NetworkShapeError) {
    let why = "a skeleton's weights are fixed (variance 1/δ(v) for the δ(v) in-nodes of a node, Daniely et al.)"
    if wStd != 1 { throw fail(path, "\(name) has w_std=\(wStd); \(why), so w_std is not a skeleton parameter") }
    if let bStd, bStd != 0 { throw fail(path, "\(name) has b_std=\(bStd); a skeleton has no biases (\(why))") }
    if p == .standard { throw fail(path, "\(name) has parameterization=standard; \(why)") }
    if let width {
      throw fail(path, "\(name) has width=\(width); a skeleton's width is its realization's replication r, not a layer's argument")
    }
  }

  func misplaced(_ a: Activation, _ item: Item) -> String {
    let node = "a skeleton node applies its activation to the mean of its in-nodes: put a dense or conv (or a pool) right before it"
    if case .node(let id) = item, id < coordinates {
      return "the activation '\(a)' reads the input nodes, which have no activation; \(node)"
    }
    return "the activation '\(a)' reads nodes that are made already (with an activation, or after flatten); \(node)"
  }

  static func text(_ f: Frontier) -> String { f.spatial ? "\(f.bundles.count) positions" : "a vector" }
}
