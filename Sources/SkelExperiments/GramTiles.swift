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
  /// 5000 is 200 MB; past it, the disk holds the matrix and memory a few tiles).
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
  /// only opened. Without `computesMissing`, a tile not there is an error (`incomplete`): the
  /// build only gathers what shards computed. `progress` gets the fraction of tiles done.
  public static func tileStores(
    _ network: Network, batch: InputBatch, kernels: [KernelChoice], directory: String, tileSize: Int = tileSize,
    computesMissing: Bool = true, compute: Compute = .allCores, progress: (Double) -> Void = { _ in }
  ) throws -> [GramTileStore] {
    try tileStores(
      network, batch: batch, kernels: kernels, directory: directory, tileSize: tileSize, blockSizes: [],
      computesMissing: computesMissing, compute: compute, progress: progress
    ).stores
  }

  /// `tileStores`, and block sums at `blockSizes` gathered from the tiles as they are computed
  /// (`BlockSums`, the additions of the read-back pass in its order): `nil` unless this call
  /// computed every tile in order (a store complete before, or tiles left by a shard, are read
  /// back by the caller instead).
  public static func tileStores(
    _ network: Network, batch: InputBatch, kernels: [KernelChoice], directory: String, tileSize: Int, blockSizes: [Int],
    computesMissing: Bool, compute: Compute, progress: (Double) -> Void
  ) throws -> (stores: [GramTileStore], sums: [BlockSums]?) {
    let n = batch.count
    if let stores = try? kernels.map({ try GramTileStore(directory: directory, name: $0.rawValue) }),
      stores.allSatisfy({ $0.order == n && $0.tileSize == tileSize })
    {
      return (stores, nil)
    }
    var sums = kernels.map { _ in BlockSums(order: n, tileSize: tileSize, blockSizes: blockSizes) }
    let writers = try writeTiles(
      network, batch: batch, kernels: kernels, directory: directory, tileSize: tileSize, only: nil, computesMissing: computesMissing,
      compute: compute, progress: progress, observe: blockSizes.isEmpty ? nil : { k, bi, bj, tile in sums[k].add(bi, bj, tile) })
    let stores = try writers.map { try $0.finish() }
    return (stores, sums.allSatisfy(\.complete) && !blockSizes.isEmpty ? sums : nil)
  }

  /// Computes the tiles `only` (every tile when `nil`) that are not vouched for in all the stores
  /// yet and makes them durable (`GramTileWriter.sync`), without a manifest: the building block of
  /// `tileStores` and of a shard's share (`computeTiles`). A ReLU MLP runs on
  /// `FastMLPKernel.forEachTile` (the in-memory path's bits), anything else block by block
  /// through `kernels(_:rows:columns:)`. Returns the writers and how many tiles were computed.
  @discardableResult
  static func writeTiles(
    _ network: Network, batch: InputBatch, kernels: [KernelChoice], directory: String, tileSize: Int,
    only: Set<TilePair>?, computesMissing: Bool = true, compute: Compute, progress: (Double) -> Void = { _ in },
    observe: ((_ kernel: Int, _ bi: Int, _ bj: Int, _ tile: UnsafeBufferPointer<Double>) -> Void)? = nil
  ) throws -> [GramTileWriter] {
    let n = batch.count
    let writers = try kernels.map { try GramTileWriter(directory: directory, name: $0.rawValue, order: n, tileSize: tileSize) }
    let trusted = writers.map { $0.trusted() }
    let wanted: (Int, Int) -> Bool = { bi, bj in
      (only?.contains(TilePair(row: bi, column: bj)) ?? true) && trusted.contains { $0["\(bi)-\(bj)"] == nil }
    }
    let t = (n + tileSize - 1) / tileSize
    let todo = (0..<t).reduce(0) { sum, bi in sum + (bi..<t).count { wanted(bi, $0) } }
    guard todo == 0 || computesMissing else { throw TileStoreError.incomplete(directory: directory, missing: todo) }
    let total = Double(max(1, todo))
    var done = 0.0
    let net = NetworkOption.broadcast(network, toSpatialAxes: batch.shape.spatial.count)
    if n >= 32, let shape = net.fusedMLPShape(on: batch.shape) {
      try writeFusedTiles(
        shape, batch: batch, kernels: kernels, writers: writers, tileSize: tileSize, compute: compute, wanted: wanted,
        observe: observe
      ) {
        done += 1
        progress(done / total)
      }
      return writers
    }
    func rows(_ b: Int) throws -> InputBatch {
      let r0 = b * tileSize, r = min(tileSize, n - r0), d = batch.storage.count / max(1, n)
      guard let sub = InputBatch(shape: batch.shape, count: r, storage: Array(batch.storage[(r0 * d)..<((r0 + r) * d)]))
      else { throw ExperimentError("the inputs do not hold \(n) points") }
      return sub
    }
    for bi in 0..<t where (bi..<t).contains(where: { wanted(bi, $0) }) {
      let a = try rows(bi)
      for bj in bi..<t where wanted(bi, bj) {
        let m = try Self.kernels(network, rows: a, columns: bi == bj ? nil : try rows(bj), kernels: kernels, compute: compute)
        for (i, (w, k)) in zip(writers, m).enumerated() {
          try k.storage.withUnsafeBufferPointer { tile in
            observe?(i, bi, bj, tile)
            try w.write(bi, bj, tile)
          }
        }
        done += 1
        progress(done / total)
      }
    }
    for w in writers { try w.sync() }
    return writers
  }

  /// `writeTiles` of a ReLU MLP: `FastMLPKernel.forEachTile` into the write pipelines' buffers,
  /// each tile shown to `observe` before it is submitted.
  static func writeFusedTiles(
    _ shape: FastMLPKernel.Shape, batch: InputBatch, kernels: [KernelChoice], writers: [GramTileWriter], tileSize: Int,
    compute: Compute, wanted: @escaping (Int, Int) -> Bool,
    observe: ((_ kernel: Int, _ bi: Int, _ bj: Int, _ tile: UnsafeBufferPointer<Double>) -> Void)?, tileDone: () -> Void
  ) throws {
    let n = batch.count
    let pipes = writers.map { TileWritePipeline($0) }
    let iN = kernels.firstIndex(of: .nngp), iT = kernels.firstIndex(of: .ntk)
    // NTK alone: the NNGP tile still has to go somewhere
    let scratch = iN == nil ? UnsafeMutablePointer<Double>.allocate(capacity: tileSize * tileSize) : nil
    defer { scratch?.deallocate() }
    // the buffers the tile being computed goes to (for `observe`, before they are submitted)
    var current: (nngp: UnsafeMutablePointer<Double>?, ntk: UnsafeMutablePointer<Double>?) = (nil, nil)
    let x = Matrix(rows: n, columns: batch.shape.channels, storage: batch.storage)
    try FastMLPKernel.forEachTile(
      shape, inputs: x, computeNTK: iT != nil, tileSize: tileSize, compute: compute, where: wanted,
      destination: { _, _, _ in
        let k = try iN.map { try pipes[$0].buffer() } ?? scratch
        let t = try iT.map { try pipes[$0].buffer() }
        current = (k, t)
        return (k ?? UnsafeMutablePointer<Double>.allocate(capacity: 1), t)
      },
      filled: { bi, bj, count in
        if let observe {
          if let i = iN, let k = current.nngp { observe(i, bi, bj, UnsafeBufferPointer(start: k, count: count)) }
          if let i = iT, let t = current.ntk { observe(i, bi, bj, UnsafeBufferPointer(start: t, count: count)) }
        }
        for p in pipes { p.submit(bi, bj, count: count) }
        tileDone()
      })
    for p in pipes { try p.sync() }
  }

  /// Block means of a stored matrix at most `side` blocks a side, for each of `sides`, blocked as
  /// `blockMeans` blocks the in-memory matrix (⌈n/side⌉ positions a block, the last ones
  /// smaller), row-major; one pass over the tiles.
  static func blockMeans(_ sums: BlockSums, sides: [Int]) -> [(blocks: Int, size: Int, values: [Double])] {
    let n = sums.order
    guard n > 0 else { return sides.map { _ in (0, 1, []) } }
    return zip(sides.map { (n + $0 - 1) / $0 }, sums.averages()).map { ($1.rows, $0, $1.storage) }
  }

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
    let stores: [GramTileStore], sums: [BlockSums]?
    let sides = [Self.jsonSide, Self.drawnSide]
    do {
      (stores, sums) = try Self.tileStores(
        network, batch: sorted, kernels: o.kernel, directory: directory, tileSize: Self.tileSize,
        blockSizes: sides.map { (n + $0 - 1) / max(1, $0) }, computesMissing: context.computesTiles, compute: context.compute,
        progress: { context.progress(0.9 * $0) })
    } catch let e as TileStoreError {
      throw ExperimentError("the tiled Gram matrix: \(e)")
    }
    var grids: [GridData] = [], arrays: [ResultArray] = []
    do {
      for (k, (c, s)) in zip(o.kernel, stores).enumerated() {
        // gathered while the tiles were computed, or one pass over the store
        let means = try sums.map { Self.blockMeans($0[k], sides: sides) } ?? Self.blockMeans(s, sides: sides)
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
    var r = result(o, n: n, order: order, classes: classes, grids: grids, arrays: arrays)
    if o.eigenvalues > 0 {
      for (c, s) in zip(o.kernel, stores) { r.series.append(Self.eigenvalueSeries(c, try Self.topEigenvalues(s, o, context: context))) }
    }
    context.progress(1)
    return r
  }
}

extension GramKind {
  /// The k largest eigenvalues of a stored matrix by block Lanczos within `lanczosBudget`,
  /// refused unless each is certified (its Kato–Temple bound, or its residual) to
  /// `lanczosRequired` relative.
  static func topEigenvalues(_ s: GramTileStore, _ o: Options, context: RunContext) throws -> [Double] {
    let n = s.order, budget = lanczosBudget(n: n, k: o.eigenvalues)
    let top: BlockLanczos.Result
    do {
      top = try context.compute.blas {
        try BlockLanczos.largestEigenvalues(
          order: n, count: o.eigenvalues, block: budget.block, maxBasis: budget.maxBasis, maxProducts: budget.maxProducts,
          tolerance: lanczosTolerance
        ) { try s.multiply($0) }
      }
    } catch let e as TileStoreError {
      throw ExperimentError("the tiled Gram matrix: \(e)")
    }
    // each Ritz value is within its residual of an eigenvalue, and within r²/gap once settled
    let bounds = zip(top.residuals, top.errorBounds).map { min($0, $1) }
    guard top.converged || zip(bounds, top.values).allSatisfy({ $0 <= lanczosRequired * abs($1) }) else {
      let worst = zip(bounds, top.values).map { $0 / max(abs($1), .leastNormalMagnitude) }.max() ?? .infinity
      throw ExperimentError(
        "block Lanczos did not certify the \(o.eigenvalues) largest eigenvalues of the \(s.name) matrix to \(lanczosRequired) relative within \(budget.maxProducts) passes over the tiles (a basis of at most \(budget.maxBasis) vectors, \(top.restarts) restarts; largest relative error bound \(worst)); ask for fewer eigenvalues"
      )
    }
    return top.values
  }
}

/// One tile of a stored symmetric matrix: its row and column block (`row ≤ column`).
public struct TilePair: Hashable, Sendable, Codable, Comparable {
  public var row: Int
  public var column: Int
  public init(row: Int, column: Int) {
    self.row = row
    self.column = column
  }
  public static func < (a: TilePair, b: TilePair) -> Bool { (a.row, a.column) < (b.row, b.column) }
}

/// The tiles a directive stores (`DirectiveKind.storedTiles`): symmetric matrices of `order`
/// in `tileSize` tiles, one `GramTileStore` per name in `stores`, all in the directive's tile
/// folder. `skelreport plan` lists each tile as a unit of its own; the directive's result then
/// only reads them (`gatherSeconds`).
public struct StoredTiles: Sendable, Equatable, Codable {
  public var order: Int
  public var tileSize: Int
  public var stores: [String]
  /// The estimated seconds of the directive once every tile is there (reading them, and what it
  /// computes from them: block Lanczos' passes).
  public var gatherSeconds: Double
  /// The estimated peak memory of a process computing tiles (`nil`: the directive's).
  public var tileBytes: Int?
  /// The options that drive `gatherSeconds` (where a budget error about the gather points).
  public var gatherOptions: [String]

  public init(
    order: Int, tileSize: Int, stores: [String], gatherSeconds: Double = 0, tileBytes: Int? = nil, gatherOptions: [String] = []
  ) {
    self.order = order
    self.tileSize = tileSize
    self.stores = stores
    self.gatherSeconds = gatherSeconds
    self.tileBytes = tileBytes
    self.gatherOptions = gatherOptions
  }

  /// Tiles a side.
  public var side: Int { (order + tileSize - 1) / max(1, tileSize) }
  /// The upper triangle's tiles, row by row.
  public var pairs: [TilePair] { (0..<side).flatMap { bi in (bi..<side).map { TilePair(row: bi, column: $0) } } }
  /// Entries a tile holds (of one store).
  public func entries(_ p: TilePair) -> Int {
    min(tileSize, order - p.row * tileSize) * min(tileSize, order - p.column * tileSize)
  }

  /// The tiles of `among` (default: all) not vouched for in every store in `directory` (see
  /// `GramTileWriter.trusted`): what is still to compute. A complete store counts as all there.
  public func missing(in directory: String, among: [TilePair]? = nil) -> [TilePair] {
    let wanted = among ?? pairs
    var have: Set<String>? = nil
    for name in stores {
      let sums: Set<String>
      if let s = try? GramTileStore(directory: directory, name: name), s.order == order, s.tileSize == tileSize {
        sums = Set(wanted.map { "\($0.row)-\($0.column)" })
      } else if let w = try? GramTileWriter(directory: directory, name: name, order: order, tileSize: tileSize, probing: true) {
        sums = Set(w.trusted().keys)
      } else {
        return wanted
      }
      have = have.map { $0.intersection(sums) } ?? sums
    }
    return wanted.filter { have?.contains("\($0.row)-\($0.column)") != true }
  }
}

extension GramKind {
  public func storedTiles(_ o: Options, measured: MeasuredInputs) -> StoredTiles? {
    let (n, _, _) = Self.size(o.inputs, measured: measured)
    guard Self.isTiled(o.storage, n: n), !o.kernel.contains(.nnpk), n > 0 else { return nil }
    if case .pairs = o.inputs.source { return nil }
    // the reading half of the cost's "writing and reading" line, and block Lanczos' passes
    let read = Double(n) * Double(n + 1) / 2 * Double(o.kernel.count) * 8 / 3e8
    var lanczos = CostBuilder()
    if o.eigenvalues > 0 { Self.addEigenvalueCost(o, n: n, tiled: true, to: &lanczos) }
    // computing a tile needs no Lanczos basis
    var tilesOnly = o
    tilesOnly.eigenvalues = 0
    return StoredTiles(
      order: n, tileSize: Self.tileSize, stores: o.kernel.map(\.rawValue), gatherSeconds: read + lanczos.cost.seconds,
      tileBytes: cost(tilesOnly, measured: measured).bytes, gatherOptions: o.eigenvalues > 0 ? ["eigenvalues", "inputs"] : ["inputs"])
  }

  /// The tiles `pairs` of the (sorted) matrices `run` stores, computed as `run` would compute
  /// them (the same inputs, order and bits), synced but without a manifest.
  public func computeTiles(_ o: Options, _ pairs: [TilePair], context: RunContext) throws -> Int {
    guard let directory = context.tileDirectory else { throw ExperimentError("computing tiles needs a cache folder") }
    guard case .batch(let batch) = try o.inputs.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("gram takes a batch of inputs, not pairs(…)")
    }
    guard let network = o.network.network else { throw ExperimentError("gram needs a network") }
    guard Self.isTiled(o.storage, n: batch.count), !o.kernel.contains(.nnpk) else {
      throw ExperimentError("this Gram matrix of \(batch.count) inputs is not stored as tiles")
    }
    let order = Self.order(batch, sort: o.sort).order
    let sorted = order == Array(0..<batch.count) ? batch : try Self.permuted(batch, order)
    let layout = StoredTiles(order: batch.count, tileSize: Self.tileSize, stores: o.kernel.map(\.rawValue))
    let todo = layout.missing(in: directory, among: pairs)
    guard !todo.isEmpty else { return 0 }
    do {
      try Self.writeTiles(
        network, batch: sorted, kernels: o.kernel, directory: directory, tileSize: Self.tileSize,
        only: Set(todo), compute: context.compute, progress: context.progress)
    } catch let e as TileStoreError {
      throw ExperimentError("the tiled Gram matrix: \(e)")
    }
    return todo.count
  }
}
