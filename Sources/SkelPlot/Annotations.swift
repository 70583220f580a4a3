#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// What a legend or an annotation label of a panel covers of the data: curve vertices and
/// ¼-segment samples, points and error-bar ends (`FigureLayout.dataSamples`), and for a legend
/// also the drawn heat-map cells it overlaps.
public struct Covering: Sendable, Hashable, CustomStringConvertible {
  public var panel: Int
  /// `legend` or `label '<text>'`.
  public var what: String
  public var samples: Int
  public var cells: Int
  public var description: String { "panel \(panel + 1): the \(what) covers \(samples) data samples and \(cells) heat-map cells" }
}

extension FigureLayout {
  /// A text item's box in points, from its anchors and its measured extent (unrotated text).
  func box(of t: TextItem) -> Rect {
    let e = measurer.measure(runs: t.runs, font: t.font)
    let x: Double
    switch t.horizontal {
    case .left: x = t.position.x
    case .center: x = t.position.x - e.width / 2
    case .right: x = t.position.x - e.width
    }
    let y: Double
    switch t.vertical {
    case .top: y = t.position.y
    case .center: y = t.position.y - e.height / 2
    case .baseline: y = t.position.y - e.baseline
    case .bottom: y = t.position.y - e.height
    }
    return Rect(x: x, y: y, width: e.width, height: e.height)
  }

  /// A reference line (dashed) and its label. The label goes to the first of its candidate
  /// places (ends of the line, above and below, or points along a slope) that lies in the plot
  /// area and covers no data sample and not the legend; failing that, the one covering fewest.
  func drawReference(_ r: ReferenceLine, _ l: PanelLayout, avoiding samples: [Point]) -> [SceneItem] {
    let stroke = StrokeStyle(color: theme.foreground.withAlpha(0.55), width: 0.9, dash: [4, 3])
    let (path, candidates, label) = referenceGeometry(r, l)
    var items: [SceneItem] = [.path(path, stroke: stroke, fill: nil)]
    if let text = placedLabel(label, candidates, l, avoiding: samples) { items.append(.text(text)) }
    return items
  }

  /// A label's candidate places: anchor point and anchors, best first.
  typealias LabelPlace = (Point, HorizontalAnchor, VerticalAnchor)

  func referenceGeometry(_ r: ReferenceLine, _ l: PanelLayout) -> ([PathElement], [LabelPlace], String) {
    let a = l.plotArea
    switch r {
    case .horizontal(let y, let text):
      let py = toPoint(l.xScale.lower, y, l).y
      let places: [LabelPlace] = [
        (Point(a.maxX - 4, py - 2), .right, .bottom), (Point(a.maxX - 4, py + 2), .right, .top),
        (Point(a.minX + 4, py - 2), .left, .bottom), (Point(a.minX + 4, py + 2), .left, .top),
        (Point(a.midX, py - 2), .center, .bottom), (Point(a.midX, py + 2), .center, .top),
      ]
      return ([.move(Point(a.minX, py)), .line(Point(a.maxX, py))], places, text)
    case .vertical(let x, let text):
      let px = toPoint(x, l.yScale.lower, l).x
      let places: [LabelPlace] = [
        (Point(px + 3, a.minY + 3), .left, .top), (Point(px - 3, a.minY + 3), .right, .top),
        (Point(px + 3, a.maxY - 3), .left, .bottom), (Point(px - 3, a.maxY - 3), .right, .bottom),
        (Point(px + 3, a.midY), .left, .center), (Point(px - 3, a.midY), .right, .center),
      ]
      return ([.move(Point(px, a.minY)), .line(Point(px, a.maxY))], places, text)
    case .slope(let k, let x0, let y0, let text):
      let lo = Scale.transform(l.xScale.lower, l.xScale.kind), hi = Scale.transform(l.xScale.upper, l.xScale.kind)
      var path: [PathElement] = [], inside: [Point] = []
      for i in 0...60 {
        let x = Scale.inverse(lo + (hi - lo) * Double(i) / 60, l.xScale.kind)
        let y = y0 * pow(x / x0, k)
        guard l.xScale.accepts(x), l.yScale.accepts(y) else { continue }
        let p = toPoint(x, y, l)
        path.append(path.isEmpty ? .move(p) : .line(p))
        if a.contains(p) { inside.append(p) }
      }
      // along the line from its far end back, on either side of it
      var places: [LabelPlace] = []
      for f in [1.0, 0.8, 0.6, 0.4, 0.2, 0.05] where !inside.isEmpty {
        let p = inside[Int((Double(inside.count - 1) * f).rounded())]
        places += [(Point(p.x - 4, p.y - 3), .right, .bottom), (Point(p.x + 4, p.y + 3), .left, .top)]
      }
      return (path, places, text)
    }
  }

  func placedLabel(_ label: String, _ places: [LabelPlace], _ l: PanelLayout, avoiding samples: [Point]) -> TextItem? {
    guard !label.isEmpty, !places.isEmpty else { return nil }
    let runs = MathText.runs(fromTeX: label)
    let a = l.plotArea
    var best: (TextItem, Int)?
    for (p, h, v) in places {
      let t = TextItem(runs: runs, position: p, font: legendFont, color: theme.foreground.withAlpha(0.75), horizontal: h, vertical: v)
      let b = box(of: t)
      let outside = b.minX < a.minX || b.maxX > a.maxX || b.minY < a.minY || b.maxY > a.maxY
      let covered = samples.reduce(0) { $0 + (Self.covers(b, $1) ? 1 : 0) } + (l.legendBox.map { $0.intersects(b) ? 1000 : 0 } ?? 0)
      let score = covered + (outside ? 100 : 0)
      if score == 0 { return t }
      if best.map({ score < $0.1 }) ?? true { best = (t, score) }
    }
    return best?.0
  }

  /// A sample under a box, with 1.5 pt around the box (a marker's or a line's half width).
  static func covers(_ b: Rect, _ p: Point) -> Bool {
    p.x >= b.minX - 1.5 && p.x <= b.maxX + 1.5 && p.y >= b.minY - 1.5 && p.y <= b.maxY + 1.5
  }

  /// Every legend and annotation label of the figure that covers data (empty when none does).
  public func coverings(_ figure: Figure) -> [Covering] {
    var out: [Covering] = []
    for (k, (axes, l)) in zip(figure.panels, layoutFigure(figure)).enumerated() where axes.graph == nil && axes.table == nil {
      let samples = dataSamples(axes, l)
      if let box = l.legendBox {  // a heat map's cells (N² of them) only against a legend
        let cells = axes.heatmap.map { heatmapCells($0, l) } ?? []
        let s = samples.filter { Self.covers(box, $0) }.count, c = cells.filter { $0.intersects(box) }.count
        if s + c > 0 { out.append(Covering(panel: k, what: "legend", samples: s, cells: c)) }
      }
      for case .reference(let r) in axes.marks {
        let (_, places, label) = referenceGeometry(r, l)
        guard let t = placedLabel(label, places, l, avoiding: samples) else { continue }
        let b = box(of: t)
        let s = samples.filter { Self.covers(b, $0) }.count
        let onLegend = l.legendBox.map { $0.intersects(b) } ?? false
        if s > 0 || onLegend {
          out.append(Covering(panel: k, what: "label '\(t.runs.plainText)'", samples: s + (onLegend ? 1 : 0), cells: 0))
        }
      }
    }
    return out
  }

  /// The rectangles of a heat map's drawn (finite) cells, row 0 at the top.
  func heatmapCells(_ h: Heatmap, _ l: PanelLayout) -> [Rect] {
    guard h.rows > 0, h.columns > 0, h.values.count == h.rows * h.columns else { return [] }
    var out: [Rect] = []
    let dx = (h.x.upperBound - h.x.lowerBound) / Double(h.columns), dy = (h.y.upperBound - h.y.lowerBound) / Double(h.rows)
    for r in 0..<h.rows {
      for c in 0..<h.columns where h.values[r * h.columns + c].isFinite {
        let top = h.y.upperBound - Double(r) * dy, left = h.x.lowerBound + Double(c) * dx
        let p = toPoint(left, top, l), q = toPoint(left + dx, top - dy, l)
        out.append(Rect(x: min(p.x, q.x), y: min(p.y, q.y), width: abs(q.x - p.x), height: abs(q.y - p.y)))
      }
    }
    return out
  }
}

extension Rect {
  var midX: Double { x + width / 2 }
  var midY: Double { y + height / 2 }
}
