import Dispatch
import Foundation
import SkelExperiments

/// One independent piece of a build's work: a directive's result, named by its cache key, with
/// the estimates the resource budget makes (`Cost`) and the keys it needs first.
public struct WorkUnit: Codable, Sendable, Hashable {
  /// The result's cache key (`<key>.json` in the results cache).
  public var key: String
  /// The report's name (its file name without `.md`).
  public var report: String
  public var label: String
  public var kind: String
  /// Estimated peak memory in bytes.
  public var bytes: Int
  /// Estimated seconds of work on the machine that planned.
  public var seconds: Double
  /// Keys of the units that must be computed before this one: a stored matrix's tiles before the
  /// directive that reads them.
  public var depends: [String]
  /// For a tile of a stored matrix (`StoredTiles`): which tile, of which directive's stores;
  /// `nil` for a directive's result.
  public var tile: Tile?

  /// Tile (`row`, `column`) of the stores `stores` (order `order`, tiles `size`) in the tile
  /// folder of the directive whose result key is `directive` (`tiles/<directive>` in the cache).
  public struct Tile: Codable, Sendable, Hashable {
    public var directive: String
    public var row: Int
    public var column: Int
    public var order: Int
    public var size: Int
    public var stores: [String]
  }

  public init(
    key: String, report: String, label: String, kind: String, bytes: Int, seconds: Double, depends: [String] = [], tile: Tile? = nil
  ) {
    self.key = key
    self.report = report
    self.label = label
    self.kind = kind
    self.bytes = bytes
    self.seconds = seconds
    self.depends = depends
    self.tile = tile
  }

  /// The key of tile `p` of the directive with result key `directive`: `tiles/<key>/<row>-<column>`,
  /// the folder its files are in (`<store>-<row>-<column>.npy`).
  public static func tileKey(_ directive: String, _ p: TilePair) -> String { "tiles/\(directive)/\(p.row)-\(p.column)" }

  /// The estimated seconds of tile `p`'s unit: the directive's work but the gather (reading the
  /// tiles, and what it computes from them), shared by the tiles as their entries.
  public static func tileSeconds(_ cost: Cost, tiles: StoredTiles, _ p: TilePair) -> Double {
    let entries = Double(max(1, tiles.pairs.reduce(0) { $0 + tiles.entries($1) }))
    return max(0, cost.seconds - tiles.gatherSeconds) * Double(tiles.entries(p)) / entries
  }

  /// A tiled directive's estimate as the budget sees it when its tiles are units of a plan
  /// (`BuildConfiguration.budgetsUnits`): the time of its largest unit — one tile (all tiles
  /// but the last row and column are the same size), or the gather — and the directive's memory.
  public static func budgeted(_ cost: Cost, tiles: StoredTiles) -> Cost {
    let tile = tiles.pairs.first.map { tileSeconds(cost, tiles: tiles, $0) } ?? 0
    var out = cost
    out.seconds = max(tile, tiles.gatherSeconds)
    let unit =
      tile >= tiles.gatherSeconds
      ? "one tile of \(tiles.tileSize) × \(tiles.tileSize) (the largest of \(tiles.pairs.count) tile units) of \(cost.workDriver.what)"
      : "the gather of \(tiles.pairs.count) tiles (reading them and what is computed from them)"
    out.workDriver = Cost.Driver(unit, options: tile >= tiles.gatherSeconds ? cost.workDriver.options : tiles.gatherOptions)
    return out
  }

  /// The stored tiles of a tile unit, for `StoredTiles.missing`.
  var layout: (StoredTiles, TilePair)? {
    tile.map { (StoredTiles(order: $0.order, tileSize: $0.size, stores: $0.stores), TilePair(row: $0.row, column: $0.column)) }
  }
}

/// A build's work as units (`skelreport plan`): what `skelreport shard` computes, a part per
/// process, into a cache that `skelreport build` then reads. Units come in report order (by file
/// name), then directive order; a result two directives share is one unit. A directive that
/// stores its matrices as tiles (`StoredTiles`) is preceded by one unit per tile, on which it
/// depends: shards compute the tiles, and the directive itself only reads them.
public struct WorkPlan: Codable, Sendable, Equatable {
  /// The version of this document's layout.
  public static let currentFormat = "skelreport-plan/1"

  public var format: String
  /// The engine that planned (`Engine.identity`): its keys are only valid for that engine.
  public var engine: String
  /// The reports folder (or report), absolute.
  public var reports: String
  public var units: [WorkUnit]

  public init(engine: String, reports: String, units: [WorkUnit]) {
    self.format = Self.currentFormat
    self.engine = engine
    self.reports = reports
    self.units = units
  }

  /// The plan as JSON: sorted keys, indented, the same bytes for the same plan.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    var data = try encoder.encode(self)
    data.append(0x0A)
    return data
  }

  /// The shard (`0..<shards`) of every unit: longest estimated time first, each onto the least
  /// loaded shard (lowest index on a tie), so shards finish at about the same time. The same
  /// plan and count always give the same assignment. `shards` below 1 counts as 1.
  public func assignment(shards: Int) -> [Int] {
    let n = max(1, shards)
    var load = [Double](repeating: 0, count: n)
    var out = [Int](repeating: 0, count: units.count)
    let order = units.indices.sorted { a, b in
      units[a].seconds != units[b].seconds ? units[a].seconds > units[b].seconds : a < b
    }
    for u in order {
      var best = 0
      for s in 1..<n where load[s] < load[best] { best = s }
      out[u] = best
      load[best] += max(0, units[u].seconds)
    }
    return out
  }

  /// The units of shard `index` of `shards`, in plan order.
  public func units(shard index: Int, of shards: Int) -> [WorkUnit] {
    zip(units, assignment(shards: shards)).filter { $0.1 == index }.map(\.0)
  }
}

/// What `SiteBuilder.computeUnits` did with each unit it was given.
public struct ShardSummary: Sendable, Equatable {
  /// Keys computed by this process and stored.
  public var computed: [String] = []
  /// Keys whose verified entry was already in the cache.
  public var cached: [String] = []
  /// Directives left for the gather (`skelreport build`): some of the tiles they read were not
  /// in the cache yet (other shards compute them).
  public var deferred: [String] = []
}

extension SiteBuilder {
  /// The reports read and validated (budget included), nothing run: the build's work as units
  /// with their estimates, or the problems as `BuildError`.
  public func workPlan() throws -> WorkPlan {
    let run = BuildRun()
    try execute(Pipeline.plan, run)
    var seen = Set<String>()
    var units: [WorkUnit] = []
    for report in run.plans {
      for d in report.directives.flatMap(\.units) where seen.insert(d.key).inserted {  // a sweep's points are units of their own
        let cost = d.cost ?? d.configured.cost()  // made when planning
        let bytes = cost.bytes ?? Int.max
        guard let tiles = d.configured.storedTiles(measured: d.inputs.measured) else {
          units.append(
            WorkUnit(key: d.key, report: report.document.name, label: d.label, kind: d.directive.kind, bytes: bytes, seconds: cost.seconds))
          continue
        }
        let tileUnits = tiles.pairs.map { p in
          WorkUnit(
            key: WorkUnit.tileKey(d.key, p), report: report.document.name, label: "\(d.label) tile \(p.row)-\(p.column)",
            kind: d.directive.kind, bytes: tiles.tileBytes ?? bytes, seconds: WorkUnit.tileSeconds(cost, tiles: tiles, p),
            tile: WorkUnit.Tile(
              directive: d.key, row: p.row, column: p.column, order: tiles.order, size: tiles.tileSize, stores: tiles.stores))
        }
        units += tileUnits
        units.append(
          WorkUnit(
            key: d.key, report: report.document.name, label: d.label, kind: d.directive.kind, bytes: bytes, seconds: tiles.gatherSeconds,
            depends: tileUnits.map(\.key)))
      }
    }
    return WorkPlan(engine: configuration.engine, reports: absoluteReportsPath, units: units)
  }

  /// The reports' path, absolute (against the working folder).
  var absoluteReportsPath: String {
    let path = configuration.reports.path
    if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
    return configuration.workingDirectory.appendingPathComponent(path).standardizedFileURL.path
  }

  /// Re-plans the reports and computes the directives with these keys into the results cache,
  /// skipping each one whose verified entry is already there. Throws `BuildError` when there is
  /// no cache, when a key is not a directive of the reports (the plan is stale), or when a
  /// directive fails.
  public func computeUnits(_ keys: [String]) throws -> ShardSummary {
    let run = BuildRun()
    try execute(Pipeline.shard(keys), run)
    return run.shard
  }

  /// The `Compute units` step: the tiles among `keys` first (grouped by directive), then the
  /// directives; a directive whose tiles are not all in the cache is left for the gather.
  func computeUnits(_ keys: [String], _ run: BuildRun) throws -> ShardSummary {
    guard configuration.cache != nil else { throw BuildError.stage(name: "", message: "computing units needs a cache folder") }
    var table: [String: (PlannedDirective, PlannedReport, DirectiveIndex)] = [:]
    var tileTable: [String: (directive: String, pair: TilePair)] = [:]
    for (r, report) in run.plans.enumerated() {
      for (k, d) in report.directives.enumerated() {
        for unit in d.units where table[unit.key] == nil {
          table[unit.key] = (unit, report, DirectiveIndex(report: r, directive: k))
          for p in unit.configured.storedTiles(measured: unit.inputs.measured)?.pairs ?? [] {
            tileTable[WorkUnit.tileKey(unit.key, p)] = (unit.key, p)
          }
        }
      }
    }
    let stale = keys.filter { table[$0] == nil && tileTable[$0] == nil }
    guard stale.isEmpty else {
      throw BuildError.stage(
        name: "",
        message:
          "the plan's unit\(stale.count == 1 ? "" : "s") \(stale.joined(separator: ", ")) \(stale.count == 1 ? "is" : "are") not a directive of the reports as they are now; make the plan again (skelreport plan)"
      )
    }
    var summary = ShardSummary()
    try computeTileUnits(keys, tileTable: tileTable, table: table, into: &summary)
    var done: [DirectiveIndex: ExperimentResult] = [:]  // upstream results (`:from:`), each computed or loaded once
    for key in keys {
      guard let (d, report, index) = table[key] else { continue }
      if let tiles = d.configured.storedTiles(measured: d.inputs.measured),
        ResultCache(directory: configuration.cache).load(d.key, kind: d.directive.kind) == nil,
        let dir = ResultCache(directory: configuration.cache).tileDirectory(d.key)
      {
        let missing = tiles.missing(in: dir).count
        if missing > 0 {
          summary.deferred.append(key)
          log(
            "      \(d.label) (\(d.directive.kind)) left for the gather: \(missing) of its \(tiles.pairs.count) tiles not in the cache yet")
          continue
        }
      }
      let planned = report.directives[index.directive]
      if let u = planned.upstream { _ = try directiveResult(u, plans: run.plans, context: run.context, done: &done) }
      let upstream = Self.upstream(of: planned, plans: run.plans, results: done)
      let (result, hit) = try compute(d, report: report, context: run.context, upstream: upstream)
      if hit {
        summary.cached.append(key)
        log("      \(d.label) (\(d.directive.kind)) already in the cache")
      } else {
        summary.computed.append(key)
        log(String(format: "      %@ (%@) computed in %.2f s", d.label, d.directive.kind, result.seconds))
      }
    }
    return summary
  }

  /// The tile keys among `keys`, grouped by their directive in the order the keys name them,
  /// each group computed at once (`computeTiles`); a tile already there counts as cached.
  func computeTileUnits(
    _ keys: [String], tileTable: [String: (directive: String, pair: TilePair)],
    table: [String: (PlannedDirective, PlannedReport, DirectiveIndex)], into summary: inout ShardSummary
  ) throws {
    var groups: [(directive: String, keys: [String], pairs: [TilePair])] = []
    for key in keys {
      guard let (directive, pair) = tileTable[key] else { continue }
      if let g = groups.firstIndex(where: { $0.directive == directive }) {
        groups[g].keys.append(key)
        groups[g].pairs.append(pair)
      } else {
        groups.append((directive, [key], [pair]))
      }
    }
    for g in groups {
      guard let (d, report, _) = table[g.directive] else { continue }
      let dir = ResultCache(directory: configuration.cache).tileDirectory(d.key) ?? ""
      let missing = Set(d.configured.storedTiles(measured: d.inputs.measured)?.missing(in: dir, among: g.pairs) ?? g.pairs)
      try computeTiles(d, g.pairs, report: report)
      for (key, p) in zip(g.keys, g.pairs) {
        if missing.contains(p) { summary.computed.append(key) } else { summary.cached.append(key) }
      }
    }
  }

  /// Computes the tiles `pairs` of directive `d` into its tile folder (those not there yet);
  /// returns how many it computed.
  @discardableResult
  func computeTiles(_ d: PlannedDirective, _ pairs: [TilePair], report: PlannedReport) throws -> Int {
    let start = DispatchTime.now().uptimeNanoseconds
    let line = ProgressLine(label: "\(d.label) tiles", kind: d.directive.kind, start: start, log: log)
    let computed: Int
    do {
      computed = try configuration.compute.blas { try d.configured.computeTiles(pairs, context: runContext(d, line: line)) }
      line.finish()
    } catch {
      throw directiveError(d, report: report, "directive '\(d.label)' failed computing its tiles: \(error)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    log(
      String(
        format: "      %@ (%@): %d of %d tiles computed in %.2f s, %d already in the cache", d.label, d.directive.kind, computed,
        pairs.count,
        seconds, pairs.count - computed))
    return computed
  }
}

extension Pipeline {
  /// `skelreport shard`: the plan's steps, then the units with these keys.
  static func shard(_ keys: [String]) -> [BuildStep] {
    plan + [BuildStep(name: "Compute units") { b, run in run.shard = try b.computeUnits(keys, run) }]
  }
}
