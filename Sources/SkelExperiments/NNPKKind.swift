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
public struct NNPKKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "nnpk",
    summary: "Neural-network prior kernel from m random networks (any initializer, activation): ridge accuracy, alignment or distance to the NNGP vs m",
    options: [
      OptionSpec("quantity", .choice(["accuracy", "alignment", "distance"]), default: "accuracy", "test accuracy of kernel ridge, kernel–target alignment, or ‖K_m − K_NNGP‖_F/‖K_NNGP‖_F"),
      OptionSpec("networks", .grid(min: 1, max: 100_000), default: "[2^0 .. 2^10]", "numbers m of random networks"),
      OptionSpec("inits", .list(.choice(Initializer.allCases.map(\.rawValue)), minCount: 1), default: "[he_normal, glorot_uniform, orthogonal]", "initializers, one series each"),
      OptionSpec("activation", ActivationOption.type, default: "relu", "activation of the hidden layers"),
      OptionSpec("width", .integer(min: 1, max: 16384), default: "128", "hidden width"),
      OptionSpec("depth", .integer(min: 1, max: 64), default: "2", "hidden layers"),
      OptionSpec("outputs", .integer(min: 1, max: 1000), default: "3", "outputs k of each network (the readout)"),
      OptionSpec("readout", .choice(PriorKernel.Readout.allCases.map(\.rawValue)), default: "sample", "draw the readout weights (the literal estimator) or average over them exactly"),
      OptionSpec("classes", .integer(min: 2, max: 10), default: "3", "spiral arms (classes)"),
      OptionSpec("points", .integer(min: 30, max: 3000), default: "300", "points in the data set; every third point of each arm is held out for testing"),
      OptionSpec("noise", .number(min: 0, max: 10), default: "0.05", "noise added to the spiral points"),
      OptionSpec("ridge", .number(min: 0, max: 1e6), default: "0.001", "ridge ℓ, relative to the mean diagonal of the training kernel"),
    ],
    example: """
      ```{kernel} nnpk
      :label: fig-nnpk
      :inits: [he_normal, orthogonal]
      :networks: [2^0 .. 2^8]

      Accuracy of the prior kernel of m random networks.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let quantity = options.string("quantity")
    let ms = Array(Set(options.grid("networks").map { max(1, Int($0.rounded())) })).sorted()
    let classes = options.integer("classes")
    var g = SeededGenerator(seed: context.seed, label: "data")
    let (x, labels) = SyntheticData.spirals(classes: classes, perClass: max(1, options.integer("points") / classes), noise: options.number("noise"), generator: &g)
    let train = (0..<labels.count).filter { ($0 / classes) % 3 != 2 }, test = (0..<labels.count).filter { ($0 / classes) % 3 == 2 }
    let ridge = options.number("ridge")
    let readout = PriorKernel.Readout(rawValue: options.string("readout"))!
    let inits = options.strings("inits").compactMap(Initializer.init(rawValue:))
    func measure(_ k: Matrix, reference: Matrix) throws -> Double {
      switch quantity {
      case "alignment": return PriorKernel.alignment(k, labels: labels)
      case "distance":
        var num = 0.0, den = 0.0
        for i in k.storage.indices {
          let d = k.storage[i] - reference.storage[i]
          num += d * d
          den += reference.storage[i] * reference.storage[i]
        }
        return (num / den).squareRoot()
      default: return try PriorKernel.ridgeAccuracy(k, train: train, test: test, labels: labels, classes: classes, ridge: ridge)
      }
    }
    var series: [SeriesData] = [], references: [SeriesData] = []
    for (k, initializer) in inits.enumerated() {
      let net = RandomNetwork(
        inputDimension: x.columns, width: options.integer("width"), depth: options.integer("depth"), outputs: options.integer("outputs"),
        activation: ActivationOption.activation(options.calls("activation")[0]), initializer: initializer)
      let nngp = try net.matchedNNGP(x)
      var ys: [Double] = []
      try PriorKernel.estimate(net, inputs: x, checkpoints: ms, readout: readout, seed: context.seed, label: initializer.rawValue) { m, km in
        ys.append(try measure(km, reference: nngp))
        context.progress((Double(k) + Double(m) / Double(ms.last!)) / Double(inits.count))
      }
      series.append(SeriesData(name: initializer.rawValue, x: ms.map(Double.init), y: ys))
      if quantity != "distance" {
        let value = try measure(nngp, reference: nngp)
        references.append(SeriesData(name: "nngp " + initializer.rawValue, x: ms.map(Double.init), y: ms.map { _ in value }))
      }
    }
    let labelsTeX = ["accuracy": "test accuracy", "alignment": "alignment $A(K_m, YY^\\top)$", "distance": "$\\|K_m - K\\|_F / \\|K\\|_F$"]
    return ExperimentResult(
      xlabel: "m", ylabel: quantity, xlabelTeX: "random networks $m$", ylabelTeX: labelsTeX[quantity]!, series: series + references)
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    let estimates = result.series.filter { !$0.name.hasPrefix("nngp ") }
    var marks: [Mark] = estimates.enumerated().map { i, s in
      .line(LineSeries(name: s.name.replacingOccurrences(of: "_", with: " "), x: s.x, y: s.y, marker: .circle, lineWidth: 1.4, colorSlot: i))
    }
    for s in result.series where s.name.hasPrefix("nngp ") {
      let slot = estimates.firstIndex { "nngp " + $0.name == s.name } ?? 0
      marks.append(.line(LineSeries(name: slot == 0 ? "Gaussian NNGP (matched variances)" : "", x: s.x, y: s.y, dash: [5, 3], lineWidth: 1, colorSlot: slot)))
    }
    let log = options.string("quantity") == "distance"
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: log ? .log : .linear), marks: marks, legend: log ? .upperRight : .lowerRight)
    ])
  }
}
