import SkelMath
import Testing

@testable import SkelKernels

/// The tile path of spatial networks (`TileKernel`) against the pair-by-pair engine on the same
/// compiled network: random architectures and inputs, NNGP and NTK, Gram and cross-Gram, agree to
/// 1e-13 relative to the largest entry; non-ab-ReLU activations are not tileable.
@Suite struct TileKernelTests {
  static func batch(_ n: Int, _ shape: InputShape, _ g: inout SeededGenerator) -> InputBatch? {
    let size = shape.spatial.reduce(shape.channels, *)
    return InputBatch(shape: shape, count: n, storage: (0..<(n * size)).map { _ in g.nextNormal() })
  }

  static let activations: [Activation] = [.relu, .leakyRelu(0.2), .abRelu(a: -1, b: 1), .abRelu(a: 0.3, b: -0.7)]

  /// A random small CNN: conv layers (random window, stride, padding, bias, parameterization),
  /// an ab-ReLU after each, optionally a residual block and an avg_pool, then flatten or a global pool.
  static func network(_ g: inout SeededGenerator, rank: Int) -> Network {
    func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
    var layers: [Network] = []
    let depth = 1 + Int(g.next() % 3)
    for l in 0..<depth {
      // the first window is ≥ 2: a window-1 conv of single-channel inputs makes every same-position
      // correlation ±1, where arccos' infinite slope leaves the NTK determined to ~1e-8 only (both
      // engines' values are then right within that conditioning, not within 1e-13 of each other)
      let w = l == 0 ? pick([2, 3]) : pick([1, 2, 3]), s = pick([1, 1, 2])
      let conv = ConvLayer(
        width: pick([3, 8]), window: Array(repeating: w, count: rank), strides: Array(repeating: s, count: rank),
        padding: pick(PaddingMode.allCases), wStd: 0.5 + g.nextUniform(), bStd: pick([nil, 0.3]),
        parameterization: pick(ParameterizationName.allCases))
      layers += [.conv(conv), .activation(pick(activations))]
    }
    if g.next() % 2 == 0 {
      let same = ConvLayer(width: 4, window: Array(repeating: 3, count: rank), padding: .same, wStd: 1.2, bStd: 0.1)
      layers += [.conv(same), .residual(.serial([.activation(.relu), .conv(same)])), .activation(pick(activations))]
    }
    switch g.next() % 3 {
    case 0: layers.append(.flatten)
    case 1: layers.append(.globalPool(pick(PoolMode.allCases)))
    default:
      layers += [.pool(PoolLayer(mode: .average, window: Array(repeating: 2, count: rank), padding: .same)), .globalPool(.sum)]
    }
    layers.append(.dense(DenseLayer(wStd: 1.3, bStd: pick([nil, 0.5]))))
    return .serial(layers)
  }

  static func maxRelativeGap(_ a: Matrix?, _ b: Matrix?) -> Double {
    guard let a, let b else { return a == nil && b == nil ? 0 : .infinity }
    let scale = max(b.storage.map(abs).max() ?? 1, 1e-300)
    return zip(a.storage, b.storage).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
  }

  @Test(arguments: 0..<24)
  func tilesAgreeWithPairs(seed: Int) throws {
    var g = SeededGenerator(seed: UInt64(1000 + seed))
    let rank = seed % 2 == 0 ? 2 : 1
    let spatial = rank == 2 ? [5 + seed % 3, 4 + seed % 4] : [9 + seed % 5]
    let shape = InputShape(spatial: spatial, channels: 1 + seed % 2)
    let net = Self.network(&g, rank: rank)
    guard (try? net.outputShape(for: shape)) != nil else { return }  // a random net the shape refuses
    let (node, _) = try net.compile(shape, defaultWidth: 16)
    let program = try #require(TileProgram(node, input: shape, computeNTK: true))
    // every random network starts with a conv: im2col where the covariance is full
    #expect((program.firstConv != nil) == program.full)
    let x = try #require(Self.batch(7, shape, &g)), x2 = try #require(Self.batch(5, shape, &g))
    for other in [nil, x2] {
      let fast = PairKernel.gram(node, x, other, computeNTK: true, compute: Compute(threads: 2))
      let slow = PairKernel.gram(node, x, other, computeNTK: true, compute: Compute(threads: 2), tiles: false)
      #expect(Self.maxRelativeGap(fast.nngp, slow.nngp) <= 1e-13, "NNGP, \(net), block \(program.blockPairs)")
      #expect(Self.maxRelativeGap(fast.ntk, slow.ntk) <= 1e-13, "NTK, \(net)")
      #expect(fast.nngp.storage.allSatisfy { $0.isFinite })
    }
  }

  /// The benchmark's network on its input shape: blocks of 64 pairs (diagonal covariance) for
  /// flatten, one pair of full covariances for global_avg_pool; both agree with the pair engine.
  @Test(arguments: [false, true])
  func benchmarkNetworks(globalPool: Bool) throws {
    let conv = Network.conv(ConvLayer(window: [3, 3], padding: .same))
    let net = Network.serial([
      conv, .activation(.relu), conv, .activation(.relu), globalPool ? .globalPool(.average) : .flatten, .dense(DenseLayer()),
    ])
    let shape = InputShape(spatial: [16, 16], channels: 1)
    let (node, _) = try net.compile(shape, defaultWidth: 512)
    let program = try #require(TileProgram(node, input: shape, computeNTK: false))
    #expect(program.full == globalPool)
    #expect(program.blockPairs == (globalPool ? 1 : 64))
    var g = SeededGenerator(seed: 7)
    let x = try #require(Self.batch(globalPool ? 5 : 70, shape, &g))
    let fast = PairKernel.gram(node, x, nil, computeNTK: true, compute: Compute(threads: 2))
    let slow = PairKernel.gram(node, x, nil, computeNTK: true, compute: Compute(threads: 2), tiles: false)
    #expect(Self.maxRelativeGap(fast.nngp, slow.nngp) <= 1e-13)
    #expect(Self.maxRelativeGap(fast.ntk, slow.ntk) <= 1e-13)
  }

  /// Networks that do not start with a conv (no im2col first layer: the input kernel itself, then
  /// window passes) and one with dropout (whose self runs stay on the pair engine), on both
  /// covariances, NNGP and NTK, Gram and cross-Gram.
  @Test(arguments: 0..<4)
  func networksNotStartingWithAConv(variant: Int) throws {
    let conv = Network.conv(ConvLayer(width: 3, window: [3, 2], padding: .circular, bStd: 0.2))
    let head: [Network] =
      variant % 2 == 0
      ? [.pool(PoolLayer(mode: .average, window: [2, 2], padding: .same)), conv]
      : [.dense(DenseLayer(width: 3, wStd: 1.1, bStd: 0.2)), .activation(.abRelu(a: -0.4, b: 1.1)), conv]
    let tail: [Network] = [.activation(.relu)] + (variant % 2 == 1 ? [.dropout(rate: 0.8)] : [])
    let net = Network.serial(head + tail + [variant < 2 ? .flatten : .globalPool(.average), .dense(DenseLayer(bStd: 0.1))])
    let shape = InputShape(spatial: [6, 5], channels: 2)
    let (node, _) = try net.compile(shape, defaultWidth: 16)
    let program = try #require(TileProgram(node, input: shape, computeNTK: true))
    #expect(program.firstConv == nil)
    var g = SeededGenerator(seed: UInt64(40 + variant))
    let x = try #require(Self.batch(9, shape, &g)), x2 = try #require(Self.batch(6, shape, &g))
    for other in [nil, x2] {
      let fast = PairKernel.gram(node, x, other, computeNTK: true, compute: Compute(threads: 2))
      let slow = PairKernel.gram(node, x, other, computeNTK: true, compute: Compute(threads: 2), tiles: false)
      #expect(Self.maxRelativeGap(fast.nngp, slow.nngp) <= 1e-13, "NNGP, \(net)")
      #expect(Self.maxRelativeGap(fast.ntk, slow.ntk) <= 1e-13, "NTK, \(net)")
    }
  }

  /// Activations outside the ab-ReLU family leave the network to the pair engine.
  @Test func otherActivationsAreNotTiled() throws {
    let conv = Network.conv(ConvLayer(window: [3], padding: .same))
    for act in [Activation.erf(a: 1, b: 1, c: 0), .tanh] {
      let (node, _) = try Network.serial([conv, .activation(act), .flatten, .dense(DenseLayer())]).compile(
        InputShape(spatial: [8], channels: 1), defaultWidth: 8)
      #expect(TileProgram(node, input: InputShape(spatial: [8], channels: 1), computeNTK: true) == nil)
    }
  }
}
