import SkelDocument
import SkelKernels

/// `{kernel} nngp` and `{kernel} ntk`: the infinite-width NNGP or NTK of a fully connected
/// network, serial([Dense(W_std, b_std), σ] × L, Dense(W_std_out, b_std)), between two inputs of
/// variance q (x·x/d = q) at correlation ρ; one series per depth. One declaration, registered
/// twice (`ntk: false` and `ntk: true`).
public struct NetworkKernelKind: DirectiveKind {
  public let ntk: Bool
  public init(ntk: Bool) { self.ntk = ntk }

  public struct Options: KindOptions {
    public var activation = ActivationOption.call("relu")
    public var depths = [1, 2, 4, 8]
    public var wStd = 2.0.squareRoot()
    public var bStd = 0.0
    public var wStdOut = 1.0
    public var q = 1.0
    public var rho = GridPoints.linspace(-1, 1, 201)
    /// Pairs with their own norms (`q1`, `q2`); replaces `rho` and `q` (`pairs(o)`).
    public var inputs = InputsValue.pairs(.linspace(-1, 1, 201))
    public var network = NetworkValue()
    public init() {}
  }

  public var name: String { ntk ? "ntk" : "nngp" }
  public var summary: String {
    ntk
      ? "Neural tangent kernel Θ(ρ) of a deep fully connected network (NT 'ntk' parameterization)"
      : "NNGP kernel Σ(ρ) of a deep fully connected network (NT 'ntk' parameterization)"
  }
  public var fields: [Field<Options>] {
    [
      Field("activation", \.activation, ActivationOption.type, "activation of the hidden layers"),
      Field("depths", \.depths, .list(.integer(min: 1, max: 10_000), minCount: 1), "numbers of hidden layers L, one series each"),
      Field("w_std", \.wStd, .number(min: 0, max: 100), "weight standard deviation W_std of the hidden layers"),
      Field("b_std", \.bStd, .number(min: 0, max: 100), "bias standard deviation b_std (0: no bias)"),
      Field("w_std_out", \.wStdOut, .number(min: 0, max: 100), "W_std of the readout layer"),
      Field("q", \.q, .number(min: 0, max: 1e6), "input variance x·x/d"),
      Field("rho", \.rho, .grid(min: -1, max: 1), "input correlations ρ"),
      Field("inputs", \.inputs, InputsValue.type, "pairs(rho=GRID, q=Q) or pairs(rho=GRID, q1=Q1, q2=Q2): in place of rho and q"),
      Field("network", \.network, NetworkOption.type, NetworkKernelKind.networkHelp),
    ]
  }
  public var example: String {
    """
    ```{kernel} \(name)
    :label: fig-\(name)
    :activation: relu
    :depths: [1, 2, 4, 8]
    :b_std: 0.1

    The \(ntk ? "NTK" : "NNGP") of deep ReLU networks.
    ```
    """
  }

  /// The pairs computed on: `inputs` when it was written (then `rho` and `q` are their
  /// defaults: `check` refuses both), else `rho` at norm `q`.
  static func pairs(_ o: Options) -> (rho: [Double], q1: Double, q2: Double) {
    let defaults = Options()
    if o.rho == defaults.rho, o.q == defaults.q, case .pairs(let rho, let q1, let q2) = o.inputs.source {
      return o.inputs.normalize == .sphere ? (rho, 1, 1) : (rho, q1, q2)
    }
    return (o.rho.points, o.q, o.q)
  }

  func inputsCheck(_ o: Options, directive: Directive) -> [Diagnostic] {
    guard let raw = directive.options.first(where: { $0.key == "inputs" }) else { return [] }
    let at = SourceLocation(path: raw.keyLocation.path, line: raw.keyLocation.line, column: raw.value.column)
    guard case .pairs = o.inputs.source else {
      return [Diagnostic(at: at, length: raw.value.length, "\(name) takes inputs: pairs(rho=GRID, q=Q) (the kernel at correlations ρ)")]
    }
    let both = directive.options.filter { $0.key == "rho" || $0.key == "q" }.map(\.key)
    guard both.isEmpty else {
      return [
        Diagnostic(
          at: at, length: raw.value.length, "'inputs' replaces \(both.map { "'\($0)'" }.joined(separator: " and ")); give one of them")
      ]
    }
    return []
  }

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let rho = Self.pairs(o).rho.count, depths = o.network.network == nil ? o.depths : [1]
    let deepest = o.network.network.map(NetworkOption.layerCount) ?? depths.max() ?? 1
    let closed =
      o.network.network.map { NetworkOption.activations($0).allSatisfy(\.hasClosedForm) } ?? ActivationOption.closedForm([o.activation])
    c.doubles([depths.count + 6, rho], "\(depths.count) depths × \(rho) correlations", options: ["depths", "rho"])
    c.work(
      Double(rho) * Double(deepest), each: UnitCost.kernel(closedForm: closed) + 2e-8,
      "\(rho) correlations × depth \(deepest)", options: ["rho", o.network.network == nil ? "depths" : "network"])
    c.work(Double(rho) * Double(depths.count) * 3, each: 1e-8, "\(rho) correlations × \(depths.count) depths", options: ["rho", "depths"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let networks = try Self.networks(o)
    let mlps = networks.compactMap(MLPShorthand.init)
    let series: [SeriesData]
    if let first = mlps.first, mlps.count == networks.count, mlps.allSatisfy({ $0.sameLayers(as: first) }) {
      series = try mlpSeries(first, depths: mlps.map(\.depth), o)
    } else {
      series = try networks.map { try networkSeries($0, o) }
    }
    return ExperimentResult(
      xlabel: "rho", ylabel: name, xlabelTeX: "$\\rho$",
      ylabelTeX: ntk ? "$\\Theta^{(L)}(\\rho)$" : "$\\Sigma^{(L)}(\\rho)$", series: series)
  }

  /// The MLPs of one shorthand at several depths: the deepest network once, reading the
  /// kernels after each block, so depths share the work.
  func mlpSeries(_ s: MLPShorthand, depths: [Int], _ o: Options) throws -> [SeriesData] {
    let (rho, q1, q2) = Self.pairs(o)
    let bias = s.bStd
    let hidden = LayerSpec.serial([.dense(s.wStd, bias: bias), .activation(s.activation)])
    // deepest network once, reading the kernels after each block, so depths share the work
    var state = KernelState.pairs(correlations: rho, q11: q1, q22: q2, computeNTK: ntk)
    var done = 0
    var byDepth: [Int: [Double]] = [:]
    do {
      for L in depths.sorted() {
        state = try LayerSpec.repeated(hidden, count: L - done).kernel(state)
        done = L
        let out = try LayerSpec.dense(s.wStdOut, bias: bias).kernel(state)
        if ntk {
          guard let theta = out.ntk else { throw ExperimentError("the NTK of depth \(L) was not computed") }
          byDepth[L] = theta.storage
        } else {
          byDepth[L] = out.nngp.storage
        }
      }
    } catch let error as ExperimentError {
      throw error
    } catch {
      throw ExperimentError("\(error)")
    }
    return depths.map { L in SeriesData(name: "L=\(L)", x: rho, y: byDepth[L] ?? []) }
  }
}

// MARK: - The network option

extension NetworkKernelKind {
  static let shorthand = ["activation", "depths", "w_std", "b_std", "w_std_out"]
  static let networkHelp =
    "the network, a list of layers (default: the shorthand, [repeat(L, [dense(w_std, b_std), activation]), dense(w_std_out, b_std)] for each L in depths); not with the shorthand options"

  /// The networks computed, one series each: the `network` option, or one MLP per depth.
  static func networks(_ o: Options) throws -> [Network] {
    if let n = o.network.network { return [n] }
    let a = try ActivationOption.activation(o.activation)
    return o.depths.map { MLPShorthand(depth: $0, activation: a, wStd: o.wStd, bStd: o.bStd, wStdOut: o.wStdOut).network }
  }

  /// One network's kernel on the pairs (the network engine), named `L=…` when it is a
  /// shorthand MLP.
  func networkSeries(_ n: Network, _ o: Options) throws -> SeriesData {
    let (rho, q1, q2) = Self.pairs(o)
    let y: [Double]
    do {
      let k = try n.pairs(rho: rho, q1: q1, q2: q2, computeNTK: ntk)
      guard let value = ntk ? k.ntk : k.nngp else { throw ExperimentError("the NTK of the network was not computed") }
      y = value
    } catch let error as NetworkShapeError {
      throw ExperimentError("network: \(error)")
    }
    return SeriesData(name: MLPShorthand(n)?.seriesName ?? "network", x: rho, y: y)
  }

  /// The shorthand and `network` together, and the network's shapes on vector inputs.
  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
    inputsCheck(o, directive: directive) + NetworkShorthandChecks.conflicts(directive, shorthand: Self.shorthand)
      + NetworkShorthandChecks.shapes(directive, input: InputShape(channels: 1), inputsAre: "the inputs of '\(name)' are vectors")
  }

  /// The key sees the networks, however they were written: the shorthand options and the
  /// `network` option give one entry, `network`.
  public func canonicalFields(_ o: Options, _ fields: [(name: String, value: String)]) -> [(name: String, value: String)] {
    guard let networks = try? Self.networks(o) else { return fields }
    let kept = fields.filter { !Self.shorthand.contains($0.name) && $0.name != "network" }
    return kept + [(name: "network", value: TypedValue.list(networks.map(NetworkOption.encode)).canonical)]
  }
}
