import SkelDocument
import SkelKernels

/// `{kernel} nngp` and `{kernel} ntk`: the infinite-width NNGP or NTK of a fully connected
/// network, serial([Dense(W_std, b_std), σ] × L, Dense(W_std_out, b_std)), between two inputs of
/// variance q (x·x/d = q) at correlation ρ; one series per depth.
public struct NetworkKernelKind: ExperimentKind {
  public let ntk: Bool
  public init(ntk: Bool) { self.ntk = ntk }

  public var schema: DirectiveSchema {
    DirectiveSchema(
      kind: ntk ? "ntk" : "nngp",
      summary: ntk
        ? "Neural tangent kernel Θ(ρ) of a deep fully connected network (NT 'ntk' parameterization)"
        : "NNGP kernel Σ(ρ) of a deep fully connected network (NT 'ntk' parameterization)",
      options: [
        OptionSpec("activation", ActivationOption.type, default: "relu", "activation of the hidden layers"),
        OptionSpec("depths", .list(.integer(min: 1, max: 10_000), minCount: 1), default: "[1, 2, 4, 8]", "numbers of hidden layers L, one series each"),
        OptionSpec("w_std", .number(min: 0, max: 100), default: "1.4142135623730951", "weight standard deviation W_std of the hidden layers"),
        OptionSpec("b_std", .number(min: 0, max: 100), default: "0", "bias standard deviation b_std (0: no bias)"),
        OptionSpec("w_std_out", .number(min: 0, max: 100), default: "1", "W_std of the readout layer"),
        OptionSpec("q", .number(min: 0, max: 1e6), default: "1", "input variance x·x/d"),
        OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 201)", "input correlations ρ"),
      ],
      example: """
        ```{kernel} \(ntk ? "ntk" : "nngp")
        :label: fig-\(ntk ? "ntk" : "nngp")
        :activation: relu
        :depths: [1, 2, 4, 8]
        :b_std: 0.1

        The \(ntk ? "NTK" : "NNGP") of deep ReLU networks.
        ```
        """)
  }

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let a = ActivationOption.activation(options.calls("activation")[0])
    let w = options.number("w_std"), b = options.number("b_std"), wOut = options.number("w_std_out")
    let q = options.number("q"), rho = options.grid("rho")
    let bias: Double? = b == 0 ? nil : b
    let hidden = LayerSpec.serial([.dense(w, bias: bias), .activation(a)])
    var series: [SeriesData] = []
    // deepest network once, reading the kernels after each block, so depths share the work
    let depths = options.integers("depths")
    var state = KernelState.pairs(correlations: rho, q11: q, q22: q, computeNTK: ntk)
    var done = 0
    var byDepth: [Int: [Double]] = [:]
    do {
      for L in depths.sorted() {
        state = try LayerSpec.repeated(hidden, count: L - done).kernel(state)
        done = L
        let out = try LayerSpec.dense(wOut, bias: bias).kernel(state)
        byDepth[L] = ntk ? out.ntk!.storage : out.nngp.storage
      }
    } catch {
      throw ExperimentError("\(error)")
    }
    for L in depths { series.append(SeriesData(name: "L=\(L)", x: rho, y: byDepth[L]!)) }
    return ExperimentResult(
      xlabel: "rho", ylabel: ntk ? "ntk" : "nngp", xlabelTeX: "$\\rho$",
      ylabelTeX: ntk ? "$\\Theta^{(L)}(\\rho)$" : "$\\Sigma^{(L)}(\\rho)$", series: series)
  }
}
