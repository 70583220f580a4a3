import Foundation
import SkelData
import SkelKernels
import SkelMath

extension InputBatch {
  /// A batch the drawing and decoding below built: `count` inputs of `shape` in `values`; an
  /// experiment error (never a crash) if they do not fit together.
  static func drawn(count: Int, shape: InputShape, values: [Double], labels: [String]? = nil) throws -> InputBatch {
    guard let b = InputBatch(shape: shape, count: count, storage: values, labels: labels) else {
      throw ExperimentError("the inputs do not hold \(count) points of \(shape) (\(values.count) numbers, \(labels?.count ?? 0) labels)")
    }
    return b
  }
}

/// What an `inputs` value stands for once its files are decoded and its points drawn.
public enum Inputs: Sendable, Hashable {
  /// Pairs at correlations ρ with squared norms q1·d and q2·d (no points are drawn).
  case pairs(rho: [Double], q1: Double, q2: Double)
  case batch(InputBatch)
}

extension InputsValue {
  /// The numbers the value stands for: files decoded from `files` (the bytes the build read),
  /// generated points drawn from `seed` (the directive's), then normalized.
  public func inputs(seed: UInt64, files: InputFiles) throws -> Inputs {
    switch source {
    case .pairs(let rho, let q1, let q2):
      return normalize == .sphere ? .pairs(rho: rho, q1: 1, q2: 1) : .pairs(rho: rho, q1: q1, q2: q2)
    default:
      var batch = try draw(seed: seed, files: files)
      try Self.normalize(&batch, normalize)
      return .batch(batch)
    }
  }

  /// The points before normalization.
  func draw(seed: UInt64, files: InputFiles) throws -> InputBatch {
    var g = SeededGenerator(seed: seed, label: "inputs")
    switch source {
    case .pairs: throw ExperimentError("pairs have no points")
    case .generated(let law, let n, let d):
      var values = [Double](repeating: 0, count: n * d)
      // row by row, coordinate by coordinate: one draw an entry in row-major order (written in
      // place: no row is allocated)
      values.withUnsafeMutableBufferPointer { v in
        switch law {
        case .gaussian: g.fillNormal(v)
        case .cube: for k in v.indices { v[k] = 2 * g.nextUniform() - 1 }
        case .sphere:
          for i in 0..<n {
            for (k, x) in g.nextUnitSphere(d).enumerated() { v[i * d + k] = x * Double(d).squareRoot() }
          }
        }
      }
      return try InputBatch.drawn(count: n, shape: InputShape(channels: d), values: values)
    case .circle(let n):
      let values = (0..<n).flatMap { _ in
        let t = 2 * Double.pi * g.nextUniform()
        return [cos(t), sin(t)]
      }
      return try InputBatch.drawn(count: n, shape: InputShape(channels: 2), values: values)
    case .images(let n, let h, let w, let c):
      var values = [Double](repeating: 0, count: n * h * w * c)
      values.withUnsafeMutableBufferPointer { g.fillNormal($0) }
      return try InputBatch.drawn(count: n, shape: InputShape(spatial: [h, w], channels: c), values: values)
    case .csv(let path, let columns, let labels):
      let d = try Self.decoded(path) { try CSVData.read(try files.bytes(of: path), columns: columns, labels: labels) }
      return try InputBatch.drawn(count: d.count, shape: InputShape(channels: d.rowLength), values: d.values, labels: d.labels)
    case .npy(let path):
      let d = try Self.decoded(path) { try NPY.read(try files.bytes(of: path)) }
      let shape =
        d.shape.count == 4 ? InputShape(spatial: [d.shape[1], d.shape[2]], channels: d.shape[3]) : InputShape(channels: d.rowLength)
      return try InputBatch.drawn(count: d.count, shape: shape, values: d.values)
    case .fashionMNIST(let n, let classes, let split, let subsetSeed):
      return try fashionMNIST(n: n, classes: classes, split: split, seed: subsetSeed.map(UInt64.init) ?? seed, files: files)
    }
  }

  /// A decoder's failure as an experiment error naming the file and its position.
  static func decoded<T>(_ path: String, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as DataError { throw ExperimentError("\(path): \(e)") }
  }

  /// `n` images, class-stratified: ⌊n/k⌋ of each of the k classes (the first n mod k classes
  /// one more), drawn uniformly without replacement within each class from `seed`; in the order
  /// of `classes`, each class's images in file order; pixels scaled to [0, 1].
  func fashionMNIST(n: Int, classes: [Int], split: String, seed: UInt64, files: InputFiles) throws -> InputBatch {
    let f = FashionMNIST.files(split: split)
    let (images, labels) = try Self.decoded(f.images) {
      try FashionMNIST.decode(images: try files.bytes(of: f.images), labels: try files.bytes(of: f.labels))
    }
    var g = SeededGenerator(seed: seed, label: "fashion-mnist")
    var values: [Double] = [], names: [String] = []
    values.reserveCapacity(n * 784)
    for (k, c) in classes.enumerated() {
      let want = n / classes.count + (k < n % classes.count ? 1 : 0)
      var pool = labels.indices.filter { labels[$0] == UInt8(c) }
      guard want <= pool.count else {
        throw ExperimentError("the \(split) split has \(pool.count) images of class \(c); \(want) were asked for")
      }
      for j in 0..<want { pool.swapAt(j, j + Int(g.next() % UInt64(pool.count - j))) }  // partial Fisher–Yates
      for i in pool[0..<want].sorted() {
        values += images.bytes[(i * 784)..<((i + 1) * 784)].map { Double($0) / 255 }
        names.append(String(c))
      }
    }
    return try InputBatch.drawn(count: n, shape: InputShape(spatial: [28, 28], channels: 1), values: values, labels: names)
  }

  /// `center`: subtract the mean input; `sphere`: scale each input to ‖x‖² = d.
  static func normalize(_ b: inout InputBatch, _ mode: Normalize) throws {
    let d = b.size, n = b.count
    switch mode {
    case .none: return
    case .center:
      var mean = [Double](repeating: 0, count: d)
      for i in 0..<n { for j in 0..<d { mean[j] += b.storage[i * d + j] } }
      for j in 0..<d { mean[j] /= Double(n) }
      for i in 0..<n { for j in 0..<d { b.storage[i * d + j] -= mean[j] } }
    case .sphere:
      for i in 0..<n {
        let norm2 = b.row(i).reduce(0) { $0 + $1 * $1 }
        guard norm2 > 0 else { throw ExperimentError("input \(i + 1) is zero; normalize=sphere cannot scale it to ‖x‖² = d") }
        let s = (Double(d) / norm2).squareRoot()
        for j in 0..<d { b.storage[i * d + j] *= s }
      }
    }
  }
}

extension InputsValue {
  /// The points' memory and drawing work, for a kind's `cost`: n × d doubles for generated
  /// inputs and Fashion-MNIST (whose decoded split is held too). A file's numbers are known only
  /// once it is read: the build caps input files at 1 GiB before reading them.
  public func addCost(to c: inout CostBuilder, option: String) {
    switch source {
    case .pairs(let rho, _, _): c.doubles([rho.count], "\(rho.count) pairs", options: [option])
    case .generated(_, let n, let d):
      c.doubles([n, d], "\(n) inputs × \(d) dimensions", options: [option])
      c.work(Double(n) * Double(d), each: 2e-8, "\(n) × \(d) random numbers", options: [option])
    case .circle(let n): c.doubles([n, 2], "\(n) points on the circle", options: [option])
    case .images(let n, let h, let w, let ch):
      c.doubles([n, h, w, ch], "\(n) images of \(h) × \(w) × \(ch)", options: [option])
      c.work(Double(n) * Double(h * w * ch), each: 2e-8, "\(n) random images", options: [option])
    case .fashionMNIST(let n, _, let split, _):
      c.doubles([n, 784], "\(n) Fashion-MNIST images", options: [option])
      c.doubles([(split == "test" ? 10_000 : 60_000) * 785 / 8], "the decoded \(split) split", options: [option])
      c.work(Double(split == "test" ? 10_000 : 60_000) * 784, each: 5e-9, "decoding the \(split) split", options: [option])
    case .csv, .npy: break
    }
  }
}
