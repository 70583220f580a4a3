import SkelMath
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct NormalSamplerTests {
  func phi(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

  /// 10⁶ ziggurat normals against Φ: Kolmogorov–Smirnov distance below its 0.1 % critical value
  /// (1.95/√n), moments within 5 standard errors, and the tail beyond the ziggurat's R = 3.4426
  /// (drawn by its own rejection step) and the wedges' region as often as Φ says, within 5 s.e.
  @Test func matchesTheGaussian() {
    var g = SeededGenerator(seed: 2024)
    let n = 1_000_000
    var z = (0..<n).map { _ in g.nextNormal() }
    let mean = z.reduce(0, +) / Double(n)
    let m2 = z.reduce(0) { $0 + $1 * $1 } / Double(n)
    let m4 = z.reduce(0) { $0 + $1 * $1 * $1 * $1 } / Double(n)
    #expect(abs(mean) < 5 / Double(n).squareRoot())
    #expect(abs(m2 - 1) < 5 * 2.0.squareRoot() / Double(n).squareRoot())
    #expect(abs(m4 - 3) < 5 * 96.0.squareRoot() / Double(n).squareRoot())
    for (edge, name) in [(3.442619855899, "tail"), (2.0, "2σ"), (0.5, "core")] {
      let p = 2 * (1 - phi(edge))
      let count = Double(z.filter { abs($0) > edge }.count)
      let se = (Double(n) * p * (1 - p)).squareRoot()
      #expect(abs(count - Double(n) * p) < 5 * se, "\(name): \(count) beyond \(edge), expected \(Double(n) * p) ± \(se)")
    }
    let positiveTail = Double(z.filter { $0 > 3.442619855899 }.count), allTail = Double(z.filter { abs($0) > 3.442619855899 }.count)
    #expect(abs(positiveTail / allTail - 0.5) < 5 * 0.5 / allTail.squareRoot(), "both tails")
    z.sort()
    var d = 0.0
    for (i, v) in z.enumerated() {
      let f = phi(v)
      d = max(d, abs(f - Double(i) / Double(n)), abs(f - Double(i + 1) / Double(n)))
    }
    #expect(d < 1.95 / Double(n).squareRoot(), "KS distance \(d)")
  }
}
