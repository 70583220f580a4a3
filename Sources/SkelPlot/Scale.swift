#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// How data values map onto an axis.
public enum ScaleKind: String, Sendable, Hashable, Codable {
  /// Linear.
  case linear
  /// Base-10 logarithmic (positive values only).
  case log
  /// Symmetric log: linear within ±1 of zero, logarithmic beyond (sign(v)·log₁₀(1 + |v|)).
  case symlog
}

/// A resolved scale: data interval → [0, 1].
public struct Scale: Sendable, Hashable {
  public var kind: ScaleKind { didSet { transformBounds() } }
  public var lower: Double { didSet { transformBounds() } }
  public var upper: Double { didSet { transformBounds() } }
  /// The bounds in the axis' linear coordinate, kept so that `fraction` transforms one value, not
  /// three (10⁵ vertices of a log-log plot).
  private var transformedLower = 0.0, transformedSpan = 1.0

  public init(kind: ScaleKind, lower: Double, upper: Double) {
    self.kind = kind
    self.lower = lower
    self.upper = upper
    transformBounds()
  }

  private mutating func transformBounds() {
    transformedLower = Self.transform(lower, kind)
    transformedSpan = Self.transform(upper, kind) - transformedLower
  }

  /// The transform in which the axis is linear.
  public static func transform(_ v: Double, _ kind: ScaleKind) -> Double {
    switch kind {
    case .linear: return v
    case .log: return log10(v)
    case .symlog: return v < 0 ? -log10(1 - v) : log10(1 + v)
    }
  }

  public static func inverse(_ t: Double, _ kind: ScaleKind) -> Double {
    switch kind {
    case .linear: return t
    case .log: return pow(10, t)
    case .symlog: return t < 0 ? 1 - pow(10, -t) : pow(10, t) - 1
    }
  }

  /// The fraction of the axis at which `value` sits (0 at `lower`, 1 at `upper`).
  public func fraction(_ value: Double) -> Double {
    (Self.transform(value, kind) - transformedLower) / transformedSpan
  }

  /// Whether a value can be shown on this scale.
  public func accepts(_ v: Double) -> Bool { v.isFinite && (kind != .log || v > 0) }
}
