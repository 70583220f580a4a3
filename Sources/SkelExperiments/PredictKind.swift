import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} predict`: the test error (or accuracy) of infinite-width networks on a train/test
/// split of data, as neural-tangents 0.6.5's `nt.predict` computes it (`KernelPrediction`):
/// `gp_inference` (NNGP: the Bayesian posterior; NTK: the infinite ensemble trained to
/// convergence, t = ∞) and `gradient_descent_mse_ensemble` at training times t, against t or
/// against the number of training points, mean ± standard error over random splits.
public struct PredictKind: DirectiveKind {
  public init() {}

  public enum Against: String, OptionChoice {
    case time, size
  }

  public enum Metric: String, OptionChoice {
    case mse, accuracy
  }

  public struct Options: KindOptions {
    public var inputs = InputsValue(.generated(law: .cube, n: 120, d: 3))
    public var test = OptionalInputs()
    public var network = NetworkValue(
      MLPShorthand(depth: 2, activation: .relu, wStd: 2.0.squareRoot(), bStd: 0.1, wStdOut: 1).network)
    public var targets = "smooth"
    public var kernel: [GramKind.KernelChoice] = [.nngp, .ntk]
    public var against = Against.time
    public var times = GridPoints.logspace(-1, 6, 29)
    public var sizes: [Int] = []
    public var testPoints = 40
    public var splits = 1
    public var metric = Metric.mse
    public var diagReg = 0.0
    public var learningRate = 1.0
    public init() {}

    var target: DataTargets { DataTargets(targets) }
  }

  public let name = "predict"
  public let summary =
    "NNGP/NTK predictions on a train/test split (NT's gp_inference and gradient_descent_mse_ensemble): test MSE or accuracy against training time t or training points n"
  public let fields: [Field<Options>] = [
    Field(
      "inputs", \.inputs, InputsValue.type,
      "the training inputs (a .csv or .npy file, fashion-mnist(…), gaussian(n, d), …); without ':test:' a random test_points of them are held out per split"
    ),
    Field("test", \.test, InputsValue.type, "the test inputs (none: held out from 'inputs' at random, per split)"),
    Field("network", \.network, NetworkOption.type, "the network, a list of layers (stax names); its output must be a vector"),
    Field(
      "targets", \.targets, .string,
      "labels (the inputs' classes one-hot), smooth, oscillating, step (functions of the inputs), or a numeric column of the inputs' CSV file"
    ),
    Field("kernel", \.kernel, .list(GramKind.KernelChoice.optionType, minCount: 1), "the kernels that predict, one series each"),
    .choice("against", \.against, "x axis: training time t (at the largest size), or training points n (at t = ∞)"),
    Field("times", \.times, .grid(min: 0, max: nil), "training times t (NT's t, in units of learning_rate; against: time)"),
    Field(
      "sizes", \.sizes, .list(.integer(min: 1, max: GramKind.maxFileRows), minCount: 0),
      "training set sizes n, drawn at random from the training inputs (empty: all of them)"),
    Field(
      "test_points", \.testPoints, .integer(min: 1, max: GramKind.maxFileRows), "test inputs held out per split when there is no ':test:'"),
    Field("splits", \.splits, .integer(min: 1, max: 100), "random splits (training subsets, held-out sets); mean ± s.e. over them"),
    .choice("metric", \.metric, "test mean squared error (over test points and outputs) or accuracy (argmax, targets: labels)"),
    Field(
      "diag_reg", \.diagReg, .number(min: 0, max: 1e6),
      "NT's diag_reg: K + diag_reg·mean(diag K)·I; a matrix that does not factor gets the jitter rule on top (in the table)"),
    Field("learning_rate", \.learningRate, .number(min: 1e-12, max: 1e12), "NT's learning_rate η (time is η·t)"),
  ]
  public let example = """
    ```{kernel} predict
    :label: fig-pred
    :inputs: fashion-mnist(n=200, classes=[0, 7], split=train)
    :test: fashion-mnist(n=100, classes=[0, 7], split=test)
    :network: [dense(w_std=1.5, b_std=0.05), relu, dense(w_std=1.5, b_std=0.05)]
    :targets: labels
    :times: logspace(-1, 5, 25)
    :diag_reg: 1e-4

    Test error of the NNGP posterior and of the NTK ensemble during training.
    ```
    """

  /// Entries of the inputs at most (both files together): the kernels are Gram matrices of them.
  public static let maxInputs = GramKind.maxFileRows
}

// MARK: - Running

extension PredictKind {
  /// The decoded training and test batches (the test batch nil without `:test:`).
  static func batches(_ o: Options, seed: UInt64, files: InputFiles) throws -> (train: InputBatch, test: InputBatch?) {
    guard case .batch(let train) = try o.inputs.inputs(seed: seed, files: files) else {
      throw ExperimentError("predict takes a batch of inputs, not pairs(…)")
    }
    var test: InputBatch?
    if let v = o.test.value {
      guard case .batch(let t) = try v.inputs(seed: seed &+ 1, files: files) else {
        throw ExperimentError("predict takes a batch of test inputs, not pairs(…)")
      }
      guard t.shape == train.shape else {
        throw ExperimentError(
          "the test inputs are \(GramKind.text(t.shape)), the training inputs \(GramKind.text(train.shape)); they must have one shape")
      }
      test = t
    }
    return (train, test)
  }

  /// One split: training indices (the first `n` of the order) and test indices, into the union
  /// of the training inputs and the test inputs. `pool` counts the inputs to train on: all the
  /// training inputs with `test` (test inputs), or all but the `testPoints` held out.
  static func split(_ s: Int, pool: Int, test: Int?, testPoints: Int, seed: UInt64) -> (order: [Int], test: [Int]) {
    var g = SeededGenerator(seed: seed, label: "split=\(s)")
    let count = test == nil ? pool + testPoints : pool
    var p = Array(0..<count)
    for i in stride(from: count - 1, to: 0, by: -1) { p.swapAt(i, Int(g.next() % UInt64(i + 1))) }
    if let m = test {
      return (p, Array(pool..<(pool + m)))
    }
    return (Array(p[testPoints...]), Array(p[0..<testPoints]))
  }

  /// Mean squared error over every entry, or the fraction of rows whose argmax agrees.
  static func score(_ f: Matrix, _ y: Matrix, metric: Metric) -> Double {
    switch metric {
    case .mse:
      var s = 0.0
      for i in 0..<f.storage.count { s += (f.storage[i] - y.storage[i]) * (f.storage[i] - y.storage[i]) }
      return s / Double(max(1, f.storage.count))
    case .accuracy:
      func argmax(_ m: Matrix, _ i: Int) -> Int {
        var best = 0
        for c in 1..<max(1, m.columns) where m[i, c] > m[i, best] { best = c }
        return best
      }
      return Double((0..<f.rows).count { argmax(f, $0) == argmax(y, $0) }) / Double(max(1, f.rows))
    }
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let p = try Self.problem(o, context: context)
    context.progress(0.5)
    var acc = Scores(kernels: o.kernel.count, slots: o.against == .time ? o.times.points.count : p.runSizes.count)
    for s in 0..<o.splits {
      try Self.predict(split: s, p, o, seed: context.seed, into: &acc)
      context.progress(0.5 + 0.5 * Double(s + 1) / Double(o.splits))
    }
    return Self.result(o, p, acc)
  }

  /// What every split shares: the training-set sizes, the union of training and test inputs,
  /// their targets and the kernels of the union.
  struct Problem {
    var pool: Int, largest: Int, runSizes: [Int]
    var union: InputBatch, testCount: Int?
    var y: Matrix, nngp: Matrix, ntk: Matrix?
  }

  /// The scores per kernel, x and split, the t = ∞ scores, the solves' regularizers and the
  /// arrays of the first split, filled split by split.
  struct Scores {
    var scores: [[[Double]]]
    var infinite: [[Double]]
    var jitter: [Double], regularizer: [Double]
    var arrays: [ResultArray] = []
    init(kernels: Int, slots: Int) {
      scores = Array(repeating: Array(repeating: [], count: slots), count: kernels)
      infinite = Array(repeating: [], count: kernels)
      jitter = Array(repeating: 0, count: kernels)
      regularizer = Array(repeating: 0, count: kernels)
    }
  }

  static func problem(_ o: Options, context: RunContext) throws -> Problem {
    let (train, test) = try batches(o, seed: context.seed, files: context.files)
    guard let network = o.network.network else { throw ExperimentError("predict needs a network") }
    let pool = test == nil ? train.count - o.testPoints : train.count
    guard pool >= 1 else {
      throw ExperimentError("the inputs have \(train.count) points; holding out test_points = \(o.testPoints) leaves none to train on")
    }
    let sizes = o.sizes.isEmpty ? [pool] : o.sizes
    guard let largest = sizes.max(), largest <= pool else {
      throw ExperimentError("a training set of \(o.sizes.max() ?? 0) points was asked for; there are \(pool) to draw from")
    }
    // the targets of every input (training inputs, then test inputs), one-hot in one class order
    let classes = DataTargets.classes([train] + (test.map { [$0] } ?? []))
    var y = try o.target.values(train, inputs: o.inputs, files: context.files, classes: classes)
    if let t = test, let v = o.test.value {
      let yt = try o.target.values(t, inputs: v, files: context.files, classes: classes)
      y = Matrix(rows: y.rows + yt.rows, columns: y.columns, storage: y.storage + yt.storage)
    }
    let union =
      try test.map { t in try InputBatch.drawn(count: train.count + t.count, shape: train.shape, values: train.storage + t.storage) }
      ?? train
    let ntk = o.kernel.contains(.ntk)
    let k = try GramKind.kernels(
      network, rows: union, kernels: ntk ? [.nngp, .ntk] : [.nngp], compute: context.compute)
    return Problem(
      pool: pool, largest: largest, runSizes: o.against == .time ? [largest] : sizes, union: union, testCount: test?.count, y: y,
      nngp: k[0], ntk: ntk ? k[1] : nil)
  }

  /// Split `s`: every training-set size, every kernel; the first split's largest size also
  /// records its means and variances.
  static func predict(split s: Int, _ p: Problem, _ o: Options, seed: UInt64, into acc: inout Scores) throws {
    let (order, testIndex) =
      o.splits == 1 && p.testCount != nil && p.largest == p.pool
      ? (Array(0..<p.pool), Array(p.pool..<p.union.count))
      : split(s, pool: p.pool, test: p.testCount, testPoints: o.testPoints, seed: seed)
    let yTest = p.y.selecting(rows: testIndex)
    for (slot, n) in p.runSizes.enumerated() {
      let trainIndex = Array(order[0..<n])
      func blocks(_ m: Matrix) -> (dd: Matrix, td: Matrix) {
        (m.selecting(rows: trainIndex, columns: trainIndex), m.selecting(rows: testIndex, columns: trainIndex))
      }
      let nn = blocks(p.nngp), tt = p.ntk.map(blocks)
      let trainTrain = KernelPrediction.Kernels(nngp: nn.dd, ntk: tt?.dd), testTrain = KernelPrediction.Kernels(nngp: nn.td, ntk: tt?.td)
      let yTrain = p.y.selecting(rows: trainIndex)
      let last = n == p.largest
      let record = s == 0 && last
      let testTest = record ? p.nngp.selecting(rows: testIndex, columns: testIndex) : nil
      for (i, choice) in o.kernel.enumerated() {
        let g: KernelPrediction.Kernel = choice == .nngp ? .nngp : .ntk
        let (posterior, factor) = try solved {
          try KernelPrediction.gpInference(
            g, trainTrain: trainTrain, testTrain: testTrain, testTest: testTest, y: yTrain, diagReg: o.diagReg)
        }
        acc.jitter[i] = max(acc.jitter[i], factor.jitter)
        if s == 0 { acc.regularizer[i] = factor.regularizer }
        if o.against == .size { acc.scores[i][slot].append(score(posterior.mean, yTest, metric: o.metric)) }
        if last { acc.infinite[i].append(score(posterior.mean, yTest, metric: o.metric)) }
        if record {
          acc.arrays.append(
            ResultArray(name: "\(choice.rawValue).mean", shape: [testIndex.count, p.y.columns], values: posterior.mean.storage))
          if let v = posterior.variance {
            acc.arrays.append(ResultArray(name: "\(choice.rawValue).variance", shape: [testIndex.count], values: v))
          }
        }
        guard o.against == .time else { continue }
        let times = o.times.points
        let at = try solved {
          try KernelPrediction.ensemble(
            g, times: times, learningRate: o.learningRate, trainTrain: trainTrain, testTrain: testTrain, testTest: nil, y: yTrain,
            diagReg: o.diagReg)
        }
        for (j, q) in at.enumerated() { acc.scores[i][j].append(score(q.mean, yTest, metric: o.metric)) }
        if record {
          acc.arrays.append(
            ResultArray(
              name: "\(choice.rawValue).mean_t", shape: [times.count, testIndex.count, p.y.columns], values: at.flatMap(\.mean.storage)))
        }
      }
    }
    if s == 0 {
      let base = p.testCount == nil ? 0 : p.pool
      acc.arrays.append(ResultArray(name: "test_index", shape: [testIndex.count], values: testIndex.map { Double($0 - base) }))
    }
  }

  /// The series (mean ± s.e. over splits), the t = ∞ table and the recorded arrays.
  static func result(_ o: Options, _ p: Problem, _ acc: Scores) -> ExperimentResult {
    let xs = o.against == .time ? o.times.points : p.runSizes.map(Double.init)
    let series = o.kernel.enumerated().map { i, c in
      let stats = acc.scores[i].map(RegressionKind.meanAndError)
      return SeriesData(name: c.rawValue, x: xs, y: stats.map(\.0), yerr: o.splits > 1 ? stats.map(\.1) : nil, family: c.rawValue)
    }
    let at = o.against == .time ? "t = ∞" : "n = \(p.largest), t = ∞"
    let rows = o.kernel.enumerated().map { i, c -> [String] in
      let (m, e) = RegressionKind.meanAndError(acc.infinite[i])
      return [c.rawValue, "\(m)", o.splits > 1 ? "\(e)" : "", "\(acc.regularizer[i])", "\(acc.jitter[i])"]
    }
    let what = o.metric == .mse ? "test MSE" : "test accuracy"
    var r = ExperimentResult(
      xlabel: o.against == .time ? "t" : "n", ylabel: o.metric == .mse ? "test_mse" : "test_accuracy",
      xlabelTeX: o.against == .time ? "training time $t$" : "training points $n$", ylabelTeX: what, series: series,
      table: TableData(columns: ["kernel", "\(what) at \(at)", "s.e.", "regularizer", "jitter"], rows: rows, nameColumns: [0]))
    r.arrays = acc.arrays
    return r
  }

  /// A solve's failure as the reason, not a LAPACK code.
  static func solved<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch LinearAlgebraError.notPositiveDefinite {
      throw ExperimentError(
        "the training kernel is not positive definite even with a jitter of 10⁻³ × its mean diagonal; raise ':diag_reg:' or remove duplicate inputs"
      )
    }
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    var marks: [Mark] = result.series.map { s in
      let keep = s.x.indices.filter { o.against == .size || s.x[$0] > 0 }  // t = 0 has no place on a log axis
      return .errorBars(
        ErrorBarSeries(
          name: s.name.uppercased(), x: keep.map { s.x[$0] }, y: keep.map { s.y[$0] }, error: keep.map { s.yerr?[$0] ?? 0 },
          connected: true))
    }
    // t = ∞ (gp_inference) as a dashed line in each kernel's colour across the times drawn
    let drawn = result.series.flatMap { $0.x.filter { $0 > 0 } }
    if o.against == .time, let t = result.table, let lo = drawn.min(), let hi = drawn.max() {
      for (i, row) in t.rows.enumerated() {
        if let v = row.count > 1 ? Double(row[1]) : nil {
          marks.append(.line(LineSeries(name: "\(row[0].uppercased()), t = ∞", x: [lo, hi], y: [v, v], dash: [5, 3], colorSlot: i)))
        }
      }
    }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX), marks: marks, legend: .best)
      ])
  }
}

// MARK: - Cost and checks

extension PredictKind {
  public func cost(_ o: Options) -> Cost { cost(o, measured: MeasuredInputs()) }

  public func cost(_ o: Options, measured: MeasuredInputs) -> Cost {
    var c = CostBuilder()
    let (nIn, d, spatial) = GramKind.size(o.inputs, measured: measured)
    let nTest = o.test.value.map { GramKind.size($0, measured: measured).n } ?? 0
    let total = nIn + nTest
    o.inputs.addCost(to: &c, option: "inputs")
    if let v = o.test.value { v.addCost(to: &c, option: "test") }
    let kernels = o.kernel.contains(.ntk) ? 2 : 1
    // the kernels of every input, a training block and its factor or eigenvectors per kernel
    c.doubles(
      [kernels + 4, total, total], "\(kernels) kernel matrices of \(total) × \(total) inputs and their blocks", options: ["inputs", "test"])
    GramKind.addKernelWork(to: &c, n: total, d: d, spatial: spatial, network: o.network)
    let m = Double(o.test.value == nil ? min(o.testPoints, nIn) : nTest)
    let pool = o.test.value == nil ? max(1, nIn - o.testPoints) : nIn
    let sizes = (o.sizes.isEmpty ? [pool] : o.sizes).map { Double(min($0, max(pool, 1))) }
    let outputs = Double(o.target.outputs(o.inputs))
    var flops = 0.0
    for n in o.against == .time ? [sizes.max() ?? 1] : sizes {
      flops += n * n * n / 3 + 2 * n * n * (m + outputs) + m * m * n  // Cholesky, solves, the covariance
      if o.against == .time {
        flops += 10 * n * n * n + Double(o.times.points.count) * (n * m + n * outputs) * outputs  // eigh, then every time
      }
    }
    c.work(
      flops * Double(o.kernel.count * o.splits), each: UnitCost.flop,
      "\(o.splits) splits × \(o.kernel.count) kernels × solves of up to \(Int(sizes.max() ?? 0)) training points",
      options: ["splits", "sizes", "inputs", "times"])
    return c.cost
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func problem(_ key: String, _ message: String) { out += GramKind().at(key, directive, message) }
    if case .pairs = o.inputs.source {
      problem("inputs", "predict takes a batch of inputs (gaussian(n, d), a file, fashion-mnist(…), …), not pairs(…)")
    }
    if let t = o.test.value, case .pairs = t.source { problem("test", "predict takes a batch of test inputs, not pairs(…)") }
    if let p = o.target.problem(o.inputs) { problem("targets", p) }
    if let t = o.test.value, o.target != .labels || GramKind.hasLabels(o.inputs), let p = o.target.problem(t) {
      problem("targets", "on the test inputs: \(p)")
    }
    if o.metric == .accuracy, o.target != .labels {
      problem("metric", "':metric: accuracy' compares the argmax of one-hot classes: it needs ':targets: labels'")
    }
    if Set(o.kernel).count != o.kernel.count { problem("kernel", "option 'kernel' names a kernel twice; give nngp, ntk or [nngp, ntk]") }
    if o.against == .time, o.sizes.count > 1 {
      problem("sizes", "against training time one training set size is used; several sizes need ':against: size'")
    }
    if o.test.value != nil, directive.options.contains(where: { $0.key == "test_points" }) {
      problem("test_points", "'test_points' holds inputs out at random; with ':test:' every test input is used, so give one of them")
    }
    if let shape = GramKind.knownShape(o.inputs) {
      if o.test.value == nil, o.testPoints >= GramKind.size(o.inputs).n {
        problem("test_points", "test_points = \(o.testPoints) leaves none of the \(GramKind.size(o.inputs).n) inputs to train on")
      }
      let pool = GramKind.size(o.inputs).n - (o.test.value == nil ? o.testPoints : 0)
      if let big = o.sizes.max(), big > pool, pool > 0 {
        problem("sizes", "a training set of \(big) points was asked for; the inputs leave \(pool) to draw from")
      }
      out += NetworkShorthandChecks.shapes(directive, input: shape, inputsAre: "the inputs are \(GramKind.text(shape))")
      if out.isEmpty, let p = GramKind.outputProblem(o.network, shape) { problem("network", p) }
    }
    return out
  }

  /// The files' rows (together at most `maxInputs`), the targets they need, the network on their shape.
  public func checkFiles(_ o: Options, files: InputFiles) -> String? {
    guard let (train, test) = try? Self.batches(o, seed: 0, files: files) else { return nil }
    let total = train.count + (test?.count ?? 0)
    if total > Self.maxInputs {
      return
        "the inputs hold \(total) points; predict computes kernels of at most \(Self.maxInputs) (its cost is estimated for that many before the files are read)"
    }
    if test == nil, o.testPoints >= train.count {
      return "test_points = \(o.testPoints) leaves none of the file's \(train.count) inputs to train on"
    }
    if let big = o.sizes.max(), big > train.count - (test == nil ? o.testPoints : 0) {
      return "a training set of \(big) points was asked for; the file leaves \(train.count - (test == nil ? o.testPoints : 0)) to draw from"
    }
    let classes = DataTargets.classes([train] + (test.map { [$0] } ?? []))
    do {
      _ = try o.target.values(train, inputs: o.inputs, files: files, classes: classes)
      if let t = test, let v = o.test.value { _ = try o.target.values(t, inputs: v, files: files, classes: classes) }
    } catch {
      return "targets: \(error)"
    }
    return GramKind.outputProblem(o.network, train.shape).map { "network on the file's inputs (\(GramKind.text(train.shape))): \($0)" }
  }
}
