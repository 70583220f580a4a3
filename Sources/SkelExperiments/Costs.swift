import SkelDocument
import SkelKernels

// Cost estimates of every standard kind (ExperimentKind.cost), each read off the loops of the
// kind's `run`: the counts below mirror those loops; the per-unit times are `Cost.Unit`, measured
// as the README of this module says. All arithmetic is Double, so that products of option values
// (10⁶ × 10⁶ grids, 10⁷ samples × 4096 × 10⁶ angles) never overflow.

typealias U = Cost.Unit

/// Helpers shared by the estimates.
enum CostModel {
  static func d(_ x: Int) -> Double { Double(x) }

  /// Time of one dual evaluation E[σ(u)σ(v)] of this activation: closed form, or the adaptive
  /// quadrature `Activation.kernel` falls back to.
  static func dual(_ call: (name: String, arguments: [String: Double], text: String?)) -> Double {
    closedForm(call) ? U.closedFormDual : U.adaptiveDual
  }

  /// Whether the activation has a closed-form dual; `expr(…)` never has one, and is not parsed
  /// here (an estimate must not depend on the expression having been checked).
  static func closedForm(_ call: (name: String, arguments: [String: Double], text: String?)) -> Bool {
    call.name != "expr" && ActivationOption.activation(call).hasClosedForm
  }

  /// One step of the iterated normalized dual (EqualVarianceKernel): closed form, or its Mehler
  /// series (a few hundred terms) for activations without one.
  static func seriesStep(_ call: (name: String, arguments: [String: Double], text: String?)) -> Double {
    closedForm(call) ? U.closedFormDual : 2e-6
  }

  /// Building an EqualVarianceKernel without a closed form (Mehler series on up to 2000 nodes).
  static let seriesSetup = 0.05

  /// One activation value σ(x); `expr(…)` is interpreted, 20× slower.
  static func activation(_ call: (name: String, arguments: [String: Double], text: String?)) -> Double {
    call.name == "expr" ? 20 * U.activation : U.activation
  }

  static let mib = 1024.0 * 1024
  /// What every directive holds besides its arrays (options, figure objects, the process's share).
  static let base = Cost(bytes: 64 * 1024, seconds: 0.001, drivers: "")
}

extension DualKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let rho = CostModel.d(o.grid("rho").count), calls = o.calls("activations")
    let per: Double
    switch o.string("method") {
    case "hermite": per = 2 * 80 * 4e-9  // two 80-term series and their tails
    case "quadrature": per = U.adaptiveDual
    default: per = calls.isEmpty ? U.closedFormDual : calls.map(CostModel.dual).max()!
    }
    let a = CostModel.d(calls.count)
    let what = "\(CostText.n(a)) activations × \(CostText.n(rho)) correlations from \(CostText.options(["activations", "rho"]))"
    return .sum([CostModel.base, Cost(bytes: 0, seconds: a * rho * per + a * 0.01, drivers: what), .published(points: a * rho, drivers: what)])
  }
}

extension HermiteTableKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let a = CostModel.d(o.calls("activations").count), terms = CostModel.d(o.integer("terms"))
    let what = "\(CostText.n(a)) activations from ':activations:'"
    // per row: a Hermite series (Gauss–Hermite moments), the variance, and the row's text
    return .sum([CostModel.base, Cost(bytes: a * (terms + 8) * 64, seconds: a * 0.01, drivers: what)])
  }
}

extension DepthKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let call = o.calls("activation")[0]
    let rho = CostModel.d(o.grid("rho").count), depths = o.integers("depths")
    let count = CostModel.d(depths.count), deepest = CostModel.d(depths.max() ?? 1)
    let iterate = "\(CostText.n(rho)) correlations × depth \(CostText.n(deepest)) from \(CostText.options(["rho", "depths"]))"
    let shown = "\(CostText.n(count)) depths × \(CostText.n(rho)) correlations from \(CostText.options(["depths", "rho"]))"
    let setup = CostModel.closedForm(call) ? 0 : CostModel.seriesSetup
    return .sum([
      CostModel.base,
      // each ρ is iterated to the deepest L (a path of `deepest` values), the asked depths kept
      Cost(bytes: 8 * deepest, seconds: setup + rho * deepest * CostModel.seriesStep(call), drivers: iterate),
      Cost(bytes: 8 * count * rho, seconds: 0, drivers: shown), .published(points: count * rho, drivers: shown),
    ])
  }
}

extension FixedPointKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let call = o.calls("activation")[0]
    let starts = CostModel.d(o.grid("starts").count), depth = CostModel.d(o.integer("depth"))
    let what = "\(CostText.n(starts)) starts × depth \(CostText.n(depth)) from \(CostText.options(["starts", "depth"]))"
    let perStep: Double, fixed: Double
    if o.string("mode") == "mean-field" {
      perStep = U.quadratureDual  // a layer of c^l: a bivariate Gauss–Hermite expectation
      fixed = U.meanFieldPoint
    } else {
      perStep = CostModel.seriesStep(call)
      fixed = 2001 * CostModel.seriesStep(call) + (CostModel.closedForm(call) ? 0 : CostModel.seriesSetup)
    }
    return .sum([CostModel.base, Cost(bytes: 8 * starts * depth, seconds: fixed + starts * depth * perStep, drivers: what), .published(points: starts * depth, drivers: what)])
  }
}

extension PhaseDiagramKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let w = CostModel.d(o.grid("sigma_w2").count), b = CostModel.d(o.grid("sigma_b2").count)
    let eoc = CostModel.d(o.integer("eoc_points"))
    let what = "grid \(CostText.n(w)) × \(CostText.n(b)) from \(CostText.options(["sigma_w2", "sigma_b2"]))"
    // each cell: one mean-field analysis; the grid is held as rows, flattened and reversed for
    // the heat map, and drawn as an image (PNG cells, color per cell): ~6 copies of 8 bytes
    // measured wall time per cell on 2 threads: 2.5e-4 s for χ₁ and q* (no correlation map),
    // 1.2e-3 s for ξ_c and c*
    let correlation = ["xi_c", "c_star"].contains(o.string("quantity"))
    return .sum([
      CostModel.base,
      Cost(bytes: 48 * w * b, seconds: w * b * (correlation ? 1.2e-3 : 2.5e-4), drivers: what),
      Cost(bytes: 0, seconds: eoc * 40 * U.meanFieldPoint, drivers: "\(CostText.n(eoc)) edge-of-chaos points from ':eoc_points:'"),
    ])
  }
}

extension DepthScalesKind {
  // measured: 4.7 ms per σ_w² (ξ_c, ξ_q and ξ_∇ each, serially)
  public func cost(_ o: ResolvedOptions) -> Cost {
    let w = CostModel.d(o.grid("sigma_w2").count)
    let what = "\(CostText.n(w)) weight variances from ':sigma_w2:'"
    return .sum([CostModel.base, Cost(bytes: 200 * w, seconds: (w + 40) * 2 * U.meanFieldPoint, drivers: what), .published(points: 4 * w, drivers: what)])
  }
}

extension SkeletonKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let call = o.calls("activation")[0]
    let c = CostModel.d(o.numbers("correlations").count), layers = CostModel.d(o.integer("layers"))
    let window = o.string("architecture") == "fully-connected" ? 1 : CostModel.d(o.integer("window"))
    let t = CostModel.d(o.grid("t").count)
    // a convolutional layer has at most c nodes of `window` inputs each; the fully connected chain
    // has c input edges and one node per layer
    let nodes = c * (layers + 1), edges = c * window * layers + c
    let what = "\(CostText.n(c)) input coordinates × window \(CostText.n(window)) × \(CostText.n(layers)) layers from \(CostText.options(["correlations", "window", "layers"]))"
    let curve = "\(CostText.n(t)) points from ':t:' over \(CostText.n(nodes)) skeleton nodes from \(CostText.options(["correlations", "layers"]))"
    return .sum([
      CostModel.base,
      // the skeleton and its drawing: nodes, edges, and the SVG text of each edge
      Cost(bytes: 64 * nodes + 300 * edges, seconds: 0.05 + 5e-6 * (nodes + edges), drivers: what),
      // κ at each t for both skeletons: every node one dual, every edge an addition
      Cost(bytes: 0, seconds: 2 * (t + 1) * (nodes * CostModel.dual(call) + edges * 2e-9), drivers: curve),
      .published(points: 2 * t, drivers: "\(CostText.n(t)) points from ':t:'"),
    ])
  }
}

extension NetworkKernelKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let call = o.calls("activation")[0]
    let rho = CostModel.d(o.grid("rho").count), depths = o.integers("depths")
    let count = CostModel.d(depths.count), deepest = CostModel.d(depths.max() ?? 1)
    let iterate = "\(CostText.n(rho)) correlations × depth \(CostText.n(deepest)) from \(CostText.options(["rho", "depths"]))"
    let shown = "\(CostText.n(count)) depths × \(CostText.n(rho)) correlations from \(CostText.options(["depths", "rho"]))"
    // a layer: one dual (and its derivative for the NTK) per pair, on the state of ~6 arrays
    let per = CostModel.dual(call) * (ntk ? 4 : 2) + 4e-8
    return .sum([
      CostModel.base,
      Cost(bytes: 8 * 12 * rho, seconds: rho * (deepest + count) * per, drivers: iterate),
      Cost(bytes: 8 * count * rho, seconds: 0, drivers: shown), .published(points: count * rho, drivers: shown),
    ])
  }
}

extension WeightsKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let laws = CostModel.d(o.calls("laws").count), n = CostModel.d(o.integer("dimension"))
    let m = CostModel.d(o.integer("samples")), thetas = CostModel.d(o.grid("theta").count)
    let what = "\(CostText.n(laws)) laws × \(CostText.n(thetas)) angles × \(CostText.n(m)) samples × dimension \(CostText.n(n)) from \(CostText.options(["laws", "theta", "samples", "dimension"]))"
    // per sample: a fresh weight vector of n draws and two dot products
    return .sum([
      CostModel.base,
      Cost(bytes: 8 * 3 * n, seconds: laws * thetas * m * n * (U.sample + 2e-9), drivers: what),
      .published(points: 2 * laws * thetas + thetas, drivers: "\(CostText.n(laws)) laws × \(CostText.n(thetas)) angles from \(CostText.options(["laws", "theta"]))"),
    ])
  }
}

extension ConcentrationKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let call = o.calls("activation")[0]
    let depths = o.integers("depths").map(Double.init), widths = o.grid("widths").map { max(1, $0.rounded()) }
    let seeds = CostModel.d(o.integer("seeds"))
    let sumDepth = depths.reduce(0, +), sumWidth = widths.reduce(0, +)
    let count = CostModel.d(depths.count), w = CostModel.d(widths.count)
    let what = "depths \(CostText.n(sumDepth)) in all × widths \(CostText.n(sumWidth)) in all × \(CostText.n(seeds)) seeds from \(CostText.options(["depths", "widths", "seeds"]))"
    // per node and realization: r pairs of normals and two activation values each
    let per = 4 * U.sample + 2 * CostModel.activation(call) + 3e-9
    return .sum([
      CostModel.base,
      Cost(bytes: 8 * 2 * seeds, seconds: sumDepth * sumWidth * seeds * per + count * 0.01, drivers: what),
      Cost(bytes: 0, seconds: count * w * 200 * seeds * 1.5e-8, drivers: "\(CostText.n(count * w)) bootstraps × \(CostText.n(seeds)) seeds from \(CostText.options(["depths", "widths", "seeds"]))"),
      .published(points: count * w, drivers: "\(CostText.n(count)) depths × \(CostText.n(w)) widths from \(CostText.options(["depths", "widths"]))"),
    ])
  }
}

/// The NNGP/NTK Gram matrices of a ReLU network on n points: per layer and pair, the closed-form
/// arc-cosine duals; the state holds Σ, Θ and the diagonals.
enum GramCost {
  static func seconds(points n: Double, depth: Double) -> Double { n * n * (depth + 1) * 4 * U.closedFormDual }
  static func bytes(points n: Double) -> Double { 8 * 3 * n * n }
}

extension SpectrumKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let n = CostModel.d(o.integer("points")), dims = CostModel.d(o.integers("dimensions").count)
    let depth = CostModel.d(o.integer("depth"))
    let eigen = o.string("quantity") == "eigenvalues"
    let curves = CostModel.d(eigen ? o.strings("kernels").count : o.strings("targets").count)
    let what = "\(CostText.n(dims)) dimensions × \(CostText.n(curves)) \(eigen ? "kernels" : "targets") at n = \(CostText.n(n)) from \(CostText.options(["dimensions", eigen ? "kernels" : "targets", "points"]))"
    // eigenvalues only (dsyevd, ~4n³/3 flops) or eigenvectors for the tail sums (~4n³, divide and conquer), plus a
    // Cholesky (n³/3) for a GP sample; memory: the two Grams, the copy factored, eigenvectors
    let perCurve = (eigen ? 4.0 / 3 : 4 + 1.0 / 3) * n * n * n * U.flop
    return .sum([
      CostModel.base,
      Cost(bytes: GramCost.bytes(points: n) + 8 * (eigen ? 1 : 2) * n * n, seconds: dims * (GramCost.seconds(points: n, depth: depth) + curves * perCurve), drivers: what),
      .published(points: dims * curves * n, drivers: what),
    ])
  }
}

extension RegressionKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let sizes = o.grid("sizes").map { $0.rounded() }
    let dynamics = o.string("mode") == "dynamics"
    let ns = dynamics ? [sizes.max() ?? 2] : sizes
    let reps = CostModel.d(o.integer("repetitions")), m = CostModel.d(o.integer("test_points"))
    let inits = CostModel.d(o.strings("initializations").count), depth = CostModel.d(o.integer("depth"))
    let flow = dynamics || o.string("regularization") == "flow"
    let filters = CostModel.d((flow ? o.grid("times") : o.grid("ridges")).count)
    var seconds = 0.0, bytes = 0.0
    for n in ns {
      let joint = n + m
      // Grams on train ∪ test, eigendecomposition of the n × n block (~4n³), Θ(test, X)·U (2mn²),
      // a GP sample on n + m points (Cholesky (n+m)³/3, retried with growing jitter: ×2), and a
      // prediction per filter and initialization (2mn)
      let one = GramCost.seconds(points: joint, depth: depth) + (4 * n * n * n + 2 * m * n * n + 2 * joint * joint * joint / 3) * U.flop
        + inits * filters * 2 * m * n * 1e-9
      seconds += reps * one
      bytes = max(bytes, GramCost.bytes(points: joint) + 8 * (2 * joint * joint + 3 * n * n + m * n))
    }
    let largest = ns.max() ?? 0
    let what = "\(CostText.n(CostModel.d(ns.count))) sizes up to n = \(CostText.n(largest)) with \(CostText.n(m)) test points × \(CostText.n(reps)) repetitions from \(CostText.options(["sizes", "test_points", "repetitions"]))"
    return .sum([CostModel.base, Cost(bytes: bytes, seconds: seconds, drivers: what), .published(points: inits * (dynamics ? filters : CostModel.d(ns.count)), drivers: what)])
  }
}

extension CLTKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let laws = o.strings("laws"), samples = CostModel.d(o.integer("samples"))
    let dense = o.string("inputs") == "dense"
    let ns = o.grid("dimensions").map { max(2, $0.rounded()) }
    let sumN = ns.reduce(0, +), sumHalfSquared = ns.reduce(0) { $0 + ($1 / 2 + 1) * ($1 / 2 + 1) }
    let monteCarlo = CostModel.d(laws.filter { $0 != "rademacher" }.count)
    let rademacher = laws.contains("rademacher") ? 1.0 : 0
    // dense Monte Carlo: per draw, sums of n/2 law draws twice, samples/2 draws (antithetic):
    // ~samples · n draws per dimension; sparse: 2 draws per sample. Rademacher dense: the exact
    // double binomial sum over (n/2 + 1)² terms. Parallel.map over the dimensions (2 cores).
    let draws = dense ? samples * sumN : samples * 2 * CostModel.d(ns.count)
    let what = "\(CostText.n(monteCarlo)) laws × \(CostText.n(samples)) samples × dimensions \(CostText.n(sumN)) in all from \(CostText.options(["laws", "samples", "dimensions"]))"
    return .sum([
      CostModel.base,
      Cost(bytes: 0, seconds: monteCarlo * draws * U.sample / 2, drivers: what),
      Cost(bytes: dense ? 8 * (ns.max() ?? 0) : 0, seconds: dense ? rademacher * sumHalfSquared * 2e-8 / 2 : 0, drivers: "exact Rademacher sums over dimensions up to \(CostText.n(ns.max() ?? 0)) from ':dimensions:'"),
      .published(points: CostModel.d(laws.count * ns.count), drivers: "\(laws.count) laws × \(ns.count) dimensions from \(CostText.options(["laws", "dimensions"]))"),
    ])
  }
}

extension NNPKKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    let ms = o.grid("networks").map { max(1, $0.rounded()) }
    let m = ms.max() ?? 1, checkpoints = CostModel.d(Set(ms).count)
    let inits = CostModel.d(o.strings("inits").count), width = CostModel.d(o.integer("width")), depth = CostModel.d(o.integer("depth"))
    let outputs = CostModel.d(o.integer("outputs")), classes = CostModel.d(o.integer("classes"))
    let p = CostModel.d(max(1, o.integer("points") / o.integer("classes"))) * classes  // spiral points
    let sampled = o.string("readout") == "sample"
    // per network: a fixed 4.6 ms (measured: initializer, generator, the partial sums' bookkeeping),
    // the weights (d × w, then w × w per layer), the features h = σ(h W) (2 p w² flops
    // per layer), the readout h·V (2 p w k), and its Gram added to the sum (p² w or p² k)
    let weights = 3 * width + (depth - 1) * width * width + (sampled ? width * outputs : 0)
    let perNetwork = weights * U.sample + (2 * p * 3 * width + (depth - 1) * 2 * p * width * width) * U.flop
      + 4.6e-3 + p * width * depth * 5e-9 + (sampled ? 2 * p * width * outputs + p * p * outputs : p * p * width) * U.flop
    // at each checkpoint: ridge (a p³/3 solve) or alignment / distance (p²)
    let perCheckpoint = o.string("quantity") == "accuracy" ? p * p * p / 3 * U.flop + p * p * classes * 2e-9 : 10 * p * p * 1e-9
    let what = "\(CostText.n(inits)) initializers × \(CostText.n(m)) networks of width \(CostText.n(width)) × depth \(CostText.n(depth)) from \(CostText.options(["inits", "networks", "width", "depth"]))"
    // threads (2 here) each hold a weight matrix, the features and a partial sum; 8 partials are
    // in flight (4 per thread)
    let bytes = 2 * 8 * (width * width + 2 * p * width) + 9 * 8 * p * p
    return .sum([
      CostModel.base,
      Cost(bytes: bytes, seconds: 0, drivers: "width \(CostText.n(width)) on \(CostText.n(p)) points from \(CostText.options(["width", "points"]))"),
      Cost(bytes: 0, seconds: inits * (m * perNetwork / 2 + checkpoints * perCheckpoint + GramCost.seconds(points: p, depth: depth)), drivers: what),
      .published(points: 2 * inits * CostModel.d(ms.count), drivers: what),
    ])
  }
}

extension RainbowKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    switch o.string("mode") {
    case "kernel":
      let s = CostModel.d(o.grid("anisotropy").count), m = CostModel.d(o.integer("samples"))
      let what = "\(CostText.n(s)) anisotropies × \(CostText.n(m)) samples from \(CostText.options(["anisotropy", "samples"]))"
      return .sum([CostModel.base, Cost(bytes: 0, seconds: s * m * 2 * U.sample, drivers: what), .published(points: 2 * s, drivers: what)])
    case "spectrum":
      let n = CostModel.d(o.integer("atoms")), d = CostModel.d(o.integer("dimension")), rank = min(CostModel.d(o.integer("rank")), d)
      let pooled = CostModel.d(o.integer("networks"))
      // C built entry by entry for each planted direction (rank · d² scalar steps), atoms Z·Lᵀ
      // (n·d draws and 2nd² flops) per draw, their Grams (2nd²), two eigendecompositions of
      // d × d (~9d³ each) and the whitened atoms' spectra
      let atoms = n * d * U.sample + 2 * n * d * d * U.flop
      let seconds = rank * d * d * 2e-9 + (pooled + 1) * atoms + pooled * 2 * n * d * d * U.flop + 4 * 9 * d * d * d * U.flop + 4 * n * d * d * U.flop
      let what = "\(CostText.n(n)) atoms × dimension \(CostText.n(d)) × \(CostText.n(pooled)) networks from \(CostText.options(["atoms", "dimension", "networks"]))"
      return .sum([CostModel.base, Cost(bytes: 8 * (4 * n * d + 8 * d * d), seconds: seconds, drivers: what), .published(points: 2 * d + 201, drivers: what)])
    default:
      let widths = o.grid("widths").map { max(1, $0.rounded()) }, depth = CostModel.d(o.integer("depth"))
      let n = CostModel.d(o.integer("points")), d = CostModel.d(o.integer("dimension"))
      var seconds = 0.0, bytes = 0.0
      for r in widths {
        // two networks: per layer the weights (fan-in × r draws), h·W (2n·fan-in·r), the Gram (n²r);
        // then per layer a Procrustes alignment of two n × n Grams (eigen/SVD, ~30n³)
        let first = d * r * U.sample + 2 * n * d * r * U.flop, later = r * r * U.sample + 2 * n * r * r * U.flop
        seconds += 2 * (first + (depth - 1) * later + depth * n * n * r * U.flop) + depth * 30 * n * n * n * U.flop
        bytes = max(bytes, 8 * (max(d, r) * r + 2 * n * r + (2 * depth + 4) * n * n))
      }
      let largest = widths.max() ?? 0
      let what = "\(CostText.n(CostModel.d(widths.count))) widths up to \(CostText.n(largest)) × depth \(CostText.n(depth)) on \(CostText.n(n)) points from \(CostText.options(["widths", "depth", "points"]))"
      return .sum([CostModel.base, Cost(bytes: bytes, seconds: seconds, drivers: what), .published(points: depth * CostModel.d(widths.count), drivers: what)])
    }
  }
}

extension RealizationKind {
  /// Peak bytes of `ExplicitRealization.normalizedKernels`: the weight matrix (fan-in × r, r² from
  /// layer 2 on), the hidden values of the n = thetas + 1 inputs before and after a layer (2nr),
  /// and the product's buffer (nr).
  static func realizationBytes(thetas: Double, width r: Double) -> Double {
    8 * (max(2, r) * r + 3 * (thetas + 1) * r)
  }

  public func cost(_ o: ResolvedOptions) -> Cost {
    let thetas = CostModel.d(o.grid("theta").count), r = CostModel.d(o.integer("width"))
    let depths = o.integers("depths"), deepest = CostModel.d(depths.max() ?? 1), count = CostModel.d(depths.count)
    let n = thetas + 1
    // per layer: r weight vectors of fan-in draws (2, then r), h·W (2 n·fan-in·r flops), the
    // leaky ReLU and the norms (3nr)
    let first = 2 * r * U.sample + 4 * n * r * U.flop
    let later = r * r * U.sample + 2 * n * r * r * U.flop + 3 * n * r * 1e-9
    let what = "width \(CostText.n(r)) × \(CostText.n(thetas)) angles × depth \(CostText.n(deepest)) from \(CostText.options(["width", "theta", "depths"]))"
    return .sum([
      CostModel.base,
      Cost(bytes: Self.realizationBytes(thetas: thetas, width: r), seconds: 0, drivers: "width \(CostText.n(r)) × \(CostText.n(thetas)) angles from \(CostText.options(["width", "theta"]))"),
      Cost(bytes: 0, seconds: first + (deepest - 1) * later + n * deepest * 1e-7, drivers: what),
      .published(points: 2 * count * thetas, drivers: "\(CostText.n(count)) depths × \(CostText.n(thetas)) angles from \(CostText.options(["depths", "theta"]))"),
    ])
  }
}
