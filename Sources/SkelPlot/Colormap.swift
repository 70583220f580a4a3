/// Colormaps, by 21 anchors sampled from matplotlib 3.11's (viridis and cividis are CC0;
/// diverging is ColorBrewer's RdBu reversed), interpolated linearly in RGB. Viridis and cividis are perceptually uniform and safe for
/// color-blind readers; `diverging` (blue–white–red) is for signed data centred on zero.
public enum Colormap: String, Sendable, Hashable, CaseIterable, Codable {
  case viridis, cividis, diverging, gray

  var anchors: [UInt32] {
    switch self {
    case .viridis:
      return [
        0x440154, 0x471365, 0x482475, 0x463480, 0x414487, 0x3B528B, 0x355F8D, 0x2F6C8E, 0x2A788E, 0x25848E,
        0x21918C, 0x1E9C89, 0x22A884, 0x2FB47C, 0x44BF70, 0x5EC962, 0x7AD151, 0x9BD93C, 0xBDDF26, 0xDFE318,
        0xFDE725,
      ]
    case .cividis:
      return [
        0x00224E, 0x002B62, 0x083370, 0x243C6E, 0x35456C, 0x434E6C, 0x4F576C, 0x5B606E, 0x666970, 0x727274,
        0x7D7C78, 0x888578, 0x948E77, 0xA19975, 0xAEA371, 0xBCAE6C, 0xC8B866, 0xD6C35D, 0xE5CF52, 0xF3DB42,
        0xFEE838,
      ]
    case .diverging:
      return [0x053061, 0x2166AC, 0x4393C3, 0x92C5DE, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xF4A582, 0xD6604D, 0xB2182B, 0x67001F]
    case .gray:
      return [0x000000, 0xFFFFFF]
    }
  }

  /// The color at t ∈ [0, 1] (clamped; NaN gives transparent).
  public func color(at t: Double) -> Color {
    guard t.isFinite else { return Color(red: 0, green: 0, blue: 0, alpha: 0) }
    let a = anchors
    let s = min(1, max(0, t)) * Double(a.count - 1)
    let k = min(a.count - 2, Int(s))
    let f = s - Double(k)
    let c0 = Color(hex: a[k]), c1 = Color(hex: a[k + 1])
    return Color(
      red: c0.red + f * (c1.red - c0.red), green: c0.green + f * (c1.green - c0.green), blue: c0.blue + f * (c1.blue - c0.blue))
  }

  /// 8-bit RGBA lookup table of 256 entries (for rasterizing heat maps quickly).
  public var lookupTable: [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(1024)
    for i in 0..<256 {
      let c = color(at: Double(i) / 255)
      out += [UInt8((c.red * 255).rounded()), UInt8((c.green * 255).rounded()), UInt8((c.blue * 255).rounded()), 255]
    }
    return out
  }
}
