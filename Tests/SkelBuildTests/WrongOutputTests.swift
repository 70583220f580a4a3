import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import SkelPlot
import Testing

/// Issue 15 G and H: input that used to give silent wrong output or an error without a position.
/// Each case is a report (bytes, so non-UTF-8 can be written) whose build must fail with this exact
/// error among its errors; other reports of the folder are still checked.
struct PositionedCase: Sendable, CustomTestStringConvertible {
  var id: String
  var files: [String: [UInt8]]
  var expected: [String]
  var testDescription: String { id }

  init(_ id: String, _ report: String, _ expected: String...) {
    self.id = id
    files = ["e.md": Array(report.utf8)]
    self.expected = expected
  }

  init(_ id: String, files: [String: [UInt8]], _ expected: String...) {
    self.id = id
    self.files = files
    self.expected = expected
  }
}

let longLabel = String(repeating: "a", count: 101)

let positionedCases: [PositionedCase] = [
  // G: option lines after the caption or after a blank line
  PositionedCase(
    "option after the caption", "```{kernel} dual\n:label: fig-a\n\nThe caption.\n:rho: [0, 0.5]\n```\n\n@fig-a\n",
    "e.md:5:2: error: option line after the caption: options must come first, one per line right after the fence line, and the caption after a blank line; move ':rho:' up"
  ),
  PositionedCase(
    "option after a blank line", "```{kernel} depth\n:label: fig-a\n\n  :depths: [1, 2]\n\nCaption.\n```\n\n@fig-a\n",
    "e.md:4:4: error: option line after a blank line: options must come first, one per line right after the fence line, and the caption after a blank line; move ':depths:' up"
  ),
  PositionedCase(
    "option deep in a caption", "```{kernel} dual\n:label: fig-a\n\nFirst line.\nSecond line.\n:alt_text: hi\n```\n\n@fig-a\n",
    "e.md:6:2: error: option line after the caption: options must come first, one per line right after the fence line, and the caption after a blank line; move ':alt_text:' up"
  ),
  // G: activations without finite Gaussian moments
  PositionedCase(
    "activation: sqrt of negatives", directive("dual", ":activations: [relu, expr(sqrt(x))]"),
    "e.md:9:22: error: activation 'expr(sqrt(x))' is not defined at x = -0.25 (it gives NaN there), but a Gaussian input takes every real value"
  ),
  PositionedCase(
    "activation: log(x + 1)", directive("depth", ":activation: expr(log(x+1))"),
    "e.md:9:14: error: activation 'expr(log(x+1))' is not defined at x = -1.25 (it gives NaN there), but a Gaussian input takes every real value"
  ),
  PositionedCase(
    "activation: exp(2x²) overflows", directive("dual", ":activations: [expr(exp(2*x*x))]"),
    "e.md:9:16: error: activation 'expr(exp(2*x*x))' is infinite at x = 19.25: its Gaussian moment E[φ(X)²] is not finite"),
  PositionedCase(
    "activation: x e^{0.3x²} grows too fast", directive("dual", ":activations: [expr(x*exp(0.3*x*x))]"),
    "e.md:9:16: error: activation 'expr(x*exp(0.3*x*x))' grows too fast: its Gaussian moment E[φ(X)²] is not finite (φ(x)² e^(−x²/2) grows at x = 30)"
  ),
  PositionedCase(
    "activation: pole", directive("dual", ":activations: [expr(1/(x+2))]"),
    "e.md:9:16: error: activation 'expr(1/(x+2))' has a pole at x = -2: its Gaussian moment E[φ(X)²] is not finite"),
  // G: empty and overflowing grids
  PositionedCase(
    "empty range", directive("dual", ":rho: range(0.5, 0.5)"),
    "e.md:9:7: error: empty grid 'range(0.5, 0.5)': range(a, b) runs from a up to but not including b, so it needs a < b"),
  PositionedCase(
    "reversed range", directive("depth", ":rho: range(1, -1, 0.5)"),
    "e.md:9:7: error: empty grid 'range(1, -1, 0.5)': range(a, b) runs from a up to but not including b, so it needs a < b"),
  PositionedCase(
    "logspace overflows", directive("phase-diagram", ":sigma_w2: logspace(1, 309, 2)"),
    "e.md:9:12: error: grid 'logspace(1, 309, 2)': values overflow (a point is inf; 10^a and 10^b must lie within 1e-307 … 1e308)"),
  PositionedCase(
    "logspace underflows", directive("phase-diagram", ":sigma_b2: logspace(-400, 0, 3)"),
    "e.md:9:12: error: grid 'logspace(-400, 0, 3)': values overflow (a point is 0; 10^a and 10^b must lie within 1e-307 … 1e308)"),
  PositionedCase(
    "linspace step overflows", directive("phase-diagram", ":sigma_w2: linspace(-1e308, 1e308, 3)"),
    "e.md:9:12: error: grid 'linspace(-1e308, 1e308, 3)': values overflow (a point is nan)"),
  // G: spectrum's fit range
  PositionedCase(
    "fit reversed", directive("spectrum", ":points: 100\n:fit: [60, 20]"),
    "e.md:10:7: error: option 'fit' must be an ordered index range [from, to] holding at least two indices (from < to), got [60, 20]"),
  PositionedCase(
    "fit without two indices", directive("spectrum", ":fit: [10.2, 10.8]"),
    "e.md:9:7: error: option 'fit' must be an ordered index range [from, to] holding at least two indices (from < to), got [10.2, 10.8]"),
  PositionedCase(
    "fit past the points", directive("spectrum", ":points: 50\n:fit: [200, 300]"),
    "e.md:10:7: error: option 'fit' starts at index 200, but there are only 50 eigenvalues (':points:'); the range needs two indices in 1…50"
  ),
  PositionedCase(
    "fit of three numbers", directive("spectrum", ":fit: [1, 2, 3]"),
    "e.md:9:7: error: option 'fit' is an index range [from, to] of two numbers, got 3"),
  // G: unclosed inline values
  PositionedCase(
    "unclosed value at the end", directive("dual", "") + "\nThe value {val}`fig-a.y[relu, rho=0]\n",
    "e.md:14:11: error: inline value is never closed: expected a '`' to end {val}`…` in its paragraph"),
  PositionedCase(
    "unclosed value before a blank line", directive("dual", "") + "\nA {val}`fig-a.max[relu]\n\nLater `code` here.\n",
    "e.md:14:3: error: inline value is never closed: expected a '`' to end {val}`…` in its paragraph"),
  // G: CommonMark fences in the prose scanner (later references are still checked)
  PositionedCase(
    "fence with an info string does not close", "```markdown\n# Example\n```python\nprint(1)\n```\n\nSee @fig-nowhere.\n",
    "e.md:7:5: error: unknown reference '@fig-nowhere'"),
  PositionedCase(
    "shorter fence does not close", "````text\n```\n@not-a-reference\n```\n````\n\nAnd @sec-gone here.\n",
    "e.md:7:5: error: unknown reference '@sec-gone'"),
  PositionedCase(
    "tilde fence with an info string", "~~~\n~~~python\n~~~\n\nThen @eq-none.\n",
    "e.md:5:6: error: unknown reference '@eq-none'"),
  // H: labels
  PositionedCase(
    "label too long", "```{kernel} dual\n:label: \(longLabel)\n```\n",
    "e.md:2:9: error: option 'label' must be at most 100 characters (it names the figure's files), got 101"),
  PositionedCase(
    "label far too long", "```{kernel} depth\n:alt: x\n:label: b\(String(repeating: "-x", count: 120))\n```\n",
    "e.md:3:9: error: option 'label' must be at most 100 characters (it names the figure's files), got 241"),
  // H: sizes
  PositionedCase(
    "size too narrow", directive("dual", ":size: 0.5in x 3in"),
    "e.md:9:8: error: option 'size' must be at least 1in x 1in (72pt a side: smaller figures have no room for the axes, ticks and labels), got '0.5in x 3in'"
  ),
  PositionedCase(
    "size too low", directive("depth", ":size: 10cm x 2cm"),
    "e.md:9:8: error: option 'size' must be at least 1in x 1in (72pt a side: smaller figures have no room for the axes, ticks and labels), got '10cm x 2cm'"
  ),
  // H: duplicate front matter keys point at the second
  PositionedCase(
    "duplicate title", "---\ntitle: A\nseed: 2\ntitle: B\n---\n\nText.\n",
    "e.md:4:1: error: front matter key 'title' is given twice (first on line 2)"),
  PositionedCase(
    "duplicate macro", "---\ntitle: T\nmacros: {\\R: a, \\S: b, \\R: c}\n---\n\nText.\n",
    "e.md:3:24: error: front matter key '\\R' is given twice (first on line 3)"),
  // H: not UTF-8; the other reports are still checked
  PositionedCase(
    "Latin-1 byte",
    files: ["e.md": Array("# Title\n\nCaf".utf8) + [0xE9] + Array(" au lait.\n".utf8), "f.md": Array("See @fig-q.\n".utf8)],
    "e.md:3:4: error: not valid UTF-8 (byte 0xE9); save the report as UTF-8", "f.md:1:5: error: unknown reference '@fig-q'"),
  PositionedCase(
    "truncated sequence after UTF-8",
    files: ["e.md": Array("---\ntitle: Ünïcode\n---\nαβγ ".utf8) + [0xF0, 0x9F, 0x98] + Array("\n".utf8)],
    "e.md:4:5: error: not valid UTF-8 (byte 0xF0); save the report as UTF-8"),
  PositionedCase(
    "stray continuation byte", files: ["e.md": [0xBF] + Array("x\n".utf8)],
    "e.md:1:1: error: not valid UTF-8 (byte 0xBF); save the report as UTF-8"),
]

/// Writes the files into `reports/`, builds, returns the errors as `file:line:col: error: msg`.
func buildErrors(_ files: [String: [UInt8]], registry: ExperimentRegistry = .standard) throws -> [String]? {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-pos-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  for (name, bytes) in files { try Data(bytes).write(to: dir.appendingPathComponent("reports/\(name)")) }
  // No change of the working folder (ErrorTableTests changes it while other suites run):
  // absolute paths, and messages keyed by the file name.
  let config = BuildConfiguration(
    reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
    templates: packageRoot.appendingPathComponent("templates"), cache: nil)
  do {
    try SiteBuilder(configuration: config, registry: registry, backend: CairoBackend()).build()
    return nil
  } catch BuildError.diagnostics(let list, _) {
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site").path), "nothing written")
    return list.filter { $0.severity == .error }.map { d in
      var at = d.location
      at.path = (at.path as NSString).lastPathComponent
      return "\(at): error: \(d.message)"
    }
  }
}

/// A kind that returns what it is given: NaN where asked, optionally excused. Declared here, in
/// the test target only: a kind is one declaration plus a registry entry.
struct NonFiniteKind: DirectiveKind {
  struct Options: KindOptions {}
  var name: String
  var reason: String?
  var y: [Double]
  var summary: String { "test" }
  var fields: [Field<Options>] { [] }
  var example: String { "" }
  func run(_ options: Options, context: RunContext) throws -> ExperimentResult {
    ExperimentResult(
      xlabel: "x", ylabel: "y", xlabelTeX: "x", ylabelTeX: "y",
      series: [SeriesData(name: "fine", x: [0, 1, 2], y: [1, 2, 3]), SeriesData(name: "holes", x: [0, 1, 2], y: y)])
  }
  func nonFiniteReason(_ name: String) -> String? { name == "holes" ? reason : nil }
  func cost(_ options: Options) -> Cost {
    var b = CostBuilder()
    b.doubles([6], "two series of 3 points", options: [])
    b.work(6, each: UnitCost.closedKernel, "six values", options: [])
    return b.cost
  }
}

@Suite(.serialized) struct WrongOutputTests {
  @Test func twoVariantsPerItem() {
    #expect(Set(positionedCases.map(\.id)).count == positionedCases.count && positionedCases.count >= 30)
  }

  @Test(arguments: positionedCases)
  func positioned(c: PositionedCase) throws {
    let errors = try buildErrors(c.files)
    guard let errors else {
      Issue.record("\(c.id): the build should have failed")
      return
    }
    for e in c.expected { #expect(errors.contains(e), "\(c.id): \(errors)") }
  }

  /// The build refuses NaN and ±inf that the kind does not explain, and names the series.
  @Test func nonFiniteResultsAreRefused() throws {
    let report = Array("```{kernel} probe\n:alt: x\n```\n".utf8)
    let nan = NonFiniteKind(name: "probe", reason: nil, y: [1, .nan, .infinity])
    #expect(
      try buildErrors(["e.md": report], registry: ExperimentRegistry([AnyKind(nan)])) == [
        "e.md:1:13: error: directive 'probe-1' computed NaN or infinite values in series 'holes' (2 of 3 points); nothing is published with them (check the activation and the ranges of the options)"
      ])
    let minusInf = NonFiniteKind(name: "probe", reason: nil, y: [-.infinity, 1, 2])
    #expect(
      try buildErrors(["e.md": Array("Text.\n\n```{kernel}  probe\n```\n".utf8)], registry: ExperimentRegistry([AnyKind(minusInf)])) == [
        "e.md:3:14: error: directive 'probe-1' computed NaN or infinite values in series 'holes' (1 of 3 points); nothing is published with them (check the activation and the ranges of the options)"
      ])
    // excused by the kind: published (gaps); all NaN is never excused
    let excused = NonFiniteKind(name: "probe", reason: "a gap at the pole", y: [1, .nan, 3])
    #expect(try buildErrors(["e.md": report], registry: ExperimentRegistry([AnyKind(excused)])) == nil)
    let allNaN = NonFiniteKind(name: "probe", reason: "a gap at the pole", y: [.nan, .nan, .nan])
    #expect(
      try buildErrors(["e.md": report], registry: ExperimentRegistry([AnyKind(allNaN)]))?.first?.contains("'holes' (3 of 3 points)") == true
    )
  }

  /// Directives run side by side: one that fails does not stop the others, and every failure of
  /// every report is reported at once (issue 20).
  @Test func everyFailingDirectiveIsReported() throws {
    let nan = NonFiniteKind(name: "probe", reason: nil, y: [1, .nan, 3])
    let registry = ExperimentRegistry([AnyKind(nan), AnyKind(DualKind())])
    let a = Array(
      "```{kernel} probe\n:alt: x\n```\n\n```{kernel} dual\n:alt: y\n:rho: [0, 1]\n```\n\n```{kernel} probe\n:alt: z\n```\n".utf8)
    let b = Array("```{kernel} probe\n:alt: x\n```\n".utf8)
    let errors = try #require(try buildErrors(["a.md": a, "b.md": b], registry: registry))
    #expect(errors.count == 3, "\(errors)")
    #expect(Set(errors.map { String($0.prefix(while: { $0 != ":" })) }) == ["a.md", "b.md"])
    #expect(errors.allSatisfy { $0.contains("computed NaN or infinite values in series 'holes' (1 of 3 points)") })
  }

  /// The standard kinds that may leave holes say why; others do not.
  @Test func kindsExplainTheirHoles() {
    #expect(DepthScalesKind().nonFiniteReason("xi_c") != nil)
    #expect(PhaseDiagramKind().nonFiniteReason("chi1") != nil)
    #expect(DualKind().nonFiniteReason("relu") == nil)
  }

  /// An explicit label equal to a generated one: both figures are written, under two names.
  @Test func generatedLabelsNeverCollide() throws {
    let report = """
      ```{kernel} dual
      :activations: [relu]
      :rho: [0, 0.5]
      :alt: first
      ```

      ```{kernel} dual
      :label: dual-1
      :activations: [step]
      :rho: [0, 0.5]
      :alt: second
      ```

      ```{kernel} depth
      :label: depth-4
      :alt: third
      :rho: [0, 0.5]
      :depths: [1, 2]
      ```

      ```{kernel} depth
      :alt: fourth
      :rho: [0, 0.5]
      :depths: [3]
      ```

      @dual-1 @depth-4
      """
    let dir = try scratch(["g.md": report])
    defer { try? FileManager.default.removeItem(at: dir) }
    try builder(dir).build()
    func series(_ label: String) throws -> [String] {
      let data = try Data(contentsOf: dir.appendingPathComponent("_site/g/\(label).json"))
      let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
      let s = try #require(json["series"] as? [[String: Any]])
      return s.compactMap { $0["name"] as? String }
    }
    #expect(try series("dual-1") == ["step"])
    #expect(try series("dual-1-2") == ["relu"])
    #expect(try series("depth-4") == ["L=1", "L=2"])
    #expect(try series("depth-4-2") == ["L=3"])
  }

  /// CRLF and CR files: front matter read, and positions are the file's lines and columns.
  @Test func crlfFilesKeepFrontMatterAndPositions() throws {
    let lf =
      "---\ntitle: Windows title\nseed: 5\n---\n\nText $x$.\n\n```{kernel} dual\n:label: fig-c\n:alt: a\n:activations: [relu]\n:rho: [0, 1]\n```\n\n@fig-c\n"
    for ending in ["\r\n", "\r"] {
      let text = lf.replacingOccurrences(of: "\n", with: ending)
      let dir = try scratch(["w.md": text])
      defer { try? FileManager.default.removeItem(at: dir) }
      try builder(dir).build()
      let html = try String(contentsOf: dir.appendingPathComponent("_site/w/index.html"), encoding: .utf8)
      #expect(html.contains("<title>Windows title"), "front matter read with \(ending.debugDescription)")
      #expect(!html.contains("seed: 5"), "front matter is not prose")
      let bad = text.replacingOccurrences(of: ":activations: [relu]", with: ":activations: [relu, tahn]")
      #expect(
        try buildErrors(["w.md": Array(bad.utf8)])?.first
          == "w.md:11:22: error: unknown activation 'tahn' for option 'activations'; did you mean 'tanh'?")
    }
    let source = SourceFile(path: "x.md", text: "a\r\nbc\rd\n\r\n")
    #expect(source.lines == ["a", "bc", "d", "", ""])
  }

  /// Placeholder spellings in the author's text stay text everywhere; the sentinel is neutralized.
  @Test func placeholderLiteralsStayText() throws {
    let spellings = ["SKMATH0Q", "SKREF0Q", "SKCITE0Q", "SKVAL0Q", "SKMATH1Q"]
    let report = """
      ---
      title: Literal SKMATH0Q
      ---

      ## Heading SKREF0Q

      Prose \(spellings.joined(separator: " ")) with $x^2$, @fig-p and {val}`fig-p.y[relu, rho=0]`.
      Sentinel \(MathProtection.sentinel)SKMATH0Q here.

      ```text
      code SKVAL0Q
      ```

      ```{kernel} dual
      :label: fig-p
      :alt: alt SKCITE0Q
      :activations: [relu]
      :rho: [0, 1]

      Caption SKMATH0Q and $y$.
      ```
      """
    let dir = try scratch(["p.md": report])
    defer { try? FileManager.default.removeItem(at: dir) }
    try builder(dir).build()
    let html = try String(contentsOf: dir.appendingPathComponent("_site/p/index.html"), encoding: .utf8)
    #expect(html.contains("Prose SKMATH0Q SKREF0Q SKCITE0Q SKVAL0Q SKMATH1Q with <span class=\"math inline"))
    #expect(html.contains("<title>Literal SKMATH0Q"))
    #expect(html.contains("Heading SKREF0Q"))
    #expect(html.contains("code SKVAL0Q"))
    #expect(html.contains("Caption SKMATH0Q and <span class=\"math inline"))
    #expect(html.contains("alt SKCITE0Q"))
    #expect(html.contains("Sentinel \u{FFFD}SKMATH0Q here"))
    #expect(!html.unicodeScalars.contains(MathProtection.sentinelScalar))
  }

  /// Foundation errors come with the path and what was being done.
  @Test func foundationErrorsSayWhatAndWhere() throws {
    let cocoa = CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "/srv/site/a.svg"])
    #expect(
      BuildError.describe(cocoa, doing: "cannot write the site into", path: "/srv/site")
        == "cannot write the site into /srv/site, at /srv/site/a.svg: the file could not be written (NSCocoaErrorDomain error 512)")
    let posix = NSError(
      domain: NSCocoaErrorDomain, code: 513, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
    #expect(
      BuildError.describe(posix, doing: "cannot read the report", path: "r/a.md") == "cannot read the report r/a.md: Permission denied")
    // an output whose parent is a file: the stage error names the folder
    let dir = try scratch(["a.md": "Text.\n"])
    defer { try? FileManager.default.removeItem(at: dir) }
    try Data("x".utf8).write(to: dir.appendingPathComponent("file"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("file/sub/_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: nil)
    do {
      try SiteBuilder(configuration: config, backend: CairoBackend()).build()
      Issue.record("the build should have failed")
    } catch let refusal as OutputSafety.Refusal {
      // The output-folder rule sees the file in the way before anything is written.
      #expect(
        refusal.message.hasPrefix("refusing to build into '\(dir.appendingPathComponent("file/sub/_site").path)': it is an existing file"),
        "\(refusal.message)")
    }
  }

  /// The minimum size is one the layout can draw: the plot area lies inside the figure.
  @Test func minimumSizeIsDrawable() {
    let side = OptionTypeChecker.minFigureSide
    let figure = Figure(
      width: side, height: side,
      panels: [
        Axes(
          x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\hat\\sigma(\\rho)$"),
          lines: [LineSeries(name: "relu", x: [-1, 0, 1], y: [0, 0.3, 1])])
      ])
    // with Pango's real text extents, in both themes: the plot area is inside the figure and
    // larger than the layout's 10 pt floor (below 1in, it is not)
    for theme in [Theme.light, Theme.dark] {
      for p in FigureLayout(theme: theme, measurer: CairoBackend()).layoutFigure(figure) {
        let a = p.plotArea
        #expect(a.x >= 0 && a.y >= 0 && a.maxX <= side && a.maxY <= side && a.width > 10 && a.height > 10, "\(a)")
      }
    }
    let tiny = Figure(width: side / 2, height: side / 2, panels: figure.panels)
    let cramped = FigureLayout(theme: .light, measurer: CairoBackend()).layoutFigure(tiny).contains {
      $0.plotArea.maxX > side / 2 || $0.plotArea.maxY > side / 2 || $0.plotArea.width <= 10
    }
    #expect(cramped, "half the minimum does not fit")
  }
}
