import SkelData
import SkelKernels
import SkelMath

/// The `targets` of the kinds on data (`predict`, `fit`, `regression` on `inputs`), as written:
/// `labels` (the inputs' class labels one-hot, classes in sorted order: numerically when every
/// label is a number), a named function of the inputs (`smooth`, `oscillating`, `step`), or the
/// name of a numeric column of the inputs' CSV file (not one of its input columns).
public enum DataTargets: Sendable, Hashable {
  case labels
  case function(RegressionTarget)
  case column(String)

  public init(_ text: String) {
    if text == "labels" {
      self = .labels
    } else if let f = RegressionTarget(rawValue: text) {
      self = .function(f)
    } else {
      self = .column(text)
    }
  }

  /// What is wrong with these targets on `inputs` before any file is read, or nil.
  public func problem(_ inputs: InputsValue) -> String? {
    switch self {
    case .labels:
      return GramKind.hasLabels(inputs)
        ? nil : "the target 'labels' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN); these inputs have none"
    case .function: return nil
    case .column(let name):
      guard case .csv(_, let columns, let labels) = inputs.source else {
        return
          "'\(name)' is not labels, smooth, oscillating or step, so it names a column of a CSV file, but these inputs are not a CSV file"
      }
      if name == labels { return "'\(name)' is the label column; write ':targets: labels' for its classes one-hot" }
      guard let columns else {
        return "the target column '\(name)' would also be read as an input: list the input columns, as in file.csv(columns=[x0, x1])"
      }
      if columns.contains(name) { return "the target column '\(name)' is one of the input columns=[…]" }
      return nil
    }
  }

  /// Output columns when known before any file is read (labels: the classes of fashion-mnist).
  func outputs(_ inputs: InputsValue) -> Int {
    switch self {
    case .function, .column: return 1
    case .labels:
      if case .fashionMNIST(_, let classes, _, _) = inputs.source { return classes.count }
      return 10
    }
  }

  /// The classes of the labels of every batch, sorted (numerically when all are numbers).
  static func classes(_ batches: [InputBatch]) -> [String] {
    let all = Set(batches.flatMap { $0.labels ?? [] })
    let numeric = all.allSatisfy { Double($0) != nil }
    return all.sorted { numeric ? (Double($0) ?? 0, $0) < (Double($1) ?? 0, $1) : $0 < $1 }
  }

  /// The targets of `batch` (read from `inputs` with `files`), one row per input: n × k, the
  /// one-hot columns in the order of `classes`.
  func values(_ batch: InputBatch, inputs: InputsValue, files: InputFiles, classes: [String]) throws -> Matrix {
    let n = batch.count
    switch self {
    case .labels:
      guard let labels = batch.labels else { throw ExperimentError("the target 'labels' needs inputs with labels") }
      var y = Matrix(rows: n, columns: classes.count)
      for (i, l) in labels.enumerated() {
        if let c = classes.firstIndex(of: l) { y[i, c] = 1 }
      }
      return y
    case .function(let f):
      return Matrix(rows: n, columns: 1, storage: f.values(Matrix(rows: n, columns: batch.size, storage: batch.storage)))
    case .column(let name):
      guard case .csv(let path, _, _) = inputs.source else { throw ExperimentError("the target column '\(name)' needs a CSV file") }
      let d = try InputsValue.decoded(path) { try CSVData.read(try files.bytes(of: path), columns: [name]) }
      guard d.values.count == n else { throw ExperimentError("\(path): column '\(name)' has \(d.values.count) values for \(n) inputs") }
      return Matrix(rows: n, columns: 1, storage: d.values)
    }
  }
}

extension Matrix {
  /// The entries at rows `r` and columns `c` (index lists), as a matrix.
  func selecting(rows r: [Int], columns c: [Int]) -> Matrix {
    var out = Matrix(rows: r.count, columns: c.count)
    for (i, a) in r.enumerated() {
      let row = a * columns
      for (j, b) in c.enumerated() { out.storage[i * c.count + j] = storage[row + b] }
    }
    return out
  }

  /// The rows `r` (an index list), every column.
  func selecting(rows r: [Int]) -> Matrix { selecting(rows: r, columns: Array(0..<columns)) }
}
