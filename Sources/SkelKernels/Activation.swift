#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// An activation function σ, as a value: hashable, printable and `Codable` (it is part of cache keys).
///
/// The Daniely family members are *normalized*: E[σ(Z)²] = 1 for Z ~ N(0, 1), so that their dual
/// σ̂(1) = 1 (Daniely, Frostig, Singer 2016, Table 1).
public enum Activation: Hashable, Sendable, Codable, CustomStringConvertible {
  /// σ(x) = x. Dual ρ (linear kernel).
  case identity
  /// σ(x) = √2·max(0, x). Dual: arc-cosine kernel of degree 1.
  case relu
  /// σ(x) = √2·𝟙[x ≥ 0]. Dual: arc-cosine kernel of degree 0.
  case step
  /// σ(x) = exp(a·x − a²). Dual exp(a²(ρ − 1)), the Gaussian RBF kernel on the sphere.
  case exponential(scale: Double)
  /// σ(x) = sign(x). Dual (2/π)·arcsin ρ.
  case sign
  /// σ(x) = |x|. Dual (2/π)(√(1−ρ²) + ρ·arcsin ρ).
  case abs
  /// σ(x) = (x² − 1)/√2, the second normalized Hermite polynomial. Dual ρ².
  case hermite2

  /// The name used for series, tables and directive options (`relu`, `step`, `exp`, …).
  public var name: String {
    switch self {
    case .identity: return "identity"
    case .relu: return "relu"
    case .step: return "step"
    case .exponential(let a): return a == 1 ? "exp" : "exp(a=\(a))"
    case .sign: return "sign"
    case .abs: return "abs"
    case .hermite2: return "hermite2"
    }
  }

  public var description: String { name }

  /// The activations known by name in directives, with their defaults.
  public static let named: [(name: String, activation: Activation)] = [
    ("identity", .identity), ("relu", .relu), ("step", .step), ("exp", .exponential(scale: 1)),
    ("sign", .sign), ("abs", .abs), ("hermite2", .hermite2),
  ]

  /// Looks an activation up by its directive name.
  public init?(name: String) {
    guard let hit = Self.named.first(where: { $0.name == name }) else { return nil }
    self = hit.activation
  }

  /// σ(x), the activation itself (used by quadrature and sampling).
  public func callAsFunction(_ x: Double) -> Double {
    switch self {
    case .identity: return x
    case .relu: return x > 0 ? 2.0.squareRoot() * x : 0
    case .step: return x >= 0 ? 2.0.squareRoot() : 0
    case .exponential(let a): return exp(a * x - a * a)
    case .sign: return x > 0 ? 1 : (x < 0 ? -1 : 0)
    case .abs: return Swift.abs(x)
    case .hermite2: return (x * x - 1) / 2.0.squareRoot()
    }
  }
}
