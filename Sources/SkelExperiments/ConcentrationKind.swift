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
public struct ConcentrationKind: DirectiveKind {
  public init() {}

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("relu")
    public var depths = [1, 3, 5]
    public var widths = GridPoints((4...12).map { Double(1 << $0) }, written: "[2^4 .. 2^12]")
    public var rho = 0.5
    public var seeds = 30
    public init() {}
  }

  public let name = "concentration"
  public let summary =
    "Spread of the empirical kernel k_w of width-r random networks around the compositional kernel, against r (exact Gram sampling)"
  public let fields: [Field<Options>] = [
    Field("activation", \.activation, ActivationOption.type, "activation of the hidden layers (normalized)"),
    Field("depths", \.depths, .list(.integer(min: 1, max: 100), minCount: 1), "depths of the fully connected chains, one series each"),
    Field("widths", \.widths, .grid(min: 1, max: 1_000_000), "widths r"),
    Field("rho", \.rho, .number(min: -1, max: 1), "input correlation ⟨x, y⟩"),
    Field("seeds", \.seeds, .integer(min: 2, max: 100_000), "independent realizations per width"),
  ]
  public let example = """
    ```{kernel} concentration
    :label: fig-concentration
    :depths: [1, 3, 5]
    :widths: [2^4 .. 2^12]

    The spread of k_w shrinks like r^(-1/2).
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let depths = o.depths, widths = o.widths.points, seeds = o.seeds
    let totalDepth = Double(depths.reduce(0, +)), totalWidth = widths.reduce(0) { $0 + max(1, $1.rounded()) }
    c.doubles([depths.count, widths.count, 4], "\(depths.count) depths × \(widths.count) widths", options: ["depths", "widths"])
    c.work(
      totalDepth * totalWidth * Double(seeds) * 2, each: UnitCost.draw,
      "depths \(Int(totalDepth)) × widths \(Int(totalWidth)) × \(seeds) seeds", options: ["widths", "seeds", "depths"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = try ActivationOption.activation(o.activation)
    let widths = o.widths.points.map { max(1, Int($0.rounded())) }
    let rho = o.rho, seeds = o.seeds
    var series: [SeriesData] = []
    for depth in o.depths {
      let skeleton = try Skeleton.fullyConnected(activations: Array(repeating: a, count: depth))
      let kappa = try skeleton.kernel(inputCorrelations: [rho])
      var g = SeededGenerator(seed: context.seed, label: "depth=\(depth)")
      var stds: [Double] = [], errs: [Double] = []
      var boot = SeededGenerator(seed: context.seed, label: "bootstrap depth=\(depth)")
      for r in widths {
        let errors = (0..<seeds).map { _ in Realization.empiricalKernel(skeleton, inputCorrelations: [rho], width: r, generator: &g) - kappa
        }
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
      series.append(
        SeriesData(name: "depth=\(depth)", x: widths.map(Double.init), y: stds, yerr: errs, parameters: ["depth": Double(depth)]))
    }
    return ExperimentResult(xlabel: "r", ylabel: "std", xlabelTeX: "width $r$", ylabelTeX: "std of $k_w - \\kappa_S$", series: series)
  }

  static func sampleStd(_ xs: [Double]) -> Double {
    let n = Double(xs.count)
    guard xs.count > 1 else { return 0 }
    let mean = xs.reduce(0, +) / n
    return (xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)).squareRoot()
  }

  /// The legend of a chain: "depth L".
  static func legend(_ s: SeriesData) -> String { s.parameters?["depth"].map { "depth \(Int($0))" } ?? s.name }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? {
    var marks: [Mark] = result.series.map {
      .errorBars(ErrorBarSeries(name: Self.legend($0), x: $0.x, y: $0.y, error: $0.yerr ?? $0.y.map { _ in 0 }))
    }
    if let s = result.series.first, let x0 = s.x.first, let y0 = s.y.first {
      marks.append(.reference(.slope(-0.5, throughX: x0, y: y0 * 1.6, label: "slope $-1/2$")))
    }
    return Self.logLogFigure(result, marks: marks, size: size)
  }
}
