/// Evenly spaced grids, as `linspace` and `logspace` in numpy.
public enum Grid {
  /// `count` points from `start` to `end`, both included.
  ///
  /// The last point is exactly `end` (not `start + (count-1)·step`), so `linspace(-1, 1, n)` ends at 1.
  public static func linspace(_ start: Double, _ end: Double, count: Int) -> [Double] {
    precondition(count >= 1, "linspace needs at least one point")
    if count == 1 { return [start] }
    let step = (end - start) / Double(count - 1)
    return (0..<count).map { i in i == count - 1 ? end : start + Double(i) * step }
  }

  /// `count` powers of ten, 10^start … 10^end.
  public static func logspace(_ start: Double, _ end: Double, count: Int) -> [Double] {
    linspace(start, end, count: count).map { pow10($0) }
  }

  private static func pow10(_ x: Double) -> Double {
    let rounded = x.rounded()
    if rounded == x, abs(x) < 300 {  // exact powers for integer exponents
      var r = 1.0
      for _ in 0..<Int(abs(x)) { r *= 10 }
      return x < 0 ? 1 / r : r
    }
    return _exp10(x)
  }
}

@inline(__always) func _exp10(_ x: Double) -> Double {
  #if canImport(Glibc)
    return Glibc.exp(x * 2.302585092994045684017991454684364208)
  #else
    return Darwin.exp(x * 2.302585092994045684017991454684364208)
  #endif
}

#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif
