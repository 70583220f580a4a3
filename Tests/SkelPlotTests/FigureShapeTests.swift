import SkelPlot
import SkelTestSupport
import Testing

/// Marks built from data of inconsistent lengths (a damaged or inconsistent result) never trap:
/// they keep the common prefix, and the figure lays out.
@Suite struct FigureShapeTests {
  let layout = FigureLayout(theme: .light, measurer: FixedMeasurer())

  func scene(_ marks: [Mark]) -> Scene {
    layout.scene(for: Figure(width: 300, height: 200, panels: [Axes(marks: marks)]))
  }

  /// The stroked polylines of a scene, as their vertex counts.
  func polylines(_ s: Scene) -> [Int] {
    s.items.compactMap {
      if case .path(let p, .some, nil) = $0, p.count > 2 { return p.count } else { return nil }
    }
  }

  @Test func lineSeriesWithShorterXKeepsTheCommonPrefix() {
    let s = LineSeries(name: "a", x: [0, 1, 2], y: [5, 6, 7, 8, 9])
    #expect(s.x == [0, 1, 2] && s.y == [5, 6, 7])
    let t = LineSeries(name: "b", x: [0, 1, 2, 3], y: [1])
    #expect(t.x == [0] && t.y == [1])
    let empty = LineSeries(name: "c", x: [], y: [1, 2])
    #expect(empty.x.isEmpty && empty.y.isEmpty)
    // The figure draws the three points of `s` as one polyline of three vertices.
    let sc = scene([.line(s)])
    #expect(polylines(sc).contains(3))
  }

  @Test func figureWithMutatedSeriesLaysOut() {
    var s = LineSeries(name: "a", x: [0, 1], y: [0, 1])
    s.y = [0, 1, 2, 3]  // public fields: made inconsistent after init
    s.x = [0]
    let sc = scene([.line(s)])
    #expect(sc.width == 300)
  }

  @Test func errorBarsBandsHistogramsAndHeatmapsOfWrongShapes() {
    let e = ErrorBarSeries(name: "e", x: [0, 1, 2], y: [1, 2], error: [0.1, 0.1, 0.1, 0.1])
    #expect(e.x == [0, 1] && e.y == [1, 2] && e.error == [0.1, 0.1])
    var mutated = e
    mutated.error = []
    _ = scene([.errorBars(mutated)])  // no index past the error array
    let b = BandSeries(name: "b", x: [0, 1, 2], lower: [0], upper: [1, 2])
    #expect(b.x == [0] && b.lower == [0] && b.upper == [1])
    let h = Histogram(name: "h", edges: [0, 1], heights: [3, 4, 5])
    #expect(h.edges == [0, 1] && h.heights == [3])
    var hm = h
    hm.edges = [0]
    _ = scene([.histogram(hm)])
    let flat = Histogram(name: "f", values: [1, 1, 1], bins: 0, lower: 1, upper: 1)
    #expect(flat.heights.count == 1)
    let short = Heatmap(values: [1, 2, 3], rows: 2, columns: 2)
    #expect(short.values.count == 4 && short.values[3].isNaN && short.values[0] == 1)
    let long = Heatmap(values: [1, 2, 3, 4, 5], rows: 2, columns: 2)
    #expect(long.values == [1, 2, 3, 4])
    let negative = Heatmap(values: [1], rows: -1, columns: 3)
    #expect(negative.rows == 0 && negative.values.isEmpty)
    let huge = Heatmap(values: [1], rows: Int.max, columns: 2)
    #expect(huge.values.isEmpty)
    var bad = long
    bad.rows = 7
    let sc = scene([.heatmap(bad)])
    #expect(sc.items.contains { if case .image(let img, _) = $0 { return img.width == 0 } else { return false } })
  }
}
