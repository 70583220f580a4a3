/// Straight-line fits, as used for decay exponents on log–log axes.
public enum LeastSquares {
  /// Slope and intercept of the least-squares line y ≈ a + b·x.
  public static func line(x: [Double], y: [Double]) -> (slope: Double, intercept: Double) {
    precondition(x.count == y.count && x.count >= 2, "a line needs two points")
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
    var sxy = 0.0, sxx = 0.0
    for i in x.indices {
      sxy += (x[i] - mx) * (y[i] - my)
      sxx += (x[i] - mx) * (x[i] - mx)
    }
    let b = sxy / sxx
    return (b, my - b * mx)
  }

  /// The exponent p of y ≈ C·x^p fitted on log–log axes over the points with x in [lo, hi] and y > 0.
  public static func powerLawExponent(x: [Double], y: [Double], from lo: Double, to hi: Double) -> Double {
    var lx: [Double] = [], ly: [Double] = []
    for i in x.indices where x[i] >= lo && x[i] <= hi && y[i] > 0 && x[i] > 0 {
      lx.append(log(x[i]))
      ly.append(log(y[i]))
    }
    guard lx.count >= 2 else { return .nan }
    return line(x: lx, y: ly).slope
  }
}

#if canImport(Glibc)
  import Glibc
#endif
