import SkelDocument
import SkelKernels

/// `{kernel} dual`: dual activations over a grid of correlations, by closed form, Hermite series
/// or quadrature; Daniely's normalized duals or NT's raw covariances.
public struct DualKind: ExperimentKind {
  public init() {}

  public let schema = DirectiveSchema(
    kind: "dual",
    summary: "Dual activations σ̂(ρ) = E[σ(X)σ(Y)]/E[σ(X)²], Corr(X, Y) = ρ (Daniely et al. 2016)",
    options: [
      OptionSpec("activations", ActivationOption.listType, default: "[relu, step, exp]", "activations to plot, one series each"),
      OptionSpec("rho", .grid(min: -1, max: 1), default: "linspace(-1, 1, 401)", "correlations ρ at which the duals are evaluated"),
      OptionSpec("method", .choice(["closed-form", "hermite", "quadrature"]), default: "closed-form", "closed form (quadrature where there is none), Hermite series, or adaptive quadrature"),
      OptionSpec("normalized", .boolean, default: "true", "divide by E[σ(X)²] (Daniely) or give the raw covariance E[σ(u)σ(v)] with unit variances (neural-tangents)"),
      OptionSpec("derivative", .boolean, default: "false", "plot the dual of the derivative, E[σ′(X)σ′(Y)] (the NTK factor), instead"),
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
    let method = options.string("method")
    let normalized = options.bool("normalized"), derivative = options.bool("derivative")
    let series = options.calls("activations").map { call -> SeriesData in
      let activation = ActivationOption.activation(call)
      let raw: (Double) -> KernelValue
      let variance: Double
      switch method {
      case "hermite":
        let s = HermiteSeries(activation, terms: 80)
        let d = HermiteSeries(function: { activation.derivative($0) }, terms: 80)
        // 80 terms plus the known even/odd tail (HermiteSeries.kernelWithTail): exact at ρ = ±1,
        // error ≤ tₑ|ρ|^{Kₑ} + tₒ|ρ|^{Kₒ} inside (for step at ρ = 0.99: 1.4e-3 · 0.99⁸¹ ≈ 6e-4)
        raw = { KernelValue(nngp: s.kernelWithTail(correlation: $0), dot: d.kernelWithTail(correlation: $0)) }
        variance = s.secondMoment
      case "quadrature":
        raw = { AdaptiveDualQuadrature.shared.kernel(activation, q11: 1, q22: 1, q12: $0).value }
        variance = raw(1).nngp
      default:
        raw = { activation.kernel(q11: 1, q22: 1, q12: $0) }
        variance = raw(1).nngp
      }
      let scale = normalized ? variance : 1
      let ys = rho.map { r in (derivative ? raw(r).dot : raw(r).nngp) / scale }
      return SeriesData(name: ActivationOption.seriesName(call), x: rho, y: ys)
    }
    let ylabel = derivative ? (normalized ? "$\\hat\\sigma'(\\rho)$" : "$\\mathbb{E}[\\sigma'(u)\\sigma'(v)]$") : (normalized ? "$\\hat\\sigma(\\rho)$" : "$\\mathbb{E}[\\sigma(u)\\sigma(v)]$")
    return ExperimentResult(
      xlabel: "rho", ylabel: derivative ? "dual_derivative" : "dual", xlabelTeX: "$\\rho$", ylabelTeX: ylabel, series: series)
  }
}
