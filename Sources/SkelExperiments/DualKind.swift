import SkelDocument
import SkelKernels

/// `{kernel} dual`: dual activations over a grid of correlations, by closed form, Hermite series
/// or quadrature; Daniely's normalized duals or NT's raw covariances.
public struct DualKind: DirectiveKind {
  public init() {}

  public enum Method: String, OptionChoice {
    case closedForm = "closed-form"
    case hermite, quadrature
  }

  public struct Options: KindOptions {
    public var activations = ["relu", "step", "exp"].map { ActivationOption.call($0) }
    public var rho = GridPoints.linspace(-1, 1, 401)
    public var method = Method.closedForm
    public var normalized = true
    public var derivative = false
    public init() {}
  }

  public let name = "dual"
  public let summary = "Dual activations σ̂(ρ) = E[σ(X)σ(Y)]/E[σ(X)²], Corr(X, Y) = ρ (Daniely et al. 2016)"
  public let fields: [Field<Options>] = [
    Field("activations", \.activations, ActivationOption.listType, "activations to plot, one series each"),
    Field("rho", \.rho, .grid(min: -1, max: 1), "correlations ρ at which the duals are evaluated"),
    .choice("method", \.method, "closed form (quadrature where there is none), Hermite series, or adaptive quadrature"),
    Field(
      "normalized", \.normalized, .boolean,
      "divide by E[σ(X)²] (Daniely) or give the raw covariance E[σ(u)σ(v)] with unit variances (neural-tangents)"),
    Field("derivative", \.derivative, .boolean, "plot the dual of the derivative, E[σ′(X)σ′(Y)] (the NTK factor), instead"),
  ]
  public let example = """
    ```{kernel} dual
    :label: fig-duals
    :activations: [relu, step, exp]
    :rho: linspace(-1, 1, 401)

    Normalized duals of three activations.
    ```
    """

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let acts = o.activations.count, rho = o.rho.points.count
    c.doubles([acts, rho, 2], "\(acts) activations × \(rho) correlations", options: ["activations", "rho"])
    let each: Double
    switch o.method {
    case .hermite:
      each = 80 * UnitCost.closedKernel / 20  // an 80-term sum per point
      c.work(Double(acts) * 161, each: UnitCost.integral, "Hermite coefficients", options: ["activations"])
    case .quadrature: each = UnitCost.quadratureKernel
    case .closedForm: each = UnitCost.kernel(closedForm: ActivationOption.closedForm(o.activations))
    }
    c.work(Double(acts) * Double(rho), each: each, "\(acts) activations × \(rho) correlations", options: ["activations", "rho"])
    return c.cost
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let rho = o.rho.points
    let series = try o.activations.map { call -> SeriesData in
      let activation = try ActivationOption.activation(call)
      let raw: (Double) -> KernelValue
      let variance: Double
      switch o.method {
      case .hermite:
        let s = HermiteSeries(activation, terms: 80)
        let d = HermiteSeries(function: { activation.derivative($0) }, terms: 80)
        // 80 terms plus the known even/odd tail (HermiteSeries.kernelWithTail): exact at ρ = ±1,
        // error ≤ tₑ|ρ|^{Kₑ} + tₒ|ρ|^{Kₒ} inside (for step at ρ = 0.99: 1.4e-3 · 0.99⁸¹ ≈ 6e-4)
        raw = { KernelValue(nngp: s.kernelWithTail(correlation: $0), dot: d.kernelWithTail(correlation: $0)) }
        variance = s.secondMoment
      case .quadrature:
        raw = { AdaptiveDualQuadrature.shared.kernel(activation, q11: 1, q22: 1, q12: $0).value }
        variance = raw(1).nngp
      case .closedForm:
        raw = { activation.kernel(q11: 1, q22: 1, q12: $0) }
        variance = raw(1).nngp
      }
      let scale = o.normalized ? variance : 1
      let ys = rho.map { r in (o.derivative ? raw(r).dot : raw(r).nngp) / scale }
      return SeriesData(name: ActivationOption.seriesName(call), x: rho, y: ys)
    }
    let ylabel =
      o.derivative
      ? (o.normalized ? "$\\hat\\sigma'(\\rho)$" : "$\\mathbb{E}[\\sigma'(u)\\sigma'(v)]$")
      : (o.normalized ? "$\\hat\\sigma(\\rho)$" : "$\\mathbb{E}[\\sigma(u)\\sigma(v)]$")
    return ExperimentResult(
      xlabel: "rho", ylabel: o.derivative ? "dual_derivative" : "dual", xlabelTeX: "$\\rho$", ylabelTeX: ylabel, series: series)
  }
}
