#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// How data values map onto an axis.
public enum ScaleKind: String, Sendable, Hashable, Codable {
  case linear, log
}

/// A resolved scale: data interval → [0, 1].
public struct Scale: Sendable, Hashable {
  public var kind: ScaleKind
  public var lower: Double
  public var upper: Double
  public init(kind: ScaleKind, lower: Double, upper: Double) {
    self.kind = kind
    self.lower = lower
    self.upper = upper
  }

  /// The fraction of the axis at which `value` sits (0 at `lower`, 1 at `upper`).
  public func fraction(_ value: Double) -> Double {
    switch kind {
    case .linear: return (value - lower) / (upper - lower)
    case .log: return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
    }
  }
}
