import SkelData
import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} gram`: the infinite-width NNGP and/or NTK Gram matrix of a `network` on an `inputs`
/// batch (neural-tangents' `kernel_fn(x, x, ('nngp', 'ntk'))`), drawn as a heat map with the inputs
/// in input order, sorted by class (boundaries drawn) or by their first coordinate. The full
/// matrix, in input order, is written beside the figure as `<label>.npy` (float64); the JSON holds
/// a block-mean copy of at most `jsonSide` × `jsonSide` cells in the sorted order. `nnpk` is the
/// same network's prior kernel at finite width (Amid et al.; NT's `monte_carlo_kernel_fn`):
/// K_m = (1/m) Σ_s f_s(X) f_s(X)ᵀ / k over `networks` random networks of the value's law; beside
/// the NNGP, the series `distance` holds ‖K_m − K_NNGP‖_F / ‖K_NNGP‖_F. In memory, the table has a
/// row per kernel: the diagonal mean, the off-diagonal mean and s.d. and their ratio
/// (`summaryTable`).
public struct GramKind: DirectiveKind {
  public init() {}

  public enum KernelChoice: String, OptionChoice {
    case nngp, ntk, nnpk
  }

  public enum SortChoice: String, OptionChoice {
    case none
    case `class`
    case x0
  }

  public struct Options: KindOptions {
    public var inputs = InputsValue(.generated(law: .sphere, n: 100, d: 8))
    public var network = NetworkValue(
      MLPShorthand(depth: 1, activation: .relu, wStd: 2.0.squareRoot(), bStd: nil, wStdOut: 1).network)
    public var kernel: [KernelChoice] = [.nngp]
    public var sort = SortChoice.none
    public var networks = 100
    public var width = Network.defaultWidth
    public var storage = StorageChoice.auto
    public var eigenvalues = 0
    public init() {}
  }

  /// The side of the JSON's downsampled copy, at most.
  public static let jsonSide = 100
  /// The side of the drawn heat map, at most (block means of the sorted matrix).
  public static let drawnSide = 512
  /// Rows of an input file, at most (`checkFiles`): the cost estimate of a file's Gram matrix
  /// assumes this many, since the file is read only after the estimate.
  public static let maxFileRows = 5_000
  /// `eigenvalues`, at most.
  public static let maxEigenvalues = 200

  public let name = "gram"
  public let summary =
    "NNGP and/or NTK Gram matrix of a network on a batch of inputs, as a heat map (sorted by class or x0); the matrix as <label>.npy"
  public let fields: [Field<Options>] = [
    Field(
      "inputs", \.inputs, InputsValue.type,
      "the inputs: generated (gaussian, sphere, cube, circle, images), a .csv or .npy file, or fashion-mnist(n, classes, split)"),
    Field("network", \.network, NetworkOption.type, "the network, a list of layers (stax names); its output must be a vector"),
    Field(
      "kernel", \.kernel, .list(KernelChoice.optionType, minCount: 1),
      "the kernels drawn, one panel each: nngp, ntk, and nnpk (the prior kernel of finite random networks)"),
    .choice(
      "sort", \.sort,
      "order of the inputs on the axes: input order (none), by class label (class, boundaries drawn) or by the first coordinate (x0)"),
    Field("networks", \.networks, .integer(min: 1, max: 100_000), "random networks m averaged by the nnpk kernel"),
    Field(
      "width", \.width, .integer(min: 1, max: 16384),
      "width of the nnpk's random networks where a dense or conv layer gives none (the output too)"),
    .choice(
      "storage", \.storage,
      "where the N × N matrix lives: memory (published beside the figure as <label>.npy), tiles (computed and read tile by tile from the cache, 1920 × 1920 tiles, memory a few tiles; the figure's arrays are its block means) or auto (tiles above 5000 inputs)"
    ),
    Field(
      "eigenvalues", \.eigenvalues, .integer(min: 0, max: Self.maxEigenvalues),
      "the k largest eigenvalues of each matrix as the series <kernel>-eigenvalues (i = 1…k): by LAPACK in memory, by block Lanczos from the tiles (one pass over the tiles a step); 0: none"
    ),
  ]
  public let example = """
    ```{kernel} gram
    :label: fig-gram
    :inputs: fashion-mnist(n=300, classes=[0, 7, 9], split=test, normalize=sphere)
    :network: [dense(w_std=1.5, b_std=0.1), erf, dense(w_std=1.5, b_std=0.1), erf, dense]
    :kernel: [nngp, ntk]
    :sort: class

    NNGP and NTK Gram matrices of a two-layer erf network on test images of three classes.
    ```
    """
}

// MARK: - The computation (callable tile by tile)

extension GramKind {
  /// The kernels of `network` between the inputs `rows` and `columns` (`nil`: `rows` with
  /// themselves, the Gram matrix), one matrix per entry of `kernels`, in that order. An MLP on
  /// vectors runs on `LayerSpec.kernel(inputs:computeNTK:compute:)` (FastMLPKernel's fused path
  /// for ReLU MLPs); any other network pair by pair. A block of the Gram matrix is this with two
  /// row ranges of the batch.
  public static func kernels(
    _ network: Network, rows: InputBatch, columns: InputBatch? = nil, kernels: [KernelChoice],
    compute: Compute = .allCores
  ) throws -> [Matrix] {
    // the prior kernel is a sum over random networks, not a function of two row ranges
    guard !kernels.contains(.nnpk) else { throw Self.priorKernelRefusal }
    // a network that starts with flatten sees the images as vectors of H·W·C numbers (stax's
    // Flatten of the inputs averages their covariance over every entry, ⟨x, x′⟩/(H·W·C)): the rest
    // runs on the vectors, so an MLP takes LayerSpec's (and FastMLPKernel's) path
    if case .serial(let layers) = network, case .flatten? = layers.first, !rows.shape.spatial.isEmpty {
      return try Self.kernels(
        .serial(Array(layers.dropFirst())), rows: rows.asVectors, columns: columns?.asVectors, kernels: kernels, compute: compute)
    }
    let net = NetworkOption.broadcast(network, toSpatialAxes: rows.shape.spatial.count)
    let k: (nngp: Matrix, ntk: Matrix?)
    do {
      k = try net.kernel(rows, columns, computeNTK: kernels.contains(.ntk), compute: compute)
    } catch {
      throw ExperimentError("network: \(error)")
    }
    return try kernels.map { c in
      switch c {
      case .nngp: return k.nngp
      case .ntk:
        guard let t = k.ntk else { throw ExperimentError("the NTK was not computed") }
        return t
      case .nnpk: throw Self.priorKernelRefusal
      }
    }
  }

  static let priorKernelRefusal = ExperimentError("the NNPK is estimated by GramKind.priorKernel, from random networks")

  /// The prior kernel K_m of `networks` random networks of `network`'s law (hidden widths left out:
  /// `width`) on the batch; network s draws from (seed, "nnpk", s).
  public static func priorKernel(
    _ network: Network, _ batch: InputBatch, networks m: Int, width: Int, seed: UInt64, compute: Compute = .allCores
  ) throws -> Matrix {
    let net = NetworkOption.broadcast(network, toSpatialAxes: batch.shape.spatial.count)
    var k: Matrix?
    do {
      try PriorKernel.estimate(
        net, inputs: batch, defaultWidth: width, checkpoints: [m], seed: seed, label: "nnpk", compute: compute
      ) { _, km in k = km }
    } catch let e as NetworkShapeError {
      throw ExperimentError("network: \(e)")
    }
    guard let k else { throw ExperimentError("no random network was drawn") }
    return k
  }

  /// The inputs' order on the axes (`order[k]` is the input drawn at position k) and, sorted by
  /// class, each class's positions [start, end). Classes are sorted by label (as numbers when
  /// every label is one), inputs stably within a class; `x0` sorts stably by the first coordinate.
  static func order(_ b: InputBatch, sort: SortChoice) -> (order: [Int], classes: [(label: String, start: Int, end: Int)]) {
    let n = b.count
    switch sort {
    case .none: return (Array(0..<n), [])
    case .x0:
      let d = b.size
      return (Array(0..<n).sorted { (b.storage[$0 * d], $0) < (b.storage[$1 * d], $1) }, [])
    case .class:
      let labels = b.labels ?? Array(repeating: "", count: n)
      let numeric = labels.allSatisfy { Double($0) != nil }
      func before(_ a: String, _ c: String) -> Bool { numeric ? (Double(a) ?? 0) < (Double(c) ?? 0) : a < c }
      let order = Array(0..<n).sorted { i, j in
        labels[i] == labels[j] ? i < j : before(labels[i], labels[j])
      }
      var classes: [(label: String, start: Int, end: Int)] = []
      for (k, i) in order.enumerated() {
        if let last = classes.last, last.label == labels[i] {
          classes[classes.count - 1].end = k + 1
        } else {
          classes.append((labels[i], k, k + 1))
        }
      }
      return (order, classes)
    }
  }

  /// Block means of the n × n matrix `m` (input order) read in `order`, at most `side` blocks a
  /// side: blocks of ⌈n/side⌉ positions (the last ones may be smaller). Row-major, `blocks` a side.
  static func blockMeans(_ m: Matrix, order: [Int], side: Int) -> (blocks: Int, size: Int, values: [Double]) {
    let n = order.count
    guard n > 0 else { return (0, 1, []) }
    let size = (n + side - 1) / side, blocks = (n + size - 1) / size
    var sums = [Double](repeating: 0, count: blocks * blocks)
    // each entry added to its block's sum in row-major order of the positions (as ever: the
    // same sums); a block's count is the product of its two sides
    m.storage.withUnsafeBufferPointer { entries in
      sums.withUnsafeMutableBufferPointer { out in
        order.withUnsafeBufferPointer { order in
          guard let p = entries.baseAddress, let o = out.baseAddress, let order = order.baseAddress else { return }
          for a in 0..<n {
            let row = p + order[a] * m.columns, cells = o + (a / size) * blocks
            for bb in 0..<blocks {
              var s = cells[bb]
              for b in (bb * size)..<min(n, (bb + 1) * size) { s += row[order[b]] }
              cells[bb] = s
            }
          }
        }
      }
    }
    let side = (0..<blocks).map { Double(min(n, ($0 + 1) * size) - $0 * size) }
    return (blocks, size, (0..<(blocks * blocks)).map { sums[$0] / (side[$0 / blocks] * side[$0 % blocks]) })
  }
}

// MARK: - Running, cost and the figure

extension GramKind {
  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    guard case .batch(let batch) = try o.inputs.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("gram takes a batch of inputs, not pairs(…)")
    }
    guard let network = o.network.network else { throw ExperimentError("gram needs a network") }
    if Self.isTiled(o.storage, n: batch.count), !o.kernel.contains(.nnpk) {
      return try runTiled(o, batch: batch, network: network, context: context)
    }
    let infinite = o.kernel.filter { $0 != .nnpk }
    var computed: [KernelChoice: Matrix] = [:]
    if !infinite.isEmpty {
      for (c, m) in zip(infinite, try Self.kernels(network, rows: batch, kernels: infinite, compute: context.compute)) { computed[c] = m }
    }
    if o.kernel.contains(.nnpk) {
      computed[.nnpk] = try Self.priorKernel(
        network, batch, networks: o.networks, width: o.width, seed: context.seed, compute: context.compute)
    }
    let matrices = try o.kernel.map { c in
      guard let m = computed[c] else { throw ExperimentError("the \(c.rawValue) matrix was not computed") }
      return m
    }
    let n = batch.count
    let (order, classes) = Self.order(batch, sort: o.sort)
    let grids = zip(o.kernel, matrices).map { c, m in
      let (blocks, size, values) = Self.blockMeans(m, order: order, side: Self.jsonSide)
      let centres = (0..<blocks).map { min(Double(n), Double($0 * size) + Double(size) / 2) }
      return GridData(
        name: c.rawValue, x: centres, y: centres, values: (0..<blocks).map { Array(values[($0 * blocks)..<(($0 + 1) * blocks)]) })
    }
    let arrays = zip(o.kernel, matrices).map { c, m in
      ResultArray(name: o.kernel.count == 1 ? "" : c.rawValue, shape: [n, n], values: m.storage)
    }
    var r = result(o, n: n, order: order, classes: classes, grids: grids, arrays: arrays)
    r.table = Self.summaryTable(Array(zip(o.kernel, matrices)))
    if o.eigenvalues > 0 {
      for (c, m) in zip(o.kernel, matrices) {
        let all = try context.compute.blas { try m.symmetricEigenvalues() }
        r.series.append(Self.eigenvalueSeries(c, Array(all.reversed().prefix(o.eigenvalues))))
      }
    }
    if let k = computed[.nngp], let km = computed[.nnpk] {
      r.series.append(
        SeriesData(name: "distance", x: [Double(o.networks)], y: [PriorKernel.relativeDistance(km, to: k)], family: "distance"))
    }
    return r
  }

  /// The k largest eigenvalues of kernel `c`'s matrix, descending, against i = 1…k.
  static func eigenvalueSeries(_ c: KernelChoice, _ values: [Double]) -> SeriesData {
    SeriesData(name: "\(c.rawValue)-eigenvalues", x: values.indices.map { Double($0 + 1) }, y: values, family: "eigenvalues")
  }

  /// One row per kernel: the mean of the diagonal entries K(xᵢ, xᵢ), the mean and standard
  /// deviation of the off-diagonal ones K(xᵢ, xⱼ), i ≠ j, and their ratio off-diagonal mean /
  /// diagonal mean (how much alike the kernel finds two different inputs, 1: as alike as an input
  /// is to itself). In-memory storage only (tiles publish block means).
  static func summaryTable(_ kernels: [(KernelChoice, Matrix)]) -> TableData {
    let rows = kernels.map { c, m -> [String] in
      let (d, mean, sd) = summary(m)
      // a kernel that is 0 on the diagonal has no ratio (not a NaN in the table)
      let cells = [d, mean, sd].map { String(cFormat: "%.10g", $0) }
      return [c.rawValue] + cells + [d == 0 ? "" : String(cFormat: "%.10g", mean / d)]
    }
    return TableData(columns: ["kernel", "diagonal", "off-diagonal", "off-diagonal s.d.", "ratio"], rows: rows, nameColumns: [0])
  }

  /// The diagonal mean, and the mean and sample s.d. of the n(n − 1) off-diagonal entries, of a
  /// square matrix: two passes over its rows (the mean, then the squared deviations from it),
  /// each row's off-diagonal entries the two runs left and right of the diagonal, summed by
  /// `SkelMath.RunSum` (four partial sums in a fixed order).
  static func summary(_ m: Matrix) -> (diagonal: Double, mean: Double, sd: Double) {
    let n = m.rows
    guard n > 0, m.columns == n else { return (0, 0, 0) }
    return m.storage.withUnsafeBufferPointer { buffer in
      guard let p = buffer.baseAddress else { return (0, 0, 0) }
      var diagonal = 0.0, off = 0.0
      for i in 0..<n {
        diagonal += p[i * n + i]
        off += RunSum.of(p + i * n, i) + RunSum.of(p + i * n + i + 1, n - i - 1)
      }
      let pairs = Double(max(1, n * (n - 1))), mean = off / pairs
      var squares = 0.0
      for i in 0..<n where n > 2 {
        squares += RunSum.of(p + i * n, i, shift: mean, squared: true) + RunSum.of(p + i * n + i + 1, n - i - 1, shift: mean, squared: true)
      }
      return (diagonal / Double(n), mean, n > 2 ? (squares / (pairs - 1)).squareRoot() : 0)
    }
  }

  /// The result of either storage: the order and class boundaries as series, the JSON's grids
  /// and the arrays beside the figure.
  func result(
    _ o: Options, n: Int, order: [Int], classes: [(label: String, start: Int, end: Int)], grids: [GridData], arrays: [ResultArray]
  ) -> ExperimentResult {
    var series = [SeriesData(name: "order", x: (0..<n).map(Double.init), y: order.map(Double.init), family: "order")]
    series += classes.map { c in
      SeriesData(name: "class=\(c.label)", x: [Double(c.start), Double(c.end)], y: [Double(c.start), Double(c.end)], family: "class")
    }
    var r = ExperimentResult(
      xlabel: "j", ylabel: "i", xlabelTeX: Self.axisLabel("j", o.sort), ylabelTeX: Self.axisLabel("i", o.sort), series: series,
      grid: grids.first)
    r.grids = grids.count > 1 ? grids : nil
    r.arrays = arrays
    return r
  }

  static func axisLabel(_ index: String, _ sort: SortChoice) -> String {
    switch sort {
    case .none: return "input $\(index)$"
    case .class: return "input $\(index)$ (sorted by class)"
    case .x0: return "input $\(index)$ (sorted by $x_0$)"
    }
  }

  static func tex(_ c: KernelChoice) -> String {
    switch c {
    case .nngp: return "$\\mathcal{K}(x_i, x_j)$"
    case .ntk: return "$\\Theta(x_i, x_j)$"
    case .nnpk: return "$K_m(x_i, x_j)$"
    }
  }

  static func title(_ c: KernelChoice, _ o: Options) -> String {
    switch c {
    case .nngp: return "NNGP"
    case .ntk: return "NTK"
    case .nnpk: return "NNPK, m = \(o.networks)"
    }
  }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    guard let arrays = result.arrays, arrays.count == o.kernel.count, arrays.allSatisfy({ $0.shape.count == 2 }) else { return nil }
    let n = result.series.first { $0.family == "order" }?.x.count ?? arrays[0].shape[0]
    let order = result.series.first { $0.family == "order" }.map { $0.y.map { Int($0) } } ?? Array(0..<n)
    let starts = result.series.filter { $0.family == "class" }.compactMap(\.x.first).filter { $0 > 0 }
    let extent = 0...Double(max(n, 1))
    // tiles: the arrays are the drawn block means already (in the sorted order)
    let drawn = arrays.map { a -> (blocks: Int, size: Int, values: [Double]) in
      a.name.hasSuffix("block-means")
        ? (a.shape[0], 1, a.values)
        : Self.blockMeans(Matrix(rows: n, columns: n, storage: a.values), order: order, side: Self.drawnSide)
    }
    // the NNGP and its finite-width estimate are one quantity: one colour scale for both panels
    let shared = zip(o.kernel, drawn).filter { $0.0 != .ntk }.flatMap { $0.1.values }.filter(\.isFinite)
    let sharedLimits =
      o.kernel.contains(.nnpk) && o.kernel.contains(.nngp) ? shared.min().flatMap { lo in shared.max().map { lo...$0 } } : nil
    let panels = zip(o.kernel, drawn).map { c, d -> Axes in
      let (blocks, _, values) = d
      // row 0 of a heat map is drawn at the top: rows reversed so that i grows upwards
      let flipped = (0..<blocks).reversed().flatMap { values[($0 * blocks)..<(($0 + 1) * blocks)] }
      var marks: [Mark] = [
        .heatmap(
          Heatmap(
            values: flipped, rows: blocks, columns: blocks, x: extent, y: extent, limits: c == .ntk ? nil : sharedLimits,
            colorbarLabel: Self.tex(c)))
      ]
      for s in starts {
        marks.append(.line(LineSeries(name: "", x: [s, s], y: [0, Double(n)], color: .white, lineWidth: 0.9)))
        marks.append(.line(LineSeries(name: "", x: [0, Double(n)], y: [s, s], color: .white, lineWidth: 0.9)))
      }
      return Axes(
        title: Self.title(c, o), x: AxisSpec(label: result.xlabelTeX, limits: extent),
        y: AxisSpec(label: result.ylabelTeX, limits: extent), marks: marks, legend: .none, grid: false)
    }
    return Figure(width: size.width, height: size.height, panels: panels)
  }
}

// MARK: - Cost and checks before running

extension GramKind {
  /// Points and numbers per point the inputs hold (a file: at most `maxFileRows` rows of at
  /// most the reader's cap of numbers, which `checkFiles` enforces).
  static func size(_ v: InputsValue, measured: MeasuredInputs = MeasuredInputs()) -> (n: Int, d: Int, spatial: Int) {
    if let path = v.files.first?.path, v.files.count == 1, let m = measured.sizes[path] { return (m.n, m.d, m.positions) }
    switch v.source {
    case .pairs(let rho, _, _): return (rho.count, 1, 1)
    case .generated(_, let n, let d): return (n, d, 1)
    case .circle(let n): return (n, 2, 1)
    case .images(let n, let h, let w, let c): return (n, h * w * c, h * w)
    case .fashionMNIST(let n, _, _, _): return (n, 784, 784)
    case .csv, .npy: return (maxFileRows, max(1, DataLimits.maxElements / maxFileRows), 1)
    }
  }

  public func cost(_ o: Options) -> Cost { cost(o, measured: MeasuredInputs()) }

  public func cost(_ o: Options, measured: MeasuredInputs) -> Cost {
    var c = CostBuilder()
    let (n, d, spatial) = Self.size(o.inputs, measured: measured)
    o.inputs.addCost(to: &c, option: "inputs")
    let kernels = o.kernel.contains(.ntk) ? 2 : 1, drawn = o.kernel.count
    // the nnpk's K_m is summed in memory: a directive with it keeps every matrix there
    let tiled = Self.isTiled(o.storage, n: n) && !o.kernel.contains(.nnpk)
    if tiled {
      // per kernel two tiles in its write pipeline, one being filled (and the strip scratch),
      // the inputs twice (sorted), the block means (drawn and JSON) and the order
      let t = min(n, Self.tileSize)
      c.doubles(
        [
          (2 * drawn + kernels + 1) * t * t + 2 * n * d + drawn * (Self.drawnSide * Self.drawnSide + Self.jsonSide * Self.jsonSide) * 4 + 8
            * n
        ],
        "\(drawn) Gram matrix(es) of \(n) × \(n) inputs as \(t) × \(t) tiles on disk (a few tiles in memory)",
        options: ["inputs", "storage"])
    } else {
      // the engine's NNGP (and NTK) matrices, which the result's arrays, the cache entry's writer
      // and the site's .npy file share (written from where they lie; a warm build reads the
      // entry straight into the arrays), and one spare copy of each drawn one (a bound: measured
      // at N = 5000, 784 inputs, a cold build peaks at 278 MB for a 200 MB matrix)
      c.doubles(
        [kernels + drawn, n, n], "\(drawn) Gram matrix(es) of \(n) × \(n) inputs, with the .npy file and the cached result",
        options: ["inputs", "storage"])
    }
    Self.addKernelWork(
      to: &c, n: n, d: d, spatial: spatial, network: o.network, shape: Self.knownShape(o.inputs) ?? measured.shape(of: o.inputs),
      computeNTK: o.kernel.contains(.ntk))
    if tiled {
      // the upper triangle written once and read once (the block means), ≈ 300 MB/s each way
      c.work(
        Double(n) * Double(n + 1) / 2 * Double(drawn), each: 2 * 8 / 3e8,
        "writing and reading \(drawn) tiled matrix(es) of \(n) × \(n) (\(Cost.formatBytes(n * (n + 1) / 2 * 8 * drawn)) on disk)",
        options: ["inputs", "storage"])
    } else {
      c.work(
        Double(n) * Double(n) * Double(drawn), each: 2e-7, "writing \(drawn) matrix(es) of \(n) × \(n) (.npy, JSON, cache)",
        options: ["inputs"])
    }
    if o.kernel.contains(.nnpk) { Self.addPriorKernelCost(o, n: n, d: d, spatial: spatial, measured: measured, to: &c) }
    if o.eigenvalues > 0 { Self.addEigenvalueCost(o, n: n, tiled: tiled, to: &c) }
    return c.cost
  }

  /// The k largest eigenvalues of each drawn matrix: in memory a copy and LAPACK's dsyevd
  /// (≈ 4n³ flops, eigenvalues only); from tiles block Lanczos (`lanczosBudget`): its basis and
  /// images (2·n·basis), and at most `maxProducts` steps, each one pass over the tiles (read, and
  /// 2n²·block flops) and a Rayleigh–Ritz on the basis (Qᵀ·W and Wᵀ·W, 4·n·basis² flops).
  static func addEigenvalueCost(_ o: Options, n: Int, tiled: Bool, to c: inout CostBuilder) {
    let drawn = Double(o.kernel.count), nd = Double(n)
    if !tiled {
      c.doubles([2, n, n], "a copy of an \(n) × \(n) matrix and LAPACK's workspace (eigenvalues)", options: ["eigenvalues", "inputs"])
      c.work(
        drawn * 4 * nd * nd * nd, each: UnitCost.flop, "\(o.kernel.count) eigenvalue decomposition(s) of \(n) × \(n)",
        options: ["eigenvalues", "inputs"])
      return
    }
    let budget = lanczosBudget(n: n, k: o.eigenvalues)
    let basis = budget.maxBasis
    c.doubles([3, n, basis], "block Lanczos: basis, images and their product, \(n) × \(basis)", options: ["eigenvalues", "inputs"])
    let steps = Double(budget.maxProducts)
    c.work(
      drawn * steps * nd * nd * Double(budget.block) * 2, each: UnitCost.flop,
      "block Lanczos: up to \(budget.maxProducts) products of the tiled \(n) × \(n) matrix with \(budget.block) vectors",
      options: ["eigenvalues", "inputs"])
    c.work(
      drawn * steps * nd * (nd + 1) / 2 * 8, each: 1 / 3e8, "block Lanczos: up to \(budget.maxProducts) passes reading the tiles",
      options: ["eigenvalues", "inputs", "storage"])
    c.work(
      drawn * steps * 4 * nd * Double(basis) * Double(basis), each: UnitCost.flop,
      "block Lanczos: Rayleigh–Ritz on the basis at each step", options: ["eigenvalues"])
  }

  /// Block Lanczos' block, basis bound (thick restarts beyond it) and product budget for the k
  /// largest of n eigenvalues from tiles: `BlockLanczos.Budget`'s defaults.
  public static func lanczosBudget(n: Int, k: Int) -> BlockLanczos.Budget { BlockLanczos.Budget(order: n, count: k) }

  /// The tolerance block Lanczos stops at (relative, certified by its Kato–Temple bounds), and
  /// the one it must reach: a result less certain than `lanczosRequired` is refused.
  public static let lanczosTolerance = 1e-10
  public static let lanczosRequired = 1e-8

  /// The nnpk's random networks: each drawn (its parameters), run on the n inputs (forward flops,
  /// the widest layer's values) and added as F Fᵀ/k (dsyrk); 4 networks at a time on each core,
  /// each group summed into an n × n matrix of its own.
  static func addPriorKernelCost(
    _ o: Options, n: Int, d: Int, spatial: Int, measured: MeasuredInputs, to c: inout CostBuilder
  ) {
    let m = Double(o.networks)
    let shape = knownShape(o.inputs) ?? measured.shape(of: o.inputs) ?? InputShape(channels: d)
    let net = o.network.network.map { NetworkOption.broadcast($0, toSpatialAxes: shape.spatial.count) }
    // a network whose shape is not known yet (an unread file): every layer at width × positions × d
    let layers = Double(o.network.network.map(NetworkOption.layerCount) ?? 1)
    let f =
      (try? net?.initializationCost(inputShape: shape, defaultWidth: o.width))
      ?? FiniteNetworkCost(
        parameters: layers * Double(d) * Double(o.width), flopsPerInput: 2 * layers * Double(spatial) * Double(d) * Double(o.width),
        valuesPerInput: Double(spatial) * Double(max(d, o.width)), outputs: o.width)
    let groups = 4 * Compute.cores
    c.doubles([groups + 1, n, n], "\(groups) partial sums of the NNPK, \(n) × \(n)", options: ["inputs"])
    c.doubles(
      [Compute.cores, Int(min(f.parameters + 3 * Double(n) * f.valuesPerInput, 1e12))],
      "one random network of \(Int(f.parameters)) parameters and its layers' values on \(n) inputs, per core",
      options: ["network", "width", "inputs"])
    c.work(
      m * (Double(n) * f.flopsPerInput + Double(n) * Double(n + 1) * Double(f.outputs)), each: UnitCost.flop,
      "\(o.networks) random networks on \(n) inputs (\(NumberText(f.flopsPerInput, significant: 3).plain) flops each)",
      options: ["networks", "network", "width", "inputs"])
    c.work(m * f.parameters, each: UnitCost.draw, "drawing \(o.networks) × \(Int(f.parameters)) weights", options: ["networks", "width"])
  }

  /// The work of the NNGP/NTK Gram matrix of `network` on n inputs of d numbers (`spatial`
  /// positions each): the input Gram matrix, then every layer on each of the n(n+1)/2 pairs.
  static func addKernelWork(
    to c: inout CostBuilder, n: Int, d: Int, spatial: Int, network: NetworkValue, shape: InputShape? = nil, computeNTK: Bool = true
  ) {
    let (onPositions, onVectors) = network.network.map(Self.spatialLayers) ?? (1, 0)
    let layers = onPositions + onVectors
    let closed = network.network.map { NetworkOption.activations($0).allSatisfy(\.hasClosedForm) } ?? true
    let pairs = Double(n) * Double(n + 1) / 2
    c.work(pairs * Double(d), each: UnitCost.flop * 2, "the input Gram matrix of \(n) inputs of dimension \(d)", options: ["inputs"])
    // a known shape and layers on the positions: the count of the recursion itself (GramCost)
    if spatial > 1, onPositions > 0, let net = network.network, let shape,
      let g = try? NetworkOption.broadcast(net, toSpatialAxes: shape.spatial.count).gramCost(input: shape, computeNTK: computeNTK)
    {
      Self.addSpatialCost(g, n: n, to: &c)
      return
    }
    // pair by pair on spatial inputs: every layer before a flatten or global pool on the spatial
    // covariance (a 3 × 3 window), the layers after it on one number per pair
    let perPair =
      (Double(onPositions) * Double(spatial) * (spatial > 1 ? 9 : 1) + Double(onVectors)) * UnitCost.kernel(closedForm: closed)
    let what =
      spatial > 1
      ? "\(Int(pairs)) pairs × \(onPositions) layers × \(spatial) positions\(onVectors > 0 ? " + \(onVectors) layers" : "")"
      : "\(Int(pairs)) pairs × \(layers) layers"
    c.work(pairs * perPair, each: 1, what, options: ["inputs", "network"])
  }

  /// Layers before the network's first top-level `flatten` or global pool (they see every
  /// position), and from it on (they see vectors); a network without one: all before.
  static func spatialLayers(_ n: Network) -> (positions: Int, vectors: Int) {
    guard case .serial(let layers) = n,
      let k = layers.firstIndex(where: {
        switch $0 {
        case .flatten, .globalPool: return true
        default: return false
        }
      })
    else { return (NetworkOption.layerCount(n), 0) }
    return (NetworkOption.layerCount(.serial(Array(layers[..<k]))), NetworkOption.layerCount(.serial(Array(layers[k...]))))
  }

  /// A spatial network's pairs from the shape of its recursion (`GramCost`): the full spatial
  /// covariance (P² entries a pair) or its diagonal (P), the working kernels of every thread, each
  /// input's tape, and the time of the recursion's flops at the tile path's or the pair engine's
  /// measured rate (calibration in README.md) plus its non-ReLU-family activation entries.
  static func addSpatialCost(_ g: GramCost, n: Int, to c: inout CostBuilder) {
    let pairs = Double(n) * Double(n - 1) / 2
    let covariance =
      g.full
      ? "full spatial covariance (\(g.positions)² = \(g.maxEntries) entries a pair)"
      : "diagonal spatial covariance (\(g.maxEntries) entries a pair)"
    c.doubles(
      [g.workingDoublesPerThread, Compute.cores],
      "the \(covariance), 4 kernels × \(g.workingDoublesPerThread / max(1, 4 * g.maxEntries)) pair(s) on each of \(Compute.cores) threads",
      options: ["inputs", "network"])
    c.doubles([Int(min(g.tapeDoublesPerInput, 1e15)), n], "\(n) inputs' variances at every activation", options: ["inputs", "network"])
    // the list of pairs and their two values (4 numbers a pair)
    c.doubles([4, n, n], "the list of \(n) × \(n) pairs and their values", options: ["inputs"])
    let rate = g.tiled ? UnitCost.tileFlop : UnitCost.pairFlop
    let seconds = g.flopsPerPair * rate + g.closedEntries * UnitCost.closedKernel + g.quadratureEntries * UnitCost.quadratureKernel
    c.work(
      pairs, each: seconds,
      "\(Int(pairs)) pairs × \(String(cFormat: "%.3g", g.flopsPerPair)) flops a pair on the \(covariance)",
      options: ["inputs", "network"])
  }

  /// The option's value as written, for diagnostics.
  static func at(_ key: String, _ directive: Directive) -> (SourceLocation, Int)? {
    guard let raw = directive.options.first(where: { $0.key == key }) else { return nil }
    return (SourceLocation(path: raw.keyLocation.path, line: raw.line, column: raw.value.column), raw.value.length)
  }

  /// The shape of the inputs when it is known before any file is read.
  static func knownShape(_ v: InputsValue) -> InputShape? {
    switch v.source {
    case .generated(_, _, let d): return InputShape(channels: d)
    case .circle: return InputShape(channels: 2)
    case .images(_, let h, let w, let c): return InputShape(spatial: [h, w], channels: c)
    case .fashionMNIST: return InputShape(spatial: [28, 28], channels: 1)
    case .pairs, .csv, .npy: return nil
    }
  }

  /// Whether the inputs carry class labels (`nil`: pairs).
  static func hasLabels(_ v: InputsValue) -> Bool {
    switch v.source {
    case .fashionMNIST: return true
    case .csv(_, _, let labels): return labels != nil
    default: return false
    }
  }

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func problem(_ key: String, _ message: String) {
      let (loc, length) = Self.at(key, directive) ?? (directive.kindLocation, directive.kind.count)
      out.append(Diagnostic(at: loc, length: length, message))
    }
    if o.storage == .tiles && o.kernel.contains(.nnpk) {
      problem("storage", "':storage: tiles' cannot hold the nnpk kernel (its random networks are summed in memory); use memory or auto")
    }
    if case .pairs = o.inputs.source {
      problem("inputs", "gram takes a batch of inputs (gaussian(n, d), a file, fashion-mnist(…), …), not pairs(…)")
    }
    if Set(o.kernel).count != o.kernel.count { problem("kernel", "option 'kernel' names a kernel twice; give nngp, ntk or [nngp, ntk]") }
    if o.sort == .class && !Self.hasLabels(o.inputs) {
      problem(
        "sort", "':sort: class' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN); these inputs have none")
    }
    if let shape = Self.knownShape(o.inputs) {
      out += NetworkShorthandChecks.shapes(directive, input: shape, inputsAre: "the inputs are \(Self.text(shape))")
      if out.isEmpty, let problem = Self.outputProblem(o.network, shape) { out.append(contentsOf: at("network", directive, problem)) }
      if out.isEmpty, let problem = Self.finiteProblem(o, shape) { out.append(contentsOf: at("network", directive, problem)) }
    }
    if !o.kernel.contains(.nnpk) {
      for key in ["networks", "width"] where directive.options.contains(where: { $0.key == key }) {
        problem(key, "option '\(key)' is read only by the nnpk kernel (random networks); add nnpk to ':kernel:' or remove it")
      }
    }
    return out
  }

  /// Why the nnpk's random networks cannot be drawn on inputs of `shape` (no finite function, too
  /// many parameters).
  static func finiteProblem(_ o: Options, _ shape: InputShape) -> String? {
    guard o.kernel.contains(.nnpk), let n = o.network.network else { return nil }
    do {
      _ = try NetworkOption.broadcast(n, toSpatialAxes: shape.spatial.count).initializationCost(inputShape: shape, defaultWidth: o.width)
      return nil
    } catch {
      return "the nnpk's random networks: \(error)"
    }
  }

  func at(_ key: String, _ directive: Directive, _ message: String) -> [Diagnostic] {
    let (loc, length) = Self.at(key, directive) ?? (directive.kindLocation, directive.kind.count)
    return [Diagnostic(at: loc, length: length, message)]
  }

  static func text(_ s: InputShape) -> String {
    s.spatial.isEmpty ? "vectors of \(s.channels)" : (s.spatial + [s.channels]).map(String.init).joined(separator: "×")
  }

  /// What is wrong with the network's output on inputs of `shape` (a Gram matrix needs a vector).
  static func outputProblem(_ v: NetworkValue, _ shape: InputShape) -> String? {
    guard let n = v.network else { return nil }
    do {
      let out = try NetworkOption.broadcast(n, toSpatialAxes: shape.spatial.count).outputShape(for: shape)
      return out.spatial.isEmpty
        ? nil : "the network's output on these inputs has spatial axes (\(text(out))): end it with flatten or a global pool"
    } catch {
      return "\(error)"
    }
  }

  /// A file's rows (at most `maxFileRows`, which the cost estimate assumed), and the network on
  /// the file's shape.
  public func checkFiles(_ o: Options, files: InputFiles) -> String? {
    guard Self.knownShape(o.inputs) == nil, case .batch(let b)? = try? o.inputs.inputs(seed: 0, files: files) else { return nil }
    if b.count > Self.maxFileRows {
      return
        "the file has \(b.count) inputs; gram computes at most \(Self.maxFileRows) from a file (its cost is estimated for that many before the file is read)"
    }
    if b.count == 0 { return "the file has no inputs" }
    return (Self.outputProblem(o.network, b.shape) ?? Self.finiteProblem(o, b.shape)).map {
      "network on the file's inputs (\(Self.text(b.shape))): \($0)"
    }
  }
}
