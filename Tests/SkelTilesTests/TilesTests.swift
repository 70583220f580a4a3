import Foundation
import SkelData
import SkelKernels
import SkelMath
import SkelTiles
import Testing

/// Inputs with unequal norms (rows scaled by 0.5 … 1.5), a fixed seed.
func tileInputs(_ n: Int, _ d: Int, seed: UInt64 = 7) -> Matrix {
  var g = SeededGenerator(seed: seed)
  var x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in g.nextNormal() })
  for i in 0..<n { for k in 0..<d { x.storage[i * d + k] *= 0.5 + Double(i % 11) / 10 } }
  return x
}

let reluMLP3 = FastMLPKernel.Shape(depth: 3, w2: 2, b2: 0.01, wOut2: 1, bOut2: 0, a: 0, b: 1)

func maxRelative(_ a: [Double], _ b: [Double]) -> Double {
  zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-300) }.max() ?? 0
}

@Suite struct SymmetricTilesTests {
  /// A symmetric matrix with entries that identify their position.
  static func symmetric(_ n: Int) -> Matrix {
    var a = Matrix(rows: n, columns: n)
    for i in 0..<n { for j in 0..<n { a[i, j] = Double(min(i, j)) * 0.37 + Double(max(i, j)) * 1.1 + sin(Double(i * j)) } }
    return a
  }

  @Test(arguments: [(1, 1), (7, 3), (64, 64), (100, 32), (101, 50)])
  func productEqualsTheDenseProduct(_ nt: (Int, Int)) throws {
    let (n, t) = nt
    let a = Self.symmetric(n)
    var g = SeededGenerator(seed: 3)
    let v = Matrix(rows: n, columns: 5, storage: (0..<(n * 5)).map { _ in g.nextNormal() })
    let tiles = DenseTiles(a, tileSize: t)
    let y = try tiles.multiply(v), want = a * v
    #expect(maxRelative(y.storage, want.storage) < 1e-12)
    #expect(try tiles.dense() == a)
  }

  @Test func blockAverageIsTheMeanOverEachCell() throws {
    let n = 103, m = 10
    let a = Self.symmetric(n)
    let avg = try DenseTiles(a, tileSize: 17).blockAverage(cells: m)
    // cell r covers ⌊r n/m⌋ ..< ⌊(r+1) n/m⌋
    for r in 0..<m {
      for c in 0..<m {
        let rr = (r * n / m)..<((r + 1) * n / m), cc = (c * n / m)..<((c + 1) * n / m)
        var s = 0.0
        for i in rr { for j in cc { s += a[i, j] } }
        let want = s / Double(rr.count * cc.count)
        #expect(abs(avg[r, c] - want) <= 1e-12 * abs(want), "cell \(r), \(c)")
      }
    }
  }
}

@Suite struct BlockLanczosTests {
  /// A = Q diag(λ) Qᵀ with a known spectrum decaying like a kernel's.
  @Test func topEigenvaluesOfAKnownSpectrum() throws {
    let n = 400
    var g = SeededGenerator(seed: 11)
    let q = try Matrix.randomOrthonormalColumns(rows: n, columns: n, generator: &g)
    let lambda = (0..<n).map { 10 * pow(0.8, Double($0)) + 1e-6 }
    var ql = q
    for i in 0..<n { for j in 0..<n { ql[i, j] *= lambda[j] } }
    let a = ql * q.transposed
    let r = try BlockLanczos.largestEigenvalues(order: n, count: 20) { try DenseTiles(a, tileSize: 128).multiply($0) }
    #expect(r.converged)
    #expect(maxRelative(r.values, Array(lambda.prefix(20))) < 1e-10, "\(r)")
  }

  /// The top 20 of an NNGP Gram matrix (N = 600, ReLU MLP, L = 3) against dsyevd.
  @Test func topEigenvaluesOfAnNNGPMatchDense() throws {
    let x = tileInputs(600, 50)
    let k = FastMLPKernel.run(reluMLP3, inputs: x, computeNTK: false, compute: .serial).nngp
    let all: [Double] = try k.symmetricEigenvalues()
    let dense: [Double] = Array(all.reversed().prefix(20))
    let r = try BlockLanczos.largestEigenvalues(order: 600, count: 20) { try DenseTiles(k, tileSize: 160).multiply($0) }
    #expect(r.converged)
    #expect(maxRelative(r.values, dense) < 1e-9, "\(r.values) vs \(dense)")
    #expect(r.products < 30)
    // the reported bounds hold (up to rounding in dsyevd's own values)
    for i in 0..<20 { #expect(abs(r.values[i] - dense[i]) <= r.errorBounds[i] + 1e-13 * dense[0], "value \(i)") }
  }

  /// The spectrum the N = 8000, d = 784 bench matrix has, at a size that runs in a second: the
  /// NNGP of a ReLU MLP (L = 3) on N = 1500 gaussian inputs of d = 120, whose top eigenvalues after
  /// the first sit at the edge of a Marchenko–Pastur bulk (120 eigenvalues, gaps of a few 10⁻³
  /// relative). A basis bound of 120 columns (blocks of 24) forces thick restarts: the run still
  /// certifies all 20 to 1e-10 relative, every bound holds against dsyevd, and the values agree
  /// to 1e-10 — while without restarts the same basis stops uncertified.
  @Test func thickRestartsCertifyClusteredValuesWithinABoundedBasis() throws {
    var g = SeededGenerator(seed: 5)
    let n = 1500, d = 120
    let x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in g.nextNormal() })
    let k = FastMLPKernel.run(reluMLP3, inputs: x, computeNTK: false, compute: .serial).nngp
    let dense = Array(try k.symmetricEigenvalues().reversed().prefix(21))
    let gaps = (1..<20).map { (dense[$0] - dense[$0 + 1]) / dense[$0] }
    #expect(gaps.min() ?? 1 < 1e-2, "the clustered spectrum this test is about: \(gaps)")
    let tiles = DenseTiles(k, tileSize: 500)
    let r = try BlockLanczos.largestEigenvalues(order: n, count: 20, block: 24, maxBasis: 120, maxProducts: 60, tolerance: 1e-10) {
      try tiles.multiply($0)
    }
    #expect(r.converged && r.restarts > 0, "\(r.products) products, \(r.restarts) restarts, bounds \(r.errorBounds)")
    #expect(maxRelative(r.values, Array(dense.prefix(20))) < 1e-10, "\(r.values) vs \(dense)")
    for i in 0..<20 {
      #expect(r.values[i] <= dense[i] + 1e-13 * dense[0], "a Ritz value is at most its eigenvalue (\(i))")
      #expect(dense[i] - r.values[i] <= r.errorBounds[i] + 1e-13 * dense[0], "the bound holds (\(i))")
    }
    let once = try BlockLanczos.largestEigenvalues(order: n, count: 20, block: 24, maxBasis: 120, maxProducts: 5, tolerance: 1e-10) {
      try tiles.multiply($0)
    }
    #expect(!once.converged && once.restarts == 0 && once.products == 5)
  }

  @Test func smallOrdersAndZeroCount() throws {
    let a = Matrix(rows: 3, columns: 3, storage: [2, 1, 0, 1, 2, 1, 0, 1, 2])
    let r = try BlockLanczos.largestEigenvalues(order: 3, count: 5) { try DenseTiles(a, tileSize: 2).multiply($0) }
    // 2 + √2, 2, 2 − √2
    #expect(maxRelative(r.values, [2 + 2.0.squareRoot(), 2, 2 - 2.0.squareRoot()]) < 1e-13)
    #expect(try BlockLanczos.largestEigenvalues(order: 3, count: 0) { $0 }.values.isEmpty)
  }
}

@Suite struct TiledKernelTests {
  /// Tile by tile gives the in-memory fused path's matrices bit for bit (same strips and tiles),
  /// with partial tiles at the edge.
  @Test(arguments: [320, 640])
  func tilesEqualTheInMemoryPath(_ tileSize: Int) throws {
    let n = 1000
    let x = tileInputs(n, 30)
    let whole = FastMLPKernel.run(reluMLP3, inputs: x, computeNTK: true, compute: .allCores)
    var seen = 0
    try FastMLPKernel.forEachTile(reluMLP3, inputs: x, computeNTK: true, tileSize: tileSize, compute: .allCores) { bi, bj, k, t in
      let r0 = bi * tileSize, c0 = bj * tileSize
      let rows = min(tileSize, n - r0), cols = min(tileSize, n - c0)
      #expect(k.count == rows * cols)
      let ntk = try #require(t)
      var worst = 0
      for r in 0..<rows {
        for c in 0..<cols where k[r * cols + c] != whole.nngp[r0 + r, c0 + c] || ntk[r * cols + c] != whole.ntk![r0 + r, c0 + c] {
          worst += 1
        }
      }
      #expect(worst == 0, "tile \(bi), \(bj): \(worst) entries differ")
      seen += 1
    }
    let t = (n + tileSize - 1) / tileSize
    #expect(seen == t * (t + 1) / 2)
  }
}

@Suite struct GramTileStoreTests {
  static func folder() -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("skeltiles-\(UUID().uuidString)").path
    return d
  }

  static func writeStore(_ x: Matrix, tileSize: Int, in dir: String) throws -> GramTileStore {
    let w = try GramTileWriter(directory: dir, name: "nngp", order: x.rows, tileSize: tileSize)
    try FastMLPKernel.forEachTile(reluMLP3, inputs: x, computeNTK: false, tileSize: tileSize, compute: .allCores) { bi, bj, k, _ in
      try w.write(bi, bj, k)
    }
    return try w.finish()
  }

  @Test func roundTripThroughFilesIsExactAndNumPyReadable() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let x = tileInputs(700, 20)
    let store = try Self.writeStore(x, tileSize: 320, in: dir)
    let whole = FastMLPKernel.run(reluMLP3, inputs: x, computeNTK: false, compute: .allCores).nngp
    #expect(try store.dense() == whole)
    // a tile is a NumPy file: our independent .npy reader sees its shape and values
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/nngp-1-2.npy")))
    let set = try NPY.read(bytes)
    #expect(set.shape == [320, 60])
    #expect(set.values[0] == whole[320, 640] && set.values[320 * 60 - 1] == whole[639, 699])
    // reopening from the manifest alone
    let again = try GramTileStore(directory: dir, name: "nngp")
    #expect(again.order == 700 && again.tileSize == 320)
    #expect(
      try again.multiply(Matrix(rows: 700, columns: 1, repeating: 1)).storage
        == (try store.multiply(Matrix(rows: 700, columns: 1, repeating: 1))).storage)
  }

  @Test func aDamagedOrTruncatedTileIsAnErrorNotAResult() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let store = try Self.writeStore(tileInputs(400, 10), tileSize: 320, in: dir)
    let path = dir + "/nngp-0-1.npy"
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 3] ^= 0x10  // one bit of one value
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    #expect(throws: TileStoreError.damaged(path: path, reason: "checksum mismatch")) { try store.withTile(0, 1) { $0[0] } }
    try Data(bytes.prefix(bytes.count - 8)).write(to: URL(fileURLWithPath: path))
    #expect(throws: TileStoreError.self) { try store.multiply(Matrix(rows: 400, columns: 1, repeating: 1)) }
    // the other tiles still read
    #expect(try store.withTile(0, 0) { $0.count } == 320 * 320)
  }

  @Test func aStoreWithoutItsManifestIsIncomplete() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let w = try GramTileWriter(directory: dir, name: "nngp", order: 10, tileSize: 4)
    try [Double](repeating: 1, count: 16).withUnsafeBufferPointer { try w.write(0, 0, $0) }
    #expect(throws: TileStoreError.incomplete(directory: dir, missing: 5)) { try w.finish() }
    #expect(throws: TileStoreError.self) { try GramTileStore(directory: dir, name: "nngp") }
  }

  /// Two writers of one tile: the first one's bytes stay, the second neither fails nor replaces
  /// them, and no temporary file is left.
  @Test func concurrentWritersOfOneTileAreHarmless() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let w = try GramTileWriter(directory: dir, name: "k", order: 4, tileSize: 4)
    try [Double](repeating: 1, count: 16).withUnsafeBufferPointer { try w.write(0, 0, $0) }
    try [Double](repeating: 2, count: 16).withUnsafeBufferPointer { try w.write(0, 0, $0) }
    let store = try w.finish()
    #expect(try store.withTile(0, 0) { Array($0) } == [Double](repeating: 1, count: 16))
    let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
    #expect(files.count == 3 && files[0] == "k-0-0.npy" && files[1] == "k.manifest.json" && files[2].hasPrefix("k.sums."))
    #expect(!files.contains { $0.hasSuffix(".tmp") })
  }

  /// Durability is batched: a tile linked but not yet synced is not trusted (a crash before the
  /// batch's `sync` leaves such tiles, with any bytes); a later writer replaces bytes that are not
  /// the tile's, adopts the same bytes, and the store completes only from vouched-for tiles.
  @Test func aTileNotSyncedIsNotTrustedAndIsReplacedIfWrong() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let ones = [Double](repeating: 1, count: 16), twos = [Double](repeating: 2, count: 16)
    let crashed = try GramTileWriter(directory: dir, name: "k", order: 8, tileSize: 4)
    try ones.withUnsafeBufferPointer { try crashed.write(0, 0, $0) }
    try twos.withUnsafeBufferPointer { try crashed.write(0, 1, $0) }
    // "crash": no sync. A garbage tile (1, 1) as a torn write might leave it
    let garbage = (NPY.header(shape: [4, 4], alignment: 4096) ?? []) + [UInt8](repeating: 0xAB, count: 128)
    try Data(garbage).write(to: URL(fileURLWithPath: dir + "/k-1-1.npy"))
    let next = try GramTileWriter(directory: dir, name: "k", order: 8, tileSize: 4)
    #expect(next.trusted().isEmpty)
    #expect(!next.has(0, 0))
    #expect(throws: TileStoreError.incomplete(directory: dir, missing: 3)) { try next.finish() }
    try ones.withUnsafeBufferPointer { try next.write(0, 0, $0) }  // the same bytes: adopted
    try twos.withUnsafeBufferPointer { try next.write(0, 1, $0) }
    let threes = [Double](repeating: 3, count: 16)
    try threes.withUnsafeBufferPointer { try next.write(1, 1, $0) }  // not these bytes: replaced
    let store = try next.finish()
    #expect(try store.withTile(1, 1) { Array($0) } == threes)
    #expect(try store.dense()[0, 0] == 1 && (try store.dense())[0, 4] == 2 && (try store.dense())[4, 0] == 2)
    #expect(next.trusted().count == 3)
    let files = try FileManager.default.contentsOfDirectory(atPath: dir)
    #expect(!files.contains { $0.hasSuffix(".tmp") })
  }
}
