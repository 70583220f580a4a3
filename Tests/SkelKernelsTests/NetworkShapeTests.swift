import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

/// Shape inference and the refusals made before anything runs, with the offending layer's path.
@Suite struct NetworkShapeTests {
  static let image = InputShape(spatial: [8, 8], channels: 2)
  static let conv3 = Network.conv(ConvLayer(window: [3, 3]))

  func error(_ n: Network, _ input: InputShape = image) -> NetworkShapeError? {
    do {
      _ = try n.outputShape(for: input)
      return nil
    } catch {
      return error
    }
  }

  @Test func shapes() throws {
    let net = Network.serial([
      .conv(ConvLayer(width: 4, window: [3, 3], strides: [2, 2], padding: .valid)), .activation(.relu),
      .pool(PoolLayer(mode: .average, window: [3, 1])), .flatten, .dense(DenseLayer(width: 7)),
    ])
    // valid conv 8 → (8 − 3)/2 + 1 = 3; pool window [3, 1] stride = window: 3 → 1, 3 → 3
    #expect(try net.outputShape(for: Self.image) == InputShape(channels: 7))
    #expect(try Network.serial([Self.conv3, .flatten]).outputShape(for: Self.image, defaultWidth: 5) == InputShape(channels: 8 * 8 * 5))
    let strided = Network.conv(ConvLayer(window: [3], strides: [2], padding: .same))
    #expect(try strided.outputShape(for: InputShape(spatial: [7], channels: 1), defaultWidth: 3) == InputShape(spatial: [4], channels: 3))
    let concat = Network.parallel([.dense(DenseLayer(width: 2)), .dense(DenseLayer(width: 5))], fanIn: .concat)
    #expect(try concat.outputShape(for: InputShape(channels: 3)) == InputShape(channels: 7))
    #expect(
      try Network.mlp(depth: 100_000, activation: .relu, wStd: 1, bStd: nil).outputShape(for: InputShape(channels: 3)).channels == 512)
  }

  @Test func refusalsNameTheLayer() {
    let afterFlatten = error(.serial([Self.conv3, .activation(.relu), .flatten, Self.conv3]))
    #expect(afterFlatten?.path == [3])
    #expect(afterFlatten?.reason.contains("after flatten") == true)
    #expect(error(.serial([.dense(DenseLayer()), .globalPool(.average)]), InputShape(channels: 3))?.path == [1])
    #expect(error(.conv(ConvLayer(window: [9, 3], padding: .valid)))?.reason.contains("larger than its input") == true)
    #expect(error(.conv(ConvLayer(window: [9, 3], padding: .circular))) != nil)
    #expect(error(.conv(ConvLayer(window: [9, 3], padding: .same))) == nil)  // JAX pads as much as it needs
    #expect(error(.conv(ConvLayer(window: [3])))?.reason.contains("1 axes but its input") == true)
    let mismatch = Network.parallel([Self.conv3, .conv(ConvLayer(window: [3, 3], padding: .valid))], fanIn: .concat)
    #expect(error(.serial([.identity, mismatch]))?.path == [1, 1])
    #expect(error(.repeated(Self.conv3, count: -1))?.reason.contains("≥ 0") == true)
    #expect(error(.serial([.repeated(.serial([Self.conv3, .dense(DenseLayer(width: 0))]), count: 2)]))?.path == [0, 0, 1])
    #expect(error(.activation(.relu))?.reason.contains("Gaussian") == true)
    #expect(error(.serial([Self.conv3, .flatten, .activation(.relu)]))?.path == [2])  // NT's flatten is not Gaussian
    #expect(error(.dropout(rate: 0.5))?.reason.contains("inputs") == true)
    #expect(error(.serial([Self.conv3, .dropout(rate: 1.5)])) != nil)
    #expect(error(.serial([Self.conv3, .activation(.relu), .residual(Self.conv3)]))?.path == [2, 1])  // identity branch not Gaussian
    #expect(error(.dense(DenseLayer()), InputShape(spatial: [2, 2, 2], channels: 1)) != nil)
  }

  @Test func kernelRefusals() throws {
    let x = try #require(InputBatch(shape: Self.image, count: 2, storage: [Double](repeating: 1, count: 256)))
    #expect(throws: NetworkShapeError.self) { try Self.conv3.kernel(x) }  // output keeps spatial axes
    #expect(throws: NetworkShapeError.self) { try Network.dense(DenseLayer()).pairs(rho: [1.5]) }
    #expect(InputBatch(shape: Self.image, count: 3, storage: [1, 2]) == nil)
  }

  /// Today's kinds' networks take `LayerSpec` (and its fused fast path at N ≥ 32): the same bytes.
  @Test func mlpIsLayerSpecsKernel() throws {
    var rng = SeededGenerator(seed: 3)
    let x = Matrix(rows: 40, columns: 6, storage: (0..<240).map { _ in Double.random(in: -1...1, using: &rng) })
    let net = Network.mlp(depth: 3, activation: .relu, wStd: 2.0.squareRoot(), bStd: 0.1)
    let hidden = LayerSpec.serial([.dense(2.0.squareRoot(), bias: 0.1), .activation(.relu)])
    let spec = LayerSpec.serial([.repeated(hidden, count: 3), .dense(2.0.squareRoot(), bias: 0.1)])
    let ours = try net.kernel(InputBatch(vectors: x), compute: .serial)
    let theirs = try spec.kernel(inputs: x, compute: .serial)
    #expect(ours.nngp == theirs.nngp)
    #expect(ours.ntk == theirs.ntk)
    // the pair engine (layer norm forces it) agrees with LayerSpec to rounding on the same MLP
    let generic = try spec.generic(.inputs(x))
    let paired = try Network.serial([net, .dense(DenseLayer()), .layerNorm]).kernel(InputBatch(vectors: x), compute: .serial)
    for i in 0..<40 {
      for j in 0..<40 {
        let n = generic.nngp[i, j] / (generic.nngp[i, i] * generic.nngp[j, j] + 0).squareRoot()
        expectClose(paired.nngp[i, j], n, relative: 1e-9, absolute: 1e-12)
      }
    }
  }

  /// ρ-grid pairs: the LayerSpec route for MLPs and the pair engine elsewhere agree with the Gram
  /// of two inputs with those variances and correlation.
  @Test func pairsMatchTheGram() throws {
    let net = Network.serial([.dense(DenseLayer(wStd: 1.3, bStd: 0.2)), .activation(.erf(a: 1, b: 1, c: 0)), .dropout(rate: 0.5)])
    let x = try #require(InputBatch(shape: InputShape(channels: 2), count: 2, storage: [2, 0, 0.6, 0.8]))
    let q1 = 2.0, q2 = 0.5, rho = 0.6
    let k = try Network.serial([net, .dense(DenseLayer())]).kernel(x)
    let p = try Network.serial([net, .dense(DenseLayer())]).pairs(rho: [rho], q1: q1, q2: q2, dimension: 2)
    expectClose(p.nngp[0], k.nngp[0, 1], relative: 1e-14)
    expectClose(p.ntk?[0] ?? .nan, k.ntk?[0, 1] ?? .nan, relative: 1e-14)
  }
}
