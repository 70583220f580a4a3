import SkelMath

/// A finite random network of the law of a `Network` (NT's `init_fn` / `apply_fn`): every dense or
/// conv layer draws W, b ~ N(0, 1) and computes (W_std/√fan_in)·W·x + b_std·b, fan_in = the input
/// channels (× the window size for conv). Both parameterizations have this forward law (they
/// differ in the NTK only). Widths left out are the `defaultWidth` of `initialize`.
public struct FiniteNetwork: Sendable {
  let node: KernelNode
  public let inputShape: InputShape
  public let outputShape: InputShape
  /// W (fan_in × width, rows ordered window offset-major then input channel) and then b (1 × width)
  /// when the layer has a bias, for every dense and conv layer in the order they run.
  public var parameters: [Matrix]

  /// The largest number of parameters `initialize` draws (3·10⁷ doubles, 240 MB).
  public static let maxParameters = 30_000_000

  /// The outputs f(x) of every input of the batch (shape `outputShape`). Dropout layers (NT's
  /// 'train' mode) draw their masks from `dropoutSeed`.
  public func apply(_ x: InputBatch, dropoutSeed: UInt64 = 0) -> InputBatch {
    var v = FiniteValues(x)
    var run = FiniteRun(parameters: parameters, rng: SeededGenerator(seed: dropoutSeed))
    run.run(node, &v)
    // the values have the output's shape by construction (the shapes were inferred at init)
    return InputBatch(shape: outputShape, count: x.count, storage: v.data) ?? x
  }
}

extension Network {
  /// Draws a finite network for inputs of `inputShape` (seeded: the same seed, the same weights).
  /// Refuses what shape inference refuses, activations with no finite function
  /// (`exp_normalized`), and more than `FiniteNetwork.maxParameters` parameters.
  public func initialize(inputShape: InputShape, defaultWidth: Int = Network.defaultWidth, seed: UInt64) throws(NetworkShapeError)
    -> FiniteNetwork
  {
    let (node, out) = try compileFinite(inputShape, defaultWidth: defaultWidth)
    var rng = SeededGenerator(seed: seed)
    var params: [Matrix] = []
    node.draw(&params, &rng)
    return FiniteNetwork(node: node, inputShape: inputShape, outputShape: out, parameters: params)
  }

  /// The network compiled for a finite draw, with `initialize`'s refusals.
  func compileFinite(_ inputShape: InputShape, defaultWidth: Int) throws(NetworkShapeError) -> (node: KernelNode, output: InputShape) {
    try Self.check(input: inputShape)
    let (node, out) = try compile(inputShape, defaultWidth: defaultWidth)
    let count = node.parameterCount
    guard count <= Double(FiniteNetwork.maxParameters) else {
      throw NetworkShapeError(path: [], reason: "the finite network has \(Int(count)) parameters, above \(FiniteNetwork.maxParameters)")
    }
    if node.hasNoFiniteFunction {
      throw NetworkShapeError(path: [], reason: "exp_normalized has no finite-width function (it is defined by its kernel)")
    }
    return (node, out)
  }
}

extension KernelNode {
  /// Parameters of the finite network (as a Double: a count that overflows nothing).
  var parameterCount: Double {
    switch self {
    case .affine(_, let b2, _, let window, let c, let width):
      return Double(c * (window?.size ?? 1) * width + (b2 == nil ? 0 : width))
    case .serial(let xs), .parallel(let xs, _): return xs.reduce(0) { $0 + $1.parameterCount }
    case .repeated(let x, let n): return Double(n) * x.parameterCount
    default: return 0
    }
  }

  var hasNoFiniteFunction: Bool {
    switch self {
    case .activation(let a): return a(0.5).isNaN
    case .serial(let xs), .parallel(let xs, _): return xs.contains { $0.hasNoFiniteFunction }
    case .repeated(let x, _): return x.hasNoFiniteFunction
    default: return false
    }
  }

  func draw(_ params: inout [Matrix], _ rng: inout SeededGenerator) {
    switch self {
    case .affine(_, let b2, _, let window, let c, let width):
      let fanIn = c * (window?.size ?? 1)
      params.append(Matrix(rows: fanIn, columns: width, storage: (0..<(fanIn * width)).map { _ in rng.nextNormal() }))
      if b2 != nil { params.append(Matrix(rows: 1, columns: width, storage: (0..<width).map { _ in rng.nextNormal() })) }
    case .serial(let xs), .parallel(let xs, _):
      for x in xs { x.draw(&params, &rng) }
    case .repeated(let x, let n):
      for _ in 0..<n { x.draw(&params, &rng) }
    default:
      return
    }
  }
}

/// A batch of values inside a finite network: n inputs × h × w positions × c channels (NHWC).
struct FiniteValues {
  var n: Int, h: Int, w: Int, c: Int
  var data: [Double]

  init(n: Int, h: Int, w: Int, c: Int, data: [Double]) {
    (self.n, self.h, self.w, self.c, self.data) = (n, h, w, c, data)
  }

  init(_ x: InputBatch) {
    let sp = x.shape.spatial
    self.init(n: x.count, h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, c: x.shape.channels, data: x.storage)
  }

  var rows: Int { n * h * w }
}
