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
  /// across it. With `.best` the legend goes outside, between the axes and the colorbar: it
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
    #expect(box.minX >= l.plotArea.maxX && box.maxX <= bar.minX, "legend \(box) between axes \(l.plotArea) and bar \(bar)")
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
}
