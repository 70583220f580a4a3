import SkelDocument
import SkelKernels

#if canImport(Glibc)
  import Glibc
#endif

/// The `activation(s)` option type: every activation the engine knows, by directive name.
public enum ActivationOption {
  public static let specs: [CallableSpec] =
    Activation.names.map {
      CallableSpec(name: $0.name, parameters: $0.parameters.map(\.0), defaults: $0.parameters.map(\.1))
    } + [CallableSpec(name: "expr", takesText: true)]

  public static let type = OptionType.callable(noun: "activation", specs)
  public static let listType = OptionType.list(type, minCount: 1)

  /// A call of the activation `name` with its default parameters overridden by `arguments`.
  public static func call(_ name: String, _ arguments: [String: Double] = [:]) -> CallValue {
    var value = CallValue(name, arguments, specs: specs)
    value.written = seriesName(value)  // docs show `relu`, `leaky_relu(alpha=0.1)`: only what differs
    return value
  }

  /// The activation a validated call names. Validation checked names, parameters and
  /// expressions, so this throws only if a declaration bypassed it.
  public static func activation(_ call: CallValue) throws -> Activation {
    if call.name == "expr", let text = call.text {
      do { return .expression(try ActivationExpression(text)) } catch {
        throw ExperimentError("activation expr(\(text)): \(error)")
      }
    }
    guard let a = Activation(name: call.name, parameters: call.arguments) else {
      throw ExperimentError("unknown activation '\(call.name)' with parameters \(call.arguments)")
    }
    return a
  }

  /// Whether every activation has a closed-form kernel (cost estimates; an activation that does
  /// not resolve counts as not closed).
  public static func closedForm(_ calls: [CallValue]) -> Bool {
    calls.allSatisfy { (try? activation($0))?.hasClosedForm ?? false }
  }

  /// A series name: the bare name with default parameters, `name(k=v, …)` otherwise.
  public static func seriesName(_ call: CallValue) -> String {
    if let text = call.text { return call.name + "(" + text + ")" }
    guard let spec = specs.first(where: { $0.name == call.name }) else { return call.name }
    let changed = zip(spec.parameters, spec.defaults).filter { call.arguments[$0.0] != $0.1 }
    if changed.isEmpty { return call.name }
    return call.name + "(" + changed.map { "\($0.0)=\(format(call.arguments[$0.0] ?? $0.1))" }.joined(separator: ", ") + ")"
  }

  static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x) }
}

/// Science-aware checks that need the engine: expressions parse, and their errors point at the
/// character in the report.
public enum ActivationChecks {
  /// The largest degree of the polynomial families: their duals and Hermite coefficients
  /// involve (2k−1)!! and k-th Hermite polynomials, computed in double precision.
  public static let degreeLimits = ["hermite": 60, "monomial": 30, "rectified_monomial": 30]

  public static func check(_ directive: Directive, schema: DirectiveSchema) -> [Diagnostic] {
    var problems: [Diagnostic] = []
    for raw in directive.options {
      guard let spec = schema.spec(raw.key), spec.type == ActivationOption.type || spec.type == ActivationOption.listType else { continue }
      var nodes: [OptionNode] = []
      if case .list(let items) = raw.value.value { nodes = items } else { nodes = [raw.value] }
      for node in nodes {
        for e in Self.problems(in: node) {
          problems.append(
            Diagnostic(
              at: SourceLocation(path: directive.location.path, line: raw.line + e.lineOffset, column: e.column), length: e.length,
              e.message))
        }
      }
    }
    return problems
  }

  /// The first problem of one activation as written (the `network` option checks its
  /// activation layers with it).
  public static func problem(in node: OptionNode) -> OptionSyntaxError? { problems(in: node).first }

  /// Degrees that are no small whole numbers, and expressions that do not parse or have no
  /// finite Gaussian moments.
  static func problems(in node: OptionNode) -> [OptionSyntaxError] {
    var problems: [OptionSyntaxError] = []
    if case .call(let name, let args) = node.value, let maxDegree = degreeLimits[name] {
      // Degrees become Int: they must be whole, non-negative and small enough to compute.
      for arg in args where arg.name == nil || arg.name == "k" {
        guard case .number(let k) = arg.value.value else { continue }
        if k != k.rounded() || k < 0 || k > Double(maxDegree) {
          problems.append(
            OptionSyntaxError(at: arg.value, "the degree k of \(name)(k) must be an integer from 0 to \(maxDegree), got \(arg.value.text)"))
        }
      }
    }
    guard case .call(let name, let args) = node.value, name == "expr", let arg = args.first else { return problems }
    do {
      let e = try ActivationExpression(arg.value.text)
      if let why = gaussianMomentProblem(e.value) { problems.append(OptionSyntaxError(at: node, "activation '\(node.text)' \(why)")) }
    } catch {
      problems.append(
        OptionSyntaxError(
          column: arg.value.column + error.offset, length: 1, message: "in expr(…): \(error.message)", lineOffset: arg.value.lineOffset))
    }
    return problems
  }

  /// Why φ has no finite Gaussian moments, if that can be seen on a probe; `nil` otherwise.
  /// Every kernel is an expectation E[φ(X)φ(Y)] over Gaussian inputs, which take every real
  /// value: φ must be defined (not NaN) on the whole line, finite, without a pole φ² ≳ 1/|x − c|
  /// near the half-integers c in [−3, 3], and grow slower than e^{x²/4} so that E[φ(X)²] is
  /// finite for X ~ N(0, 1). The grid avoids the integers, so integrable singularities such as
  /// log|x| pass; what the probe misses is left to the build's non-finite check.
  public static func gaussianMomentProblem(_ phi: (Double) -> Double) -> String? {
    let xs = (0..<60).flatMap { k -> [Double] in
      let x = 0.25 + 0.5 * Double(k)
      return [x, -x]
    }
    for x in xs where phi(x).isNaN {
      return "is not defined at x = \(OptionType.fmt(x)) (it gives NaN there), but a Gaussian input takes every real value"
    }
    for x in xs where !phi(x).isFinite {
      return "is infinite at x = \(OptionType.fmt(x)): its Gaussian moment E[φ(X)²] is not finite"
    }
    // Poles: near a centre c, φ(x)²·|x − c| must not grow as x → c (1/x, 1/(x−1)); the
    // centres are the half-integers in [−3, 3], where hand-written expressions put them.
    for c in stride(from: -3.0, through: 3.0, by: 0.5) {
      for side in [1.0, -1.0] {
        let h = [1e-3, 1e-6, 1e-9].map { d -> Double in
          let v = phi(c + side * d)
          return 2 * log(abs(v)) + log(d)
        }
        if h[2] > h[1] + 1, h[1] > h[0] + 1 {
          return "has a pole at x = \(OptionType.fmt(c)): its Gaussian moment E[φ(X)²] is not finite"
        }
      }
    }
    // log(φ(x)² e^{-x²/2}), the integrand of E[φ(X)²] at q = 1, must fall in the tails.
    for x in [20.0, -20.0] {
      func g(_ t: Double) -> Double { 2 * log(abs(phi(t))) - t * t / 2 }
      let far = x * 1.5
      if g(far) > g(x), g(far) > 0 {
        return "grows too fast: its Gaussian moment E[φ(X)²] is not finite (φ(x)² e^(−x²/2) grows at x = \(OptionType.fmt(far)))"
      }
    }
    return nil
  }
}
