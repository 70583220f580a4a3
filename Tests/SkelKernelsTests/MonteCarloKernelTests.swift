import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

@Suite struct MonteCarloKernelTests {
  /// Wide random ReLU networks approach the NNGP (science.md §5(c)). One entry of one draw has
  /// standard deviation at most √5·q/√r (Var[2 relu(z)²] = 5q² for z ~ N(0, q)); the mean of 8
  /// draws at width 4096 must lie within 4 of those standard deviations (÷ √8) of the closed form.
  @Test func approachesTheNNGP() throws {
    var g = SeededGenerator(seed: 1)
    let x = Matrix(rows: 3, columns: 50, storage: (0..<150).map { _ in g.nextNormal() })
    let draws = 8, r = 4096
    var mean = Matrix(rows: 3, columns: 3)
    for s in 0..<draws {
      let k = MonteCarloKernel.reluMLP(x, width: r, depth: 1, seed: UInt64(100 + s), compute: .allCores)
      for i in mean.storage.indices { mean.storage[i] += k.storage[i] / Double(draws) }
    }
    // NNGP of relu(√2 ·) with NT's input kernel x·x′/d: post-activation 2·relu kernel
    let k0 = x.gram(dividedBy: 50)
    let qMax = (0..<3).map { k0[$0, $0] }.max()!
    let tolerance = 4 * 5.0.squareRoot() * qMax / Double(r * draws).squareRoot()
    for i in 0..<3 {
      for j in 0..<3 {
        let exact = 2 * Activation.relu.kernel(q11: k0[i, i], q22: k0[j, j], q12: k0[i, j]).nngp
        expectClose(mean[i, j], exact, absolute: tolerance, "K[\(i),\(j)]")
      }
    }
  }

  /// The Gram route (L·Z with L Lᵀ = (2/fan_in) H Hᵀ) draws the same random kernel as the forward
  /// product: over 3000 draws each of a depth-2, width-12 network on 6 inputs in R^9, the mean of
  /// each entry agrees within 5 standard errors of the difference and its standard deviation within
  /// 10 % (the standard error of a sample standard deviation is ~2 % here). The routes really
  /// differ: with one seed they give different bytes (a silent fall-back to the forward product
  /// would give the same ones).
  @Test func gramRouteDrawsTheSameKernel() throws {
    var g = SeededGenerator(seed: 5)
    let x = Matrix(rows: 6, columns: 9, storage: (0..<54).map { _ in g.nextNormal() })
    let draws = 3000, entries = [(0, 1), (2, 2), (3, 5), (4, 0)]
    func moments(_ route: MonteCarloKernel.Route, seed0: UInt64) -> [(mean: Double, variance: Double)] {
      var sum = [Double](repeating: 0, count: entries.count), sq = sum
      for s in 0..<draws {
        let k = MonteCarloKernel.reluMLP(x, width: 12, depth: 2, seed: seed0 + UInt64(s), route: route, compute: .allCores)
        for (e, (i, j)) in entries.enumerated() {
          sum[e] += k[i, j]
          sq[e] += k[i, j] * k[i, j]
        }
      }
      return (0..<entries.count).map { e in
        let m = sum[e] / Double(draws)
        return (m, (sq[e] / Double(draws) - m * m) * Double(draws) / Double(draws - 1))
      }
    }
    let forward = moments(.forward, seed0: 1_000), gram = moments(.gram, seed0: 50_000)
    for (e, (a, b)) in zip(forward, gram).enumerated() {
      let se = ((a.variance + b.variance) / Double(draws)).squareRoot()
      #expect(abs(a.mean - b.mean) < 5 * se, "mean of K\(entries[e]): \(a.mean) vs \(b.mean) (s.e. \(se))")
      expectClose(b.variance.squareRoot(), a.variance.squareRoot(), relative: 0.1, "std of K\(entries[e])")
    }
    #expect(
      MonteCarloKernel.reluMLP(x, width: 12, depth: 2, seed: 7, route: .gram, compute: .allCores)
        != MonteCarloKernel.reluMLP(x, width: 12, depth: 2, seed: 7, route: .forward, compute: .allCores))
  }

  /// The route chosen for N = 200 inputs in R^300 at width 400 is the Gram one (fewer flops), and
  /// its bytes do not depend on the thread count (OpenBLAS's threaded dsyrk and dtrmm included).
  @Test func gramRouteIsThreadIndependent() {
    var g = SeededGenerator(seed: 8)
    let x = Matrix(rows: 200, columns: 300, storage: (0..<60_000).map { _ in g.nextNormal() })
    let two = MonteCarloKernel.reluMLP(x, width: 400, depth: 2, seed: 3, compute: Compute(threads: 2))
    #expect(two == MonteCarloKernel.reluMLP(x, width: 400, depth: 2, seed: 3, route: .gram, compute: Compute(threads: 2)))
    let one = MonteCarloKernel.reluMLP(x, width: 400, depth: 2, seed: 3, compute: .serial)
    #expect(one == two)
  }

  /// The same seed gives the same bytes whatever the scheduling (chunked streams).
  @Test func deterministic() {
    let a = MonteCarloKernel.gaussianMatrix(rows: 300, columns: 17, seed: 3, label: "w", compute: Compute(threads: 2))
    let b = MonteCarloKernel.gaussianMatrix(rows: 300, columns: 17, seed: 3, label: "w", compute: .serial)
    #expect(a == b)
  }
}
