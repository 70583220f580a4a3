/// One named series of a result: what varies between series is in its name (`relu`, `L=16`).
public struct SeriesData: Codable, Sendable, Hashable {
  public var name: String
  public var x: [Double]
  public var y: [Double]
  /// Standard errors of Monte-Carlo values, when there are any.
  public var yerr: [Double]?
  public init(name: String, x: [Double], y: [Double], yerr: [Double]? = nil) {
    self.name = name
    self.x = x
    self.y = y
    self.yerr = yerr
  }
}

/// A table result: column names and rows of cells.
public struct TableData: Codable, Sendable, Hashable {
  public var columns: [String]
  public var rows: [[String]]
}

/// An independent check that ran with the experiment.
public struct CheckResult: Codable, Sendable, Hashable {
  public var method: String
  public var maxAbsError: Double
  public var tolerance: Double
  public var passed: Bool
  enum CodingKeys: String, CodingKey {
    case method, tolerance, passed
    case maxAbsError = "max_abs_err"
  }
}

/// A graph to draw (a computation skeleton): nodes by level, labels, roles, edges.
public struct GraphData: Codable, Sendable, Hashable {
  public var levels: [Int]
  public var labels: [String]
  /// input, hidden, output or pooling.
  public var roles: [String]
  public var edges: [[Int]]
  public init(levels: [Int], labels: [String], roles: [String], edges: [[Int]]) {
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
