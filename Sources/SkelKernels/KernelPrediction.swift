import SkelMath

#if canImport(Glibc)
  import Glibc
#endif

/// Inference with the infinite-width kernels as neural-tangents 0.6.5's `nt.predict` computes it,
/// on kernels already evaluated (train × train, test × train, test × test):
///
/// - `gpInference`: `gp_inference(k_train_train, y_train, diag_reg)`, the posterior mean
///   K_td K̃⁻¹ y and covariance of the NNGP (Bayesian network) or of the NTK (infinite ensemble
///   trained by gradient flow to convergence), K̃ = K + diag_reg · mean(diag K) · I;
/// - `ensemble`: `gradient_descent_mse_ensemble(…)(t, x_test, get, compute_cov)` at finite times,
///   in the eigenbasis of K̃ with NT's normalization of time by `y_train.size` (n × outputs);
/// - `logMarginalLikelihood`: log N(y; 0, K + σ²I), summed over the output columns.
///
/// Targets are n × k matrices (k outputs, NT's `trace_axes=(-1,)`: one kernel for every output).
/// Solves use the Cholesky factor of K̃; when K̃ does not factor, the jitter rule of
/// `KernelRegression.jitteredCholesky` adds to its diagonal and `Factor.jitter` says how much.
public enum KernelPrediction {
  /// Which kernel predicts: the NNGP (`get='nngp'`) or the NTK (`get='ntk'`).
  public enum Kernel: String, Sendable, Hashable, CaseIterable {
    case nngp, ntk
  }

  /// The kernels of one set of points against another (the NTK only when it is asked for).
  public struct Kernels: Sendable {
    public var nngp: Matrix
    public var ntk: Matrix?
    public init(nngp: Matrix, ntk: Matrix? = nil) {
      self.nngp = nngp
      self.ntk = ntk
    }

    func callAsFunction(_ k: Kernel) throws(KernelError) -> Matrix {
      switch k {
      case .nngp: return nngp
      case .ntk:
        guard let t = ntk else { throw .invalid("the NTK prediction needs the NTK, which was not computed") }
        return t
      }
    }
  }

  /// A Gaussian over test outputs: the mean (m × k) and, when asked for, the covariance (m × m,
  /// the same for every output column).
  public struct Gaussian: Sendable {
    public var mean: Matrix
    public var covariance: Matrix?
    /// The diagonal of the covariance: each test point's variance.
    public var variance: [Double]? { covariance.map { c in (0..<c.rows).map { c[$0, $0] } } }
  }

  /// The Cholesky factor of K̃ = K + (regularizer + jitter)·I.
  public struct Factor: Sendable {
    public var lower: Matrix
    /// NT's `diag_reg` in absolute units (`diag_reg_absolute_scale=False`: diag_reg × the mean diagonal).
    public var regularizer: Double
    /// What the jitter rule added on top of `regularizer` (0 when K + regularizer·I factored).
    public var jitter: Double

    /// K̃⁻¹ B.
    public func solve(_ b: Matrix) throws(LinearAlgebraError) -> Matrix { try lower.solvingWithCholeskyFactor(b) }

    /// log det K̃ = 2 Σ log Lᵢᵢ.
    public var logDeterminant: Double { (0..<lower.rows).reduce(0) { $0 + 2 * log(lower[$1, $1]) } }
  }

  /// The mean of the diagonal of a square matrix (NT's `np.trace(A) / dimension`).
  public static func meanDiagonal(_ k: Matrix) -> Double {
    (0..<k.rows).reduce(0.0) { $0 + k[$1, $1] } / Double(max(1, k.rows))
  }

  /// K + diagReg · mean(diag K) · I, factored (the jitter rule when it does not factor).
  public static func factor(_ k: Matrix, diagReg: Double) throws(LinearAlgebraError) -> Factor {
    let reg = diagReg * meanDiagonal(k)
    var kr = k
    for i in 0..<k.rows { kr[i, i] += reg }
    let (l, jitter) = try KernelRegression.jitteredCholesky(kr, initial: 0)
    return Factor(lower: l, regularizer: reg, jitter: jitter)
  }

  /// `gp_inference(k_train_train, y, diag_reg)(get, k_test_train, k_test_test)`: the posterior of
  /// the NNGP or NTK on the test points, with the covariance when `testTest` (the NNGP of the test
  /// points with themselves) is given. The NTK covariance needs both kernels in `trainTrain` and
  /// `testTrain`.
  public static func gpInference(
    _ g: Kernel, trainTrain: Kernels, testTrain: Kernels, testTest: Matrix?, y: Matrix, diagReg: Double
  ) throws -> (posterior: Gaussian, factor: Factor) {
    let kdd = try trainTrain(g), ktd = try testTrain(g)
    let f = try factor(kdd, diagReg: diagReg)
    let mean = ktd * (try f.solve(y))
    guard let ktt = testTest else { return (Gaussian(mean: mean), f) }
    let nngpDT = testTrain.nngp.transposed  // n × m
    let gInvNNGP = try f.solve(nngpDT)  // K̃_g⁻¹ K_nngp(train, test)
    var cov: Matrix
    switch g {
    case .nngp:
      cov = ktd * gInvNNGP
      for i in 0..<cov.storage.count { cov.storage[i] = ktt.storage[i] - cov.storage[i] }
    case .ntk:
      let term1 = try f.solve(ktd.transposed)  // Θ̃⁻¹ Θ(train, test), n × m
      let a = term1.transposed * (trainTrain.nngp * term1)
      let b = ktd * gInvNNGP
      cov = a
      for i in 0..<cov.rows {
        for j in 0..<cov.columns { cov[i, j] = a[i, j] - (b[i, j] + b[j, i]) + ktt[i, j] }
      }
    }
    return (Gaussian(mean: mean, covariance: cov), f)
  }

  /// −expm1(−max(λ, 0)·t/N)/|λ| (NT's `-inv_expm1`), with its limit t/N at λ = 0 where NT divides 0 by 0.
  static func negInvExpm1(_ lambda: Double, _ t: Double, _ normalization: Double) -> Double {
    if lambda == 0 { return t / normalization }
    return -expm1(-max(lambda, 0) * t / normalization) / abs(lambda)
  }

  /// `gradient_descent_mse_ensemble(kernel_fn, x_train, y, learning_rate, diag_reg)(t, x_test,
  /// get, compute_cov)` at each finite time t ≥ 0: the mean (and covariance, when `testTest` is
  /// given) over initializations of infinitely wide networks trained by gradient flow on the MSE
  /// for time η·t. K̃ = K_g + diag_reg · mean(diag K_g) · I is diagonalized once (no jitter:
  /// eigenvalues below 0 count as 0, as in NT). t = ∞ is `gpInference`.
  public static func ensemble(
    _ g: Kernel, times: [Double], learningRate: Double = 1, trainTrain: Kernels, testTrain: Kernels, testTest: Matrix?, y: Matrix,
    diagReg: Double
  ) throws -> [Gaussian] {
    var kr = try trainTrain(g)
    let ktd = try testTrain(g)
    let reg = diagReg * meanDiagonal(kr)
    for i in 0..<kr.rows { kr[i, i] += reg }
    let (lambda, u) = try kr.symmetricEigen()
    let n = kr.rows, normalization = Double(y.rows * y.columns)
    let a = ktd * u  // K_td U, m × n
    let uy = u.transposed * y  // Uᵀ y, n × k
    let ntkParts: (u: Matrix, uNNGP: Matrix, ut: Matrix)? =
      g == .ntk && testTest != nil ? (u, u.transposed * testTrain.nngp.transposed, u.transposed * ktd.transposed) : nil
    return times.map { t0 in
      let t = t0 * learningRate
      let d = lambda.map { negInvExpm1($0, t, normalization) }
      var scaled = uy
      for i in 0..<n { for c in 0..<y.columns { scaled[i, c] *= d[i] } }
      let mean = a * scaled
      guard let ktt = testTest else { return Gaussian(mean: mean) }
      var cov: Matrix
      switch g {
      case .nngp:
        let d2 = lambda.map { negInvExpm1($0, 2 * t, normalization) }
        var right = a.transposed  // Uᵀ K_dt, n × m
        for i in 0..<n { for j in 0..<right.columns { right[i, j] *= d2[i] } }
        let b = a * right
        cov = ktt
        for i in 0..<cov.storage.count { cov.storage[i] -= b.storage[i] }
      case .ntk:
        guard let p = ntkParts else { return Gaussian(mean: mean) }
        var dt = p.ut  // diag(d) Uᵀ Θ_dt
        for i in 0..<n { for j in 0..<dt.columns { dt[i, j] *= d[i] } }
        let term1 = p.u * dt  // U diag(d) Uᵀ Θ_dt, n × m
        var dn = p.uNNGP
        for i in 0..<n { for j in 0..<dn.columns { dn[i, j] *= d[i] } }
        let term2 = a * dn  // Θ_td U diag(d) Uᵀ K_dt, m × m
        let quad = term1.transposed * (trainTrain.nngp * term1)
        cov = quad
        for i in 0..<cov.rows {
          for j in 0..<cov.columns { cov[i, j] = quad[i, j] - (term2[i, j] + term2[j, i]) + ktt[i, j] }
        }
      }
      return Gaussian(mean: mean, covariance: cov)
    }
  }

  /// log N(y; 0, K + σ²I) = Σ_c [−½ y_cᵀ K̃⁻¹ y_c − ½ log det K̃ − (n/2) log 2π] over the k columns
  /// of y, with σ² = `noise` in absolute units (the jitter rule when K̃ does not factor).
  public static func logMarginalLikelihood(_ k: Matrix, y: Matrix, noise: Double) throws -> (value: Double, factor: Factor) {
    var kr = k
    for i in 0..<k.rows { kr[i, i] += noise }
    let (l, jitter) = try KernelRegression.jitteredCholesky(kr, initial: 0)
    let f = Factor(lower: l, regularizer: noise, jitter: jitter)
    let alpha = try f.solve(y)
    var fit = 0.0
    for i in 0..<y.storage.count { fit += y.storage[i] * alpha.storage[i] }
    let n = Double(k.rows), columns = Double(y.columns)
    return (-0.5 * fit - 0.5 * columns * f.logDeterminant - 0.5 * columns * n * log(2 * Double.pi), f)
  }
}
