import Foundation

/// What a directive's cache key was made of when it was last built: `skelreport why` compares
/// it with what the reports say now. Kept in `keys.json` beside the results folder, one record per
/// `report/label`, written by each build that caches (atomically; a damaged file is ignored).
public struct KeyRecord: Codable, Sendable, Hashable {
  public var key: String
  public var kind: String
  public var engine: String
  public var seed: UInt64
  /// Compute option → its canonical value (`TypedValue.canonical`).
  public var options: [String: String]
  /// Input file → the SHA-256 of its bytes (absent in records from before input files).
  public var inputs: [String: String]?
  /// The `:from:` directive (`report/label`) and its key (absent without `:from:`).
  public var upstream: [String: String]?

  init(_ d: PlannedDirective, engine: String, upstream: (name: String, key: String)? = nil) {
    key = d.key
    kind = d.directive.kind
    self.engine = engine
    seed = d.seed
    options = Dictionary(d.configured.canonicalFields.map { ($0.name, $0.value) }) { first, _ in first }
    inputs = d.inputs.hashes.isEmpty ? nil : Dictionary(d.inputs.hashes.map { ($0.path, $0.sha256) }) { first, _ in first }
    self.upstream = upstream.map { [$0.name: $0.key] }
  }

  /// Why `now` has another key than `self` (the last build's): each part that differs.
  public func changes(to now: KeyRecord) -> [String] {
    var out: [String] = []
    if kind != now.kind { out.append("the kind changed (\(kind) → \(now.kind))") }
    if engine != now.engine {
      out.append("the engine changed (\(engine) → \(now.engine)): its sources were edited or it was rebuilt from others")
    }
    if seed != now.seed { out.append("the seed changed (the document seed or the label)") }
    for name in Set(options.keys).union(now.options.keys).sorted() where options[name] != now.options[name] {
      out.append("option '\(name)' changed (\(options[name] ?? "absent") → \(now.options[name] ?? "absent"))")
    }
    let before = inputs ?? [:], after = now.inputs ?? [:]
    for file in Set(before.keys).union(after.keys).sorted() where before[file] != after[file] {
      let short = { (h: String?) in h.map { String($0.prefix(12)) } ?? "absent" }
      out.append("input file '\(file)' changed (sha256 \(short(before[file])) → \(short(after[file])))")
    }
    let was = upstream ?? [:], isNow = now.upstream ?? [:]
    for name in Set(was.keys).union(isNow.keys).sorted() where was[name] != isNow[name] {
      switch (was[name], isNow[name]) {
      case (nil, _): out.append("':from:' now reads '\(name)'")
      case (_, nil): out.append("':from:' no longer reads '\(name)'")
      default: out.append("the upstream result '\(name)' (':from:') changed: its own key changed")
      }
    }
    return out
  }
}

/// The key records of the last builds (`keys.json`).
struct KeyRecords {
  let file: URL?

  init(cache: URL?) {
    file = cache.map { $0.deletingLastPathComponent().appendingPathComponent("keys.json") }
  }

  func load() -> [String: KeyRecord] {
    guard let file, let data = try? Data(contentsOf: file) else { return [:] }
    return (try? JSONDecoder().decode([String: KeyRecord].self, from: data)) ?? [:]
  }

  /// Adds (replaces) the records of these directives, keeping the others; nothing is written
  /// when the file holds them already (a prose edit's build: no flush of an unchanged file).
  func store(_ records: [String: KeyRecord]) {
    guard let file, !records.isEmpty else { return }
    let stored = load()
    let all = stored.merging(records) { _, new in new }
    guard all != stored else { return }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
    guard let data = try? encoder.encode(all) else { return }
    CacheEntryFile.write(data, to: file)
  }
}

extension SiteBuilder {
  /// Why the directive `label` (or `report/label`) would be computed, not found in the cache:
  /// `nil` when its result is in the cache; else each part of its key that changed since the
  /// last build recorded it (empty when none was recorded: the first build, or another cache).
  public func why(_ label: String) throws -> (report: String, label: String, key: String, changes: [String]?, recorded: Bool) {
    let run = BuildRun()
    try execute(Pipeline.plan, run)
    let all = run.plans.flatMap { r in r.directives.map { (r.document.name, $0) } }
    guard let (report, d) = all.first(where: { "\($0.0)/\($0.1.label)" == label || $0.1.label == label }) else {
      let known = all.map { "\($0.0)/\($0.1.label)" }
      throw BuildError.stage(name: "Why", message: "no directive labelled '\(label)'; the reports have \(known.joined(separator: ", "))")
    }
    let now = KeyRecord(d, engine: configuration.engine, upstream: Self.upstreamName(d, plans: run.plans))
    let cache = ResultCache(directory: configuration.cache)
    let cached = d.units.allSatisfy { cache.load($0.key, kind: $0.directive.kind) != nil }
    let last = KeyRecords(cache: configuration.cache).load()["\(report)/\(d.label)"]
    return (report, d.label, d.key, cached ? nil : (last.map { $0.changes(to: now) } ?? []), last != nil)
  }

  /// `report/label` and key of the directive `d` reads through `:from:`.
  static func upstreamName(_ d: PlannedDirective, plans: [PlannedReport]) -> (name: String, key: String)? {
    d.upstream.map { u in
      let up = plans[u.report].directives[u.directive]
      return ("\(plans[u.report].document.name)/\(up.label)", up.key)
    }
  }
}
