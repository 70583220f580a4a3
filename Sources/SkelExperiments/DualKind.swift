import SkelDocument
import SkelKernels

/// `{kernel} dual`: normalized dual activations σ̂(ρ) over a grid of correlations.
public struct DualKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "dual",
    summary: "Normalized dual activations σ̂(ρ) = E[σ(X)σ(Y)], Corr(X, Y) = ρ (Daniely et al. 2016, closed forms)",
    options: [
      OptionSpec("activations", .list(.choice(Activation.named.map(\.name)), minCount: 1), default: "[relu, step, exp]", "activations to plot, one series each"),
      OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 401)", "correlations ρ at which the duals are evaluated"),
    ],
    example: """
      ```{kernel} dual
      :label: fig-duals
      :activations: [relu, step, exp]
      :rho: linspace(-1, 1, 401)

      Normalized duals of three activations.
      ```
      """)

  public func run(_ options: ResolvedOptions, context: RunContext) throws -> ExperimentResult {
    let rho = options.grid("rho")
    let series = options.strings("activations").map { name -> SeriesData in
      guard let activation = Activation(name: name) else { preconditionFailure("validated activation \(name)") }
      return SeriesData(name: name, x: rho, y: Dual.normalized(activation, on: rho))
    }
    return ExperimentResult(
      xlabel: "rho", ylabel: "dual", xlabelTeX: "$\\rho$", ylabelTeX: "$\\hat\\sigma(\\rho)$", series: series)
  }
}
