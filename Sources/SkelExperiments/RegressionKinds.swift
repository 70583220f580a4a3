import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// The network options shared by the kinds of Chen, Li, Lin (2024): L hidden ReLU layers of
/// Dense(W_std, b_std) and a readout Dense(W_std_out, b_std), NT parameterization.
enum ChenNetworkOptions {
  static let specs: [OptionSpec] = [
    OptionSpec("depth", .integer(min: 1, max: 100), default: "1", "hidden ReLU layers L"),
    OptionSpec("w_std", .number(min: 0, max: 100), default: "1.4142135623730951", "W_std of the hidden layers"),
    OptionSpec("b_std", .number(min: 0, max: 100), default: "1", "b_std of every layer (Chen et al. use biases)"),
    OptionSpec("w_std_out", .number(min: 0, max: 100), default: "1.4142135623730951", "W_std of the readout"),
  ]

  static func network(_ o: ResolvedOptions) -> LayerSpec {
    KernelRegression.network(depth: o.integer("depth"), wStd: o.number("w_std"), bStd: o.number("b_std"), wStdOut: o.number("w_std_out"))
  }
}

/// `{kernel} spectrum`: eigenvalue decay of the NTK and NNGP Gram matrices on Unif[−1, 1]^d, or
/// tail sums of target coefficients in the NTK eigenbasis (Chen et al. 2024, science.md §4),
/// with fitted power-law exponents against theory in a table.
public struct SpectrumKind: ExperimentKind {
  public init() {}

  static let targets = ["gp", "ntk_gp"] + RegressionTarget.allCases.map(\.rawValue)

  public let schema = DirectiveSchema(
    kind: "spectrum",
    summary: "Eigenvalue decay of NTK/NNGP Gram matrices on Unif[-1,1]^d, or tail sums of targets in the NTK eigenbasis, with fitted exponents",
    options: [
      OptionSpec("quantity", .choice(["eigenvalues", "tail_sums"]), default: "eigenvalues", "eigenvalues λᵢ of K/n, or tail sums Tᵢ = Σ_{j≥i} c_j²/n of targets"),
      OptionSpec("dimensions", .list(.integer(min: 1, max: 64), minCount: 1), default: "[1, 2, 3]", "input dimensions d, series per d"),
      OptionSpec("points", .integer(min: 20, max: 6000), default: "1500", "sample size n"),
      OptionSpec("kernels", .list(.choice(["ntk", "nngp"]), minCount: 1), default: "[ntk, nngp]", "kernels whose eigenvalues are shown (quantity: eigenvalues)"),
      OptionSpec("targets", .list(.choice(targets), minCount: 1), default: "[gp, step]", "targets expanded in the NTK eigenbasis (quantity: tail_sums): gp = a sample of the NNGP prior, ntk_gp = of GP(0, NTK), or a named function"),
      OptionSpec("fit", .list(.number(min: 1, max: nil), minCount: 2), default: "[10, 200]", "index range [from, to] of the power-law fit"),
    ] + ChenNetworkOptions.specs,
    example: """
      ```{kernel} spectrum
      :label: fig-eigen-decay
      :dimensions: [1, 2]
      :points: 1000

      Eigenvalues of the NTK and NNGP Gram matrices.
      ```
      """)

  /// `fit` is an index range [from, to] with at least two indices in it, inside 1…points: a
  /// reversed or empty range fitted nothing and published NaN as the exponent.
  public func check(_ directive: Directive) -> [Diagnostic] {
    guard let raw = directive.options.first(where: { $0.key == "fit" }), case .list(let items) = raw.value.value else { return [] }
    let at = SourceLocation(path: directive.location.path, line: raw.line, column: raw.value.column)
    let numbers = items.compactMap { item -> Double? in if case .number(let x) = item.value { return x } else { return nil } }
    guard numbers.count == items.count else { return [] }  // the type check reports it
    guard numbers.count == 2 else {
      return [Diagnostic(at: at, length: raw.value.length, "option 'fit' is an index range [from, to] of two numbers, got \(numbers.count)")]
    }
    let (lo, hi) = (numbers[0], numbers[1])
    guard lo.isFinite, hi.isFinite, lo.rounded(.up) + 1 <= hi.rounded(.down) else {
      return [Diagnostic(at: at, length: raw.value.length, "option 'fit' must be an ordered index range [from, to] holding at least two indices (from < to), got \(raw.value.text)")]
    }
    var points = 1500.0
    if let p = directive.options.first(where: { $0.key == "points" }), case .number(let n) = p.value.value { points = n }
    if lo.rounded(.up) + 1 > points {
      return [Diagnostic(at: at, length: raw.value.length, "option 'fit' starts at index \(OptionType.fmt(lo)), but there are only \(OptionType.fmt(points)) eigenvalues (':points:'); the range needs two indices in 1…\(OptionType.fmt(points))")]
    }
    return []
  }

  /// The theory exponent of a series, when there is one.
  static func theory(_ what: String, d: Double) -> Double? {
    switch what {
    case "ntk": return -(d + 1) / d
    case "nngp": return -(d + 3) / d
    case "gp": return -3 / d
    case "ntk_gp": return -1 / d
    default: return nil
    }
  }

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let n = options.integer("points"), dims = options.integers("dimensions")
    let fit = options.numbers("fit")
    let net = ChenNetworkOptions.network(options)
    let eigen = options.string("quantity") == "eigenvalues"
    var series: [SeriesData] = []
    var rows: [[String]] = []
    let index = (1...n).map(Double.init)
    for (k, d) in dims.enumerated() {
      var g = SeededGenerator(seed: context.seed, label: "d=\(d)")
      let x = KernelRegression.uniformInputs(n, dimension: d, generator: &g)
      let (sigma, theta) = try KernelRegression.grams(net, x)
      var curves: [(String, [Double])] = []
      if eigen {
        for kernel in options.strings("kernels") {
          curves.append((kernel, try KernelRegression.normalizedEigenvalues(kernel == "ntk" ? theta : sigma)))
        }
      } else {
        for target in options.strings("targets") {
          var gt = SeededGenerator(seed: context.seed, label: "d=\(d) target=\(target)")
          let y: [Double]
          switch target {
          case "gp": y = try KernelRegression.gaussianProcessSample(sigma, generator: &gt)
          case "ntk_gp": y = try KernelRegression.gaussianProcessSample(theta, generator: &gt)
          default: y = RegressionTarget(rawValue: target)!.values(x)
          }
          curves.append((target, try KernelRegression.tailSums(y, kernel: theta)))
        }
      }
      for (what, values) in curves {
        let name = "\(what) d=\(d)"
        series.append(SeriesData(name: name, x: index, y: values))
        let slope = LeastSquares.powerLawExponent(x: index, y: values, from: fit[0], to: fit[1])
        rows.append([name, NumberFormat(".3f")!.format(slope), Self.theory(what, d: Double(d)).map { NumberFormat(".3f")!.format($0) } ?? "—"])
      }
      context.progress(Double(k + 1) / Double(dims.count))
    }
    return ExperimentResult(
      xlabel: "i", ylabel: eigen ? "eigenvalue" : "tail_sum", xlabelTeX: "index $i$",
      ylabelTeX: eigen ? "eigenvalue $\\lambda_i$ of $K/n$" : "tail sum $\\sum_{j \\ge i} c_j^2 / n$", series: series,
      table: TableData(columns: ["series", "fitted exponent", "theory"], rows: rows))
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    let fit = options.numbers("fit")
    let tails = options.string("quantity") == "tail_sums"
    // one color per dimension, one dash per kernel/target
    let names = Array(Set(result.series.map { String($0.name.split(separator: " ")[0]) })).sorted()
    let dims = Array(Set(result.series.map { String($0.name.split(separator: " ")[1]) })).sorted()
    let dashes: [[Double]] = [[], [5, 3], [1.5, 2.5], [6, 2, 1.5, 2]]
    var marks: [Mark] = result.series.map { s in
      let parts = s.name.split(separator: " ").map(String.init)
      // tail sums: the last ones are the squared coefficients of the smallest, rounding-level
      // eigenvalues and drop to 1e-24, crushing the axis; they are drawn up to i = n/2 only (the
      // data file keeps all n)
      let half = tails ? Double(s.x.count) / 2 : .infinity
      let positive = zip(s.x, s.y).filter { $0.1 > 0 && $0.0 <= half }
      return .line(
        LineSeries(
          name: "\(parts[0].replacingOccurrences(of: "_", with: " ")), $\(parts[1])$", x: positive.map(\.0), y: positive.map(\.1),
          color: Theme.light.cycle[(dims.firstIndex(of: parts[1]) ?? 0) % Theme.light.cycle.count],
          dash: dashes[(names.firstIndex(of: parts[0]) ?? 0) % dashes.count], lineWidth: 1.3))
    }
    marks.append(.reference(.vertical(x: fit[0], label: "")))
    marks.append(.reference(.vertical(x: fit[1], label: "fit")))
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .lowerLeft)
    ])
  }
}

/// `{kernel} regression`: NTK regression from standard (f₀ ~ GP(0, Σ)) and mirrored (f₀ = 0)
/// initialization (Chen et al. 2024): test error against n with an oracle-chosen ridge or
/// stopping time (learning curves), or against training time t (gradient-flow dynamics).
public struct RegressionKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "regression",
    summary: "NTK regression with standard vs mirrored initialization: test MSE vs n (oracle ridge or stopping time) or vs gradient-flow time",
    options: [
      OptionSpec("mode", .choice(["learning_curve", "dynamics"]), default: "learning_curve", "test error against n, or against training time t at the largest n"),
      OptionSpec("dimension", .integer(min: 1, max: 64), default: "5", "input dimension d (inputs uniform on [-1, 1]^d)"),
      OptionSpec("target", .choice(RegressionTarget.allCases.map(\.rawValue)), default: "smooth", "f*: smooth = sin x₁ + x₂x₃, oscillating = sin 3x₁ cos 2x₂, step = sign x₁"),
      OptionSpec("noise", .number(min: 0, max: 100), default: "0.1", "standard deviation of the label noise"),
      OptionSpec("sizes", .grid(min: 2, max: 5000), default: "[100, 200, 400, 800]", "training set sizes n"),
      OptionSpec("test_points", .integer(min: 10, max: 10000), default: "1000", "test points (noise-free targets)"),
      OptionSpec("repetitions", .integer(min: 1, max: 1000), default: "3", "independent draws of data and f₀ per n"),
      OptionSpec("regularization", .choice(["ridge", "flow"]), default: "ridge", "oracle over a ridge grid, or over gradient-flow stopping times"),
      OptionSpec("ridges", .grid(min: 0, max: nil), default: "logspace(-7, 0, 30)", "ridge values ℓ (K + nℓI)"),
      OptionSpec("times", .grid(min: 0, max: nil), default: "logspace(0, 8, 33)", "gradient-flow times t"),
      OptionSpec("initializations", .list(.choice(KernelRegression.Initialization.allCases.map(\.rawValue)), minCount: 1), default: "[standard, mirrored]", "initializations, one series each"),
    ] + ChenNetworkOptions.specs,
    example: """
      ```{kernel} regression
      :label: fig-learning-curves
      :dimension: 5
      :sizes: [100, 200, 400, 800]

      Standard vs mirrored initialization.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let d = options.integer("dimension"), noise = options.number("noise")
    let target = RegressionTarget(rawValue: options.string("target"))!
    let dynamics = options.string("mode") == "dynamics"
    let sizes = options.grid("sizes").map { Int($0.rounded()) }
    let ns = dynamics ? [sizes.max()!] : sizes
    let reps = options.integer("repetitions"), m = options.integer("test_points")
    let inits = options.strings("initializations").compactMap(KernelRegression.Initialization.init(rawValue:))
    let flow = dynamics || options.string("regularization") == "flow"
    let grid = flow ? options.grid("times") : options.grid("ridges")
    let filters = grid.map { flow ? KernelRegression.Filter.flow(time: $0) : .ridge($0) }
    let net = ChenNetworkOptions.network(options)
    // errors[init][size or grid point] over repetitions
    var samples: [KernelRegression.Initialization: [[Double]]] = [:]
    for i in inits { samples[i] = Array(repeating: [], count: dynamics ? grid.count : ns.count) }
    let total = Double(ns.count * reps)
    var done = 0.0
    for (k, n) in ns.enumerated() {
      for rep in 0..<reps {
        var g = SeededGenerator(seed: context.seed, label: "n=\(n) rep=\(rep)")
        let train = KernelRegression.uniformInputs(n, dimension: d, generator: &g)
        let test = KernelRegression.uniformInputs(m, dimension: d, generator: &g)
        let y = target.values(train).map { $0 + noise * g.nextNormal() }
        let errors = try KernelRegression.testErrors(
          network: net, train: train, test: test, y: y, truth: target.values(test), filters: filters, initializations: inits,
          generator: &g)
        for (i, e) in errors {
          if dynamics {
            for j in e.indices { samples[i]![j].append(e[j]) }
          } else {
            samples[i]![k].append(e.min()!)
          }
        }
        done += 1
        context.progress(done / total)
      }
    }
    func meanAndError(_ xs: [Double]) -> (Double, Double) {
      let c = Double(xs.count), mean = xs.reduce(0, +) / c
      guard xs.count > 1 else { return (mean, 0) }
      let v = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (c - 1)
      return (mean, (v / c).squareRoot())
    }
    let xs = dynamics ? grid : ns.map(Double.init)
    var series: [SeriesData] = []
    var rows: [[String]] = []
    for i in inits {
      let stats = samples[i]!.map(meanAndError)
      series.append(SeriesData(name: i.rawValue, x: xs, y: stats.map(\.0), yerr: reps > 1 ? stats.map(\.1) : nil))
      if !dynamics {
        let slope = ns.count >= 2 ? LeastSquares.powerLawExponent(x: xs, y: stats.map(\.0), from: xs.first!, to: xs.last!) : .nan
        rows.append([i.rawValue, NumberFormat(".3g")!.format(stats.first!.0), NumberFormat(".3g")!.format(stats.last!.0), NumberFormat(".3f")!.format(slope)])
      } else {
        let best = stats.indices.min { stats[$0].0 < stats[$1].0 }!
        rows.append([i.rawValue, NumberFormat(".3g")!.format(stats[best].0), NumberFormat(".3g")!.format(grid[best])])
      }
    }
    let dd = Double(d)
    let table: TableData
    if dynamics {
      table = TableData(columns: ["initialization", "best test MSE", "at time t"], rows: rows)
    } else {
      rows.append(["theory (n → ∞)", "", "", "standard −3/(d+3) = \(NumberFormat(".3f")!.format(-3 / (dd + 3))); mirrored, f* ∈ H: −(d+1)/(2d+1) = \(NumberFormat(".3f")!.format(-(dd + 1) / (2 * dd + 1)))"])
      table = TableData(columns: ["initialization", "MSE at n = \(ns.first!)", "MSE at n = \(ns.last!)", "fitted exponent"], rows: rows)
    }
    return ExperimentResult(
      xlabel: dynamics ? "t" : "n", ylabel: "test_mse", xlabelTeX: dynamics ? "training time $t$" : "training points $n$",
      ylabelTeX: "test MSE $\\|f_t - f^*\\|^2$", series: series, table: table)
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    let marks: [Mark] = result.series.map { s in
      .errorBars(ErrorBarSeries(name: s.name, x: s.x, y: s.y, error: s.yerr ?? s.y.map { _ in 0 }, connected: true))
    }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .best)
    ])
  }
}
