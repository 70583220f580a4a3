import Foundation
import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

/// Finite networks of a `Network`'s law against its infinite-width NNGP.
///
/// With every width r (the readout too), one draw's empirical kernel Σ̂ = (1/r)·Σₖ fₖ(x)fₖ(x′)
/// deviates from Σ by O(r^{-1/2}) (a sum of r conditionally i.i.d. terms, with hidden-layer
/// fluctuations of the same order) plus a bias O(1/r). Tolerance for the mean of D draws:
/// 4 standard errors (the sample s.d. of the D per-draw estimates over √D: a false failure is
/// below 1e-4 per entry for a Gaussian mean) plus 3/r of the largest |Σ| for the bias. The
/// slope of log RMS error against log r over r = 16, 64, 256 is −1/2 within ±0.25.
@Suite struct FiniteNetworkTests {
  static let image = InputShape(spatial: [6, 5], channels: 2)
  static func conv(_ padding: PaddingMode, _ stride: Int = 1, bias: Double? = 0.1) -> Network {
    .conv(ConvLayer(window: [3, 3], strides: [stride, stride], padding: padding, wStd: 1.4, bStd: bias))
  }
  static let head = Network.dense(DenseLayer(wStd: 1, bStd: 0.1))

  static let networks: [(String, Network, InputShape)] = [
    (
      "dense, relu, erf",
      .serial([.dense(DenseLayer(wStd: 1.3, bStd: 0.2)), .activation(.relu), head, .activation(.erf(a: 1, b: 1, c: 0)), head]),
      InputShape(channels: 5)
    ),
    ("conv same, flatten", .serial([conv(.same), .activation(.relu), .flatten, head]), image),
    (
      "conv valid stride 2, global avg pool", .serial([conv(.valid, 2), .activation(.erf(a: 1, b: 1, c: 0)), .globalPool(.average), head]),
      image
    ),
    (
      "conv circular, avg pool, sum pool",
      .serial([
        conv(.circular), .activation(.relu), .pool(PoolLayer(mode: .average, window: [2, 2], padding: .same)), .globalPool(.sum), head,
      ]), image
    ),
    (
      "residual, layer norm",
      .serial([
        conv(.same), .residual(.serial([.activation(.relu), conv(.same)])), .layerNorm, .activation(.relu), .globalPool(.average), head,
      ]), image
    ),
    (
      "dropout, concat",
      .serial([
        .dense(DenseLayer(wStd: 1.2, bStd: 0.1)), .activation(.relu), .dropout(rate: 0.7),
        .parallel([head, .serial([head, .activation(.relu), head])], fanIn: .concat), head,
      ]), InputShape(channels: 5)
    ),
  ]

  func inputs(_ shape: InputShape) throws -> InputBatch {
    var rng = SeededGenerator(seed: 5)
    let size = shape.spatial.reduce(shape.channels, *)
    return try #require(InputBatch(shape: shape, count: 4, storage: (0..<(4 * size)).map { _ in rng.nextNormal() }))
  }

  /// Per-draw empirical NNGPs (row-major 4 × 4) of D width-r networks.
  func draws(_ net: Network, _ x: InputBatch, width r: Int, count d: Int) throws -> [[Double]] {
    try (0..<d).map { k in
      let f = try net.initialize(inputShape: x.shape, defaultWidth: r, seed: UInt64(1000 * r + k))
      let y = f.apply(x, dropoutSeed: UInt64(k))
      let m = y.shape.channels
      return (0..<16).map { e in
        let (i, j) = (e / 4, e % 4)
        return (0..<m).reduce(0) { $0 + y.storage[i * m + $1] * y.storage[j * m + $1] } / Double(m)
      }
    }
  }

  @Test(arguments: 0..<networks.count)
  func empiricalNNGPConverges(_ index: Int) throws {
    let (name, net, shape) = Self.networks[index]
    let x = try inputs(shape)
    let exact = try net.kernel(x, computeNTK: false, compute: .serial).nngp.storage
    let scale = exact.map(abs).max() ?? 1
    var rms: [Double] = []
    for r in [16, 64, 256] {
      let d = 8
      let ks = try draws(net, x, width: r, count: d)
      for e in 0..<16 {
        let mean = ks.reduce(0) { $0 + $1[e] } / Double(d)
        let sd = (ks.reduce(0) { $0 + ($1[e] - mean) * ($1[e] - mean) } / Double(d - 1)).squareRoot()
        expectClose(mean, exact[e], absolute: 4 * sd / Double(d).squareRoot() + 3 * scale / Double(r), "\(name) r=\(r) entry \(e)")
      }
      let sq = ks.reduce(0) { acc, k in acc + (0..<16).reduce(0) { $0 + (k[$1] - exact[$1]) * (k[$1] - exact[$1]) } }
      rms.append((sq / Double(16 * d)).squareRoot())
    }
    // least-squares slope of log rms over log r (equally spaced in log r: (last − first)/(2 log 4))
    let slope = (Foundation.log(rms[2]) - Foundation.log(rms[0])) / (2 * Foundation.log(4))
    #expect(abs(slope + 0.5) <= 0.25, "\(name): error falls as r^\(slope) (rms \(rms))")
  }

  @Test func initializationIsSeededAndRefusesTooLarge() throws {
    let net = Self.networks[1].1
    let a = try net.initialize(inputShape: Self.image, defaultWidth: 8, seed: 3)
    let b = try net.initialize(inputShape: Self.image, defaultWidth: 8, seed: 3)
    #expect(a.parameters == b.parameters)
    #expect(a.parameters.count == 4)  // conv W, b; dense W, b
    #expect(a.parameters[0].rows == 3 * 3 * 2 && a.parameters[2].rows == 6 * 5 * 8)
    #expect(throws: NetworkShapeError.self) { try net.initialize(inputShape: Self.image, defaultWidth: 100_000, seed: 1) }
  }
}
