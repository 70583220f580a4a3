import SkelExperiments
import SkelTestSupport
import Testing

/// The gram kind's table: per kernel the diagonal mean, the off-diagonal mean and sample s.d.
/// (i ≠ j, n(n−1) entries) and their ratio, recomputed here from the published matrices.
@Suite struct GramSummaryTableTests {
  @Test func tableSummarizesThePublishedMatrices() throws {
    let r = try run(
      "gram", ":inputs: gaussian(n=7, d=5, normalize=sphere)\n:network: [dense(w_std=1.5), relu, dense]\n:kernel: [nngp, ntk]")
    let table = try #require(r.table)
    #expect(table.columns == ["kernel", "diagonal", "off-diagonal", "off-diagonal s.d.", "ratio"])
    #expect(table.rows.map { $0[0] } == ["nngp", "ntk"])
    let arrays = try #require(r.arrays)
    for (row, a) in zip(table.rows, arrays) {
      let n = a.shape[0]
      let diagonal = (0..<n).map { a.values[$0 * n + $0] }
      let off = (0..<n).flatMap { i in (0..<n).filter { $0 != i }.map { a.values[i * n + $0] } }
      let d = diagonal.reduce(0, +) / Double(n), m = off.reduce(0, +) / Double(off.count)
      let sd = (off.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(off.count - 1)).squareRoot()
      let cells = row.dropFirst().map { Double($0) ?? .nan }
      expectClose(cells, [d, m, sd, m / d], relative: 1e-9, "\(row[0])")
      #expect(sd > 0 && m < d)
    }
  }

  /// A linear network on inputs scaled to ‖x‖² = d: K(x, x) = x·x/d = 1 on the diagonal.
  @Test func linearNetworkHasUnitDiagonal() throws {
    let r = try run("gram", ":inputs: gaussian(n=9, d=4, normalize=sphere)\n:network: [dense]")
    let row = try #require(r.table?.rows.first)
    expectClose(Double(row[1]) ?? .nan, 1, relative: 1e-9)
    expectClose(Double(row[4]) ?? .nan, Double(row[2]) ?? .nan, relative: 1e-9, "ratio = off-diagonal mean when the diagonal is 1")
  }

  /// A network with no weights and no bias is 0 everywhere: no ratio is published (not NaN).
  @Test func aZeroKernelHasNoRatio() throws {
    let r = try run("gram", ":inputs: gaussian(n=5, d=3)\n:network: [dense(w_std=0, b_std=0)]")
    let row = try #require(r.table?.rows.first)
    #expect(row == ["nngp", "0", "0", "0", ""])
  }
}
