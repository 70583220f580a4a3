import SkelData
import SkelDocument
import SkelKernels

/// The value of an `inputs` option: pairs at a correlation grid, generated points, a data file
/// beside the report, or a Fashion-MNIST subset; each with `normalize`. One value per meaning:
/// every parameter is resolved (defaults filled in), so two spellings share a cache entry.
public struct InputsValue: OptionConvertible {
  public enum Source: Sendable, Hashable {
    /// Pairs of inputs with correlation ρ (each grid point) and squared norms q1·d and q2·d.
    case pairs(rho: [Double], q1: Double, q2: Double)
    /// `gaussian`, `sphere`, `cube`: n points in d dimensions.
    case generated(law: GeneratedLaw, n: Int, d: Int)
    /// n points on the unit circle.
    case circle(n: Int)
    /// n images of i.i.d. standard normal pixels, height × width × channels.
    case images(n: Int, height: Int, width: Int, channels: Int)
    /// A CSV file (path relative to the report).
    case csv(path: String, columns: [String]?, labels: String?)
    /// A NumPy `.npy` file (path relative to the report).
    case npy(path: String)
    /// A class-stratified Fashion-MNIST subset; `seed` nil: the directive's seed.
    case fashionMNIST(n: Int, classes: [Int], split: String, seed: Int?)
  }

  public enum GeneratedLaw: String, Sendable, Hashable, CaseIterable {
    /// i.i.d. N(0, 1) coordinates.
    case gaussian
    /// Uniform on the sphere ‖x‖² = d.
    case sphere
    /// Unif[−1, 1]^d.
    case cube
  }

  public enum Normalize: String, Sendable, Hashable, CaseIterable {
    case none, center, sphere
  }

  public var source: Source
  public var normalize: Normalize

  public init(_ source: Source, normalize: Normalize = .none) {
    self.source = source
    self.normalize = normalize
  }

  /// Pairs at these correlations with squared norm q·d (what the ρ-grid kinds compute on).
  public static func pairs(_ rho: GridPoints, q: Double = 1) -> InputsValue { InputsValue(.pairs(rho: rho.points, q1: q, q2: q)) }

  /// The files the value reads: relative to the report (`report`), or the system's
  /// Fashion-MNIST files (absolute, read-only, from Debian's package).
  public var files: [InputFile] {
    switch source {
    case .csv(let path, _, _), .npy(let path): return [InputFile(path: path, beside: true)]
    case .fashionMNIST(_, _, let split, _):
      let f = FashionMNIST.files(split: split)
      return [InputFile(path: f.images, beside: false), InputFile(path: f.labels, beside: false)]
    default: return []
    }
  }
}

/// A file an input value reads: `beside` the report (a path relative to it, which must stay
/// inside the reports folder) or a system data file (an absolute path skelreport names itself).
public struct InputFile: Sendable, Hashable {
  public var path: String
  public var beside: Bool
  public init(path: String, beside: Bool) {
    self.path = path
    self.beside = beside
  }
}

/// The bytes of the files a directive reads, by `InputFile.path`, as the build read (and hashed)
/// them; experiments decode them, they never open files.
/// The sizes of the file inputs a build decoded before estimating (`DirectiveKind.cost(_:measured:)`),
/// by the path the `inputs` value names: a cost then counts the rows a file has, not the most
/// a file may have.
public struct MeasuredInputs: Sendable {
  public struct Size: Sendable, Hashable {
    /// Inputs, numbers per input, and spatial positions per input (1 for vectors).
    public var n: Int
    public var d: Int
    public var positions: Int
    /// The decoded shape (spatial axes and channels), when known.
    public var shape: InputShape?
    public init(n: Int, d: Int, positions: Int, shape: InputShape? = nil) {
      self.n = n
      self.d = d
      self.positions = positions
      self.shape = shape
    }
  }
  public var sizes: [String: Size]
  public init(_ sizes: [String: Size] = [:]) { self.sizes = sizes }

  /// The size of a decoded batch of inputs.
  public static func size(of inputs: Inputs) -> Size? {
    guard case .batch(let b) = inputs else { return nil }
    return Size(n: b.count, d: b.size, positions: b.shape.spatial.reduce(1, *), shape: b.shape)
  }

  /// The decoded shape of a single-file batch, when it was measured.
  public func shape(of v: InputsValue) -> InputShape? {
    guard let path = v.files.first?.path, v.files.count == 1 else { return nil }
    return sizes[path]?.shape
  }
}

public struct InputFiles: Sendable {
  public var bytes: [String: [UInt8]]
  public init(_ bytes: [String: [UInt8]] = [:]) { self.bytes = bytes }

  func bytes(of path: String) throws -> [UInt8] {
    guard let b = bytes[path] else { throw ExperimentError("the input file '\(path)' was not read by the build") }
    return b
  }
}
