import Foundation
import SkelKernels
import SkelMath
import SkelTiles

/// `:storage: tiles`: the Gram matrix computed tile by tile into a `SkelTiles.GramTileStore`
/// (one per kernel, in the cache folder the build gives the directive) and read tile by tile, so
/// that a process's memory is a few tiles whatever N is.
extension GramKind {
  public enum StorageChoice: String, OptionChoice {
    case auto, memory, tiles
  }

  /// `auto` stores the matrix as tiles above this many inputs (in memory, one N × N matrix of
  /// 5000 is 200 MB, and the build holds several copies).
  public static let tiledAbove = 5_000
  /// The side of a storage tile (a whole number of FastMLPKernel's 320-row strips: 29.5 MB of float64).
  public static let tileSize = 1920

  /// Whether the Gram matrix of `n` inputs is stored as tiles.
  public static func isTiled(_ storage: StorageChoice, n: Int) -> Bool {
    switch storage {
    case .memory: return false
    case .tiles: return true
    case .auto: return n > tiledAbove
    }
  }

  /// The batch with its inputs in `order` (row k is input `order[k]`), labels too.
  static func permuted(_ b: InputBatch, _ order: [Int]) throws -> InputBatch {
    var values = [Double]()
    values.reserveCapacity(b.storage.count)
    for i in order { values += b.row(i) }
    return try InputBatch.drawn(count: b.count, shape: b.shape, values: values, labels: b.labels.map { l in order.map { l[$0] } })
  }

  /// The tiled Gram matrices of `network` on `batch` in `directory`, one store per kernel named by
  /// it (`nngp`, `ntk`), in `kernels`' order. Tiles already there and vouched for (an earlier,
  /// interrupted run, or a shard of a cluster build) are not computed again; a complete store is
  /// only opened. A ReLU MLP runs on `FastMLPKernel.forEachTile` (the in-memory path's bits),
  /// anything else block by block through `kernels(_:rows:columns:)`. `progress` gets the
  /// fraction of tiles done.
  public static func tileStores(
    _ network: Network, batch: InputBatch, kernels: [KernelChoice], directory: String, tileSize: Int = tileSize,
    compute: Compute = .allCores, progress: (Double) -> Void = { _ in }
  ) throws -> [GramTileStore] {
    let n = batch.count
    if let stores = try? kernels.map({ try GramTileStore(directory: directory, name: $0.rawValue) }),
      stores.allSatisfy({ $0.order == n && $0.tileSize == tileSize })
    {
      return stores
    }
    let writers = try kernels.map { try GramTileWriter(directory: directory, name: $0.rawValue, order: n, tileSize: tileSize) }
    let trusted = writers.map { $0.trusted() }
    let wanted: (Int, Int) -> Bool = { bi, bj in trusted.contains { $0["\(bi)-\(bj)"] == nil } }
    let t = (n + tileSize - 1) / tileSize, total = Double(max(1, t * (t + 1) / 2))
    var done = Double(trusted.map(\.count).min() ?? 0)
    let net = NetworkOption.broadcast(network, toSpatialAxes: batch.shape.spatial.count)
    if n >= 32, let shape = net.fusedMLPShape(on: batch.shape) {
      let pipes = writers.map { TileWritePipeline($0) }
      let iN = kernels.firstIndex(of: .nngp), iT = kernels.firstIndex(of: .ntk)
      // NTK alone: the NNGP tile still has to go somewhere
      let scratch = iN == nil ? UnsafeMutablePointer<Double>.allocate(capacity: tileSize * tileSize) : nil
      defer { scratch?.deallocate() }
      let x = Matrix(rows: n, columns: batch.shape.channels, storage: batch.storage)
      try FastMLPKernel.forEachTile(
        shape, inputs: x, computeNTK: iT != nil, tileSize: tileSize, compute: compute, where: wanted,
        destination: { _, _, _ in
          let k = try iN.map { try pipes[$0].buffer() } ?? scratch
          return (k ?? UnsafeMutablePointer<Double>.allocate(capacity: 1), try iT.map { try pipes[$0].buffer() })
        },
        filled: { bi, bj, count in
          for p in pipes { p.submit(bi, bj, count: count) }
          done += 1
          progress(done / total)
        })
      return try pipes.map { try $0.finish() }
    }
    func rows(_ b: Int) throws -> InputBatch {
      let r0 = b * tileSize, r = min(tileSize, n - r0), d = batch.storage.count / max(1, n)
      guard let sub = InputBatch(shape: batch.shape, count: r, storage: Array(batch.storage[(r0 * d)..<((r0 + r) * d)]))
      else { throw ExperimentError("the inputs do not hold \(n) points") }
      return sub
    }
    for bi in 0..<t {
      let a = try rows(bi)
      for bj in bi..<t where wanted(bi, bj) {
        let m = try Self.kernels(network, rows: a, columns: bi == bj ? nil : try rows(bj), kernels: kernels, compute: compute)
        for (w, k) in zip(writers, m) { try k.storage.withUnsafeBufferPointer { try w.write(bi, bj, $0) } }
        done += 1
        progress(done / total)
      }
    }
    return try writers.map { try $0.finish() }
  }

  /// Block means of a stored matrix at most `side` blocks a side, for each of `sides`, blocked as
  /// `blockMeans` blocks the in-memory matrix (⌈n/side⌉ positions a block, the last ones
  /// smaller), row-major; one pass over the tiles.
  static func blockMeans(_ s: GramTileStore, sides: [Int]) throws -> [(blocks: Int, size: Int, values: [Double])] {
    let n = s.order
    guard n > 0 else { return sides.map { _ in (0, 1, []) } }
    let sizes = sides.map { (n + $0 - 1) / $0 }
    return zip(sizes, try s.blockAverage(blockSizes: sizes)).map { ($1.rows, $0, $1.storage) }
  }

  /// `run` with the matrix as tiles: the inputs sorted before computing (so the stored matrix is
  /// in the drawn order), the JSON's grid and the drawn heat map block means read from the store;
  /// the result's arrays are the drawn block means (`<kernel>-block-means`), not the N × N matrix
  /// (which stays in the cache as tiles).
  func runTiled(_ o: Options, batch: InputBatch, network: Network, context: RunContext) throws -> ExperimentResult {
    let n = batch.count
    let (order, classes) = Self.order(batch, sort: o.sort)
    let sorted = order == Array(0..<n) ? batch : try Self.permuted(batch, order)
    let own = context.tileDirectory == nil
    let directory = context.tileDirectory ?? NSTemporaryDirectory() + "skelreport-gram-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    defer { if own { try? FileManager.default.removeItem(atPath: directory) } }
    let stores: [GramTileStore]
    do {
      stores = try Self.tileStores(
        network, batch: sorted, kernels: o.kernel, directory: directory, compute: context.compute,
        progress: { context.progress(0.9 * $0) })
    } catch let e as TileStoreError {
      throw ExperimentError("the tiled Gram matrix: \(e)")
    }
    var grids: [GridData] = [], arrays: [ResultArray] = []
    do {
      for (c, s) in zip(o.kernel, stores) {
        let means = try Self.blockMeans(s, sides: [Self.jsonSide, Self.drawnSide])
        let (blocks, size, values) = means[0], drawn = means[1]
        let centres = (0..<blocks).map { min(Double(n), Double($0 * size) + Double(size) / 2) }
        grids.append(
          GridData(
            name: c.rawValue, x: centres, y: centres, values: (0..<blocks).map { Array(values[($0 * blocks)..<(($0 + 1) * blocks)]) }))
        arrays.append(ResultArray(name: c.rawValue + "-block-means", shape: [drawn.blocks, drawn.blocks], values: drawn.values))
      }
    } catch let e as TileStoreError {
      throw ExperimentError("the tiled Gram matrix: \(e)")
    }
    context.progress(1)
    return result(o, n: n, order: order, classes: classes, grids: grids, arrays: arrays)
  }
}
