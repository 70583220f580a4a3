import SkelPlot
import SkelTestSupport
import Testing

@Suite struct TickLocatorTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var lower: Double, upper: Double, ticks: [Double], labels: [String]
    var testDescription: String { "[\(lower), \(upper)]" }
  }

  static let cases: [Case] = [
    Case(lower: -1, upper: 1, ticks: [-1, -0.5, 0, 0.5, 1], labels: ["\u{2212}1.0", "\u{2212}0.5", "0", "0.5", "1.0"]),
    Case(lower: -0.05, upper: 1.05, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1], labels: ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]),
    Case(lower: 0, upper: 10, ticks: [0, 2, 4, 6, 8, 10], labels: ["0", "2", "4", "6", "8", "10"]),
    Case(lower: 0.13, upper: 1.02, ticks: [0.2, 0.4, 0.6, 0.8, 1], labels: ["0.2", "0.4", "0.6", "0.8", "1.0"]),
    Case(lower: 0, upper: 1.2, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1, 1.2], labels: ["0", "0.2", "0.4", "0.6", "0.8", "1.0", "1.2"]),
    Case(lower: 0, upper: 1.44, ticks: [0, 0.25, 0.5, 0.75, 1, 1.25], labels: ["0", "0.25", "0.50", "0.75", "1.00", "1.25"]),
    Case(lower: 3, upper: 4096, ticks: [1000, 2000, 3000, 4000], labels: ["1000", "2000", "3000", "4000"]),
    Case(
      lower: -0.07, upper: -0.01, ticks: [-0.07, -0.06, -0.05, -0.04, -0.03, -0.02, -0.01],
      labels: ["−0.07", "−0.06", "−0.05", "−0.04", "−0.03", "−0.02", "−0.01"]),
    Case(lower: 0, upper: 4e5, ticks: [0, 1e5, 2e5, 3e5, 4e5], labels: ["0", "100000", "200000", "300000", "400000"]),
  ]

  @Test(arguments: cases)
  func niceTicks(c: Case) {
    let t = TickLocator.linearTicks(lower: c.lower, upper: c.upper)
    expectClose(t, c.ticks, absolute: 1e-12, "ticks")
    #expect(TickFormatter.linearLabels(t) == c.labels.map { .plain($0) })
  }

  @Test func logTicksAreDecades() {
    let t = TickLocator.logTicks(lower: 16, upper: 4096)
    expectClose(t, [100, 1000], relative: 1e-15)
    let up = [TextRun.Script.superscript]
    #expect(
      TickFormatter.logLabels([0.01, 1, 10, 1000])
        == [
          [TextRun("10"), TextRun("\u{2212}2", scripts: up)], [TextRun("1")], [TextRun("10")], [TextRun("10"), TextRun("3", scripts: up)],
        ])
    #expect(TickFormatter.logLabels([-100]) == [[TextRun("\u{2212}10"), TextRun("2", scripts: up)]])
  }

  /// Scientific ticks are math as NumberText writes it: one power of ten for the axis (the
  /// largest tick's), the step's digits, a true minus in mantissa and exponent, exact zero `0`.
  @Test func scientificTicks() {
    let up = [TextRun.Script.superscript]
    let small = TickLocator.linearTicks(lower: -1.2e-4, upper: 1.2e-4)
    expectClose(small, [-1e-4, -0.5e-4, 0, 0.5e-4, 1e-4], absolute: 1e-18)
    #expect(
      TickFormatter.linearLabels(small)
        == ["\u{2212}1.0", "\u{2212}0.5", nil, "0.5", "1.0"].map { m in
          m.map { [TextRun($0 + " × 10"), TextRun("\u{2212}4", scripts: up)] } ?? [TextRun("0")]
        })
    #expect(
      TickFormatter.linearLabels([0, 2.5e6, 5e6, 7.5e6])
        == [[TextRun("0")]] + ["2.5", "5.0", "7.5"].map { [TextRun($0 + " × 10"), TextRun("6", scripts: up)] })
    #expect(TickFormatter.linearLabels([0.002, 0.004]) == [.plain("0.002"), .plain("0.004")], "10⁻³ and above stay fixed")
    // (plainText joins the runs: the superscript exponent follows "10")
    #expect(TickFormatter.plainLabels([0.0002, 0.5, 20, 2e6]).map(\.plainText) == ["2 × 10\u{2212}4", "0.5", "20", "2 × 10" + "6"])
  }

  @Test func degenerateRangesWiden() {
    let (a, b) = TickLocator.nonsingular(2, 2)
    #expect(a < 2 && b > 2)
  }
}

/// TeX → runs: styles, nested scripts, accents inside a run, characters never escaped.
@Suite struct MathTextTests {
  static let up = TextRun.Script.superscript, down = TextRun.Script.subscript
  static func i(_ s: String, _ scripts: [TextRun.Script] = []) -> TextRun { TextRun(s, style: .italic, scripts: scripts) }
  static func r(_ s: String, _ scripts: [TextRun.Script] = []) -> TextRun { TextRun(s, scripts: scripts) }

  static let cases: [(String, [TextRun])] = [
    ("relu", [r("relu")]),
    ("", []),
    ("$\\hat\\sigma(\\rho)$", [i("σ\u{0302}"), r("("), i("ρ"), r(")")]),
    ("$x_1^2$", [i("x"), r("1", [down]), r("2", [up])]),
    ("$\\mathbb{R}$ and <b>", [r("ℝ and <b>")]),
    ("depth $L=16$", [r("depth "), i("L"), r("=16")]),
    ("$xy$", [i("x"), i("y")]),  // one run per math letter, as TeX sets them
    ("$e^{-x^2}$", [i("e"), r("\u{2212}", [up]), i("x", [up]), r("2", [up, up])]),
    ("$x^{a_b c}$", [i("x"), i("a", [up]), i("b", [up, down]), i("c", [up])]),
    ("$\\hat{x}_1$", [i("x\u{0302}"), r("1", [down])]),
    ("$\\mathbf{v}\\cdot w$", [TextRun("v", style: .bold), r("·"), i("w")]),
    ("$\\mathrm{sign}(x)$", [r("sign("), i("x"), r(")")]),
    ("$\\sqrt{2}\\,\\sqrt{1-\\rho^2}$", [r("√2\u{2009}√(1\u{2212}"), i("ρ"), r("2", [up]), r(")")]),
    // A radicand of more than one character is parenthesized unless it is a number (the old
    // markup converter decided by the length of its markup and wrote √2π).
    ("$\\sqrt{2\\pi}\\sqrt{12}$", [r("√(2"), i("π"), r(")√12")]),
    ("$a < b$ & c", [i("a"), r("<"), i("b"), r(" & c")]),
    ("unclosed $x^2", [r("unclosed $"), i("x"), r("2", [up])]),
    ("$x^$", [i("x")]),
  ]

  @Test(arguments: cases)
  func texToRuns(tex: String, runs: [TextRun]) {
    #expect(MathText.runs(fromTeX: tex) == runs)
  }

  @Test func plainTextDropsStyles() {
    #expect(MathText.plain(fromTeX: "$\\sigma_w^2 < 1$ & more") == "σw2<1 & more")
  }
}

@Suite struct LayoutTests {
  let layout = FigureLayout(theme: .light, measurer: FixedMeasurer())

  /// A falling diagonal crosses the upper-left and lower-right corners and a flat line runs
  /// along the top, so the only free corner is the lower left.
  @Test func legendAvoidsTheData() {
    let xs = (0...50).map { Double($0) / 50 }
    let falling = LineSeries(name: "a", x: xs, y: xs.map { 1 - $0 })  // passes through upper left
    let flatTop = LineSeries(name: "b", x: xs, y: xs.map { _ in 0.9 })  // along the top
    let axes = Axes(lines: [falling, flatTop])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 360, height: 240))
    let box = try! #require(l.legendBox)
    let lowerLeft = box.maxX < l.plotArea.x + l.plotArea.width / 2 && box.minY > l.plotArea.y + l.plotArea.height / 2
    #expect(lowerLeft, "legend at \(box) should be lower left")
  }

  /// Rising data (the duals) leaves the upper left free.
  @Test func legendGoesUpperLeftForRisingData() {
    let xs = (0...50).map { Double($0) / 25 - 1 }
    let axes = Axes(lines: [LineSeries(name: "relu", x: xs, y: xs.map { $0 * $0 * ($0 > 0 ? 1 : 0) })])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 360, height: 240))
    let box = try! #require(l.legendBox)
    #expect(box.minX < l.plotArea.x + 20 && box.minY < l.plotArea.y + 20)
  }

  /// Limits: x tight, y padded by 5 %; ticks inside the limits; margins hold the tick labels.
  @Test func limitsTicksAndMargins() {
    let xs = (0...400).map { Double($0) / 200 - 1 }
    let axes = Axes(x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\kappa$"), lines: [LineSeries(name: "", x: xs, y: xs)])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 360, height: 240))
    #expect(l.xScale.lower == -1 && l.xScale.upper == 1)
    expectClose(l.yScale.lower, -1.1, absolute: 1e-12)
    expectClose(l.yScale.upper, 1.1, absolute: 1e-12)
    expectClose(l.yTicks, [-1, -0.5, 0, 0.5, 1], absolute: 1e-12)
    // widest y label "−1.0": 4 chars · 0.6 · 8.5 pt = 20.4 pt, plus the rotated axis label (12 pt high)
    #expect(l.plotArea.x > 20.4 + 12)
    #expect(l.legendBox == nil, "a single unnamed series needs no legend")
  }

  /// The scene clips data to the plot area and draws one path per series.
  @Test func sceneStructure() {
    let xs = [0.0, 0.5, 1]
    let fig = Figure(
      width: 300, height: 200,
      panels: [Axes(lines: [LineSeries(name: "a", x: xs, y: xs), LineSeries(name: "b", x: xs, y: xs.map { 1 - $0 })])])
    let scene = layout.scene(for: fig)
    let clips = scene.items.filter { if case .pushClip = $0 { return true } else { return false } }
    #expect(clips.count == 1)
    let texts = scene.items.compactMap { if case .text(let t) = $0 { return t.runs.plainText } else { return nil } }
    #expect(texts.contains("a") && texts.contains("b"), "legend entries")
    #expect(texts.contains("0") && texts.contains("1.0"), "tick labels (exact zero as 0)")
  }
}

@Suite struct MoreLayoutTests {
  let layout = FigureLayout(theme: .light, measurer: FixedMeasurer())

  /// A heat map fills its extent exactly and gets a colorbar with nice ticks over its value range.
  @Test func heatmapAndColorbar() {
    let values = (0..<100).map { Double($0) / 99 * 3 - 1 }  // −1 … 2
    let axes = Axes(marks: [.heatmap(Heatmap(values: values, rows: 10, columns: 10, x: 0...4, y: 0...0.5))])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 400, height: 300))
    #expect(l.xScale.lower == 0 && l.xScale.upper == 4 && l.yScale.lower == 0 && l.yScale.upper == 0.5)
    let cb = try! #require(l.colorbar)
    #expect(cb.range == -1...2)
    expectClose(cb.ticks, [-1, 0, 1, 2], absolute: 1e-12, "at most 5 intervals: step 1")
    #expect(cb.bar.minX > l.plotArea.maxX && cb.bar.maxX < 400)
    expectClose(cb.bar.height, l.plotArea.height, absolute: 1e-9, "bar as tall as the axes")
  }

  /// Log axes: decades when they span two or more, 1-2-5 ticks written out below that.
  @Test func logAxisTicks() {
    let wide = Axes(x: AxisSpec(scale: .log), lines: [LineSeries(name: "", x: [1e-3, 1e3], y: [1, 2])])
    let l = layout.layoutPanel(wide, in: Rect(x: 0, y: 0, width: 400, height: 300))
    expectClose(l.xTicks, [1e-3, 1e-2, 1e-1, 1, 10, 100, 1000], relative: 1e-12)
    let narrow = Axes(y: AxisSpec(scale: .log), lines: [LineSeries(name: "", x: [0, 1], y: [0.015, 0.45])])
    let n = layout.layoutPanel(narrow, in: Rect(x: 0, y: 0, width: 400, height: 300))
    #expect(n.yTickLabels == ["0.02", "0.05", "0.1", "0.2", "0.5"].map { .plain($0) }, "5 % margin in log space takes the top to 0.53")
  }

  /// Symlog: 0 and ±10^k, linear near zero.
  @Test func symlogTicks() {
    expectClose(TickLocator.symlogTicks(lower: -1000, upper: 1000), [-1000, -100, -10, -1, 0, 1, 10, 100, 1000], absolute: 0)
    let s = Scale(kind: .symlog, lower: -1000, upper: 1000)
    expectClose(s.fraction(0), 0.5, absolute: 1e-15)
    expectClose(s.fraction(1000) - s.fraction(100), s.fraction(100) - s.fraction(10), absolute: 0.02, "nearly log beyond 10")
  }

  /// Shared axes: one set of limits per column, inner labels hidden, letters on every panel.
  @Test func sharedGrid() {
    let a = Axes(lines: [LineSeries(name: "", x: [0, 1], y: [0, 1])]), b = Axes(lines: [LineSeries(name: "", x: [0, 3], y: [0, 5])])
    let ls = layout.layoutFigure(Figure(width: 400, height: 300, panels: [a, b, b, a], columns: 2, sharedX: true, sharedY: true))
    #expect(ls[0].xScale == ls[2].xScale && ls[1].xScale == ls[3].xScale)
    #expect(ls[0].xScale.upper == 3, "column 0 holds panels 0 and 2: x up to 3")
    #expect(!ls[0].showXLabels && ls[2].showXLabels && ls[0].showYLabels && !ls[1].showYLabels)
  }

  /// Error bars and markers keep the legend off the points they cover.
  @Test func legendAvoidsErrorBars() {
    let x = (0..<10).map(Double.init)
    let axes = Axes(marks: [.errorBars(ErrorBarSeries(name: "mc", x: x, y: x.map { 10 - $0 }, error: x.map { _ in 0.3 }))])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 360, height: 240))
    let box = try! #require(l.legendBox)
    #expect(box.minY > l.plotArea.midY || box.minX > l.plotArea.midX, "the falling points fill the upper left")
  }
}

extension Rect {
  var midX: Double { x + width / 2 }
  var midY: Double { y + height / 2 }
}

/// X tick labels of a narrow panel over a wide range are thinned until they fit side by side:
/// two 0 … 6000 heat maps in a 480 pt figure (a tiled Gram matrix's NNGP and NTK) drew six
/// labels into one another ("0100020003000…"); each label's extent around its tick now keeps
/// 4 pt clear of the next one's, and a wide panel keeps its ticks.
@Suite struct TickThinningTests {
  static func extents(_ l: PanelLayout, _ m: FixedMeasurer, _ font: FontSpec) -> [(Double, Double)] {
    zip(l.xTicks, l.xTickLabels).map { t, runs in
      let x = l.plotArea.x + l.xScale.fraction(t) * l.plotArea.width, w = m.measure(runs: runs, font: font).width
      return (x - w / 2, x + w / 2)
    }
  }

  @Test func narrowPanelsOfAWideRangeKeepTheirLabelsApart() throws {
    let heat = Heatmap(values: (0..<100).map { Double($0) }, rows: 10, columns: 10, x: 0...6000, y: 0...6000, colorbarLabel: "K")
    let m = FixedMeasurer()
    let layout = FigureLayout(theme: .light, measurer: m)
    // as the gram kind draws them: titles, axis labels, colorbars, two panels in a row
    let axes = Axes(
      title: "NNGP", x: AxisSpec(label: "input $j$", limits: 0...6000), y: AxisSpec(label: "input $i$", limits: 0...6000),
      marks: [.heatmap(heat)], legend: .none, grid: false)
    let narrow = Figure(width: 480, height: 330, panels: [axes, axes])
    for l in layout.layoutFigure(narrow) {
      let e = Self.extents(l, m, FontSpec(family: Theme.light.textFamily, size: Theme.light.tickFontSize))
      #expect(e.count >= 2, "\(l.xTicks)")
      // at least 4 pt between neighbouring labels (six labels here left 2 pt: Cairo's wider
      // digits then ran them together)
      for (a, b) in zip(e, e.dropFirst()) { #expect(b.0 - a.1 >= 4, "labels \(l.xTicks) crowd in \(l.plotArea.width) pt") }
    }
    let wide = try #require(layout.layoutFigure(Figure(width: 900, height: 330, panels: [axes])).first)
    #expect(wide.xTicks == [0, 1000, 2000, 3000, 4000, 5000, 6000])
  }
}
