#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// What layout decided for one panel; exposed so tests can assert numbers, not pixels.
public struct PanelLayout: Sendable, Hashable {
  public var frame: Rect
  public var plotArea: Rect
  public var xScale: Scale
  public var yScale: Scale
  public var xTicks: [Double]
  public var yTicks: [Double]
  public var xTickLabels: [[TextRun]]
  public var yTickLabels: [[TextRun]]
  public var legendBox: Rect?
  /// The colorbar of a heat map: its bar, value range and ticks.
  public var colorbar: ColorbarLayout?
  public var showXLabels: Bool
  public var showYLabels: Bool
}

public struct ColorbarLayout: Sendable, Hashable {
  public var bar: Rect
  public var range: ClosedRange<Double>
  public var ticks: [Double]
  public var labels: [[TextRun]]
}

/// Resolves a figure into a scene: limits, ticks, margins from measured text, legend placement,
/// colorbars, panel grids. Pure: the theme and the text measurer are passed in.
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

  // MARK: - Limits and ticks

  /// Every x and y a panel's marks need to show.
  static func extents(_ axes: Axes) -> (xs: [Double], ys: [Double]) {
    var xs: [Double] = [], ys: [Double] = []
    for m in axes.marks {
      switch m {
      case .line(let s):
        xs += s.x
        ys += s.y
      case .errorBars(let s):
        xs += s.x
        ys += zip(s.y, s.error).flatMap { [$0 - $1, $0 + $1] }
      case .band(let b):
        xs += b.x
        ys += b.lower + b.upper
      case .histogram(let h):
        xs += h.edges
        ys += h.heights + [0]
      case .heatmap(let h):
        xs += [h.x.lowerBound, h.x.upperBound]
        ys += [h.y.lowerBound, h.y.upperBound]
      case .reference, .graph, .table:
        break
      }
    }
    return (xs, ys)
  }

  /// Data limits of an axis, widened by `margin` and made non-singular.
  public static func limits(of values: [Double], spec: AxisSpec, margin: Double) -> (Double, Double) {
    if let l = spec.limits { return (l.lowerBound, l.upperBound) }
    let finite = values.filter { $0.isFinite && (spec.scale != .log || $0 > 0) }
    guard var lo = finite.min(), var hi = finite.max() else { return spec.scale == .log ? (1, 10) : (0, 1) }
    if spec.scale == .log, hi <= lo { (lo, hi) = (lo / 10, hi * 10) }
    if spec.scale != .log { (lo, hi) = TickLocator.nonsingular(lo, hi) }
    let a = Scale.transform(lo, spec.scale), b = Scale.transform(hi, spec.scale), pad = (b - a) * margin
    return (Scale.inverse(a - pad, spec.scale), Scale.inverse(b + pad, spec.scale))
  }

  static func ticks(for scale: Scale, maxTicks: Int = 6) -> ([Double], [[TextRun]]) {
    let lo = min(scale.lower, scale.upper), hi = max(scale.lower, scale.upper)
    switch scale.kind {
    case .linear:
      let t = TickLocator.linearTicks(lower: lo, upper: hi, maxTicks: maxTicks)
      return (t, TickFormatter.linearLabels(t))
    case .log:
      let t = TickLocator.logTicks(lower: lo, upper: hi)
      if t.count < 3 {  // under two decades: 1-2-5 ticks, written out
        let fine = TickLocator.logTicks125(lower: lo, upper: hi)
        return (fine, TickFormatter.plainLabels(fine))
      }
      return (t, TickFormatter.logLabels(t))
    case .symlog:
      let t = TickLocator.symlogTicks(lower: lo, upper: hi)
      return (t, TickFormatter.logLabels(t))
    }
  }

  /// Linear x ticks whose labels would not fit side by side in `width` (each label and a 6 pt
  /// gap: a narrow panel of a wide range, 0 … 6000 in a 180 pt heat map) are asked again for
  /// fewer intervals, down to 2; other scales and ticks that fit are kept.
  func thinnedXTicks(_ ticks: [Double], _ labels: [[TextRun]], scale: Scale, width: Double) -> ([Double], [[TextRun]]) {
    guard scale.kind == .linear else { return (ticks, labels) }
    func fits(_ l: [[TextRun]]) -> Bool { l.reduce(0) { $0 + measurer.measure(runs: $1, font: tickFont).width + 6 } <= width }
    var (t, l) = (ticks, labels)
    var maxTicks = 5
    while !fits(l), maxTicks >= 2 {
      (t, l) = Self.ticks(for: scale, maxTicks: maxTicks)
      maxTicks -= 1
    }
    return (t, l)
  }

  // MARK: - Panels

  /// Markers and error bars need room at the ends of the x axis; curves and heat maps fill it.
  static func hasPointMarks(_ axes: Axes) -> Bool {
    axes.marks.contains { m in
      switch m {
      case .errorBars: return true
      case .line(let s): return s.marker != nil || s.markersOnly
      default: return false
      }
    }
  }

  /// A heat map's colorbar in a strip on the right of `frame`, between `top` and `bottom`: the
  /// plot area's new right edge and the bar with its ticks.
  func colorbarLayout(_ h: Heatmap, frame: Rect, top: Double, bottom: Double, pad: Double) -> (right: Double, layout: ColorbarLayout) {
    let range = h.range
    let t = TickLocator.linearTicks(lower: range.lowerBound, upper: range.upperBound, maxTicks: 5)
    let labels = TickFormatter.linearLabels(t)
    let labelWidth = labels.map { measurer.measure(runs: $0, font: tickFont).width }.max() ?? 0
    let barLabel =
      h.colorbarLabel.isEmpty ? 0 : measurer.measure(runs: MathText.runs(fromTeX: h.colorbarLabel), font: labelFont).height + pad
    let barWidth = 10.0
    let right = frame.maxX - pad - barLabel - labelWidth - theme.tickLength - 3 - barWidth - 12
    return (
      right,
      ColorbarLayout(
        bar: Rect(x: right + 12, y: top, width: barWidth, height: max(10, bottom - top)), range: range, ticks: t, labels: labels)
    )
  }

  /// Lays out one panel in `frame` (no drawing). Shared limits and hidden labels come from the
  /// figure-level layout.
  public func layoutPanel(
    _ axes: Axes, in frame: Rect, xLimits: (Double, Double)? = nil, yLimits: (Double, Double)? = nil,
    showXLabels: Bool = true, showYLabels: Bool = true, letter: String? = nil, figureWidth: Double? = nil
  ) -> PanelLayout {
    let figureWidth = figureWidth ?? frame.maxX
    let (xs, ys) = Self.extents(axes)
    let heat = axes.heatmap
    // Markers and error bars need room at the ends; curves and heat maps fill the axis.
    let xMargin = heat != nil ? 0 : (Self.hasPointMarks(axes) ? max(theme.xMargin, 0.04) : theme.xMargin)
    let (x0, x1) = xLimits ?? Self.limits(of: xs, spec: axes.x, margin: xMargin)
    let (y0, y1) = yLimits ?? Self.limits(of: ys, spec: axes.y, margin: heat == nil ? theme.yMargin : 0)
    let xScale = Scale(kind: axes.x.scale, lower: x0, upper: x1)
    let yScale = Scale(kind: axes.y.scale, lower: y0, upper: y1)
    let (xt0, xl0) = Self.ticks(for: xScale)
    let (yt, yl) = Self.ticks(for: yScale)

    let pad = 4.0
    let textHeight = measurer.measure(runs: .plain("0"), font: tickFont).height
    let yLabelWidth = showYLabels ? (yl.map { measurer.measure(runs: $0, font: tickFont).width }.max() ?? 0) : 0
    let xLabelHeight = showXLabels ? (xl0.map { measurer.measure(runs: $0, font: tickFont).height }.max() ?? 0) : 0
    let xAxisLabel =
      axes.x.label.isEmpty || !showXLabels ? nil : measurer.measure(runs: MathText.runs(fromTeX: axes.x.label), font: labelFont)
    let yAxisLabel =
      axes.y.label.isEmpty || !showYLabels ? nil : measurer.measure(runs: MathText.runs(fromTeX: axes.y.label), font: labelFont)
    let title = axes.title.isEmpty ? nil : measurer.measure(runs: MathText.runs(fromTeX: axes.title), font: titleFont)
    let letterHeight = letter.map { measurer.measure(runs: .plain($0), font: titleFont).height } ?? 0

    var left = frame.x + pad + (yAxisLabel.map { $0.height + pad } ?? 0) + yLabelWidth + theme.tickLength + 3
    if letter != nil, title == nil { left = max(left, frame.x + pad) }
    let bottom = frame.maxY - pad - (xAxisLabel.map { $0.height + pad } ?? 0) - xLabelHeight - theme.tickLength - 3
    // room for half the last x tick label, and a gutter so neighbouring panels' labels never touch
    var right =
      frame.maxX - max(pad, (xl0.last.map { measurer.measure(runs: $0, font: tickFont).width / 2 } ?? 0) + 2)
      - (frame.maxX < figureWidth - 1 ? 10 : 0)
    var top = frame.y + pad + max(title.map { $0.height + pad } ?? textHeight / 2, letterHeight > 0 ? letterHeight + 2 : 0)
    // A legend above the axes takes a strip at the top.
    if Self.legendPlacement(axes) == .above, let m = legendMetrics(axes) { top += m.size.1 + 4 }

    // A heat map's colorbar takes a strip on the right.
    var colorbar: ColorbarLayout?
    if let h = heat, h.colorbar { (right, colorbar) = colorbarLayout(h, frame: frame, top: top, bottom: bottom, pad: pad) }
    // A legend outside the axes takes a strip on the right.
    if Self.legendPlacement(axes) == .outside, let m = legendMetrics(axes) { right -= m.size.0 + 8 }
    let area = Rect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))
    let (xt, xl) = thinnedXTicks(xt0, xl0, scale: xScale, width: area.width)

    var layout = PanelLayout(
      frame: frame, plotArea: area, xScale: xScale, yScale: yScale, xTicks: xt, yTicks: yt, xTickLabels: xl,
      yTickLabels: yl, legendBox: nil, colorbar: colorbar, showXLabels: showXLabels, showYLabels: showYLabels)
    layout.legendBox = legendBox(for: axes, layout: layout)
    guard legendNeedsStrip(axes, layout) else { return layout }
    var strip = axes
    strip.legend = .above
    return layoutPanel(
      strip, in: frame, xLimits: (x0, x1), yLimits: (y0, y1), showXLabels: showXLabels, showYLabels: showYLabels, letter: letter,
      figureWidth: figureWidth)
  }

  /// A `.best` legend whose best corner still covers data goes to a strip above the axes
  /// (`.above`), as a heat map's does: no corner is free. Not when the strip would leave the
  /// axes under 40 pt or half their height (a tiny figure keeps its corner).
  func legendNeedsStrip(_ axes: Axes, _ l: PanelLayout) -> Bool {
    guard axes.legend == .best, let box = l.legendBox else { return false }
    let left = l.plotArea.height - box.height - 4
    guard left >= max(40, l.plotArea.height / 2) else { return false }
    return dataSamples(axes, l).contains { Self.covers(box, $0) }
  }

  /// Panel frames and shared limits for the whole grid.
  public func layoutFigure(_ figure: Figure) -> [PanelLayout] {
    let n = figure.panels.count
    guard n > 0 else { return [] }
    let cols = min(figure.columns, n), rows = (n + cols - 1) / cols
    let w = figure.width / Double(cols), h = figure.height / Double(rows)
    let letters = figure.panelLetters && n > 1
    func sharedLimits(_ members: [Int], x: Bool) -> (Double, Double) {
      let values = members.flatMap { x ? Self.extents(figure.panels[$0]).xs : Self.extents(figure.panels[$0]).ys }
      let spec = x ? figure.panels[members[0]].x : figure.panels[members[0]].y
      return Self.limits(of: values, spec: spec, margin: x ? theme.xMargin : theme.yMargin)
    }
    return (0..<n).map { k in
      let r = k / cols, c = k % cols
      let frame = Rect(x: Double(c) * w, y: Double(r) * h, width: w, height: h)
      let column = stride(from: c, to: n, by: cols).map { $0 }
      let row = Array((r * cols)..<min(n, (r + 1) * cols))
      let lastInColumn = column.last == k
      return layoutPanel(
        figure.panels[k], in: frame, xLimits: figure.sharedX ? sharedLimits(column, x: true) : nil,
        yLimits: figure.sharedY ? sharedLimits(row, x: false) : nil, showXLabels: !figure.sharedX || lastInColumn,
        showYLabels: !figure.sharedY || c == 0, letter: letters ? Self.letter(k) : nil, figureWidth: figure.width)
    }
  }

  static func letter(_ k: Int) -> String { "(" + String(UnicodeScalar(UInt8(97 + k % 26))) + ")" }

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

  func legendEntries(_ axes: Axes) -> [(Mark, Int)] {
    axes.marks.enumerated().filter { !$0.element.legendName.isEmpty }.map { ($0.element, $0.offset) }
  }

  func legendMetrics(_ axes: Axes) -> LegendMetrics? {
    let entries = legendEntries(axes)
    guard axes.legend != .none, !entries.isEmpty else { return nil }
    let ext = entries.map { measurer.measure(runs: MathText.runs(fromTeX: $0.0.legendName), font: legendFont) }
    let rowHeight = (ext.map(\.height).max() ?? 10) + 1
    let swatch = 16.0
    let w = (ext.map(\.width).max() ?? 0) + swatch + 4 + 10
    let h = rowHeight * Double(entries.count) + 6
    return LegendMetrics(size: (w, h), rowHeight: rowHeight, swatch: swatch)
  }

  /// Screen points of the data, for legend placement: line vertices plus samples along segments.
  func dataSamples(_ axes: Axes, _ l: PanelLayout) -> [Point] {
    var samples: [Point] = []
    func add(_ xs: [Double], _ ys: [Double], segments: Bool) {
      let stepPoints = max(1, xs.count / 2000)  // long series: every k-th point is plenty
      var previous: Point?
      for i in stride(from: 0, to: xs.count, by: stepPoints) where l.xScale.accepts(xs[i]) && l.yScale.accepts(ys[i]) {
        let p = toPoint(xs[i], ys[i], l)
        if segments, let q = previous {
          for t in stride(from: 0.25, to: 1.0, by: 0.25) { samples.append(Point(q.x + t * (p.x - q.x), q.y + t * (p.y - q.y))) }
        }
        samples.append(p)
        previous = p
      }
    }
    for m in axes.marks {
      switch m {
      case .line(let s): add(s.x, s.y, segments: !s.markersOnly)
      case .errorBars(let s):
        add(s.x, s.y, segments: false)
        // the bars' ends, so nothing is placed over a whisker
        let n = min(s.x.count, s.y.count, s.error.count)
        add(Array(s.x.prefix(n)), (0..<n).map { s.y[$0] + s.error[$0] }, segments: false)
        add(Array(s.x.prefix(n)), (0..<n).map { s.y[$0] - s.error[$0] }, segments: false)
      case .band(let b):
        add(b.x, b.lower, segments: true)
        add(b.x, b.upper, segments: true)
      case .histogram(let h): add(zip(h.edges, h.edges.dropFirst()).map { ($0 + $1) / 2 }, h.heights, segments: true)
      default: break
      }
    }
    return samples
  }

  /// Where a panel's legend goes: as asked, except `.best` over a heat map, whose cells fill the
  /// plot area so that every corner covers some: there it is `.above` (a strip over the axes).
  /// (A `.best` legend whose every corner covers curve samples goes there too: `legendNeedsStrip`.)
  static func legendPlacement(_ axes: Axes) -> LegendPlacement {
    axes.legend == .best && axes.heatmap != nil ? .above : axes.legend
  }

  /// The legend box: the requested corner, outside to the right, or for `.best` the corner
  /// covering the fewest data samples (ties broken upper left, upper right, lower right, lower left).
  func legendBox(for axes: Axes, layout l: PanelLayout) -> Rect? {
    guard let m = legendMetrics(axes) else { return nil }
    let (w, h) = m.size
    let a = l.plotArea, inset = 6.0
    func corner(_ p: LegendPlacement) -> Rect {
      switch p {
      case .upperLeft: return Rect(x: a.x + inset, y: a.y + inset, width: w, height: h)
      case .upperRight: return Rect(x: a.maxX - inset - w, y: a.y + inset, width: w, height: h)
      case .lowerLeft: return Rect(x: a.x + inset, y: a.maxY - inset - h, width: w, height: h)
      case .outside: return Rect(x: a.maxX + 8, y: a.y, width: w, height: h)
      case .above: return Rect(x: max(l.frame.x + 4, a.maxX - w), y: a.y - h - 4, width: w, height: h)
      default: return Rect(x: a.maxX - inset - w, y: a.maxY - inset - h, width: w, height: h)
      }
    }
    let placement = Self.legendPlacement(axes)
    if placement != .best { return corner(placement) }
    let samples = dataSamples(axes, l)
    var best = corner(.upperLeft), bestCount = Int.max
    for p in [LegendPlacement.upperLeft, .upperRight, .lowerRight, .lowerLeft] {
      let r = corner(p)
      let c = samples.reduce(0) { $0 + (Self.covers(r, $1) ? 1 : 0) }
      if c < bestCount { (best, bestCount) = (r, c) }
    }
    return best
  }

  // MARK: - Scene

  /// Resolves the whole figure into a scene.
  public func scene(for figure: Figure) -> Scene {
    var items: [SceneItem] = []
    for (k, (axes, l)) in zip(figure.panels, layoutFigure(figure)).enumerated() {
      if let g = axes.graph {
        items += drawGraph(g, in: l)
      } else if let t = axes.table {
        items += drawTable(t, in: l.frame)
      } else {
        items += draw(axes, l)
      }
      if figure.panelLetters && figure.panels.count > 1 {
        items.append(
          .text(
            TextItem(
              runs: [TextRun(Self.letter(k), style: .bold)], position: Point(l.frame.x + 4, l.frame.y + 3), font: titleFont,
              color: theme.foreground, horizontal: .left, vertical: .top)))
      }
    }
    return Scene(width: figure.width, height: figure.height, background: theme.background, items: items)
  }

  func color(_ explicit: Color?, _ index: Int) -> Color { explicit ?? theme.cycle[index % theme.cycle.count] }

  func draw(_ axes: Axes, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    if axes.grid && axes.heatmap == nil { items += drawGrid(l) }
    items.append(.pushClip(l.plotArea))
    items += drawMarks(axes, l)
    items.append(.popClip)
    items += drawFrameAndTicks(l)
    items += drawLabels(axes, l)
    if let box = l.legendBox, let m = legendMetrics(axes) { items += drawLegend(axes, box: box, metrics: m) }
    if let cb = l.colorbar, let h = axes.heatmap { items += drawColorbar(cb, h) }
    return items
  }

  /// Grid lines at the ticks.
  func drawGrid(_ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    let a = l.plotArea
    let g = StrokeStyle(color: theme.gridColor, width: 0.6)
    for t in l.xTicks {
      let x = toPoint(t, l.yScale.lower, l).x
      items.append(.path([.move(Point(x, a.minY)), .line(Point(x, a.maxY))], stroke: g, fill: nil))
    }
    for t in l.yTicks {
      let y = toPoint(l.xScale.lower, t, l).y
      items.append(.path([.move(Point(a.minX, y)), .line(Point(a.maxX, y))], stroke: g, fill: nil))
    }
    return items
  }

  /// The marks in order; each series takes the next colour of the cycle unless it names one.
  func drawMarks(_ axes: Axes, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    var seriesIndex = 0
    // annotation labels keep off the data and the legend (computed once, if there are any)
    let obstacles = axes.marks.contains { if case .reference = $0 { return true } else { return false } } ? dataSamples(axes, l) : []
    for m in axes.marks {
      switch m {
      case .heatmap(let h): items += drawHeatmap(h, l)
      case .band(let b):
        let c = color(b.color, seriesIndex).withAlpha(b.opacity)
        seriesIndex += 1
        items += drawBand(b, color: c, l)
      case .histogram(let h):
        let c = color(h.color, seriesIndex)
        seriesIndex += 1
        items += drawHistogram(h, color: c, l)
      case .line(let s):
        items += drawLine(s, color: color(s.color, s.colorSlot ?? seriesIndex), l)
        seriesIndex += 1
      case .errorBars(let s):
        let c = color(s.color, s.colorSlot ?? seriesIndex)
        seriesIndex += 1
        items += drawErrorBars(s, color: c, l)
      case .reference(let r):
        items += drawReference(r, l, avoiding: obstacles)
      case .graph, .table:
        break
      }
    }
    return items
  }

  /// A band: the upper edge, then the lower one back, filled.
  func drawBand(_ b: BandSeries, color c: Color, _ l: PanelLayout) -> [SceneItem] {
    let upper = zip(b.x, b.upper).filter { l.xScale.accepts($0.0) && l.yScale.accepts($0.1) }.map { toPoint($0.0, $0.1, l) }
    let lower = zip(b.x, b.lower).filter { l.xScale.accepts($0.0) && l.yScale.accepts($0.1) }.map { toPoint($0.0, $0.1, l) }
    guard let first = upper.first else { return [] }
    let path = [PathElement.move(first)] + upper.dropFirst().map(PathElement.line) + lower.reversed().map(PathElement.line) + [.close]
    return [.path(path, stroke: nil, fill: c)]
  }

  /// A histogram: one outlined, translucent bar per non-empty bin.
  func drawHistogram(_ h: Histogram, color c: Color, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    for (k, height) in h.heights.enumerated() where height > 0 && k + 1 < h.edges.count {
      let p0 = toPoint(h.edges[k], 0, l), p1 = toPoint(h.edges[k + 1], height, l)
      let r = Rect(x: p0.x, y: p1.y, width: p1.x - p0.x, height: p0.y - p1.y)
      items.append(.path(rectPath(r), stroke: StrokeStyle(color: c, width: 0.5), fill: c.withAlpha(0.45)))
    }
    return items
  }

  /// Error bars with caps (a bar whose low end leaves the axis runs to its bottom), the markers,
  /// and the connecting line when asked for.
  func drawErrorBars(_ s: ErrorBarSeries, color c: Color, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    let a = l.plotArea
    let stroke = StrokeStyle(color: c, width: 1)
    if s.connected { items += drawLine(LineSeries(name: "", x: s.x, y: s.y), color: c, l) }
    for i in 0..<min(s.x.count, s.y.count, s.error.count) where l.xScale.accepts(s.x[i]) && l.yScale.accepts(s.y[i]) {
      let lo = toPoint(s.x[i], s.y[i] - s.error[i], l), hi = toPoint(s.x[i], s.y[i] + s.error[i], l)
      let loY = l.yScale.accepts(s.y[i] - s.error[i]) ? lo.y : a.maxY
      items.append(
        .path(
          [
            .move(Point(hi.x, loY)), .line(hi), .move(Point(hi.x - 2.5, loY)), .line(Point(hi.x + 2.5, loY)),
            .move(Point(hi.x - 2.5, hi.y)), .line(Point(hi.x + 2.5, hi.y)),
          ], stroke: stroke, fill: nil))
      items.append(marker(s.marker, at: toPoint(s.x[i], s.y[i], l), color: c))
    }
    return items
  }

  /// The frame of the plot area, the ticks and their labels.
  func drawFrameAndTicks(_ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    let a = l.plotArea, fg = theme.foreground
    let tickStroke = StrokeStyle(color: fg, width: theme.axisLineWidth)
    items.append(.path(rectPath(a), stroke: tickStroke, fill: nil))
    let tf = tickFont
    for (t, label) in zip(l.xTicks, l.xTickLabels) {
      let x = toPoint(t, l.yScale.lower, l).x
      items.append(.path([.move(Point(x, a.maxY)), .line(Point(x, a.maxY + theme.tickLength))], stroke: tickStroke, fill: nil))
      if l.showXLabels {
        items.append(
          .text(
            TextItem(
              runs: label, position: Point(x, a.maxY + theme.tickLength + 2), font: tf, color: fg, horizontal: .center, vertical: .top)))
      }
    }
    for (t, label) in zip(l.yTicks, l.yTickLabels) {
      let y = toPoint(l.xScale.lower, t, l).y
      items.append(.path([.move(Point(a.minX - theme.tickLength, y)), .line(Point(a.minX, y))], stroke: tickStroke, fill: nil))
      if l.showYLabels {
        items.append(
          .text(
            TextItem(
              runs: label, position: Point(a.minX - theme.tickLength - 3, y), font: tf, color: fg, horizontal: .right, vertical: .center)))
      }
    }
    return items
  }

  /// The axis labels and the panel title.
  func drawLabels(_ axes: Axes, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    let a = l.plotArea, fg = theme.foreground
    if !axes.x.label.isEmpty && l.showXLabels {
      items.append(
        .text(
          TextItem(
            runs: MathText.runs(fromTeX: axes.x.label), position: Point(a.x + a.width / 2, l.frame.maxY - 4), font: labelFont, color: fg,
            horizontal: .center, vertical: .bottom)))
    }
    if !axes.y.label.isEmpty && l.showYLabels {
      items.append(
        .text(
          TextItem(
            runs: MathText.runs(fromTeX: axes.y.label), position: Point(l.frame.x + 4, a.y + a.height / 2), font: labelFont, color: fg,
            horizontal: .center, vertical: .top, rotation: 90)))
    }
    if !axes.title.isEmpty {
      items.append(
        .text(
          TextItem(
            runs: MathText.runs(fromTeX: axes.title), position: Point(a.x + a.width / 2, l.frame.y + 4), font: titleFont, color: fg,
            horizontal: .center, vertical: .top)))
    }
    return items
  }

  func drawLine(_ s: LineSeries, color c: Color, _ l: PanelLayout) -> [SceneItem] {
    var items: [SceneItem] = []
    if !s.markersOnly {
      var path: [PathElement] = []
      var penDown = false
      for (x, y) in zip(s.x, s.y) {
        guard l.xScale.accepts(x), l.yScale.accepts(y) else {
          penDown = false
          continue
        }
        let p = toPoint(x, y, l)
        path.append(penDown ? .line(p) : .move(p))
        penDown = true
      }
      items.append(.path(path, stroke: StrokeStyle(color: c, width: s.lineWidth ?? theme.lineWidth, dash: s.dash, cap: .round), fill: nil))
    }
    if let shape = s.marker ?? (s.markersOnly ? .circle : nil) {
      for (x, y) in zip(s.x, s.y) where l.xScale.accepts(x) && l.yScale.accepts(y) {
        items.append(marker(shape, at: toPoint(x, y, l), color: c))
      }
    }
    return items
  }

  func marker(_ shape: MarkerShape, at p: Point, color c: Color, size: Double = 2.6) -> SceneItem {
    let edge = StrokeStyle(color: (theme.background ?? .white), width: 0.5)
    switch shape {
    case .circle: return .path([.circle(center: p, radius: size)], stroke: edge, fill: c)
    case .square: return .path(rectPath(Rect(x: p.x - size, y: p.y - size, width: 2 * size, height: 2 * size)), stroke: edge, fill: c)
    case .triangle:
      let h = size * 1.2
      return .path(
        [.move(Point(p.x, p.y - h)), .line(Point(p.x + h, p.y + h * 0.8)), .line(Point(p.x - h, p.y + h * 0.8)), .close], stroke: edge,
        fill: c)
    case .diamond:
      let h = size * 1.3
      return .path(
        [.move(Point(p.x, p.y - h)), .line(Point(p.x + h, p.y)), .line(Point(p.x, p.y + h)), .line(Point(p.x - h, p.y)), .close],
        stroke: edge, fill: c)
    }
  }

  func drawHeatmap(_ h: Heatmap, _ l: PanelLayout) -> [SceneItem] {
    let lut = h.colormap.lookupTable
    let range = h.range
    let span = range.upperBound - range.lowerBound
    // The shape Heatmap.init ensures (its fields are variables, so checked again, without trapping).
    let (cells, overflow) = h.rows.multipliedReportingOverflow(by: h.columns)
    let shaped = !overflow && h.rows >= 0 && h.columns >= 0 && cells == h.values.count
    let rows = shaped ? h.rows : 0, columns = shaped ? h.columns : 0
    var rgba = [UInt8](repeating: 0, count: rows * columns * 4)
    rgba.withUnsafeMutableBufferPointer { out in
      h.values.withUnsafeBufferPointer { v in
        for i in 0..<(rows * columns) {
          let x = v[i]
          guard x.isFinite else { continue }  // transparent
          let k = Int(min(255, max(0, ((x - range.lowerBound) / span * 255).rounded())))
          out[4 * i] = lut[4 * k]
          out[4 * i + 1] = lut[4 * k + 1]
          out[4 * i + 2] = lut[4 * k + 2]
          out[4 * i + 3] = 255
        }
      }
    }
    let p0 = toPoint(h.x.lowerBound, h.y.upperBound, l), p1 = toPoint(h.x.upperBound, h.y.lowerBound, l)
    return [
      .image(RasterImage(width: columns, height: rows, rgba: rgba), in: Rect(x: p0.x, y: p0.y, width: p1.x - p0.x, height: p1.y - p0.y))
    ]
  }

  func drawColorbar(_ cb: ColorbarLayout, _ h: Heatmap) -> [SceneItem] {
    let lut = h.colormap.lookupTable
    var rgba: [UInt8] = []
    for i in (0..<256).reversed() { rgba += lut[(4 * i)..<(4 * i + 4)] }
    var items: [SceneItem] = [.image(RasterImage(width: 1, height: 256, rgba: rgba), in: cb.bar)]
    let stroke = StrokeStyle(color: theme.foreground, width: theme.axisLineWidth)
    items.append(.path(rectPath(cb.bar), stroke: stroke, fill: nil))
    let span = cb.range.upperBound - cb.range.lowerBound
    var labelRight = cb.bar.maxX
    for (t, label) in zip(cb.ticks, cb.labels) {
      let y = cb.bar.maxY - (t - cb.range.lowerBound) / span * cb.bar.height
      items.append(.path([.move(Point(cb.bar.maxX, y)), .line(Point(cb.bar.maxX + theme.tickLength, y))], stroke: stroke, fill: nil))
      items.append(
        .text(
          TextItem(
            runs: label, position: Point(cb.bar.maxX + theme.tickLength + 2, y), font: tickFont, color: theme.foreground, horizontal: .left,
            vertical: .center)))
      labelRight = max(labelRight, cb.bar.maxX + theme.tickLength + 2 + measurer.measure(runs: label, font: tickFont).width)
    }
    if !h.colorbarLabel.isEmpty {
      items.append(
        .text(
          TextItem(
            runs: MathText.runs(fromTeX: h.colorbarLabel), position: Point(labelRight + 4, cb.bar.y + cb.bar.height / 2), font: labelFont,
            color: theme.foreground, horizontal: .center, vertical: .top, rotation: 90)))
    }
    return items
  }

  /// The least contrast (WCAG ratio) of a legend sample with what is behind it.
  public static let legendSampleContrast = 3.0

  func drawLegend(_ axes: Axes, box: Rect, metrics m: LegendMetrics) -> [SceneItem] {
    var items: [SceneItem] = [
      .path(
        rectPath(box), stroke: StrokeStyle(color: theme.gridColor.withAlpha(1), width: 0.6),
        fill: (theme.background ?? .white).withAlpha(0.9))
    ]
    var seriesIndex = 0
    var indexOf: [Int: Int] = [:]
    for (k, mark) in axes.marks.enumerated() {
      switch mark {
      case .line, .errorBars, .band, .histogram:
        indexOf[k] = seriesIndex
        seriesIndex += 1
      default: break
      }
    }
    let fill = theme.background ?? .white
    for (row, (mark, k)) in legendEntries(axes).enumerated() {
      let cy = box.y + 3 + m.rowHeight * (Double(row) + 0.5)
      let x0 = box.x + 5, x1 = box.x + 5 + m.swatch
      items += legendSample(mark, slot: indexOf[k] ?? 0, x0: x0, swatch: m.swatch, cy: cy, on: fill)
      items.append(
        .text(
          TextItem(
            runs: MathText.runs(fromTeX: mark.legendName), position: Point(x1 + 4, cy), font: legendFont, color: theme.foreground,
            horizontal: .left, vertical: .center)))
    }
    return items
  }

  /// One legend row's sample (line, marker, error bar, band or bar) from x0, `swatch` wide, at
  /// height cy, in the colour of series slot `slot`, on a box filled with `fill`.
  func legendSample(_ mark: Mark, slot i: Int, x0: Double, swatch: Double, cy: Double, on fill: Color) -> [SceneItem] {
    var items: [SceneItem] = []
    let x1 = x0 + swatch
    // A sample whose colour does not stand out from the box (a black curve drawn over a heat map,
    // in the dark theme) gets a patch of the opposite tone behind it: at least 3:1 either way.
    func backing(_ c: Color, _ x0: Double, _ x1: Double, _ cy: Double) -> [SceneItem] {
      guard c.contrastRatio(fill) < Self.legendSampleContrast else { return [] }
      let patch = c.contrastRatio(.white) >= c.contrastRatio(.black) ? Color.white : Color.black
      return [.path(rectPath(Rect(x: x0 - 2, y: cy - 5, width: x1 - x0 + 4, height: 10)), stroke: nil, fill: patch)]
    }
    switch mark {
    case .line(let s):
      let c = color(s.color, s.colorSlot ?? i)
      items += backing(c, x0, x1, cy)
      if !s.markersOnly {
        items.append(
          .path(
            [.move(Point(x0, cy)), .line(Point(x1, cy))],
            stroke: StrokeStyle(color: c, width: s.lineWidth ?? theme.lineWidth, dash: s.dash, cap: .round), fill: nil))
      }
      if let shape = s.marker ?? (s.markersOnly ? .circle : nil) { items.append(marker(shape, at: Point((x0 + x1) / 2, cy), color: c)) }
    case .errorBars(let s):
      let c = color(s.color, s.colorSlot ?? i)
      items += backing(c, x0, x1, cy)
      if s.connected {
        items.append(
          .path(
            [.move(Point(x0, cy)), .line(Point(x1, cy))], stroke: StrokeStyle(color: c, width: theme.lineWidth, cap: .round), fill: nil))
      }
      items.append(
        .path(
          [.move(Point((x0 + x1) / 2, cy - 4)), .line(Point((x0 + x1) / 2, cy + 4))], stroke: StrokeStyle(color: c, width: 1), fill: nil))
      items.append(marker(s.marker, at: Point((x0 + x1) / 2, cy), color: c))
    case .band(let b):
      items.append(
        .path(rectPath(Rect(x: x0, y: cy - 4, width: swatch, height: 8)), stroke: nil, fill: color(b.color, i).withAlpha(b.opacity)))
    case .histogram(let h):
      let c = color(h.color, i)
      items.append(
        .path(
          rectPath(Rect(x: x0, y: cy - 4, width: swatch, height: 8)), stroke: StrokeStyle(color: c, width: 0.5), fill: c.withAlpha(0.45)
        ))
    default: break
    }
    return items
  }

  /// A graph in its own panel: edges first, then nodes (circles with their labels).
  func drawGraph(_ g: GraphDrawing, in l: PanelLayout) -> [SceneItem] {
    let f = l.frame, pad = 18.0, top = 26.0  // room for a panel letter above the top node
    func at(_ n: GraphDrawing.Node) -> Point {
      Point(f.x + pad + n.x * (f.width - 2 * pad), f.maxY - pad - n.y * (f.height - pad - top))
    }
    let radius = min(11, max(5, (f.height - pad - top) / Double(max(2, maxColumnSize(g))) / 2.6))
    var items: [SceneItem] = []
    let edge = StrokeStyle(color: theme.foreground.withAlpha(0.45), width: 0.8)
    // straight, or bowed around the nodes a skip edge would cross (GraphEdges)
    let nodes = GraphEdges.Nodes(g.nodes.map(at))
    var spent = 0
    for (a, b) in g.edges {
      let line = GraphEdges.route(a, b, nodes: nodes, radius: radius, frame: f, spent: &spent)
      guard let first = line.first else { continue }
      items.append(.path([.move(first)] + line.dropFirst().map { .line($0) }, stroke: edge, fill: nil))
    }
    for n in g.nodes {
      let p = at(n)
      let fill: Color
      switch n.style {
      case .input: fill = theme.gridColor
      case .hidden: fill = theme.cycle[0].withAlpha(0.85)
      case .output: fill = theme.cycle[1].withAlpha(0.9)
      case .pooling: fill = theme.cycle[2].withAlpha(0.85)
      }
      items.append(.path([.circle(center: p, radius: radius)], stroke: StrokeStyle(color: theme.foreground, width: 0.7), fill: fill))
      if !n.label.isEmpty {
        items.append(
          .text(
            TextItem(
              runs: MathText.runs(fromTeX: n.label), position: p,
              font: FontSpec(family: theme.mathFamily, size: min(theme.legendFontSize, radius * 0.95)),
              color: n.style == .input ? theme.foreground : Color.white, horizontal: .center, vertical: .center)))
      }
    }
    return items
  }

  /// Column widths of a table figure from measured cells (exposed for layout tests).
  public func tableColumnWidths(_ t: TableFigure) -> [Double] {
    let font = FontSpec(family: theme.mathFamily, size: theme.legendFontSize)
    return t.columns.indices.map { c in
      ([t.columns[c]] + t.rows.map { c < $0.count ? $0[c] : "" }).map {
        measurer.measure(runs: MathText.runs(fromTeX: $0), font: font).width
      }.max() ?? 0
    }
  }

  /// A table centred in its panel: header, rule, rows; numbers right-aligned, text left-aligned.
  func drawTable(_ t: TableFigure, in f: Rect) -> [SceneItem] {
    let font = FontSpec(family: theme.mathFamily, size: theme.legendFontSize)
    let bold = FontSpec(family: theme.mathFamily, size: theme.legendFontSize, bold: true)
    let widths = tableColumnWidths(t)
    let gap = 12.0, rowHeight = measurer.measure(runs: .plain("0"), font: font).height + 4
    let total = widths.reduce(0, +) + gap * Double(max(0, widths.count - 1))
    var x0 = f.x + max(4, (f.width - total) / 2)
    let height = rowHeight * Double(t.rows.count + 1) + 6
    let y0 = f.y + max(4, (f.height - height) / 2)
    var items: [SceneItem] = []
    let heavy = StrokeStyle(color: theme.foreground, width: 0.9), light = StrokeStyle(color: theme.foreground, width: 0.5)
    items.append(.path([.move(Point(x0, y0)), .line(Point(x0 + total, y0))], stroke: heavy, fill: nil))
    items.append(.path([.move(Point(x0, y0 + rowHeight + 2)), .line(Point(x0 + total, y0 + rowHeight + 2))], stroke: light, fill: nil))
    items.append(.path([.move(Point(x0, y0 + height)), .line(Point(x0 + total, y0 + height))], stroke: heavy, fill: nil))
    func isNumber(_ s: String) -> Bool { Double(s.replacingOccurrences(of: "\u{2212}", with: "-")) != nil }
    for (c, w) in widths.enumerated() {
      let numeric = !t.rows.isEmpty && t.rows.allSatisfy { c < $0.count && isNumber($0[c]) }
      func place(_ text: String, row: Int, font: FontSpec) {
        let y = y0 + 2 + rowHeight * (Double(row) + 0.5) + (row > 0 ? 3 : 0)
        let x = numeric ? x0 + w : x0
        items.append(
          .text(
            TextItem(
              runs: MathText.runs(fromTeX: text), position: Point(x, y), font: font, color: theme.foreground,
              horizontal: numeric ? .right : .left, vertical: .center)))
      }
      place(t.columns[c], row: 0, font: bold)
      for (r, row) in t.rows.enumerated() where c < row.count {
        place(row[c], row: r + 1, font: t.highlight.contains([r, c]) ? bold : font)
      }
      x0 += w + gap
    }
    return items
  }

  func maxColumnSize(_ g: GraphDrawing) -> Int {
    Dictionary(grouping: g.nodes, by: { $0.x }).values.map(\.count).max() ?? 1
  }

  func rectPath(_ r: Rect) -> [PathElement] {
    [.move(Point(r.minX, r.minY)), .line(Point(r.maxX, r.minY)), .line(Point(r.maxX, r.maxY)), .line(Point(r.minX, r.maxY)), .close]
  }
}
