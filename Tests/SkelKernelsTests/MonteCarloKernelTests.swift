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
      let k = MonteCarloKernel.reluMLP(x, width: r, depth: 1, seed: UInt64(100 + s))
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

  /// The same seed gives the same bytes whatever the scheduling (chunked streams).
  @Test func deterministic() {
    let a = MonteCarloKernel.gaussianMatrix(rows: 300, columns: 17, seed: 3, label: "w")
    let b = MonteCarloKernel.gaussianMatrix(rows: 300, columns: 17, seed: 3, label: "w")
    #expect(a == b)
  }
}
