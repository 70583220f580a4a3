import Foundation
import SkelData
import SkelExperiments
import SkelKernels
import SkelMath
import Testing

/// `predict` and `fit` against neural-tangents 0.6.5 and numpy: `Fixtures/nt_predict.json`,
/// written by `Fixtures/nt_predict.py` (its docstring has the set-up; not run in CI). The kinds
/// run on the fixture's files — CSV text (3-D points with labels and a numeric column; 784-pixel
/// Fashion-MNIST images) and 4×4×1 images written here as a float64 `.npy` — and every published
/// number (posterior means and variances, means at each training time, test MSE and accuracy, log
/// marginal likelihoods) agrees to 1e-10 relative; `KernelPrediction.ensemble`'s covariances at
/// finite times are checked against NT's directly.
@Suite struct PredictFixtureTests {
  struct Fixture: Decodable, Sendable {
    struct Times: Decodable, Sendable {
      var mean: [Double]
      var covariance: [Double]
      var mse: [Double]
    }
    struct Prediction: Decodable, Sendable {
      var mean: [Double]
      var covariance: [Double]
      var mse: Double
      var accuracy: Double?
      var times: Times
    }
    /// `fashion-mnist(n, classes, split, seed)`: the script draws the subset as the build does.
    struct Fashion: Decodable, Sendable {
      var n: Int
      var classes: [Int]
      var split: String
      var seed: Int
      var value: InputsValue { InputsValue(.fashionMNIST(n: n, classes: classes, split: split, seed: seed)) }
    }
    enum Data: Decodable, Sendable {
      case text(String)
      case values([Double])
      case fashion(Fashion)
      private struct Wrapped: Decodable { var fashion: Fashion }
      init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
          self = .text(s)
        } else if let w = try? c.decode(Wrapped.self) {
          self = .fashion(w.fashion)
        } else {
          self = .values(try c.decode([Double].self))
        }
      }
    }
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
      var name: String
      var train: Data
      var test: Data
      var columns: [String]?
      var network: [Layer]
      var targets: String
      var diag_reg: Double
      var learning_rate: Double
      var times: [Double]
      var shape: [Int]
      var outputs: Int
      var kernels: [String: Prediction]
      /// Fashion-MNIST: NT's predictions on NT's own kernel_fn, whose ReLU NTK diagonal is off the
      /// arc-cosine value by `nt_ntk_diagonal_relative_error` (`kernels` is NT's predict on the
      /// arc-cosine kernels in 40-digit mpmath).
      var kernels_nt_kernel_fn: [String: Prediction]?
      var nt_ntk_diagonal_relative_error: Double?
      var testDescription: String { name }
    }
    struct Fit: Decodable, Sendable, CustomTestStringConvertible {
      var name: String
      /// CSV text, or nil with `inputs` a fashion-mnist(…) subset.
      var data: String?
      var inputs: Data?
      var columns: [String]?
      var targets: String
      var network: [Layer]
      var noise: Double
      var w_std: [Double]
      var b_std: [Double]
      var lml: [[Double]]
      var testDescription: String { name }
    }
    /// Gram matrices (row-major) and the eigenvalues of K/n (descending) of a network on inputs.
    struct Gram: Decodable, Sendable, CustomTestStringConvertible {
      var name: String
      var inputs: Data
      var network: [Layer]
      var shape: [Int]
      var nngp: [Double]
      var ntk: [Double]
      var nngp_eigenvalues: [Double]
      var ntk_eigenvalues: [Double]
      var testDescription: String { name }
    }
    var nt: String
    var cases: [Case]
    var fits: [Fit]
    var grams: [Gram]

    static let shared: Fixture = {
      let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nt_predict.json")
      // a missing or malformed fixture gives no cases, and `fixtureHasEveryCase` fails
      guard let data = try? Foundation.Data(contentsOf: url), let f = try? JSONDecoder().decode(Fixture.self, from: data) else {
        return Fixture(nt: "", cases: [], fits: [], grams: [])
      }
      return f
    }()
  }

  /// A layer of the fixture's vocabulary: `[name]` or `[name, {w_std, b_std, window, padding}]`.
  struct Layer: Decodable, Sendable {
    var name: String
    var args: [String: Arg]
    enum Arg: Decodable, Sendable {
      case number(Double)
      case list([Int])
      case text(String)
      init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let x = try? c.decode(Double.self) {
          self = .number(x)
        } else if let l = try? c.decode([Int].self) {
          self = .list(l)
        } else {
          self = .text(try c.decode(String.self))
        }
      }
      var number: Double? { if case .number(let x) = self { x } else { nil } }
    }
    init(from decoder: Decoder) throws {
      var c = try decoder.unkeyedContainer()
      name = try c.decode(String.self)
      args = c.isAtEnd ? [:] : try c.decode([String: Arg].self)
    }
    var network: Network {
      switch name {
      case "dense": return .dense(DenseLayer(wStd: args["w_std"]?.number ?? 1, bStd: args["b_std"]?.number))
      case "conv":
        guard case .list(let window)? = args["window"] else { return .identity }
        return .conv(ConvLayer(window: window, padding: .same, wStd: args["w_std"]?.number ?? 1, bStd: args["b_std"]?.number))
      case "relu": return .activation(.abRelu(a: 0, b: 1))
      case "erf": return .activation(.erf(a: 1, b: 1, c: 0))  // stax.Erf() defaults
      case "flatten": return .flatten
      case "global_avg_pool": return .globalPool(.average)
      default: return .identity
      }
    }
  }

  static func network(_ layers: [Layer]) -> Network { .serial(layers.map(\.network)) }

  /// The network as a directive on `d` writes it: on fashion-mnist(…)'s 28×28×1 images an MLP of
  /// the fixture (which reads 784-vectors) starts with `flatten` (⟨x, x′⟩/784, as stax's Dense on
  /// the vectors).
  static func network(_ layers: [Layer], on d: Fixture.Data) -> Network {
    guard case .fashion = d else { return network(layers) }
    return .serial([.flatten] + layers.map(\.network))
  }

  /// An inputs value and the bytes it reads: CSV text as it is, a flat image list as `.npy`, a
  /// fashion-mnist(…) subset from Debian's files (a missing package is a recorded issue).
  static func input(_ d: Fixture.Data, _ name: String, columns: [String]?, shape: [Int]) -> (InputsValue, [String: [UInt8]]) {
    switch d {
    case .text(let t): return (InputsValue(.csv(path: "\(name).csv", columns: columns, labels: "label")), ["\(name).csv": Array(t.utf8)])
    case .values(let v):
      let n = v.count / shape.reduce(1, *)
      return (InputsValue(.npy(path: "\(name).npy")), ["\(name).npy": NPY.write(v, shape: [n] + shape) ?? []])
    case .fashion(let f):
      var bytes: [String: [UInt8]] = [:]
      for file in f.value.files {
        guard let data = FileManager.default.contents(atPath: file.path) else {
          Issue.record("dataset-fashion-mnist is not installed (make test installs it): \(file.path)")
          continue
        }
        bytes[file.path] = Array(data)
      }
      return (f.value, bytes)
    }
  }

  /// The case's inputs values and the files they read.
  static func inputs(_ c: Fixture.Case) -> (train: InputsValue, test: InputsValue, files: InputFiles) {
    let (train, a) = input(c.train, "train", columns: c.columns, shape: c.shape)
    let (test, b) = input(c.test, "test", columns: c.columns, shape: c.shape)
    return (train, test, InputFiles(a.merging(b) { x, _ in x }))
  }

  /// |a − b| ≤ 1e-10 · max(|b|, the largest |entry| of the reference array).
  static func agree(_ a: [Double], _ b: [Double], _ what: String) {
    #expect(a.count == b.count, "\(what): \(a.count) vs \(b.count) values")
    let scale = b.map(abs).max() ?? 0
    let worst = zip(a, b).map { abs($0 - $1) / max(abs($1), scale, 1e-300) }.max() ?? 0
    #expect(worst <= 1e-10, "\(what): worst relative difference \(worst)")
  }

  @Test func fixtureHasEveryCase() {
    #expect(Fixture.shared.nt == "0.6.5")
    #expect(Fixture.shared.cases.map(\.name) == ["csv-labels", "csv-y", "fashion-labels", "npy-conv", "fashion-subset"])
    #expect(Fixture.shared.fits.map(\.name) == ["csv-labels", "csv-y", "fashion-labels", "fashion-subset"])
    #expect(Fixture.shared.grams.map(\.name) == ["fashion-subset", "npy-conv-pool"])
  }

  @Test(arguments: Fixture.shared.cases)
  func predictAgreesWithNT(_ c: Fixture.Case) throws {
    let (train, test, files) = Self.inputs(c)
    var o = PredictKind.Options()
    o.inputs = train
    o.test = OptionalInputs(test)
    o.network = NetworkValue(Self.network(c.network, on: c.train))
    o.targets = c.targets
    o.times = GridPoints(c.times)
    o.diagReg = c.diag_reg
    o.learningRate = c.learning_rate
    var context = RunContext(seed: 11)
    context.files = files
    let kind = PredictKind()
    #expect(kind.checkFiles(o, files: files) == nil)
    let r = try kind.run(o, context: context)
    let arrays = Dictionary(uniqueKeysWithValues: (r.arrays ?? []).map { ($0.name, $0) })
    let table = try #require(r.table)
    for g in ["nngp", "ntk"] {
      let nt = try #require(c.kernels[g])
      let m = nt.mean.count / c.outputs
      Self.agree(try #require(arrays["\(g).mean"]).values, nt.mean, "\(c.name) \(g) posterior mean")
      Self.agree(
        try #require(arrays["\(g).variance"]).values, (0..<m).map { nt.covariance[$0 * m + $0] }, "\(c.name) \(g) posterior variance")
      Self.agree(try #require(arrays["\(g).mean_t"]).values, nt.times.mean, "\(c.name) \(g) means at t = \(c.times)")
      Self.agree(try #require(r.series.first { $0.name == g }).y, nt.times.mse, "\(c.name) \(g) test MSE at t")
      let row = try #require(table.rows.first { $0.first == g })
      Self.agree([try #require(Double(row[1]))], [nt.mse], "\(c.name) \(g) test MSE at t = ∞")
      #expect(row[4] == "0.0", "\(c.name) \(g): no jitter was needed (NT used none)")
    }
    if let own = c.kernels_nt_kernel_fn, let e = c.nt_ntk_diagonal_relative_error {
      // NT's kernel_fn: its NNGP is exact to rounding (so are its NNGP predictions); its NTK's
      // diagonal is off by e ≈ 1.7e-8, which moves the NTK means by at most ~e·cond (cond ≈ 120)
      #expect(e > 1e-9 && e < 1e-7, "NT's NTK diagonal error \(e)")
      Self.agree(try #require(arrays["nngp.mean"]).values, try #require(own["nngp"]).mean, "\(c.name) NNGP mean vs NT's kernel_fn")
      let ours = try #require(arrays["ntk.mean"]).values, theirs = try #require(own["ntk"]).mean
      let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
      #expect(worst > 1e-12 && worst < 1e-6, "\(c.name) NTK mean vs NT's kernel_fn: \(worst)")
    }
    #expect(try #require(arrays["test_index"]).values == (0..<(c.kernels["nngp"]!.mean.count / c.outputs)).map(Double.init))
    if c.targets == "labels" {
      o.metric = .accuracy
      let acc = try kind.run(o, context: context)
      for g in ["nngp", "ntk"] {
        let row = try #require(acc.table?.rows.first { $0.first == g })
        #expect(Double(row[1]) == c.kernels[g]?.accuracy, "\(c.name) \(g) accuracy")
      }
    }
  }

  /// The covariances at finite times (not published by the kind) from `KernelPrediction.ensemble`
  /// on kernels computed here, against NT's `compute_cov=True`.
  @Test(arguments: Fixture.shared.cases)
  func ensembleCovariancesAgreeWithNT(_ c: Fixture.Case) throws {
    let (train, test, files) = Self.inputs(c)
    guard case .batch(let a) = try train.inputs(seed: 0, files: files), case .batch(let b) = try test.inputs(seed: 0, files: files)
    else { throw ExperimentError("the fixture's inputs do not decode") }
    let net = Self.network(c.network)
    // images read by an MLP are vectors (as the kinds read them)
    let (xa, xb) = c.shape.count == 1 ? (a.asVectors, b.asVectors) : (a, b)
    let dd = try net.kernel(xa), td = try net.kernel(xb, xa), tt = try net.kernel(xb, computeNTK: false)
    let labels = (a.labels ?? []) + (b.labels ?? [])
    let classes = Array(Set(labels)).sorted { (Double($0) ?? 0) < (Double($1) ?? 0) }
    func targets(_ batch: InputBatch, _ v: InputsValue) throws -> Matrix {
      switch c.targets {
      case "labels":
        var m = Matrix(rows: batch.count, columns: classes.count)
        for (i, l) in (batch.labels ?? []).enumerated() { m[i, classes.firstIndex(of: l) ?? 0] = 1 }
        return m
      case "smooth":
        return Matrix(
          rows: batch.count, columns: 1,
          storage: RegressionTarget.smooth.values(Matrix(rows: batch.count, columns: batch.size, storage: batch.storage)))
      default:
        guard case .csv(let path, _, _) = v.source else { throw ExperimentError("no CSV") }
        let d = try CSVData.read(files.bytes[path] ?? [], columns: [c.targets])
        return Matrix(rows: batch.count, columns: 1, storage: d.values)
      }
    }
    let yTrain = try targets(a, train)
    for (name, g) in [("nngp", KernelPrediction.Kernel.nngp), ("ntk", .ntk)] {
      let nt = try #require(c.kernels[name])
      let at = try KernelPrediction.ensemble(
        g, times: c.times, learningRate: c.learning_rate, trainTrain: KernelPrediction.Kernels(nngp: dd.nngp, ntk: dd.ntk),
        testTrain: KernelPrediction.Kernels(nngp: td.nngp, ntk: td.ntk), testTest: tt.nngp, y: yTrain, diagReg: c.diag_reg)
      Self.agree(at.flatMap { $0.covariance?.storage ?? [] }, nt.times.covariance, "\(c.name) \(name) covariances at t")
      Self.agree(at.flatMap { $0.mean.storage }, nt.times.mean, "\(c.name) \(name) means at t")
      let (inf, _) = try KernelPrediction.gpInference(
        g, trainTrain: KernelPrediction.Kernels(nngp: dd.nngp, ntk: dd.ntk),
        testTrain: KernelPrediction.Kernels(nngp: td.nngp, ntk: td.ntk),
        testTest: tt.nngp, y: yTrain, diagReg: c.diag_reg)
      Self.agree(inf.covariance?.storage ?? [], nt.covariance, "\(c.name) \(name) posterior covariance")
    }
  }

  @Test(arguments: Fixture.shared.fits)
  func fitAgreesWithNumpy(_ f: Fixture.Fit) throws {
    var o = FitKind.Options()
    var context = RunContext(seed: 3)
    if let data = f.data {
      o.inputs = InputsValue(.csv(path: "data.csv", columns: f.columns, labels: "label"))
      context.files = InputFiles(["data.csv": Array(data.utf8)])
    } else {
      let given = try #require(f.inputs, "\(f.name): neither data nor inputs")
      let (v, bytes) = Self.input(given, "data", columns: f.columns, shape: [784])
      o.inputs = v
      context.files = InputFiles(bytes)
    }
    o.network = NetworkValue(Self.network(f.network, on: f.inputs ?? .text("")))
    o.targets = f.targets
    o.wStd = GridPoints(f.w_std)
    o.bStd = GridPoints(f.b_std)
    o.noise = GridPoints([f.noise])
    let r = try FitKind().run(o, context: context)
    let grid = try #require(r.grid)
    #expect(grid.x == f.w_std && grid.y == f.b_std)
    // the grid is values[b][w]; the fixture lml[w][b]
    Self.agree(grid.values.flatMap { $0 }, f.b_std.indices.flatMap { j in f.w_std.indices.map { f.lml[$0][j] } }, "\(f.name) LML grid")
    var best = (0, 0)
    for i in f.w_std.indices { for j in f.b_std.indices where f.lml[i][j] > f.lml[best.0][best.1] { best = (i, j) } }
    let row = try #require(r.table?.rows.first)
    #expect(row[0] == "optimum" && Double(row[1]) == f.w_std[best.0] && Double(row[2]) == f.b_std[best.1], "\(row)")
    Self.agree([try #require(Double(row[4]))], [f.lml[best.0][best.1]], "\(f.name) optimum")
  }

  /// `gram`'s NNGP and NTK matrices (the `.npy` arrays) and `spectrum`'s eigenvalues of K/n on
  /// the same inputs, against the fixture: a fashion-mnist(…) subset through a ReLU MLP (mpmath's
  /// arc-cosine kernels) and 6×6×2 `.npy` images through conv → relu → conv → erf → global
  /// average pool → dense (NT's kernel_fn). `spectrum` reads every input as a vector, so the conv
  /// case's eigenvalues are those of gram's matrices (LAPACK's dsyevd).
  @Test(arguments: Fixture.shared.grams)
  func gramAndEigenvaluesAgreeWithNT(_ g: Fixture.Gram) throws {
    let (inputs, bytes) = Self.input(g.inputs, "x", columns: nil, shape: g.shape)
    var context = RunContext(seed: 17)
    context.files = InputFiles(bytes)
    var o = GramKind.Options()
    o.inputs = inputs
    o.network = NetworkValue(Self.network(g.network, on: g.inputs))
    o.kernel = [.nngp, .ntk]
    o.sort = .class
    let r = try GramKind().run(o, context: context)
    let arrays = Dictionary(uniqueKeysWithValues: (r.arrays ?? []).map { ($0.name, $0) })
    let n = Int(Double(g.nngp.count).squareRoot())
    for (name, reference, eigenvalues) in [("nngp", g.nngp, g.nngp_eigenvalues), ("ntk", g.ntk, g.ntk_eigenvalues)] {
      let a = try #require(arrays[name])
      #expect(a.shape == [n, n])
      Self.agree(a.values, reference, "\(g.name) gram \(name)")
      if g.shape.count > 1 {
        let k = Matrix(rows: n, columns: n, storage: a.values.map { $0 / Double(n) })
        Self.agree(try k.symmetricEigenvalues().sorted(by: >), eigenvalues, "\(g.name) eigenvalues of the \(name) Gram matrix / n")
      }
    }
    guard g.shape.count == 1 else { return }
    var s = SpectrumKind.Options()
    s.inputs = OptionalInputs(inputs)
    s.network.explicit = NetworkValue(Self.network(g.network))  // spectrum reads the images as vectors
    s.kernels = [.ntk, .nngp]
    s.fit = [2, Double(n / 2)]
    let spectrum = try SpectrumKind().run(s, context: context)
    for (name, eigenvalues) in [("ntk", g.ntk_eigenvalues), ("nngp", g.nngp_eigenvalues)] {
      let series = try #require(spectrum.series.first { $0.name == name }, "\(spectrum.series.map(\.name))")
      Self.agree(series.y, eigenvalues, "\(g.name) spectrum \(name)")
    }
  }
}
