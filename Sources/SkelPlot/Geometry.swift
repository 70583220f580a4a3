#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// A point in figure space (points, origin top-left, y downwards).
public struct Point: Hashable, Sendable, Codable {
  public var x: Double
  public var y: Double
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }
}

/// An axis-aligned rectangle in points.
public struct Rect: Hashable, Sendable, Codable {
  public var x: Double
  public var y: Double
  public var width: Double
  public var height: Double
  public init(x: Double, y: Double, width: Double, height: Double) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }
  public var minX: Double { x }
  public var maxX: Double { x + width }
  public var minY: Double { y }
  public var maxY: Double { y + height }
  public func contains(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
  public func intersects(_ o: Rect) -> Bool {
    minX < o.maxX && o.minX < maxX && minY < o.maxY && o.minY < maxY
  }
}

/// An RGBA color with components in [0, 1].
public struct Color: Hashable, Sendable, Codable {
  public var red: Double, green: Double, blue: Double, alpha: Double
  public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
    self.red = red
    self.green = green
    self.blue = blue
    self.alpha = alpha
  }
  /// From a hex literal such as `0x0072B2`.
  public init(hex: UInt32, alpha: Double = 1) {
    self.init(
      red: Double((hex >> 16) & 0xFF) / 255, green: Double((hex >> 8) & 0xFF) / 255,
      blue: Double(hex & 0xFF) / 255, alpha: alpha)
  }
  /// WCAG 2 relative luminance of the colour (alpha ignored).
  public var relativeLuminance: Double {
    func linear(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
  }
  /// WCAG 2 contrast ratio with another colour, 1…21.
  public func contrastRatio(_ other: Color) -> Double {
    let (a, b) = (relativeLuminance, other.relativeLuminance)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
  }
  public static let black = Color(hex: 0x000000)
  public static let white = Color(hex: 0xFFFFFF)
  public func withAlpha(_ a: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: a) }
  /// `#rrggbb` for HTML and the backends.
  public var hexString: String {
    func c(_ v: Double) -> String {
      let s = String(Int((v * 255).rounded()), radix: 16)
      return s.count == 1 ? "0" + s : s
    }
    return "#" + c(red) + c(green) + c(blue)
  }
}
