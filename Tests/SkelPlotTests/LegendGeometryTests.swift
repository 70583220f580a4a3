import SkelPlot
import SkelTestSupport
import Testing

/// The legend box against the data it labels, in device coordinates from the layout: every
/// heat-map cell (finite value) and every curve vertex and ¼-segment sample.
@Suite struct LegendGeometryTests {
  let layout = FigureLayout(theme: .light, measurer: FixedMeasurer())

  static func device(_ x: Double, _ y: Double, _ l: PanelLayout) -> Point {
    Point(l.plotArea.x + l.xScale.fraction(x) * l.plotArea.width, l.plotArea.maxY - l.yScale.fraction(y) * l.plotArea.height)
  }

  /// The rectangles of a heat map's drawn cells (row 0 at the top).
  static func cells(_ h: Heatmap, _ l: PanelLayout) -> [Rect] {
    var out: [Rect] = []
    let dx = (h.x.upperBound - h.x.lowerBound) / Double(h.columns), dy = (h.y.upperBound - h.y.lowerBound) / Double(h.rows)
    for r in 0..<h.rows {
      for c in 0..<h.columns where h.values[r * h.columns + c].isFinite {
        let top = h.y.upperBound - Double(r) * dy, left = h.x.lowerBound + Double(c) * dx
        let a = device(left, top, l), b = device(left + dx, top - dy, l)
        out.append(Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y))
      }
    }
    return out
  }

  /// Strict overlap (touching edges is not covering).
  static func overlaps(_ a: Rect, _ b: Rect) -> Bool { a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY }

  /// A phase-diagram-like panel: a 6 × 4 heat map filling the axes and a named dashed curve
  /// across it. With `.best` the legend goes above the axes, right-aligned: it
  /// covers no cell, no curve sample and not the colorbar, and stays in the figure.
  @Test func aHeatMapsLegendCoversNoCell() throws {
    let values = (0..<24).map { Double($0) / 23 }
    let heat = Heatmap(values: values, rows: 4, columns: 6, x: 0.5...4, y: 0...1, colormap: .diverging, colorbarLabel: "$\\chi_1$")
    let xs = (0...20).map { 1 + 1.5 * Double($0) / 20 }
    let curve = LineSeries(name: "edge of chaos", x: xs, y: xs.map { ($0 - 1) / 1.5 }, color: .black, dash: [5, 3])
    let axes = Axes(marks: [.heatmap(heat), .line(curve)], legend: .best, grid: false)
    let frame = Rect(x: 0, y: 0, width: 360, height: 245)
    let l = layout.layoutPanel(axes, in: frame)
    let box = try #require(l.legendBox)
    let cells = Self.cells(heat, l)
    #expect(cells.count == 24)
    #expect(cells.filter { Self.overlaps($0, box) }.isEmpty, "legend \(box) covers heat-map cells")
    #expect(xs.map { Self.device($0, ($0 - 1) / 1.5, l) }.filter { box.contains($0) }.isEmpty)
    let bar = try #require(l.colorbar?.bar)
    #expect(!Self.overlaps(box, bar), "legend \(box) covers the colorbar \(bar)")
    #expect(box.maxY <= l.plotArea.minY && box.maxX == l.plotArea.maxX, "legend \(box) above the axes \(l.plotArea), right-aligned")
    #expect(box.minX >= frame.minX && box.maxX <= frame.maxX && box.minY >= frame.minY && box.maxY <= frame.maxY)
    // the old placement (upper left, asked for explicitly) does cover cells: the check can fail
    let asked = layout.layoutPanel(Axes(marks: [.heatmap(heat), .line(curve)], legend: .upperLeft, grid: false), in: frame)
    let askedBox = try #require(asked.legendBox)
    #expect(Self.cells(heat, asked).contains { Self.overlaps($0, askedBox) })
  }

  /// Curves only: `.best` picks a corner with no curve sample under the legend.
  @Test func aCurvesLegendCoversNoSample() throws {
    let xs = (0...50).map { Double($0) / 50 }
    let axes = Axes(lines: [LineSeries(name: "a", x: xs, y: xs.map { 1 - $0 }), LineSeries(name: "b", x: xs, y: xs.map { _ in 0.9 })])
    let l = layout.layoutPanel(axes, in: Rect(x: 0, y: 0, width: 360, height: 240))
    let box = try #require(l.legendBox)
    var samples: [Point] = []
    for ys in [xs.map { 1 - $0 }, xs.map { _ in 0.9 }] {
      let points = zip(xs, ys).map { Self.device($0, $1, l) }
      samples += points
      for (p, q) in zip(points, points.dropFirst()) {
        samples += [0.25, 0.5, 0.75].map { t in Point(p.x + t * (q.x - p.x), p.y + t * (q.y - p.y)) }
      }
    }
    #expect(samples.count == 2 * (51 + 150))
    #expect(samples.filter { box.contains($0) }.isEmpty, "legend \(box) covers curve samples")
  }

  /// The points of a path.
  static func points(_ path: [PathElement]) -> [Point] {
    path.compactMap {
      switch $0 {
      case .move(let p), .line(let p): return p
      default: return nil
      }
    }
  }

  /// Every legend sample (a stroked path inside the legend box) against the topmost fill
  /// painted under it, in both site themes: WCAG contrast ≥ 3. The phase diagram's black dashed
  /// curve on the dark theme's box (1.24:1) gets a white patch (21:1).
  @Test func legendSamplesStandOutInBothThemes() throws {
    let heat = Heatmap(values: (0..<24).map { Double($0) }, rows: 4, columns: 6, colorbarLabel: "v")
    let curve = LineSeries(name: "edge of chaos", x: [0, 6], y: [0, 4], color: .black, dash: [5, 3])
    let blue = LineSeries(name: "b", x: [0, 6], y: [4, 0])
    let figure = Figure(width: 360, height: 245, panels: [Axes(marks: [.heatmap(heat), .line(curve), .line(blue)], legend: .best)])
    var ratios: [String: [Double]] = [:]
    for (name, theme) in [("light", Theme.light), ("dark", Theme.dark)] {
      let layout = FigureLayout(theme: theme, measurer: FixedMeasurer())
      let box = try #require(layout.layoutFigure(figure).first?.legendBox)
      var fills: [(Rect, Color)] = []
      for item in layout.scene(for: figure).items {
        guard case .path(let path, let stroke, let fill) = item else { continue }
        let ps = Self.points(path)
        guard !ps.isEmpty, ps.allSatisfy({ box.contains($0) }) else { continue }
        if let fill, stroke == nil || fill.alpha > 0.5 {
          let xs = ps.map(\.x), ys = ps.map(\.y)
          fills.append((Rect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!), fill))
        } else if let stroke, fill == nil {
          let mid = Point((ps[0].x + ps[ps.count - 1].x) / 2, (ps[0].y + ps[ps.count - 1].y) / 2)
          let under = try #require(fills.last { $0.0.contains(mid) }?.1, "\(name): nothing painted under the sample at \(mid)")
          ratios[name, default: []].append(stroke.color.contrastRatio(under))
        }
      }
    }
    #expect(ratios["light"]?.count == 2 && ratios["dark"]?.count == 2, "\(ratios)")
    #expect((ratios.values.flatMap { $0 }.min() ?? 0) >= 3, "\(ratios)")
    #expect(Color.black.contrastRatio(Theme.dark.background!) < 1.25, "without the patch the dark sample would vanish")
    expectClose(Color.black.contrastRatio(.white), 21, absolute: 1e-12)
  }

  /// The label's text item of a reference line in the drawn scene.
  func label(_ text: String, in figure: Figure) throws -> TextItem {
    try #require(
      layout.scene(for: figure).items.lazy.compactMap { item -> TextItem? in
        if case .text(let t) = item, t.runs.plainText == text { return t } else { return nil }
      }.first)
  }

  /// An annotation label moves off the data: a horizontal "2 s.e." line at y = 0.9 keeps its
  /// usual place (the right end, above the line) beside a falling curve, and leaves it when a
  /// rising curve runs through that place (same axes). `coverings` then finds nothing, and
  /// finds the legend an explicit upper-right corner puts over the curve (the check can fail).
  @Test func annotationLabelsKeepOffTheData() throws {
    let xs = (0...100).map { Double($0) / 100 }
    let line = Mark.reference(.horizontal(y: 0.9, label: "2 s.e."))
    func figure(_ ys: [Double]) -> Figure {
      Figure(
        width: 360, height: 240,
        panels: [
          Axes(
            x: AxisSpec(limits: 0...1), y: AxisSpec(limits: -0.05...1.05), marks: [.line(LineSeries(name: "", x: xs, y: ys)), line],
            legend: .none)
        ])
    }
    let rising = figure(xs), falling = figure(xs.map { 1 - $0 })
    let kept = try label("2 s.e.", in: falling), moved = try label("2 s.e.", in: rising)
    #expect(kept.horizontal == .right && kept.vertical == .bottom && kept.position.x > 300, "\(kept.position)")
    #expect(moved.position != kept.position)
    // where it was kept, the rising curve would be under it
    let l = try #require(layout.layoutFigure(rising).first)
    let e = FixedMeasurer().measure(runs: kept.runs, font: kept.font)
    let keptBox = Rect(x: kept.position.x - e.width, y: kept.position.y - e.height, width: e.width, height: e.height)
    #expect(xs.contains { keptBox.contains(Self.device($0, $0, l)) }, "the rising curve crosses \(keptBox)")
    #expect(layout.coverings(rising).isEmpty, "\(layout.coverings(rising))")
    #expect(layout.coverings(falling).isEmpty, "\(layout.coverings(falling))")
    // the same curve named, its legend asked for at the upper left, where the curve is not:
    // fine; at the upper right, where it runs: reported
    let named = LineSeries(name: "rising", x: xs, y: xs)
    let upperLeft = Figure(width: 360, height: 240, panels: [Axes(marks: [.line(named)], legend: .upperLeft)])
    let upperRight = Figure(width: 360, height: 240, panels: [Axes(marks: [.line(named)], legend: .upperRight)])
    #expect(layout.coverings(upperLeft).isEmpty)
    let c = layout.coverings(upperRight)
    #expect(c.count == 1 && c.first?.what == "legend" && (c.first?.samples ?? 0) > 0, "\(c)")
  }

  /// A `.best` legend with no free corner (data along the top and the bottom) goes to a strip
  /// above the axes and covers nothing.
  @Test func aLegendWithNoFreeCornerGoesAbove() throws {
    let xs = (0...50).map { Double($0) / 50 }
    let figure = Figure(
      width: 360, height: 240,
      panels: [
        Axes(
          marks: [
            .line(LineSeries(name: "top", x: xs, y: xs.map { _ in 1 })), .line(LineSeries(name: "bottom", x: xs, y: xs.map { _ in 0 })),
          ],
          legend: .best)
      ])
    let l = try #require(layout.layoutFigure(figure).first)
    let box = try #require(l.legendBox)
    #expect(box.maxY <= l.plotArea.minY, "legend \(box) above the axes \(l.plotArea)")
    #expect(layout.coverings(figure).isEmpty, "\(layout.coverings(figure))")
  }

  /// Error bars' whiskers are data: a legend is not put over them.
  @Test func whiskersAreData() throws {
    let x = (0..<12).map(Double.init)
    let bars = ErrorBarSeries(name: "mc", x: x, y: x.map { _ in 0.5 }, error: x.map { _ in 0.45 })
    let figure = Figure(width: 360, height: 240, panels: [Axes(marks: [.errorBars(bars)], legend: .best)])
    let l = try #require(layout.layoutFigure(figure).first)
    #expect(try #require(l.legendBox).maxY <= l.plotArea.minY, "the whiskers reach every corner: strip above")
    #expect(layout.coverings(figure).isEmpty)
  }

  /// Monte-Carlo points take their exact curve's colour with `colorSlot` (rainbow's kernel
  /// figure): every marker fill is the line's stroke colour, and without the slot it is not.
  @Test func pointsInTheColourOfTheirCurve() throws {
    func colours(_ slot: Int?) -> (line: Set<Color>, fills: Set<Color>) {
      let figure = Figure(
        width: 360, height: 240,
        panels: [
          Axes(
            marks: [
              .line(LineSeries(name: "closed form", x: [0, 1, 2], y: [0, 1, 2])),
              .errorBars(ErrorBarSeries(name: "Monte Carlo", x: [0.5, 1.5], y: [0.5, 1.5], error: [0.1, 0.1], colorSlot: slot)),
            ], legend: .none)
        ])
      var line = Set<Color>(), fills = Set<Color>()
      for item in layout.scene(for: figure).items {
        guard case .path(let path, let stroke, let fill) = item else { continue }
        if let fill, path.contains(where: { if case .circle = $0 { return true } else { return false } }) { fills.insert(fill) }
        if let stroke, fill == nil, path.count == 3 { line.insert(stroke.color) }
      }
      return (line, fills)
    }
    let slotted = colours(0), plain = colours(nil)
    #expect(slotted.fills.count == 1 && slotted.line.isSuperset(of: slotted.fills), "\(slotted)")
    #expect(plain.fills.count == 1 && plain.line.isDisjoint(with: plain.fills), "\(plain)")
  }
}
