#if canImport(Glibc)
  import Glibc
#else
  import Darwin
#endif

/// Tick locators: pure functions from an interval to tick values (matplotlib's `MaxNLocator`
/// idea, with the options passed in, never read from globals).
public enum TickLocator {
  /// Steps tried, times a power of ten.
  static let niceSteps: [Double] = [1, 2, 2.5, 5, 10]

  /// A "nice" step for at most `maxTicks` intervals over `[lower, upper]`.
  public static func niceStep(lower: Double, upper: Double, maxTicks: Int) -> Double {
    let span = upper - lower
    guard span > 0, span.isFinite else { return 1 }
    let raw = span / Double(max(1, maxTicks))
    let magnitude = pow(10, floor(log10(raw)))
    for s in niceSteps where s * magnitude >= raw * (1 - 1e-9) { return s * magnitude }
    return 10 * magnitude
  }

  /// Ticks at multiples of a nice step that lie in `[lower, upper]` (with a little slop for rounding).
  public static func linearTicks(lower: Double, upper: Double, maxTicks: Int = 6) -> [Double] {
    let step = niceStep(lower: lower, upper: upper, maxTicks: maxTicks)
    let eps = step * 1e-9
    let first = ceil((lower - eps) / step)
    let last = floor((upper + eps) / step)
    guard first <= last else { return [] }
    return stride(from: first, through: last, by: 1).map { k in
      let v = k * step
      return abs(v) < eps ? 0 : v  // no "-0"
    }
  }

  /// Decade ticks 10^k inside `[lower, upper]` (thinned to at most `maxTicks`).
  public static func logTicks(lower: Double, upper: Double, maxTicks: Int = 8) -> [Double] {
    guard lower > 0, upper > lower else { return [] }
    let a = Int(ceil(log10(lower) - 1e-9)), b = Int(floor(log10(upper) + 1e-9))
    guard a <= b else { return [] }
    let every = max(1, Int(ceil(Double(b - a + 1) / Double(maxTicks))))
    return stride(from: a, through: b, by: every).map { pow(10, Double($0)) }
  }

  /// Ticks 1, 2, 5 × 10^k inside `[lower, upper]`, for log axes spanning under two decades.
  public static func logTicks125(lower: Double, upper: Double) -> [Double] {
    guard lower > 0, upper > lower else { return [] }
    var ticks: [Double] = []
    for k in Int(floor(log10(lower)))...Int(ceil(log10(upper))) {
      for m in [1.0, 2, 5] {
        let v = m * pow(10, Double(k))
        if v >= lower * (1 - 1e-9) && v <= upper * (1 + 1e-9) { ticks.append(v) }
      }
    }
    return ticks
  }

  /// Symlog ticks: 0 and ±10^k (k ≥ 0) inside the interval, thinned to at most `maxTicks`.
  public static func symlogTicks(lower: Double, upper: Double, maxTicks: Int = 9) -> [Double] {
    var ticks: [Double] = []
    if lower <= 0 && upper >= 0 { ticks.append(0) }
    let big = max(abs(lower), abs(upper))
    guard big >= 1 else { return linearTicks(lower: lower, upper: upper) }
    let top = Int(floor(log10(big) + 1e-9))
    let every = max(1, Int(ceil(Double(2 * (top + 1) + 1) / Double(maxTicks))))
    for k in stride(from: 0, through: top, by: every) {
      let v = pow(10, Double(k))
      if v <= upper + 1e-9 * v { ticks.append(v) }
      if -v >= lower - 1e-9 * v { ticks.append(-v) }
    }
    return ticks.sorted()
  }

  /// Widens a degenerate interval (matplotlib's `nonsingular`).
  public static func nonsingular(_ lower: Double, _ upper: Double) -> (Double, Double) {
    if upper > lower { return (lower, upper) }
    let d = lower == 0 ? 1 : abs(lower) * 0.1
    return (lower - d, upper + d)
  }
}

/// Tick label formatting, through `NumberText` (the tables' and inline values' formatter): a
/// true minus (U+2212), exact zero as `0`, scientific notation as math (`2.5 × 10` and a
/// superscript `−3`, never `e-03`). Linear ticks share their number of decimals (`0.5`, `1.0`,
/// `1.5`); they are scientific when the largest is under 10⁻³ or at least 10⁶ (NumberText's fixed
/// range: −3 ≤ exponent, integers below 10⁶ whole), with one power of ten for the axis and the
/// mantissa digits the step needs.
public enum TickFormatter {
  /// Labels for linear ticks (also the colorbar's).
  public static func linearLabels(_ ticks: [Double]) -> [[TextRun]] {
    guard ticks.count > 1 else { return ticks.map { NumberText($0, significant: 3).runs } }
    let step = abs(ticks[1] - ticks[0])
    guard step > 0, step.isFinite else { return ticks.map { NumberText($0, significant: 3).runs } }
    let stepExponent = Int(floor(log10(step) + 1e-9))
    // steps like 0.25 or 2.5·10^k need one more digit
    let mantissa = step / pow(10, Double(stepExponent))
    let extra = abs(mantissa - 2.5) < 1e-6 ? 1 : 0
    let big = ticks.map { abs($0) }.max() ?? 0
    if big >= 1e6 || (big > 0 && big < 1e-3) {
      // one power of ten for the axis, the largest tick's: 0.5 × 10⁻⁴, 1.0 × 10⁻⁴, 1.5 × 10⁻⁴
      let e = Int(floor(log10(big) + 1e-9)), scale = pow(10, Double(e))
      return ticks.map { t in
        if t == 0 { return NumberText(0).runs }
        var n = NumberText(t / scale, fixedDecimals: max(0, e - stepExponent + extra))
        n.exponent = e
        return n.runs
      }
    }
    let decimals = max(0, -stepExponent + extra)
    return ticks.map { t in t == 0 ? NumberText(0).runs : NumberText(t, fixedDecimals: decimals).runs }
  }

  /// Labels 10^k with a superscript exponent (and ±10^k, 0 for symlog).
  public static func logLabels(_ ticks: [Double]) -> [[TextRun]] {
    ticks.map { t in
      if t == 0 { return NumberText(0).runs }
      if t < 0 {
        var minus: [TextRun] = .plain("\u{2212}")
        minus.appendRuns(logLabels([-t])[0])
        return minus
      }
      let k = Int(log10(t).rounded())
      switch k {
      case 0: return .plain("1")
      case 1: return .plain("10")
      default: return [TextRun("10"), exponent(k)]
      }
    }
  }

  /// Each value with the digits it needs (0.02, 0.5, 20), for 1-2-5 log ticks.
  public static func plainLabels(_ ticks: [Double]) -> [[TextRun]] {
    ticks.map { NumberText($0, significant: 3).runs }
  }

  /// The exponent k of 10^k as a superscript run, with a true minus sign.
  static func exponent(_ k: Int) -> TextRun {
    TextRun("\(k < 0 ? "\u{2212}" : "")\(abs(k))", scripts: [.superscript])
  }
}
