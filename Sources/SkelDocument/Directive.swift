/// A directive as written: ```` ```{kernel} KIND ```` with `:key: value` option lines and a caption.
public struct Directive: Sendable, Hashable {
  /// The fence's braced name (`kernel`).
  public var name: String
  public var kind: String
  /// Where the fence starts, and the kind's position on that line.
  public var location: SourceLocation
  public var kindLocation: SourceLocation
  public var options: [RawOption]
  /// The caption: the body after the options, Markdown with math.
  public var caption: String
  public var captionLine: Int
  /// The order of the directive in its report (0-based).
  public var index: Int

  /// The `label` option's text, if any.
  public var label: String? {
    options.first(where: { $0.key == "label" }).flatMap {
      if case .string(let s) = $0.value.value { return s } else { return nil }
    }
  }
}

/// One `:key: value` line.
public struct RawOption: Sendable, Hashable {
  public var key: String
  public var keyLocation: SourceLocation
  public var value: OptionNode
  public var line: Int

  /// Where `node` (this option's value or a part of it) stands in the report.
  public func location(of node: OptionNode, path: String) -> SourceLocation {
    SourceLocation(path: path, line: line + node.lineOffset, column: node.column)
  }
}

/// Turns a fenced code block into a `Directive`.
public enum DirectiveReader {
  /// The braced names recognised as directives: ```` ```{kernel} KIND ```` and the fences that
  /// are their own kind (```` ```{plot} ````, whose kind is `plot`).
  public static let fenceNames = ["kernel", "plot"]

  /// Fences named by their kind: no kind word follows the braces.
  public static let selfNamedFences: Set<String> = ["plot"]

  /// Parses the info string `{name} kind`; `nil` for ordinary code blocks.
  public static func braced(_ info: String) -> (name: String, rest: String)? {
    let t = info.trimmedSpaces()
    guard t.hasPrefix("{"), let close = t.firstIndex(of: "}") else { return nil }
    let name = String(t[t.index(after: t.startIndex)..<close]).trimmedSpaces()
    return (name, String(t[t.index(after: close)...]).trimmedSpaces())
  }

  /// - Parameters:
  ///   - fenceLine: the file line of the opening fence; `fenceColumn` its column.
  ///   - body: the block's content lines.
  public static func read(
    info: String, body: String, fenceLine: Int, fenceColumn: Int, source: SourceFile, index: Int
  ) -> (Directive?, [Diagnostic]) {
    guard let (name, rest) = braced(info), fenceNames.contains(name) else { return (nil, []) }
    var problems: [Diagnostic] = []
    let fenceText = String(source.line(fenceLine))
    let kindColumn = column(of: rest, in: fenceText) ?? fenceColumn
    let selfNamed = selfNamedFences.contains(name)
    let kindLocation = SourceLocation(
      path: source.path, line: fenceLine, column: selfNamed ? (column(of: "{" + name, in: fenceText) ?? fenceColumn) + 1 : kindColumn)
    let kind = selfNamed ? name : rest.split(separator: " ").first.map(String.init) ?? ""
    if kind.isEmpty {
      problems.append(
        Diagnostic(
          at: SourceLocation(path: source.path, line: fenceLine, column: fenceColumn), length: fenceText.count,
          "directive '{\(name)}' needs a kind, as in '```{\(name)} dual'"))
    }
    // `{kernel} dual extra words`: the words would be silently ignored.
    let extra = rest.split(separator: " ", omittingEmptySubsequences: true).dropFirst(selfNamed ? 0 : 1)
    if let first = extra.first {
      let at = column(of: String(first), in: fenceText).map { max($0, kindColumn + kind.count) } ?? kindColumn
      problems.append(
        Diagnostic(
          at: SourceLocation(path: source.path, line: fenceLine, column: at), length: extra.joined(separator: " ").count,
          "unexpected text '\(extra.joined(separator: " "))' after the kind '\(kind)'; options go on the lines below, as ':key: value'"))
    }
    var lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    var options: [RawOption] = []
    var k = 0
    var seen: [String: Int] = [:]
    while k < lines.count, lines[k].trimmedSpaces().hasPrefix(":") {
      // A long value continues on the lines indented at least two spaces deeper (YAML block style).
      let lead = lines[k].prefix(while: { $0 == " " }).count
      var end = k + 1
      while end < lines.count, isContinuation(lines[end], under: lead) { end += 1 }
      let more = Array(lines[(k + 1)..<end])
      if let option = readOption(lines[k], more: more, line: fenceLine + 1 + k, source: source, seen: &seen, &problems) {
        options.append(option)
      }
      k = end
    }
    while k < lines.count, lines[k].trimmedSpaces().isEmpty { k += 1 }
    problems += misplacedOptions(lines, from: k, fenceLine: fenceLine, source: source)
    let caption = lines[k...].joined(separator: "\n").trimmingCharacters()
    let directive = Directive(
      name: name, kind: kind, location: SourceLocation(path: source.path, line: fenceLine, column: fenceColumn),
      kindLocation: kindLocation, options: options, caption: caption, captionLine: fenceLine + 1 + k, index: index)
    return (directive, problems)
  }

  /// One `:key: value` line: the option, or `nil` with its problem (a key given twice is a
  /// problem too, and the option is still read).
  /// A line that continues the value of an option line indented by `lead` spaces: not blank,
  /// indented at least two spaces deeper, and no option line itself.
  static func isContinuation(_ line: String, under lead: Int) -> Bool {
    let indent = line.prefix(while: { $0 == " " }).count
    let rest = line.dropFirst(indent)
    return !String(rest).trimmedSpaces().isEmpty && indent >= lead + 2 && rest.first != ":"
  }

  /// The lines of a long value after its option line: each line's text from its first
  /// non-space character, its column in the file and its offset below the option line.
  static func continuationLines(_ more: [String], below lineNo: Int, source: SourceFile) -> [(text: String, column: Int, lineOffset: Int)] {
    more.enumerated().map { m, text in
      let offset = max(0, source.line(lineNo + 1 + m).count - text.count)  // container indentation
      let lead = text.prefix(while: { $0 == " " }).count
      return (String(text.dropFirst(lead)).trimmedSpaces(), offset + lead + 1, m + 1)
    }
  }

  /// The value of an option: on its line, continued on the `more` lines below it, or a block
  /// sequence (`- item` lines) below an empty line value.
  static func parseValue(_ valueText: String, column: Int, more: [String], line lineNo: Int, source: SourceFile) throws(OptionSyntaxError)
    -> OptionNode
  {
    let below = continuationLines(more, below: lineNo, source: source)
    if valueText.trimmedSpaces().isEmpty, let first = below.first, first.text == "-" || first.text.hasPrefix("- ") {
      return try OptionValueParser.parseBlockSequence(lines: below)
    }
    return try OptionValueParser.parse(lines: [(valueText, column, 0)] + below)
  }

  static func readOption(
    _ text: String, more: [String] = [], line lineNo: Int, source: SourceFile, seen: inout [String: Int], _ problems: inout [Diagnostic]
  ) -> RawOption? {
    let fileLine = String(source.line(lineNo))
    let offset = max(0, fileLine.count - text.count)  // container indentation
    let lead = text.prefix(while: { $0 == " " }).count
    let afterColon = text.dropFirst(lead + 1)
    guard let close = afterColon.firstIndex(of: ":") else {
      problems.append(
        Diagnostic(
          at: SourceLocation(path: source.path, line: lineNo, column: offset + lead + 1), length: text.count - lead,
          "malformed option line: expected ':key: value'"))
      return nil
    }
    let key = String(afterColon[..<close])
    let keyColumn = offset + lead + 2
    let keyLocation = SourceLocation(path: source.path, line: lineNo, column: keyColumn)
    guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
      problems.append(
        Diagnostic(at: keyLocation, length: max(1, key.count), "malformed option name '\(key)': expected letters, digits, '-' or '_'"))
      return nil
    }
    let valueText = String(afterColon[afterColon.index(after: close)...])
    let valueColumn = keyColumn + key.count + 1
    if let first = seen[key] {
      problems.append(Diagnostic(at: keyLocation, length: key.count, "option '\(key)' is given twice (first on line \(first))"))
    }
    seen[key] = lineNo
    if valueText.trimmedSpaces().isEmpty, more.isEmpty {
      problems.append(Diagnostic(at: SourceLocation(path: source.path, line: lineNo, column: valueColumn), "option '\(key)' has no value"))
      return nil
    }
    // `L = [1, 2]; w = [...]` and `y[rho=0]` are no option values: `SweepSpec.parse` and the
    // sweep's `InlineValue` read them
    if key == "sweep" || key == "summary" {
      let lead = valueText.prefix(while: { $0 == " " }).count
      let raw = String(valueText.dropFirst(lead))
      return RawOption(
        key: key, keyLocation: keyLocation, value: OptionNode(value: .string(raw), text: raw, column: valueColumn + lead), line: lineNo)
    }
    do {
      let node = try parseValue(valueText, column: valueColumn, more: more, line: lineNo, source: source)
      return RawOption(key: key, keyLocation: keyLocation, value: node, line: lineNo)
    } catch {
      problems.append(
        Diagnostic(
          at: SourceLocation(path: source.path, line: lineNo + error.lineOffset, column: error.column), length: error.length, error.message)
      )
      return nil
    }
  }

  /// Option lines below the options (after a blank line or in the caption), which would
  /// silently become caption text.
  static func misplacedOptions(_ lines: [String], from k: Int, fenceLine: Int, source: SourceFile) -> [Diagnostic] {
    var problems: [Diagnostic] = []
    var sawCaption = false
    for m in k..<max(k, lines.count) {
      let text = lines[m]
      let lead = text.prefix(while: { $0 == " " }).count
      let t = text.dropFirst(lead)
      if t.first == ":", let close = t.dropFirst().firstIndex(of: ":"),
        let f = t.dropFirst().first, f.isLetter,
        t[t.index(after: t.startIndex)..<close].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
        t[t.index(after: close)...].first.map({ $0 == " " || $0 == "\t" }) ?? true
      {
        let lineNo = fenceLine + 1 + m
        let offset = max(0, source.line(lineNo).count - text.count)
        let key = String(t[t.index(after: t.startIndex)..<close])
        let what = sawCaption ? "option line after the caption" : "option line after a blank line"
        problems.append(
          Diagnostic(
            at: SourceLocation(path: source.path, line: lineNo, column: offset + lead + 2), length: key.count,
            "\(what): options must come first, one per line right after the fence line, and the caption after a blank line; move ':\(key):' up"
          ))
      } else if !t.isEmpty {
        sawCaption = true
      }
    }
    return problems
  }

  static func column(of needle: String, in line: String) -> Int? {
    guard !needle.isEmpty else { return nil }
    let l = Array(line), n = Array(needle)
    guard l.count >= n.count else { return nil }
    for s in 0...(l.count - n.count) where Array(l[s..<(s + n.count)]) == n { return s + 1 }
    return nil
  }
}

/// What a directive kind accepts: the schema the validator, `skelreport kinds` and the docs share.
public struct DirectiveSchema: Sendable, Hashable {
  public var kind: String
  public var summary: String
  public var options: [OptionSpec]
  /// A complete example directive, as a user would write it.
  public var example: String

  public init(kind: String, summary: String, options: [OptionSpec], example: String) {
    self.kind = kind
    self.summary = summary
    self.options = options
    self.example = example
  }

  public func spec(_ name: String) -> OptionSpec? { options.first { $0.name == name } }
}

/// Validates a directive's options against its kind's schema: every error at once.
public enum DirectiveValidator {
  public static func validate(_ d: Directive, schemas: [String: DirectiveSchema]) -> (ResolvedOptions?, [Diagnostic]) {
    if d.name != d.kind, DirectiveReader.selfNamedFences.contains(d.kind) {
      return (nil, [Diagnostic(at: d.kindLocation, length: d.kind.count, "'\(d.kind)' is a directive of its own: write ```{\(d.kind)}")])
    }
    guard let schema = schemas[d.kind] else {
      let known = schemas.keys.filter { !DirectiveReader.selfNamedFences.contains($0) }.sorted()
      return (
        nil,
        [
          Diagnostic(
            at: d.kindLocation, length: d.kind.count,
            "unknown directive kind '\(d.kind)'\(Suggestion.didYouMean(d.kind, among: known)); known kinds: \(known.joined(separator: ", "))"
          )
        ]
      )
    }
    var problems: [Diagnostic] = []
    var resolved = ResolvedOptions()
    for raw in d.options {
      guard let spec = schema.spec(raw.key) else {
        problems.append(
          Diagnostic(
            at: raw.keyLocation, length: raw.key.count,
            "unknown option '\(raw.key)' for directive '\(d.kind)'\(Suggestion.didYouMean(raw.key, among: schema.options.map(\.name)))"))
        continue
      }
      switch OptionTypeChecker.check(raw.value, as: spec.type, option: spec.name) {
      case .success(let v):
        resolved.values[spec.name] = v
        resolved.texts[spec.name] = raw.value.text
        resolved.explicit.insert(spec.name)
      case .failure(let e):
        problems.append(
          Diagnostic(
            at: SourceLocation(path: d.location.path, line: raw.line + e.lineOffset, column: e.column), length: e.length, e.message))
      }
    }
    for spec in schema.options where resolved.values[spec.name] == nil {
      guard let text = spec.defaultText else {
        if !problems.contains(where: { $0.location.line >= d.location.line && $0.message.contains("'\(spec.name)'") }) {
          problems.append(
            Diagnostic(
              at: d.kindLocation, length: d.kind.count, "directive '\(d.kind)' needs the option ':\(spec.name):' (\(spec.summary))"))
        }
        continue
      }
      resolved.texts[spec.name] = text
      if let v = spec.defaultValue {
        resolved.values[spec.name] = v
      } else if let v = Self.parseDefault(spec) {
        resolved.values[spec.name] = v
      } else {
        problems.append(
          Diagnostic(
            at: d.kindLocation, length: d.kind.count,
            "internal error: the default '\(text)' of option '\(spec.name)' of kind '\(d.kind)' is not \(spec.type); please report this"))
      }
    }
    return (problems.isEmpty ? resolved : nil, problems)
  }

  /// A default given only as text (schemas written by hand, as in tests), read as a report's.
  static func parseDefault(_ spec: OptionSpec) -> TypedValue? {
    guard let text = spec.defaultText else { return nil }
    if text.isEmpty, spec.type == .string || spec.type == .label { return .string("") }
    guard let node = try? OptionValueParser.parse(text, column: 1),
      case .success(let v) = OptionTypeChecker.check(node, as: spec.type, option: spec.name)
    else { return nil }
    return v
  }
}
