import SkelDocument
import Testing

/// Long option values (`../shared/directives.md`, "Long option values"): a value continued on
/// lines indented by two or more spaces, and YAML block sequences, with every node and every
/// error at its own line and column.
@Suite struct LongValueTests {
  func parse(_ options: String) -> (Directive?, [String]) {
    let text = "```{kernel} nngp\n\(options)\n\nCaption.\n```\n"
    let (doc, problems) = DocumentParser.parse(SourceFile(path: "k.md", text: text), name: "k")
    return (doc.directives.first, problems.map { "\($0.location): \($0.message)" })
  }

  /// Where a node stands in the file: the option's line (line 2 is the first option) plus the
  /// node's offset, and its column.
  func at(_ raw: RawOption, _ node: OptionNode) -> String {
    let l = raw.location(of: node, path: "k.md")
    return "\(l.line):\(l.column)"
  }

  @Test func blockSequenceItemsKeepTheirLinesAndColumns() throws {
    let (d, problems) = parse(
      """
      :label: fig-a
      :network:
        - dense(w_std=1.4)
        - relu
        - repeat(2,
            [dense, relu])
        - dense
      :rho: [0, 0.5]
      """)
    #expect(problems.isEmpty, "\(problems)")
    let directive = try #require(d)
    #expect(directive.options.map(\.key) == ["label", "network", "rho"])
    let raw = directive.options[1]
    guard case .list(let items) = raw.value.value else {
      Issue.record("not a list: \(raw.value)")
      return
    }
    #expect(items.map(\.text) == ["dense(w_std=1.4)", "relu", "repeat(2, [dense, relu])", "dense"])
    #expect(items.map { at(raw, $0) } == ["4:5", "5:5", "6:5", "8:5"])
    #expect(raw.value.text == "[dense(w_std=1.4), relu, repeat(2, [dense, relu]), dense]")
    guard case .call("repeat", let args) = items[2].value else {
      Issue.record("not a call: \(items[2])")
      return
    }
    #expect(at(raw, args[1].value) == "7:7")
    guard case .call("dense", let dense) = items[0].value else {
      Issue.record("not a call: \(items[0])")
      return
    }
    #expect(dense[0].name == "w_std")
    #expect(at(raw, dense[0].nameNode) == "4:11")
    #expect(at(raw, dense[0].value) == "4:17")
  }

  @Test func flowValueContinuedOnTheNextLine() throws {
    let (d, problems) = parse(":depths: [1, 2,\n    4, 8]\n:rho: [0]")
    #expect(problems.isEmpty, "\(problems)")
    let raw = try #require(d?.options.first)
    guard case .list(let items) = raw.value.value else {
      Issue.record("not a list")
      return
    }
    #expect(items.map(\.text) == ["1", "2", "4", "8"])
    #expect(items.map { at(raw, $0) } == ["2:11", "2:14", "3:5", "3:8"])
    #expect(raw.value.text == "[1, 2, 4, 8]")
    #expect(d?.options.map(\.key) == ["depths", "rho"])
  }

  @Test func plainScalarLinesFoldIntoOne() throws {
    let (d, problems) = parse(":alt: a long text\n  that goes on")
    #expect(problems.isEmpty, "\(problems)")
    #expect(d?.options.first?.value.value == .string("a long text that goes on"))
  }

  @Test func errorsInsideLongValuesPointAtTheirLine() {
    // the '(' of dense on the second line of the value (file line 3, column 10)
    #expect(parse(":network:\n  - dense(w_std=1.4\n  - relu").1 == ["k.md:3:10: unclosed '(' in dense(…): expected ')'"])
    #expect(parse(":rho: linspace(-1,\n    1, 401]").1 == ["k.md:3:11: expected ',' or ')' in linspace(…)"])
    #expect(parse(":depths: [1, 2,\n    4, 8").1 == ["k.md:2:10: unclosed '[': expected ']'"])
    // an item indented less than the first dash
    #expect(parse(":network:\n    - relu\n   - dense").1 == ["k.md:4:4: expected '- ' at column 5 (an item of the block sequence above)"])
    #expect(parse(":network:\n  - relu\n  -\n:rho: [0]").1 == ["k.md:4:3: expected a value after '-'"])
  }

  @Test func unindentedLinesEndTheValue() {
    let (d, problems) = parse(":network:\n  - relu\n:rho: [0]\n :q: 2")
    #expect(problems.isEmpty, "\(problems)")
    #expect(d?.options.map(\.key) == ["network", "rho", "q"])
    // an empty value with nothing below it is still an error
    #expect(parse(":network:\n:rho: [0]").1 == ["k.md:2:10: option 'network' has no value"])
  }
}
