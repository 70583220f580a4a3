/// Every style decision of a figure, passed in (never read from a global, unlike rcParams).
public struct Theme: Sendable, Hashable {
  public var background: Color?
  public var foreground: Color
  public var gridColor: Color
  public var textFamily: String
  public var mathFamily: String
  public var tickFontSize: Double
  public var labelFontSize: Double
  public var titleFontSize: Double
  public var legendFontSize: Double
  public var lineWidth: Double
  public var axisLineWidth: Double
  public var tickLength: Double
  /// Color cycle for series (Okabe & Ito 2008, safe for color-blind readers).
  public var cycle: [Color]
  /// Fractional margins added around the data range when limits are automatic.
  public var xMargin: Double
  public var yMargin: Double

  public init(
    background: Color?, foreground: Color, gridColor: Color, textFamily: String,
    mathFamily: String, tickFontSize: Double, labelFontSize: Double, titleFontSize: Double,
    legendFontSize: Double, lineWidth: Double, axisLineWidth: Double, tickLength: Double,
    cycle: [Color], xMargin: Double, yMargin: Double
  ) {
    self.background = background
    self.foreground = foreground
    self.gridColor = gridColor
    self.textFamily = textFamily
    self.mathFamily = mathFamily
    self.tickFontSize = tickFontSize
    self.labelFontSize = labelFontSize
    self.titleFontSize = titleFontSize
    self.legendFontSize = legendFontSize
    self.lineWidth = lineWidth
    self.axisLineWidth = axisLineWidth
    self.tickLength = tickLength
    self.cycle = cycle
    self.xMargin = xMargin
    self.yMargin = yMargin
  }

  public static let okabeIto: [Color] = [
    Color(hex: 0x0072B2), Color(hex: 0xD55E00), Color(hex: 0x009E73), Color(hex: 0xCC79A7),
    Color(hex: 0xE69F00), Color(hex: 0x56B4E9), Color(hex: 0xF0E442), Color(hex: 0x000000),
  ]

  /// The site's dark theme (for `prefers-color-scheme: dark`).
  public static let dark = Theme(
    background: Color(hex: 0x1B1D21), foreground: Color(hex: 0xE4E6EA), gridColor: Color(hex: 0x3A3D44),
    textFamily: "DejaVu Sans", mathFamily: "DejaVu Serif", tickFontSize: 8.5, labelFontSize: 10,
    titleFontSize: 10.5, legendFontSize: 8.5, lineWidth: 1.6, axisLineWidth: 0.8, tickLength: 3.5,
    cycle: [
      Color(hex: 0x56B4E9), Color(hex: 0xE69F00), Color(hex: 0x009E73), Color(hex: 0xCC79A7),
      Color(hex: 0xF0E442), Color(hex: 0xD55E00), Color(hex: 0x0072B2), Color(hex: 0xFFFFFF),
    ],
    xMargin: 0, yMargin: 0.05)

  /// Paper figures (`skelreport figures`): no background, serif text at caption sizes, thinner lines.
  public static let print = Theme(
    background: nil, foreground: .black, gridColor: Color(hex: 0xE8E8E8), textFamily: "DejaVu Serif",
    mathFamily: "DejaVu Serif", tickFontSize: 7, labelFontSize: 8, titleFontSize: 8.5, legendFontSize: 7,
    lineWidth: 1.1, axisLineWidth: 0.6, tickLength: 3, cycle: okabeIto, xMargin: 0, yMargin: 0.05)

  /// The site's light theme.
  public static let light = Theme(
    background: .white, foreground: Color(hex: 0x222222), gridColor: Color(hex: 0xE5E5E5),
    textFamily: "DejaVu Sans", mathFamily: "DejaVu Serif", tickFontSize: 8.5, labelFontSize: 10,
    titleFontSize: 10.5, legendFontSize: 8.5, lineWidth: 1.6, axisLineWidth: 0.8, tickLength: 3.5,
    cycle: okabeIto, xMargin: 0, yMargin: 0.05)
}
