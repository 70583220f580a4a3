import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §5(c): the neural-network prior kernel of random networks.
@Suite struct PriorKernelTests {
  /// Unit-variance inputs (x·x/d = 1) in R² at correlation 0.5.
  static let pair = Matrix(rows: 2, columns: 2, storage: [sqrt(2.0), 0, sqrt(2.0) * 0.5, sqrt(1.5)])

  /// Width 4096, m = 1000, He-normal hidden layer and LeCun readout (NT: W_std = √2 then 1): the
  /// NNPK is within 5e-3 of the NNGP 0.608997781044 (§7.3). Readout averaged exactly (the
  /// Rao–Blackwell estimator), so only the hidden layer's randomness is left.
  @Test func priorKernelTendsToTheNNGP() throws {
    let net = RandomNetwork(
      inputDimension: 2, width: 4096, depth: 1, outputs: 1, activation: .relu, initializer: .heNormal, readoutInitializer: .lecunNormal)
    let nngp = try net.matchedNNGP(Self.pair)
    expectClose(nngp[0, 1], 0.608997781044, absolute: 1e-12)
    expectClose(nngp[0, 0], 1, absolute: 1e-12)
    var k = Matrix(rows: 2, columns: 2)
    try PriorKernel.estimate(net, inputs: Self.pair, checkpoints: [1000], readout: .average, seed: 5, label: "t") { _, km in k = km }
    #expect(abs(k[0, 1] - 0.608997781044) < 5e-3, "NNPK \(k[0, 1])")
    #expect(abs(k[0, 0] - 1) < 5e-3, "NNPK diagonal \(k[0, 0])")
  }

  /// The literal estimator (readout weights drawn, k = 10 outputs) has the same mean: within 4
  /// standard errors (≈ √((1 + ρ²)/(k·m)) = 0.012) of the NNGP.
  @Test func sampledReadoutIsUnbiased() throws {
    let net = RandomNetwork(
      inputDimension: 2, width: 1024, depth: 1, outputs: 10, activation: .relu, initializer: .heNormal, readoutInitializer: .lecunNormal)
    var k = Matrix(rows: 2, columns: 2)
    try PriorKernel.estimate(net, inputs: Self.pair, checkpoints: [1000], readout: .sample, seed: 6, label: "t") { _, km in k = km }
    #expect(abs(k[0, 1] - 0.608997781044) < 4 * 0.012, "NNPK \(k[0, 1])")
  }

  /// K_m is PSD with rank ≤ m·k and a positive diagonal.
  @Test func rankOfTheEstimate() throws {
    var g = SeededGenerator(seed: 1)
    let x = Matrix(rows: 20, columns: 3, storage: (0..<60).map { _ in g.nextNormal() })
    let net = RandomNetwork(inputDimension: 3, width: 64, depth: 2, outputs: 3, activation: .tanh, initializer: .glorotUniform)
    try PriorKernel.estimate(net, inputs: x, checkpoints: [1, 2], readout: .sample, seed: 2, label: "r") { m, k in
      let ev = try k.symmetricEigenvalues()
      let top = ev.last!
      #expect(ev.filter { $0 > 1e-10 * top }.count == m * 3, "rank at m = \(m)")
      #expect(ev.first! > -1e-10 * top)
      #expect((0..<20).allSatisfy { k[$0, $0] > 0 })
    }
  }

  /// Initializers have the stated variances; orthogonal matrices have orthonormal columns.
  @Test func initializers() throws {
    var g = SeededGenerator(seed: 3)
    for initializer in [Initializer.heUniform, .glorotNormal, .lecunUniform] {
      let w = try initializer.sample(fanIn: 400, fanOut: 300, generator: &g)
      let v = w.storage.reduce(0) { $0 + $1 * $1 } / Double(w.storage.count)
      expectClose(v, initializer.variance(fanIn: 400, fanOut: 300), relative: 0.02, "\(initializer)")
    }
    let q = try Initializer.orthogonal.sample(fanIn: 300, fanOut: 200, generator: &g)
    let qtq = q.transposed * q
    for i in 0..<200 { for j in 0..<200 { #expect(abs(qtq[i, j] - (i == j ? 1 : 0)) < 1e-12) } }
    let wide = try Initializer.orthogonal.sample(fanIn: 50, fanOut: 80, generator: &g)
    let wwt = wide * wide.transposed
    for i in 0..<50 { #expect(abs(wwt[i, i] - 1) < 1e-12) }
  }

  /// Kernel ridge with the NNGP separates three noisy spirals far above chance (1/3), and the
  /// alignment of the label kernel with itself is 1.
  @Test func ridgeOnSpirals() throws {
    var g = SeededGenerator(seed: 4)
    let (x, labels) = SyntheticData.spirals(classes: 3, perClass: 100, noise: 0.05, generator: &g)
    let net = RandomNetwork(inputDimension: 3, width: 512, depth: 3, outputs: 1, activation: .relu, initializer: .heNormal)
    let k = try net.matchedNNGP(x)
    // rows cycle through the classes: hold out every third point of each arm
    let train = (0..<300).filter { ($0 / 3) % 3 != 2 }, test = (0..<300).filter { ($0 / 3) % 3 == 2 }
    let accuracy = try PriorKernel.ridgeAccuracy(k, train: train, test: test, labels: labels, classes: 3, ridge: 1e-3)
    #expect(accuracy > 0.8, "accuracy \(accuracy)")
    var yy = Matrix(rows: 300, columns: 300)
    for i in 0..<300 { for j in 0..<300 where labels[i] == labels[j] { yy[i, j] = 1 } }
    expectClose(PriorKernel.alignment(yy, labels: labels), 1, relative: 1e-14)
  }
}
