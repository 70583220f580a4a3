#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// The Gaussian kernel of an activation and its derivative kernel:
/// ```
/// nngp = E[σ(u)σ(v)],   dot = E[σ′(u)σ′(v)] = ∂nngp/∂q₁₂   (Price's theorem)
/// (u, v) ~ N(0, [[q₁₁, q₁₂], [q₁₂, q₂₂]])
/// ```
/// `dot` multiplies the NTK. Raw covariances as in neural-tangents; the limits θ → 0 (x = x′)
/// and zero variance are handled explicitly, never as NaN.
public struct KernelValue: Sendable, Hashable {
  public var nngp: Double
  public var dot: Double
  public init(nngp: Double, dot: Double) {
    self.nngp = nngp
    self.dot = dot
  }
}

extension Activation {
  /// Closed form where there is one, otherwise adaptive quadrature (error below 1e-11).
  public func kernel(q11: Double, q22: Double, q12: Double) -> KernelValue {
    if let v = closedFormKernel(q11: q11, q22: q22, q12: q12) { return v }
    return AdaptiveDualQuadrature.shared.kernel(self, q11: q11, q22: q22, q12: q12).value
  }

  /// The closed form, or `nil` for activations that have none.
  public func closedFormKernel(q11: Double, q22: Double, q12: Double) -> KernelValue? {
    let q11 = max(q11, 0), q22 = max(q22, 0)
    let prod = q11 * q22
    switch self {
    case .abRelu(let a, let b):
      let (s, theta) = Angle.of(q11: q11, q22: q22, q12: q12)
      let dot = (a * a + b * b) / 2 - (a - b) * (a - b) * theta / (2 * Double.pi)
      return KernelValue(nngp: (a - b) * (a - b) / (2 * Double.pi) * s + dot * q12, dot: dot)
    case .erf(let a, let b, let c):
      let B = b * b
      let r = ((1 + 2 * B * q11) * (1 + 2 * B * q22) - 4 * B * B * q12 * q12).squareRoot()
      return KernelValue(
        nngp: a * a * 2 / Double.pi * atan2(2 * B * q12, r) + c * c, dot: a * a * 4 * B / Double.pi / r)
    case .gelu:
      return Self.geluKernel(q11: q11, q22: q22, q12: q12)
    case .sin(let a, let b, let c):
      let B = b * b, half = (q11 + q22) / 2
      let s1 = Libm.exp(B * (-half + q12)), s2 = Libm.exp(B * (-half - q12)) * Libm.cos(2 * c)
      return KernelValue(nngp: a * a / 2 * (s1 - s2), dot: a * a / 2 * B * (s1 + s2))
    case .rbf(let gamma):
      let k = Libm.exp(gamma * (2 * q12 - q11 - q22))
      return KernelValue(nngp: k, dot: 2 * gamma * k)
    case .sign:
      let (_, theta) = Angle.of(q11: q11, q22: q22, q12: q12)
      if prod == 0 { return KernelValue(nngp: 0, dot: 0) }  // σ(0) = 0 when a variance vanishes
      return KernelValue(nngp: 1 - 2 * theta / Double.pi, dot: 0)
    case .exp(let a, let b):
      let k = a * a * Libm.exp(b * b * ((q11 + q22) / 2 + q12))
      return KernelValue(nngp: k, dot: b * b * k)
    case .gaussian(let a, let b):
      let det = ((1 - 2 * b * q11) * (1 - 2 * b * q22) - 4 * b * b * q12 * q12).squareRoot()
      return KernelValue(nngp: a * a / det, dot: a * a * 4 * b * b * q12 / (det * det * det))
    case .expNormalized(let gamma, let shift):
      let root = prod.squareRoot()
      let c = root > 0 ? min(1, max(-1, q12 / root)) : 1
      let e = Libm.exp(gamma * (c + shift))
      return KernelValue(nngp: root * e, dot: gamma * e)
    case .hermite(let k):
      return KernelValue(nngp: Libm.pow(q12, Double(k)), dot: k == 0 ? 0 : Double(k) * Libm.pow(q12, Double(k - 1)))
    case .monomial(let k):
      return KernelValue(
        nngp: GaussianMoments.cross(k, k, q11: q11, q22: q22, q12: q12),
        dot: k == 0 ? 0 : Double(k * k) * GaussianMoments.cross(k - 1, k - 1, q11: q11, q22: q22, q12: q12))
    case .rectifiedMonomial(let k):
      return Self.rectifiedMonomialKernel(k, q11: q11, q22: q22, q12: q12)
    case .polynomial(let c):
      return Self.polynomialKernel(c, q11: q11, q22: q22, q12: q12)
    case .gabor:
      return GaborKernel.value(q11: q11, q22: q22, q12: q12)
    case .tanh, .softplus, .elu, .silu, .geluTanh, .sigmoid, .expression:
      return nil
    }
  }

  static func geluKernel(q11: Double, q22: Double, q12: Double) -> KernelValue {
    let prod = q11 * q22, plus = (1 + q11) * (1 + q22)
    let delta2 = plus - q12 * q12, delta = delta2.squareRoot()
    let angle = atan2(q12, delta)
    let nngp = ((q12 * q12 + prod * delta2) / (plus * delta) + q12 * angle) / (2 * Double.pi) + q12 / 4
    let dot = 0.25 + angle / (2 * Double.pi) + q12 / delta / (2 * Double.pi) * (1 / delta2 + (1 - prod) / plus + 1)
    return KernelValue(nngp: nngp, dot: dot)
  }

  /// Arc-cosine kernels of degree ≤ 5 (`nil` above: quadrature, see `ArcCosine`).
  static func rectifiedMonomialKernel(_ k: Int, q11: Double, q22: Double, q12: Double) -> KernelValue? {
    guard k <= ArcCosine.maxDegree else { return nil }
    let prod = q11 * q22
    let (_, theta) = Angle.of(q11: q11, q22: q22, q12: q12)
    let nngp = Libm.pow(prod, Double(k) / 2) * ArcCosine.j(k, theta) / (2 * Double.pi)
    let dot = k == 0 ? 0 : Double(k * k) * Libm.pow(prod, Double(k - 1) / 2) * ArcCosine.j(k - 1, theta) / (2 * Double.pi)
    return KernelValue(nngp: nngp, dot: dot)
  }

  /// Σᵢⱼ cᵢcⱼ E[uⁱvʲ] by Isserlis' theorem, and the same for the derivative.
  static func polynomialKernel(_ c: [Double], q11: Double, q22: Double, q12: Double) -> KernelValue {
    var nngp = 0.0, dot = 0.0
    for i in c.indices {
      for j in c.indices {
        nngp += c[i] * c[j] * GaussianMoments.cross(i, j, q11: q11, q22: q22, q12: q12)
        if i > 0, j > 0 {
          dot += Double(i * j) * c[i] * c[j] * GaussianMoments.cross(i - 1, j - 1, q11: q11, q22: q22, q12: q12)
        }
      }
    }
    return KernelValue(nngp: nngp, dot: dot)
  }
}

/// The angle between two Gaussian inputs, √(q₁₁q₂₂ − q₁₂²) and θ = atan2(that, q₁₂), computed
/// without cancellation near θ = 0 and with θ = π/2 when both vanish (NT's `fill_zero`).
enum Angle {
  @inline(__always) static func of(q11: Double, q22: Double, q12: Double) -> (s: Double, theta: Double) {
    let root = (q11 * q22).squareRoot()
    let s = (max(0, root - q12) * max(0, root + q12)).squareRoot()
    if s == 0 && q12 == 0 { return (0, Double.pi / 2) }
    return (s, atan2(s, q12))
  }
}

/// Cho & Saul's angular functions Jₖ(θ) of the arc-cosine kernels, k ≤ 5:
/// E[(u)₊ᵏ(v)₊ᵏ] = (q₁₁q₂₂)^{k/2} Jₖ(θ)/(2π). Derived from
/// Jₙ = (−1)ⁿ sin^{2n+1}θ (1/sinθ · d/dθ)ⁿ ((π − θ)/sinθ) with sympy; Jₖ(0) = π(2k − 1)!!.
/// Higher degrees (up to 30 are accepted) go to quadrature: the upward recurrence
/// Jₙ = (2n − 1) cos θ Jₙ₋₁ + (n − 1)² sin²θ Jₙ₋₂ cancels catastrophically for cos θ < 0
/// (8 digits lost at k = 8, ρ = −0.9).
public enum ArcCosine {
  public static let maxDegree = 5

  public static func j(_ k: Int, _ theta: Double) -> Double {
    let c = cos(theta), s = sin(theta), t = Double.pi - theta
    switch k {
    case 0: return t
    case 1: return s + t * c
    case 2: return 3 * s * c + t * (1 + 2 * c * c)
    case 3: return s * (4 + 11 * c * c) + t * c * (9 + 6 * c * c)
    case 4: return s * c * (55 + 50 * c * c) + t * (9 + 72 * c * c + 24 * c * c * c * c)
    case 5: return s * (64 + 607 * c * c + 274 * c * c * c * c) + t * c * (225 + 600 * c * c + 120 * c * c * c * c)
    default: return .nan  // no closed form above degree 5: `closedFormKernel` is nil there
    }
  }
}

/// Cross moments of a centred bivariate normal by Isserlis' theorem:
/// ```
/// E[uⁱvʲ] = Σₘ i! j! / (m! ((i−m)/2)! ((j−m)/2)! 2^{(i−m)/2 + (j−m)/2}) q₁₂ᵐ q₁₁^{(i−m)/2} q₂₂^{(j−m)/2}
/// ```
/// over m ≤ min(i, j) with i − m and j − m even.
public enum GaussianMoments {
  public static func cross(_ i: Int, _ j: Int, q11: Double, q22: Double, q12: Double) -> Double {
    var total = 0.0
    var m = min(i, j)
    while m >= 0 {
      if (i - m) % 2 == 0, (j - m) % 2 == 0 {
        let a = (i - m) / 2, b = (j - m) / 2
        let coefficient = factorial(i) * factorial(j) / (factorial(m) * factorial(a) * factorial(b) * pow(2, Double(a + b)))
        total += coefficient * pow(q12, Double(m)) * pow(q11, Double(a)) * pow(q22, Double(b))
      }
      m -= 1
    }
    return total
  }

  static func factorial(_ n: Int) -> Double { n <= 1 ? 1 : (2...n).reduce(1.0) { $0 * Double($1) } }
}

/// exp(−x²)·sin x: the Gaussian factor folds into the covariance. With A = I + 2Σ,
/// D = det A and Σ′ = ΣA⁻¹, E = D^{−1/2}·exp(−(s₁₁ + s₂₂)/2)·sinh(s₁₂), and dot = ∂E/∂q₁₂.
enum GaborKernel {
  static func value(q11: Double, q22: Double, q12: Double) -> KernelValue {
    let d = (1 + 2 * q11) * (1 + 2 * q22) - 4 * q12 * q12
    let p = q11 * q22 - q12 * q12
    let s12 = q12 / d, s11 = (q11 + 2 * p) / d, s22 = (q22 + 2 * p) / d
    let e = exp(-(s11 + s22) / 2) / d.squareRoot()
    let nngp = e * sinh(s12)
    // derivatives with respect to q12
    let dD = -8 * q12, dP = -2 * q12
    let ds12 = 1 / d - q12 * dD / (d * d)
    let ds11 = 2 * dP / d - (q11 + 2 * p) * dD / (d * d)
    let ds22 = 2 * dP / d - (q22 + 2 * p) * dD / (d * d)
    let dot = nngp * (-0.5 * dD / d - 0.5 * (ds11 + ds22)) + e * cosh(s12) * ds12
    return KernelValue(nngp: nngp, dot: dot)
  }
}
