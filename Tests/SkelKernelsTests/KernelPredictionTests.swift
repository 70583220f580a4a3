import Foundation
import SkelKernels
import SkelMath
import Testing

/// `KernelPrediction` (NT's gp_inference, gradient_descent_mse_ensemble, and the log marginal
/// likelihood) in closed form on one training point, where every solve is a division: K_dd = a,
/// Θ_dd = θ, K_td = b, Θ_td = c, K_tt = s, target v, diag_reg r (absolute r·a or r·θ).
@Suite struct KernelPredictionTests {
  let a = 1.7, theta = 2.9, b = 0.6, c = 1.1, s = 1.3, v = -0.8

  var trainTrain: KernelPrediction.Kernels {
    KernelPrediction.Kernels(nngp: Matrix(rows: 1, columns: 1, storage: [a]), ntk: Matrix(rows: 1, columns: 1, storage: [theta]))
  }
  var testTrain: KernelPrediction.Kernels {
    KernelPrediction.Kernels(nngp: Matrix(rows: 1, columns: 1, storage: [b]), ntk: Matrix(rows: 1, columns: 1, storage: [c]))
  }
  var testTest: Matrix { Matrix(rows: 1, columns: 1, storage: [s]) }
  var y: Matrix { Matrix(rows: 1, columns: 1, storage: [v]) }

  func close(_ x: Double, _ y: Double, _ tol: Double = 1e-14, _ what: String = "") {
    #expect(abs(x - y) <= tol * max(1, abs(y)), "\(what): \(x) vs \(y)")
  }

  @Test(arguments: [0.0, 0.25])
  func gpInferenceOnOnePoint(_ r: Double) throws {
    let (nngp, fn) = try KernelPrediction.gpInference(
      .nngp, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: y, diagReg: r)
    let ka = a * (1 + r), kt = theta * (1 + r)
    close(fn.regularizer, r * a)
    #expect(fn.jitter == 0)
    close(nngp.mean[0, 0], b * v / ka, 1e-14, "NNGP mean")
    close(try #require(nngp.variance)[0], s - b * b / ka, 1e-14, "NNGP variance")
    let (ntk, _) = try KernelPrediction.gpInference(
      .ntk, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: y, diagReg: r)
    close(ntk.mean[0, 0], c * v / kt, 1e-14, "NTK mean")
    close(try #require(ntk.variance)[0], s + c * c * a / (kt * kt) - 2 * c * b / kt, 1e-14, "NTK variance")
  }

  /// At time t (learning rate η, N = y.size = 1): the NTK mean c·(1 − e^{−θ̃ηt})/θ̃·v and its
  /// variance s + a c² g² − 2 b c g; the NNGP mean and s − b²(1 − e^{−2ãηt})/ã. At t = 0 the
  /// prior (mean 0, variance s), and at a long time gp_inference.
  @Test func ensembleOnOnePoint() throws {
    let r = 0.1, eta = 0.7, times = [0, 0.3, 2, 5000.0]
    let kt = theta * (1 + r), ka = a * (1 + r)
    let ntk = try KernelPrediction.ensemble(
      .ntk, times: times, learningRate: eta, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: y, diagReg: r)
    let nngp = try KernelPrediction.ensemble(
      .nngp, times: times, learningRate: eta, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: y, diagReg: r)
    for (k, t) in times.enumerated() {
      let g = -expm1(-kt * eta * t) / kt
      close(ntk[k].mean[0, 0], c * g * v, 1e-14, "NTK mean at t=\(t)")
      close(try #require(ntk[k].variance)[0], s + a * c * c * g * g - 2 * b * c * g, 1e-14, "NTK variance at t=\(t)")
      let h = -expm1(-ka * eta * t) / ka, h2 = -expm1(-2 * ka * eta * t) / ka
      close(nngp[k].mean[0, 0], b * h * v, 1e-14, "NNGP mean at t=\(t)")
      close(try #require(nngp[k].variance)[0], s - b * b * h2, 1e-14, "NNGP variance at t=\(t)")
    }
    #expect(ntk[0].mean[0, 0] == 0 && ntk[0].variance == [s])
    let (inf, _) = try KernelPrediction.gpInference(
      .ntk, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: y, diagReg: r)
    close(ntk[3].mean[0, 0], inf.mean[0, 0], 1e-14, "t → ∞")
    close(try #require(ntk[3].variance)[0], try #require(inf.variance)[0], 1e-14, "t → ∞")
  }

  /// log N(v; 0, a + σ²) on one point, and on two points with two output columns against the
  /// 2 × 2 inverse and determinant written out.
  @Test func logMarginalLikelihood() throws {
    let one = try KernelPrediction.logMarginalLikelihood(Matrix(rows: 1, columns: 1, storage: [a]), y: y, noise: 0.2)
    close(one.value, -0.5 * v * v / (a + 0.2) - 0.5 * log(a + 0.2) - 0.5 * log(2 * Double.pi))
    let k = Matrix(rows: 2, columns: 2, storage: [2.0, 0.7, 0.7, 1.5]), noise = 0.05
    let y2 = Matrix(rows: 2, columns: 2, storage: [1, 0, -0.5, 2])
    let (p, q, r) = (2.0 + noise, 0.7, 1.5 + noise), det = p * r - q * q
    var expected = 0.0
    for col in 0..<2 {
      let (u, w) = (y2[0, col], y2[1, col])
      expected += -0.5 * (r * u * u - 2 * q * u * w + p * w * w) / det - 0.5 * log(det) - log(2 * Double.pi)
    }
    close(try KernelPrediction.logMarginalLikelihood(k, y: y2, noise: noise).value, expected, 1e-14)
  }

  /// A kernel with an eigenvalue of −10⁻¹³ (rounding) does not factor: the jitter rule adds
  /// 10⁻¹² times its mean diagonal (the first step), and says so; the regularizer stays NT's. A
  /// matrix no jitter up to 10⁻³ × the mean diagonal fixes is an error.
  @Test func indefiniteKernelGetsAStatedJitter() throws {
    let k = Matrix(rows: 2, columns: 2, storage: [1, 1 + 1e-13, 1 + 1e-13, 1])
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 2)) { try k.cholesky() }
    let f = try KernelPrediction.factor(k, diagReg: 0)
    #expect(f.regularizer == 0 && f.jitter == 1e-12, "\(f.jitter)")
    let g = try KernelPrediction.factor(k, diagReg: 0.5)
    #expect(g.regularizer == 0.5 && g.jitter == 0)
    #expect(throws: LinearAlgebraError.notPositiveDefinite(order: 3)) {
      try KernelPrediction.factor(Matrix(rows: 3, columns: 3, storage: [1, 0, 0, 0, -1, 0, 0, 0, 1]), diagReg: 0)
    }
  }
}
