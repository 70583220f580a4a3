import SkelDocument
import SkelPlot

/// `:xscale:` / `:yscale:`: the kind's own scale (`auto`), or one for every panel.
public enum AxisScaleChoice: String, OptionChoice {
  case auto, linear, log, symlog
  var scale: ScaleKind? { ScaleKind(rawValue: rawValue) }
}

/// `:legend:`: where the legend goes (`auto`: where the kind puts it).
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

/// `:colormap:` of heat maps (`auto`: the kind's own).
public enum ColormapChoice: String, OptionChoice {
  case auto, viridis, cividis, diverging, gray
  var colormap: Colormap? { Colormap(rawValue: rawValue) }
}

/// The plot options every figure kind has: presentation only (never in a result's cache key;
/// the figure's key holds them).
public struct PlotOptions: Sendable, Hashable {
  public var xscale = AxisScaleChoice.auto
  public var yscale = AxisScaleChoice.auto
  /// `[a, b]`, or empty: from the data.
  public var xlim: [Double] = []
  public var ylim: [Double] = []
  public var legend = LegendChoice.auto
  public var colormap = ColormapChoice.auto
  public init() {}

  /// The canonical text of the options (the figure cache key).
  public var canonical: String {
    [xscale.rawValue, yscale.rawValue, xlim.typed.canonical, ylim.typed.canonical, legend.rawValue, colormap.rawValue].joined(
      separator: ";")
  }

  /// `figure` with the options applied to every panel.
  public func apply(to figure: Figure?) -> Figure? {
    guard var f = figure else { return nil }
    for p in f.panels.indices {
      if let s = xscale.scale { f.panels[p].x.scale = s }
      if let s = yscale.scale { f.panels[p].y.scale = s }
      if xlim.count == 2 { f.panels[p].x.limits = xlim[0]...xlim[1] }
      if ylim.count == 2 { f.panels[p].y.limits = ylim[0]...ylim[1] }
      if let l = legend.placement { f.panels[p].legend = l }
      if let c = colormap.colormap {
        for m in f.panels[p].marks.indices {
          if case .heatmap(var h) = f.panels[p].marks[m] {
            h.colormap = c
            f.panels[p].marks[m] = .heatmap(h)
          }
        }
      }
    }
    return f
  }

  /// Limits that are not `[a, b]` with a < b, or not positive on a log axis: errors at the option.
  func problems(_ directive: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    for (name, lim, scale) in [("xlim", xlim, xscale), ("ylim", ylim, yscale)] {
      guard let raw = directive.options.first(where: { $0.key == name }) else { continue }
      let at = SourceLocation(path: raw.keyLocation.path, line: raw.keyLocation.line, column: raw.value.column)
      if lim.count != 2 || !(lim[0] < lim[1]) {
        out.append(Diagnostic(at: at, length: raw.value.length, "option '\(name)' must be [a, b] with a < b, got \(raw.value.text)"))
      } else if scale == .log, lim[0] <= 0 {
        out.append(Diagnostic(at: at, length: raw.value.length, "option '\(name)' must be positive on a log axis, got \(raw.value.text)"))
      }
    }
    return out
  }
}
