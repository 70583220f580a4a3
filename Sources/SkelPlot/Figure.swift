/// Marker shapes for points.
public enum MarkerShape: String, Sendable, Hashable, CaseIterable {
  case circle, square, triangle, diamond
}

/// A line series: y over x, drawn as a polyline, optionally with markers (or markers only).
/// The marks' initializers never trap on their data: x and y of different lengths are cut to
/// the shorter (a damaged or inconsistent result draws what it has instead of stopping the build).
public struct LineSeries: Sendable, Hashable {
  /// Legend label (TeX subset allowed, e.g. `$L=16$`); empty: not in the legend.
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var color: Color?
  public var dash: [Double]
  public var marker: MarkerShape?
  /// Draw the markers only (a scatter plot).
  public var markersOnly: Bool
  public var lineWidth: Double?
  /// Which slot of the theme's color cycle to use (default: the series' position), so that a
  /// series and its reference line share a color in every theme.
  public var colorSlot: Int?

  public init(
    name: String, x: [Double], y: [Double], color: Color? = nil, dash: [Double] = [], marker: MarkerShape? = nil,
    markersOnly: Bool = false, lineWidth: Double? = nil, colorSlot: Int? = nil
  ) {
    let n = min(x.count, y.count)
    self.colorSlot = colorSlot
    self.name = name
    self.x = Array(x.prefix(n))
    self.y = Array(y.prefix(n))
    self.color = color
    self.dash = dash
    self.marker = marker
    self.markersOnly = markersOnly
    self.lineWidth = lineWidth
  }
}

/// Points with symmetric vertical error bars (Monte-Carlo means ± a standard error, say).
public struct ErrorBarSeries: Sendable, Hashable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var error: [Double]
  public var color: Color?
  public var marker: MarkerShape
  /// Also join the points by a line (matplotlib's `errorbar(fmt="-o")`).
  public var connected: Bool
  /// The theme colour slot to use instead of the series' position (as `LineSeries.colorSlot`):
  /// Monte-Carlo points in the colour of their exact curve.
  public var colorSlot: Int?
  public init(
    name: String, x: [Double], y: [Double], error: [Double], color: Color? = nil, marker: MarkerShape = .circle, connected: Bool = false,
    colorSlot: Int? = nil
  ) {
    self.colorSlot = colorSlot
    let n = min(x.count, y.count, error.count)  // lengths that differ are cut to the shortest
    self.connected = connected
    self.name = name
    self.x = Array(x.prefix(n))
    self.y = Array(y.prefix(n))
    self.error = Array(error.prefix(n))
    self.color = color
    self.marker = marker
  }
}

/// A shaded band between two curves.
public struct BandSeries: Sendable, Hashable {
  public var name: String
  public var x: [Double]
  public var lower: [Double]
  public var upper: [Double]
  public var color: Color?
  public var opacity: Double
  public init(name: String, x: [Double], lower: [Double], upper: [Double], color: Color? = nil, opacity: Double = 0.25) {
    let n = min(x.count, lower.count, upper.count)  // lengths that differ are cut to the shortest
    self.name = name
    self.x = Array(x.prefix(n))
    self.lower = Array(lower.prefix(n))
    self.upper = Array(upper.prefix(n))
    self.color = color
    self.opacity = opacity
  }
}

/// Reference lines: constants, and slope guides on log-log axes (`slope −1/2` through a point).
public enum ReferenceLine: Sendable, Hashable {
  case horizontal(y: Double, label: String)
  case vertical(x: Double, label: String)
  /// y = c·x^slope through (x0, y0), drawn across the panel (a straight line on log-log axes).
  case slope(Double, throughX: Double, y: Double, label: String)
}

/// A histogram from bin edges and heights (densities if `density`).
public struct Histogram: Sendable, Hashable {
  public var name: String
  public var edges: [Double]
  public var heights: [Double]
  public var color: Color?

  public init(name: String, edges: [Double], heights: [Double], color: Color? = nil) {
    let bins = max(0, min(heights.count, edges.count - 1))  // one more edge than bins, cut to fit
    self.name = name
    self.edges = bins == 0 ? [] : Array(edges.prefix(bins + 1))
    self.heights = Array(heights.prefix(bins))
    self.color = color
  }

  /// Bins `values` into `bins` equal bins over [lower, upper]; `density` normalizes the area to 1.
  public init(name: String, values: [Double], bins: Int, lower: Double, upper: Double, density: Bool = true, color: Color? = nil) {
    let bins = max(1, bins)
    let width = (upper - lower) / Double(bins)
    var counts = [Double](repeating: 0, count: bins)
    var inside = 0
    for v in values where v >= lower && v <= upper {
      let t = (v - lower) / width  // NaN or infinite for an empty range: the first bin
      counts[t.isFinite ? min(bins - 1, max(0, Int(min(t, Double(bins))))) : 0] += 1
      inside += 1
    }
    let scale = density ? 1 / (Double(values.count) * width) : 1
    self.init(name: name, edges: (0...bins).map { lower + Double($0) * width }, heights: counts.map { $0 * scale }, color: color)
  }
}

/// A matrix drawn as colored cells over an extent, with a colorbar.
public struct Heatmap: Sendable, Hashable {
  /// Row-major values; row 0 is drawn at the top (as an image), like matplotlib's `imshow`.
  public var values: [Double]
  public var rows: Int
  public var columns: Int
  /// Data coordinates of the left, right, bottom and top edges.
  public var x: ClosedRange<Double>
  public var y: ClosedRange<Double>
  public var colormap: Colormap
  /// Color limits; `nil` means the data's range.
  public var limits: ClosedRange<Double>?
  public var colorbarLabel: String
  public var colorbar: Bool

  public init(
    values: [Double], rows: Int, columns: Int, x: ClosedRange<Double>? = nil, y: ClosedRange<Double>? = nil,
    colormap: Colormap = .viridis, limits: ClosedRange<Double>? = nil, colorbarLabel: String = "", colorbar: Bool = true
  ) {
    // rows × columns values: extra values are dropped, missing ones are NaN (drawn transparent).
    let (cells, overflow) = max(0, rows).multipliedReportingOverflow(by: max(0, columns))
    let fits = !overflow && cells <= values.count + (1 << 24)  // no padding bomb from a wrong shape: empty instead
    self.rows = fits ? max(0, rows) : 0
    self.columns = fits ? max(0, columns) : 0
    let n = fits ? cells : 0
    self.values = values.count >= n ? Array(values.prefix(n)) : values + [Double](repeating: .nan, count: n - values.count)
    self.x = x ?? 0...Double(max(0, columns))
    self.y = y ?? 0...Double(max(0, rows))
    self.colormap = colormap
    self.limits = limits
    self.colorbarLabel = colorbarLabel
    self.colorbar = colorbar
  }

  /// Color limits in force.
  public var range: ClosedRange<Double> {
    if let limits { return limits }
    // one pass, no copy (a 500 × 500 Gram heat map is asked for its range by every layout)
    var lo = Double.nan, hi = Double.nan
    for v in values where v.isFinite {
      if lo.isNaN || v < lo { lo = v }
      if hi.isNaN || v > hi { hi = v }
    }
    if lo.isNaN { (lo, hi) = (0, 1) }
    return lo < hi ? lo...hi : (lo - 0.5)...(hi + 0.5)
  }
}

/// A graph drawn in an axis-free panel: nodes at positions in [0, 1]², with labels, and edges.
/// Computation skeletons and their realizations are drawn this way (layers left to right).
public struct GraphDrawing: Sendable, Hashable {
  public struct Node: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var label: String
    public var style: Style
    public init(x: Double, y: Double, label: String, style: Style) {
      self.x = x
      self.y = y
      self.label = label
      self.style = style
    }
  }
  public enum Style: String, Sendable, Hashable { case input, hidden, output, pooling }
  public var nodes: [Node]
  public var edges: [(Int, Int)]

  public init(nodes: [Node], edges: [(Int, Int)]) {
    self.nodes = nodes
    self.edges = edges
  }

  public static func == (a: Self, b: Self) -> Bool {
    a.nodes == b.nodes && a.edges.map(\.0) == b.edges.map(\.0) && a.edges.map(\.1) == b.edges.map(\.1)
  }
  public func hash(into h: inout Hasher) {
    h.combine(nodes)
    for e in edges {
      h.combine(e.0)
      h.combine(e.1)
    }
  }

  /// Layered layout: nodes of level l in column l, spread evenly in their column.
  public static func layered(levels: [Int], labels: [String], styles: [Style], edges: [(Int, Int)]) -> GraphDrawing {
    let maxLevel = max(1, levels.max() ?? 1)
    var byLevel: [Int: [Int]] = [:]
    for (k, l) in levels.enumerated() { byLevel[l, default: []].append(k) }
    var nodes = [Node](repeating: Node(x: 0, y: 0, label: "", style: .hidden), count: levels.count)
    for (l, members) in byLevel {
      for (r, k) in members.enumerated() {
        let y = members.count == 1 ? 0.5 : 1 - Double(r) / Double(members.count - 1)
        nodes[k] = Node(x: Double(l) / Double(maxLevel), y: y, label: labels[k], style: styles[k])
      }
    }
    return GraphDrawing(nodes: nodes, edges: edges)
  }
}

/// A table drawn as a figure: header and rows of cells (TeX subset allowed), numbers aligned
/// right, with booktabs-style rules; `highlight` marks cells to emphasize (bold).
public struct TableFigure: Sendable, Hashable {
  public var columns: [String]
  public var rows: [[String]]
  public var highlight: Set<[Int]>
  public init(columns: [String], rows: [[String]], highlight: Set<[Int]> = []) {
    self.columns = columns
    self.rows = rows
    self.highlight = highlight
  }
}

/// What a panel draws.
public enum Mark: Sendable, Hashable {
  case line(LineSeries)
  case errorBars(ErrorBarSeries)
  case band(BandSeries)
  case reference(ReferenceLine)
  case histogram(Histogram)
  case heatmap(Heatmap)
  case graph(GraphDrawing)
  case table(TableFigure)

  /// Name shown in the legend (empty: none).
  var legendName: String {
    switch self {
    case .line(let s): return s.name
    case .errorBars(let s): return s.name
    case .band(let s): return s.name
    case .histogram(let h): return h.name
    case .reference, .heatmap, .graph, .table: return ""
    }
  }
}

/// An axis as the author specifies it.
public struct AxisSpec: Sendable, Hashable {
  /// Label (TeX subset allowed).
  public var label: String
  public var scale: ScaleKind
  /// Fixed limits; `nil` means from the data (with the theme's margin).
  public var limits: ClosedRange<Double>?
  public init(label: String = "", scale: ScaleKind = .linear, limits: ClosedRange<Double>? = nil) {
    self.label = label
    self.scale = scale
    self.limits = limits
  }
}

/// Where the legend goes; `.best` picks the corner that covers the fewest data points.
/// `.outside`: a strip right of the axes; `.above`: a strip above them, the box right-aligned
/// (where `.best` puts a heat map's legend: it costs a row, not a column of the cells).
public enum LegendPlacement: String, Sendable, Hashable, CaseIterable {
  case best, upperLeft, upperRight, lowerLeft, lowerRight, outside, above, none
}

/// One panel: axes and the marks drawn in them.
public struct Axes: Sendable, Hashable {
  public var title: String
  public var x: AxisSpec
  public var y: AxisSpec
  public var marks: [Mark]
  public var legend: LegendPlacement
  public var grid: Bool

  public init(
    title: String = "", x: AxisSpec = AxisSpec(), y: AxisSpec = AxisSpec(), lines: [LineSeries] = [],
    marks: [Mark] = [], legend: LegendPlacement = .best, grid: Bool = true
  ) {
    self.title = title
    self.x = x
    self.y = y
    self.marks = lines.map(Mark.line) + marks
    self.legend = legend
    self.grid = grid
  }

  public var lines: [LineSeries] { marks.compactMap { if case .line(let s) = $0 { return s } else { return nil } } }
  var heatmap: Heatmap? { marks.lazy.compactMap { if case .heatmap(let h) = $0 { return h } else { return nil } }.first }
  var graph: GraphDrawing? { marks.lazy.compactMap { if case .graph(let g) = $0 { return g } else { return nil } }.first }
  var table: TableFigure? { marks.lazy.compactMap { if case .table(let t) = $0 { return t } else { return nil } }.first }
}

/// A figure: a size in points and its panels in a grid.
public struct Figure: Sendable, Hashable {
  public var width: Double
  public var height: Double
  public var panels: [Axes]
  /// Panels per row (the grid has ⌈n/columns⌉ rows).
  public var columns: Int
  /// Letters (a), (b), … at the top left of each panel, when there is more than one.
  public var panelLetters: Bool
  /// Share the x axis down columns / the y axis along rows (one set of limits, inner labels hidden).
  public var sharedX: Bool
  public var sharedY: Bool

  public init(
    width: Double, height: Double, panels: [Axes], columns: Int? = nil, panelLetters: Bool = true,
    sharedX: Bool = false, sharedY: Bool = false
  ) {
    self.width = width
    self.height = height
    self.panels = panels
    self.columns = max(1, columns ?? panels.count)
    self.panelLetters = panelLetters
    self.sharedX = sharedX
    self.sharedY = sharedY
  }
}

extension Figure {
  /// The figure redrawn for a phone: `width` points wide, its panels stacked in one column, each
  /// as tall as its shape in the grid asks but at least 3/4 of the width (a phone screen is
  /// tall, its text stays at the theme's sizes). Panels that shared an x axis down a column of a
  /// grid of several columns no longer share it (they would share it with other columns').
  public func stacked(width phoneWidth: Double) -> Figure {
    let n = max(1, panels.count), cols = max(1, min(columns, n)), rows = (n + cols - 1) / cols
    let aspect = (height / Double(rows)) / (self.width / Double(cols))
    var f = self
    f.width = phoneWidth
    f.height = (phoneWidth * min(1.25, max(0.75, aspect))).rounded() * Double(n)
    f.columns = 1
    if cols > 1 {
      f.sharedX = false
      f.sharedY = false
    }
    return f
  }
}
