import SkelData
import SkelPlot

/// What a series is, for the figure (its colour, marker, legend) — never read from its name.
public enum SeriesRole: String, Codable, Sendable, Hashable {
  /// A Monte-Carlo or finite-width estimate (points, error bars).
  case estimate
  /// The exact value the estimates are compared with (a curve in the estimates' colour).
  case exact
  /// An infinite-width or asymptotic limit drawn for reference.
  case limit
}

/// One series of a result. `name` is its published name (the CSV's `series` column, the
/// legend); what the figure needs to know about it is typed: `role`, `family`, `parameters`.
public struct SeriesData: Codable, Sendable, Hashable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  /// Standard errors of Monte-Carlo values, when there are any.
  public var yerr: [Double]?
  /// What the series is (plain curve when `nil`).
  public var role: SeriesRole?
  /// The family of curves it belongs to where several share a plot (a kernel, an activation).
  public var family: String?
  /// The parameters that tell it from its siblings (`L` = 16, `d` = 1).
  public var parameters: [String: Double]?
  public init(
    name: String, x: [Double], y: [Double], yerr: [Double]? = nil, role: SeriesRole? = nil, family: String? = nil,
    parameters: [String: Double]? = nil
  ) {
    self.name = name
    self.x = x
    self.y = y
    self.yerr = yerr
    self.role = role
    self.family = family
    self.parameters = parameters
  }
}

/// A table result: column keys (the CSV's header, plain text), rows of cells, and the titles the
/// page shows over the columns (Markdown with math, e.g. `$\\chi_c$`; the keys when `nil`).
public struct TableData: Codable, Sendable, Hashable {
  /// The column keys (CSV header, inline-value selectors).
  public var columns: [String]
  public var rows: [[String]]
  /// The columns as the page heads them (Markdown with `$…$` math), when they differ from the keys.
  public var titles: [String]?
  /// Columns whose cells are series names (`nngp d=1`, a sweep's `k` values): the page typesets
  /// them as the legend does (`SeriesLabel.tex`); the data files keep the names.
  public var nameColumns: [Int]?
  public init(columns: [String], rows: [[String]], titles: [String]? = nil, nameColumns: [Int]? = nil) {
    self.columns = columns
    self.rows = rows
    self.titles = titles
    self.nameColumns = nameColumns
  }

  /// Cell `k` of a row as the page shows it: a series name typeset, anything else as it is.
  /// (KaTeX spaces a relation itself: the figures' explicit `\;` around it is dropped here.)
  public func shown(_ cell: String, column k: Int) -> String {
    guard (nameColumns ?? []).contains(k), NumberText.number(in: cell) == nil else { return cell }
    return SeriesLabel.tex(cell).replacingOccurrences(of: " \\;=\\; ", with: " = ").replacingOccurrences(of: " \\;=$", with: " =$")
  }
}

/// An independent check that ran with the experiment.
public struct CheckResult: Codable, Sendable, Hashable {
  public var method: String
  public var maxAbsError: Double
  public var tolerance: Double
  public var passed: Bool
  public init(method: String, maxAbsError: Double, tolerance: Double, passed: Bool) {
    self.method = method
    self.maxAbsError = maxAbsError
    self.tolerance = tolerance
    self.passed = passed
  }
  enum CodingKeys: String, CodingKey {
    case method, tolerance, passed
    case maxAbsError = "max_abs_err"
  }
}

/// The role of a node of a computation skeleton.
public enum NodeRole: String, Codable, Sendable, Hashable {
  case input, hidden, output, pooling
}

/// A graph to draw (a computation skeleton): nodes by level, labels, roles, edges.
public struct GraphData: Codable, Sendable, Hashable {
  public var levels: [Int]
  public var labels: [String]
  public var roles: [NodeRole]
  public var edges: [[Int]]
  public init(levels: [Int], labels: [String], roles: [NodeRole], edges: [[Int]]) {
    self.levels = levels
    self.labels = labels
    self.roles = roles
    self.edges = edges
  }
}

/// Values on a rectangular grid (a heat map): `values[i][j]` at (x[j], y[i]).
public struct GridData: Codable, Sendable, Hashable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  public var values: [[Double]]
  public init(name: String, x: [Double], y: [Double], values: [[Double]]) {
    self.name = name
    self.x = x
    self.y = y
    self.values = values
  }
}

/// A full array a kind publishes beside its figure as a NumPy file (`<label>.npy`, or
/// `<label>.<name>.npy` when `name` is not empty): float64, C order, `shape`. Not in the JSON
/// (which carries a downsampled copy where the kind makes one).
public struct ResultArray: Codable, Sendable, Hashable {
  public var name: String
  public var shape: [Int]
  public var values: [Double]
  public init(name: String, shape: [Int], values: [Double]) {
    self.name = name
    self.shape = shape
    self.values = values
  }
  /// The file's name beside the figure's.
  public func fileName(label: String) -> String { label + (name.isEmpty ? "" : "." + name) + ".npy" }
  /// The `.npy` file (`NPY.write`), nil when the values do not fill the shape.
  public var npyBytes: [UInt8]? { NPY.write(values, shape: shape) }
}

/// What an experiment computed: the data behind its figure, independent of how it is drawn.
public struct ExperimentResult: Codable, Sendable, Hashable {
  /// Plain axis names for scripts (`rho`), and TeX labels for the figure.
  public var xlabel: String
  public var ylabel: String
  public var xlabelTeX: String
  public var ylabelTeX: String
  public var series: [SeriesData]
  public var table: TableData?
  public var graph: GraphData?
  public var grid: GridData?
  /// More heat maps than one (`grid` is the first): the JSON's `grids`.
  public var grids: [GridData]?
  /// Full arrays written beside the figure as `.npy` files (`ResultArray`).
  public var arrays: [ResultArray]?
  public var checks: [CheckResult]

  public init(
    xlabel: String, ylabel: String, xlabelTeX: String, ylabelTeX: String, series: [SeriesData],
    table: TableData? = nil, graph: GraphData? = nil, grid: GridData? = nil, checks: [CheckResult] = []
  ) {
    self.grid = grid
    self.graph = graph
    self.xlabel = xlabel
    self.ylabel = ylabel
    self.xlabelTeX = xlabelTeX
    self.ylabelTeX = ylabelTeX
    self.series = series
    self.table = table
    self.checks = checks
  }
}
