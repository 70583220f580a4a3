#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// A directive option value as written: YAML-like flow scalars, lists and maps, plus calls
/// (`linspace(-1, 1, 401)`) and spans (`[2^4 .. 2^12]`). Every value knows its column.
public indirect enum OptionValue: Sendable, Hashable {
  case number(Double)
  case string(String)
  case bool(Bool)
  case list([OptionNode])
  case map([OptionEntry])
  case call(name: String, arguments: [OptionArgument])
  case span(from: OptionNode, to: OptionNode)
}

/// A value and where it stands on its line.
public struct OptionNode: Sendable, Hashable {
  public var value: OptionValue
  /// The text as written.
  public var text: String
  public var column: Int
  public var length: Int { max(1, text.count) }
  public init(value: OptionValue, text: String, column: Int) {
    self.value = value
    self.text = text
    self.column = column
  }
}

public struct OptionEntry: Sendable, Hashable {
  public var key: String
  public var value: OptionNode
}

public struct OptionArgument: Sendable, Hashable {
  public var name: String?
  public var value: OptionNode
  public init(name: String?, value: OptionNode) {
    self.name = name
    self.value = value
  }
}

/// A syntax error inside an option value: a column on the option's line and a message.
public struct OptionSyntaxError: Error, Sendable, Hashable {
  public var column: Int
  public var length: Int
  public var message: String
  public init(column: Int, length: Int, message: String) {
    self.column = column
    self.length = length
    self.message = message
  }
}

/// Bounds on option values, checked while parsing so that no value can exhaust the stack (the
/// parser and every consumer of the tree recurse over it) or memory.
public enum OptionLimits {
  /// Lists, maps and calls nested at most this deep (`[[[…]]]`, `tanh(tanh(…))`).
  public static let maxNesting = 64
  /// Items in one list literal (`[1, 2, …]`); grids such as `linspace` have their own cap.
  public static let maxListLength = 10_000
  /// Characters of one option value.
  public static let maxValueLength = 200_000
}

/// Parses one option value (the text after `:key:`); `column` is where the text starts.
public struct OptionValueParser {
  /// Calls whose argument is kept as raw text (an expression in another language).
  public static let rawCalls: Set<String> = ["expr"]
  let chars: [Character]
  var i = 0
  let base: Int
  var nesting = 0

  public static func parse(_ text: String, column: Int) throws(OptionSyntaxError) -> OptionNode {
    if text.count > OptionLimits.maxValueLength {
      throw OptionSyntaxError(
        column: column, length: 1,
        message: "option value is \(text.count) characters long; at most \(OptionLimits.maxValueLength) are allowed")
    }
    var p = OptionValueParser(chars: Array(text), base: column)
    p.skipSpaces()
    let startIndex = p.i
    var items: [OptionNode] = [try p.parseValue()]
    p.skipSpaces()
    while p.i < p.chars.count, p.chars[p.i] == "," {  // a bare top-level tuple: `a, b`
      p.i += 1
      p.skipSpaces()
      items.append(try p.parseValue())
      p.skipSpaces()
    }
    if p.i < p.chars.count {
      throw OptionSyntaxError(column: p.base + p.i, length: 1, message: "unexpected '\(p.chars[p.i])' in option value")
    }
    if items.count == 1 { return items[0] }
    let text = String(p.chars[startIndex..<p.i]).trimmedSpaces()
    return OptionNode(value: .list(items), text: text, column: column + startIndex)
  }

  mutating func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

  func node(_ v: OptionValue, from start: Int) -> OptionNode {
    OptionNode(value: v, text: String(chars[start..<i]).trimmedSpaces(), column: base + start)
  }

  /// Enters a list, map or call; deeper than `OptionLimits.maxNesting` is an error at `start`.
  mutating func enter(_ start: Int) throws(OptionSyntaxError) {
    nesting += 1
    if nesting > OptionLimits.maxNesting {
      throw OptionSyntaxError(
        column: base + start, length: 1, message: "option value nested more than \(OptionLimits.maxNesting) levels deep")
    }
  }

  mutating func parseValue() throws(OptionSyntaxError) -> OptionNode {
    skipSpaces()
    let start = i
    guard i < chars.count else { throw OptionSyntaxError(column: base + i, length: 1, message: "expected a value") }
    if chars[i] == "[" || chars[i] == "{" || chars[i].isLetter { try enter(start) }
    defer { if chars[start] == "[" || chars[start] == "{" || chars[start].isLetter { nesting -= 1 } }
    switch chars[i] {
    case "[": return try parseList(from: start)
    case "{": return try parseMap(from: start)
    case "\"", "'": return try parseQuoted(from: start)
    default:
      // identifier followed by '(' is a call
      if chars[i].isLetter {
        var j = i
        while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == "-" { j += 1 }
        if j < chars.count, chars[j] == "(" { return try parseCall(nameEnd: j, from: start) }
      }
      return parseScalar(from: start)
    }
  }

  /// `[a, b, …]` or the span `[a .. b]`, from its `[` at `start`.
  mutating func parseList(from start: Int) throws(OptionSyntaxError) -> OptionNode {
    i += 1
    skipSpaces()
    var items: [OptionNode] = []
    if i < chars.count, chars[i] == "]" {
      i += 1
      return node(.list([]), from: start)
    }
    while true {
      let item = try parseValue()
      skipSpaces()
      if items.isEmpty, i + 1 < chars.count, chars[i] == ".", chars[i + 1] == "." {
        i += 2
        let upper = try parseValue()
        skipSpaces()
        try expect("]", start: start)
        return node(.span(from: item, to: upper), from: start)
      }
      items.append(item)
      if items.count > OptionLimits.maxListLength {
        throw OptionSyntaxError(column: base + start, length: 1, message: "list has more than \(OptionLimits.maxListLength) items")
      }
      guard i < chars.count else { throw OptionSyntaxError(column: base + start, length: 1, message: "unclosed '[': expected ']'") }
      if chars[i] == "," {
        i += 1
        continue
      }
      try expect("]", start: start)
      return node(.list(items), from: start)
    }
  }

  /// `{key: value, …}`, from its `{` at `start`.
  mutating func parseMap(from start: Int) throws(OptionSyntaxError) -> OptionNode {
    i += 1
    var entries: [OptionEntry] = []
    skipSpaces()
    if i < chars.count, chars[i] == "}" {
      i += 1
      return node(.map([]), from: start)
    }
    while true {
      skipSpaces()
      let keyStart = i
      while i < chars.count, chars[i] != ":", chars[i] != "}", chars[i] != "," { i += 1 }
      let key = String(chars[keyStart..<i]).trimmedSpaces()
      guard i < chars.count, chars[i] == ":", !key.isEmpty else {
        throw OptionSyntaxError(column: base + keyStart, length: max(1, i - keyStart), message: "expected 'key: value' in a map")
      }
      i += 1
      entries.append(OptionEntry(key: key, value: try parseValue()))
      skipSpaces()
      guard i < chars.count else { throw OptionSyntaxError(column: base + start, length: 1, message: "unclosed '{': expected '}'") }
      if chars[i] == "," {
        i += 1
        continue
      }
      try expect("}", start: start)
      return node(.map(entries), from: start)
    }
  }

  /// A string in double quotes (with `\` escapes) or single quotes, from its quote at `start`.
  mutating func parseQuoted(from start: Int) throws(OptionSyntaxError) -> OptionNode {
    let q = chars[i]
    i += 1
    var s = ""
    while i < chars.count, chars[i] != q {
      if chars[i] == "\\", q == "\"", i + 1 < chars.count {
        i += 1
      }
      s.append(chars[i])
      i += 1
    }
    guard i < chars.count else { throw OptionSyntaxError(column: base + start, length: 1, message: "unterminated string: expected \(q)") }
    i += 1
    return node(.string(s), from: start)
  }

  /// `name(arguments)`, the name from `i` to its `(` at `nameEnd`; arguments are values,
  /// positional or `name=value`. A raw call (`expr(…)`) keeps its argument as text.
  mutating func parseCall(nameEnd j: Int, from start: Int) throws(OptionSyntaxError) -> OptionNode {
    let name = String(chars[i..<j])
    i = j + 1
    if OptionValueParser.rawCalls.contains(name) { return try parseRawCall(name, nameEnd: j, from: start) }
    var args: [OptionArgument] = []
    skipSpaces()
    if i < chars.count, chars[i] == ")" {
      i += 1
      return node(.call(name: name, arguments: []), from: start)
    }
    while true {
      skipSpaces()
      var argName: String?
      var k = i
      // a parameter name: a letter, then letters, digits and '_' (`q1=0.5`)
      while k < chars.count, chars[k].isLetter || chars[k] == "_" || (k > i && chars[k].isNumber) { k += 1 }
      if k > i, k < chars.count, chars[k] == "=" {
        argName = String(chars[i..<k])
        i = k + 1
      }
      args.append(OptionArgument(name: argName, value: try parseValue()))
      skipSpaces()
      guard i < chars.count else {
        throw OptionSyntaxError(column: base + j, length: 1, message: "unclosed '(' in \(name)(…): expected ')'")
      }
      if chars[i] == "," {
        i += 1
        continue
      }
      guard chars[i] == ")" else { throw OptionSyntaxError(column: base + i, length: 1, message: "expected ',' or ')' in \(name)(…)") }
      i += 1
      return node(.call(name: name, arguments: args), from: start)
    }
  }

  /// `expr(…)`: the text up to the balancing `)` is the one argument.
  mutating func parseRawCall(_ name: String, nameEnd j: Int, from start: Int) throws(OptionSyntaxError) -> OptionNode {
    var depth = 1, k = i
    while k < chars.count {
      if chars[k] == "(" {
        depth += 1
      } else if chars[k] == ")" {
        depth -= 1
        if depth == 0 { break }
      }
      k += 1
    }
    guard k < chars.count else { throw OptionSyntaxError(column: base + j, length: 1, message: "unclosed '(' in \(name)(…): expected ')'") }
    let raw = String(chars[i..<k])
    let arg = OptionNode(value: .string(raw), text: raw, column: base + i)
    i = k + 1
    return node(.call(name: name, arguments: [OptionArgument(name: nil, value: arg)]), from: start)
  }

  /// A bare scalar: up to a delimiter at depth 0 (or `..`), classified.
  mutating func parseScalar(from start: Int) -> OptionNode {
    var depth = 0
    while i < chars.count {
      let c = chars[i]
      if c == "(" {
        depth += 1
      } else if c == ")" {
        if depth == 0 { break }
        depth -= 1
      } else if depth == 0, c == "," || c == "]" || c == "}" {
        break
      } else if depth == 0, c == ".", i + 1 < chars.count, chars[i + 1] == "." {
        break
      }
      i += 1
    }
    let text = String(chars[start..<i]).trimmedSpaces()
    return OptionNode(value: Self.classify(text), text: text, column: base + start)
  }

  mutating func expect(_ c: Character, start: Int) throws(OptionSyntaxError) {
    guard i < chars.count, chars[i] == c else {
      throw OptionSyntaxError(column: base + min(i, chars.count), length: 1, message: "expected '\(c)'")
    }
    i += 1
  }

  /// A bare scalar: boolean, number (with `^ * / + -`, parentheses and `pi`), or string.
  static func classify(_ text: String) -> OptionValue {
    switch text {
    case "true", "yes": return .bool(true)
    case "false", "no": return .bool(false)
    default: break
    }
    if let x = ArithmeticParser.evaluate(text) { return .number(x) }
    return .string(text)
  }
}

/// Evaluates small arithmetic such as `2^12`, `-0.5`, `1e-3`, `3*pi/4`.
enum ArithmeticParser {
  static func evaluate(_ text: String) -> Double? {
    var p = P(s: Array(text.filter { $0 != " " }))
    guard !p.s.isEmpty, let v = p.sum(), p.i == p.s.count, v.isFinite else { return nil }
    return v
  }

  struct P {
    var s: [Character]
    var i = 0
    var depth = 0
    /// Parentheses, signs and exponents nested deeper than this are not a number (the text
    /// stays a string, which the option's type check then reports at its position).
    static let maxDepth = 64
    mutating func sum() -> Double? {
      depth += 1
      defer { depth -= 1 }
      guard depth <= Self.maxDepth else { return nil }
      guard var v = product() else { return nil }
      while i < s.count, s[i] == "+" || s[i] == "-" {
        let op = s[i]
        i += 1
        guard let r = product() else { return nil }
        v = op == "+" ? v + r : v - r
      }
      return v
    }
    mutating func product() -> Double? {
      guard var v = power() else { return nil }
      while i < s.count, s[i] == "*" || s[i] == "/" {
        let op = s[i]
        i += 1
        guard let r = power() else { return nil }
        v = op == "*" ? v * r : v / r
      }
      return v
    }
    mutating func power() -> Double? {
      depth += 1
      defer { depth -= 1 }
      guard depth <= Self.maxDepth else { return nil }
      guard let b = unary() else { return nil }
      if i < s.count, s[i] == "^" {
        i += 1
        guard let e = power() else { return nil }
        return pow(b, e)
      }
      return b
    }
    mutating func unary() -> Double? {
      if i < s.count, s[i] == "-" {
        i += 1
        return power().map { -$0 }
      }
      if i < s.count, s[i] == "+" {
        i += 1
        return power()
      }
      return atom()
    }
    mutating func atom() -> Double? {
      guard i < s.count else { return nil }
      if s[i] == "(" {
        i += 1
        let v = sum()
        guard i < s.count, s[i] == ")" else { return nil }
        i += 1
        return v
      }
      if s[i...].starts(with: "pi") {
        i += 2
        return Double.pi
      }
      let start = i
      while i < s.count, s[i].isNumber || s[i] == "." { i += 1 }
      if i < s.count, s[i] == "e" || s[i] == "E", i > start {
        var j = i + 1
        if j < s.count, s[j] == "-" || s[j] == "+" { j += 1 }
        if j < s.count, s[j].isNumber {
          i = j
          while i < s.count, s[i].isNumber { i += 1 }
        }
      }
      guard i > start else { return nil }
      return Double(String(s[start..<i]))
    }
  }
}

extension String {
  func trimmedSpaces() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
    while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
    return String(s)
  }
}
