/// Numbers read from a data file: `shape` is `[N, d]` or `[N, H, W, C]`, `values` the N rows
/// one after another (C order), and `labels` one class label per row when the file has them.
public struct DataSet: Sendable, Hashable {
  public var shape: [Int]
  public var values: [Double]
  public var labels: [String]?

  public init(shape: [Int], values: [Double], labels: [String]? = nil) {
    self.shape = shape
    self.values = values
    self.labels = labels
  }

  /// Number of rows N.
  public var count: Int { shape.first ?? 0 }
  /// Numbers per row (d, or H·W·C).
  public var rowLength: Int { shape.dropFirst().reduce(1, *) }
}

/// Where in a file a problem is: a line and column (text files; both from 1) or a byte offset
/// (binary files; from 0).
public enum DataPosition: Sendable, Hashable, CustomStringConvertible {
  case line(Int, column: Int)
  case byte(Int)

  public var description: String {
    switch self {
    case .line(let l, let c): return "line \(l), column \(c)"
    case .byte(let b): return "byte \(b)"
    }
  }
}

/// A file that cannot be read as data, with the position of the problem in the file itself.
public struct DataError: Error, Sendable, Hashable, CustomStringConvertible {
  public var position: DataPosition
  public var message: String
  public init(_ position: DataPosition, _ message: String) {
    self.position = position
    self.message = message
  }
  /// `line 3, column 2: 'x' is not a number`.
  public var description: String { "\(position): \(message)" }
}

/// Bounds on what a file may make the readers allocate: a header's claim is checked against
/// them (overflow-checked) before any array of that size exists.
public enum DataLimits {
  /// The default cap on the numbers one file may hold (2^27 doubles = 1 GiB).
  public static let maxElements = 1 << 27

  /// The product of `dims`, or `nil` when it overflows or exceeds `limit`.
  public static func product(_ dims: [Int], limit: Int) -> Int? {
    var n = 1
    for d in dims {
      guard d >= 0 else { return nil }
      let (p, overflow) = n.multipliedReportingOverflow(by: d)
      guard !overflow, p <= limit else { return nil }
      n = p
    }
    return n
  }
}
