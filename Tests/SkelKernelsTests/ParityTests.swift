import SkelKernels
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// science.md §7.3: neural-tangents 0.6.5 (float64) after `serial(Dense(1, W_std=1), act)`
/// with q₁₁ = q₂₂ = 1 and q₁₂ = ρ. Columns: nngp(0), nngp(0.5), ntk(0.5) = 0.5·dot(0.5),
/// nngp(x, x), ntk(x, x) = 1·dot(1). NT's NaN diagonals (RectifiedMonomial) are replaced by the
/// correct limits: E[𝟙[z≥0]²] = 1/2 with dot 0, and E[relu(z)²] = 1/2 with dot 1/2.
struct ParityRow: Sendable, CustomTestStringConvertible {
  var name: String
  var activation: Activation
  var values: [Double]
  var testDescription: String { name }
}

let parityRows: [ParityRow] = [
  ParityRow(name: "Relu", activation: .relu, values: [0.159154943092, 0.304498890522, 0.166666666667, 0.5, 0.5]),
  ParityRow(name: "LeakyRelu(0.2)", activation: .leakyRelu(0.2), values: [0.101859163579, 0.294879289934, 0.206666666667, 0.52, 0.52]),
  ParityRow(name: "Abs", activation: .abRelu(a: -1, b: 1), values: [0.636619772368, 0.717995562088, 0.166666666667, 1, 1]),
  ParityRow(name: "Erf", activation: .erf(a: 1, b: 1, c: 0), values: [0, 0.216346895939, 0.225079079039, 0.464559054398, 0.569410034734]),
  ParityRow(name: "Gelu", activation: .gelu, values: [0.079577471546, 0.227294915022, 0.171133621230, 0.425221482570, 0.455850865649]),
  ParityRow(name: "Sin", activation: .sin(a: 1, b: 1, c: 0), values: [0, 0.191700249782, 0.207415204965, 0.432332358382, 0.567667641618]),
  ParityRow(
    name: "Cos", activation: .sin(a: 1, b: 1, c: Double.pi / 2),
    values: [0.367879441171, 0.414830409931, 0.095850124891, 0.567667641618, 0.432332358382]),
  ParityRow(name: "Rbf(1)", activation: .rbf(gamma: 1), values: [0.135335283237, 0.367879441171, 0.367879441171, 1, 2]),
  ParityRow(name: "Sign", activation: .sign, values: [0, 0.333333333333, 0, 1, 0]),
  ParityRow(
    name: "Exp", activation: .exp(a: 1, b: 1), values: [2.718281828459, 4.481689070338, 2.240844535169, 7.389056098931, 7.389056098931]),
  ParityRow(
    name: "Gaussian", activation: .gaussian(a: 1, b: -1),
    values: [0.333333333333, 0.353553390593, 0.044194173824, 0.447213595500, 0.357770876400]),
  ParityRow(name: "Hermite(2)", activation: .hermite(degree: 2), values: [0, 0.25, 0.5, 1, 2]),
  ParityRow(name: "Monomial(2)", activation: .monomial(degree: 2), values: [1, 1.5, 1, 3, 4]),
  ParityRow(name: "RectifiedMonomial(0)", activation: .rectifiedMonomial(degree: 0), values: [0.25, 0.333333333333, 0, 0.5, 0]),
  ParityRow(
    name: "RectifiedMonomial(1)", activation: .rectifiedMonomial(degree: 1),
    values: [0.159154943092, 0.304498890522, 0.166666666667, 0.5, 0.5]),
  // exact tanh values (adaptive quadrature), not NT's deg-25 row
  ParityRow(name: "tanh (exact)", activation: .tanh, values: [0, 0.186324413203, 0.192373514221, 0.394294490398, 0.464402902448]),
]

func parityColumns(_ a: Activation) -> [Double] {
  let k0 = a.kernel(q11: 1, q22: 1, q12: 0), k5 = a.kernel(q11: 1, q22: 1, q12: 0.5), k1 = a.kernel(q11: 1, q22: 1, q12: 1)
  return [k0.nngp, k5.nngp, 0.5 * k5.dot, k1.nngp, k1.dot]
}

@Suite struct NeuralTangentsParityTests {
  /// Every row at relative 1e-12 (the table has 12 decimals: absolute 5e-13 covers its rounding).
  @Test(arguments: parityRows)
  func row(r: ParityRow) {
    let got = parityColumns(r.activation)
    for (k, (g, e)) in zip(got, r.values).enumerated() {
      expectClose(g, e, relative: 1e-12, absolute: 6e-13, "\(r.name) column \(k)")
    }
  }

  /// NT's own deg-25 rule for tanh reproduces NT's printed row (which is off the exact values by up to 2.4e-4).
  @Test func ntTanhRuleReproducesNT() {
    let nt = NTQuadrature(degree: 25)
    let k0 = nt.kernel(.tanh, q11: 1, q22: 1, q12: 0), k5 = nt.kernel(.tanh, q11: 1, q22: 1, q12: 0.5),
      k1 = nt.kernel(.tanh, q11: 1, q22: 1, q12: 1)
    let got = [k0.nngp, k5.nngp, 0.5 * k5.dot, k1.nngp, k1.dot]
    let nt065 = [0, 0.186323255705, 0.192380693324, 0.394276506035, 0.464646861598]
    for (g, e) in zip(got, nt065) { expectClose(g, e, absolute: 1e-11, "NT deg-25 tanh") }
  }

  /// Unequal variances (q₁₁ = 1, q₂₂ = 4, q₁₂ = 1), science.md §7.3.
  @Test func unequalVariances() {
    expectClose(Activation.gelu.kernel(q11: 1, q22: 4, q12: 1).nngp, 0.497499287655, relative: 1e-12, absolute: 6e-13)
    expectClose(Activation.erf(a: 1, b: 1, c: 0).kernel(q11: 1, q22: 4, q12: 1).nngp, 0.251528260250, relative: 1e-12, absolute: 6e-13)
    expectClose(Activation.relu.kernel(q11: 1, q22: 4, q12: 1).nngp, 0.608997781044, relative: 1e-12, absolute: 6e-13)
  }
}

/// Every closed form against the independent quadrature route, on a grid of correlations and at
/// unequal variances, for nngp and for dot (= E[σ′σ′], the NTK factor).
@Suite struct ClosedFormVersusQuadratureTests {
  static let smooth: [Activation] = [
    .erf(a: 1.3, b: 0.7, c: 0.2), .gelu, .sin(a: 1, b: 1.5, c: 0.3), .rbf(gamma: 0.5), .exp(a: 0.5, b: 0.8),
    .gaussian(a: 1, b: -0.7), .hermite(degree: 3), .monomial(degree: 3), .polynomial(coefficients: [0.5, -1, 0.25, 0.1]), .gabor,
  ]
  static let kinked: [Activation] = [
    .relu, .leakyRelu(0.2), .abRelu(a: -1, b: 1), .abRelu(a: 0.3, b: -2), .sign, .rectifiedMonomial(degree: 0),
    .rectifiedMonomial(degree: 1), .rectifiedMonomial(degree: 2), .rectifiedMonomial(degree: 3), .rectifiedMonomial(degree: 4),
    .rectifiedMonomial(degree: 5),
  ]
  static let points: [(Double, Double, Double)] = [
    (1, 1, -0.95), (1, 1, -0.3), (1, 1, 0), (1, 1, 0.6), (1, 1, 0.999), (0.7, 1.8, 0.5), (2, 0.5, -0.9),
  ]

  /// Smooth σ: Gauss–Hermite of order 120 converges geometrically; 1e-12 relative.
  @Test(arguments: smooth)
  func smoothAgree(a: Activation) {
    let quad = DualQuadrature(order: 120)
    // NT's Hermite kernel assumes unit variances (it warns); test it only there
    for (q11, q22, q12) in Self.points where a != .hermite(degree: 3) || (q11 == 1 && q22 == 1) {
      let c = a.closedFormKernel(q11: q11, q22: q22, q12: q12)!, n = quad.kernel(a, q11: q11, q22: q22, q12: q12)
      expectClose(c.nngp, n.nngp, relative: 1e-12, absolute: 1e-13, "\(a) nngp at \(q11),\(q22),\(q12)")
      expectClose(c.dot, n.dot, relative: 1e-11, absolute: 1e-13, "\(a) dot at \(q11),\(q22),\(q12)")
    }
  }

  /// Kinked σ: nested adaptive Gauss–Kronrod with breakpoints at the kinks, 1e-10 relative.
  @Test(arguments: kinked)
  func kinkedAgree(a: Activation) {
    for (q11, q22, q12) in Self.points {
      let c = a.closedFormKernel(q11: q11, q22: q22, q12: q12)!
      let n = AdaptiveDualQuadrature.shared.adaptive({ a($0) }, q11: q11, q22: q22, q12: q12)
      expectClose(c.nngp, n.value, relative: 1e-10, absolute: 1e-12, "\(a) nngp at \(q11),\(q22),\(q12)")
      if a != .sign && a != .rectifiedMonomial(degree: 0) {  // σ′ is a Dirac mass there: NT sets dot = 0
        let d = AdaptiveDualQuadrature.shared.adaptive({ a.derivative($0) }, q11: q11, q22: q22, q12: q12)
        expectClose(c.dot, d.value, relative: 1e-10, absolute: 1e-12, "\(a) dot at \(q11),\(q22),\(q12)")
      }
    }
  }

  /// dot = ∂nngp/∂q₁₂ (Price's theorem), by central differences of the closed form.
  @Test(arguments: smooth + [.relu, .leakyRelu(0.2), .rectifiedMonomial(degree: 2)])
  func dotIsTheDerivative(a: Activation) {
    let h = 1e-5
    for (q11, q22, q12) in Self.points.filter({ abs($0.2) < 0.99 }) {
      guard a != .hermite(degree: 3) || (q11 == 1 && q22 == 1) else { continue }
      let up = a.closedFormKernel(q11: q11, q22: q22, q12: q12 + h)!.nngp, down = a.closedFormKernel(q11: q11, q22: q22, q12: q12 - h)!.nngp
      // central difference error O(h²·f‴) ≈ 1e-10, rounding ≈ 1e-16/h ≈ 1e-11
      expectClose(
        (up - down) / (2 * h), a.closedFormKernel(q11: q11, q22: q22, q12: q12)!.dot, relative: 1e-8, absolute: 1e-8, "\(a) at \(q12)")
    }
  }

  /// No NaN or infinity on the closed interval, including ρ = ±1 exactly and zero variance.
  @Test(arguments: smooth + kinked)
  func finiteEverywhere(a: Activation) {
    for q12 in [-1.0, -1 + 1e-16, -0.5, 0, 0.5, 1 - 1e-16, 1] {
      let k = a.kernel(q11: 1, q22: 1, q12: q12)
      #expect(k.nngp.isFinite && k.dot.isFinite, "\(a) at ρ = \(q12)")
    }
    let zero = a.kernel(q11: 0, q22: 0, q12: 0), half = a.kernel(q11: 0, q22: 1, q12: 0)
    #expect(zero.nngp.isFinite && zero.dot.isFinite && half.nngp.isFinite && half.dot.isFinite, "\(a) at zero variance")
  }

  /// The numerical activations: the two quadrature routes agree, and the estimate is honest.
  @Test(arguments: [Activation.tanh, .softplus, .elu(alpha: 1), .elu(alpha: 0.5), .silu, .geluTanh, .sigmoid])
  func numericalRoutesAgree(a: Activation) {
    for (q11, q22, q12) in [(1.0, 1.0, 0.5), (1.0, 2.0, -0.7)] {
      let e = AdaptiveDualQuadrature.shared.kernel(a, q11: q11, q22: q22, q12: q12)
      let gk = AdaptiveDualQuadrature.shared.adaptive({ a($0) }, q11: q11, q22: q22, q12: q12)
      expectClose(e.value.nngp, gk.value, relative: 1e-10, absolute: 1e-12, "\(a) nngp (\(e.method))")
      #expect(e.error < 1e-9, "\(a): error estimate \(e.error)")
    }
  }
}

/// The Hermite route: exact coefficients of science.md §2(a), and the series against closed forms.
@Suite struct HermiteRouteTests {
  static func doubleFactorial(_ n: Int) -> Double { n <= 0 ? 1 : stride(from: n, to: 0, by: -2).reduce(1.0) { $0 * Double($1) } }
  static func factorial(_ n: Int) -> Double { n <= 1 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }

  /// Normalized ReLU: a₀² = 1/π, a₁² = 1/2, a_k² = ((k−3)!!)²/(π k!) for even k ≥ 2, 0 for odd k ≥ 3.
  @Test func reluCoefficients() {
    let t = HermiteSeries(.relu, terms: 12).normalizedTaylor(count: 12)
    let a = HermiteSeries(.relu, terms: 12).coefficients.map { 2 * $0 * $0 }  // √2·relu
    var expected = [1 / Double.pi, 0.5]
    for k in 2..<12 { expected.append(k % 2 == 1 ? 0 : pow(Self.doubleFactorial(k - 3), 2) / (Double.pi * Self.factorial(k))) }
    expectClose(a, expected, absolute: 1e-13, "relu a_k²")
    expectClose(t, expected, absolute: 1e-13, "normalized by E[σ²] = 1/2 (1-D quadrature)")
  }

  /// Normalized step: a₀² = 1/2, a_k² = ((k−2)!!)²/(π k!) for odd k, 0 for even k ≥ 2.
  @Test func stepCoefficients() {
    let a = HermiteSeries(.step, terms: 12).coefficients.map { 2 * $0 * $0 }
    var expected = [0.5]
    for k in 1..<12 { expected.append(k % 2 == 0 ? 0 : pow(Self.doubleFactorial(k - 2), 2) / (Double.pi * Self.factorial(k))) }
    expectClose(a, expected, absolute: 1e-13, "step a_k²")
  }

  /// Smooth activations: the series converges geometrically; 60 terms give 1e-12 for |c| ≤ 0.9.
  @Test(arguments: [Activation.exponential(scale: 1), .erf(a: 1, b: 1, c: 0), .gelu, .sin(a: 1, b: 1, c: 0), .tanh])
  func seriesMatchesKernel(a: Activation) {
    let s = HermiteSeries(a, terms: 60)
    for c in stride(from: -0.9, through: 0.9, by: 0.3) {
      expectClose(s.kernel(correlation: c), a.kernel(q11: 1, q22: 1, q12: c).nngp, relative: 1e-11, absolute: 1e-12, "\(a) at \(c)")
    }
  }
}
