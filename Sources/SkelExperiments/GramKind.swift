import SkelData
import SkelDocument
import SkelKernels
import SkelMath
import SkelPlot

/// `{kernel} gram`: the infinite-width NNGP and/or NTK Gram matrix of a `network` on an `inputs`
/// batch (neural-tangents' `kernel_fn(x, x, ('nngp', 'ntk'))`), drawn as a heat map with the inputs
/// in input order, sorted by class (boundaries drawn) or by their first coordinate. The full
/// matrix, in input order, is written beside the figure as `<label>.npy` (float64); the JSON holds
/// a block-mean copy of at most `jsonSide` × `jsonSide` cells in the sorted order.
public struct GramKind: DirectiveKind {
  public init() {}

  public enum KernelChoice: String, OptionChoice {
    case nngp, ntk
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
    public init() {}
  }

  /// The side of the JSON's downsampled copy, at most.
  public static let jsonSide = 100
  /// The side of the drawn heat map, at most (block means of the sorted matrix).
  public static let drawnSide = 512
  /// Rows of an input file, at most (`checkFiles`): the cost estimate of a file's Gram matrix
  /// assumes this many, since the file is read only after the estimate.
  public static let maxFileRows = 5_000

  public let name = "gram"
  public let summary =
    "NNGP and/or NTK Gram matrix of a network on a batch of inputs, as a heat map (sorted by class or x0); the matrix as <label>.npy"
  public let fields: [Field<Options>] = [
    Field(
      "inputs", \.inputs, InputsValue.type,
      "the inputs: generated (gaussian, sphere, cube, circle, images), a .csv or .npy file, or fashion-mnist(n, classes, split)"),
    Field("network", \.network, NetworkOption.type, "the network, a list of layers (stax names); its output must be a vector"),
    Field("kernel", \.kernel, .list(KernelChoice.optionType, minCount: 1), "the kernels drawn, one panel each: nngp, ntk or both"),
    .choice(
      "sort", \.sort,
      "order of the inputs on the axes: input order (none), by class label (class, boundaries drawn) or by the first coordinate (x0)"),
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
    _ network: Network, rows: SkelKernels.InputBatch, columns: SkelKernels.InputBatch? = nil, kernels: [KernelChoice],
    compute: Compute = .allCores
  ) throws -> [Matrix] {
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
      }
    }
  }

  /// The batch as the kernel engine takes it.
  static func engineBatch(_ b: InputBatch) throws -> SkelKernels.InputBatch {
    guard let e = SkelKernels.InputBatch(shape: b.shape, count: b.count, storage: b.values) else {
      throw ExperimentError("the inputs do not hold \(b.count) points of \(text(b.shape))")
    }
    return e
  }

  /// The inputs' order on the axes (`order[k]` is the input drawn at position k) and, sorted by
  /// class, each class's positions [start, end). Classes are sorted by label (as numbers when
  /// every label is one), inputs stably within a class; `x0` sorts stably by the first coordinate.
  static func order(_ b: InputBatch, sort: SortChoice) -> (order: [Int], classes: [(label: String, start: Int, end: Int)]) {
    let n = b.count
    switch sort {
    case .none: return (Array(0..<n), [])
    case .x0:
      let d = b.dimension
      return (Array(0..<n).sorted { (b.values[$0 * d], $0) < (b.values[$1 * d], $1) }, [])
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
    var sums = [Double](repeating: 0, count: blocks * blocks), counts = [Double](repeating: 0, count: blocks * blocks)
    for a in 0..<n {
      let row = order[a] * m.columns, ba = a / size
      for b in 0..<n {
        let cell = ba * blocks + b / size
        sums[cell] += m.storage[row + order[b]]
        counts[cell] += 1
      }
    }
    return (blocks, size, zip(sums, counts).map { $0 / $1 })
  }
}

// MARK: - Running, cost and the figure

extension GramKind {
  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    guard case .batch(let batch) = try o.inputs.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("gram takes a batch of inputs, not pairs(…)")
    }
    guard let network = o.network.network else { throw ExperimentError("gram needs a network") }
    let matrices = try Self.kernels(network, rows: try Self.engineBatch(batch), kernels: o.kernel, compute: context.compute)
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

  static func tex(_ c: KernelChoice) -> String { c == .nngp ? "$\\mathcal{K}(x_i, x_j)$" : "$\\Theta(x_i, x_j)$" }

  public func figure(for result: ExperimentResult, options o: Options, size: FigureSize) -> Figure? {
    guard let arrays = result.arrays, arrays.count == o.kernel.count, let first = arrays.first, first.shape.count == 2 else { return nil }
    let n = first.shape[0]
    let order = result.series.first { $0.family == "order" }.map { $0.y.map { Int($0) } } ?? Array(0..<n)
    let starts = result.series.filter { $0.family == "class" }.compactMap(\.x.first).filter { $0 > 0 }
    let extent = 0...Double(max(n, 1))
    let panels = zip(o.kernel, arrays).map { c, a -> Axes in
      let (blocks, _, values) = Self.blockMeans(Matrix(rows: n, columns: n, storage: a.values), order: order, side: Self.drawnSide)
      // row 0 of a heat map is drawn at the top: rows reversed so that i grows upwards
      let flipped = (0..<blocks).reversed().flatMap { values[($0 * blocks)..<(($0 + 1) * blocks)] }
      var marks: [Mark] = [
        .heatmap(Heatmap(values: flipped, rows: blocks, columns: blocks, x: extent, y: extent, colorbarLabel: Self.tex(c)))
      ]
      for s in starts {
        marks.append(.line(LineSeries(name: "", x: [s, s], y: [0, Double(n)], color: .white, lineWidth: 0.9)))
        marks.append(.line(LineSeries(name: "", x: [0, Double(n)], y: [s, s], color: .white, lineWidth: 0.9)))
      }
      return Axes(
        title: c == .nngp ? "NNGP" : "NTK", x: AxisSpec(label: result.xlabelTeX, limits: extent),
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
    // the engine's NNGP (and NTK) matrices, the published copies (.npy bytes) and the cached result's text (≈ 24 bytes a number)
    c.doubles(
      [kernels + drawn * 4, n, n], "\(drawn) Gram matrix(es) of \(n) × \(n) inputs, with the .npy file and the cached result",
      options: ["inputs"])
    let layers = o.network.network.map(NetworkOption.layerCount) ?? 1
    let closed = o.network.network.map { NetworkOption.activations($0).allSatisfy(\.hasClosedForm) } ?? true
    let pairs = Double(n) * Double(n + 1) / 2
    c.work(pairs * Double(d), each: UnitCost.flop * 2, "the input Gram matrix of \(n) inputs of dimension \(d)", options: ["inputs"])
    if spatial > 1, let net = o.network.network, let shape = Self.knownShape(o.inputs) ?? measured.shape(of: o.inputs),
      let g = try? NetworkOption.broadcast(net, toSpatialAxes: shape.spatial.count).gramCost(
        input: shape, computeNTK: o.kernel.contains(.ntk))
    {
      Self.addSpatialCost(g, n: n, to: &c)
    } else {
      // pair by pair on spatial inputs of an unknown shape: every layer on the spatial covariance (a 3 × 3 window)
      let perPair = Double(layers) * Double(spatial) * (spatial > 1 ? 9 : 1) * UnitCost.kernel(closedForm: closed)
      c.work(
        pairs * perPair, each: 1, "\(Int(pairs)) pairs × \(layers) layers\(spatial > 1 ? " × \(spatial) positions" : "")",
        options: ["inputs", "network"])
    }
    c.work(
      Double(n) * Double(n) * Double(drawn), each: 2e-7, "writing \(drawn) matrix(es) of \(n) × \(n) (.npy, JSON, cache)",
      options: ["inputs"])
    return c.cost
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
    }
    return out
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
    return Self.outputProblem(o.network, b.shape).map { "network on the file's inputs (\(Self.text(b.shape))): \($0)" }
  }
}
