import SkelMath
import SkelTestSupport
import Testing

@Suite struct GaussHermiteTests {
  /// E[Z^(2k)] = (2k − 1)!!; the rule of order n is exact up to degree 2n − 1.
  @Test(arguments: [5, 20, 64, 200, 600, 1200])
  func momentsAreExact(order: Int) {
    let rule = GaussHermite(order: order)
    expectClose(rule.weights.reduce(0, +), 1, absolute: 1e-13, "Σw")
    var doubleFactorial = 1.0
    for k in 1..<min(order, 12) {
      doubleFactorial *= Double(2 * k - 1)
      let m = rule.expectation { pow($0, Double(2 * k)) }
      // relative 1e-11: moments up to 23!! ≈ 3e11 summed from positive terms
      expectClose(m, doubleFactorial, relative: 1e-11, "E[Z^\(2 * k)] at order \(order)")
      expectClose(rule.expectation { pow($0, Double(2 * k - 1)) }, 0, absolute: 1e-9 * doubleFactorial, "odd moment")
    }
  }

  @Test func nodesAreSymmetricAndSorted() {
    let rule = GaussHermite(order: 41)
    #expect(rule.nodes == rule.nodes.sorted())
    for i in 0..<41 { expectClose(rule.nodes[i], -rule.nodes[40 - i], absolute: 1e-13) }
    expectClose(rule.nodes[20], 0, absolute: 1e-14, "middle node")
  }

  /// E[cos Z] = e^(−1/2): a smooth integrand converges to machine precision.
  @Test func smoothIntegrandConverges() {
    expectClose(GaussHermite(order: 40).expectation { cos($0) }, exp(-0.5), absolute: 1e-15)
  }
}

@Suite struct GridTests {
  @Test func linspaceEndsExactly() {
    let g = Grid.linspace(-1, 1, count: 401)
    #expect(g.count == 401)
    #expect(g.first == -1 && g.last == 1 && g[200] == 0)
    expectClose(g[300], 0.5, absolute: 1e-15)
  }

  @Test func logspaceIsExactAtIntegerExponents() {
    #expect(Grid.logspace(-2, 3, count: 6) == [0.01, 0.1, 1, 10, 100, 1000])
  }
}

@Suite struct SeededGeneratorTests {
  @Test func sameSeedSameStreamAndLabelsSplit() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
    let xs = (0..<100).map { _ in a.next() }, ys = (0..<100).map { _ in b.next() }
    #expect(xs == ys)
    var c = SeededGenerator(seed: 42, label: "fig-a"), d = SeededGenerator(seed: 42, label: "fig-b")
    #expect(c.next() != d.next())
  }

  /// Mean of 10⁵ uniforms: standard error 1/√(12·10⁵) ≈ 9.1e-4; 5 standard errors allowed.
  @Test func uniformsHaveTheRightMean() {
    var g = SeededGenerator(seed: 7)
    let n = 100_000
    var sum = 0.0
    for _ in 0..<n { sum += g.nextUniform() }
    expectClose(sum / Double(n), 0.5, absolute: 5 * (1.0 / (12.0 * Double(n))).squareRoot())
  }
}

@Suite struct MatrixTests {
  @Test func gramMatchesNaiveProduct() {
    var g = SeededGenerator(seed: 1)
    let x = Matrix(rows: 7, columns: 5, storage: (0..<35).map { _ in g.nextUniform() - 0.5 })
    let k = x.gram(dividedBy: 5)
    for i in 0..<7 {
      for j in 0..<7 {
        var s = 0.0
        for c in 0..<5 { s += x[i, c] * x[j, c] }
        expectClose(k[i, j], s / 5, absolute: 1e-15, "K[\(i),\(j)]")
      }
    }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
