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

  public func check(_ o: Options, directive: Directive) -> [Diagnostic] {
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
    let rho = Self.pairs(o).rho.count, depths = o.depths, deepest = depths.max() ?? 1
    c.doubles([depths.count + 6, rho], "\(depths.count) depths × \(rho) correlations", options: ["depths", "rho"])
    c.work(
      Double(rho) * Double(deepest), each: UnitCost.kernel(closedForm: ActivationOption.closedForm([o.activation])) + 2e-8,
      "\(rho) correlations × depth \(deepest)", options: ["rho", "depths"])
    c.work(Double(rho) * Double(depths.count) * 3, each: 1e-8, "\(rho) correlations × \(depths.count) depths", options: ["rho", "depths"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let a = try ActivationOption.activation(o.activation)
    let (rho, q1, q2) = Self.pairs(o)
    let bias: Double? = o.bStd == 0 ? nil : o.bStd
    let hidden = LayerSpec.serial([.dense(o.wStd, bias: bias), .activation(a)])
    // deepest network once, reading the kernels after each block, so depths share the work
    var state = KernelState.pairs(correlations: rho, q11: q1, q22: q2, computeNTK: ntk)
    var done = 0
    var byDepth: [Int: [Double]] = [:]
    do {
      for L in o.depths.sorted() {
        state = try LayerSpec.repeated(hidden, count: L - done).kernel(state)
        done = L
        let out = try LayerSpec.dense(o.wStdOut, bias: bias).kernel(state)
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
    let series = o.depths.map { L in SeriesData(name: "L=\(L)", x: rho, y: byDepth[L] ?? []) }
    return ExperimentResult(
      xlabel: "rho", ylabel: name, xlabelTeX: "$\\rho$",
      ylabelTeX: ntk ? "$\\Theta^{(L)}(\\rho)$" : "$\\Sigma^{(L)}(\\rho)$", series: series)
  }
}
