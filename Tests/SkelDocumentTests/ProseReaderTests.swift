import SkelDocument
import Testing

/// One table per reader of `ProseReaders`: input → what it reads (nil: not that construct).
@Suite struct ProseReaderTests {
  func chars(_ s: String) -> [Character] { Array(s) }

  @Test func inlineMath() {
    let table: [(String, String?)] = [
      ("$x$", "x"), ("$x_1 * y_2$ b", "x_1 * y_2"), ("$a\\$b$", "a\\$b"), ("$a\nb$", "a\nb"),
      ("$ x$", nil), ("$x $", nil), ("$5 and $5", nil), ("$a\n\nb$", nil), ("$x", nil), ("x$", nil),
    ]
    for (input, tex) in table {
      #expect(ProseReaders.inlineMath(chars(input), at: 0)?.tex == tex, "\(input)")
    }
    #expect(ProseReaders.inlineMath(chars("$x$ y"), at: 0)?.end == 3)
  }

  @Test func displayMath() {
    let table: [(String, String?, String?, Int?)] = [
      ("$$x$$", "x", nil, 5), ("$$ a \\$$ b $$", "a \\$$ b", nil, 13), ("$$x$$ (eq-a)", "x", "eq-a", 12),
      ("$$x$$  (eq-a) and", "x", "eq-a", 13), ("$$x$$ (1a)", "x", nil, 5), ("$$x$$ (a b)", "x", nil, 5),
      ("$$  $$", nil, nil, nil), ("$$x$", nil, nil, nil), ("$x$$", nil, nil, nil),
    ]
    for (input, tex, label, end) in table {
      let read = ProseReaders.displayMath(chars(input), at: 0)
      #expect(read?.tex == tex && read?.label == label && read?.end == end, "\(input): \(String(describing: read))")
    }
  }

  @Test func mathBlock() {
    // the reader starts after the opening fence ``` (3 characters) of the first line
    let table: [(String, String?, String?)] = [
      ("```{math}\na^2\n```\n", "a^2", nil), ("```{math}\n:label: eq-p\n x \n y\n```", "x \n y", "eq-p"),
      ("````{math}\na\n```\nb\n````\n", "a\n```\nb", nil), ("```{math}\na\n", nil, nil), ("```{math}\na\n~~~\n", nil, nil),
    ]
    for (input, tex, label) in table {
      let n = input.prefix(while: { $0 == "`" }).count
      let read = ProseReaders.mathBlock(chars(input), infoStart: n, fence: "`", count: n)
      #expect(read?.tex == tex && read?.label == label, "\(input): \(String(describing: read))")
    }
    let s = chars("```{math}\na\n```\nafter")
    #expect(ProseReaders.mathBlock(s, infoStart: 3, fence: "`", count: 3)?.end == 15)  // the closing line's newline
  }

  @Test func citation() {
    let table: [(String, [String]?, [Int]?)] = [
      ("[@key]", ["key"], [2]), ("[@a; @b]", ["a", "b"], [2, 6]), ("[@a, @b:c.d]", ["a", "b:c.d"], [2, 6]),
      ("[@a x]", nil, nil), ("[@]", nil, nil), ("[@a\n]", nil, nil), ("[@a", nil, nil), ("[a]", nil, nil),
    ]
    for (input, keys, offsets) in table {
      let read = ProseReaders.citation(chars(input), at: 0)
      #expect(read?.keys == keys && read?.offsets == offsets, "\(input): \(String(describing: read))")
    }
    #expect(ProseReaders.citation(chars("[@a] b"), at: 0)?.end == 4)
  }

  @Test func reference() {
    // (text, position of '@', label)
    let table: [(String, Int, String?)] = [
      ("@fig-x", 0, "fig-x"), ("see @sec-duals.", 4, "sec-duals"), ("@eq-a: it", 0, "eq-a"), ("@fig.a.", 0, "fig.a"),
      ("me@example.org", 2, nil), ("a.@x", 2, nil), ("@@x", 1, nil), ("_@x", 1, nil), ("@1x", 0, nil), ("@", 0, nil),
    ]
    for (input, at, label) in table {
      #expect(ProseReaders.reference(chars(input), at: at)?.label == label, "\(input)")
    }
  }

  @Test func value() {
    let table: [(String, ProseReaders.ValueRead?)] = [
      ("{val}`fig-a.rho`", .value("fig-a.rho", end: 16)), ("{val}`a\nb` c", .value("a\nb", end: 10)),
      ("{val}`a\n\nb`", .unclosed), ("{val}`a", .unclosed), ("{val} `a`", nil), ("{value}`a`", nil),
    ]
    for (input, read) in table {
      #expect(ProseReaders.value(chars(input), at: 0) == read, "\(input)")
    }
  }

  @Test func calloutLine() {
    let table: [(String, ProseReaders.CalloutLine?)] = [
      (":::", .close), (":::  ", .close), (":::{note}", .open(kind: "note", title: "")),
      (":::{warning} Numerical activations", .open(kind: "warning", title: "Numerical activations")),
      (":::{nte}", .open(kind: "nte", title: "")), (":::note", .other), ("::: {x", .other), ("::", nil), ("a :::", nil),
    ]
    for (input, read) in table {
      #expect(ProseReaders.calloutLine(input) == read, "\(input)")
    }
  }

  @Test func headingLabel() {
    let table: [(String, Int?, String?, String?)] = [
      ("## Duals {#sec-duals}", 2, "sec-duals", "Duals"), ("# T {#a:b_c}", 1, "a:b_c", "T"), ("#x {#a}", 1, "a", "x"),
      ("## Duals {#}", nil, nil, nil), ("## Duals {#a b}", nil, nil, nil), ("####### T {#a}", nil, nil, nil),
      ("## Duals", nil, nil, nil), ("Duals {#a}", nil, nil, nil),
    ]
    for (input, level, label, title) in table {
      let read = ProseReaders.headingLabel(input)
      #expect(read?.level == level && read?.label == label && read?.title == title, "\(input)")
    }
    #expect(
      ProseReaders.headingLevel("### x") == 3 && ProseReaders.headingLevel("#x") == nil && ProseReaders.headingLevel("####### x") == nil)
  }

  /// The scanner's diagnostics for these constructs, at their positions.
  @Test func diagnostics() {
    let table: [(String, [String])] = [
      ("a {val}`x\n\nb\n", ["p.md:1:3: inline value is never closed: expected a '`' to end {val}`…` in its paragraph"]),
      (":::\n", ["p.md:1:1: ':::' closes no callout"]),
      ("  :::{note}\nx\n", ["p.md:1:3: callout 'note' is never closed: expected a line ':::'"]),
      (
        ":::{nte}\nx\n:::\n",
        ["p.md:1:5: unknown callout 'nte'; did you mean 'note'?; expected one of note, tip, important, warning, caution"]
      ),
      ("```\n:::\n```\n:::{note}\n:::\n", []),
    ]
    for (input, messages) in table {
      let m = MathProtection(input, path: "p.md")
      #expect(m.calloutProblems.map { "\($0.location): \($0.message)" } == messages, "\(input)")
    }
  }
}
