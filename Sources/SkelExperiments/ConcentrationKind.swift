import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

#if canImport(Glibc)
  import Glibc
#endif

/// `{kernel} concentration`: how fast the empirical kernel of a width-r random network
/// concentrates around the compositional kernel (Daniely et al. 2016): the standard deviation of
/// k_w − κ_S over independent realizations, against r, for fully connected chains of several
/// depths; the reference slope is r^{−1/2}.
public struct ConcentrationKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "concentration",
    summary: "Spread of the empirical kernel k_w of width-r random networks around the compositional kernel, against r (exact Gram sampling)",
    options: [
      OptionSpec("activation", ActivationOption.type, default: "relu", "activation of the hidden layers (normalized)"),
      OptionSpec("depths", .list(.integer(min: 1, max: 100), minCount: 1), default: "[1, 3, 5]", "depths of the fully connected chains, one series each"),
      OptionSpec("widths", .grid(min: 1, max: 1_000_000), default: "[2^4 .. 2^12]", "widths r"),
      OptionSpec("rho", .number(min: -1, max: 1), default: "0.5", "input correlation ⟨x, y⟩"),
      OptionSpec("seeds", .integer(min: 2, max: 100_000), default: "30", "independent realizations per width"),
    ],
    example: """
      ```{kernel} concentration
      :label: fig-concentration
      :depths: [1, 3, 5]
      :widths: [2^4 .. 2^12]

      The spread of k_w shrinks like r^(-1/2).
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let widths = options.grid("widths").map { max(1, Int($0.rounded())) }
    let rho = options.number("rho"), seeds = options.integer("seeds")
    var series: [SeriesData] = []
    for depth in options.integers("depths") {
      let skeleton = try Skeleton.fullyConnected(activations: Array(repeating: a, count: depth))
      let kappa = try skeleton.kernel(inputCorrelations: [rho])
      var g = SeededGenerator(seed: context.seed, label: "depth=\(depth)")
      var stds: [Double] = [], errs: [Double] = []
      var boot = SeededGenerator(seed: context.seed, label: "bootstrap depth=\(depth)")
      for r in widths {
        let errors = (0..<seeds).map { _ in Realization.empiricalKernel(skeleton, inputCorrelations: [rho], width: r, generator: &g) - kappa }
        let std = Self.sampleStd(errors)
        stds.append(std)
        // Bootstrap standard error of the std (200 seeded resamples). std/√(2(n−1)) assumed a
        // normal k_w, but at small r and depth ≥ 3 its kurtosis is 27–46 and that error bar was
        // several times too small (issue 16).
        var resampled: [Double] = []
        for _ in 0..<200 {
          let sample = (0..<seeds).map { _ in errors[Int(boot.next() % UInt64(seeds))] }
          resampled.append(Self.sampleStd(sample))
        }
        errs.append(Self.sampleStd(resampled))
      }
      series.append(SeriesData(name: "depth=\(depth)", x: widths.map(Double.init), y: stds, yerr: errs))
    }
    return ExperimentResult(xlabel: "r", ylabel: "std", xlabelTeX: "width $r$", ylabelTeX: "std of $k_w - \\kappa_S$", series: series)
  }

  static func sampleStd(_ xs: [Double]) -> Double {
    let n = Double(xs.count)
    guard xs.count > 1 else { return 0 }
    let mean = xs.reduce(0, +) / n
    return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
  }

  public func figure(for result: ExperimentResult, options: ResolvedOptions) -> Figure? {
    let size = options.size("size")
    var marks: [Mark] = result.series.map { .errorBars(ErrorBarSeries(name: "depth " + $0.name.dropFirst(6), x: $0.x, y: $0.y, error: $0.yerr ?? $0.y.map { _ in 0 })) }
    if let s = result.series.first, let x0 = s.x.first, let y0 = s.y.first {
      marks.append(.reference(.slope(-0.5, throughX: x0, y: y0 * 1.6, label: "slope $-1/2$")))
    }
    return Figure(width: size.width, height: size.height, panels: [
      Axes(x: AxisSpec(label: result.xlabelTeX, scale: .log), y: AxisSpec(label: result.ylabelTeX, scale: .log), marks: marks, legend: .lowerLeft)
    ])
  }
}
