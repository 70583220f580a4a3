import CBLAS

/// A dense row-major matrix of doubles.
public struct Matrix: Sendable, Equatable {
  public let rows: Int
  public let columns: Int
  public var storage: [Double]

  public init(rows: Int, columns: Int, repeating value: Double = 0) {
    self.rows = rows
    self.columns = columns
    storage = [Double](repeating: value, count: rows * columns)
  }

  public init(rows: Int, columns: Int, storage: [Double]) {
    precondition(storage.count == rows * columns, "storage has \(storage.count) entries, expected \(rows * columns)")
    self.rows = rows
    self.columns = columns
    self.storage = storage
  }

  public subscript(i: Int, j: Int) -> Double {
    get { storage[i * columns + j] }
    set { storage[i * columns + j] = newValue }
  }

  /// A matrix whose entries `fill` writes, every one of them (no zero fill first: 128 MB at
  /// N = 4000 cost 40 ms to clear).
  public init(rows: Int, columns: Int, writingEveryEntry fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
    self.rows = rows
    self.columns = columns
    storage = [Double](unsafeUninitializedCapacity: rows * columns) { buffer, count in
      HugePages.advise(UnsafeMutableRawBufferPointer(buffer))
      fill(buffer)
      count = rows * columns
    }
  }

  /// The Gram matrix X·Xᵀ / scale of the rows of X, through BLAS `dsyrk` (upper triangle, then mirrored).
  public func gram(dividedBy scale: Double = 1) -> Matrix {
    Matrix(rows: rows, columns: rows) { c in
      storage.withUnsafeBufferPointer { x in
        cblas_dsyrk(
          CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(columns),
          1 / scale, x.baseAddress, Int32(columns), 0, c.baseAddress, Int32(rows))
      }
      if let base = c.baseAddress { Self.mirrorUpperTriangle(base, n: rows) }
    }
  }

  /// Copies the upper triangle onto the lower one (square matrices), with unchecked pointers:
  /// 16M entries at N = 4000.
  public mutating func mirrorUpperTriangle() {
    precondition(rows == columns, "mirror needs a square matrix")
    storage.withUnsafeMutableBufferPointer { if let base = $0.baseAddress { Self.mirrorUpperTriangle(base, n: rows) } }
  }

  /// The copy in 32 × 32 blocks: a row of the lower triangle reads a column of the upper one, and
  /// column by column over the whole matrix every read would miss the cache (16M entries at
  /// N = 4000 took 60 ms that way, a few ms by blocks).
  public static func mirrorUpperTriangle(_ b: UnsafeMutablePointer<Double>, n: Int) {
    let block = 32
    for i0 in stride(from: 0, to: n, by: block) {
      let i1 = min(n, i0 + block)
      for j0 in stride(from: 0, through: i0, by: block) {
        for i in i0..<i1 {
          let j1 = min(j0 + block, i)
          if j0 >= j1 { continue }
          for j in j0..<j1 { b[i * n + j] = b[j * n + i] }
        }
      }
    }
  }
}
