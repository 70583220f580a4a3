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
    enum Data: Decodable, Sendable {
      case text(String)
      case values([Double])
      init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) { self = .text(s) } else { self = .values(try c.decode([Double].self)) }
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
      var data: String
      var columns: [String]?
      var targets: String
      var network: [Layer]
      var noise: Double
      var w_std: [Double]
      var b_std: [Double]
      var lml: [[Double]]
      var testDescription: String { name }
    }
    var nt: String
    var cases: [Case]
    var fits: [Fit]

    static let shared: Fixture = {
      let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nt_predict.json")
      // a missing or malformed fixture gives no cases, and `fixtureHasEveryCase` fails
      guard let data = try? Foundation.Data(contentsOf: url), let f = try? JSONDecoder().decode(Fixture.self, from: data) else {
        return Fixture(nt: "", cases: [], fits: [])
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
      default: return .identity
      }
    }
  }

  static func network(_ layers: [Layer]) -> Network { .serial(layers.map(\.network)) }

  /// The case's files and inputs values: CSV files as they are, flat image lists as `.npy`.
  static func inputs(_ c: Fixture.Case) -> (train: InputsValue, test: InputsValue, files: InputFiles) {
    func file(_ d: Fixture.Data, _ name: String) -> (InputsValue, [UInt8]) {
      switch d {
      case .text(let t): return (InputsValue(.csv(path: "\(name).csv", columns: c.columns, labels: "label")), Array(t.utf8))
      case .values(let v):
        let n = v.count / c.shape.reduce(1, *)
        return (InputsValue(.npy(path: "\(name).npy")), NPY.write(v, shape: [n] + c.shape) ?? [])
      }
    }
    let (train, a) = file(c.train, "train"), (test, b) = file(c.test, "test")
    let files = InputFiles([train.files[0].path: a, test.files[0].path: b])
    return (train, test, files)
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
    #expect(Fixture.shared.cases.map(\.name) == ["csv-labels", "csv-y", "fashion-labels", "npy-conv"])
    #expect(Fixture.shared.fits.map(\.name) == ["csv-labels", "csv-y", "fashion-labels"])
  }

  @Test(arguments: Fixture.shared.cases)
  func predictAgreesWithNT(_ c: Fixture.Case) throws {
    let (train, test, files) = Self.inputs(c)
    var o = PredictKind.Options()
    o.inputs = train
    o.test = OptionalInputs(test)
    o.network = NetworkValue(Self.network(c.network))
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
    guard case .batch(let a) = try train.inputs(seed: 0, files: files), case .batch(let b) = try test.inputs(seed: 0, files: files),
      let xa = SkelKernels.InputBatch(shape: a.shape, count: a.count, storage: a.values),
      let xb = SkelKernels.InputBatch(shape: b.shape, count: b.count, storage: b.values)
    else { throw ExperimentError("the fixture's inputs do not decode") }
    let net = Self.network(c.network)
    let dd = try net.kernel(xa), td = try net.kernel(xb, xa), tt = try net.kernel(xb, computeNTK: false)
    let labels = (a.labels ?? []) + (b.labels ?? [])
    let classes = Array(Set(labels)).sorted { (Double($0) ?? 0) < (Double($1) ?? 0) }
    func targets(_ batch: SkelExperiments.InputBatch, _ v: InputsValue) throws -> Matrix {
      switch c.targets {
      case "labels":
        var m = Matrix(rows: batch.count, columns: classes.count)
        for (i, l) in (batch.labels ?? []).enumerated() { m[i, classes.firstIndex(of: l) ?? 0] = 1 }
        return m
      case "smooth":
        return Matrix(
          rows: batch.count, columns: 1,
          storage: RegressionTarget.smooth.values(Matrix(rows: batch.count, columns: batch.dimension, storage: batch.values)))
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
    o.inputs = InputsValue(.csv(path: "data.csv", columns: f.columns, labels: "label"))
    o.network = NetworkValue(Self.network(f.network))
    o.targets = f.targets
    o.wStd = GridPoints(f.w_std)
    o.bStd = GridPoints(f.b_std)
    o.noise = GridPoints([f.noise])
    var context = RunContext(seed: 3)
    context.files = InputFiles(["data.csv": Array(f.data.utf8)])
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
}
