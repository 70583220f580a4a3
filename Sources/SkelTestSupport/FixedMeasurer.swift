import SkelPlot

/// A text measurer with fixed metrics (0.6 em per character of the runs, styles and scripts
/// ignored), so layout tests assert numbers that do not depend on installed fonts.
public struct FixedMeasurer: TextMeasurer {
  public init() {}
  public func measure(runs: [TextRun], font: FontSpec) -> TextExtent {
    let visible = runs.reduce(0) { $0 + $1.text.count }
    return TextExtent(width: Double(visible) * 0.6 * font.size, height: 1.2 * font.size, baseline: 0.95 * font.size)
  }
}
