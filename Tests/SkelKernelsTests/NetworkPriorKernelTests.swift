import Foundation
import SkelKernels
import SkelMath
import Testing

/// `PriorKernel.estimate` on a `Network` value (the NNPK of m random networks, NT's
/// `monte_carlo_kernel_fn(..., 'nngp')`) against laws known in closed form.
///
/// Each entry of K_m is a mean of m·k products f(x)f(x′) of output units (k per network). Where
/// those products are i.i.d. with mean μ and variance v, |K_m − μ| ≤ 5·√(v/(m·k)) fails with
/// probability below 6·10⁻⁷ per entry (a Gaussian tail; m·k ≥ 4000 terms).
@Suite struct NetworkPriorKernelTests {
  static let x: InputBatch = {
    var g = SeededGenerator(seed: 11)
    return InputBatch(shape: InputShape(channels: 3), count: 5, storage: (0..<15).map { _ in g.nextNormal() })!
  }()

  static func dot(_ i: Int, _ j: Int) -> Double { (0..<3).reduce(0) { $0 + x.storage[i * 3 + $1] * x.storage[j * 3 + $1] } / 3 }

  static func estimate(_ net: Network, m: Int, width: Int, compute: Compute = .serial) throws -> Matrix {
    var k: Matrix?
    try PriorKernel.estimate(net, inputs: x, defaultWidth: width, checkpoints: [m], seed: 7, label: "t", compute: compute) { _, km in
      k = km
    }
    return try #require(k)
  }

  /// One dense layer of 8 outputs: f(x) = (σ_w/√d)·W x + σ_b·b, so each output unit's products
  /// have mean K = σ_w²·x·x′/d + σ_b² and variance K(x,x)K(x′,x′) + K(x,x′)² (Isserlis), and the
  /// 8 units of a network are independent.
  @Test func linearNetworkMatchesItsClosedFormLaw() throws {
    let (w, b) = (1.3, 0.4)
    let net = Network.dense(DenseLayer(width: 8, wStd: w, bStd: b))
    let m = 2000
    let km = try Self.estimate(net, m: m, width: 8)
    func k(_ i: Int, _ j: Int) -> Double { w * w * Self.dot(i, j) + b * b }
    var worst = 0.0
    for i in 0..<5 {
      for j in 0..<5 {
        let se = ((k(i, i) * k(j, j) + k(i, j) * k(i, j)) / Double(m * 8)).squareRoot()
        let z = abs(km.storage[i * 5 + j] - k(i, j)) / se
        worst = max(worst, z)
        #expect(z < 5, "entry (\(i), \(j)): \(km.storage[i * 5 + j]) vs \(k(i, j)), \(z) standard errors")
      }
    }
    print("linear NNPK: worst |K_m − K| = \(worst) standard errors")
    let transposed: [Double] = (0..<25).map { e in km.storage[(e % 5) * 5 + e / 5] }
    #expect(km.storage == transposed, "K_m is symmetric")
  }

  /// One hidden ReLU layer of width 32 and a readout: the first layer's pre-activations are
  /// exactly Gaussian at any width, so E[K_m] is the infinite-width NNGP (`Network.kernel`) with
  /// no finite-width bias. The products' spread is measured from 400 networks drawn here
  /// (FiniteNetwork, seeds of their own); the estimator's 4000 networks then agree with the NNGP
  /// within 5 of its standard errors, entry by entry.
  @Test func oneHiddenLayerIsUnbiasedForTheNNGP() throws {
    let net = Network.serial([
      .dense(DenseLayer(wStd: 1.4, bStd: 0.1)), .activation(.relu), .dense(DenseLayer(width: 1, wStd: 1.1, bStd: 0.2)),
    ])
    let exact = try net.kernel(Self.x, computeNTK: false, compute: .serial).nngp
    var products = [[Double]](repeating: [], count: 25)
    for s in 0..<400 {
      let f = try net.initialize(inputShape: Self.x.shape, defaultWidth: 32, seed: UInt64(90_000 + s)).apply(Self.x)
      for e in 0..<25 { products[e].append(f.storage[e / 5] * f.storage[e % 5]) }
    }
    let m = 4000
    let km = try Self.estimate(net, m: m, width: 32)
    for e in 0..<25 {
      let mean = products[e].reduce(0, +) / 400
      let sd = (products[e].reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / 399).squareRoot()
      let z = abs(km.storage[e] - exact.storage[e]) / (sd / Double(m).squareRoot())
      #expect(z < 5, "entry \(e): K_m \(km.storage[e]) vs NNGP \(exact.storage[e]): \(z) standard errors")
    }
  }

  /// The networks' sums are grouped independently of the threads: 1 and 2 threads give the same
  /// bits (m = 10 is not a multiple of the groups of 4); a checkpoint list gives the means at each.
  @Test func threadsDoNotChangeTheBitsAndCheckpointsAreRunningMeans() throws {
    let net = Network.serial([.dense(DenseLayer(wStd: 1.4)), .activation(.erf(a: 1, b: 1, c: 0)), .dense(DenseLayer(width: 3))])
    let one = try Self.estimate(net, m: 10, width: 16, compute: .serial)
    let two = try Self.estimate(net, m: 10, width: 16, compute: Compute(threads: 2))
    #expect(one.storage == two.storage)
    var seen: [Int: Matrix] = [:]
    try PriorKernel.estimate(net, inputs: Self.x, defaultWidth: 16, checkpoints: [3, 10], seed: 7, label: "t", compute: .serial) {
      seen[$0] = $1
    }
    let three = try Self.estimate(net, m: 3, width: 16)
    // K_10 = (3·K_3 + Σ_{s=3..9})/10: the first three networks are the same draws
    #expect(try #require(seen[3]).storage == three.storage)
    let ten = try #require(seen[10])
    for e in 0..<25 { #expect(abs(ten.storage[e] - one.storage[e]) <= 1e-15 * abs(one.storage[e])) }
  }

  /// A network with no finite function, or too many parameters, is refused before any draw.
  @Test func refusalsComeBeforeAnyDraw() throws {
    let bad = Network.serial([.dense(DenseLayer()), .activation(.expNormalized(gamma: 1, shift: 0)), .dense(DenseLayer())])
    #expect(throws: NetworkShapeError.self) { try Self.estimate(bad, m: 1, width: 4) }
    let huge = Network.serial([.dense(DenseLayer(width: 16384)), .activation(.relu), .dense(DenseLayer(width: 16384))])
    let cost = try? huge.initializationCost(inputShape: Self.x.shape)
    #expect(cost == nil)
    let fine = try Network.serial([.dense(DenseLayer(width: 10, bStd: 0.1)), .activation(.relu), .dense(DenseLayer(width: 2))])
      .initializationCost(inputShape: Self.x.shape)
    // 3·10 + 10 weights and biases, then 10·2; flops 2·(3·10 + 10·2) per input; widest layer 10
    #expect(fine == FiniteNetworkCost(parameters: 60, flopsPerInput: 100, valuesPerInput: 10, outputs: 2))
  }
}
