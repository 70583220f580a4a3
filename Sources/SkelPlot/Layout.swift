#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// What layout decided for one panel; exposed so tests can assert numbers, not pixels.
public struct PanelLayout: Sendable, Hashable {
  public var plotArea: Rect
  public var xScale: Scale
  public var yScale: Scale
  public var xTicks: [Double]
  public var yTicks: [Double]
  public var xTickLabels: [String]
  public var yTickLabels: [String]
  public var legendBox: Rect?
}

/// Resolves a figure into a scene: limits, ticks, margins from measured text, legend placement.
/// Pure: the theme and the text measurer are passed in.
public struct FigureLayout {
  public let theme: Theme
  public let measurer: TextMeasurer

  public init(theme: Theme, measurer: TextMeasurer) {
    self.theme = theme
    self.measurer = measurer
  }

  var tickFont: FontSpec { FontSpec(family: theme.textFamily, size: theme.tickFontSize) }
  var labelFont: FontSpec { FontSpec(family: theme.mathFamily, size: theme.labelFontSize) }
  var legendFont: FontSpec { FontSpec(family: theme.mathFamily, size: theme.legendFontSize) }
  var titleFont: FontSpec { FontSpec(family: theme.mathFamily, size: theme.titleFontSize) }

  /// Data limits of an axis, widened by `margin` and made non-singular.
  public static func limits(
    of values: [Double], spec: AxisSpec, margin: Double
  ) -> (Double, Double) {
    if let l = spec.limits { return (l.lowerBound, l.upperBound) }
    let finite = values.filter { $0.isFinite && (spec.scale == .linear || $0 > 0) }
    guard var lo = finite.min(), var hi = finite.max() else { return (0, 1) }
    switch spec.scale {
    case .linear:
      (lo, hi) = TickLocator.nonsingular(lo, hi)
      let pad = (hi - lo) * margin
      return (lo - pad, hi + pad)
    case .log:
      if hi <= lo { (lo, hi) = (lo / 10, hi * 10) }
      let a = log10(lo), b = log10(hi), pad = (b - a) * margin
      return (pow(10, a - pad), pow(10, b + pad))
    }
  }

  static func ticks(for scale: Scale) -> ([Double], [String]) {
    switch scale.kind {
    case .linear:
      let t = TickLocator.linearTicks(lower: scale.lower, upper: scale.upper)
      return (t, TickFormatter.linearLabels(t))
    case .log:
      let t = TickLocator.logTicks(lower: scale.lower, upper: scale.upper)
      return (t, TickFormatter.logLabels(t))
    }
  }

  /// Lays out a panel in `frame` and returns its layout (no drawing).
  public func layoutPanel(_ axes: Axes, in frame: Rect) -> PanelLayout {
    let xs = axes.lines.flatMap(\.x), ys = axes.lines.flatMap(\.y)
    let (x0, x1) = Self.limits(of: xs, spec: axes.x, margin: theme.xMargin)
    let (y0, y1) = Self.limits(of: ys, spec: axes.y, margin: theme.yMargin)
    let xScale = Scale(kind: axes.x.scale, lower: x0, upper: x1)
    let yScale = Scale(kind: axes.y.scale, lower: y0, upper: y1)
    let (xt, xl) = Self.ticks(for: xScale)
    let (yt, yl) = Self.ticks(for: yScale)

    // Margins from measured text.
    let yLabelWidth = yl.map { measurer.measure(markup: $0, font: tickFont).width }.max() ?? 0
    let xLabelHeight = xl.map { measurer.measure(markup: $0, font: tickFont).height }.max() ?? 0
    let xAxisLabel = axes.x.label.isEmpty ? nil : measurer.measure(markup: MathMarkup.pango(fromTeX: axes.x.label), font: labelFont)
    let yAxisLabel = axes.y.label.isEmpty ? nil : measurer.measure(markup: MathMarkup.pango(fromTeX: axes.y.label), font: labelFont)
    let title = axes.title.isEmpty ? nil : measurer.measure(markup: MathMarkup.pango(fromTeX: axes.title), font: titleFont)
    let pad = 4.0
    let left = frame.x + pad + (yAxisLabel.map { $0.height + pad } ?? 0) + yLabelWidth + theme.tickLength + 3
    let bottom = frame.maxY - pad - (xAxisLabel.map { $0.height + pad } ?? 0) - xLabelHeight - theme.tickLength - 3
    let lastXLabelHalf = (xl.last.map { measurer.measure(markup: $0, font: tickFont).width / 2 } ?? 0)
    let right = frame.maxX - max(pad, lastXLabelHalf + 2)
    let top = frame.y + pad + (title.map { $0.height + pad } ?? measurer.measure(markup: "0", font: tickFont).height / 2)
    let area = Rect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))

    var layout = PanelLayout(
      plotArea: area, xScale: xScale, yScale: yScale, xTicks: xt, yTicks: yt, xTickLabels: xl,
      yTickLabels: yl, legendBox: nil)
    layout.legendBox = legendBox(for: axes, layout: layout)
    return layout
  }

  func toPoint(_ x: Double, _ y: Double, _ l: PanelLayout) -> Point {
    Point(
      l.plotArea.x + l.xScale.fraction(x) * l.plotArea.width,
      l.plotArea.maxY - l.yScale.fraction(y) * l.plotArea.height)
  }

  // MARK: - Legend

  struct LegendMetrics {
    var size: (Double, Double)
    var rowHeight: Double
    var swatch: Double
  }

  func legendMetrics(_ axes: Axes) -> LegendMetrics? {
    guard axes.legend != .none, axes.lines.count > 1 || !(axes.lines.first?.name.isEmpty ?? true) else { return nil }
    let ext = axes.lines.map { measurer.measure(markup: MathMarkup.pango(fromTeX: $0.name), font: legendFont) }
    let rowHeight = (ext.map(\.height).max() ?? 10) + 1
    let swatch = 16.0
    let w = (ext.map(\.width).max() ?? 0) + swatch + 4 + 10
    let h = rowHeight * Double(axes.lines.count) + 6
    return LegendMetrics(size: (w, h), rowHeight: rowHeight, swatch: swatch)
  }

  /// The legend box: the requested corner, or for `.best` the corner covering the fewest
  /// data points (ties broken in the order upper left, upper right, lower right, lower left).
  func legendBox(for axes: Axes, layout l: PanelLayout) -> Rect? {
    guard let m = legendMetrics(axes) else { return nil }
    let (w, h) = m.size
    let a = l.plotArea, inset = 6.0
    func corner(_ p: LegendPlacement) -> Rect {
      switch p {
      case .upperLeft: return Rect(x: a.x + inset, y: a.y + inset, width: w, height: h)
      case .upperRight: return Rect(x: a.maxX - inset - w, y: a.y + inset, width: w, height: h)
      case .lowerLeft: return Rect(x: a.x + inset, y: a.maxY - inset - h, width: w, height: h)
      default: return Rect(x: a.maxX - inset - w, y: a.maxY - inset - h, width: w, height: h)
      }
    }
    if axes.legend != .best { return corner(axes.legend) }
    let points = axes.lines.flatMap { s in zip(s.x, s.y).map { toPoint($0.0, $0.1, l) } }
    // Segments are sampled so that a line crossing the box between two points still counts.
    var samples: [Point] = []
    for s in axes.lines {
      let p = zip(s.x, s.y).map { toPoint($0.0, $0.1, l) }
      for k in p.indices.dropLast() {
        for t in stride(from: 0.0, to: 1.0, by: 0.25) {
          samples.append(Point(p[k].x + t * (p[k + 1].x - p[k].x), p[k].y + t * (p[k + 1].y - p[k].y)))
        }
      }
    }
    samples += points
    let order: [LegendPlacement] = [.upperLeft, .upperRight, .lowerRight, .lowerLeft]
    var best = corner(.upperLeft), bestCount = Int.max
    for p in order {
      let r = corner(p)
      let c = samples.reduce(0) { $0 + (r.contains($1) ? 1 : 0) }
      if c < bestCount { (best, bestCount) = (r, c) }
    }
    return best
  }

  // MARK: - Scene

  /// Resolves the whole figure into a scene.
  public func scene(for figure: Figure) -> Scene {
    var items: [SceneItem] = []
    let n = max(1, figure.panels.count)
    let panelWidth = figure.width / Double(n)
    for (k, axes) in figure.panels.enumerated() {
      let frame = Rect(x: Double(k) * panelWidth, y: 0, width: panelWidth, height: figure.height)
      let l = layoutPanel(axes, in: frame)
      items += draw(axes, l, frame: frame)
    }
    return Scene(width: figure.width, height: figure.height, background: theme.background, items: items)
  }

  func draw(_ axes: Axes, _ l: PanelLayout, frame: Rect) -> [SceneItem] {
    var items: [SceneItem] = []
    let a = l.plotArea, fg = theme.foreground
    let tickStroke = StrokeStyle(color: fg, width: theme.axisLineWidth)
    // grid
    if axes.grid {
      let g = StrokeStyle(color: theme.gridColor, width: 0.6)
      for t in l.xTicks {
        let p = toPoint(t, l.yScale.lower, l)
        items.append(.path([.move(Point(p.x, a.minY)), .line(Point(p.x, a.maxY))], stroke: g, fill: nil))
      }
      for t in l.yTicks {
        let p = toPoint(l.xScale.lower, t, l)
        items.append(.path([.move(Point(a.minX, p.y)), .line(Point(a.maxX, p.y))], stroke: g, fill: nil))
      }
    }
    // data, clipped to the plot area
    items.append(.pushClip(a))
    for (i, s) in axes.lines.enumerated() {
      let color = s.color ?? theme.cycle[i % theme.cycle.count]
      var path: [PathElement] = []
      var penDown = false
      for (x, y) in zip(s.x, s.y) {
        guard x.isFinite, y.isFinite, axes.x.scale == .linear || x > 0, axes.y.scale == .linear || y > 0 else {
          penDown = false
          continue
        }
        let p = toPoint(x, y, l)
        path.append(penDown ? .line(p) : .move(p))
        penDown = true
      }
      items.append(.path(path, stroke: StrokeStyle(color: color, width: theme.lineWidth, dash: s.dash, cap: .round), fill: nil))
    }
    items.append(.popClip)
    // frame (left and bottom spines plus a light box)
    items.append(.path([.move(Point(a.minX, a.minY)), .line(Point(a.maxX, a.minY)), .line(Point(a.maxX, a.maxY)), .line(Point(a.minX, a.maxY)), .close], stroke: tickStroke, fill: nil))
    // ticks and labels
    let tf = tickFont
    for (t, label) in zip(l.xTicks, l.xTickLabels) {
      let p = toPoint(t, l.yScale.lower, l)
      items.append(.path([.move(Point(p.x, a.maxY)), .line(Point(p.x, a.maxY + theme.tickLength))], stroke: tickStroke, fill: nil))
      items.append(.text(TextItem(markup: label, position: Point(p.x, a.maxY + theme.tickLength + 2), font: tf, color: fg, horizontal: .center, vertical: .top)))
    }
    for (t, label) in zip(l.yTicks, l.yTickLabels) {
      let p = toPoint(l.xScale.lower, t, l)
      items.append(.path([.move(Point(a.minX - theme.tickLength, p.y)), .line(Point(a.minX, p.y))], stroke: tickStroke, fill: nil))
      items.append(.text(TextItem(markup: label, position: Point(a.minX - theme.tickLength - 3, p.y), font: tf, color: fg, horizontal: .right, vertical: .center)))
    }
    // axis labels and title
    if !axes.x.label.isEmpty {
      items.append(.text(TextItem(markup: MathMarkup.pango(fromTeX: axes.x.label), position: Point(a.x + a.width / 2, frame.maxY - 4), font: labelFont, color: fg, horizontal: .center, vertical: .bottom)))
    }
    if !axes.y.label.isEmpty {
      items.append(.text(TextItem(markup: MathMarkup.pango(fromTeX: axes.y.label), position: Point(frame.x + 4, a.y + a.height / 2), font: labelFont, color: fg, horizontal: .center, vertical: .top, rotation: 90)))
    }
    if !axes.title.isEmpty {
      items.append(.text(TextItem(markup: MathMarkup.pango(fromTeX: axes.title), position: Point(a.x + a.width / 2, frame.y + 4), font: titleFont, color: fg, horizontal: .center, vertical: .top)))
    }
    // legend
    if let box = l.legendBox, let m = legendMetrics(axes) {
      items.append(.path(rectPath(box), stroke: StrokeStyle(color: Color(hex: 0xBBBBBB), width: 0.6), fill: (theme.background ?? .white).withAlpha(0.9)))
      for (i, s) in axes.lines.enumerated() {
        let color = s.color ?? theme.cycle[i % theme.cycle.count]
        let cy = box.y + 3 + m.rowHeight * (Double(i) + 0.5)
        items.append(.path([.move(Point(box.x + 5, cy)), .line(Point(box.x + 5 + m.swatch, cy))], stroke: StrokeStyle(color: color, width: theme.lineWidth, dash: s.dash, cap: .round), fill: nil))
        items.append(.text(TextItem(markup: MathMarkup.pango(fromTeX: s.name), position: Point(box.x + 9 + m.swatch, cy), font: legendFont, color: fg, horizontal: .left, vertical: .center)))
      }
    }
    return items
  }

  func rectPath(_ r: Rect) -> [PathElement] {
    [.move(Point(r.minX, r.minY)), .line(Point(r.maxX, r.minY)), .line(Point(r.maxX, r.maxY)), .line(Point(r.minX, r.maxY)), .close]
  }
}
