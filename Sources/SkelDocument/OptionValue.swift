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

/// A value and where it stands: its column, on the option's line or, for a value written over
/// several lines (YAML block style), `lineOffset` lines below it.
public struct OptionNode: Sendable, Hashable {
  public var value: OptionValue
  /// The text as written (line breaks of a long value folded into single spaces).
  public var text: String
  public var column: Int
  /// Lines below the option's `:key:` line (0: on it).
  public var lineOffset = 0
  public var length: Int { max(1, text.count) }

  public init(value: OptionValue, text: String, column: Int, lineOffset: Int = 0) {
    self.value = value
    self.text = text
    self.column = column
    self.lineOffset = lineOffset
  }
}

public struct OptionEntry: Sendable, Hashable {
  public var key: String
  public var value: OptionNode
}

public struct OptionArgument: Sendable, Hashable {
  public var name: String?
  public var value: OptionNode
  /// Where the name of a named argument (`window=3`) stands: its column and line offset.
  public var nameColumn = 0
  public var nameLineOffset = 0

  public init(name: String?, value: OptionNode, nameColumn: Int = 0, nameLineOffset: Int = 0) {
    self.name = name
    self.value = value
    self.nameColumn = nameColumn
    self.nameLineOffset = nameLineOffset
  }

  /// The argument's name as a node (for messages about it), or its value when it has none.
  public var nameNode: OptionNode {
    guard let name else { return value }
    return OptionNode(value: .string(name), text: name, column: nameColumn, lineOffset: nameLineOffset)
  }
}

/// A syntax error inside an option value: a column on the option's line (or `lineOffset` lines
/// below it, in a long value) and a message.
public struct OptionSyntaxError: Error, Sendable, Hashable {
  public var column: Int
  public var length: Int
  public var message: String
  public var lineOffset = 0

  public init(column: Int, length: Int, message: String, lineOffset: Int = 0) {
    self.column = column
    self.length = length
    self.message = message
    self.lineOffset = lineOffset
  }

  /// The error at a node (its line and column).
  public init(at node: OptionNode, _ message: String) {
    self.init(column: node.column, length: node.length, message: message, lineOffset: node.lineOffset)
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
  /// The line offset and column of each character, and one past the last.
  let positions: [(line: Int, column: Int)]
  var nesting = 0

  init(chars: [Character], positions: [(line: Int, column: Int)]) {
    self.chars = chars
    self.positions = positions
  }

  /// A parser over the lines of a value: each line's text and the column where it starts; the
  /// lines are joined by line breaks, which separate like spaces.
  init(lines: [(text: String, column: Int, lineOffset: Int)]) {
    var chars: [Character] = [], positions: [(line: Int, column: Int)] = []
    for (n, line) in lines.enumerated() {
      if n > 0 {
        chars.append("\n")
        positions.append(positions.last.map { ($0.line, $0.column + 1) } ?? (line.lineOffset, line.column))
      }
      for (k, c) in line.text.enumerated() {
        chars.append(c)
        positions.append((line.lineOffset, line.column + k))
      }
    }
    let last = lines.last.map { (line: $0.lineOffset, column: $0.column + $0.text.count) } ?? (line: 0, column: 1)
    positions.append(last)
    self.init(chars: chars, positions: positions)
  }

  public static func parse(_ text: String, column: Int) throws(OptionSyntaxError) -> OptionNode {
    try parse(lines: [(text, column, 0)])
  }

  /// Parses a value written over several lines (each line's text, starting column and offset
  /// below the option's line): a flow value continued on the next lines.
  public static func parse(lines: [(text: String, column: Int, lineOffset: Int)]) throws(OptionSyntaxError) -> OptionNode {
    let length = lines.reduce(0) { $0 + $1.text.count } + max(0, lines.count - 1)  // the line breaks between
    if length > OptionLimits.maxValueLength {
      throw OptionSyntaxError(
        column: lines.first?.column ?? 1, length: 1,
        message: "option value is \(length) characters long; at most \(OptionLimits.maxValueLength) are allowed")
    }
    var p = OptionValueParser(lines: lines)
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
      throw p.error(at: p.i, length: 1, "unexpected '\(p.chars[p.i])' in option value")
    }
    if items.count == 1 { return items[0] }
    return p.node(.list(items), from: startIndex)
  }

  /// Parses a YAML block sequence: lines `- item` at one indentation (`lines` hold each line's
  /// text from its first non-space character), an item continued on the lines indented deeper.
  public static func parseBlockSequence(lines: [(text: String, column: Int, lineOffset: Int)]) throws(OptionSyntaxError) -> OptionNode {
    guard let first = lines.first else { throw OptionSyntaxError(column: 1, length: 1, message: "expected a value") }
    let dash = first.column
    var groups: [[(text: String, column: Int, lineOffset: Int)]] = []
    for line in lines {
      let starts = line.text.first == "-" && (line.text.count == 1 || line.text.dropFirst().first == " ")
      if starts, line.column == dash {
        let rest = line.text.dropFirst()
        let pad = rest.prefix(while: { $0 == " " }).count
        groups.append([(String(rest.dropFirst(pad)), line.column + 1 + pad, line.lineOffset)])
      } else if line.column > dash, !groups.isEmpty {
        groups[groups.count - 1].append(line)
      } else {
        throw OptionSyntaxError(
          column: line.column, length: 1, message: "expected '- ' at column \(dash) (an item of the block sequence above)",
          lineOffset: line.lineOffset)
      }
      if groups.count > OptionLimits.maxListLength {
        throw OptionSyntaxError(
          column: dash, length: 1, message: "list has more than \(OptionLimits.maxListLength) items", lineOffset: first.lineOffset)
      }
    }
    var items: [OptionNode] = []
    for group in groups {
      if group.allSatisfy({ $0.text.trimmedSpaces().isEmpty }) {
        throw OptionSyntaxError(
          column: group[0].column - 1, length: 1, message: "expected a value after '-'", lineOffset: group[0].lineOffset)
      }
      items.append(try parse(lines: group))
    }
    let text = "[" + items.map(\.text).joined(separator: ", ") + "]"
    return OptionNode(value: .list(items), text: text, column: dash, lineOffset: first.lineOffset)
  }

  mutating func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" { i += 1 } }

  func node(_ v: OptionValue, from start: Int) -> OptionNode {
    let (line, col) = position(start)
    return OptionNode(value: v, text: Self.folded(chars[start..<i]), column: col, lineOffset: line)
  }

  /// The line (below the option's) and column of character `k` (the end: after the last one).
  func position(_ k: Int) -> (line: Int, column: Int) {
    positions.isEmpty ? (0, 1) : positions[min(max(0, k), positions.count - 1)]
  }

  func error(at k: Int, length: Int, _ message: String) -> OptionSyntaxError {
    let (line, col) = position(k)
    return OptionSyntaxError(column: col, length: length, message: message, lineOffset: line)
  }

  /// The text of a value with each line break and the spaces around it folded into one space
  /// (YAML's folding of a plain multi-line scalar), trimmed.
  static func folded(_ s: ArraySlice<Character>) -> String {
    guard s.contains("\n") else { return String(s).trimmedSpaces() }
    return s.split(separator: "\n").map { String($0).trimmedSpaces() }.filter { !$0.isEmpty }.joined(separator: " ")
  }

  /// Enters a list, map or call; deeper than `OptionLimits.maxNesting` is an error at `start`.
  mutating func enter(_ start: Int) throws(OptionSyntaxError) {
    nesting += 1
    if nesting > OptionLimits.maxNesting {
      throw error(at: start, length: 1, "option value nested more than \(OptionLimits.maxNesting) levels deep")
    }
  }

  mutating func parseValue() throws(OptionSyntaxError) -> OptionNode {
    skipSpaces()
    let start = i
    guard i < chars.count else { throw error(at: i, length: 1, "expected a value") }
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
        throw error(at: start, length: 1, "list has more than \(OptionLimits.maxListLength) items")
      }
      guard i < chars.count else { throw error(at: start, length: 1, "unclosed '[': expected ']'") }
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
        throw error(at: keyStart, length: max(1, i - keyStart), "expected 'key: value' in a map")
      }
      i += 1
      entries.append(OptionEntry(key: key, value: try parseValue()))
      skipSpaces()
      guard i < chars.count else { throw error(at: start, length: 1, "unclosed '{': expected '}'") }
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
    guard i < chars.count else { throw error(at: start, length: 1, "unterminated string: expected \(q)") }
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
      let namePosition = position(i)
      while k < chars.count, chars[k].isLetter || chars[k] == "_" || (k > i && chars[k].isNumber) { k += 1 }
      if k > i, k < chars.count, chars[k] == "=" {
        argName = String(chars[i..<k])
        i = k + 1
      }
      let value = try parseValue()
      args.append(OptionArgument(name: argName, value: value, nameColumn: namePosition.column, nameLineOffset: namePosition.line))
      skipSpaces()
      guard i < chars.count else {
        throw error(at: j, length: 1, "unclosed '(' in \(name)(…): expected ')'")
      }
      if chars[i] == "," {
        i += 1
        continue
      }
      guard chars[i] == ")" else { throw error(at: i, length: 1, "expected ',' or ')' in \(name)(…)") }
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
    guard k < chars.count else { throw error(at: j, length: 1, "unclosed '(' in \(name)(…): expected ')'") }
    let raw = String(chars[i..<k])
    let (line, col) = position(i)
    let arg = OptionNode(value: .string(raw), text: raw, column: col, lineOffset: line)
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
    let text = Self.folded(chars[start..<i])
    let (line, col) = position(start)
    return OptionNode(value: Self.classify(text), text: text, column: col, lineOffset: line)
  }

  mutating func expect(_ c: Character, start: Int) throws(OptionSyntaxError) {
    guard i < chars.count, chars[i] == c else {
      throw error(at: min(i, chars.count), length: 1, "expected '\(c)'")
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
