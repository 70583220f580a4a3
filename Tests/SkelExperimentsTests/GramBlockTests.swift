import Foundation
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelMath
import Testing

/// `GramKind.kernels(_:rows:columns:)` is the function a tiled build calls block by block: a
/// block between two row ranges of a batch equals that block of the whole Gram matrix (computed
/// on FastMLPKernel's fused path), and the memory estimate covers the matrices the run returns.
@Suite struct GramBlockTests {
  static func batch(_ rows: Range<Int>, d: Int = 5) -> SkelKernels.InputBatch {
    var values: [Double] = []
    for i in rows {
      for c in 0..<d { values.append(1.5 * sin(0.37 * Double(i * d + c) + 0.1 * Double(c))) }
    }
    return SkelKernels.InputBatch(shape: InputShape(channels: d), count: rows.count, storage: values)!
  }

  /// A network that starts with `flatten` runs on the images as vectors (`GramKind.kernels`):
  /// the Gram and cross-Gram equal the pair engine's on the spatial inputs (`Network.kernel` with
  /// the flatten) to 1e-13, for a ReLU MLP (FastMLPKernel's path) and an erf one.
  @Test(arguments: [
    Network.serial([
      .flatten, .dense(DenseLayer(wStd: 1.4, bStd: 0.1)), .activation(.abRelu(a: 0, b: 1)), .dense(DenseLayer(wStd: 1.4, bStd: 0.1)),
      .activation(.abRelu(a: 0, b: 1)), .dense(DenseLayer(bStd: 0.1)),
    ]),
    Network.serial([.flatten, .dense(DenseLayer(wStd: 1.3)), .activation(.erf(a: 1, b: 1, c: 0)), .dense(DenseLayer())]),
  ])
  func flattenFirstRunsOnVectors(_ network: Network) throws {
    func images(_ rows: Range<Int>) -> SkelKernels.InputBatch {
      let v = Self.batch(rows, d: 12)
      return SkelKernels.InputBatch(shape: InputShape(spatial: [2, 3], channels: 2), count: v.count, storage: v.storage)!
    }
    let (a, b) = (images(0..<40), images(40..<47))
    let fast = try GramKind.kernels(network, rows: a, kernels: [.nngp, .ntk])
    let cross = try GramKind.kernels(network, rows: b, columns: a, kernels: [.nngp, .ntk])
    let pairs = try network.kernel(a), pairsCross = try network.kernel(b, a)
    var worst = 0.0
    for (m, ref) in [(fast[0], pairs.nngp), (fast[1], pairs.ntk!), (cross[0], pairsCross.nngp), (cross[1], pairsCross.ntk!)] {
      #expect(m.rows == ref.rows && m.columns == ref.columns)
      for (x, y) in zip(m.storage, ref.storage) { worst = max(worst, abs(x - y) / abs(y)) }
    }
    #expect(worst < 1e-13, "worst relative difference \(worst)")
  }

  @Test(arguments: [
    "[dense(w_std=1.4142135623730951, b_std=0.2), relu, dense(w_std=1.4142135623730951, b_std=0.2), relu, dense]",
    "[dense(w_std=1.3), erf, dense]",
  ])
  func aBlockIsTheBlockOfTheWholeMatrix(_ spelling: String) throws {
    let source = SourceFile(path: "c.md", text: "```{kernel} gram\n:network: \(spelling)\n\nC.\n```\n")
    let (doc, _) = DocumentParser.parse(source, name: "c")
    let resolved = try #require(DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas).0)
    let typed = try #require(resolved.values["network"])
    let network = try #require(NetworkValue(typed: typed)?.network)
    let whole = try GramKind.kernels(network, rows: Self.batch(0..<48), kernels: [.nngp, .ntk])
    let block = try GramKind.kernels(network, rows: Self.batch(8..<20), columns: Self.batch(30..<48), kernels: [.nngp, .ntk])
    var worst = 0.0
    for k in 0..<2 {
      #expect(block[k].rows == 12 && block[k].columns == 18)
      for i in 0..<12 {
        for j in 0..<18 { worst = max(worst, abs(block[k][i, j] / whole[k][8 + i, 30 + j] - 1)) }
      }
    }
    #expect(worst < 1e-12, "\(spelling): worst relative difference \(worst)")
  }

  /// The estimate covers the result's arrays (the full matrices and the JSON copy) and is within
  /// a small factor of them.
  @Test func memoryEstimateCoversTheMatrices() throws {
    let o = resolved("gram", ":inputs: gaussian(n=120, d=6)\n:kernel: [nngp, ntk]")
    let k = try #require(ExperimentRegistry.standard.kinds["gram"])
    let r = try k.run(o, context: RunContext(seed: 3))
    let arrays = try #require(r.arrays)
    #expect(arrays.map(\.shape) == [[120, 120], [120, 120]] && arrays.map(\.name) == ["nngp", "ntk"])
    let actual = 8 * (arrays.reduce(0) { $0 + $1.values.count } + (r.grids ?? []).reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } })
    let estimate = try #require(try k.cost(o).bytes)
    #expect(estimate >= actual && estimate <= 8 * actual, "estimate \(estimate) vs actual \(actual)")
  }
}
