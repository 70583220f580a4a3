import SkelPlot

/// A text measurer with fixed metrics (0.6 em per character, tags ignored), so layout tests
/// assert numbers that do not depend on installed fonts.
public struct FixedMeasurer: TextMeasurer {
  public init() {}
  public func measure(markup: String, font: FontSpec) -> TextExtent {
    var visible = 0, inTag = false
    for c in markup {
      if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag { visible += 1 }
    }
    return TextExtent(width: Double(visible) * 0.6 * font.size, height: 1.2 * font.size, baseline: 0.95 * font.size)
  }
}
