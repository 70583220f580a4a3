import SkelDocument
import SkelKernels
import SkelPlot

/// `{kernel} hermite-table`: Daniely et al.'s Table 1, computed: each activation's normalized
/// dual, the Taylor coefficients aₖ² of the dual (its Hermite coefficients), and the kernel.
public struct HermiteTableKind: DirectiveKind {
  public init() {}

  public struct Options: KindOptions {
    public var activations = ["identity", "hermite", "relu", "step", "exp"].map { ActivationOption.call($0) }
    public var terms = 6
    public var digits = 4
    public init() {}
  }

  public let name = "hermite-table"
  public let summary =
    "Table of activations, their normalized duals, Hermite/Taylor coefficients aₖ² and kernel names (Daniely et al. 2016, Table 1)"
  public let fields: [Field<Options>] = [
    Field("activations", \.activations, ActivationOption.listType, "rows of the table"),
    Field("terms", \.terms, .integer(min: 1, max: 12), "how many coefficients a₀² … to show"),
    Field("digits", \.digits, .integer(min: 2, max: 15), "significant digits of the coefficients"),
  ]
  public let example = """
    ```{kernel} hermite-table
    :label: tbl-duals
    :activations: [identity, hermite, relu, step, exp]

    Activations, duals and kernels.
    ```
    """

  public func presentation(_ options: Options) -> Presentation { .table }

  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    let acts = o.activations.count, terms = o.terms
    c.doubles([acts, terms + 4], "\(acts) rows", options: ["activations"])
    c.work(
      Double(acts) * Double(terms + 2), each: UnitCost.integral, "\(acts) activations × \(terms) coefficients",
      options: ["activations", "terms"])
    return c.cost
  }

  /// Closed forms and kernel names of the table's classical rows (Daniely et al., Table 1).
  static let known: [String: (activation: String, dual: String, kernel: String)] = [
    "identity": ("$x$", "$\\rho$", "linear"),
    "hermite": ("$(x^2-1)/\\sqrt{2}$", "$\\rho^2$", "polynomial"),
    "relu": ("$\\sqrt{2}\\max(0,x)$", "$\\frac{\\sqrt{1-\\rho^2}+(\\pi-\\arccos\\rho)\\rho}{\\pi}$", "arc-cosine, degree 1"),
    "step": ("$\\sqrt{2}\\,\\mathbf{1}[x\\ge 0]$", "$\\frac{\\pi-\\arccos\\rho}{\\pi}$", "arc-cosine, degree 0"),
    "exp": ("$e^{x-1}$", "$e^{\\rho-1}$", "Gaussian RBF on the sphere"),
    "sign": ("$\\mathrm{sign}(x)$", "$\\frac{2}{\\pi}\\arcsin\\rho$", "arc-sine"),
    "abs": ("$\\lvert x\\rvert$", "$\\frac{2}{\\pi}(\\sqrt{1-\\rho^2}+\\rho\\arcsin\\rho)$", "arc-cosine (absolute value)"),
  ]

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let terms = o.terms
    var rows: [[String]] = []
    for call in o.activations {
      let activation = try ActivationOption.activation(call)
      let name = ActivationOption.seriesName(call)
      // 120 terms: the coefficients shown are aₖ²/Σⱼaⱼ² with the sum taken in closed form (E[σ²]).
      let series = HermiteSeries(activation, terms: max(terms, 1))
      let variance = Dual.variance(activation)
      let coefficients = series.coefficients.prefix(terms).map { $0 * $0 / variance }
      let k = Self.known[name]
      rows.append(
        [name, k?.activation ?? "`\(name)`", k?.dual ?? "—"] + coefficients.map { Self.format($0, digits: o.digits) } + [k?.kernel ?? "—"])
    }
    let columns = ["name", "activation", "dual"] + (0..<terms).map { "a\($0)^2" } + ["kernel"]
    let titles = ["name", "activation", "dual"] + (0..<terms).map { "$a_{\($0)}^2$" } + ["kernel"]
    return ExperimentResult(
      xlabel: "", ylabel: "", xlabelTeX: "", ylabelTeX: "", series: [],
      table: TableData(columns: columns, rows: rows, titles: titles, nameColumns: [0]))
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? { nil }

  /// Fixed significant digits, zero as "0" (coefficients below 1e-15 are quadrature noise).
  static func format(_ x: Double, digits: Int) -> String {
    if abs(x) < 1e-15 { return "0" }
    var s = String(x.formatted(significant: digits))
    if s.hasPrefix("-") { s = "−" + s.dropFirst() }
    return s
  }
}

extension Double {
  /// `%.{n}g`-style formatting without Foundation's locale.
  func formatted(significant n: Int) -> String {
    String(cFormat: "%.\(n)g", self)
  }
}

extension String {
  init(cFormat: String, _ x: Double) {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([x]) { vsnprintf(&buffer, 64, cFormat, $0) }
    self = String(cString: buffer)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
