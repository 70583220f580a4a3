import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// The network options shared by the kinds of Chen, Li, Lin (2024): L hidden ReLU layers of
/// Dense(W_std, b_std) and a readout Dense(W_std_out, b_std), NT parameterization.
public struct ChenNetworkOptions: Sendable, Hashable {
  public var depth = 1
  public var wStd = 2.0.squareRoot()
  public var bStd = 1.0
  public var wStdOut = 2.0.squareRoot()
  /// The `network` option; when given, the four above are not.
  public var explicit = NetworkValue()
  public init() {}

  static let shorthand = ["depth", "w_std", "b_std", "w_std_out"]

  /// The five fields of a kind whose options hold these at `path`.
  static func fields<O: KindOptions>(_ path: WritableKeyPath<O, ChenNetworkOptions>) -> [Field<O>] {
    [
      Field("depth", path.appending(path: \.depth), .integer(min: 1, max: 100), "hidden ReLU layers L"),
      Field("w_std", path.appending(path: \.wStd), .number(min: 0, max: 100), "W_std of the hidden layers"),
      Field("b_std", path.appending(path: \.bStd), .number(min: 0, max: 100), "b_std of every layer (Chen et al. use biases)"),
      Field("w_std_out", path.appending(path: \.wStdOut), .number(min: 0, max: 100), "W_std of the readout"),
      Field(
        "network", path.appending(path: \.explicit), NetworkOption.type,
        "the network, a list of layers (default: the shorthand [repeat(depth, [dense(w_std, b_std), relu]), dense(w_std_out, b_std)]); not with the shorthand options"
      ),
    ]
  }

  /// The network computed, normalized: the `network` option or the shorthand's.
  var resolved: Network {
    explicit.network ?? MLPShorthand(depth: depth, activation: .relu, wStd: wStd, bStd: bStd, wStdOut: wStdOut).network
  }

  /// The engine's layers: a ReLU MLP as the shorthand computes it (the same values whichever
  /// way it is written), any other network through `NetworkLowering`.
  var network: LayerSpec {
    get throws {
      let n = resolved
      if let m = MLPShorthand(n), m.activation == .relu {
        return KernelRegression.network(depth: m.depth, wStd: m.wStd, bStd: m.bStd ?? 0, wStdOut: m.wStdOut)
      }
      switch NetworkLowering.layerSpec(n) {
      case .success(let l): return l
      case .failure(let e): throw ExperimentError(e.message)
      }
    }
  }

  /// Layers of the network (cost estimates scale with them).
  var depthForCost: Int { explicit.network.map { max(1, NetworkOption.layerCount($0) / 2) } ?? depth }

  /// The shorthand with `network`, shapes on the kind's vector inputs, and layers not computed yet.
  func check(_ kind: String, directive: Directive) -> [Diagnostic] {
    var problems = NetworkShorthandChecks.conflicts(directive, shorthand: Self.shorthand)
    problems += NetworkShorthandChecks.shapes(directive, input: InputShape(channels: 1), inputsAre: "the inputs of '\(kind)' are vectors")
    if problems.isEmpty, let n = explicit.network, case .failure(let e) = NetworkLowering.layerSpec(n),
      let raw = directive.options.first(where: { $0.key == "network" })
    {
      problems.append(Diagnostic(at: raw.location(of: raw.value, path: directive.location.path), length: raw.value.length, e.message))
    }
    return problems
  }

  /// The key sees the network, however it was written (the shorthand or `network`).
  func canonicalFields(_ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    fields.filter { !Self.shorthand.contains($0.name) && $0.name != "network" }
      + [(name: "network", value: NetworkOption.encode(resolved).canonical)]
  }
}

/// `x` in the format `spec` (the specs here are literals that parse; the fallback never shows).
private func formatted(_ x: Double, _ spec: String) -> String { NumberFormat(spec)?.format(x) ?? String(x) }

/// `{kernel} spectrum`: eigenvalue decay of the NTK and NNGP Gram matrices on Unif[−1, 1]^d, or
/// tail sums of target coefficients in the NTK eigenbasis (Chen et al. 2024, science.md §4),
/// with fitted power-law exponents against theory in a table.
public struct SpectrumKind: DirectiveKind {
  public init() {}

  public enum Quantity: String, OptionChoice {
    case eigenvalues
    case tailSums = "tail_sums"
  }

  public enum Kernel: String, OptionChoice {
    case ntk, nngp
  }

  /// A target expanded in the NTK eigenbasis: a sample of a Gaussian process, or a function.
  public enum Target: String, OptionChoice {
    case gp
    case ntkGP = "ntk_gp"
    case smooth, oscillating, step
    /// The class labels of `inputs`, one-hot (the tail sums of every class's indicator, summed).
    case labels
  }

  public struct Options: KindOptions {
    public var quantity = Quantity.eigenvalues
    public var dimensions = [1, 2, 3]
    public var points = 1500
    public var kernels: [Kernel] = [.ntk, .nngp]
    public var targets: [Target] = [.gp, .step]
    public var fit = [10.0, 200]
    public var network = ChenNetworkOptions()
    /// A batch of inputs in place of Unif[-1, 1]^d at `dimensions` and `points`.
    public var inputs = OptionalInputs()
    public init() {}
  }

  public let name = "spectrum"
  public let summary =
    "Eigenvalue decay of NTK/NNGP Gram matrices on Unif[-1,1]^d, or tail sums of targets in the NTK eigenbasis, with fitted exponents"
  public let fields: [Field<Options>] =
    [
      .choice("quantity", \.quantity, "eigenvalues λᵢ of K/n, or tail sums Tᵢ = Σ_{j≥i} c_j²/n of targets"),
      Field("dimensions", \.dimensions, .list(.integer(min: 1, max: 64), minCount: 1), "input dimensions d, series per d"),
      Field("points", \.points, .integer(min: 20, max: 6000), "sample size n"),
      Field("kernels", \.kernels, .list(Kernel.optionType, minCount: 1), "kernels whose eigenvalues are shown (quantity: eigenvalues)"),
      Field(
        "targets", \.targets, .list(Target.optionType, minCount: 1),
        "targets expanded in the NTK eigenbasis (quantity: tail_sums): gp = a sample of the NNGP prior, ntk_gp = of GP(0, NTK), or a named function"
      ),
      Field("fit", \.fit, .list(.number(min: 1, max: nil), minCount: 2), "index range [from, to] of the power-law fit"),
      Field(
        "inputs", \.inputs, InputsValue.type,
        "a batch of inputs (a .csv or .npy file, fashion-mnist(…), gaussian(n, d), …; each input read as a vector) in place of Unif[-1,1]^d at dimensions and points; the target labels needs their classes"
      ),
    ] + ChenNetworkOptions.fields(\.network)
  public let example = """
    ```{kernel} spectrum
    :label: fig-eigen-decay
    :dimensions: [1, 2]
    :points: 1000

    Eigenvalues of the NTK and NNGP Gram matrices.
    ```
    """

  /// `fit` is an index range [from, to] with at least two indices in it, inside 1…points: a
  /// reversed or empty range fitted nothing and published NaN as the exponent.
  public func canonicalFields(_ o: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    o.network.canonicalFields(fields)
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    let network = o.network.check(name, directive: directive)
    return network.isEmpty ? inputsProblems(o, directive: directive) + fitProblems(o, directive: directive) : network
  }

  func fitProblems(_ o: Options, directive: Directive) -> [Diagnostic] {
    guard let raw = directive.options.first(where: { $0.key == "fit" }), case .list(let items) = raw.value.value else { return [] }
    let at = raw.location(of: raw.value, path: directive.location.path)
    let numbers = o.fit
    guard numbers.count == items.count else { return [] }  // the type check reports it
    guard numbers.count == 2 else {
      return [
        Diagnostic(at: at, length: raw.value.length, "option 'fit' is an index range [from, to] of two numbers, got \(numbers.count)")
      ]
    }
    let (lo, hi) = (numbers[0], numbers[1])
    guard lo.isFinite, hi.isFinite, lo.rounded(.up) + 1 <= hi.rounded(.down) else {
      return [
        Diagnostic(
          at: at, length: raw.value.length,
          "option 'fit' must be an ordered index range [from, to] holding at least two indices (from < to), got \(raw.value.text)")
      ]
    }
    let points = Double(o.inputs.value.map { GramKind.size($0).n } ?? o.points)
    if lo.rounded(.up) + 1 > points, o.inputs.value.map({ GramKind.knownShape($0) != nil }) ?? true {
      return [
        Diagnostic(
          at: at, length: raw.value.length,
          "option 'fit' starts at index \(OptionType.fmt(lo)), but there are only \(OptionType.fmt(points)) eigenvalues (':points:'); the range needs two indices in 1…\(OptionType.fmt(points))"
        )
      ]
    }
    return []
  }

  /// The theory exponent of a kernel's eigenvalues in dimension d.
  static func theory(_ kernel: Kernel, d: Double) -> Double {
    switch kernel {
    case .ntk: return -(d + 1) / d
    case .nngp: return -(d + 3) / d
    }
  }

  /// The theory exponent of a target's tail sums in dimension d, when there is one.
  static func theory(_ target: Target, d: Double) -> Double? {
    switch target {
    case .gp: return -3 / d
    case .ntkGP: return -1 / d
    case .smooth, .oscillating, .step, .labels: return nil
    }
  }

  public func cost(_ o: Options) -> Cost { cost(o, measured: MeasuredInputs()) }

  public func cost(_ o: Options, measured: MeasuredInputs) -> Cost {
    var c = CostBuilder()
    let n = o.inputs.value.map { GramKind.size($0, measured: measured).n } ?? o.points,
      dims = o.inputs.value == nil ? o.dimensions.count : 1
    let depth = o.network.depthForCost
    if let v = o.inputs.value { v.addCost(to: &c, option: "inputs") }
    let curves = o.quantity == .eigenvalues ? o.kernels.count : o.targets.count
    // Σ, Θ, a copy, eigenvectors and LAPACK workspace: about 6 n × n matrices at once
    c.doubles([6, n, n], "6 Gram matrices of \(n) × \(n)", options: ["points", "inputs"])
    c.doubles([dims * curves + 1, n], "\(dims * curves) curves × \(n) points", options: ["dimensions", "points"])
    let nn = Double(n) * Double(n)
    c.work(
      Double(dims) * nn * Double(depth + 1) * 2, each: UnitCost.closedKernel / 4, "\(dims) dimensions × Gram \(n)² × depth \(depth)",
      options: ["points", "dimensions", "depth"])
    c.work(
      Double(dims) * Double(curves) * 10 * nn * Double(n), each: UnitCost.flop, "\(dims * curves) eigendecompositions of \(n) × \(n)",
      options: ["points", "inputs", "dimensions"])
    return c.cost
  }

  /// One curve of dimension d: the kernel or target it shows, its values and its theory exponent.
  struct Curve {
    var what: String
    var values: [Double]
    var theory: Double?
  }

  /// The curves of one dimension, from one draw of the inputs.
  func curves(_ o: Options, d: Int, seed: UInt64, batch: InputBatch? = nil) throws -> [Curve] {
    var g = SeededGenerator(seed: seed, label: "d=\(d)")
    let x =
      batch.map { Matrix(rows: $0.count, columns: $0.size, storage: $0.storage) }
      ?? KernelRegression.uniformInputs(o.points, dimension: d, generator: &g)
    let (sigma, theta) = try KernelRegression.grams(try o.network.network, x)
    if o.quantity == .eigenvalues {
      return try o.kernels.map { kernel in
        Curve(
          what: kernel.rawValue, values: try KernelRegression.normalizedEigenvalues(kernel == .ntk ? theta : sigma),
          theory: Self.theory(kernel, d: Double(d)))
      }
    }
    return try o.targets.map { target in
      var gt = SeededGenerator(seed: seed, label: "d=\(d) target=\(target.rawValue)")
      let y: [Double]
      switch target {
      case .gp: y = try KernelRegression.gaussianProcessSample(sigma, generator: &gt)
      case .ntkGP: y = try KernelRegression.gaussianProcessSample(theta, generator: &gt)
      case .smooth: y = RegressionTarget.smooth.values(x)
      case .oscillating: y = RegressionTarget.oscillating.values(x)
      case .step: y = RegressionTarget.step.values(x)
      case .labels: return Curve(what: target.rawValue, values: try Self.labelTailSums(batch, kernel: theta), theory: nil)
      }
      return Curve(
        what: target.rawValue, values: try KernelRegression.tailSums(y, kernel: theta), theory: Self.theory(target, d: Double(d)))
    }
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    var series: [SeriesData] = []
    var rows: [[String]] = []
    let batch = try Self.batch(o, context: context)
    let points = batch?.count ?? o.points
    guard o.fit[0].rounded(.up) + 1 <= Double(points) else {
      throw ExperimentError("option 'fit' starts at index \(OptionType.fmt(o.fit[0])), but the inputs give only \(points) eigenvalues")
    }
    let index = (1...points).map(Double.init)
    for (k, d) in (batch.map { [$0.size] } ?? o.dimensions).enumerated() {
      for curve in try curves(o, d: d, seed: context.seed, batch: batch) {
        let name = batch == nil ? "\(curve.what) d=\(d)" : curve.what
        series.append(SeriesData(name: name, x: index, y: curve.values, family: curve.what, parameters: ["d": Double(d)]))
        let slope = LeastSquares.powerLawExponent(x: index, y: curve.values, from: o.fit[0], to: o.fit[1])
        rows.append([name, formatted(slope, ".3f"), curve.theory.map { formatted($0, ".3f") } ?? "—"])
      }
      context.progress(batch == nil ? Double(k + 1) / Double(o.dimensions.count) : 1)
    }
    let eigen = o.quantity == .eigenvalues
    return ExperimentResult(
      xlabel: "i", ylabel: eigen ? "eigenvalue" : "tail_sum", xlabelTeX: "index $i$",
      ylabelTeX: eigen ? "eigenvalue $\\lambda_i$ of $K/n$" : "tail sum $\\sum_{j \\ge i} c_j^2 / n$", series: series,
      table: TableData(columns: ["series", "fitted exponent", "theory"], rows: rows, nameColumns: [0]))
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    let tails = options.quantity == .tailSums
    // one color per dimension, one dash per kernel/target
    let families = Array(Set(result.series.map { $0.family ?? $0.name })).sorted()
    let dims = Array(Set(result.series.compactMap { $0.parameters?["d"] })).sorted()
    let dashes: [[Double]] = [[], [5, 3], [1.5, 2.5], [6, 2, 1.5, 2]]
    var marks: [Mark] = result.series.map { s in
      let family = s.family ?? s.name, d = s.parameters?["d"] ?? 0
      // tail sums: the last ones are the squared coefficients of the smallest, rounding-level
      // eigenvalues and drop to 1e-24, crushing the axis; they are drawn up to i = n/2 only (the
      // data file keeps all n)
      let half = tails ? Double(s.x.count) / 2 : .infinity
      let positive = zip(s.x, s.y).filter { $0.1 > 0 && $0.0 <= half }
      return .line(
        LineSeries(
          name: "\(SeriesLabel.tex(family.replacingOccurrences(of: "_", with: " "))), \(SeriesLabel.math("d", d))", x: positive.map(\.0),
          y: positive.map(\.1),
          dash: dashes[(families.firstIndex(of: family) ?? 0) % dashes.count], lineWidth: 1.3, colorSlot: dims.firstIndex(of: d) ?? 0))
    }
    if options.fit.count >= 2 {
      marks.append(.reference(.vertical(x: options.fit[0], label: "")))
      marks.append(.reference(.vertical(x: options.fit[1], label: "fit")))
    }
    return Self.logLogFigure(result, marks: marks, size: size)
  }
}

/// `{kernel} regression`: NTK regression from standard (f₀ ~ GP(0, Σ)) and mirrored (f₀ = 0)
/// initialization (Chen et al. 2024): test error against n with an oracle-chosen ridge or
/// stopping time (learning curves), or against training time t (gradient-flow dynamics).
public struct RegressionKind: DirectiveKind {
  public init() {}

  public enum Mode: String, OptionChoice {
    case learningCurve = "learning_curve"
    case dynamics
  }

  public enum Regularization: String, OptionChoice {
    case ridge, flow
  }

  public struct Options: KindOptions {
    public var mode = Mode.learningCurve
    public var dimension = 5
    public var target = RegressionTarget.smooth
    public var noise = 0.1
    public var sizes = GridPoints([100, 200, 400, 800])
    public var testPoints = 1000
    public var repetitions = 3
    public var regularization = Regularization.ridge
    public var ridges = GridPoints.logspace(-7, 0, 30)
    public var times = GridPoints.logspace(0, 8, 33)
    public var initializations: [KernelRegression.Initialization] = [.standard, .mirrored]
    public var network = ChenNetworkOptions()
    /// A batch of inputs in place of Unif[-1, 1]^d (each repetition a random split of it).
    public var inputs = OptionalInputs()
    /// `labels`, a named target or a CSV column in place of `target` ("none": `target`).
    public var targets = "none"
    public init() {}

    /// The targets: `targets` when given, else `target`.
    var dataTargets: DataTargets { targets == "none" ? .function(target) : DataTargets(targets) }
    var dynamics: Bool { mode == .dynamics }
    /// Gradient flow (filters by stopping time) rather than ridge.
    var flow: Bool { dynamics || regularization == .flow }
    /// The training set sizes that run: every size, or the largest for the dynamics.
    var runSizes: [Int] {
      let sizes = self.sizes.points.map { Int($0.rounded()) }
      return dynamics ? [sizes.max() ?? 2] : sizes
    }
  }

  public let name = "regression"
  public let summary =
    "NTK regression with standard vs mirrored initialization: test MSE vs n (oracle ridge or stopping time) or vs gradient-flow time"
  public let fields: [Field<Options>] =
    [
      .choice("mode", \.mode, "test error against n, or against training time t at the largest n"),
      Field("dimension", \.dimension, .integer(min: 1, max: 64), "input dimension d (inputs uniform on [-1, 1]^d)"),
      .choice("target", \.target, "f*: smooth = sin x₁ + x₂x₃, oscillating = sin 3x₁ cos 2x₂, step = sign x₁"),
      Field("noise", \.noise, .number(min: 0, max: 100), "standard deviation of the label noise"),
      Field("sizes", \.sizes, .grid(min: 2, max: 5000), "training set sizes n"),
      Field("test_points", \.testPoints, .integer(min: 10, max: 10000), "test points (noise-free targets)"),
      Field("repetitions", \.repetitions, .integer(min: 1, max: 1000), "independent draws of data and f₀ per n"),
      .choice("regularization", \.regularization, "oracle over a ridge grid, or over gradient-flow stopping times"),
      Field("ridges", \.ridges, .grid(min: 0, max: nil), "ridge values ℓ (K + nℓI)"),
      Field("times", \.times, .grid(min: 0, max: nil), "gradient-flow times t"),
      Field(
        "initializations", \.initializations, .list(KernelRegression.Initialization.optionType, minCount: 1),
        "initializations, one series each"),
      Field(
        "inputs", \.inputs, InputsValue.type,
        "a batch of inputs (a .csv or .npy file, fashion-mnist(…), gaussian(n, d), …; each input read as a vector) in place of Unif[-1,1]^d at dimension: each repetition draws test_points test inputs and n training inputs from it"
      ),
      Field(
        "targets", \.targets, .string,
        "in place of target: labels (the inputs' classes one-hot), smooth, oscillating, step, or a numeric column of the inputs' CSV file (none: target)"
      ),
    ] + ChenNetworkOptions.fields(\.network)
  public let example = """
    ```{kernel} regression
    :label: fig-learning-curves
    :dimension: 5
    :sizes: [100, 200, 400, 800]

    Standard vs mirrored initialization.
    ```
    """

  public func canonicalFields(_ o: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    o.network.canonicalFields(fields)
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    let network = o.network.check(name, directive: directive)
    guard network.isEmpty else { return network }
    var out: [Diagnostic] = []
    func problem(_ key: String, _ message: String) { out += GramKind().at(key, directive, message) }
    let written = Set(directive.options.map(\.key))
    if written.contains("targets"), written.contains("target") { problem("targets", "'targets' replaces 'target'; give one of them") }
    guard let v = o.inputs.value else {
      if case .labels = o.dataTargets { problem("targets", "the target 'labels' needs ':inputs:' with labels") }
      if case .column = o.dataTargets {
        problem("targets", "'\(o.targets)' is not labels, smooth, oscillating or step, so it names a column of a CSV file: give ':inputs:'")
      }
      return out
    }
    if case .pairs = v.source {
      problem("inputs", "regression takes a batch of inputs (a file, fashion-mnist(…), gaussian(n, d), …), not pairs(…)")
    }
    if written.contains("dimension") { problem("inputs", "'inputs' replaces 'dimension'; give one of them") }
    if let p = o.dataTargets.problem(v) { problem("targets", p) }
    if GramKind.knownShape(v) != nil {
      let n = GramKind.size(v).n, need = (o.runSizes.max() ?? 0) + o.testPoints
      if need > n {
        problem(
          "sizes", "n = \(o.runSizes.max() ?? 0) training and test_points = \(o.testPoints) test inputs need \(need) inputs; there are \(n)"
        )
      }
    }
    return out
  }

  public func checkFiles(_ o: Options, files: InputFiles) -> String? {
    guard let v = o.inputs.value, GramKind.knownShape(v) == nil, case .batch(let b)? = try? v.inputs(seed: 0, files: files) else {
      return nil
    }
    let need = (o.runSizes.max() ?? 0) + o.testPoints
    if need > b.count {
      return
        "n = \(o.runSizes.max() ?? 0) training and test_points = \(o.testPoints) test inputs need \(need) inputs; the file has \(b.count)"
    }
    do { _ = try o.dataTargets.values(b, inputs: v, files: files, classes: DataTargets.classes([b])) } catch { return "targets: \(error)" }
    return nil
  }

  public func cost(_ o: Options) -> Cost { cost(o, measured: MeasuredInputs()) }

  public func cost(_ o: Options, measured: MeasuredInputs) -> Cost {
    var c = CostBuilder()
    if let v = o.inputs.value {
      v.addCost(to: &c, option: "inputs")
      // each repetition's input Gram matrix of n + test_points inputs of the file's dimension
      let d = Double(GramKind.size(v, measured: measured).d), top = Double((o.runSizes.max() ?? 2) + o.testPoints)
      c.work(
        Double(o.repetitions * o.runSizes.count) * top * top * d, each: UnitCost.flop * 2,
        "\(o.repetitions) repetitions × input Gram matrices of \(Int(top)) inputs of dimension \(Int(d))",
        options: ["inputs", "sizes", "repetitions"])
    }
    let ns = o.runSizes
    let reps = o.repetitions, m = o.testPoints, depth = o.network.depthForCost
    let inits = o.initializations.count
    let filters = (o.flow ? o.times : o.ridges).points.count
    let top = (ns.max() ?? 2) + m
    // Σ, Θ on train ∪ test, their copy for the Cholesky, the eigenvectors and Θ(test, X)·U
    c.doubles([6, top, top], "Gram matrices of \(top) × \(top) (n = \(top - m) plus \(m) test points)", options: ["sizes", "test_points"])
    var flops = 0.0, kernels = 0.0, filtering = 0.0
    for n in ns {
      let nm = Double(n + m)
      kernels += nm * nm * Double(depth + 1) * 2
      flops += 10 * Double(n) * Double(n) * Double(n) + 2 * Double(m) * Double(n) * Double(n) + nm * nm * nm / 3 * Double(inits)
      filtering += Double(inits) * Double(filters) * Double(n) * Double(m) * 2
    }
    let r = Double(reps)
    c.work(
      r * flops, each: UnitCost.flop, "\(reps) repetitions × \(ns.count) sizes up to n = \(ns.max() ?? 0)",
      options: ["sizes", "repetitions"])
    c.work(
      r * kernels, each: UnitCost.closedKernel / 4, "\(reps) repetitions × Gram matrices up to \(top)²",
      options: ["sizes", "test_points", "repetitions"])
    c.work(
      r * filtering, each: 1e-9, "\(reps) repetitions × \(filters) filters × \(m) test points",
      options: ["repetitions", "ridges", "test_points"])
    return c.cost
  }

  /// The test errors of every initialization, `[init][size or grid point]`, over the repetitions:
  /// the oracle (smallest) error per size, or the error at every time of the dynamics.
  func testErrors(_ o: Options, context: RunContext) throws -> [[[Double]]] {
    let ns = o.runSizes, grid = (o.flow ? o.times : o.ridges).points
    let filters = grid.map { o.flow ? KernelRegression.Filter.flow(time: $0) : .ridge($0) }
    let inits = o.initializations
    var samples = [[[Double]]](repeating: Array(repeating: [], count: o.dynamics ? grid.count : ns.count), count: inits.count)
    let total = Double(ns.count * o.repetitions)
    var done = 0.0
    let data = try Self.data(o, context: context)
    for (k, n) in ns.enumerated() {
      for rep in 0..<o.repetitions {
        var g = SeededGenerator(seed: context.seed, label: "n=\(n) rep=\(rep)")
        let errors: [KernelRegression.Initialization: [Double]]
        if let (x, targets) = data {
          // a random split of the inputs: test_points test inputs, then n training inputs
          guard n + o.testPoints <= x.rows else {
            throw ExperimentError("n = \(n) training and \(o.testPoints) test inputs need \(n + o.testPoints) inputs; there are \(x.rows)")
          }
          var p = Array(0..<x.rows)
          for i in 0..<(n + o.testPoints) { p.swapAt(i, i + Int(g.next() % UInt64(x.rows - i))) }
          let testIndex = Array(p[0..<o.testPoints]), trainIndex = Array(p[o.testPoints..<(o.testPoints + n)])
          var y = targets.selecting(rows: trainIndex)
          for i in 0..<y.storage.count { y.storage[i] += o.noise * g.nextNormal() }
          errors = try KernelRegression.testErrors(
            network: try o.network.network, train: x.selecting(rows: trainIndex), test: x.selecting(rows: testIndex), y: y,
            truth: targets.selecting(rows: testIndex), filters: filters, initializations: inits, generator: &g)
        } else {
          let train = KernelRegression.uniformInputs(n, dimension: o.dimension, generator: &g)
          let test = KernelRegression.uniformInputs(o.testPoints, dimension: o.dimension, generator: &g)
          let y = o.target.values(train).map { $0 + o.noise * g.nextNormal() }
          errors = try KernelRegression.testErrors(
            network: try o.network.network, train: train, test: test, y: y, truth: o.target.values(test), filters: filters,
            initializations: inits,
            generator: &g)
        }
        for (i, e) in errors {
          for slot in inits.indices where inits[slot] == i {
            if o.dynamics {
              for j in e.indices where j < samples[slot].count { samples[slot][j].append(e[j]) }
            } else if let best = e.min() {
              samples[slot][k].append(best)
            }
          }
        }
        done += 1
        context.progress(done / total)
      }
    }
    return samples
  }

  /// The inputs (as vectors, one row each) and their targets (n × k), or nil for Unif[-1, 1]^d.
  static func data(_ o: Options, context: RunContext) throws -> (x: Matrix, y: Matrix)? {
    guard let v = o.inputs.value else { return nil }
    guard case .batch(let b) = try v.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("regression takes a batch of inputs, not pairs(…)")
    }
    let y = try o.dataTargets.values(b, inputs: v, files: context.files, classes: DataTargets.classes([b]))
    return (Matrix(rows: b.count, columns: b.size, storage: b.storage), y)
  }

  static func meanAndError(_ xs: [Double]) -> (Double, Double) {
    let c = Double(xs.count), mean = xs.reduce(0, +) / c
    guard xs.count > 1 else { return (mean, 0) }
    let v = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (c - 1)
    return (mean, (v / c).squareRoot())
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let samples = try testErrors(o, context: context)
    let ns = o.runSizes, grid = (o.flow ? o.times : o.ridges).points
    let xs = o.dynamics ? grid : ns.map(Double.init)
    var series: [SeriesData] = []
    var rows: [[String]] = []
    for (i, initialization) in o.initializations.enumerated() {
      let stats = samples[i].map(Self.meanAndError)
      let means = stats.map(\.0)
      series.append(SeriesData(name: initialization.rawValue, x: xs, y: means, yerr: o.repetitions > 1 ? stats.map(\.1) : nil))
      if !o.dynamics {
        let slope = ns.count >= 2 ? LeastSquares.powerLawExponent(x: xs, y: means, from: xs.first ?? 0, to: xs.last ?? 0) : .nan
        rows.append([
          initialization.rawValue, formatted(means.first ?? .nan, ".3g"), formatted(means.last ?? .nan, ".3g"), formatted(slope, ".3f"),
        ])
      } else if let best = means.indices.min(by: { means[$0] < means[$1] }) {
        rows.append([initialization.rawValue, formatted(means[best], ".3g"), formatted(grid[best], ".3g")])
      }
    }
    return ExperimentResult(
      xlabel: o.dynamics ? "t" : "n", ylabel: "test_mse", xlabelTeX: o.dynamics ? "training time $t$" : "training points $n$",
      ylabelTeX: "test MSE $\\|f_t - f^*\\|^2$", series: series, table: Self.table(o, rows: rows))
  }

  /// The table under the figure: best errors per initialization, and the theory's exponents.
  static func table(_ o: Options, rows: [[String]]) -> TableData {
    if o.dynamics { return TableData(columns: ["initialization", "best test MSE", "at time t"], rows: rows) }
    if o.inputs.value != nil {  // the theory's exponents are those of Unif[-1, 1]^d, not of data
      let first = o.runSizes.first.map(String.init) ?? "", last = o.runSizes.last.map(String.init) ?? ""
      return TableData(columns: ["initialization", "MSE at n = \(first)", "MSE at n = \(last)", "fitted exponent"], rows: rows)
    }
    let dd = Double(o.dimension), ns = o.runSizes
    let theory =
      "standard −3/(d+3) = \(formatted(-3 / (dd + 3), ".3f")); mirrored, f* ∈ H: −(d+1)/(2d+1) = \(formatted(-(dd + 1) / (2 * dd + 1), ".3f"))"
    let first = ns.first.map(String.init) ?? "", last = ns.last.map(String.init) ?? ""
    return TableData(
      columns: ["initialization", "MSE at n = \(first)", "MSE at n = \(last)", "fitted exponent"],
      rows: rows + [["theory (n → ∞)", "", "", theory]])
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    let marks: [Mark] = result.series.map { s in
      .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: s.yerr ?? s.y.map { _ in 0 }, connected: true))
    }
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(
          x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .best)
      ])
  }
}

extension RegressionTarget: OptionChoice {}
extension KernelRegression.Initialization: OptionChoice {}
