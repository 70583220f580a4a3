import SkelMath

#if canImport(Glibc)
  import Glibc
#endif

/// NTK regression and the effect of random initialization (Chen, Li, Lin 2024, science.md §4):
/// Gram matrices of the NNGP Σ and NTK Θ on sampled inputs, their eigenvalue decay, target
/// coefficients in the NTK eigenbasis, and the gradient-flow / kernel-ridge predictor
///
///     f_t(x) = f₀(x) + Θ(x, X) g(Θ(X, X)) (y − f₀(X)),
///
/// with f₀ a sample of GP(0, Σ) (standard initialization) or f₀ = 0 (mirrored initialization),
/// and the spectral filter g(λ) = (1 − e^{−λt/n})/λ (gradient flow for time t on the mean squared
/// loss) or 1/(λ + nℓ) (ridge ℓ).
public enum KernelRegression {
  /// The network of Chen et al. in neural-tangents' parameterization: L hidden ReLU layers of
  /// Dense(W_std, b_std), then a readout Dense(W_std_out, b_std).
  public static func network(depth: Int, wStd: Double, bStd: Double, wStdOut: Double) -> LayerSpec {
    let bias: Double? = bStd == 0 ? nil : bStd
    return .serial([.repeated(.serial([.dense(wStd, bias: bias), .activation(.relu)]), count: depth), .dense(wStdOut, bias: bias)])
  }

  /// n points uniform on [−1, 1]^d (rows).
  public static func uniformInputs(_ n: Int, dimension d: Int, generator g: inout SeededGenerator) -> Matrix {
    Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in 2 * g.nextUniform() - 1 })
  }

  /// The NNGP and NTK Gram matrices of a network on the rows of x.
  public static func grams(_ net: LayerSpec, _ x: Matrix) throws(KernelError) -> (nngp: Matrix, ntk: Matrix) {
    let k = try net.kernel(inputs: x, computeNTK: true)
    guard let ntk = k.ntk else { throw .invalid("the network's kernel came back without its NTK") }
    return (k.nngp, ntk)
  }

  /// One sample of GP(0, K) at the points of K: L·z with L the Cholesky factor of K + εI
  /// (`jitteredCholesky`, starting at ε = 10⁻¹²·mean diagonal).
  public static func gaussianProcessSample(_ k: Matrix, generator g: inout SeededGenerator) throws(LinearAlgebraError) -> [Double] {
    let (l, _) = try jitteredCholesky(k, initial: 1e-12)
    let z = (0..<k.rows).map { _ in g.nextNormal() }
    return l.times(z)
  }

  /// The Cholesky factor of K + εI and the jitter ε: the first of ε = initial·m, 10⁻¹²·m,
  /// 10⁻¹¹·m, … (m the mean diagonal; each step tenfold, a zero `initial` tries K itself first)
  /// for which K + εI factors; above 10⁻³·m the matrix is reported as not positive definite.
  public static func jitteredCholesky(_ k: Matrix, initial: Double) throws(LinearAlgebraError) -> (factor: Matrix, jitter: Double) {
    let n = k.rows
    let meanDiagonal = (0..<n).reduce(0.0) { $0 + k[$1, $1] } / Double(max(1, n))
    var jitter = initial * meanDiagonal
    while true {
      var kj = k
      for i in 0..<n { kj[i, i] += jitter }
      do {
        return (try kj.cholesky(), jitter)
      } catch .notPositiveDefinite {
        // a zero or non-finite diagonal has no scale to grow a jitter on
        guard meanDiagonal > 0, meanDiagonal.isFinite else { throw .notPositiveDefinite(order: n) }
        jitter = jitter == 0 ? 1e-12 * meanDiagonal : jitter * 10
        if !(jitter <= 1e-3 * meanDiagonal) { throw .notPositiveDefinite(order: n) }
      }
    }
  }

  /// Eigenvalues of K/n, largest first (the empirical Mercer eigenvalues of the kernel).
  public static func normalizedEigenvalues(_ k: Matrix) throws(LinearAlgebraError) -> [Double] {
    let n = Double(k.rows)
    return try k.symmetricEigenvalues().reversed().map { $0 / n }
  }

  /// Tail sums T_i = Σ_{j ≥ i} c_j²/n of the coefficients c_j = ⟨y, u_j⟩ of y in the eigenbasis of K
  /// (eigenvalues descending), i = 1…n. If y is a sample of a target in [H]^s, T_i ~ i^{−sβ}.
  public static func tailSums(_ y: [Double], kernel k: Matrix) throws(LinearAlgebraError) -> [Double] {
    let (_, u) = try k.symmetricEigen()
    let c = u.transposedTimes(y)  // ascending eigenvalue order
    var tails = [Double](repeating: 0, count: c.count)
    var acc = 0.0
    for j in 0..<c.count {  // c[0] is the smallest eigenvalue's coefficient: accumulate from the tail
      acc += c[j] * c[j]
      tails[c.count - 1 - j] = acc / Double(c.count)
    }
    return tails
  }

  /// A spectral filter g(λ) applied to the training kernel's eigenvalues.
  public enum Filter: Sendable, Hashable {
    /// Gradient flow for time t on (1/2n)Σ(f(xᵢ) − yᵢ)²: g(λ) = (1 − e^{−λt/n})/λ.
    case flow(time: Double)
    /// Kernel ridge regression with ridge ℓ: g(λ) = 1/(λ + nℓ).
    case ridge(Double)

    public func apply(_ lambda: Double, n: Double) -> Double {
      switch self {
      case .flow(let t):
        if lambda <= 1e-300 { return t / n }
        return -expm1(-lambda * t / n) / lambda
      case .ridge(let l): return 1 / (max(lambda, 0) + n * l)
      }
    }
  }

  /// How the network starts.
  public enum Initialization: String, Sendable, Hashable, CaseIterable {
    /// f₀ = a sample of the NNGP prior GP(0, Σ).
    case standard
    /// f₀ = 0 (two mirrored copies), NTK unchanged.
    case mirrored
  }

  /// Test mean squared errors of the NTK predictor, one per filter, for each initialization.
  /// `train` and `test` are the inputs; `y` the noisy training targets and `truth` the noise-free
  /// test targets. The standard initialization's f₀ is drawn jointly on train and test points.
  public static func testErrors(
    network net: LayerSpec, train: Matrix, test: Matrix, y: [Double], truth: [Double], filters: [Filter],
    initializations: [Initialization], generator g: inout SeededGenerator
  ) throws -> [Initialization: [Double]] {
    try testErrors(
      network: net, train: train, test: test, y: Matrix(rows: y.count, columns: 1, storage: y),
      truth: Matrix(rows: truth.count, columns: 1, storage: truth), filters: filters, initializations: initializations, generator: &g)
  }

  /// The same with k outputs: `y` is n × k, `truth` m × k, one kernel for every output (NT's
  /// `trace_axes=(-1,)`), f₀ an independent prior sample per output, and the error the mean over
  /// test points and outputs. With one output it is the single-target computation, operation for
  /// operation.
  public static func testErrors(
    network net: LayerSpec, train: Matrix, test: Matrix, y: Matrix, truth: Matrix, filters: [Filter],
    initializations: [Initialization], generator g: inout SeededGenerator
  ) throws -> [Initialization: [Double]] {
    let n = train.rows, m = test.rows, k = y.columns
    let joint = Matrix(rows: n + m, columns: train.columns, storage: train.storage + test.storage)
    let (sigma, theta) = try grams(net, joint)
    let (lambda, u) = try theta.block(0..<n, 0..<n).symmetricEigen()
    let b = theta.block(n..<(n + m), 0..<n) * u  // Θ(test, X)·U, m × n
    var out: [Initialization: [Double]] = [:]
    for initialization in initializations {
      var sums = [Double](repeating: 0, count: filters.count)
      for c in 0..<k {
        var f0 = [Double](repeating: 0, count: n + m)
        if initialization == .standard { f0 = try gaussianProcessSample(sigma, generator: &g) }
        let residual = (0..<n).map { y[$0, c] - f0[$0] }
        let a = u.transposedTimes(residual)
        for (q, filter) in filters.enumerated() {
          let coefficients = (0..<n).map { filter.apply(lambda[$0], n: Double(n)) * a[$0] }
          let prediction = b.times(coefficients)
          var sum = 0.0
          for i in 0..<m {
            let e = f0[n + i] + prediction[i] - truth[i, c]
            sum += e * e
          }
          sums[q] += sum
        }
      }
      out[initialization] = sums.map { $0 / Double(m * k) }
    }
    return out
  }
}

/// Named regression targets on [−1, 1]^d (coordinates beyond d read as 0).
public enum RegressionTarget: String, Sendable, Hashable, CaseIterable {
  /// sin x₁ + x₂x₃ (Chen et al.'s synthetic setting in science.md §4(c)).
  case smooth
  /// sin 3x₁ · cos 2x₂.
  case oscillating
  /// sign(x₁): a discontinuous target.
  case step

  public func callAsFunction(_ x: ArraySlice<Double>) -> Double {
    let c = Array(x)
    func at(_ i: Int) -> Double { i < c.count ? c[i] : 0 }
    switch self {
    case .smooth: return sin(at(0)) + at(1) * at(2)
    case .oscillating: return sin(3 * at(0)) * cos(2 * at(1))
    case .step: return at(0) >= 0 ? 1 : -1
    }
  }

  /// The target at every row of x.
  public func values(_ x: Matrix) -> [Double] {
    (0..<x.rows).map { self(x.storage[($0 * x.columns)..<(($0 + 1) * x.columns)]) }
  }
}
