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

  /// The Gram matrix X·Xᵀ / scale of the rows of X, through BLAS `dsyrk` (upper triangle, then mirrored).
  public func gram(dividedBy scale: Double = 1) -> Matrix {
    var out = Matrix(rows: rows, columns: rows)
    storage.withUnsafeBufferPointer { x in
      out.storage.withUnsafeMutableBufferPointer { c in
        cblas_dsyrk(
          CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(columns),
          1 / scale, x.baseAddress, Int32(columns), 0, c.baseAddress, Int32(rows))
      }
    }
    out.mirrorUpperTriangle()
    return out
  }

  /// Copies the upper triangle onto the lower one (square matrices), with unchecked pointers:
  /// 16M entries at N = 4000.
  public mutating func mirrorUpperTriangle() {
    precondition(rows == columns, "mirror needs a square matrix")
    let n = rows
    storage.withUnsafeMutableBufferPointer { p in
      let b = p.baseAddress!
      for i in 1..<max(1, n) { for j in 0..<i { b[i * n + j] = b[j * n + i] } }
    }
  }
}
