import SkelDocument
import SkelPlot

/// `:xscale:` / `:yscale:`: the kind's own choice (`auto`), or a scale for every panel's axis.
public enum AxisScaleChoice: String, OptionChoice {
  case auto, linear, log, symlog

  var scale: ScaleKind? {
    switch self {
    case .auto: return nil
    case .linear: return .linear
    case .log: return .log
    case .symlog: return .symlog
    }
  }
}

/// `:legend:`: the kind's own placement (`auto`), none, outside the panel, or a corner.
public enum LegendChoice: String, OptionChoice {
  case auto, none, outside, best
  case upperLeft = "upper-left"
  case upperRight = "upper-right"
  case lowerLeft = "lower-left"
  case lowerRight = "lower-right"

  var placement: LegendPlacement? {
    switch self {
    case .auto: return nil
    case .none: return LegendPlacement.none
    case .outside: return .outside
    case .best: return .best
    case .upperLeft: return .upperLeft
    case .upperRight: return .upperRight
    case .lowerLeft: return .lowerLeft
    case .lowerRight: return .lowerRight
    }
  }
}

/// `:colormap:` of heat maps: the kind's own (`auto`) or one of SkelPlot's maps.
public enum ColormapChoice: String, OptionChoice {
  case auto, viridis, cividis, diverging, gray

  var colormap: Colormap? { self == .auto ? nil : Colormap(rawValue: rawValue) }
}

/// The plot options every figure kind takes (directives.md, "Plot options"). They change how
/// a result is drawn, never what is computed: presentation fields, outside the result's cache
/// key and inside the figure's (`CommonOptions.drawingText`).
public struct PlotOptions: Sendable, Hashable {
  public var xscale = AxisScaleChoice.auto
  public var yscale = AxisScaleChoice.auto
  /// `[a, b]` with a < b, or empty (from the data).
  public var xlim: [Double] = []
  public var ylim: [Double] = []
  public var legend = LegendChoice.auto
  public var colormap = ColormapChoice.auto

  public init() {}

  static let names: Set = ["xscale", "yscale", "xlim", "ylim", "legend", "colormap"]
  static let limitType = OptionType.list(.number(min: nil, max: nil), minCount: 0)

  /// Problems with values the option types cannot state (a limit of one number, a > b, a log
  /// axis whose limits are not positive), each at its option.
  func problems(at directive: Directive?, presentation: Presentation) -> [Diagnostic] {
    guard let directive else { return [] }
    var out: [Diagnostic] = []
    if presentation == .table, self != PlotOptions(), let o = directive.options.first(where: { Self.names.contains($0.key) }) {
      out.append(Diagnostic(at: o.keyLocation, "option '\(o.key)' draws axes, but '\(directive.kind)' is a table: remove it"))
    }
    for (name, lim, scale) in [("xlim", xlim, xscale), ("ylim", ylim, yscale)] where !lim.isEmpty {
      let at =
        directive.options.first { $0.key == name }.map { SourceLocation(path: $0.keyLocation.path, line: $0.line, column: $0.value.column) }
        ?? directive.kindLocation
      if lim.count != 2 {
        out.append(Diagnostic(at: at, "option '\(name)' needs two numbers [a, b], got \(lim.count)"))
      } else if !(lim[0] < lim[1]) || !lim.allSatisfy(\.isFinite) {
        out.append(Diagnostic(at: at, "option '\(name)' needs finite a < b, got [\(lim.map(OptionType.fmt).joined(separator: ", "))]"))
      } else if scale == .log && lim[0] <= 0 {
        out.append(
          Diagnostic(at: at, "option '\(name)' must be positive on a log axis (\(name.prefix(1))scale: log), got \(OptionType.fmt(lim[0]))")
        )
      }
    }
    return out
  }

  /// The figure as the options ask: every panel that has axes gets the scales, limits and
  /// legend placement; every heat map the colormap. Graph and table panels are left alone.
  public func apply(to figure: Figure) -> Figure {
    var out = figure
    for p in out.panels.indices {
      let panel = out.panels[p]
      let axisFree = panel.marks.contains {
        if case .graph = $0 { return true } else if case .table = $0 { return true } else { return false }
      }
      if axisFree { continue }
      if let s = xscale.scale { out.panels[p].x.scale = s }
      if let s = yscale.scale { out.panels[p].y.scale = s }
      if xlim.count == 2 { out.panels[p].x.limits = xlim[0]...xlim[1] }
      if ylim.count == 2 { out.panels[p].y.limits = ylim[0]...ylim[1] }
      if let l = legend.placement { out.panels[p].legend = l }
      if let map = colormap.colormap {
        out.panels[p].marks = panel.marks.map { mark in
          guard case .heatmap(var h) = mark else { return mark }
          h.colormap = map
          return .heatmap(h)
        }
      }
    }
    return out
  }
}
