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
