import Foundation
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelMath
import SkelTiles
import Testing

/// `gram`'s `:storage: tiles`: the Gram matrix computed tile by tile into a `GramTileStore` and
/// read tile by tile. The stored matrix is the in-memory one (bit for bit on the fused ReLU-MLP
/// path, ≤ 1e-14 relative block by block otherwise), the heat map's block means are the in-memory
/// ones, a damaged tile is an error and never a number, and the estimate is a few tiles.
@Suite struct GramTiledTests {
  static func folder() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("gram-tiles-\(UUID().uuidString)").path
  }

  static func network(_ spelling: String) throws -> Network {
    let o = resolved("gram", ":network: \(spelling)")
    let typed = try #require(o.values["network"])
    return try #require(NetworkValue(typed: typed)?.network)
  }

  static func batch(_ n: Int, d: Int = 6) -> SkelKernels.InputBatch {
    let values = (0..<(n * d)).map { 1.5 * sin(0.37 * Double($0) + 0.1 * Double($0 % d)) }
    return SkelKernels.InputBatch(shape: InputShape(channels: d), count: n, storage: values)!
  }

  static let relu = "[dense(w_std=1.4142135623730951, b_std=0.2), relu, dense(w_std=1.4142135623730951, b_std=0.2), relu, dense]"

  /// N = 700 in tiles of 320 (3 × 3 tiles, the last ones 60 wide): every stored entry equals the
  /// in-memory Gram matrix's — bit for bit for the ReLU MLP (FastMLPKernel.forEachTile), and to
  /// 1e-11 relative for an erf network (blocks through `GramKind.kernels(rows:columns:)`, whose
  /// cross blocks take the engine's cross-Gram path: measured 2.7e-12 at N = 700).
  @Test(arguments: [(relu, 0.0), ("[dense(w_std=1.3, b_std=0.1), erf, dense]", 1e-11)])
  func theStoredMatrixIsTheInMemoryOne(_ spelling: String, _ tolerance: Double) throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let net = try Self.network(spelling)
    let x = Self.batch(700)
    let whole = try GramKind.kernels(net, rows: x, kernels: [.nngp, .ntk])
    let stores = try GramKind.tileStores(net, batch: x, kernels: [.nngp, .ntk], directory: dir, tileSize: 320)
    #expect(stores.map(\.tileCount) == [3, 3] && stores.map(\.name) == ["nngp", "ntk"])
    for k in 0..<2 {
      let stored = try stores[k].dense()
      var worst = 0.0
      for i in 0..<700 { for j in 0..<700 { worst = max(worst, abs(stored[i, j] - whole[k][i, j]) / abs(whole[k][i, j])) } }
      #expect(worst <= tolerance, "\(spelling) kernel \(k): worst relative difference \(worst)")
    }
    // opened again, nothing is computed (the manifest is there) and the bytes are the same
    let again = try GramKind.tileStores(net, batch: x, kernels: [.nngp, .ntk], directory: dir, tileSize: 320)
    #expect(try again[1].dense() == (try stores[1].dense()))
  }

  /// The kind with `:storage: tiles` and `:sort: x0` against `:storage: memory`: the JSON grids
  /// (100 × 100 block means of 7 positions) and the drawn block means (512 a side) agree to
  /// 1e-13 relative (the sums run in another order), the order series is the same, and the tiled
  /// result carries the drawn block means instead of the 700 × 700 matrix.
  @Test func theTiledHeatMapIsTheInMemoryOne() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let kind = try #require(ExperimentRegistry.standard.kinds["gram"])
    let body = ":inputs: gaussian(n=700, d=5)\n:network: \(Self.relu)\n:kernel: [nngp, ntk]\n:sort: x0"
    let memory = try kind.run(resolved("gram", body + "\n:storage: memory"), context: RunContext(seed: 5))
    var context = RunContext(seed: 5)
    context.tileDirectory = dir
    let tiled = try kind.run(resolved("gram", body + "\n:storage: tiles"), context: context)
    #expect(tiled.series == memory.series)
    let gm = try #require(memory.grids), gt = try #require(tiled.grids)
    #expect(gm.count == 2 && gt.count == 2 && gt[0].values.count == 100 && gt[0].x == gm[0].x)
    var worst = 0.0
    for (a, b) in zip(gm, gt) {
      for (ra, rb) in zip(a.values, b.values) { for (u, v) in zip(ra, rb) { worst = max(worst, abs(u - v) / abs(u)) } }
    }
    #expect(worst < 1e-13, "grid: worst relative difference \(worst)")
    let arrays = try #require(tiled.arrays)
    #expect(arrays.map(\.name) == ["nngp-block-means", "ntk-block-means"] && arrays[0].shape == [350, 350])
    // the drawn means (⌈700/512⌉ = 2 positions a block) from the in-memory matrix, in the sorted order
    let full = try #require(memory.arrays)
    let order = memory.series[0].y.map { Int($0) }
    var drawnWorst = 0.0
    for k in 0..<2 {
      for a in 0..<350 {
        for b in 0..<350 {
          var s = 0.0
          for i in (2 * a)..<(2 * a + 2) { for j in (2 * b)..<(2 * b + 2) { s += full[k].values[order[i] * 700 + order[j]] } }
          drawnWorst = max(drawnWorst, abs(arrays[k].values[a * 350 + b] - s / 4) / abs(s / 4))
        }
      }
    }
    #expect(drawnWorst < 1e-13, "drawn: worst relative difference \(drawnWorst)")
    // the figure draws from either
    let figure = try #require(try kind.configured(resolved("gram", body + "\n:storage: tiles")).figure(for: tiled))
    #expect(figure.panels.count == 2)
  }

  /// The block means a run gathers while it computes the tiles (`BlockSums` fed by the tile
  /// pipeline) are the bytes a run reading the complete store back gets (a cluster's gather):
  /// the same additions in the same order. N = 700 in 320-tiles, NNGP and NTK, both sides; an erf
  /// network (blocks through `kernels(rows:columns:)`, whose diagonal tiles are symmetric to
  /// ≈ 3e-12 only, so its means of the mirrored dense matrix agree to 1e-11) too.
  @Test(arguments: [(relu, 1e-13), ("[dense(w_std=1.3, b_std=0.1), erf, dense]", 1e-11)])
  func gatheredBlockMeansAreTheReadBackOnes(_ spelling: String, _ tolerance: Double) throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let net = try Self.network(spelling)
    let x = Self.batch(700)
    let sizes = [7, 2]
    let first = try GramKind.tileStores(
      net, batch: x, kernels: [.nngp, .ntk], directory: dir, tileSize: 320, blockSizes: sizes, computesMissing: true,
      compute: .allCores, progress: { _ in })
    let gathered = try #require(first.sums, "every tile was computed here, in order")
    let again = try GramKind.tileStores(
      net, batch: x, kernels: [.nngp, .ntk], directory: dir, tileSize: 320, blockSizes: sizes, computesMissing: true,
      compute: .allCores, progress: { _ in })
    #expect(again.sums == nil, "a complete store is read back, not recomputed")
    for k in 0..<2 {
      let read = try again.stores[k].blockAverage(blockSizes: sizes)
      let sums = gathered[k].averages()
      #expect(read.map(\.rows) == [100, 350])
      #expect(read == sums, "kernel \(k): gathered and read-back block means differ")
      // and both are the means of the dense matrix's blocks
      let dense = try again.stores[k].dense()
      var worst = 0.0
      for a in 0..<100 {
        for b in 0..<100 {
          var s = 0.0
          for i in (7 * a)..<(7 * a + 7) { for j in (7 * b)..<(7 * b + 7) { s += dense[i, j] } }
          worst = max(worst, abs(sums[0][a, b] - s / 49) / abs(s / 49))
        }
      }
      #expect(worst < tolerance, "kernel \(k): worst relative difference \(worst)")
    }
  }

  /// Tiles added out of `tilePairs` order (or some missing) leave the sums incomplete: the run
  /// then reads the store back.
  @Test func blockSumsKnowWhetherTheySawEveryTileInOrder() throws {
    let a = Matrix(rows: 5, columns: 5, storage: (0..<25).map { Double(min($0 / 5, $0 % 5) + 1) })
    let tiles = DenseTiles(a, tileSize: 2)
    func sums(_ pairs: [(Int, Int)]) throws -> BlockSums {
      var s = BlockSums(order: 5, tileSize: 2, blockSizes: [2])
      for (bi, bj) in pairs { try tiles.withTile(bi, bj) { s.add(bi, bj, $0) } }
      return s
    }
    #expect(try sums(tiles.tilePairs).complete)
    #expect(try sums(tiles.tilePairs).averages() == (try tiles.blockAverage(blockSizes: [2])))
    #expect(!(try sums(Array(tiles.tilePairs.reversed()))).complete)
    #expect(!(try sums(Array(tiles.tilePairs.dropLast()))).complete)
    // a cell of 1 × 1 (the last block): entry (4, 4) = 5; cell (0, 2): rows 0–1, column 4 = 1, 2
    let m = try sums(tiles.tilePairs).averages()[0]
    #expect(m[2, 2] == 5 && m[0, 2] == 1.5 && m[2, 0] == 1.5)
  }

  /// A damaged tile of a complete store is an error of the run naming the file and the
  /// checksum, not a heat map of wrong numbers.
  @Test func aDamagedTileIsAnErrorOfTheRun() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let kind = try #require(ExperimentRegistry.standard.kinds["gram"])
    let o = resolved("gram", ":inputs: gaussian(n=200, d=5)\n:network: \(Self.relu)\n:storage: tiles")
    var context = RunContext(seed: 1)
    context.tileDirectory = dir
    _ = try kind.run(o, context: context)
    let path = dir + "/nngp-0-0.npy"
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    bytes[bytes.count - 100] ^= 0x01
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    do {
      _ = try kind.run(o, context: context)
      Issue.record("a damaged tile gave a result")
    } catch {
      #expect("\(error)".contains("nngp-0-0.npy") && "\(error)".contains("checksum mismatch"), "\(error)")
    }
  }

  /// The estimate of a tiled Gram matrix is a few tiles and the inputs: N = 100 000 Fashion-MNIST
  /// images fit 2 GiB tiled (automatically above 5000 inputs), and the same matrix in memory
  /// (80 GB) would not.
  @Test func theEstimateIsAFewTiles() throws {
    let kind = try #require(ExperimentRegistry.standard.kinds["gram"])
    let big = ":inputs: gaussian(n=100000, d=784)\n:network: \(Self.relu)"
    let tiled = try #require(try kind.cost(resolved("gram", big)).bytes)
    let t = 1920 * 1920 * 8
    #expect(tiled >= 3 * t + 2 * 100_000 * 784 * 8 && tiled < 2 << 30, "\(tiled)")
    let memory = try #require(try kind.cost(resolved("gram", big + "\n:storage: memory")).bytes)
    #expect(memory > 100_000 * 100_000 * 8)
    #expect(GramKind.isTiled(.auto, n: 5001) && !GramKind.isTiled(.auto, n: 5000))
  }

  /// `:eigenvalues: 20` from the tiles (block Lanczos, one pass over the 2 × 2 tiles a step)
  /// against the same matrix in memory (LAPACK's dsyevd on the whole N × N matrix): the 20
  /// largest agree to 1e-8 relative, for the NNGP and the NTK, at N = 2500.
  @Test func theTopEigenvaluesFromTilesAreTheDenseOnes() throws {
    let dir = Self.folder()
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let kind = try #require(ExperimentRegistry.standard.kinds["gram"])
    let body = ":inputs: gaussian(n=2500, d=6)\n:network: \(Self.relu)\n:kernel: [nngp, ntk]\n:eigenvalues: 20"
    let memory = try kind.run(resolved("gram", body + "\n:storage: memory"), context: RunContext(seed: 2))
    var context = RunContext(seed: 2)
    context.tileDirectory = dir
    let tiled = try kind.run(resolved("gram", body + "\n:storage: tiles"), context: context)
    #expect(try GramTileStore(directory: dir, name: "ntk").tileCount == 2)
    for name in ["nngp-eigenvalues", "ntk-eigenvalues"] {
      let dense = try #require(memory.series.first { $0.name == name }), lanczos = try #require(tiled.series.first { $0.name == name })
      #expect(dense.x == (1...20).map(Double.init) && lanczos.x == dense.x)
      #expect(zip(dense.y, dense.y.dropFirst()).allSatisfy { $0 >= $1 } && dense.y[19] > 0, "descending, positive: \(dense.y)")
      let worst = zip(dense.y, lanczos.y).map { abs($0 - $1) / abs($0) }.max() ?? .infinity
      #expect(worst <= 1e-8, "\(name): worst relative difference \(worst)")
    }
    // the largest is at most the largest row sum and at least the mean entry times N (Rayleigh
    // quotient of the all-ones vector): a check of the scale independent of both methods
    let nngp = try GramTileStore(directory: dir, name: "nngp").dense()
    let rowSums = (0..<2500).map { i in (0..<2500).reduce(0.0) { $0 + abs(nngp[i, $1]) } }
    let mean = rowSums.reduce(0, +) / 2500
    let top = try #require(tiled.series.first { $0.name == "nngp-eigenvalues" }?.y.first)
    #expect(top <= (rowSums.max() ?? 0) * (1 + 1e-12) && top >= mean * (1 - 1e-12), "λ₁ \(top), mean row sum \(mean)")
  }

  /// `:eigenvalues:` is an integer from 0 to 200 (an error at the value otherwise), and its
  /// estimate from tiles is block Lanczos' basis, not an N × N matrix.
  @Test func theEigenvalueEstimateFromTilesIsTheLanczosBasis() throws {
    let kind = try #require(ExperimentRegistry.standard.kinds["gram"])
    let big = ":inputs: gaussian(n=100000, d=784)\n:network: \(Self.relu)"
    let without = try #require(try kind.cost(resolved("gram", big)).bytes)
    let with = try #require(try kind.cost(resolved("gram", big + "\n:eigenvalues: 20")).bytes)
    // block 40, basis 400: basis, images and a product, 3 × 100 000 × 400 doubles
    #expect(with - without == 3 * 100_000 * 400 * 8, "\(with - without)")
    let small = ":inputs: gaussian(n=300, d=4)\n:network: \(Self.relu)\n:storage: memory"
    let dense = try #require(try kind.cost(resolved("gram", small + "\n:eigenvalues: 5")).bytes)
    let none = try #require(try kind.cost(resolved("gram", small)).bytes)
    #expect(dense - none == 2 * 300 * 300 * 8)
  }
}
