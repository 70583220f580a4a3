/// Bracketed root finding.
public enum RootFinding {
  /// Brent's method on [a, b] with f(a)·f(b) ≤ 0: inverse quadratic interpolation, secant and
  /// bisection steps (Brent 1973, "Algorithms for Minimization without Derivatives", ch. 4).
  /// Returns nil when the interval does not bracket a root.
  public static func brent(
    _ f: (Double) -> Double, _ lower: Double, _ upper: Double, tolerance: Double = 1e-15, maxIterations: Int = 200
  ) -> Double? {
    var a = lower, b = upper
    var fa = f(a), fb = f(b)
    if fa == 0 { return a }
    if fb == 0 { return b }
    guard (fa < 0) != (fb < 0) else { return nil }
    var c = a, fc = fa, d = b - a, e = d
    for _ in 0..<maxIterations {
      if (fb < 0) == (fc < 0) {
        c = a
        fc = fa
        d = b - a
        e = d
      }
      if abs(fc) < abs(fb) {
        (a, b, c) = (b, c, b)
        (fa, fb, fc) = (fb, fc, fb)
      }
      let tol = 2 * Double.ulpOfOne * abs(b) + tolerance / 2
      let m = (c - b) / 2
      if abs(m) <= tol || fb == 0 { return b }
      if abs(e) >= tol && abs(fa) > abs(fb) {
        let s = fb / fa
        var p: Double, q: Double
        if a == c {
          p = 2 * m * s
          q = 1 - s
        } else {
          let qa = fa / fc, r = fb / fc
          p = s * (2 * m * qa * (qa - r) - (b - a) * (r - 1))
          q = (qa - 1) * (r - 1) * (s - 1)
        }
        if p > 0 { q = -q } else { p = -p }
        if 2 * p < min(3 * m * q - abs(tol * q), abs(e * q)) {
          e = d
          d = p / q
        } else {
          d = m
          e = m
        }
      } else {
        d = m
        e = m
      }
      a = b
      fa = fb
      b += abs(d) > tol ? d : (m > 0 ? tol : -tol)
      fb = f(b)
    }
    return b
  }
}
