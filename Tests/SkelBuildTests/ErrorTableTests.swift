import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import Testing

/// Forty-plus distinct errors of the report language, each checked word for word with its
/// file:line:col. Every case builds a one-report site; none may crash or write the site.
struct ErrorCase: Sendable, CustomTestStringConvertible {
  var id: String
  var report: String
  var expected: String
  var strict = false
  var testDescription: String { id }
}

func directive(_ kind: String, _ options: String) -> String {
  "---\ntitle: E\n---\n\nSome prose.\n\n```{kernel} \(kind)\n:label: fig-a\n\(options)\n\nSee @fig-a.\n```\n"
}

let errorCases: [ErrorCase] = [
  ErrorCase(
    id: "unknown kind", report: directive("duel", ""),
    expected:
      "e.md:7:13: error: unknown directive kind 'duel'; did you mean 'dual'?; known kinds: clt, concentration, depth, depth-scales, dual, fit, fixed-point, gram, hermite-table, nngp, nnpk, ntk, parity, phase-diagram, predict, rainbow, realization, regression, skeleton, spectrum, weights"
  ),
  ErrorCase(
    id: "unknown option", report: directive("dual", ":activation: [relu]"),
    expected: "e.md:9:2: error: unknown option 'activation' for directive 'dual'; did you mean 'activations'?"),
  ErrorCase(
    id: "unknown activation", report: directive("dual", ":activations: [relu, tahn]"),
    expected: "e.md:9:22: error: unknown activation 'tahn' for option 'activations'; did you mean 'tanh'?"),
  ErrorCase(
    id: "correlation outside [-1, 1]", report: directive("dual", ":rho: linspace(-1, 1.5, 11)"),
    expected: "e.md:9:7: error: option 'rho' has a point 1.25 outside [-1, 1]"),
  ErrorCase(
    id: "grid arity", report: directive("dual", ":rho: linspace(-1, 1)"),
    expected: "e.md:9:7: error: malformed grid 'linspace(-1, 1)': linspace takes (a, b, n)"),
  ErrorCase(
    id: "unknown grid function", report: directive("dual", ":rho: linspcae(-1, 1, 5)"),
    expected:
      "e.md:9:7: error: unknown grid function 'linspcae'; did you mean 'linspace'?; expected linspace(a, b, n), logspace(a, b, n) or range(a, b)"
  ),
  ErrorCase(
    id: "too many grid points", report: directive("dual", ":rho: linspace(-1, 1, 2e7)"),
    expected: "e.md:9:23: error: the number of points in linspace(a, b, n) must be an integer in [1, 1000000], got 2e7"),
  ErrorCase(
    id: "non-integer depth", report: directive("depth", ":depths: [1, 2.5]"),
    expected: "e.md:9:14: error: option 'depths' expects an integer in [1, 100000], got '2.5'"),
  ErrorCase(
    id: "zero depth", report: directive("depth", ":depths: [0, 4]"),
    expected: "e.md:9:11: error: option 'depths' must be an integer in [1, 100000], got 0"),
  ErrorCase(
    id: "bad size", report: directive("dual", ":size: 5 x 3"),
    expected: "e.md:9:8: error: option 'size' expects a size such as '5in x 3.4in' (units in, cm, pt), got '5 x 3'"),
  ErrorCase(
    id: "unclosed list", report: directive("dual", ":activations: [relu, step"), expected: "e.md:9:15: error: unclosed '[': expected ']'"),
  ErrorCase(
    id: "duplicate option", report: directive("depth", ":depths: [1]\n:depths: [2]"),
    expected: "e.md:10:2: error: option 'depths' is given twice (first on line 9)"),
  ErrorCase(id: "option without value", report: directive("depth", ":depths:"), expected: "e.md:9:9: error: option 'depths' has no value"),
  ErrorCase(
    id: "bad label", report: "```{kernel} dual\n:label: 1st\n```\n",
    expected: "e.md:2:9: error: option 'label' expects a label (letters, digits, '-' and '_', starting with a letter), got '1st'"),
  ErrorCase(
    id: "bad format", report: directive("dual", ":formats: [svg, gif]"),
    expected: "e.md:9:17: error: unknown value 'gif' for option 'formats'; expected one of 'svg', 'png', 'pdf'"),
  ErrorCase(
    id: "malformed option line", report: directive("dual", ":rho [0, 1]"),
    expected: "e.md:9:1: error: malformed option line: expected ':key: value'"),
  ErrorCase(
    id: "unterminated fence", report: "# T\n\n```{kernel} dual\n:label: a\n",
    expected: "e.md:3:1: error: directive fence is never closed: expected a line '```' after its caption"),
  ErrorCase(
    id: "duplicate label", report: "```{kernel} dual\n:label: a\n```\n\n```{kernel} depth\n:label: a\n```\n",
    expected: "e.md:6:9: error: label 'a' is already used on line 2"),
  ErrorCase(
    id: "unknown fence name", report: "```{kernal} dual\n```\n",
    expected: "e.md:1:1: error: unknown directive '{kernal}'; did you mean 'kernel'?; directives are written ```{kernel} KIND"),
  ErrorCase(
    id: "unknown front matter key", report: "---\ntitle: T\nsede: 4\n---\n",
    expected: "e.md:3:1: error: unknown front matter key 'sede'; did you mean 'seed'?"),
  ErrorCase(
    id: "negative seed", report: "---\nseed: -4\n---\n", expected: "e.md:2:7: error: front matter 'seed' must be a non-negative integer"),
  ErrorCase(
    id: "draft not boolean", report: "---\ndraft: maybe\n---\n", expected: "e.md:2:8: error: front matter 'draft' must be true or false"),
  ErrorCase(
    id: "malformed YAML", report: "---\ntitle: T\ntags: [a, b\n---\n",
    expected:
      "e.md:4:1: error: malformed YAML in front matter: did not find expected ',' or ']' (while parsing a flow sequence at line 3, column 7)"
  ),
  ErrorCase(
    id: "front matter not closed", report: "---\ntitle: T\n",
    expected: "e.md:1:1: error: front matter is not closed: expected a line '---' after the YAML"),
  ErrorCase(
    id: "bad macro", report: "---\nmacros: {R: x}\n---\n",
    expected: "e.md:2:10: error: macro names start with a backslash and map to TeX, as in \\R: \\mathbb{R}"),
  ErrorCase(
    id: "unknown reference", report: directive("dual", "") + "\nAs @fig-b shows.\n",
    expected: "e.md:14:4: error: unknown reference '@fig-b'; did you mean '@fig-a'?"),
  ErrorCase(
    id: "citation without bibliography", report: "Text [@daniely2016].\n",
    expected:
      "e.md:1:8: error: citation '@daniely2016' but the report has no bibliography: add 'bibliography: refs.bib' to the front matter"),
  ErrorCase(
    id: "missing bibliography file", report: "---\nbibliography: nothere.bib\n---\n",
    expected: "e.md:2:15: error: bibliography 'nothere.bib' not found (looked for reports/nothere.bib)"),
  ErrorCase(
    id: "unknown citation key", report: "---\nbibliography: refs.bib\n---\n\nText [@danielly2016].\n",
    expected: "e.md:5:8: error: unknown citation key 'danielly2016'; did you mean 'daniely2016'?"),
  ErrorCase(
    id: "value: unknown label", report: directive("dual", "") + "\nValue {val}`fig-b.y[relu, rho=0]`.\n",
    expected: "e.md:14:13: error: inline value: no directive labelled 'fig-b'; did you mean 'fig-a'?"),
  ErrorCase(
    id: "value: unknown field", report: directive("dual", "") + "\nValue {val}`fig-a.z[relu, rho=0]`.\n",
    expected: "e.md:14:19: error: inline value: unknown field 'z'; did you mean 'y'?; fields: y, yerr, min, max, table"),
  ErrorCase(
    id: "value: bad format", report: directive("dual", "") + "\nValue {val}`fig-a.y[relu, rho=0]:.3q`.\n",
    expected: "e.md:14:34: error: inline value: unknown format '.3q'; expected a Python format such as .3f, .4g, .2e, .1% or d"),
  ErrorCase(
    id: "value: point not on the grid", report: directive("dual", ":rho: [0, 0.5]") + "\nValue {val}`fig-a.y[relu, rho=0.3]`.\n",
    expected: "e.md:14:13: error: inline value 'fig-a.y[relu, rho=0.3]': rho=0.3 is not a point of 'fig-a' (nearest: 0.5)"),
  ErrorCase(
    id: "value: unknown series", report: directive("dual", ":rho: [0, 0.5]") + "\nValue {val}`fig-a.y[gelu, rho=0]`.\n",
    expected: "e.md:14:13: error: inline value 'fig-a.y[gelu, rho=0]': no series 'gelu' in 'fig-a'; series: relu, step, exp"),
  ErrorCase(
    id: "value: no such table row", report: directive("fixed-point", ":depth: 2") + "\nValue {val}`fig-a.table[3, slope]`.\n",
    expected: "e.md:14:13: error: inline value 'fig-a.table[3, slope]': no row '3' in the table of 'fig-a' (1 rows; first column: 1)"),
  ErrorCase(
    id: "TeX error", report: "A formula $\\frac{1}{$ here.\n",
    expected:
      "e.md:1:11: error: TeX error: KaTeX parse error: Unexpected end of input in a macro argument, expected '}' at end of input: \\frac{1}{"
  ),
  ErrorCase(
    id: "unknown callout", report: ":::{notice}\nText.\n:::\n",
    expected: "e.md:1:5: error: unknown callout 'notice'; did you mean 'note'?; expected one of note, tip, important, warning, caution"),
  ErrorCase(
    id: "unclosed callout", report: ":::{note}\nText.\n", expected: "e.md:1:1: error: callout 'note' is never closed: expected a line ':::'"
  ),
  ErrorCase(id: "stray callout close", report: "Text.\n:::\n", expected: "e.md:2:1: error: ':::' closes no callout"),
  ErrorCase(
    id: "expression: unknown function", report: directive("dual", ":activations: [expr(x*tnah(x))]"),
    expected:
      "e.md:9:23: error: in expr(…): unknown function 'tnah'; known: abs, cos, cosh, erf, exp, log, max, min, relu, sigmoid, sin, sinh, softplus, sqrt, tanh"
  ),
  ErrorCase(
    id: "activation: unknown parameter", report: directive("dual", ":activations: [leaky_relu(beta=0.1)]"),
    expected: "e.md:9:32: error: activation 'leaky_relu' has no parameter 'beta'; it takes alpha"),
  ErrorCase(
    id: "activation: too many parameters", report: directive("dual", ":activations: [rbf(1, 2)]"),
    expected: "e.md:9:23: error: activation 'rbf' takes 1 parameter: rbf(gamma=1)"),
  ErrorCase(
    id: "skeleton correlation out of range", report: directive("skeleton", ":correlations: [1, -1.2]"),
    expected: "e.md:9:20: error: option 'correlations' must be a number in [-1, 1], got -1.2"),
  ErrorCase(
    id: "negative weight variance", report: directive("phase-diagram", ":sigma_w2: linspace(-1, 2, 5)"),
    expected: "e.md:9:12: error: option 'sigma_w2' has a point -1.0 outside [0, 100]"),
  ErrorCase(
    id: "Student-t with infinite variance", report: directive("weights", ":laws: [gaussian, student_t(nu=2)]"),
    expected: "e.md:9:32: error: a Student-t law needs nu > 2 (its variance is infinite for nu <= 2), got 2"),
  ErrorCase(
    id: "Student-t in a realization", report: directive("realization", ":law: student_t(nu=1.5)"),
    expected: "e.md:9:20: error: a Student-t law needs nu > 2 (its variance is infinite for nu <= 2), got 1.5"),
  ErrorCase(
    id: "unknown initializer", report: directive("nnpk", ":inits: [he_normal, xavier]"),
    expected:
      "e.md:9:21: error: unknown value 'xavier' for option 'inits'; expected one of 'he_normal', 'he_uniform', 'glorot_normal', 'glorot_uniform', 'lecun_normal', 'lecun_uniform', 'orthogonal'"
  ),
  ErrorCase(
    id: "unknown weight law", report: directive("weights", ":laws: [gausian]"),
    expected: "e.md:9:9: error: unknown weight law 'gausian' for option 'laws'; did you mean 'gaussian'?"),
  ErrorCase(
    id: "duplicate section label", report: "## A {#sec-a}\n\n## B {#sec-a}\n\nSee @sec-a.\n",
    expected: "e.md:3:8: error: label 'sec-a' is already used on line 1"),
  ErrorCase(
    id: "strict: missing alt text", report: "```{kernel} dual\n:label: fig-s\n\nSee @fig-s.\n```\n\n@fig-s\n",
    expected: "e.md:1:13: error: figure 'fig-s' has no :alt: text; a description is generated from its data (--strict)", strict: true),
]

@Suite(.serialized) struct ErrorTableTests {
  @Test func enoughDistinctCases() {
    #expect(Set(errorCases.map(\.id)).count == errorCases.count && errorCases.count >= 40)
  }

  @Test(arguments: errorCases)
  func errorText(c: ErrorCase) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-err-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    try c.report.write(to: dir.appendingPathComponent("reports/e.md"), atomically: true, encoding: .utf8)
    try FileManager.default.copyItem(
      at: packageRoot.appendingPathComponent("reports/refs.bib"), to: dir.appendingPathComponent("reports/refs.bib"))
    let cwd = FileManager.default.currentDirectoryPath
    FileManager.default.changeCurrentDirectoryPath(dir.path)
    defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
    var config = BuildConfiguration(
      reports: URL(fileURLWithPath: "reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: nil)
    config.strict = c.strict
    do {
      try SiteBuilder(configuration: config, backend: CairoBackend()).build()
      Issue.record("\(c.id): the build should have failed")
    } catch BuildError.diagnostics(let list, _) {
      let errors = list.filter { $0.severity == .error }
      let first = errors.first.map { "\($0.location.description.replacingOccurrences(of: "reports/", with: "")): error: \($0.message)" }
      #expect(first == c.expected, "\(c.id)")
    }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site").path), "nothing written")
  }
}
