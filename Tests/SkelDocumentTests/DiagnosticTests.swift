import SkelDocument
import Testing

/// The options every kind has (SkelExperiments' `CommonOptions` declares them for real kinds).
let commonSpecs: [OptionSpec] = [
  OptionSpec("label", .label, default: "", "label"),
  OptionSpec("formats", .list(.choice(["svg", "png", "pdf"]), minCount: 1), default: "[svg, png, pdf]", "formats"),
  OptionSpec("size", .size, default: "5in x 3.4in", "size"),
  OptionSpec("alt", .string, default: "", "alt"),
]

/// A small schema like the `dual` kind's, so these tests need no kernels.
let testSchemas: [String: DirectiveSchema] = [
  "dual": DirectiveSchema(
    kind: "dual", summary: "test",
    options: commonSpecs + [
      OptionSpec("activations", .list(.choice(["relu", "step", "exp"]), minCount: 1), default: "[relu]", "activations"),
      OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 5)", "correlations"),
      OptionSpec("depth", .integer(min: 1, max: 1000), default: "1", "depth"),
    ], example: ""),
  "depth": DirectiveSchema(
    kind: "depth", summary: "test",
    options: commonSpecs + [OptionSpec("depths", .list(.integer(min: 1, max: nil), minCount: 1), default: "[1]", "depths")], example: ""),
]

/// Parses and validates a report; returns every diagnostic formatted as the CLI prints it.
func diagnose(_ text: String, path: String = "reports/a.md") -> [String] {
  let source = SourceFile(path: path, text: text)
  let (doc, problems) = DocumentParser.parse(source, name: "a")
  var all = problems
  for d in doc.directives where !d.kind.isEmpty { all += DirectiveValidator.validate(d, schemas: testSchemas).1 }
  return all.sorted().map { $0.formatted(source: source) }
}

func report(_ options: String, kind: String = "dual") -> String {
  "---\ntitle: T\n---\n\nProse.\n\n```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n"
}

@Suite struct DirectiveErrorTests {
  /// The acceptance case: exact text and position of a misspelled option.
  @Test func misspelledOption() {
    let out = diagnose(report(":label: fig-a\n:activation: [relu]"))
    #expect(
      out == [
        """
        reports/a.md:9:2: error: unknown option 'activation' for directive 'dual'; did you mean 'activations'?
           9 | :activation: [relu]
             |  ^~~~~~~~~~
        """
      ])
  }

  struct Case: Sendable, CustomTestStringConvertible {
    var id: String
    var options: String
    var kind = "dual"
    var expected: String
    var testDescription: String { id }
  }

  static let cases: [Case] = [
    Case(
      id: "unknown kind", options: ":label: x", kind: "duel",
      expected: "reports/a.md:7:13: error: unknown directive kind 'duel'; did you mean 'dual'?; known kinds: depth, dual"),
    Case(
      id: "unknown activation", options: ":activations: [relu, stpe]",
      expected:
        "reports/a.md:8:22: error: unknown value 'stpe' for option 'activations'; did you mean 'step'?; expected one of 'relu', 'step', 'exp'"
    ),
    Case(
      id: "rho outside [-1, 1]", options: ":rho: linspace(-1, 2, 5)",
      expected: "reports/a.md:8:7: error: option 'rho' has a point 1.25 outside [-1, 1]"),
    Case(
      id: "malformed grid", options: ":rho: linspace(-1, 1)",
      expected: "reports/a.md:8:7: error: malformed grid 'linspace(-1, 1)': linspace takes (a, b, n)"),
    Case(
      id: "unknown grid function", options: ":rho: linspcae(-1, 1, 3)",
      expected:
        "reports/a.md:8:7: error: unknown grid function 'linspcae'; did you mean 'linspace'?; expected linspace(a, b, n), logspace(a, b, n) or range(a, b)"
    ),
    Case(
      id: "non-integer depth", options: ":depth: 2.5",
      expected: "reports/a.md:8:9: error: option 'depth' expects an integer in [1, 1000], got '2.5'"),
    Case(
      id: "non-positive depth", options: ":depth: 0",
      expected: "reports/a.md:8:9: error: option 'depth' must be an integer in [1, 1000], got 0"),
    Case(
      id: "bad size", options: ":size: 5 x 3",
      expected: "reports/a.md:8:8: error: option 'size' expects a size such as '5in x 3.4in' (units in, cm, pt), got '5 x 3'"),
    Case(
      id: "unclosed list", options: ":activations: [relu, step",
      expected: "reports/a.md:8:15: error: unclosed '[': expected ']'"),
    Case(
      id: "duplicate option", options: ":depth: 1\n:depth: 2",
      expected: "reports/a.md:9:2: error: option 'depth' is given twice (first on line 8)"),
    Case(
      id: "missing value", options: ":depth:",
      expected: "reports/a.md:8:8: error: option 'depth' has no value"),
    Case(
      id: "bad label", options: ":label: 1abc",
      expected: "reports/a.md:8:9: error: option 'label' expects a label (letters, digits, '-' and '_', starting with a letter), got '1abc'"
    ),
    Case(
      id: "bad format", options: ":formats: [svg, jpg]",
      expected: "reports/a.md:8:17: error: unknown value 'jpg' for option 'formats'; expected one of 'svg', 'png', 'pdf'"),
    Case(
      id: "malformed option line", options: ":depth 3",
      expected: "reports/a.md:8:1: error: malformed option line: expected ':key: value'"),
    Case(
      id: "zero depth in list", options: ":depths: [1, 0, 4]", kind: "depth",
      expected: "reports/a.md:8:14: error: option 'depths' must be an integer ≥ 1, got 0"),
  ]

  /// Each case: the first line of the first diagnostic, word for word.
  @Test(arguments: cases)
  func errorText(c: Case) {
    let out = diagnose(report(c.options, kind: c.kind))
    #expect(out.first?.split(separator: "\n").first.map(String.init) == c.expected)
  }

  @Test func allErrorsAtOnce() {
    let out = diagnose(report(":depht: 2\n:rho: linspace(0, 3, 4)\n:activations: [tanh]"))
    #expect(out.count == 3)
  }

  @Test func unterminatedFence() {
    let out = diagnose("# T\n\n```{kernel} dual\n:label: a\n")
    #expect(out.first?.hasPrefix("reports/a.md:3:1: error: directive fence is never closed") == true)
  }

  @Test func duplicateLabels() {
    let text = "```{kernel} dual\n:label: a\n```\n\n```{kernel} dual\n:label: a\n```\n"
    #expect(diagnose(text).first?.hasPrefix("reports/a.md:6:9: error: label 'a' is already used on line 2") == true)
  }
}

@Suite struct FrontMatterTests {
  @Test func decodesTypedValues() {
    let source = SourceFile(path: "r.md", text: "---\ntitle: Depth\nauthors: [A, B]\nseed: 42\ndraft: true\n---\nBody\n")
    let (fm, problems) = FrontMatterReader.decode(source, fallbackTitle: "r")
    #expect(problems.isEmpty)
    #expect(fm.title == "Depth" && fm.authors == ["A", "B"] && fm.seed == 42 && fm.draft)
  }

  @Test(arguments: [
    ("---\ntitle: T\nsede: 3\n---\n", "r.md:3:1: error: unknown front matter key 'sede'; did you mean 'seed'?"),
    ("---\ntitle: T\nseed: -3\n---\n", "r.md:3:7: error: front matter 'seed' must be a non-negative integer"),
    (
      "---\ntitle: T\nauthors: [A, B\n---\n",
      "r.md:4:1: error: malformed YAML in front matter: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 10)"
    ),
    ("---\ntitle: T\n", "r.md:1:1: error: front matter is not closed: expected a line '---' after the YAML"),
  ])
  func errors(text: String, expected: String) {
    let source = SourceFile(path: "r.md", text: text)
    let (_, problems) = FrontMatterReader.decode(source, fallbackTitle: "r")
    #expect(problems.first.map { "\($0.location): error: \($0.message)" } == expected)
  }

  /// The body keeps the file's line numbers.
  @Test func splitKeepsLines() {
    let source = SourceFile(path: "r.md", text: "---\ntitle: T\n---\nline four\n")
    let (_, _, body) = FrontMatterReader.split(source)
    #expect(body.split(separator: "\n", omittingEmptySubsequences: false)[3] == "line four")
  }
}

@Suite struct MathProtectionTests {
  @Test func protectsInlineAndDisplayMath() {
    let m = MathProtection("a $x_1 * y_2$ b\n\n$$\n\\{a\\}\n$$\nc `$notmath$` \\$5 and $5\n", path: "p.md")
    #expect(m.spans.map(\.tex) == ["x_1 * y_2", "\\{a\\}"])
    #expect(m.spans.map(\.display) == [false, true])
    #expect(m.spans[1].location == SourceLocation(path: "p.md", line: 3, column: 1))
    #expect(m.text == "a \(MathProtection.placeholder(0)) b\n\n\(MathProtection.placeholder(1))\nc `$notmath$` \\$5 and $5\n")
    // the display formula spanned three lines; "c …" is line 4 of the text and line 6 of the file
    #expect(m.lineMap[3] == 6)
  }

  /// Placeholders start with the noncharacter sentinel, which no source text keeps.
  @Test func placeholdersCannotBeForged() {
    #expect(MathProtection.sentinelScalar.value == 0xFDD0 && MathProtection.sentinelScalar.properties.isNoncharacterCodePoint)
    #expect(MathProtection.placeholder(3) == MathProtection.sentinel + "SKMATH3Q")
    let source = SourceFile(path: "p.md", text: "x \(MathProtection.placeholder(0)) SKMATH0Q $y$\n")
    #expect(!source.text.unicodeScalars.contains(MathProtection.sentinelScalar))
    let m = MathProtection(source.text, path: "p.md")
    #expect(m.text == "x \u{FFFD}SKMATH0Q SKMATH0Q \(MathProtection.placeholder(0))\n")
    #expect(
      MathProtection.substitutePlaceholders(in: m.text, prefix: MathProtection.mathPrefix) { _ in "F" } == "x \u{FFFD}SKMATH0Q SKMATH0Q F\n"
    )
  }

  /// A closing fence has the opening's character, at least its length and no info string.
  @Test func closingFencesFollowCommonMark() {
    let m = MathProtection("```md\n```python\n$a$\n```\n$b$\n````\n```\n$c$\n````\n$d$\n", path: "p.md")
    #expect(m.spans.map(\.tex) == ["b", "d"])
  }

  @Test func codeFencesAreLeftAlone() {
    let m = MathProtection("```\n$a$\n```\n$b$\n", path: "p.md")
    #expect(m.spans.map(\.tex) == ["b"])
    // regression: a closing fence's backticks are not an inline code span reaching the next fence
    let two = MathProtection("```{kernel} a\n`x`\n```\n\n$p$ and $q$\n\n```{kernel} b\n$c$\n```\n", path: "p.md")
    #expect(two.spans.map(\.tex) == ["p", "q"])
  }

  @Test func dollarsFollowPandocRules() {
    // "$ x$" (space after opening) and "$x $" (space before closing) are not math
    #expect(MathProtection("costs $ 5 and $x $y", path: "p").spans.isEmpty)
  }
}

@Suite struct OptionValueTests {
  @Test func gridsAndLists() throws {
    let lin = try OptionValueParser.parse("linspace(-1, 1, 5)", column: 1)
    #expect(OptionTypeChecker.check(lin, as: .grid(min: -1, max: 1), option: "rho") == .success(.grid([-1, -0.5, 0, 0.5, 1])))
    let pow2 = try OptionValueParser.parse("[2^4 .. 2^7]", column: 1)
    #expect(OptionTypeChecker.check(pow2, as: .grid(min: nil, max: nil), option: "r") == .success(.grid([16, 32, 64, 128])))
    let list = try OptionValueParser.parse("[relu, step]", column: 1)
    #expect(
      OptionTypeChecker.check(list, as: .list(.string, minCount: 1), option: "a") == .success(.list([.string("relu"), .string("step")])))
    let size = try OptionValueParser.parse("3.4in x 2.4in", column: 1)
    guard case .success(.size(let w, let h)) = OptionTypeChecker.check(size, as: .size, option: "size") else {
      Issue.record("not a size")
      return
    }
    #expect(abs(w - 244.8) < 1e-12 && abs(h - 172.8) < 1e-12, "3.4in x 2.4in = 244.8pt x 172.8pt")
  }

  @Test func columnsPointAtValues() throws {
    let node = try OptionValueParser.parse(" [a, bb]", column: 10)
    guard case .list(let items) = node.value else {
      Issue.record("not a list")
      return
    }
    #expect(items.map(\.column) == [12, 15])
  }
}
