import CBLAS
import SkelMath

#if canImport(Glibc)
  import Glibc
#endif

/// Weight initializers of deep-learning libraries (Keras names), biases zero.
public enum Initializer: String, Sendable, Hashable, CaseIterable, Codable {
  case heNormal = "he_normal"
  case heUniform = "he_uniform"
  case glorotNormal = "glorot_normal"
  case glorotUniform = "glorot_uniform"
  case lecunNormal = "lecun_normal"
  case lecunUniform = "lecun_uniform"
  /// A Haar-random matrix with orthonormal rows or columns (gain 1).
  case orthogonal

  /// The variance of one weight of a fanIn × fanOut matrix.
  public func variance(fanIn: Int, fanOut: Int) -> Double {
    switch self {
    case .heNormal, .heUniform: return 2 / Double(fanIn)
    case .glorotNormal, .glorotUniform: return 2 / Double(fanIn + fanOut)
    case .lecunNormal, .lecunUniform: return 1 / Double(fanIn)
    case .orthogonal: return 1 / Double(max(fanIn, fanOut))
    }
  }

  /// A fanIn × fanOut weight matrix (plain, untruncated normals for the *_normal laws).
  public func sample(fanIn: Int, fanOut: Int, generator g: inout SeededGenerator) throws(LinearAlgebraError) -> Matrix {
    let v = variance(fanIn: fanIn, fanOut: fanOut)
    switch self {
    case .heNormal, .glorotNormal, .lecunNormal:
      let s = v.squareRoot()
      return Matrix(rows: fanIn, columns: fanOut, storage: (0..<(fanIn * fanOut)).map { _ in s * g.nextNormal() })
    case .heUniform, .glorotUniform, .lecunUniform:
      let limit = (3 * v).squareRoot()
      return Matrix(rows: fanIn, columns: fanOut, storage: (0..<(fanIn * fanOut)).map { _ in limit * (2 * g.nextUniform() - 1) })
    case .orthogonal:
      if fanIn >= fanOut { return try Matrix.randomOrthonormalColumns(rows: fanIn, columns: fanOut, generator: &g) }
      return try Matrix.randomOrthonormalColumns(rows: fanOut, columns: fanIn, generator: &g).transposed
    }
  }
}

/// A finite random network: `depth` hidden layers of `width` units with activation σ, then a
/// linear readout to `outputs` units; no biases (the libraries' default).
public struct RandomNetwork: Sendable, Hashable {
  public var inputDimension: Int
  public var width: Int
  public var depth: Int
  public var outputs: Int
  public var activation: Activation
  public var initializer: Initializer
  public var readoutInitializer: Initializer

  public init(
    inputDimension: Int, width: Int, depth: Int, outputs: Int, activation: Activation, initializer: Initializer,
    readoutInitializer: Initializer? = nil
  ) {
    self.inputDimension = inputDimension
    self.width = width
    self.depth = depth
    self.outputs = outputs
    self.activation = activation
    self.initializer = initializer
    self.readoutInitializer = readoutInitializer ?? initializer
  }

  /// The hidden features H_L (n × width) of one draw of the hidden weights.
  public func features(_ x: Matrix, generator g: inout SeededGenerator) throws(LinearAlgebraError) -> Matrix {
    var h = x
    for _ in 0..<depth {
      let w = try initializer.sample(fanIn: h.columns, fanOut: width, generator: &g)
      h = h * w
      let a = activation
      for i in h.storage.indices { h.storage[i] = a(h.storage[i]) }
    }
    return h
  }

  /// The readout's weight variance.
  public var readoutVariance: Double { readoutInitializer.variance(fanIn: width, fanOut: outputs) }

  /// The infinite-width NNGP of a network with the same per-layer weight variances (σ_w² =
  /// variance × fan-in), per output: what the prior kernel tends to as the width grows (for
  /// widths-dependent laws such as Glorot's, at this width's variances).
  public func matchedNNGP(_ x: Matrix) throws(KernelError) -> Matrix {
    var layers: [LayerSpec] = []
    var fanIn = inputDimension
    for _ in 0..<depth {
      let w2 = initializer.variance(fanIn: fanIn, fanOut: width) * Double(fanIn)
      layers += [.dense(w2.squareRoot()), .activation(activation)]
      fanIn = width
    }
    layers.append(.dense((readoutVariance * Double(width)).squareRoot()))
    return try LayerSpec.serial(layers).kernel(inputs: x, computeNTK: false).nngp
  }
}

/// The neural-network prior kernel (Amid, Anil, Kotłowski, Warmuth 2022, science.md §5):
/// NNPK(x, x′) = E_θ⟨f_θ(x), f_θ(x′)⟩/k over random initializations, estimated from m networks.
public enum PriorKernel {
  /// How the readout enters the estimate.
  public enum Readout: String, Sendable, Hashable, CaseIterable {
    /// Draw the readout weights: K_m = (1/m) Σ_s F_s F_sᵀ / k (the literal estimator, rank ≤ m·k).
    case sample
    /// Average over the readout exactly: E[F Fᵀ | H]/k = v·H Hᵀ, with v the readout variance —
    /// the same mean, without the readout's noise (Rao–Blackwell).
    case average
  }

  /// Runs m random networks on the rows of x and calls `checkpoint(m′, K_{m′})` after each m′ in
  /// `checkpoints` (ascending). Each network's weights come from its own stream (seed, label, s);
  /// networks run on `compute`'s threads.
  public static func estimate(
    _ net: RandomNetwork, inputs x: Matrix, checkpoints: [Int], readout: Readout, seed: UInt64, label: String,
    compute: Compute = .allCores, checkpoint: (Int, Matrix) throws -> Void
  ) throws {
    try accumulate(count: x.rows, checkpoints: checkpoints, compute: compute, checkpoint: checkpoint) { s, part in
      var g = SeededGenerator(seed: seed, label: "\(label) network \(s)")
      let h = try net.features(x, generator: &g)
      switch readout {
      case .average:
        accumulateGram(h, scale: net.readoutVariance, into: &part)
      case .sample:
        let v = try net.readoutInitializer.sample(fanIn: net.width, fanOut: net.outputs, generator: &g)
        accumulateGram(h * v, scale: 1 / Double(net.outputs), into: &part)
      }
    }
  }

  /// sum += scale · F Fᵀ (upper triangle) through `dsyrk`.
  static func accumulateGram(_ f: Matrix, scale: Double, into sum: inout Matrix) {
    f.storage.withUnsafeBufferPointer { pf in
      sum.storage.withUnsafeMutableBufferPointer { ps in
        cblas_dsyrk(
          CblasRowMajor, CblasUpper, CblasNoTrans, Int32(f.rows), Int32(f.columns), scale, pf.baseAddress, Int32(f.columns), 1,
          ps.baseAddress, Int32(f.rows))
      }
    }
  }

  /// The relative Frobenius distance ‖K − R‖_F / ‖R‖_F of an estimate K to a reference R (the
  /// prior kernel to its infinite-width NNGP), entries summed in storage order.
  public static func relativeDistance(_ k: Matrix, to reference: Matrix) -> Double {
    var num = 0.0, den = 0.0
    for i in k.storage.indices {
      let d = k.storage[i] - reference.storage[i]
      num += d * d
      den += reference.storage[i] * reference.storage[i]
    }
    return (num / den).squareRoot()
  }

  /// Kernel–target alignment A(K, Y) = ⟨K, YYᵀ⟩_F / (‖K‖_F ‖YYᵀ‖_F) with one-hot Y (Cristianini et al.).
  public static func alignment(_ k: Matrix, labels: [Int]) -> Double {
    var inner = 0.0, kk = 0.0, yy = 0.0
    for i in labels.indices {
      for j in labels.indices {
        let kij = k[i, j]
        kk += kij * kij
        if labels[i] == labels[j] {
          inner += kij
          yy += 1
        }
      }
    }
    return inner / (kk.squareRoot() * yy.squareRoot())
  }

  /// Test accuracy of one-vs-all kernel ridge regression on one-hot labels:
  /// α = (K_tr + ℓ·mean diag(K_tr)·I)⁻¹ Y, prediction argmax K(test, train)·α.
  public static func ridgeAccuracy(
    _ k: Matrix, train: [Int], test: [Int], labels: [Int], classes: Int, ridge: Double
  ) throws(LinearAlgebraError) -> Double {
    var ktr = Matrix(rows: train.count, columns: train.count)
    for (a, i) in train.enumerated() { for (b, j) in train.enumerated() { ktr[a, b] = k[i, j] } }
    let meanDiagonal = (0..<train.count).reduce(0.0) { $0 + ktr[$1, $1] } / Double(train.count)
    for a in 0..<train.count { ktr[a, a] += ridge * meanDiagonal }
    var y = Matrix(rows: train.count, columns: classes, repeating: -1 / Double(classes))
    for (a, i) in train.enumerated() { y[a, labels[i]] += 1 }
    let alpha = try ktr.solvePositiveDefinite(y)
    var kte = Matrix(rows: test.count, columns: train.count)
    for (a, i) in test.enumerated() { for (b, j) in train.enumerated() { kte[a, b] = k[i, j] } }
    let scores = kte * alpha
    var correct = 0
    for (a, i) in test.enumerated() {
      var best = 0
      for c in 1..<classes where scores[a, c] > scores[a, best] { best = c }
      if best == labels[i] { correct += 1 }
    }
    return Double(correct) / Double(test.count)
  }
}

/// Small synthetic classification data sets the project generates (no downloads).
public enum SyntheticData {
  /// Interleaved spirals in the plane, `classes` arms of `perClass` points with Gaussian noise:
  /// arm c at angle 3πt + 2πc/classes, radius t (t stratified in (0.1, 1]). Each point is
  /// (u, v, 1): the constant third coordinate stands in for the bias that zero-initialized
  /// biases do not give a random network (a bias-free ReLU kernel is |x||y|·f(angle), blind to
  /// the radius that tells spiral arms apart). Rows are scaled so that x·x/d ≈ 1 on average.
  public static func spirals(classes: Int, perClass: Int, noise: Double, generator g: inout SeededGenerator) -> (x: Matrix, labels: [Int]) {
    var xs: [Double] = [], labels: [Int] = []
    for i in 0..<perClass {
      for c in 0..<classes {
        let t = 0.1 + 0.9 * (Double(i) + g.nextUniform()) / Double(perClass)
        let angle = 3 * Double.pi * t + 2 * Double.pi * Double(c) / Double(classes)
        xs += [t * cos(angle) + noise * g.nextNormal(), t * sin(angle) + noise * g.nextNormal(), 1]
        labels.append(c)
      }
    }
    var x = Matrix(rows: labels.count, columns: 3, storage: xs)
    let meanSquare = x.storage.reduce(0) { $0 + $1 * $1 } / Double(labels.count * 3)
    let s = 1 / meanSquare.squareRoot()
    for i in x.storage.indices { x.storage[i] *= s }
    return (x, labels)
  }
}
