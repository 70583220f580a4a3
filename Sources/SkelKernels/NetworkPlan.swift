/// One spatial axis of a window (conv or pool) with its padding resolved as JAX's: output `o`,
/// offset `δ` read input `index[o·window + δ]` (−1 where `same` padding reads a zero; `circular`
/// wraps; `valid` never leaves the input). `same`/`circular` pad max((m − 1)s + w − n, 0) in total,
/// the smaller half before (`lax.padtype_to_pads`).
struct AxisWindow: Sendable, Hashable {
  let inSize: Int
  let outSize: Int
  let window: Int
  let index: [Int]

  init(inSize n: Int, window w: Int, stride s: Int, padding: PaddingMode) {
    let m = padding == .valid ? (n - w) / s + 1 : (n + s - 1) / s
    let low = padding == .valid ? 0 : max((m - 1) * s + w - n, 0) / 2
    var index = [Int](repeating: -1, count: m * w)
    for o in 0..<m {
      for d in 0..<w {
        let i = o * s - low + d
        if padding == .circular {
          index[o * w + d] = ((i % n) + n) % n
        } else if i >= 0, i < n {
          index[o * w + d] = i
        }
      }
    }
    self.inSize = n
    self.outSize = m
    self.window = w
    self.index = index
  }

  /// The axis of a layer with no window along it (1-D inputs are 1 × L inside).
  static let unit = AxisWindow(inSize: 1, window: 1, stride: 1, padding: .valid)
}

/// A window over the two internal spatial axes (H, W); 1-D inputs have H = 1.
struct Window2: Sendable, Hashable {
  let h: AxisWindow
  let w: AxisWindow

  init(spatial: [Int], window: [Int], strides: [Int], padding: PaddingMode) {
    if spatial.count == 1 {
      h = .unit
      w = AxisWindow(inSize: spatial[0], window: window[0], stride: strides[0], padding: padding)
    } else {
      h = AxisWindow(inSize: spatial[0], window: window[0], stride: strides[0], padding: padding)
      w = AxisWindow(inSize: spatial[1], window: window[1], stride: strides[1], padding: padding)
    }
  }

  var size: Int { h.window * w.window }
}

/// A network compiled for one input shape: widths, fan-ins, windows and concat weights resolved.
indirect enum KernelNode: Sendable, Hashable {
  /// Dense (no window) or conv: Σ ← W²·conv(Σ) + b²; Θ ← W²·conv(Θ) + Σ′ ('ntk') or
  /// fan_in·conv(Σ) + W²·conv(Θ) + 𝟙[bias] ('standard', `fanIn` set). conv = the window mean.
  /// `channels` → `width` are the finite layer's input and output channels.
  case affine(w2: Double, b2: Double?, fanIn: Double?, window: Window2?, channels: Int, width: Int)
  case activation(Activation)
  case pool(Window2, average: Bool)
  case globalPool(average: Bool)
  case flatten
  case layerNorm
  /// Dropout (NT's 'train' kernel): the same-input, same-position entries times `factor` = 1/rate.
  case dropout(factor: Double)
  case serial([KernelNode])
  /// Branches, then a sum (`weights` nil) or a channel concatenation (weights = widths / total).
  case parallel([KernelNode], weights: [Double]?)
  case repeated(KernelNode, count: Int)

  /// Whether this node's input must carry the full spatial covariance (pairs of positions)
  /// given whether its output must: pooling and global pooling read pairs of positions; a
  /// flatten reads the diagonal only; every other layer keeps what comes after it.
  func needsFullInput(after: Bool) -> Bool {
    switch self {
    case .affine, .activation, .layerNorm, .dropout: return after
    case .pool, .globalPool: return true
    case .flatten: return false
    case .serial(let xs): return xs.reversed().reduce(after) { $1.needsFullInput(after: $0) }
    case .parallel(let xs, _): return xs.contains { $0.needsFullInput(after: after) }
    // a monotone Boolean map f has fᵏ = f for k ≥ 1
    case .repeated(let x, let n): return n == 0 ? after : x.needsFullInput(after: after)
    }
  }

  /// Whether the node is a plain MLP the `LayerSpec` engine (and its fast path) runs.
  var layerSpec: LayerSpec? {
    switch self {
    case .affine(let w2, let b2, let fanIn, nil, _, _):
      let p: Parameterization = fanIn.map { .standard(fanIn: Int($0)) } ?? .ntk
      return .dense(wStd: w2.squareRoot(), bStd: b2?.squareRoot(), parameterization: p)
    case .activation(let a): return .activation(a)
    case .serial(let xs):
      var specs: [LayerSpec] = []
      for x in xs {
        guard let s = x.layerSpec else { return nil }
        specs.append(s)
      }
      return .serial(specs)
    case .repeated(let x, let n): return x.layerSpec.map { .repeated($0, count: n) }
    case .parallel(let xs, nil):
      var specs: [LayerSpec] = []
      for x in xs {
        guard let s = x.layerSpec else { return nil }
        specs.append(s)
      }
      return .parallel(specs, combine: .sum)
    default: return nil
    }
  }
}

extension Network {
  /// Compiles the network for inputs of `input`'s shape (after `outputShape` has checked it).
  func compile(_ input: InputShape, defaultWidth: Int) throws(NetworkShapeError) -> (node: KernelNode, output: InputShape) {
    let (node, out) = try compile(NetworkValueShape(shape: input), path: [], defaultWidth: defaultWidth)
    return (node, out.shape)
  }

  func compile(_ v: NetworkValueShape, path: [Int], defaultWidth: Int) throws(NetworkShapeError) -> (KernelNode, NetworkValueShape) {
    let out = try infer(v, path: path, defaultWidth: defaultWidth)
    switch self {
    case .dense(let d):
      let fanIn = d.parameterization == .standard ? Double(v.shape.channels) : nil
      let node = KernelNode.affine(
        w2: d.wStd * d.wStd, b2: d.bStd.map { $0 * $0 }, fanIn: fanIn, window: nil, channels: v.shape.channels, width: out.shape.channels)
      return (node, out)
    case .activation(let a): return (.activation(a), out)
    case .conv(let c):
      let window = Window2(spatial: v.shape.spatial, window: c.window, strides: c.strides, padding: c.padding)
      let fanIn = c.parameterization == .standard ? Double(v.shape.channels * window.size) : nil
      let node = KernelNode.affine(
        w2: c.wStd * c.wStd, b2: c.bStd.map { $0 * $0 }, fanIn: fanIn, window: window, channels: v.shape.channels, width: out.shape.channels
      )
      return (node, out)
    case .pool(let p):
      let window = Window2(spatial: v.shape.spatial, window: p.window, strides: p.strides, padding: p.padding)
      return (.pool(window, average: p.mode == .average), out)
    case .globalPool(let m): return (.globalPool(average: m == .average), out)
    case .flatten: return (v.shape.spatial.isEmpty ? .serial([]) : .flatten, out)
    case .layerNorm: return (.layerNorm, out)
    case .dropout(let rate): return (.dropout(factor: 1 / rate), out)
    case .identity: return (.serial([]), out)
    case .serial(let layers):
      var s = v
      var nodes: [KernelNode] = []
      for (i, l) in layers.enumerated() {
        let (node, next) = try l.compile(s, path: path + [i], defaultWidth: defaultWidth)
        nodes.append(node)
        s = next
      }
      return (.serial(nodes), s)
    case .parallel(let branches, let fanIn):
      var nodes: [KernelNode] = []
      var widths: [Double] = []
      for (i, b) in branches.enumerated() {
        let (node, o) = try b.compile(v, path: path + [i], defaultWidth: defaultWidth)
        nodes.append(node)
        widths.append(Double(o.shape.channels))
      }
      let total = widths.reduce(0, +)
      return (.parallel(nodes, weights: fanIn == .concat ? widths.map { $0 / total } : nil), out)
    case .repeated(let body, let count):
      return try Self.compileRepeated(body, count, v, path: path, defaultWidth: defaultWidth)
    }
  }

  /// Repetitions compile one by one until the shape is a fixed point; the rest repeat the last.
  static func compileRepeated(
    _ body: Network, _ count: Int, _ v: NetworkValueShape, path: [Int], defaultWidth: Int
  ) throws(NetworkShapeError) -> (KernelNode, NetworkValueShape) {
    var s = v
    var nodes: [KernelNode] = []
    var done = 0
    while done < count {
      let (node, next) = try body.compile(s, path: path + [0], defaultWidth: defaultWidth)
      done += 1
      if next == s {
        nodes.append(.repeated(node, count: count - done + 1))
        break
      }
      nodes.append(node)
      s = next
    }
    return (nodes.count == 1 ? nodes[0] : .serial(nodes), s)
  }
}
