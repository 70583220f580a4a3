import SkelMath

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// The type of a directive option. Validation knows the science through ranges and choices.
public indirect enum OptionType: Sendable, Hashable, CustomStringConvertible {
  /// A real number in a range (bounds inclusive unless stated).
  case number(min: Double?, max: Double?)
  /// An integer in a range.
  case integer(min: Int?, max: Int?)
  case boolean
  case string
  /// One of the listed names.
  case choice([String])
  /// A list of values of one type, with at least `minCount` items.
  case list(OptionType, minCount: Int)
  /// A grid of numbers: a list, `linspace(a, b, n)`, `logspace(a, b, n)`, `range(a, b)`, or
  /// `[lo .. hi]` (powers of two if written as 2^k). Every point must lie in [min, max].
  case grid(min: Double?, max: Double?)
  /// A size such as `3.4in x 2.4in` (also cm, pt).
  case size
  /// A label: letters, digits, `-`, `_`, starting with a letter.
  case label
  /// A name, optionally called with numeric parameters: `relu`, `leaky_relu(0.2)`,
  /// `erf(b=2)`. `noun` says what it is in messages ("activation").
  case callable(noun: String, [CallableSpec])
  /// A value type a higher module declares with its own checker (the `network` option of
  /// SkelExperiments): the checker turns the value as written into a `TypedValue`.
  case custom(CustomOptionType)

  public var description: String {
    switch self {
    case .number(let lo, let hi): return "a number" + Self.rangeText(lo, hi)
    case .integer(let lo, let hi): return "an integer" + Self.rangeText(lo.map(Double.init), hi.map(Double.init))
    case .boolean: return "true or false"
    case .string: return "a string"
    case .choice(let names): return "one of " + names.map { "'\($0)'" }.joined(separator: ", ")
    case .list(let t, _): return "a list of " + t.itemDescription
    case .grid(let lo, let hi): return "a grid such as linspace(-1, 1, 401) or [0, 0.5, 1]" + Self.rangeText(lo, hi, prefix: " with points")
    case .size: return "a size such as '5in x 3.4in' (units in, cm, pt)"
    case .label: return "a label (letters, digits, '-' and '_', starting with a letter)"
    case .callable(let noun, _): return "an \(noun) such as " + Self.callableExamples(noun)
    case .custom(let t): return t.summary
    }
  }

  static func callableExamples(_ noun: String) -> String {
    noun == "activation" ? "relu, tanh or leaky_relu(alpha=0.2)" : "a name or name(parameter=value)"
  }

  var itemDescription: String {
    switch self {
    case .callable(let noun, _): return noun + "s"
    case .choice(let names): return "names from " + names.map { "'\($0)'" }.joined(separator: ", ")
    default:
      let d = description
      for article in ["a ", "an "] where d.hasPrefix(article) { return String(d.dropFirst(article.count)) + "s" }
      return d
    }
  }

  static func rangeText(_ lo: Double?, _ hi: Double?, prefix: String = "") -> String {
    switch (lo, hi) {
    case (let l?, let h?): return "\(prefix) in [\(fmt(l)), \(fmt(h))]"
    case (let l?, nil): return "\(prefix) ≥ \(fmt(l))"
    case (nil, let h?): return "\(prefix) ≤ \(fmt(h))"
    default: return ""
    }
  }

  public static func fmt(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
  }
}

/// An option type declared outside this module: a name (its identity), how messages describe
/// it, and the checker from a value as written to a typed value (errors at the node's position).
public struct CustomOptionType: Sendable, Hashable {
  public let name: String
  /// What a value of the type is, in messages and docs ("a network such as [dense, relu, dense]").
  public let summary: String
  public let check: @Sendable (_ node: OptionNode, _ option: String) -> Result<TypedValue, OptionSyntaxError>

  public init(
    name: String, summary: String,
    check: @escaping @Sendable (_ node: OptionNode, _ option: String) -> Result<TypedValue, OptionSyntaxError>
  ) {
    self.name = name
    self.summary = summary
    self.check = check
  }

  public static func == (a: Self, b: Self) -> Bool { a.name == b.name }
  public func hash(into h: inout Hasher) { h.combine(name) }
}

/// A name a `.callable` option accepts, with its parameters and their defaults.
public struct CallableSpec: Sendable, Hashable {
  public var name: String
  public var parameters: [String]
  public var defaults: [Double]
  /// Takes one raw text argument instead of numbers (`expr(x*tanh(x))`).
  public var takesText: Bool
  public init(name: String, parameters: [String] = [], defaults: [Double] = [], takesText: Bool = false) {
    self.name = name
    self.parameters = parameters
    self.defaults = defaults
    self.takesText = takesText
  }
  /// `leaky_relu(alpha=0.2)`, or the bare name.
  public var signature: String {
    takesText
      ? name + "(…)"
      : parameters.isEmpty
        ? name : name + "(" + zip(parameters, defaults).map { "\($0)=\(OptionType.fmt($1))" }.joined(separator: ", ") + ")"
  }
}

/// One option a directive kind accepts.
public struct OptionSpec: Sendable, Hashable {
  public var name: String
  public var type: OptionType
  /// The default as it would be written, or `nil` when the option is required.
  public var defaultText: String?
  /// The default as a value (typed declarations give it; the text is then for docs only).
  public var defaultValue: TypedValue?
  public var summary: String
  public init(_ name: String, _ type: OptionType, default defaultText: String?, _ summary: String) {
    self.name = name
    self.type = type
    self.defaultText = defaultText
    self.summary = summary
  }
}

/// A resolved, typed option value.
public indirect enum TypedValue: Sendable, Hashable {
  case number(Double)
  case integer(Int)
  case boolean(Bool)
  case string(String)
  case list([TypedValue])
  case grid([Double])
  /// Width and height in points.
  case size(width: Double, height: Double)
  /// A callable name with every parameter resolved (defaults filled in), or its raw text argument.
  case call(name: String, arguments: [String: Double], text: String?)
  /// A named structure with typed fields (a layer of a network: `dense` with its `w_std`, …).
  case record(name: String, fields: [String: TypedValue])
}

/// The options of one directive after validation: every option of the schema has a value.
public struct ResolvedOptions: Sendable, Hashable {
  public var values: [String: TypedValue]
  /// The text each option was given with (defaults as in the schema), for provenance and JSON.
  public var texts: [String: String]
  /// Options the author wrote (not defaults).
  public var explicit: Set<String>

  public init(values: [String: TypedValue] = [:], texts: [String: String] = [:], explicit: Set<String> = []) {
    self.values = values
    self.texts = texts
    self.explicit = explicit
  }
}

/// Checks option values against their types and turns them into `TypedValue`s.
public enum OptionTypeChecker {
  /// Largest grid a directive may ask for (protects the build from a typo like 4e9).
  public static let maxGridPoints = 1_000_000
  /// Longest label (labels become file names).
  public static let maxLabelLength = 100
  /// Smallest figure side in points (`SkelPlot`'s layout needs room for ticks, labels and a
  /// plot area; below this, drawing fails).
  public static let minFigureSide = 72.0

  public static func check(_ node: OptionNode, as type: OptionType, option: String) -> Result<TypedValue, OptionSyntaxError> {
    func expected() -> Result<TypedValue, OptionSyntaxError> { fail(node, "option '\(option)' expects \(type), got '\(node.text)'") }
    switch type {
    case .number(let lo, let hi):
      guard case .number(let x) = node.value else { return expected() }
      guard x.isFinite else { return fail(node, "option '\(option)' must be a finite number, got \(node.text) = \(x)") }
      if let lo, x < lo { return fail(node, "option '\(option)' must be \(type), got \(node.text)") }
      if let hi, x > hi { return fail(node, "option '\(option)' must be \(type), got \(node.text)") }
      return .success(.number(x))
    case .integer(let lo, let hi):
      guard case .number(let x) = node.value, x == x.rounded(), abs(x) < 1e15 else { return expected() }
      let n = Int(x)
      if let lo, n < lo { return fail(node, "option '\(option)' must be \(type), got \(node.text)") }
      if let hi, n > hi { return fail(node, "option '\(option)' must be \(type), got \(node.text)") }
      return .success(.integer(n))
    case .boolean:
      guard case .bool(let b) = node.value else { return expected() }
      return .success(.boolean(b))
    case .string:
      // Free text (alt text, titles): commas and brackets are part of it, not YAML structure.
      if case .string(let s) = node.value { return .success(.string(s)) }
      return .success(.string(node.text))
    case .label: return checkLabel(node, option: option) ?? expected()
    case .choice(let names): return checkChoice(node, names, as: type, option: option) ?? expected()
    case .list(let itemType, let minCount): return checkList(node, of: itemType, minCount: minCount, option: option)
    case .grid(let lo, let hi): return checkGrid(node, lo: lo, hi: hi, option: option)
    case .size: return checkSize(node, option: option) ?? expected()
    case .callable(let noun, let specs): return checkCallable(node, noun: noun, specs: specs, option: option) ?? expected()
    case .custom(let t): return t.check(node, option)
    }
  }

  /// A failure at `n`.
  static func fail<T>(_ n: OptionNode, _ message: String) -> Result<T, OptionSyntaxError> {
    .failure(OptionSyntaxError(at: n, message))
  }

  /// A label (a letter, then letters, digits, `-`, `_`; it names files); nil when it is not one.
  static func checkLabel(_ node: OptionNode, option: String) -> Result<TypedValue, OptionSyntaxError>? {
    guard case .string(let s) = node.value, let f = s.first, f.isLetter,
      s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
    else { return nil }
    // A label names the figure's files (`<label>.dark.png`): keep it well under NAME_MAX.
    guard s.count <= maxLabelLength, s.utf8.count <= 2 * maxLabelLength else {
      return fail(node, "option '\(option)' must be at most \(maxLabelLength) characters (it names the figure's files), got \(s.count)")
    }
    return .success(.string(s))
  }

  /// One of `names` (a number or a boolean is taken as its text); nil when the value is no word.
  static func checkChoice(_ node: OptionNode, _ names: [String], as type: OptionType, option: String) -> Result<
    TypedValue, OptionSyntaxError
  >? {
    let word: String
    switch node.value {
    case .string(let s): word = s
    case .number, .bool: word = node.text
    default: return nil
    }
    guard names.contains(word) else {
      return fail(node, "unknown value '\(word)' for option '\(option)'\(Suggestion.didYouMean(word, among: names)); expected \(type)")
    }
    return .success(.string(word))
  }

  /// A list (one value is a list of one) of at least `minCount` items, each checked as `itemType`.
  static func checkList(_ node: OptionNode, of itemType: OptionType, minCount: Int, option: String) -> Result<TypedValue, OptionSyntaxError>
  {
    let items: [OptionNode]
    if case .list(let xs) = node.value { items = xs } else { items = [node] }
    if items.count < minCount {
      return fail(node, "option '\(option)' needs at least \(minCount) item\(minCount == 1 ? "" : "s")")
    }
    var out: [TypedValue] = []
    for item in items {
      switch check(item, as: itemType, option: option) {
      case .success(let v): out.append(v)
      case .failure(let e): return .failure(e)
      }
    }
    return .success(.list(out))
  }

  /// A grid of finite points within [lo, hi] (rounding slop at the ends clamped).
  static func checkGrid(_ node: OptionNode, lo: Double?, hi: Double?, option: String) -> Result<TypedValue, OptionSyntaxError> {
    let points: [Double]
    switch gridPoints(node, option: option) {
    case .success(let p): points = p
    case .failure(let e): return .failure(e)
    }
    if let bad = points.first(where: { !$0.isFinite }) {
      return fail(node, "option '\(option)' has a point \(bad): grid values must be finite")
    }
    for x in points where (lo.map { x < $0 - 1e-12 } ?? false) || (hi.map { x > $0 + 1e-12 } ?? false) {
      return fail(node, "option '\(option)' has a point \(x) outside \(OptionType.rangeText(lo, hi).dropFirst(4))")
    }
    // clamp rounding slop at the ends (linspace endpoints are exact anyway)
    return .success(.grid(points.map { x in min(hi ?? x, max(lo ?? x, x)) }))
  }

  /// A figure size of at least `minFigureSide` a side; nil when the text is no size.
  static func checkSize(_ node: OptionNode, option: String) -> Result<TypedValue, OptionSyntaxError>? {
    guard case .string(let s) = node.value, let size = parseSize(s) else { return nil }
    guard size.0 >= minFigureSide, size.1 >= minFigureSide else {
      return fail(
        node,
        "option '\(option)' must be at least 1in x 1in (\(Int(minFigureSide))pt a side: smaller figures have no room for the axes, ticks and labels), got '\(s)'"
      )
    }
    return .success(.size(width: size.0, height: size.1))
  }

  /// A name among `specs` with its parameters (or its one text argument); nil when the value is
  /// neither a name nor a call.
  static func checkCallable(_ node: OptionNode, noun: String, specs: [CallableSpec], option: String) -> Result<
    TypedValue, OptionSyntaxError
  >? {
    let name: String, args: [OptionArgument]
    switch node.value {
    case .string(let s): (name, args) = (s, [])
    case .call(let n, let a): (name, args) = (n, a)
    default: return nil
    }
    guard let spec = specs.first(where: { $0.name == name }) else {
      return fail(node, "unknown \(noun) '\(name)' for option '\(option)'\(Suggestion.didYouMean(name, among: specs.map(\.name)))")
    }
    if spec.takesText {
      guard args.count == 1, case .string(let text) = args[0].value.value, !text.trimmedSpaces().isEmpty else {
        return fail(node, "\(noun) '\(name)' takes one expression, as in \(name)(x*tanh(x))")
      }
      return .success(.call(name: name, arguments: [:], text: text))
    }
    return callArguments(args, of: spec, noun: noun).map { .call(name: name, arguments: $0, text: nil) }
  }

  /// The parameters of a call, by position or by name, over the spec's defaults.
  static func callArguments(_ args: [OptionArgument], of spec: CallableSpec, noun: String) -> Result<[String: Double], OptionSyntaxError> {
    let name = spec.name
    var values = Dictionary(uniqueKeysWithValues: zip(spec.parameters, spec.defaults))
    for (k, arg) in args.enumerated() {
      guard case .number(let x) = arg.value.value else {
        return fail(arg.value, "parameters of \(noun) '\(name)' are numbers, got '\(arg.value.text)'")
      }
      let key: String
      if let n = arg.name {
        guard spec.parameters.contains(n) else {
          let known = spec.parameters.isEmpty ? "it takes none" : "it takes " + spec.parameters.joined(separator: ", ")
          return fail(arg.value, "\(noun) '\(name)' has no parameter '\(n)'; \(known)")
        }
        key = n
      } else {
        guard k < spec.parameters.count else {
          return fail(
            arg.value,
            "\(noun) '\(name)' takes \(spec.parameters.count) parameter\(spec.parameters.count == 1 ? "" : "s"): \(spec.signature)")
        }
        key = spec.parameters[k]
      }
      values[key] = x
    }
    return .success(values)
  }

  static func gridPoints(_ node: OptionNode, option: String) -> Result<[Double], OptionSyntaxError> {
    switch node.value {
    case .number(let x):
      return .success([x])
    case .list(let items):
      var xs: [Double] = []
      for item in items {
        guard case .number(let x) = item.value else {
          return fail(item, "option '\(option)' expects numbers in its grid, got '\(item.text)'")
        }
        xs.append(x)
      }
      if xs.isEmpty { return fail(node, "option '\(option)' needs at least one point") }
      return .success(xs)
    case .span(let a, let b):
      return spanPoints(node, a, b, option: option)
    case .call(let name, let args):
      return gridFunctionPoints(node, name, args, option: option)
    default:
      return fail(node, "option '\(option)' expects a grid such as linspace(-1, 1, 401) or [0, 0.5, 1], got '\(node.text)'")
    }
  }

  /// `[a .. b]`: the integers from a to b, or `[2^j .. 2^k]` the powers of two.
  static func spanPoints(_ node: OptionNode, _ a: OptionNode, _ b: OptionNode, option: String) -> Result<[Double], OptionSyntaxError> {
    guard case .number(let x0) = a.value, case .number(let x1) = b.value, x0 <= x1 else {
      return fail(node, "malformed grid '\(node.text)' for option '\(option)': expected [a .. b] with numbers a ≤ b")
    }
    // `[2^4 .. 2^12]` means powers of two; `[1 .. 5]` means the integers.
    if a.text.hasPrefix("2^"), b.text.hasPrefix("2^") {
      // Exponents of finite, normal doubles only: 2^-2000 is 0 and 2^2000 is infinite.
      let l0 = log2(x0), l1 = log2(x1)
      guard x0 > 0, l0.isFinite, l1.isFinite, l0 >= -1022, l1 <= 1023 else {
        return fail(node, "malformed grid '\(node.text)' for option '\(option)': [2^a .. 2^b] needs exponents from -1022 to 1023")
      }
      let k0 = Int(l0.rounded()), k1 = Int(l1.rounded())
      return .success((k0...k1).map { pow(2, Double($0)) })
    }
    guard x0 == x0.rounded(), x1 == x1.rounded(), x1 - x0 < Double(maxGridPoints) else {
      return fail(node, "malformed grid '\(node.text)' for option '\(option)': [a .. b] needs integers or powers 2^k")
    }
    return .success(stride(from: x0, through: x1, by: 1).map { $0 })
  }

  /// `linspace(a, b, n)`, `logspace(a, b, n)`, `range(a, b)` or `range(a, b, step)`.
  static func gridFunctionPoints(_ node: OptionNode, _ name: String, _ args: [OptionArgument], option: String) -> Result<
    [Double], OptionSyntaxError
  > {
    let known = ["linspace", "logspace", "range"]
    guard known.contains(name) else {
      return fail(
        node,
        "unknown grid function '\(name)'\(Suggestion.didYouMean(name, among: known)); expected linspace(a, b, n), logspace(a, b, n) or range(a, b)"
      )
    }
    var nums: [Double] = []
    for arg in args {
      guard arg.name == nil, case .number(let x) = arg.value.value else {
        return fail(arg.value, "\(name)(…) takes numbers, got '\(arg.value.text)'")
      }
      nums.append(x)
    }
    let arity = name == "range" ? [2, 3] : [3]
    guard arity.contains(nums.count) else {
      return fail(node, "malformed grid '\(node.text)': \(name) takes \(name == "range" ? "(a, b) or (a, b, step)" : "(a, b, n)")")
    }
    if name == "range" { return rangePoints(node, from: nums[0], to: nums[1], step: nums.count == 3 ? nums[2] : 1) }
    let n = nums[2]
    guard n >= 1, n == n.rounded(), n <= Double(maxGridPoints) else {
      return fail(
        args[2].value, "the number of points in \(name)(a, b, n) must be an integer in [1, \(maxGridPoints)], got \(args[2].value.text)")
    }
    let points =
      name == "logspace"
      ? Grid.logspace(nums[0], nums[1], count: Int(n)) : Grid.linspace(nums[0], nums[1], count: Int(n))
    if let bad = points.first(where: { !$0.isFinite || (name == "logspace" && $0 == 0) }) {
      let what = bad.isNaN ? "nan" : bad == 0 ? "0" : bad > 0 ? "inf" : "-inf"
      return fail(
        node,
        "grid '\(node.text)': values overflow (a point is \(what)\(name == "logspace" ? "; 10^a and 10^b must lie within 1e-307 … 1e308" : ""))"
      )
    }
    return .success(points)
  }

  /// `range(a, b, step)`: from a up to but not including b.
  static func rangePoints(_ node: OptionNode, from a: Double, to b: Double, step: Double) -> Result<[Double], OptionSyntaxError> {
    guard step > 0, (b - a) / step < Double(maxGridPoints) else {
      return fail(node, "malformed grid '\(node.text)': range needs a positive step and at most \(maxGridPoints) points")
    }
    let points = stride(from: a, to: b, by: step).map { $0 }
    guard !points.isEmpty else {
      return fail(node, "empty grid '\(node.text)': range(a, b) runs from a up to but not including b, so it needs a < b")
    }
    return .success(points)
  }

  /// `5in x 3.4in`, `12cm x 8cm`, `360pt x 240pt` → points.
  static func parseSize(_ s: String) -> (Double, Double)? {
    let parts = s.split(separator: "x").map { (part: Substring) -> String in String(part).trimmedSpaces() }
    guard parts.count == 2, let w = length(parts[0]), let h = length(parts[1]), w > 0, h > 0, w <= 2000, h <= 2000 else { return nil }
    return (w, h)
  }

  /// A length with a unit (in, cm, mm, pt) in points.
  public static func length(_ s: String) -> Double? {
    let units: [(String, Double)] = [("in", 72), ("cm", 72 / 2.54), ("mm", 72 / 25.4), ("pt", 1)]
    for (u, f) in units where s.hasSuffix(u) {
      return Double(String(s.dropLast(u.count)).trimmedSpaces()).map { $0 * f }
    }
    return nil
  }
}
