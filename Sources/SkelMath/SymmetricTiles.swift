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

  /// Averages over the cells of each grid (`cell[i]`: the cell of index i, `cells` a side; each
  /// cell's indices consecutive): one pass over the tiles through `BlockSums`.
  func blockAverages(_ grids: [(cell: [Int], cells: Int)]) throws -> [Matrix] {
    var sums = BlockSums(order: order, tileSize: tileSize, grids: grids)
    for (bi, bj) in tilePairs { try withTile(bi, bj) { sums.add(bi, bj, $0) } }
    return sums.averages()
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

/// The sums of a symmetric matrix's entries over the cells of one or more grids, gathered tile by
/// tile in `tilePairs` order (an off-diagonal tile counts for its mirror too) — from a store read
/// back or from the tiles as they are computed: the same additions in the same order, so the same
/// bytes either way. A cell's indices are consecutive, so each row of a tile adds one run of
/// consecutive entries a cell (a vectorized sum of four partial sums), not one entry at a time.
public struct BlockSums: Sendable {
  public let order: Int
  public let tileSize: Int
  /// Per grid: the cell of each index, the first index of each cell (and `order` last).
  let cell: [[Int]]
  let starts: [[Int]]
  var sums: [[Double]]
  /// The next tile `add` expects (`tilePairs` order); `inOrder` is false once a tile came out of it.
  var next: (Int, Int) = (0, 0)
  public private(set) var inOrder = true

  /// Grids given by the cell of each index (`cells` a side); each cell's indices consecutive.
  public init(order: Int, tileSize: Int, grids: [(cell: [Int], cells: Int)]) {
    precondition(grids.allSatisfy { $0.cell.count == order }, "a cell for every index")
    self.order = order
    self.tileSize = tileSize
    cell = grids.map(\.cell)
    starts = grids.map { g in
      var s = [Int](repeating: order, count: g.cells + 1)
      for i in stride(from: order - 1, through: 0, by: -1) { s[g.cell[i]] = i }
      // an empty cell starts where the next one does
      for k in stride(from: g.cells - 1, through: 0, by: -1) { s[k] = min(s[k], s[k + 1]) }
      return s
    }
    sums = grids.map { [Double](repeating: 0, count: $0.cells * $0.cells) }
  }

  /// Grids of blocks of `size` consecutive indices (the last block smaller), one per entry.
  public init(order: Int, tileSize: Int, blockSizes: [Int]) {
    self.init(
      order: order, tileSize: tileSize,
      grids: blockSizes.map { size in
        let s = max(1, size)
        return ((0..<order).map { $0 / s }, (order + s - 1) / s)
      })
  }

  /// Whether every tile of the upper triangle was added, in order.
  public var complete: Bool {
    let t = tileSize > 0 ? (order + tileSize - 1) / tileSize : 0
    return inOrder && (order == 0 || next.0 >= t)
  }

  /// Adds tile (bi, bj), row-major (rows and columns cut at `order` as `SymmetricTiles` cuts them).
  public mutating func add(_ bi: Int, _ bj: Int, _ tile: UnsafeBufferPointer<Double>) {
    let t = (order + tileSize - 1) / tileSize
    if (bi, bj) != next { inOrder = false }
    next = bj + 1 < t ? (bi, bj + 1) : (bi + 1, bi + 1)
    guard let base = tile.baseAddress else { return }
    let r0 = bi * tileSize, c0 = bj * tileSize
    let rows = min(tileSize, order - r0), cols = min(tileSize, order - c0)
    for g in sums.indices {
      let cell = cell[g], starts = starts[g], m = starts.count - 1
      sums[g].withUnsafeMutableBufferPointer { out in
        for r in 0..<rows {
          let cr = cell[r0 + r], row = base + r * cols
          var c = 0
          while c < cols {
            let cc = cell[c0 + c], end = min(cols, starts[cc + 1] - c0)
            let run = RunSum.of(row + c, end - c)
            out[cr * m + cc] += run
            if bi != bj { out[cc * m + cr] += run }
            c = end
          }
        }
      }
    }
  }

  /// Each grid's cell means (a cell's sum over its rows × columns), row-major, `cells` a side.
  public func averages() -> [Matrix] {
    zip(sums, starts).map { sums, starts in
      let m = starts.count - 1
      var a = Matrix(rows: m, columns: m)
      for i in 0..<m {
        for j in 0..<m { a.storage[i * m + j] = sums[i * m + j] / (Double(starts[i + 1] - starts[i]) * Double(starts[j + 1] - starts[j])) }
      }
      return a
    }
  }
}

/// Σ (x − shift), or Σ (x − shift)² with `squared`, over `count` consecutive entries in four
/// partial sums (the loop vectorizes; the order is fixed, so the numbers never depend on threads;
/// shift 0 adds the entries themselves): `BlockSums`' runs and the gram kind's summary table.
public enum RunSum {
  @inlinable @inline(__always)
  public static func of(_ p: UnsafePointer<Double>, _ count: Int, shift: Double = 0, squared: Bool = false) -> Double {
    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, k = 0
    func term(_ x: Double) -> Double { squared ? (x - shift) * (x - shift) : x - shift }
    while k + 4 <= count {
      s0 += term(p[k])
      s1 += term(p[k + 1])
      s2 += term(p[k + 2])
      s3 += term(p[k + 3])
      k += 4
    }
    while k < count {
      s0 += term(p[k])
      k += 1
    }
    return (s0 + s1) + (s2 + s3)
  }
}
