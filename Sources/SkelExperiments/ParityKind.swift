import SkelDocument
import SkelKernels
import SkelPlot

/// `{kernel} parity`: the engine's single-layer kernels against values printed by neural-tangents
/// 0.6.5 in float64 (science.md §7.3), cell by cell with pass/fail. The stored values are NT's
/// output, kept here as reference data; every engine value is computed when the directive runs.
public struct ParityKind: DirectiveKind {
  public init() {}

  public enum Table: String, OptionChoice {
    case singleLayer = "single-layer"
    case deepRelu = "deep-relu"
  }

  public struct Options: KindOptions {
    public var reference = Table.singleLayer
    public var relative = 1e-12
    public var absolute = 6e-13
    public init() {}
  }

  public let name = "parity"
  public let summary =
    "Parity table against neural-tangents 0.6.5 (stored float64 values): nngp(0), nngp(0.5), ntk(0.5), nngp and ntk on the diagonal, pass/fail per cell"
  public let fields: [Field<Options>] = [
    .choice(
      "reference", \.reference,
      "single-layer: 17 activations after serial(Dense(1, W_std=1), act); deep-relu: serial([Dense(1, W_std=√2), Relu()]×L, Dense(1, W_std=1)) at ρ = 0.5 for L = 1, 2, 3, 5"
    ),
    Field("relative", \.relative, .number(min: 0, max: 1), "relative tolerance of a cell"),
    Field("absolute", \.absolute, .number(min: 0, max: 1), "absolute tolerance of a cell (NT's values are printed with 12 decimals)"),
  ]
  public let example = """
    ```{kernel} parity
    :label: tbl-parity

    The engine against neural-tangents.
    ```
    """

  public func presentation(_ options: Options) -> Presentation { .table }

  /// Fixed work: 17 single-layer activations (a few by quadrature) or 4 deep ReLU depths.
  public func cost(_ o: Options) -> Cost {
    var c = CostBuilder()
    c.doubles([17, 8], "the parity table", options: ["reference"])
    c.work(17 * 3, each: UnitCost.quadratureKernel, "17 activations × 3 kernels", options: ["reference"])
    return c.cost
  }

  /// One row: NT's layer name, the engine's activation (or NT's own 25-point rule), NT's values;
  /// nil where NT 0.6.5 prints NaN (a bug of `RectifiedMonomial` on the diagonal).
  struct Row: Sendable {
    var name: String
    var activation: Activation
    var ntRule = false
    var nt: [Double?]
  }

  /// science.md §7.3: `serial(Dense(1, W_std=1), act)` with q₁₁ = q₂₂ = 1, q₁₂ = ρ.
  static let rows: [Row] = [
    Row(name: "Relu", activation: .relu, nt: [0.159154943092, 0.304498890522, 0.166666666667, 0.5, 0.5]),
    Row(name: "LeakyRelu(0.2)", activation: .leakyRelu(0.2), nt: [0.101859163579, 0.294879289934, 0.206666666667, 0.52, 0.52]),
    Row(name: "Abs", activation: .abRelu(a: -1, b: 1), nt: [0.636619772368, 0.717995562088, 0.166666666667, 1, 1]),
    Row(name: "Erf", activation: .erf(a: 1, b: 1, c: 0), nt: [0, 0.216346895939, 0.225079079039, 0.464559054398, 0.569410034734]),
    Row(name: "Gelu", activation: .gelu, nt: [0.079577471546, 0.227294915022, 0.171133621230, 0.425221482570, 0.455850865649]),
    Row(name: "Sin", activation: .sin(a: 1, b: 1, c: 0), nt: [0, 0.191700249782, 0.207415204965, 0.432332358382, 0.567667641618]),
    Row(
      name: "Cos", activation: .sin(a: 1, b: 1, c: Double.pi / 2),
      nt: [0.367879441171, 0.414830409931, 0.095850124891, 0.567667641618, 0.432332358382]),
    Row(name: "Rbf(1)", activation: .rbf(gamma: 1), nt: [0.135335283237, 0.367879441171, 0.367879441171, 1, 2]),
    Row(name: "Sign", activation: .sign, nt: [0, 0.333333333333, 0, 1, 0]),
    Row(name: "Exp", activation: .exp(a: 1, b: 1), nt: [2.718281828459, 4.481689070338, 2.240844535169, 7.389056098931, 7.389056098931]),
    Row(
      name: "Gaussian", activation: .gaussian(a: 1, b: -1),
      nt: [0.333333333333, 0.353553390593, 0.044194173824, 0.447213595500, 0.357770876400]),
    Row(name: "Hermite(2)", activation: .hermite(degree: 2), nt: [0, 0.25, 0.5, 1, 2]),
    Row(name: "Monomial(2)", activation: .monomial(degree: 2), nt: [1, 1.5, 1, 3, 4]),
    Row(name: "RectifiedMonomial(0)", activation: .rectifiedMonomial(degree: 0), nt: [0.25, 0.333333333333, 0, nil, 0]),
    Row(
      name: "RectifiedMonomial(1)", activation: .rectifiedMonomial(degree: 1),
      nt: [0.159154943092, 0.304498890522, 0.166666666667, nil, nil]),
    Row(
      name: "ElementwiseNumerical(tanh), degree 25", activation: .tanh, ntRule: true,
      nt: [0, 0.186323255705, 0.192380693324, 0.394276506035, 0.464646861598]),
    Row(
      name: "tanh (exact engine) vs NT, degree 25", activation: .tanh,
      nt: [0, 0.186323255705, 0.192380693324, 0.394276506035, 0.464646861598]),
  ]

  static let columns = ["nngp(0)", "nngp(0.5)", "ntk(0.5)", "nngp(x,x)", "ntk(x,x)"]
  /// The columns as a paper heads them: the kernel at correlation ρ, or on the diagonal.
  static let titles = [
    "nngp(0)": "NNGP at $\\rho = 0$", "nngp(0.5)": "NNGP at $\\rho = 0.5$", "ntk(0.5)": "NTK at $\\rho = 0.5$",
    "nngp(x,x)": "NNGP at $(x, x)$", "ntk(x,x)": "NTK at $(x, x)$",
  ]

  /// The engine's five cells: ntk after one Dense with W_std = 1 is q₁₂·E[σ′σ′].
  static func cells(_ r: Row) -> [Double] {
    let kernel: (Double) -> KernelValue
    if r.ntRule {
      let rule = NTQuadrature(degree: 25)
      kernel = { rule.kernel(r.activation, q11: 1, q22: 1, q12: $0) }
    } else {
      kernel = { r.activation.kernel(q11: 1, q22: 1, q12: $0) }
    }
    let k0 = kernel(0), k5 = kernel(0.5), k1 = kernel(1)
    return [k0.nngp, k5.nngp, 0.5 * k5.dot, k1.nngp, k1.dot]
  }

  /// science.md §7.3, deep ReLU MLP without bias, q = 1, ρ = 0.5: L, NNGP, NTK, NTK diagonal.
  static let deep: [(Int, [Double])] = [
    (1, [0.608997781044, 0.942331114378, 2]), (2, [0.683905650899, 1.351479561123, 3]),
    (3, [0.738128192301, 1.737844679215, 4]), (5, [0.810454201005, 2.462893132458, 6]),
  ]

  static func cell(_ g: Double, _ e: Double, rel: Double, abs0: Double, worst: inout Double) -> String {
    let d = abs(g - e)
    worst = max(worst, d)
    return String(cFormat: "%.12g", g) + (d <= max(abs0, rel * abs(e)) ? " ✓" : " ✗")
  }

  func deepTable(rel: Double, abs0: Double) throws -> TableData {
    var rows: [[String]] = []
    let hidden = LayerSpec.serial([.dense(2.0.squareRoot(), bias: nil), .activation(.relu)])
    for (L, nt) in Self.deep {
      let state = try LayerSpec.dense(1, bias: nil).kernel(
        LayerSpec.repeated(hidden, count: L).kernel(KernelState.pairs(correlations: [0.5, 1], q11: 1, q22: 1, computeNTK: true)))
      guard let ntkState = state.ntk else { throw ExperimentError("the deep ReLU kernel has no NTK") }
      let nngp = state.nngp.storage, ntk = ntkState.storage
      var worst = 0.0
      let cells = [
        Self.cell(nngp[0], nt[0], rel: rel, abs0: abs0, worst: &worst), Self.cell(ntk[0], nt[1], rel: rel, abs0: abs0, worst: &worst),
        Self.cell(ntk[1], nt[2], rel: rel, abs0: abs0, worst: &worst),
      ]
      rows.append([String(L)] + cells + [String(cFormat: "%.1e", worst)])
    }
    return TableData(
      columns: ["L", "nngp(0.5)", "ntk(0.5)", "ntk(x,x)", "max |engine − NT|"], rows: rows,
      titles: ["$L$"] + ["nngp(0.5)", "ntk(0.5)", "ntk(x,x)"].map { Self.titles[$0] ?? $0 } + ["max |engine − NT|"])
  }

  /// The single-layer table: one row per activation, NaN cells of NT shown with the engine's value.
  func singleTable(rel: Double, abs0: Double) -> TableData {
    var rows: [[String]] = []
    for r in Self.rows {
      var row = [r.name]
      var worst = 0.0
      for (g, e) in zip(Self.cells(r), r.nt) {
        guard let e else {
          row.append(String(cFormat: "%.12g", g) + " (NT: NaN)")
          continue
        }
        row.append(Self.cell(g, e, rel: rel, abs0: abs0, worst: &worst))
      }
      row.append(String(cFormat: "%.1e", worst))
      rows.append(row)
    }
    return TableData(
      columns: ["NT layer"] + Self.columns + ["max |engine − NT|"], rows: rows,
      titles: ["NT layer"] + Self.columns.map { Self.titles[$0] ?? $0 } + ["max |engine − NT|"])
  }

  public func run(_ o: Options, context: RunContext) throws -> ExperimentResult {
    let table: TableData
    switch o.reference {
    case .singleLayer: table = singleTable(rel: o.relative, abs0: o.absolute)
    case .deepRelu:
      do { table = try deepTable(rel: o.relative, abs0: o.absolute) } catch let e as ExperimentError { throw e } catch {
        throw ExperimentError("\(error)")
      }
    }
    return ExperimentResult(xlabel: "", ylabel: "", xlabelTeX: "", ylabelTeX: "", series: [], table: table)
  }

  public func figure(for result: ExperimentResult, options: Options, size: FigureSize) -> Figure? { nil }
}
