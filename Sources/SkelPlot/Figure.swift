/// A line series: y over x, drawn as a polyline.
public struct LineSeries: Sendable, Hashable {
  /// Legend label (TeX subset allowed, e.g. `$L=16$`).
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var color: Color?
  public var dash: [Double]
  public init(name: String, x: [Double], y: [Double], color: Color? = nil, dash: [Double] = []) {
    precondition(x.count == y.count, "series '\(name)': \(x.count) x values but \(y.count) y values")
    self.name = name
    self.x = x
    self.y = y
    self.color = color
    self.dash = dash
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
public enum LegendPlacement: String, Sendable, Hashable, CaseIterable {
  case best, upperLeft, upperRight, lowerLeft, lowerRight, none
}

/// One panel: axes and the marks drawn in them.
public struct Axes: Sendable, Hashable {
  public var title: String
  public var x: AxisSpec
  public var y: AxisSpec
  public var lines: [LineSeries]
  public var legend: LegendPlacement
  public var grid: Bool
  public init(
    title: String = "", x: AxisSpec = AxisSpec(), y: AxisSpec = AxisSpec(), lines: [LineSeries] = [],
    legend: LegendPlacement = .best, grid: Bool = true
  ) {
    self.title = title
    self.x = x
    self.y = y
    self.lines = lines
    self.legend = legend
    self.grid = grid
  }
}

/// A figure: a size in points and its panels (one for now, laid out in a row).
public struct Figure: Sendable, Hashable {
  public var width: Double
  public var height: Double
  public var panels: [Axes]
  public init(width: Double, height: Double, panels: [Axes]) {
    self.width = width
    self.height = height
    self.panels = panels
  }
}
