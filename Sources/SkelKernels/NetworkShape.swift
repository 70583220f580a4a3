import SkelMath

/// A network refused before anything runs: the index path of the offending layer inside the
/// (nested) network and the reason. The path indexes `serial` items, `parallel` branches and the
/// body of `repeated` (always 0); `[]` is the network (or the input batch) as a whole.
public struct NetworkShapeError: Error, Sendable, Hashable, CustomStringConvertible {
  public var path: [Int]
  public var reason: String

  public init(path: [Int], reason: String) {
    self.path = path
    self.reason = reason
  }

  public var description: String {
    path.isEmpty ? reason : "layer " + path.map(String.init).joined(separator: ".") + ": " + reason
  }
}

/// What shape inference carries along a network: the shape of one input and whether the values
/// are Gaussian (right after an affine layer, as NT's `Kernel.is_gaussian`: an elementwise
/// layer needs it).
public struct NetworkValueShape: Hashable, Sendable {
  public var shape: InputShape
  public var isGaussian: Bool
  /// No dense or conv layer yet (NT's `Kernel.is_input`: dropout refuses the inputs themselves).
  public var isInput: Bool

  public init(shape: InputShape, isGaussian: Bool = false, isInput: Bool = true) {
    self.shape = shape
    self.isGaussian = isGaussian
    self.isInput = isInput
  }
}

extension Network {
  /// The width a `dense` or `conv` without `width` gets: it matters only for finite networks, the
  /// NTK of the standard parameterization (fan-in) and the channel weights of `fan_in_concat`.
  public static let defaultWidth = 512
  /// The largest repeat count accepted (keeps shape inference and kernels bounded).
  public static let maxRepeatCount = 100_000

  /// The output shape for inputs of `input`'s shape, as NT's `init_fn`/`kernel_fn` would find it,
  /// or the first offending layer. Widths left out are `defaultWidth`.
  public func outputShape(for input: InputShape, defaultWidth: Int = Network.defaultWidth) throws(NetworkShapeError) -> InputShape {
    try Self.check(input: input)
    return try infer(NetworkValueShape(shape: input), path: [], defaultWidth: defaultWidth).shape
  }

  static func check(input: InputShape) throws(NetworkShapeError) {
    guard input.channels >= 1, input.spatial.allSatisfy({ $0 >= 1 }) else {
      throw NetworkShapeError(path: [], reason: "the input shape \(input) has an empty axis")
    }
    guard input.spatial.count <= 2 else {
      throw NetworkShapeError(path: [], reason: "inputs have at most 2 spatial axes (got \(input.spatial.count))")
    }
  }

  /// Shape inference with Gaussianity (the checks NT makes when the kernel runs, made first).
  public func infer(_ v: NetworkValueShape, path: [Int], defaultWidth: Int) throws(NetworkShapeError) -> NetworkValueShape {
    func fail(_ reason: String) -> NetworkShapeError { NetworkShapeError(path: path, reason: reason) }
    switch self {
    case .dense(let d):
      let width = try Self.width(d.width, defaultWidth, path)
      try Self.checkStd(d.wStd, d.bStd, path)
      return NetworkValueShape(shape: InputShape(spatial: v.shape.spatial, channels: width), isGaussian: true, isInput: false)
    case .activation(let a):
      guard v.isGaussian else { throw fail("the input to the activation '\(a)' must be Gaussian: put a dense or conv layer before it") }
      return NetworkValueShape(shape: v.shape, isGaussian: false, isInput: v.isInput)
    case .conv(let c):
      let width = try Self.width(c.width, defaultWidth, path)
      try Self.checkStd(c.wStd, c.bStd, path)
      let out = try Self.windowed(v.shape, c.window, c.strides, c.padding, layer: "conv", path)
      return NetworkValueShape(shape: InputShape(spatial: out, channels: width), isGaussian: true, isInput: false)
    case .pool(let p):
      let name = p.mode == .average ? "avg_pool" : "sum_pool"
      let out = try Self.windowed(v.shape, p.window, p.strides, p.padding, layer: name, path)
      return NetworkValueShape(shape: InputShape(spatial: out, channels: v.shape.channels), isGaussian: v.isGaussian, isInput: v.isInput)
    case .globalPool(let m):
      guard !v.shape.spatial.isEmpty else {
        throw fail("\(m == .average ? "global_avg_pool" : "global_sum_pool") needs spatial axes, but its input is a vector (\(v.shape))")
      }
      return NetworkValueShape(shape: InputShape(channels: v.shape.channels), isGaussian: v.isGaussian, isInput: v.isInput)
    case .flatten:
      let size = v.shape.spatial.reduce(v.shape.channels, *)
      // NT's Flatten marks its output non-Gaussian
      return NetworkValueShape(shape: InputShape(channels: size), isGaussian: false, isInput: v.isInput)
    case .layerNorm:
      guard v.isGaussian else { throw fail("layer_norm needs Gaussian inputs (as NT): put a dense or conv layer right before it") }
      return v
    case .dropout(let rate):
      guard rate > 0, rate <= 1 else { throw fail("dropout's rate (the keep probability) must be in (0, 1], got \(rate)") }
      guard !v.isInput else { throw fail("dropout cannot be applied to the inputs (as NT): put a dense or conv layer before it") }
      return NetworkValueShape(shape: v.shape, isGaussian: false, isInput: false)
    case .identity:
      return v
    case .serial(let layers):
      var s = v
      for (i, l) in layers.enumerated() { s = try l.infer(s, path: path + [i], defaultWidth: defaultWidth) }
      return s
    case .parallel(let branches, let fanIn):
      return try Self.inferParallel(branches, fanIn, v, path: path, defaultWidth: defaultWidth)
    case .repeated(let body, let count):
      guard count >= 0 else { throw fail("the repeat count must be ≥ 0, got \(count)") }
      guard count <= Self.maxRepeatCount else { throw fail("the repeat count \(count) is above \(Self.maxRepeatCount)") }
      var s = v
      for _ in 0..<count {
        let next = try body.infer(s, path: path + [0], defaultWidth: defaultWidth)
        if next == s { break }  // a fixed point: every further repetition gives the same
        s = next
      }
      return s
    }
  }

  static func inferParallel(
    _ branches: [Network], _ fanIn: NetworkFanIn, _ v: NetworkValueShape, path: [Int], defaultWidth: Int
  ) throws(NetworkShapeError) -> NetworkValueShape {
    guard !branches.isEmpty else { throw NetworkShapeError(path: path, reason: "parallel needs at least one branch") }
    var outs: [NetworkValueShape] = []
    for (i, b) in branches.enumerated() { outs.append(try b.infer(v, path: path + [i], defaultWidth: defaultWidth)) }
    let gaussian = outs.allSatisfy(\.isGaussian), input = outs.allSatisfy(\.isInput)
    switch fanIn {
    case .sum:
      if outs.count > 1, let i = outs.firstIndex(where: { !$0.isGaussian }) {
        throw NetworkShapeError(
          path: path + [i],
          reason: "fan_in_sum needs every branch to end Gaussian (as NT: after a dense or conv layer); branch \(i) does not")
      }
      for (i, o) in outs.enumerated() where o.shape != outs[0].shape {
        throw NetworkShapeError(
          path: path + [i], reason: "fan_in_sum adds branches of one shape: branch 0 gives \(outs[0].shape), branch \(i) gives \(o.shape)")
      }
      return NetworkValueShape(shape: outs[0].shape, isGaussian: gaussian, isInput: input)
    case .concat:
      for (i, o) in outs.enumerated() where o.shape.spatial != outs[0].shape.spatial {
        throw NetworkShapeError(
          path: path + [i],
          reason: "fan_in_concat joins channels of one spatial shape: branch 0 gives \(outs[0].shape), branch \(i) gives \(o.shape)")
      }
      let channels = outs.reduce(0) { $0 + $1.shape.channels }
      // NT's channel concatenation marks its output non-Gaussian
      return NetworkValueShape(shape: InputShape(spatial: outs[0].shape.spatial, channels: channels), isGaussian: false, isInput: input)
    }
  }

  static func width(_ w: Int?, _ defaultWidth: Int, _ path: [Int]) throws(NetworkShapeError) -> Int {
    let width = w ?? defaultWidth
    guard width >= 1 else { throw NetworkShapeError(path: path, reason: "the width must be ≥ 1, got \(width)") }
    return width
  }

  static func checkStd(_ w: Double, _ b: Double?, _ path: [Int]) throws(NetworkShapeError) {
    guard w.isFinite, b?.isFinite ?? true else {
      throw NetworkShapeError(path: path, reason: "w_std and b_std must be finite numbers")
    }
  }

  /// The spatial output of a window (conv or pool) over `shape`, with the checks.
  static func windowed(
    _ shape: InputShape, _ window: [Int], _ strides: [Int], _ padding: PaddingMode, layer: String, _ path: [Int]
  ) throws(NetworkShapeError) -> [Int] {
    func fail(_ reason: String) -> NetworkShapeError { NetworkShapeError(path: path, reason: reason) }
    guard !shape.spatial.isEmpty else {
      throw fail(
        "\(layer) needs spatial axes, but its input is a vector (\(shape)): a \(layer) after flatten or a global pool, or on vector inputs")
    }
    guard window.count == shape.spatial.count else {
      throw fail("\(layer)'s window \(window) has \(window.count) axes but its input \(shape) has \(shape.spatial.count) spatial axes")
    }
    guard strides.count == window.count else { throw fail("\(layer) has \(strides.count) strides for a window of \(window.count) axes") }
    guard window.allSatisfy({ $0 >= 1 }), strides.allSatisfy({ $0 >= 1 }) else {
      throw fail("\(layer)'s window and strides must be ≥ 1 (window \(window), strides \(strides))")
    }
    var out: [Int] = []
    for (axis, size) in shape.spatial.enumerated() {
      let w = window[axis], s = strides[axis]
      if padding != .same, w > size {
        throw fail("\(layer)'s window \(window) is larger than its input \(shape) (padding \(padding.rawValue))")
      }
      out.append(padding == .valid ? (size - w) / s + 1 : (size + s - 1) / s)
    }
    return out
  }
}

/// A batch of inputs of one shape: `count` inputs, each `shape.spatial` × `shape.channels`
/// values, row-major (NHWC as NT), in flat storage, with the class label of each input when
/// their source has them (a CSV's label column, Fashion-MNIST's classes). The one batch type of
/// the engine: the kinds draw and decode inputs into it (SkelExperiments' `Inputs.batch`) and
/// the kernels read it.
public struct InputBatch: Sendable, Hashable {
  public var shape: InputShape
  public var count: Int
  public var storage: [Double]
  /// One label an input, or nil.
  public var labels: [String]?

  /// Nil when the storage does not hold `count` inputs of the shape, or the labels are not one
  /// an input.
  public init?(shape: InputShape, count: Int, storage: [Double], labels: [String]? = nil) {
    let size = shape.spatial.reduce(shape.channels, *)
    guard count >= 0, size >= 1, storage.count == count * size, labels.map({ $0.count == count }) ?? true else { return nil }
    self.shape = shape
    self.count = count
    self.storage = storage
    self.labels = labels
  }

  /// The rows of a matrix as vector inputs.
  public init(vectors x: Matrix) {
    shape = InputShape(channels: x.columns)
    count = x.rows
    storage = x.storage
  }

  /// Values per input.
  public var size: Int { shape.spatial.reduce(shape.channels, *) }

  /// Input `i`'s values.
  public func row(_ i: Int) -> ArraySlice<Double> { storage[(i * size)..<((i + 1) * size)] }

  /// The same inputs as vectors of `size` values (what a network that flattens first reads).
  public var asVectors: InputBatch {
    var b = self
    b.shape = InputShape(channels: size)
    return b
  }
}
