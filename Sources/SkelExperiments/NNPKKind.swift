import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} nnpk`: the neural-network prior kernel (Amid et al. 2022) estimated from m random
/// networks of finite width, for several initializers, on a synthetic spiral data set the build
/// generates: kernel-ridge test accuracy, kernel–target alignment, or the relative distance to the
/// matched infinite-width NNGP, against m. Dashed lines: the same quantity for the Gaussian NNGP
/// with matched variances, labelled so: for i.i.d. uniform initializers the first layer (fan-in
/// = input dimension, 3 for the spirals) is not Gaussian, so that NNGP is not their width → ∞
/// limit (issue 16).
public struct NNPKKind: DirectiveKind {
  public init() {}

  public enum Quantity: String, OptionChoice {
    case accuracy, alignment, distance
  }

  public struct Options: KindOptions {
    public var quantity = Quantity.accuracy
    public var networks = GridPoints((0...10).map { Double(1 << $0) }, written: "[2^0 .. 2^10]")
    public var inits: [Initializer] = [.heNormal, .glorotUniform, .orthogonal]
    public var activation = ActivationOption.call("relu")
    public var width = 128
    public var depth = 2
    public var outputs = 3
    public var readout = PriorKernel.Readout.sample
    public var classes = 3
    public var points = 300
    public var noise = 0.05
    public var ridge = 0.001
    public init() {}
  }

  public let name = "nnpk"
  public let summary =
    "Neural-network prior kernel from m random networks (any initializer, activation): ridge accuracy, alignment or distance to the NNGP vs m"
  public let fields: [Field<Options>] = [
    .choice("quantity", \.quantity, "test accuracy of kernel ridge, kernel–target alignment, or ‖K_m − K_NNGP‖_F/‖K_NNGP‖_F"),
    Field("networks", \.networks, .grid(min: 1, max: 100_000), "numbers m of random networks"),
    Field("inits", \.inits, .list(Initializer.optionType, minCount: 1), "initializers, one series each"),
    Field("activation", \.activation, ActivationOption.type, "activation of the hidden layers"),
    Field("width", \.width, .integer(min: 1, max: 16384), "hidden width"),
    Field("depth", \.depth, .integer(min: 1, max: 64), "hidden layers"),
    Field("outputs", \.outputs, .integer(min: 1, max: 1000), "outputs k of each network (the readout)"),
    .choice("readout", \.readout, "draw the readout weights (the literal estimator) or average over them exactly"),
    Field("classes", \.classes, .integer(min: 2, max: 10), "spiral arms (classes)"),
    Field(
      "points", \.points, .integer(min: 30, max: 3000), "points in the data set; every third point of each arm is held out for testing"),
    Field("noise", \.noise, .number(min: 0, max: 10), "noise added to the spiral points"),
    Field("ridge", \.ridge, .number(min: 0, max: 1e6), "ridge ℓ, relative to the mean diagonal of the training kernel"),
  ]
  public let example = """
    ```{kernel} nnpk
    :label: fig-nnpk
    :inits: [he_normal, orthogonal]
    :networks: [2^0 .. 2^8]

    Accuracy of the prior kernel of m random networks.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let inits = o.inits.count, width = o.width, depth = o.depth, k = o.outputs
    let classes = o.classes, points = max(1, o.points / classes) * classes
    let ms = Set(o.networks.points.map { max(1, Int($0.rounded())) })
    let mMax = Double(ms.max() ?? 1)
    // the running sum, the batch's partial sums, the checkpoint copy; features of each network
    c.doubles([points, points, 8 + 2 * 4], "kernel matrices \(points) × \(points)", options: ["points"])
    c.doubles([points, width, 3 * 8], "features \(points) × width \(width)", options: ["points", "width"])
    c.doubles([width, width, 8], "weights \(width) × \(width)", options: ["width"])
    let perNetwork =
      Double(points) * (3 * Double(width) + Double(depth - 1) * Double(width) * Double(width) + Double(width) * Double(k))
      + Double(points) * Double(points) * Double(min(k, width)) / 2
    c.work(
      Double(inits) * mMax * perNetwork * 2, each: UnitCost.flop,
      "\(inits) inits × \(Int(mMax)) networks of width \(width) on \(points) points", options: ["networks", "width", "points", "inits"])
    c.work(
      Double(inits) * mMax * (Double(width) * Double(width) * Double(depth)), each: UnitCost.draw,
      "\(inits) inits × \(Int(mMax)) networks × width \(width)² weights", options: ["networks", "width"])
    c.work(
      Double(inits) * Double(points) * Double(points) * Double(depth + 1) * 2,
      each: UnitCost.kernel(closedForm: ActivationOption.closedForm([o.activation])), "matched NNGP on \(points)² pairs",
      options: ["points"])
    c.work(
      Double(inits) * Double(ms.count + 1) * Double(points) * Double(points) * Double(points), each: UnitCost.flop,
      "\(ms.count) checkpoints × ridge on \(points) points", options: ["networks", "points"])
    return c.cost
  }

  /// The spiral data set and its split: every third point of each arm is held out.
  struct Spirals {
    var x: Matrix
    var labels: [Int]
    var train: [Int]
    var test: [Int]
    var classes: Int
  }

  static func spirals(_ o: Options, seed: UInt64) -> Spirals {
    var g = SeededGenerator(seed: seed, label: "data")
    let classes = o.classes
    let (x, labels) = SyntheticData.spirals(classes: classes, perClass: max(1, o.points / classes), noise: o.noise, generator: &g)
    let train = (0..<labels.count).filter { ($0 / classes) % 3 != 2 }, test = (0..<labels.count).filter { ($0 / classes) % 3 == 2 }
    return Spirals(x: x, labels: labels, train: train, test: test, classes: classes)
  }

  /// The quantity of a kernel matrix `k` (`reference`: the matched NNGP, for the distance).
  static func measure(_ k: Matrix, reference: Matrix, _ o: Options, _ data: Spirals) throws -> Double {
    switch o.quantity {
    case .alignment: return PriorKernel.alignment(k, labels: data.labels)
    case .distance: return PriorKernel.relativeDistance(k, to: reference)
    case .accuracy:
      return try PriorKernel.ridgeAccuracy(
        k, train: data.train, test: data.test, labels: data.labels, classes: data.classes, ridge: o.ridge)
    }
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let ms = Array(Set(o.networks.points.map { max(1, Int($0.rounded())) })).sorted()
    let data = Self.spirals(o, seed: context.seed)
    let activation = try ActivationOption.activation(o.activation)
    let mLast = Double(ms.last ?? 1), xs = ms.map(Double.init)
    var series: [SeriesData] = [], references: [SeriesData] = []
    for (k, initializer) in o.inits.enumerated() {
      let net = RandomNetwork(
        inputDimension: data.x.columns, width: o.width, depth: o.depth, outputs: o.outputs, activation: activation, initializer: initializer
      )
      let nngp = try net.matchedNNGP(data.x)
      var ys: [Double] = []
      try PriorKernel.estimate(net, inputs: data.x, checkpoints: ms, readout: o.readout, seed: context.seed, label: initializer.rawValue) {
        m, km in
        ys.append(try Self.measure(km, reference: nngp, o, data))
        context.progress((Double(k) + Double(m) / mLast) / Double(o.inits.count))
      }
      series.append(SeriesData(name: initializer.rawValue, x: xs, y: ys, family: initializer.rawValue))
      if o.quantity != .distance {
        let value = try Self.measure(nngp, reference: nngp, o, data)
        references.append(
          SeriesData(name: "nngp " + initializer.rawValue, x: xs, y: ms.map { _ in value }, role: .limit, family: initializer.rawValue))
      }
    }
    let ylabel: String
    switch o.quantity {
    case .accuracy: ylabel = "test accuracy"
    case .alignment: ylabel = "alignment $A(K_m, YY^\\top)$"
    case .distance: ylabel = "$\\|K_m - K\\|_F / \\|K\\|_F$"
    }
    return ExperimentResult(
      xlabel: "m", ylabel: o.quantity.rawValue, xlabelTeX: "random networks $m$", ylabelTeX: ylabel, series: series + references)
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    let estimates = result.series.filter { $0.role != .limit }
    var marks: [Mark] = estimates.enumerated().map { i, s in
      .line(
        LineSeries(name: s.name.replacingOccurrences(of: "_", with: " "), x: s.x, y: s.y, marker: .circle, lineWidth: 1.4, colorSlot: i))
    }
    for s in result.series where s.role == .limit {
      let slot = estimates.firstIndex { $0.family == s.family } ?? 0
      marks.append(
        .line(
          LineSeries(
            name: slot == 0 ? "Gaussian NNGP (matched variances)" : "", x: s.x, y: s.y, dash: [5, 3], lineWidth: 1, colorSlot: slot)))
    }
    let log = options.quantity == .distance
    return Figure(
      width: size.width, height: size.height,
      panels: [
        Axes(
          x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: log ? .log : .linear),
          marks: marks, legend: .best)
      ])
  }
}

extension Initializer: OptionChoice {}
extension PriorKernel.Readout: OptionChoice {}
