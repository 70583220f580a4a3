import SkelDocument
import SkelMath

/// A Swift type an option field holds: decoded from a checked `TypedValue` (the option language
/// after `OptionTypeChecker`), encoded back to one for the canonical cache key and the docs.
public protocol OptionConvertible: Sendable, Hashable {
  /// The value, or `nil` when `typed` is not of this type (a declaration error, which the
  /// registry's tests catch for every field: defaults and examples must decode).
  init?(typed: TypedValue)
  var typed: TypedValue { get }
  /// How the value is written in a report (defaults in `skelreport kinds` and the docs).
  var spelling: String { get }
}

extension Double: OptionConvertible {
  public init?(typed: TypedValue) {
    switch typed {
    case .number(let x): self = x
    case .integer(let n): self = Double(n)
    default: return nil
    }
  }
  public var typed: TypedValue { .number(self) }
  public var spelling: String { OptionType.fmt(self) }
}

extension Int: OptionConvertible {
  public init?(typed: TypedValue) {
    guard case .integer(let n) = typed else { return nil }
    self = n
  }
  public var typed: TypedValue { .integer(self) }
  public var spelling: String { String(self) }
}

extension Bool: OptionConvertible {
  public init?(typed: TypedValue) {
    guard case .boolean(let b) = typed else { return nil }
    self = b
  }
  public var typed: TypedValue { .boolean(self) }
  public var spelling: String { self ? "true" : "false" }
}

extension String: OptionConvertible {
  public init?(typed: TypedValue) {
    guard case .string(let s) = typed else { return nil }
    self = s
  }
  public var typed: TypedValue { .string(self) }
  public var spelling: String { self }
}

extension Array: OptionConvertible where Element: OptionConvertible {
  public init?(typed: TypedValue) {
    guard case .list(let items) = typed else { return nil }
    var out: [Element] = []
    for item in items {
      guard let e = Element(typed: item) else { return nil }
      out.append(e)
    }
    self = out
  }
  public var typed: TypedValue { .list(map(\.typed)) }
  public var spelling: String { "[" + map(\.spelling).joined(separator: ", ") + "]" }
}

/// A choice option: an enum whose raw values are the names a report writes.
public protocol OptionChoice: OptionConvertible, CaseIterable, RawRepresentable<String> {}

extension OptionChoice {
  public init?(typed: TypedValue) {
    guard case .string(let s) = typed, let v = Self(rawValue: s) else { return nil }
    self = v
  }
  public var typed: TypedValue { .string(rawValue) }
  public var spelling: String { rawValue }
  /// The option type listing every case.
  public static var optionType: OptionType { .choice(allCases.map(\.rawValue)) }
}

/// A grid of points (`linspace(-1, 1, 401)`, `[0, 0.5, 1]`): equal when the points are, however
/// they were written, so two spellings of one grid share a cache entry.
public struct GridPoints: OptionConvertible {
  public var points: [Double]
  /// How the default is written (docs only; not part of the value).
  public var written: String?

  public init(_ points: [Double], written: String? = nil) {
    self.points = points
    self.written = written
  }
  public init?(typed: TypedValue) {
    guard case .grid(let g) = typed else { return nil }
    self.init(g)
  }
  /// `n` evenly spaced points from a to b, spelt as `linspace(a, b, n)` (`pi` where b is π).
  public static func linspace(_ a: Double, _ b: Double, _ n: Int, written: String? = nil) -> GridPoints {
    GridPoints(SkelMath.Grid.linspace(a, b, count: n), written: written ?? "linspace(\(OptionType.fmt(a)), \(OptionType.fmt(b)), \(n))")
  }
  public static func logspace(_ a: Double, _ b: Double, _ n: Int) -> GridPoints {
    GridPoints(SkelMath.Grid.logspace(a, b, count: n), written: "logspace(\(OptionType.fmt(a)), \(OptionType.fmt(b)), \(n))")
  }
  public var typed: TypedValue { .grid(points) }
  public var spelling: String { written ?? "[" + points.map(OptionType.fmt).joined(separator: ", ") + "]" }
  public static func == (a: GridPoints, b: GridPoints) -> Bool { a.points == b.points }
  public func hash(into h: inout Hasher) { h.combine(points) }
}

/// A figure size in points (`5in x 3.4in`).
public struct FigureSize: OptionConvertible {
  public var width: Double
  public var height: Double
  public var written: String?
  public init(width: Double, height: Double, written: String? = nil) {
    self.width = width
    self.height = height
    self.written = written
  }
  public init?(typed: TypedValue) {
    guard case .size(let w, let h) = typed else { return nil }
    self.init(width: w, height: h)
  }
  /// Inches.
  public static func inches(_ w: Double, _ h: Double) -> FigureSize {
    FigureSize(width: 72 * w, height: 72 * h, written: "\(OptionType.fmt(w))in x \(OptionType.fmt(h))in")
  }
  public var typed: TypedValue { .size(width: width, height: height) }
  public var spelling: String { written ?? "\(OptionType.fmt(width))pt x \(OptionType.fmt(height))pt" }
  public static func == (a: FigureSize, b: FigureSize) -> Bool { a.width == b.width && a.height == b.height }
  public func hash(into h: inout Hasher) {
    h.combine(width)
    h.combine(height)
  }
}

/// A callable value (`relu`, `leaky_relu(alpha=0.2)`, `expr(x*tanh(x))`) with every parameter
/// resolved: `leaky_relu` and `leaky_relu(alpha=0.01)` are one value.
public struct CallValue: OptionConvertible {
  public var name: String
  public var arguments: [String: Double]
  /// The raw argument of a text callable (`expr`).
  public var text: String?
  /// How a default is written in the docs (not part of the value).
  public var written: String?

  public init(name: String, arguments: [String: Double] = [:], text: String? = nil) {
    self.name = name
    self.arguments = arguments
    self.text = text
  }
  /// A call with the parameters `specs` give it by default, overridden by `arguments`.
  public init(_ name: String, _ arguments: [String: Double] = [:], specs: [CallableSpec]) {
    var args = arguments
    if let spec = specs.first(where: { $0.name == name }) {
      for (p, v) in zip(spec.parameters, spec.defaults) where args[p] == nil { args[p] = v }
    }
    self.init(name: name, arguments: args)
  }
  public init?(typed: TypedValue) {
    guard case .call(let n, let a, let t) = typed else { return nil }
    self.init(name: n, arguments: a, text: t)
  }
  public var typed: TypedValue { .call(name: name, arguments: arguments, text: text) }
  public static func == (a: CallValue, b: CallValue) -> Bool { a.name == b.name && a.arguments == b.arguments && a.text == b.text }
  public func hash(into h: inout Hasher) {
    h.combine(name)
    h.combine(arguments)
    h.combine(text)
  }
  public var spelling: String {
    if let written { return written }
    if let text { return "\(name)(\(text))" }
    return arguments.isEmpty
      ? name
      : name + "(" + arguments.sorted { $0.key < $1.key }.map { "\($0.key)=\(OptionType.fmt($0.value))" }.joined(separator: ", ") + ")"
  }
}

extension TypedValue {
  /// One text per value, whatever its spelling in the report: numbers in the shortest form
  /// that reads back to the same double, grids as their points, call parameters sorted.
  /// Different values give different texts (strings are quoted, so no text is ambiguous).
  public var canonical: String {
    switch self {
    case .number(let x): return "n:" + Self.number(x)
    case .integer(let n): return "i:\(n)"
    case .boolean(let b): return b ? "true" : "false"
    case .string(let s): return "s:" + Self.quoted(s)
    case .list(let items): return "[" + items.map(\.canonical).joined(separator: ",") + "]"
    case .grid(let g): return "g:[" + g.map(Self.number).joined(separator: ",") + "]"
    case .size(let w, let h): return "size:" + Self.number(w) + "x" + Self.number(h)
    case .call(let name, let args, let text):
      let a = args.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.number($0.value))" }.joined(separator: ",")
      return "c:" + name + "(" + a + ")" + (text.map { ":" + Self.quoted($0) } ?? "")
    case .record(let name, let fields):
      return "r:" + name + "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.canonical)" }.joined(separator: ",") + "}"
    }
  }

  /// `Double.description` is the shortest form that reads back to the same double (−0 stays
  /// apart from 0: they are different inputs).
  static func number(_ x: Double) -> String { x.description }

  static func quoted(_ s: String) -> String {
    "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
