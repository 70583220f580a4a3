#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// An elementwise activation σ as a value: hashable, printable and `Codable` (it is part of
/// cache keys). The cases follow neural-tangents 0.6.5's `stax` layers (raw covariances,
/// science.md §7.2) plus activations with no closed form, which go through quadrature.
public enum Activation: Hashable, Sendable, Codable, CustomStringConvertible {
  /// a·min(x, 0) + b·max(x, 0) (Tsuchida et al. 2018). ReLU = (0, 1), leaky ReLU = (α, 1), |x| = (−1, 1).
  case abRelu(a: Double, b: Double)
  /// a·erf(b·x) + c.
  case erf(a: Double, b: Double, c: Double)
  /// x·Φ(x) (the exact GELU; NT's kernel uses it for `approximate=True` too).
  case gelu
  /// a·sin(b·x + c); cos is sin with c + π/2.
  case sin(a: Double, b: Double, c: Double)
  /// √2·sin(√(2γ)·x + π/4), whose kernel is exp(−γ(q₁₁ + q₂₂ − 2q₁₂)).
  case rbf(gamma: Double)
  /// sign(x).
  case sign
  /// a·exp(b·x).
  case exp(a: Double, b: Double)
  /// a·exp(b·x²).
  case gaussian(a: Double, b: Double)
  /// Kernel-only: √(q₁₁q₂₂)·exp(γ(c + shift)), c the correlation (NT `ExpNormalized`).
  case expNormalized(gamma: Double, shift: Double)
  /// The normalized Hermite polynomial hₖ; its kernel assumes unit variances (as NT's).
  case hermite(degree: Int)
  /// xᵏ.
  case monomial(degree: Int)
  /// 𝟙[x ≥ 0]·xᵏ (Cho & Saul's arc-cosine kernel of degree k), k ≤ 5.
  case rectifiedMonomial(degree: Int)
  /// Σᵢ cᵢ xⁱ.
  case polynomial(coefficients: [Double])
  /// exp(−x²)·sin x.
  case gabor
  // No closed form: computed by quadrature.
  case tanh
  case softplus
  /// x for x > 0, α(eˣ − 1) otherwise.
  case elu(alpha: Double)
  /// x·sigmoid(x) (swish).
  case silu
  /// The tanh approximation of GELU.
  case geluTanh
  /// 1/(1 + e^{−x}).
  case sigmoid
  /// Any expression in x (`x*tanh(softplus(x))`); kernels by quadrature.
  case expression(ActivationExpression)

  // MARK: Names

  /// Directive names, with their parameters and defaults (`leaky_relu(alpha=0.2)`).
  public struct Name: Sendable, Hashable {
    public var name: String
    public var parameters: [(String, Double)]
    public static func == (a: Name, b: Name) -> Bool {
      a.name == b.name && a.parameters.map(\.0) == b.parameters.map(\.0) && a.parameters.map(\.1) == b.parameters.map(\.1)
    }
    public func hash(into h: inout Hasher) { h.combine(name) }
  }

  /// Every activation a directive may name. Daniely's normalized names (relu, step, exp) are the
  /// same kernels; the normalized dual divides by the variance (see `Dual`).
  public static let names: [Name] = [
    Name(name: "relu", parameters: []), Name(name: "leaky_relu", parameters: [("alpha", 0.2)]),
    Name(name: "abs", parameters: []), Name(name: "ab_relu", parameters: [("a", 0), ("b", 1)]),
    Name(name: "step", parameters: []), Name(name: "identity", parameters: []),
    Name(name: "exp", parameters: [("a", 1)]), Name(name: "sign", parameters: []),
    Name(name: "erf", parameters: [("a", 1), ("b", 1), ("c", 0)]), Name(name: "sigmoid_like", parameters: []),
    Name(name: "gelu", parameters: []), Name(name: "sin", parameters: [("a", 1), ("b", 1), ("c", 0)]),
    Name(name: "cos", parameters: [("a", 1), ("b", 1), ("c", 0)]), Name(name: "rbf", parameters: [("gamma", 1)]),
    Name(name: "gaussian", parameters: [("a", 1), ("b", -1)]), Name(name: "hermite", parameters: [("k", 2)]),
    Name(name: "monomial", parameters: [("k", 2)]), Name(name: "rectified_monomial", parameters: [("k", 1)]),
    Name(name: "gabor", parameters: []), Name(name: "tanh", parameters: []), Name(name: "softplus", parameters: []),
    Name(name: "elu", parameters: [("alpha", 1)]), Name(name: "silu", parameters: []),
    Name(name: "gelu_tanh", parameters: []), Name(name: "sigmoid", parameters: []),
  ]

  /// Builds an activation from a directive name and parameters (missing ones take defaults).
  /// `exp(a)` is Daniely's e^{a x − a²}, whose normalized dual is e^{a²(ρ−1)}.
  public init?(name: String, parameters: [String: Double] = [:]) {
    guard let spec = Self.names.first(where: { $0.name == name }) else { return nil }
    var p: [String: Double] = [:]
    for (k, v) in spec.parameters { p[k] = parameters[k] ?? v }
    // `p` holds every parameter the table declares; the defaults below (the table's) are never read.
    switch name {
    case "relu": self = .abRelu(a: 0, b: 1)
    case "leaky_relu": self = .abRelu(a: p["alpha", default: 0.2], b: 1)
    case "abs": self = .abRelu(a: -1, b: 1)
    case "ab_relu": self = .abRelu(a: p["a", default: 0], b: p["b", default: 1])
    case "step": self = .rectifiedMonomial(degree: 0)
    case "identity": self = .monomial(degree: 1)
    case "exp": self = .exp(a: Libm.exp(-p["a", default: 1] * p["a", default: 1]), b: p["a", default: 1])
    case "sign": self = .sign
    case "erf": self = .erf(a: p["a", default: 1], b: p["b", default: 1], c: p["c", default: 0])
    case "sigmoid_like": self = .erf(a: 0.5, b: 1 / 2.4020563531719796, c: 0.5)
    case "gelu": self = .gelu
    case "sin": self = .sin(a: p["a", default: 1], b: p["b", default: 1], c: p["c", default: 0])
    case "cos": self = .sin(a: p["a", default: 1], b: p["b", default: 1], c: p["c", default: 0] + Double.pi / 2)
    case "rbf": self = .rbf(gamma: p["gamma", default: 1])
    case "gaussian": self = .gaussian(a: p["a", default: 1], b: p["b", default: -1])
    case "hermite": self = .hermite(degree: Int(p["k", default: 2]))
    case "monomial": self = .monomial(degree: Int(p["k", default: 2]))
    case "rectified_monomial": self = .rectifiedMonomial(degree: Int(p["k", default: 1]))
    case "gabor": self = .gabor
    case "tanh": self = .tanh
    case "softplus": self = .softplus
    case "elu": self = .elu(alpha: p["alpha", default: 1])
    case "silu": self = .silu
    case "gelu_tanh": self = .geluTanh
    case "sigmoid": self = .sigmoid
    default: return nil
    }
  }

  public var description: String {
    switch self {
    case .abRelu(0, 1): return "relu"
    case .abRelu(-1, 1): return "abs"
    case .abRelu(let a, 1): return "leaky_relu(\(a))"
    case .abRelu(let a, let b): return "ab_relu(\(a), \(b))"
    case .erf(let a, let b, let c): return "erf(\(a), \(b), \(c))"
    case .gelu: return "gelu"
    case .sin(let a, let b, let c): return "sin(\(a), \(b), \(c))"
    case .rbf(let g): return "rbf(\(g))"
    case .sign: return "sign"
    case .exp(let a, let b): return "exp(\(a), \(b))"
    case .gaussian(let a, let b): return "gaussian(\(a), \(b))"
    case .expNormalized(let g, let s): return "exp_normalized(\(g), \(s))"
    case .hermite(let k): return "hermite(\(k))"
    case .monomial(1): return "identity"
    case .monomial(let k): return "monomial(\(k))"
    case .rectifiedMonomial(0): return "step"
    case .rectifiedMonomial(let k): return "rectified_monomial(\(k))"
    case .polynomial(let c): return "polynomial(\(c))"
    case .gabor: return "gabor"
    case .tanh: return "tanh"
    case .softplus: return "softplus"
    case .elu(let a): return "elu(\(a))"
    case .silu: return "silu"
    case .geluTanh: return "gelu_tanh"
    case .sigmoid: return "sigmoid"
    case .expression(let e): return "expr(\(e.source))"
    }
  }

  /// Whether the kernel has a closed form here (otherwise it is computed by quadrature).
  public var hasClosedForm: Bool {
    switch self {
    case .tanh, .softplus, .elu, .silu, .geluTanh, .sigmoid, .expression: return false
    case .rectifiedMonomial(let k): return k <= ArcCosine.maxDegree
    default: return true
    }
  }

  // MARK: The function and its derivative

  /// σ(x). `expNormalized` has no finite-width function and returns NaN.
  public func callAsFunction(_ x: Double) -> Double {
    switch self {
    case .abRelu(let a, let b): return x < 0 ? a * x : b * x
    case .erf(let a, let b, let c): return a * Libm.erf(b * x) + c
    case .gelu: return x * 0.5 * Libm.erfc(-x / 2.0.squareRoot())
    case .sin(let a, let b, let c): return a * Libm.sin(b * x + c)
    case .rbf(let g): return 2.0.squareRoot() * Libm.sin((2 * g).squareRoot() * x + Double.pi / 4)
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .exp(let a, let b): return a * Libm.exp(b * x)
    case .gaussian(let a, let b): return a * Libm.exp(b * x * x)
    case .expNormalized: return .nan
    case .hermite(let k): return Hermite.normalized(k, x)
    case .monomial(let k): return Libm.pow(x, Double(k))
    case .rectifiedMonomial(let k): return x >= 0 ? (k == 0 ? 1 : Libm.pow(x, Double(k))) : 0
    case .polynomial(let c): return c.reversed().reduce(0) { $0 * x + $1 }
    case .gabor: return Libm.exp(-x * x) * Libm.sin(x)
    case .tanh: return Libm.tanh(x)
    case .softplus: return x > 30 ? x : Libm.log1p(Libm.exp(x))
    case .elu(let a): return x > 0 ? x : a * Libm.expm1(x)
    case .silu: return x / (1 + Libm.exp(-x))
    case .geluTanh:
      return 0.5 * x * (1 + Libm.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    case .sigmoid: return 1 / (1 + Libm.exp(-x))
    case .expression(let e): return e.value(x)
    }
  }

  /// σ′(x) (for the NTK). At kinks the right derivative is used; sign and step have σ′ = 0 a.e.
  public func derivative(_ x: Double) -> Double {
    switch self {
    case .abRelu(let a, let b): return x < 0 ? a : b
    case .erf(let a, let b, _): return a * b * 2 / Double.pi.squareRoot() * Libm.exp(-b * b * x * x)
    case .gelu: return 0.5 * Libm.erfc(-x / 2.0.squareRoot()) + x * Libm.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
    case .sin(let a, let b, let c): return a * b * Libm.cos(b * x + c)
    case .rbf(let g): return 2.0.squareRoot() * (2 * g).squareRoot() * Libm.cos((2 * g).squareRoot() * x + Double.pi / 4)
    case .sign: return 0
    case .exp(let a, let b): return a * b * Libm.exp(b * x)
    case .gaussian(let a, let b): return 2 * a * b * x * Libm.exp(b * x * x)
    case .expNormalized: return .nan
    case .hermite(let k): return k == 0 ? 0 : Double(k).squareRoot() * Hermite.normalized(k - 1, x)
    case .monomial(let k): return k == 0 ? 0 : Double(k) * Libm.pow(x, Double(k - 1))
    case .rectifiedMonomial(let k): return k == 0 || x < 0 ? 0 : Double(k) * Libm.pow(x, Double(k - 1))
    case .polynomial(let c):
      return c.count < 2 ? 0 : (1..<c.count).reversed().reduce(0) { $0 * x + Double($1) * c[$1] }
    case .gabor: return Libm.exp(-x * x) * (Libm.cos(x) - 2 * x * Libm.sin(x))
    case .tanh:
      let t = Libm.tanh(x)
      return 1 - t * t
    case .softplus: return 1 / (1 + Libm.exp(-x))
    case .elu(let a): return x > 0 ? 1 : a * Libm.exp(x)
    case .silu:
      let s = 1 / (1 + Libm.exp(-x))
      return s * (1 + x * (1 - s))
    case .geluTanh:
      let k = (2 / Double.pi).squareRoot()
      let u = k * (x + 0.044715 * x * x * x)
      let t = Libm.tanh(u)
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x)
    case .sigmoid:
      let s = 1 / (1 + Libm.exp(-x))
      return s * (1 - s)
    case .expression(let e): return e.derivative(x)
    }
  }
}

/// Normalized (probabilists') Hermite polynomials hₖ = Heₖ/√(k!), orthonormal under N(0, 1).
public enum Hermite {
  public static func normalized(_ k: Int, _ x: Double) -> Double {
    if k == 0 { return 1 }
    var h0 = 1.0, h1 = x  // hₖ₊₁ = (x hₖ − √k hₖ₋₁)/√(k+1)
    if k == 1 { return x }
    for n in 1..<k {
      let h2 = (x * h1 - Double(n).squareRoot() * h0) / Double(n + 1).squareRoot()
      h0 = h1
      h1 = h2
    }
    return h1
  }
}

/// libm, namespaced: inside `Activation`, `exp` and `sin` name enum cases.
enum Libm {
  @inline(__always) static func exp(_ x: Double) -> Double { Glibc.exp(x) }
  @inline(__always) static func expm1(_ x: Double) -> Double { Glibc.expm1(x) }
  @inline(__always) static func log1p(_ x: Double) -> Double { Glibc.log1p(x) }
  @inline(__always) static func erf(_ x: Double) -> Double { Glibc.erf(x) }
  @inline(__always) static func erfc(_ x: Double) -> Double { Glibc.erfc(x) }
  @inline(__always) static func sin(_ x: Double) -> Double { Glibc.sin(x) }
  @inline(__always) static func cos(_ x: Double) -> Double { Glibc.cos(x) }
  @inline(__always) static func tanh(_ x: Double) -> Double { Glibc.tanh(x) }
  @inline(__always) static func pow(_ x: Double, _ y: Double) -> Double { Glibc.pow(x, y) }
}

extension Activation {
  /// σ″(x) for the smooth activations (needed for the length map's slope and C″(1)); nil where
  /// σ″ is a distribution (ReLU family, sign, step) or unknown.
  public func secondDerivative(_ x: Double) -> Double? {
    switch self {
    case .tanh:
      let t = Libm.tanh(x)
      return -2 * t * (1 - t * t)
    case .erf(let a, let b, _): return -2 * b * b * x * a * b * 2 / Double.pi.squareRoot() * Libm.exp(-b * b * x * x)
    case .gelu: return Libm.exp(-x * x / 2) / (2 * Double.pi).squareRoot() * (2 - x * x)
    case .sin(let a, let b, let c): return -a * b * b * Libm.sin(b * x + c)
    case .exp(let a, let b): return a * b * b * Libm.exp(b * x)
    case .gaussian(let a, let b): return a * (2 * b + 4 * b * b * x * x) * Libm.exp(b * x * x)
    case .softplus, .sigmoid:
      let s = 1 / (1 + Libm.exp(-x))
      let d = s * (1 - s)
      return self == .softplus ? d : d * (1 - 2 * s)
    case .silu:
      let s = 1 / (1 + Libm.exp(-x)), d = s * (1 - s)
      return 2 * d + x * d * (1 - 2 * s)
    case .monomial(let k): return k < 2 ? 0 : Double(k * (k - 1)) * Libm.pow(x, Double(k - 2))
    case .hermite(let k): return k < 2 ? 0 : (Double(k) * Double(k - 1)).squareRoot() * Hermite.normalized(k - 2, x)
    default: return nil
    }
  }

  /// max(0, x) (NT `Relu`); its normalized dual is Daniely's √2-scaled ReLU's.
  public static let relu = Activation.abRelu(a: 0, b: 1)
  /// 𝟙[x ≥ 0] (NT `RectifiedMonomial(0)`); normalized dual (π − arccos ρ)/π.
  public static let step = Activation.rectifiedMonomial(degree: 0)
  public static let identity = Activation.monomial(degree: 1)
  /// Daniely's normalized exponential e^{a x − a²}, with dual e^{a²(ρ − 1)}.
  public static func exponential(scale a: Double) -> Activation { .exp(a: Libm.exp(-a * a), b: a) }
  public static func leakyRelu(_ alpha: Double) -> Activation { .abRelu(a: alpha, b: 1) }
}
