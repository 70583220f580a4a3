import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §2(c): normalized duals at ρ ∈ {−1, −0.5, 0, 0.5, 0.9, 1}, against exact
/// expressions written independently of the engine's (arcsin where the engine uses arccos).
@Suite struct DualClosedFormTests {
  static let rhos = [-1, -0.5, 0, 0.5, 0.9, 1.0]

  static func reluExact(_ r: Double) -> Double { ((1 - r * r).squareRoot() + r * (Double.pi / 2 + asin(r))) / Double.pi }
  static func stepExact(_ r: Double) -> Double { 0.5 + asin(r) / Double.pi }

  @Test(arguments: rhos)
  func reluStepExpAtTestPoints(rho: Double) {
    // 1e-12: the acceptance tolerance; both sides are a few flops from exact.
    expectClose(Dual.normalized(.relu, at: rho), Self.reluExact(rho), absolute: 1e-12, "relu(\(rho))")
    expectClose(Dual.normalized(.step, at: rho), Self.stepExact(rho), absolute: 1e-12, "step(\(rho))")
    expectClose(Dual.normalized(Activation.exponential(scale: 1), at: rho), exp(rho - 1), absolute: 1e-12, "exp(\(rho))")
  }

  /// The 10-decimal values printed in science.md §2(c) (compared at 1e-9, their rounding).
  @Test func printedTable() {
    let relu = [0, 0.1089977810, 0.3183098862, 0.6089977810, 0.9095383988, 1]
    let step = [0, 1.0 / 3, 0.5, 2.0 / 3, 0.8564337069, 1]
    let ex = [0.1353352832, 0.2231301601, 0.3678794412, 0.6065306597, 0.9048374180, 1]
    let sign = [-1, -1.0 / 3, 0, 1.0 / 3, 0.7128674137, 1]
    let abs = [1, 0.7179955621, 0.6366197724, 0.7179955621, 0.9190767977, 1]
    for (i, r) in Self.rhos.enumerated() {
      expectClose(Dual.normalized(.relu, at: r), relu[i], absolute: 1e-9, "relu(\(r))")
      expectClose(Dual.normalized(.step, at: r), step[i], absolute: 1e-9, "step(\(r))")
      expectClose(Dual.normalized(Activation.exponential(scale: 1), at: r), ex[i], absolute: 1e-9, "exp(\(r))")
      expectClose(Dual.normalized(.sign, at: r), sign[i], absolute: 1e-9, "sign(\(r))")
      expectClose(Dual.normalized(.abRelu(a: -1, b: 1), at: r), abs[i], absolute: 1e-9, "abs(\(r))")
      expectClose(Dual.normalized(.hermite(degree: 2), at: r), r * r, absolute: 1e-15, "hermite2(\(r))")
    }
    // exact anchors: 1/π, 1/3, 2/3, e^{-2}
    #expect(Dual.normalized(.relu, at: 0) == 1 / Double.pi)
    expectClose(Dual.normalized(.step, at: -0.5), 1.0 / 3, absolute: 1e-15)
    expectClose(Dual.normalized(Activation.exponential(scale: 1), at: -1), exp(-2), absolute: 1e-16)
  }

  /// Normalized duals equal 1 at ρ = 1, stay finite on the closed interval and just outside it.
  static let daniely: [Activation] = [.relu, .step, .exponential(scale: 1), .sign, .abRelu(a: -1, b: 1), .identity, .hermite(degree: 2)]

  @Test(arguments: daniely)
  func finiteAndNormalized(activation: Activation) {
    expectClose(Dual.normalized(activation, at: 1), 1, absolute: 1e-15, "\(activation)(1)")
    for r in [-1.0 - 1e-15, -1, -0.999999, 0, 0.999999, 1, 1 + 1e-15] {
      #expect(Dual.normalized(activation, at: r).isFinite, "\(activation) at \(r)")
    }
  }

  /// ReLU identity: σ̂(ρ) − σ̂(−ρ) = ρ.
  @Test func reluOddPartIsIdentity() {
    for r in stride(from: -1.0, through: 1.0, by: 0.05) {
      expectClose(Dual.normalized(.relu, at: r) - Dual.normalized(.relu, at: -r), r, absolute: 1e-15)
    }
  }
}

/// Closed form against 2-D Gauss–Hermite quadrature (an independent route).
@Suite struct DualQuadratureTests {
  /// Smooth activations: quadrature converges geometrically, so 1e-12 holds at order 60.
  @Test(arguments: [Activation.exponential(scale: 1), .identity, .hermite(degree: 2)])
  func smoothActivationsAgreeTo1e12(activation: Activation) {
    let quad = DualQuadrature(order: 60)
    for r in stride(from: -1.0, through: 1.0, by: 0.1) {
      expectClose(quad.dual(activation, at: r), Dual.normalized(activation, at: r), absolute: 1e-12, "\(activation)(\(r))")
    }
  }

  /// Kinked activations: Gauss–Hermite converges only algebraically (NT's own docs say so);
  /// at order 200 the largest error over ρ ∈ {−0.9, −0.6, …, 0.9} is 1.3e-3 for ReLU and 1.0e-2 for
  /// step (measured independently with numpy's hermegauss), so the bounds are 2e-3 and 2e-2.
  @Test func kinkedActivationsAgreeLoosely() {
    let quad = DualQuadrature(order: 200)
    for r in stride(from: -0.9, through: 0.9, by: 0.3) {
      expectClose(quad.dual(Activation.relu, at: r), Dual.normalized(.relu, at: r), absolute: 2e-3, "relu(\(r))")
      expectClose(quad.dual(Activation.step, at: r), Dual.normalized(.step, at: r), absolute: 2e-2, "step(\(r))")
    }
  }

  /// Daniely's exponential is e^{x−1} with E[σ(Z)²] = 1 (not e^{x−2}: science.md §2(d)).
  @Test func danielyExponentialIsNormalized() {
    let a = Activation.exponential(scale: 1)
    expectClose(GaussHermite(order: 60).expectation { a($0) * a($0) }, 1, absolute: 1e-13)
    expectClose(a(1), 1, absolute: 1e-15, "e^{1−1}")
  }
}

/// Normalized duals of the other activations of science.md §2(c), and properties every dual has
/// because its Taylor coefficients aₖ² are non-negative.
@Suite struct DualPropertyTests {
  @Test func sinCosErfValues() {
    // sin(a=1): sinh(ρ)/sinh(1); cos(a=1): cosh(ρ)/cosh(1); erf(a=1): arcsin(2ρ/3)/arcsin(2/3)
    expectClose(Dual.normalized(.sin(a: 1, b: 1, c: 0), at: 0.5), 0.4434094420, absolute: 6e-11)
    expectClose(Dual.normalized(.sin(a: 1, b: 1, c: Double.pi / 2), at: 0), 0.6480542737, absolute: 6e-11)
    expectClose(Dual.normalized(.sin(a: 1, b: 1, c: Double.pi / 2), at: 0.5), 0.7307628258, absolute: 6e-11)
    expectClose(Dual.normalized(.erf(a: 1, b: 1, c: 0), at: 0.5), 0.4657037548, absolute: 6e-11)
    expectClose(Dual.normalized(.sin(a: 1, b: 1, c: 0), at: 0.3), sinh(0.3) / sinh(1), relative: 1e-14)
    expectClose(Dual.normalized(.erf(a: 1, b: 2, c: 0), at: 0.3), asin(8 * 0.3 / 9) / asin(8.0 / 9), relative: 1e-14)
  }

  /// Degrees above the closed forms (k > 5 go to quadrature; k = 8 used to trap) against
  /// independent values: at ρ = 0 the squared half moment (E|u|ᵏ/2)², at ρ = 1 the half moment
  /// E|u|^{2k}/2, and for ρ > 0 Cho & Saul's recurrence Jₙ = (2n−1)cosθ Jₙ₋₁ + (n−1)² sin²θ Jₙ₋₂
  /// (all terms positive there, so no cancellation).
  @Test(arguments: [6, 7, 8, 12, 30])
  func rectifiedMonomialsOfHighDegree(k: Int) {
    let a = Activation.rectifiedMonomial(degree: k)
    #expect(!a.hasClosedForm)
    func halfMoment(_ p: Int) -> Double { Glibc.pow(2, Double(p) / 2) * tgamma(Double(p + 1) / 2) / Double.pi.squareRoot() / 2 }
    expectClose(a.kernel(q11: 1, q22: 1, q12: 0).nngp, halfMoment(k) * halfMoment(k), relative: 1e-9, "k = \(k), ρ = 0")
    expectClose(a.kernel(q11: 1, q22: 1, q12: 1).nngp, halfMoment(2 * k), relative: 1e-9, "k = \(k), ρ = 1")
    for rho in [0.4, 0.95] {
      let theta = acos(rho), c = rho, s = sin(theta)
      var (j0, j1) = (Double.pi - theta, s + (Double.pi - theta) * c)
      for n in stride(from: 2, through: k, by: 1) { (j0, j1) = (j1, Double(2 * n - 1) * c * j1 + Double((n - 1) * (n - 1)) * s * s * j0) }
      expectClose(a.kernel(q11: 1, q22: 1, q12: rho).nngp, j1 / (2 * Double.pi), relative: 1e-9, "k = \(k), ρ = \(rho)")
    }
  }

  static let all: [Activation] = [
    .relu, .step, .exponential(scale: 1), .sign, .abRelu(a: -1, b: 1), .leakyRelu(0.2), .erf(a: 1, b: 1, c: 0), .gelu,
    .sin(a: 1, b: 1, c: 0), .sin(a: 1, b: 1, c: Double.pi / 2), .rbf(gamma: 1), .gaussian(a: 1, b: -1), .hermite(degree: 3),
    .monomial(degree: 2), .rectifiedMonomial(degree: 2), .gabor, .tanh, .softplus,
  ]

  /// |σ̂(ρ)| ≤ σ̂(|ρ|) ≤ 1 and σ̂ convex on [0, 1] (second differences ≥ 0, up to rounding).
  @Test(arguments: all)
  func boundedAndConvex(a: Activation) {
    let grid = (0...40).map { Double($0) / 40 }
    let d = grid.map { Dual.normalized(a, at: $0) }
    for (k, r) in grid.enumerated() {
      #expect(abs(Dual.normalized(a, at: -r)) <= d[k] + 1e-12, "\(a): |σ̂(−\(r))| ≤ σ̂(\(r))")
      #expect(d[k] <= 1 + 1e-12, "\(a): σ̂(\(r)) ≤ 1")
    }
    for k in 1..<(grid.count - 1) {
      #expect(d[k - 1] - 2 * d[k] + d[k + 1] >= -1e-11, "\(a): convex at \(grid[k])")
    }
  }
}
