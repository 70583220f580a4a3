import SkelDocument

/// The option type `inputs`: its checker turns the written value into `TypedValue.record`
/// (every parameter resolved), with errors at the column of the part at fault.
extension InputsValue {
  public static let type = OptionType.custom(
    CustomOptionType(
      name: "inputs",
      summary: "inputs such as pairs(rho=linspace(-1, 1, 201), q=1), gaussian(n=200, d=10), data/points.csv or fashion-mnist(n=300)",
      check: { node, option in InputsParser.check(node, option: option) }))

  /// Largest n of generated inputs, and largest d (the budget bounds their product).
  public static let maxPoints = 1_000_000
  public static let maxDimension = 1_000_000
}

enum InputsParser {
  typealias Checked = Result<TypedValue, OptionSyntaxError>

  /// A parameter: its name, type and default (nil: required).
  struct Parameter {
    var name: String
    var type: OptionType
    var fallback: TypedValue?
  }

  static let normalize = Parameter(
    name: "normalize", type: .choice(InputsValue.Normalize.allCases.map(\.rawValue)), fallback: .string("none"))
  static let count = OptionType.integer(min: 1, max: InputsValue.maxPoints)
  static let dimension = OptionType.integer(min: 1, max: InputsValue.maxDimension)
  static let side = OptionType.integer(min: 1, max: 10_000)

  static let forms: [String: [Parameter]] = [
    "pairs": [
      Parameter(name: "rho", type: .grid(min: -1, max: 1), fallback: nil),
      Parameter(name: "q", type: .number(min: 0, max: 1e6), fallback: .number(1)),
      Parameter(name: "q1", type: .number(min: 0, max: 1e6), fallback: nil),
      Parameter(name: "q2", type: .number(min: 0, max: 1e6), fallback: nil),
    ],
    "gaussian": [Parameter(name: "n", type: count, fallback: nil), Parameter(name: "d", type: dimension, fallback: nil)],
    "sphere": [Parameter(name: "n", type: count, fallback: nil), Parameter(name: "d", type: dimension, fallback: nil)],
    "cube": [Parameter(name: "n", type: count, fallback: nil), Parameter(name: "d", type: dimension, fallback: nil)],
    "circle": [Parameter(name: "n", type: count, fallback: nil)],
    "images": [
      Parameter(name: "n", type: count, fallback: nil), Parameter(name: "height", type: side, fallback: nil),
      Parameter(name: "width", type: side, fallback: nil), Parameter(name: "channels", type: side, fallback: .integer(1)),
    ],
    "csv": [
      Parameter(name: "path", type: .string, fallback: nil),
      Parameter(name: "columns", type: .list(.string, minCount: 1), fallback: .list([])),
      Parameter(name: "labels", type: .string, fallback: .string("")),
    ],
    "npy": [Parameter(name: "path", type: .string, fallback: nil)],
    "fashion-mnist": [
      Parameter(name: "n", type: .integer(min: 1, max: 60_000), fallback: nil),
      Parameter(name: "classes", type: .list(.integer(min: 0, max: 9), minCount: 1), fallback: .list((0..<10).map { .integer($0) })),
      Parameter(name: "split", type: .choice(["train", "test"]), fallback: .string("train")),
      Parameter(name: "seed", type: .integer(min: 0, max: Int(Int32.max)), fallback: .integer(-1)),
    ],
  ]

  static func fail(_ node: OptionNode, _ message: String) -> Checked {
    .failure(OptionSyntaxError(column: node.column, length: node.length, message: message))
  }

  static func check(_ node: OptionNode, option: String) -> Checked {
    switch node.value {
    case .string(let s): return path(s, node: node, option: option)
    case .call(let name, let args):
      guard let parameters = forms[name] else {
        return fail(
          node,
          "option '\(option)': unknown inputs '\(name)'; expected one of \(forms.keys.sorted().joined(separator: ", ")) or a .csv/.npy path"
        )
      }
      return call(name, args, parameters, node: node, option: option)
    default:
      return fail(node, "option '\(option)' expects \(InputsValue.type), got '\(node.text)'")
    }
  }

  /// A bare path, or a path with arguments (`data/x.csv(labels=y)`, re-read as a call).
  static func path(_ s: String, node: OptionNode, option: String) -> Checked {
    let form = s.hasSuffix(".csv") ? "csv" : s.hasSuffix(".npy") ? "npy" : nil
    if let form { return call(form, [OptionArgument(name: nil, value: node)], forms[form] ?? [], node: node, option: option) }
    if let open = s.firstIndex(of: "("), s.hasSuffix(")") {
      let file = String(s[..<open])
      guard let form = file.hasSuffix(".csv") ? "csv" : file.hasSuffix(".npy") ? "npy" : nil else {
        return fail(node, "option '\(option)': '\(file)' is not a .csv or .npy file")
      }
      let rest = String(s[s.index(after: open)..<s.index(before: s.endIndex)])
      let fileNode = OptionNode(value: .string(file), text: file, column: node.column)
      do {
        let inner = try OptionValueParser.parse("f(" + rest + ")", column: node.column + file.count - 1)
        guard case .call(_, let args) = inner.value else { return fail(node, "option '\(option)': cannot read '\(s)'") }
        return call(form, [OptionArgument(name: nil, value: fileNode)] + args, forms[form] ?? [], node: node, option: option)
      } catch { return .failure(error) }
    }
    return fail(node, "option '\(option)' expects \(InputsValue.type), got '\(s)' (a path must end in .csv or .npy)")
  }
}

extension InputsParser {
  /// `name(arguments)`: positional arguments in the parameters' order, then named ones; each
  /// checked as its type; defaults filled in.
  static func call(_ name: String, _ args: [OptionArgument], _ parameters: [Parameter], node: OptionNode, option: String) -> Checked {
    var fields: [String: TypedValue] = [:], nodes: [String: OptionNode] = [:]
    let all = parameters + [normalize]
    for (k, arg) in args.enumerated() {
      let p: Parameter
      if let n = arg.name {
        guard let named = all.first(where: { $0.name == n }) else {
          // at the name: `name=` stands just before the value (the parser allows no space before '=')
          let at = OptionNode(value: .string(n), text: n, column: max(node.column, arg.value.column - n.count - 1))
          return fail(at, "option '\(option)': \(name) has no parameter '\(n)'; it takes \(all.map(\.name).joined(separator: ", "))")
        }
        p = named
      } else {
        guard k < parameters.count, args[..<k].allSatisfy({ $0.name == nil }) else {
          return fail(
            arg.value, "option '\(option)': \(name) takes at most \(parameters.count) positional argument(s), before the named ones")
        }
        p = parameters[k]
      }
      guard fields[p.name] == nil else { return fail(arg.value, "option '\(option)': parameter '\(p.name)' of \(name) is given twice") }
      switch OptionTypeChecker.check(arg.value, as: p.type, option: "\(option)' parameter '\(p.name)") {
      case .success(let v): fields[p.name] = v
      case .failure(let e): return .failure(e)
      }
      nodes[p.name] = arg.value
    }
    for p in all where fields[p.name] == nil {
      if let f = p.fallback {
        fields[p.name] = f
      } else if !["q1", "q2"].contains(p.name) {
        return fail(node, "option '\(option)': \(name) needs parameter '\(p.name)'")
      }
    }
    if let problem = formCheck(name, &fields, nodes, node: node, option: option) { return .failure(problem) }
    return .success(.record(name: name, fields: fields))
  }

  /// What the types cannot say: pairs' norms, a path that stays relative, classes once each and
  /// enough images of them.
  static func formCheck(
    _ name: String, _ fields: inout [String: TypedValue], _ nodes: [String: OptionNode], node: OptionNode, option: String
  ) -> OptionSyntaxError? {
    func error(_ at: String?, _ message: String) -> OptionSyntaxError {
      let n = at.flatMap { nodes[$0] } ?? node
      return OptionSyntaxError(column: n.column, length: n.length, message: "option '\(option)': " + message)
    }
    switch name {
    case "pairs":
      let q = fields.removeValue(forKey: "q") ?? .number(1)
      fields["q1"] = fields["q1"] ?? q
      fields["q2"] = fields["q2"] ?? q
      if fields["normalize"] == .string("center") {
        return error("normalize", "normalize=center is not defined for pairs (a centred pair is x and −x); use none or sphere")
      }
    case "csv", "npy":
      guard case .string(let p) = fields["path"] else { return nil }
      if p.hasPrefix("/") || p.hasPrefix("~") { return error("path", "'\(p)' is an absolute path; write a path relative to the report") }
      if p.isEmpty { return error("path", "the path is empty") }
    case "fashion-mnist":
      guard case .list(let classes) = fields["classes"], case .integer(let n) = fields["n"], case .string(let split) = fields["split"]
      else {
        return nil
      }
      if Set(classes).count != classes.count { return error("classes", "a class is listed twice") }
      let available = (split == "test" ? 1000 : 6000) * classes.count
      if n > available { return error("n", "n = \(n) but the \(split) split has \(available) images of these classes") }
    default: break
    }
    return nil
  }
}
