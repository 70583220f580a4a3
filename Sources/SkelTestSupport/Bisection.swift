/// A root of `f` in [a, b] by plain bisection to the last bit: an independent reference for
/// tests of the engine's own root finding (fixed points, edges of chaos).
public func bisect(_ f: (Double) -> Double, _ a: Double, _ b: Double) -> Double {
  var (lo, hi) = (a, b)
  let flo = f(lo)
  for _ in 0..<200 {
    let mid = (lo + hi) / 2
    if mid == lo || mid == hi { break }
    if (f(mid) > 0) == (flo > 0) { lo = mid } else { hi = mid }
  }
  return (lo + hi) / 2
}
