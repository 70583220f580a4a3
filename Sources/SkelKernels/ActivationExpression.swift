#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// A user activation written as an expression in `x`, such as `x*tanh(softplus(x))` (Mish).
///
/// Grammar: `+ - * / ^`, parentheses, numbers, `pi`, `e`, and the functions exp, log, sqrt, abs,
/// tanh, sinh, cosh, sin, cos, erf, sigmoid, softplus, relu, max(a, b), min(a, b). The value and
/// the derivative (for the NTK) come from one forward-mode pass over the tree (dual numbers), so
/// σ′ is exact, not a finite difference. Equality, hashing and coding use the source text.
public struct ActivationExpression: Hashable, Sendable, Codable, CustomStringConvertible {
  public let source: String
  let root: Node

  /// Limits that keep parsing and evaluation bounded (both recurse over the tree, on worker
  /// threads with small stacks): parentheses, calls and signs nested at most `maxNesting` deep,
  /// at most `maxNodes` operands and operators, and a tree at most `maxHeight` levels high
  /// (`x+x+…` is a left-leaning chain as high as it is long).
  public static let maxNesting = 64
  public static let maxNodes = 2000
  public static let maxHeight = 256

  public init(_ source: String) throws(ExpressionError) {
    let chars = Array(source)
    if chars.count > 20 * Self.maxNodes {
      throw ExpressionError(
        offset: 0, message: "the expression is \(chars.count) characters long; at most \(20 * Self.maxNodes) are allowed")
    }
    var p = Parser(chars: chars)
    let node = try p.parseSum()
    p.skipSpaces()
    if p.i < p.chars.count { throw ExpressionError(offset: p.i, message: "unexpected '\(p.chars[p.i])' in the expression") }
    if node.height > Self.maxHeight {
      throw ExpressionError(
        offset: 0,
        message:
          "the expression is \(node.height) operations deep; at most \(Self.maxHeight) are allowed (group long sums with parentheses)")
    }
    guard node.usesX else { throw ExpressionError(offset: 0, message: "the expression does not use x") }
    self.source = source
    root = node
  }

  public var description: String { source }
  public static func == (a: Self, b: Self) -> Bool { a.source == b.source }
  public func hash(into h: inout Hasher) { h.combine(source) }
  public init(from decoder: Decoder) throws {
    let s = try decoder.singleValueContainer().decode(String.self)
    do { try self.init(s) } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
    }
  }
  public func encode(to encoder: Encoder) throws {
    var c = encoder.singleValueContainer()
    try c.encode(source)
  }

  /// σ(x).
  public func value(_ x: Double) -> Double { root.evaluate(Dual(x, 1)).v }
  /// σ′(x).
  public func derivative(_ x: Double) -> Double { root.evaluate(Dual(x, 1)).d }

  // MARK: - Tree

  indirect enum Node: Sendable {
    case x
    case number(Double)
    case negate(Node)
    case binary(Character, Node, Node)
    case unary(Function, Node)
    case pair(PairFunction, Node, Node)

    /// Levels of the tree (≤ maxNodes, so this recursion is bounded by the parser's limits).
    var height: Int {
      switch self {
      case .x, .number: return 1
      case .negate(let a): return 1 + a.height
      case .unary(_, let a): return 1 + a.height
      case .binary(_, let a, let b), .pair(_, let a, let b): return 1 + max(a.height, b.height)
      }
    }

    var usesX: Bool {
      switch self {
      case .x: return true
      case .number: return false
      case .negate(let a): return a.usesX
      case .unary(_, let a): return a.usesX
      case .binary(_, let a, let b), .pair(_, let a, let b): return a.usesX || b.usesX
      }
    }

    func evaluate(_ x: Dual) -> Dual {
      switch self {
      case .x: return x
      case .number(let c): return Dual(c, 0)
      case .negate(let a): return Dual(0, 0) - a.evaluate(x)
      case .binary(let op, let a, let b):
        let u = a.evaluate(x), w = b.evaluate(x)
        switch op {
        case "+": return u + w
        case "-": return u - w
        case "*": return u * w
        case "/": return u / w
        default: return u.power(w)
        }
      case .unary(let f, let a): return f.apply(a.evaluate(x))
      case .pair(let f, let a, let b): return f.apply(a.evaluate(x), b.evaluate(x))
      }
    }
  }

  /// A value with its derivative (forward-mode automatic differentiation).
  struct Dual {
    var v: Double
    var d: Double
    init(_ v: Double, _ d: Double) {
      self.v = v
      self.d = d
    }
    static func + (a: Dual, b: Dual) -> Dual { Dual(a.v + b.v, a.d + b.d) }
    static func - (a: Dual, b: Dual) -> Dual { Dual(a.v - b.v, a.d - b.d) }
    static func * (a: Dual, b: Dual) -> Dual { Dual(a.v * b.v, a.d * b.v + a.v * b.d) }
    static func / (a: Dual, b: Dual) -> Dual { Dual(a.v / b.v, (a.d * b.v - a.v * b.d) / (b.v * b.v)) }
    func chain(_ f: Double, _ df: Double) -> Dual { Dual(f, df * d) }
    func power(_ e: Dual) -> Dual {
      if e.d == 0 {  // constant exponent: d(uⁿ) = n uⁿ⁻¹ du, valid for negative u too
        let p = pow(v, e.v)
        return Dual(p, e.v == 0 ? 0 : e.v * pow(v, e.v - 1) * d)
      }
      let p = pow(v, e.v)
      return Dual(p, p * (e.d * log(v) + e.v * d / v))
    }
  }

  /// The functions of one argument. A call names one of these or a `PairFunction`, resolved
  /// when parsing, so evaluation never meets an unknown name or a wrong argument count.
  enum Function: String, CaseIterable, Sendable {
    case exp, log, sqrt, abs, tanh, sinh, cosh, sin, cos, erf, sigmoid, softplus, relu

    func apply(_ u: Dual) -> Dual { Functions.apply(self, u) }
  }

  /// The derivatives of the functions (outside `Function`, whose cases would shadow libm's names).
  enum Functions {
    static func apply(_ f: Function, _ u: Dual) -> Dual {
      switch f {
      case .exp: return u.chain(exp(u.v), exp(u.v))
      case .log: return u.chain(log(u.v), 1 / u.v)
      case .sqrt: return u.chain(u.v.squareRoot(), 0.5 / u.v.squareRoot())
      case .abs: return u.chain(Swift.abs(u.v), u.v < 0 ? -1 : 1)
      case .tanh:
        let t = tanh(u.v)
        return u.chain(t, 1 - t * t)
      case .sinh: return u.chain(sinh(u.v), cosh(u.v))
      case .cosh: return u.chain(cosh(u.v), sinh(u.v))
      case .sin: return u.chain(sin(u.v), cos(u.v))
      case .cos: return u.chain(cos(u.v), -sin(u.v))
      case .erf: return u.chain(erf(u.v), 2 / Double.pi.squareRoot() * exp(-u.v * u.v))
      case .sigmoid:
        let s = 1 / (1 + exp(-u.v))
        return u.chain(s, s * (1 - s))
      case .softplus: return u.chain(u.v > 30 ? u.v : log1p(exp(u.v)), 1 / (1 + exp(-u.v)))
      case .relu: return u.chain(max(0, u.v), u.v > 0 ? 1 : 0)
      }
    }
  }

  /// The functions of two arguments.
  enum PairFunction: String, CaseIterable, Sendable {
    case max, min

    func apply(_ a: Dual, _ b: Dual) -> Dual {
      switch self {
      case .max: return a.v >= b.v ? a : b
      case .min: return a.v <= b.v ? a : b
      }
    }
  }

  /// Every function name, sorted (the parser's error for an unknown one lists them).
  static let knownFunctions: [String] = (Function.allCases.map(\.rawValue) + PairFunction.allCases.map(\.rawValue)).sorted()

  struct Parser {
    var chars: [Character]
    var i = 0
    var nesting = 0
    var nodes = 0

    /// Counts a node; more than `maxNodes` is an error at the current offset.
    mutating func count() throws(ExpressionError) {
      nodes += 1
      if nodes > ActivationExpression.maxNodes {
        throw ExpressionError(offset: i, message: "the expression has more than \(ActivationExpression.maxNodes) terms and operators")
      }
    }

    /// Enters a nested level (parenthesis, call, sign, exponent); deeper than `maxNesting` is an error here.
    mutating func enter(at offset: Int) throws(ExpressionError) {
      nesting += 1
      if nesting > ActivationExpression.maxNesting {
        throw ExpressionError(offset: offset, message: "the expression is nested more than \(ActivationExpression.maxNesting) levels deep")
      }
    }

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

    mutating func parseSum() throws(ExpressionError) -> Node {
      var left = try parseProduct()
      while true {
        skipSpaces()
        guard i < chars.count, chars[i] == "+" || chars[i] == "-" else { return left }
        let op = chars[i]
        i += 1
        try count()
        left = .binary(op, left, try parseProduct())
      }
    }

    mutating func parseProduct() throws(ExpressionError) -> Node {
      var left = try parseUnary()
      while true {
        skipSpaces()
        guard i < chars.count, chars[i] == "*" || chars[i] == "/" else { return left }
        let op = chars[i]
        i += 1
        try count()
        left = .binary(op, left, try parseUnary())
      }
    }

    mutating func parseUnary() throws(ExpressionError) -> Node {
      skipSpaces()
      if i < chars.count, chars[i] == "-" || chars[i] == "+" {
        let negative = chars[i] == "-"
        i += 1
        try enter(at: i - 1)
        defer { nesting -= 1 }
        if negative { try count() }
        let operand = try parseUnary()
        return negative ? .negate(operand) : operand
      }
      return try parsePower()
    }

    mutating func parsePower() throws(ExpressionError) -> Node {
      let base = try parseAtom()
      skipSpaces()
      if i < chars.count, chars[i] == "^" {
        i += 1
        try count()
        try enter(at: i - 1)
        defer { nesting -= 1 }
        return .binary("^", base, try parseUnary())
      }
      return base
    }

    mutating func parseAtom() throws(ExpressionError) -> Node {
      skipSpaces()
      guard i < chars.count else {
        throw ExpressionError(offset: i, message: "the expression ends early: expected a number, x, or a function")
      }
      let c = chars[i]
      try count()
      if c == "(" {
        i += 1
        try enter(at: i - 1)
        defer { nesting -= 1 }
        let inner = try parseSum()
        skipSpaces()
        guard i < chars.count, chars[i] == ")" else { throw ExpressionError(offset: i, message: "expected ')'") }
        i += 1
        return inner
      }
      if c.isNumber || c == "." { return try parseNumber() }
      if c.isLetter { return try parseName() }
      throw ExpressionError(offset: i, message: "unexpected '\(c)' in the expression")
    }

    /// A number: digits and a point, then an exponent (`1e-3`) if one follows.
    mutating func parseNumber() throws(ExpressionError) -> Node {
      let start = i
      while i < chars.count, chars[i].isNumber || chars[i] == "." { i += 1 }
      if i < chars.count, chars[i] == "e" || chars[i] == "E", i + 1 < chars.count,
        chars[i + 1].isNumber || ((chars[i + 1] == "-" || chars[i + 1] == "+") && i + 2 < chars.count && chars[i + 2].isNumber)
      {
        i += 2
        while i < chars.count, chars[i].isNumber { i += 1 }
      }
      guard let v = Double(String(chars[start..<i])) else { throw ExpressionError(offset: start, message: "malformed number") }
      return .number(v)
    }

    /// A name: a call of a known function (its arguments checked against its arity), `x`, `pi` or `e`.
    mutating func parseName() throws(ExpressionError) -> Node {
      let start = i
      while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
      let name = String(chars[start..<i])
      skipSpaces()
      if i < chars.count, chars[i] == "(" {
        let unary = Function(rawValue: name), pair = PairFunction(rawValue: name)
        guard unary != nil || pair != nil else {
          throw ExpressionError(offset: start, message: "unknown function '\(name)'; known: \(knownFunctions.joined(separator: ", "))")
        }
        let n = unary != nil ? 1 : 2
        i += 1
        try enter(at: start)
        defer { nesting -= 1 }
        var args: [Node] = [try parseSum()]
        skipSpaces()
        while i < chars.count, chars[i] == "," {
          i += 1
          args.append(try parseSum())
          skipSpaces()
        }
        guard i < chars.count, chars[i] == ")" else {
          throw ExpressionError(offset: i, message: "expected ')' after the arguments of \(name)")
        }
        i += 1
        if let f = unary, args.count == 1 { return .unary(f, args[0]) }
        if let f = pair, args.count == 2 { return .pair(f, args[0], args[1]) }
        throw ExpressionError(offset: start, message: "\(name) takes \(n) argument\(n == 1 ? "" : "s"), got \(args.count)")
      }
      switch name {
      case "x": return .x
      case "pi": return .number(Double.pi)
      case "e": return .number(M_E)
      default: throw ExpressionError(offset: start, message: "unknown name '\(name)': the variable is x")
      }
    }
  }
}

/// A syntax error in an activation expression, at a character offset.
public struct ExpressionError: Error, Sendable, Equatable {
  public var offset: Int
  public var message: String
}
