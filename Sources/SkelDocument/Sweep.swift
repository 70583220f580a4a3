/// `:sweep: L = [1, 2, 4, 8]` (one or two variables, `;`-separated): the directive runs once per
/// point, with every `$L` in its other options replaced by the point's value (directives.md,
/// "Sweeps"). The option is kept as raw text by the directive reader and parsed here, each
/// value list with `OptionValueParser` at its own column.
public struct SweepSpec: Sendable, Hashable {
  public struct Variable: Sendable, Hashable {
    public var name: String
    public var values: [OptionNode]
    public var location: SourceLocation
  }

  public var variables: [Variable]

  /// At most this many points in one sweep (the product of the variables' counts).
  public static let maxPoints = 1000
  public static let maxVariables = 2

  /// One point: each variable's value, in the order of `variables`.
  public typealias Point = [(name: String, value: OptionNode)]

  /// Every point, the first variable outermost.
  public var points: [Point] {
    var out: [Point] = [[]]
    for v in variables { out = out.flatMap { p in v.values.map { p + [(name: v.name, value: $0)] } } }
    return out
  }

  /// `L=4, w=2`: how a point is named in legends and messages.
  public static func describe(_ point: Point) -> String {
    point.map { "\($0.name)=\($0.value.text.trimmedSpaces())" }.joined(separator: ", ")
  }

  /// The sweep of a directive's `:sweep:` option, or the problems with it.
  public static func parse(_ option: RawOption) -> (SweepSpec?, [Diagnostic]) {
    let text = option.value.text
    let path = option.keyLocation.path
    var variables: [Variable] = [], problems: [Diagnostic] = []
    var offset = 0
    for part in text.split(separator: ";", omittingEmptySubsequences: false) {
      defer { offset += part.count + 1 }
      let column = option.value.column + offset
      let at = SourceLocation(path: path, line: option.line, column: column + part.prefix(while: { $0 == " " }).count)
      guard let eq = part.firstIndex(of: "=") else {
        problems.append(Diagnostic(at: at, length: max(1, part.count), "a sweep variable is written 'NAME = [v1, v2, ...]'"))
        continue
      }
      let name = String(part[..<eq]).trimmedSpaces()
      guard let first = name.first, first.isLetter, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
        problems.append(Diagnostic(at: at, length: max(1, name.count), "sweep variable '\(name)' must be a name (letters, digits, '_')"))
        continue
      }
      if variables.contains(where: { $0.name == name }) {
        problems.append(Diagnostic(at: at, length: name.count, "sweep variable '\(name)' is given twice"))
        continue
      }
      let valueText = String(part[part.index(after: eq)...])
      let valueColumn = column + part.distance(from: part.startIndex, to: eq) + 1
      do {
        let node = try OptionValueParser.parse(valueText, column: valueColumn)
        guard case .list(let items) = node.value, !items.isEmpty else {
          problems.append(
            Diagnostic(
              at: SourceLocation(path: path, line: option.line, column: node.column), length: node.length,
              "the values of sweep variable '\(name)' must be a non-empty list such as [1, 2, 4]"))
          continue
        }
        variables.append(Variable(name: name, values: items, location: at))
      } catch {
        problems.append(
          Diagnostic(at: SourceLocation(path: path, line: option.line, column: error.column), length: error.length, error.message))
      }
    }
    if variables.count > maxVariables {
      problems.append(
        Diagnostic(at: variables[maxVariables].location, "a sweep has at most \(maxVariables) variables, got \(variables.count)"))
    }
    let count = variables.reduce(1) { $0 * $1.values.count }
    if count > maxPoints {
      problems.append(
        Diagnostic(
          at: option.keyLocation, length: 5, "the sweep has \(count) points; at most \(maxPoints) (split it into several directives)"))
    }
    guard problems.isEmpty else { return (nil, problems) }
    return (SweepSpec(variables: variables), [])
  }

  /// The directive at one point: every option but `sweep` (and `summary`), with each scalar
  /// `$NAME` replaced by the point's value (keeping the placeholder's column, so errors point at
  /// it). An unknown `$NAME` is an error at its column.
  public static func substitute(_ d: Directive, _ point: Point, dropping: Set<String> = ["sweep", "summary"]) -> (Directive, [Diagnostic]) {
    var out = d
    var problems: [Diagnostic] = []
    let values = Dictionary(point.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    out.options = d.options.filter { !dropping.contains($0.key) }.map { option in
      var o = option
      o.value = replace(option.value) { name, node in
        guard let v = values[name] else {
          problems.append(
            Diagnostic(
              at: SourceLocation(path: option.keyLocation.path, line: option.line, column: node.column), length: node.length,
              "'$\(name)' is not a sweep variable of this directive (\(values.keys.sorted().map { "$" + $0 }.joined(separator: ", ")))"
            ))
          return node
        }
        return OptionNode(value: v.value, text: v.text, column: node.column)
      }
      return o
    }
    return (out, problems)
  }

  /// The `$NAME` variables an option value uses.
  public static func variables(in node: OptionNode) -> [String] {
    var names: [String] = []
    _ = replace(node) { name, n in
      names.append(name)
      return n
    }
    return names
  }

  /// A variable's name: a letter, then letters, digits and `_` (so a TeX label such as `$t$` or
  /// `$\sigma^2$` is no variable).
  static func isVariableName(_ name: Substring) -> Bool {
    guard let first = name.first, first.isLetter else { return false }
    return name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
  }

  static func replace(_ node: OptionNode, _ f: (String, OptionNode) -> OptionNode) -> OptionNode {
    var n = node
    switch node.value {
    case .string(let s) where s.hasPrefix("$") && isVariableName(s.dropFirst()):
      return f(String(s.dropFirst()), node)
    case .list(let items): n.value = .list(items.map { replace($0, f) })
    case .map(let entries): n.value = .map(entries.map { OptionEntry(key: $0.key, value: replace($0.value, f)) })
    case .call(let name, let args):
      n.value = .call(name: name, arguments: args.map { OptionArgument(name: $0.name, value: replace($0.value, f)) })
    case .span(let a, let b): n.value = .span(from: replace(a, f), to: replace(b, f))
    default: break
    }
    return n
  }
}
