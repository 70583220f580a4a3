import CBLAS

/// A symmetric n × n matrix held as square tiles of side `tileSize` (the last row and column of
/// tiles are cut at n): only the upper triangle of tiles, (bi, bj) with bi ≤ bj, exists; a tile is
/// row-major, rows = min(tileSize, n − bi·tileSize), columns likewise, and a diagonal tile is whole
/// (both of its triangles). Consumers visit one tile at a time, so whoever holds the tiles (memory,
/// memory-mapped files) decides how many are resident.
public protocol SymmetricTiles: Sendable {
  var order: Int { get }
  var tileSize: Int { get }
  /// Calls `body` with tile (bi, bj), bi ≤ bj, row-major.
  func withTile<R>(_ bi: Int, _ bj: Int, _ body: (UnsafeBufferPointer<Double>) throws -> R) throws -> R
}

extension SymmetricTiles {
  /// Tiles per side.
  public var tileCount: Int { tileSize > 0 ? (order + tileSize - 1) / tileSize : 0 }
  /// Rows of tile row `b`.
  public func extent(_ b: Int) -> Int { min(tileSize, order - b * tileSize) }
  /// The upper triangle of tiles in row order.
  public var tilePairs: [(Int, Int)] { (0..<tileCount).flatMap { bi in (bi..<tileCount).map { (bi, $0) } } }

  /// A·V for V n × k (row-major): each tile once, Y[bi] += T·V[bj] and, off the diagonal,
  /// Y[bj] += Tᵀ·V[bi], by `dgemm` on one thread (sums in tile order: the bytes do not depend on
  /// threads). Memory: Y and one tile.
  public func multiply(_ v: Matrix) throws -> Matrix {
    precondition(v.rows == order, "multiply: \(v.rows) rows, expected \(order)")
    let k = v.columns, t = tileSize
    var y = Matrix(rows: order, columns: k)
    if k == 0 { return y }
    try v.storage.withUnsafeBufferPointer { vb in
      try y.storage.withUnsafeMutableBufferPointer { yb in
        guard let vp = vb.baseAddress, let yp = yb.baseAddress else { return }
        for (bi, bj) in tilePairs {
          let rows = extent(bi), cols = extent(bj)
          try withTile(bi, bj) { tile in
            Compute.singleThreadedBLAS {
              cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(k), Int32(cols), 1, tile.baseAddress, Int32(cols),
                vp + bj * t * k, Int32(k), 1, yp + bi * t * k, Int32(k))
              if bi != bj {
                cblas_dgemm(
                  CblasRowMajor, CblasTrans, CblasNoTrans, Int32(cols), Int32(k), Int32(rows), 1, tile.baseAddress, Int32(cols),
                  vp + bi * t * k, Int32(k), 1, yp + bj * t * k, Int32(k))
              }
            }
          }
        }
      }
    }
    return y
  }

  /// The matrix averaged over an m × m grid of cells (cell r covers rows ⌊r·n/m⌋ ..< ⌊(r+1)·n/m⌋):
  /// a heat map of any n from one pass over the tiles. m is clamped to n.
  public func blockAverage(cells m: Int) throws -> Matrix {
    let n = order, m = max(1, min(m, n))
    if n == 0 { return Matrix(rows: 0, columns: 0) }
    var cell = [Int](repeating: 0, count: n)
    for r in 0..<m { for i in (r * n / m)..<((r + 1) * n / m) { cell[i] = r } }
    return try blockAverages([(cell, m)])[0]
  }

  /// The matrix averaged over blocks of `size` consecutive indices (the last block smaller):
  /// ⌈n/size⌉ blocks a side, one per `blockSizes` entry, all from one pass over the tiles.
  public func blockAverage(blockSizes: [Int]) throws -> [Matrix] {
    let n = order
    if n == 0 { return blockSizes.map { _ in Matrix(rows: 0, columns: 0) } }
    return try blockAverages(
      blockSizes.map { size in
        let s = max(1, size)
        return ((0..<n).map { $0 / s }, (n + s - 1) / s)
      })
  }

  /// Averages over the cells of each grid (`cell[i]`: the cell of index i, `cells` a side).
  func blockAverages(_ grids: [(cell: [Int], cells: Int)]) throws -> [Matrix] {
    var sums = grids.map { Matrix(rows: $0.cells, columns: $0.cells) }
    for (bi, bj) in tilePairs {
      let r0 = bi * tileSize, c0 = bj * tileSize, rows = extent(bi), cols = extent(bj)
      try withTile(bi, bj) { tile in
        for (g, grid) in grids.enumerated() {
          let m = grid.cells
          sums[g].storage.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows {
              let cr = grid.cell[r0 + r]
              for c in 0..<cols {
                let x = tile[r * cols + c], cc = grid.cell[c0 + c]
                out[cr * m + cc] += x
                if bi != bj { out[cc * m + cr] += x }
              }
            }
          }
        }
      }
    }
    for (g, grid) in grids.enumerated() {
      let m = grid.cells
      var size = [Double](repeating: 0, count: m)
      for c in grid.cell { size[c] += 1 }
      for a in 0..<m { for b in 0..<m { sums[g].storage[a * m + b] /= size[a] * size[b] } }
    }
    return sums
  }

  /// The whole matrix (for tests and small n).
  public func dense() throws -> Matrix {
    var a = Matrix(rows: order, columns: order)
    for (bi, bj) in tilePairs {
      let r0 = bi * tileSize, c0 = bj * tileSize, rows = extent(bi), cols = extent(bj)
      try withTile(bi, bj) { tile in
        for r in 0..<rows {
          for c in 0..<cols {
            a.storage[(r0 + r) * order + c0 + c] = tile[r * cols + c]
            a.storage[(c0 + c) * order + r0 + r] = tile[r * cols + c]
          }
        }
      }
    }
    return a
  }
}

/// Tiles cut from a dense symmetric matrix held in memory (tests, and small matrices handed to a
/// tile consumer).
public struct DenseTiles: SymmetricTiles {
  public let matrix: Matrix
  public let tileSize: Int
  public var order: Int { matrix.rows }

  public init(_ matrix: Matrix, tileSize: Int) {
    precondition(matrix.rows == matrix.columns && tileSize > 0, "a square matrix and a positive tile size")
    self.matrix = matrix
    self.tileSize = tileSize
  }

  public func withTile<R>(_ bi: Int, _ bj: Int, _ body: (UnsafeBufferPointer<Double>) throws -> R) throws -> R {
    let r0 = bi * tileSize, c0 = bj * tileSize
    let tile = matrix.block(r0..<(r0 + extent(bi)), c0..<(c0 + extent(bj)))
    return try tile.storage.withUnsafeBufferPointer(body)
  }
}
