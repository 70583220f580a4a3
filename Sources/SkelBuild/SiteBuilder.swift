import Foundation
import SkelData
import SkelDocument
import SkelExperiments
import SkelMath
import SkelPlot

/// Everything a build needs, passed in (nothing read from the command line or globals).
public struct BuildConfiguration: Sendable {
  public var reports: URL
  public var output: URL
  /// The project's templates folder, which overrides the built-in templates file by file;
  /// `nil`: the built-in ones only (`templateSource`).
  public var templates: URL?
  /// Where results are cached; `nil` turns caching off.
  public var cache: URL?
  public var katex: KatexRenderer
  /// KaTeX's CSS and fonts, copied into `assets/katex`.
  public var katexAssets: URL
  /// lunr's script (Debian's libjs-lunr), copied into `assets/lunr.min.js` for the search.
  public var lunrScript = URL(fileURLWithPath: "/usr/share/javascript/lunr/lunr.min.js")
  /// PNG resolution: pixels per point (2× a 96-dpi screen by default).
  public var pngPixelsPerPoint: Double
  /// Treat warnings as errors.
  public var strict = false
  /// Write `provenance.seconds` as 0, so that the same reports give byte-identical files
  /// (timings still go to the progress lines).
  public var reproducible = false
  /// `--allow-html`: publish every report's raw HTML as written, as `trust: html` does for
  /// one report. Link schemes and BibTeX URLs are filtered either way (README "Trust model").
  public var allowHTML = false
  /// Per-directive resource budget (`--max-memory`, `--max-minutes`), checked before anything runs.
  public var budget = Budget.standard
  /// Budget of the whole build's estimated work (the directives run one after another).
  public var maxBuildSeconds: Double = 3600
  /// The folder relative paths are read against and shown from in messages (the CLI's working
  /// folder; the builder itself never asks the process for it).
  public var workingDirectory: URL
  /// The engine's identity in cache keys and provenance (`Engine.identity`: the version and the
  /// hash of the engine's sources; a test may name another engine).
  public var engine = Engine.identity
  /// Threads for the experiments, OpenBLAS and figure drawing (`--threads`); results do not depend on it.
  public var compute = Compute.allCores
  /// What a build does with a directive whose result is not in the cache: compute it here
  /// (`true`, the default), or report it as missing and fail (`--missing report`, for the gather
  /// job of a cluster run, whose units the shards computed).
  public var computeMissing = true
  /// Whether the budget applies to the plan's units rather than to whole directives: a
  /// directive that stores its matrices as tiles (`StoredTiles`) is checked as its largest tile
  /// unit and its gather (reading the tiles), each against `--max-minutes`, and only the gather
  /// counts towards the build's total. Set by `plan`, `shard` and `submit`, whose tiles are
  /// spread over processes, and by a build that computes nothing missing (`--missing report`).
  public var budgetsUnits = false
  /// The preview's own site under the cache folder: after the first build, only the files whose
  /// bytes changed are written, in place (`SiteWriter.update`, with what was written kept in the
  /// builder's `memory`), and nothing is flushed (it is built anew at every start; a `syncfs` at
  /// every save would cost more than the rebuild). `false`: the durable swap of `publish`.
  public var updateInPlace = false
  /// `skelreport build`: record each build in a manifest beside the cache (`BuildManifest`); a
  /// build with nothing changed since then and the site intact returns at once (`Summary.upToDate`),
  /// and a build with something changed keeps the site's unchanged files (hard links) instead of
  /// loading and writing them again. Needs the cache; not with a `memory` (the preview).
  public var upToDateCheck = false

  public init(
    reports: URL, output: URL, templates: URL?, cache: URL?, katex: KatexRenderer = KatexRenderer(),
    katexAssets: URL = URL(fileURLWithPath: "/usr/share/javascript/katex"), pngPixelsPerPoint: Double = 2 * 96 / 72,
    workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
  ) {
    self.workingDirectory = workingDirectory
    self.reports = reports
    self.output = output
    self.templates = templates
    self.cache = cache
    self.katex = katex
    self.katexAssets = katexAssets
    self.pngPixelsPerPoint = pngPixelsPerPoint
  }
}

/// A directive ready to run: parsed, validated, with its seed and cache key.
struct PlannedDirective {
  var directive: Directive
  var schema: DirectiveSchema
  /// The options as validated (their texts are the JSON's provenance; `explicit` says which
  /// the author wrote).
  var options: ResolvedOptions
  /// The typed options and everything the build asks of the kind.
  var configured: ConfiguredDirective
  var label: String
  var seed: UInt64
  var key: String
  var captionMath: MathProtection
  /// The kind's estimate, made once when planning (`nil` only for a directive with another
  /// problem, whose plan fails).
  var cost: Cost?
  /// The points of a `:sweep:` (empty for a directive without one): each is computed and cached
  /// on its own, and this directive's result is theirs merged (`SweepPlanning.swift`).
  var points: [SweepPoint] = []
  /// A sweep's `:summary:`: the scalar read from each point's result (plotted against the
  /// variable), and the text as written.
  var summary: (value: InlineValue, text: String)?
  /// The input files it reads: their bytes for the run, their hashes in the key.
  var inputs = DirectiveInputs()
  /// The directive its `:from:` names (report and directive index in the build's plans), once
  /// resolved (`linkUpstreams`); its key is then part of this one's.
  var upstream: DirectiveIndex?
  /// Its `:check:` (at most one): the twin computed as a unit of its own and the tolerance.
  var checks: [PlannedCheck] = []
}

/// A directive of a build: its report's index and its own among the report's directives.
struct DirectiveIndex: Hashable, Sendable {
  var report: Int
  var directive: Int
}

struct PlannedReport {
  var document: Document
  var directives: [PlannedDirective]
  /// Labels of the directives that did not validate (the build fails; they are targets all the same).
  var failedLabels: Set<String> = []
  var links = ReportLinks()
}

/// Builds the site: pipelines of named steps (`BuildPipeline.swift`; Publish's steps, pandoc's chain).
public struct SiteBuilder {
  public let configuration: BuildConfiguration
  public let registry: ExperimentRegistry
  public let backend: FigureBackend
  public let theme: Theme
  public let darkTheme: Theme
  /// Progress lines (`[2/8] Validate directives`).
  public let log: @Sendable (String) -> Void
  /// The themes as the figure keys name them (`"\(theme)"`, made once: describing a struct walks
  /// it by reflection, which 120 figure keys a build took a few ms for).
  let themeKeys: (light: String, dark: String)
  /// Results, images and formulas kept between builds of a long-lived builder (the preview);
  /// `nil`: every build reads the disk caches.
  public var memory: BuildMemory?

  public init(
    configuration: BuildConfiguration, registry: ExperimentRegistry = .standard, backend: FigureBackend,
    theme: Theme = .light, darkTheme: Theme = .dark, log: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.darkTheme = darkTheme
    self.configuration = configuration
    self.registry = registry
    self.backend = backend
    self.theme = theme
    self.log = log
    themeKeys = ("\(theme)", "\(darkTheme)")
  }

  /// Summary of a finished build.
  public struct Summary: Sendable {
    public var reports: Int
    public var figures: Int
    public var cacheHits: Int
    public var files: Int
    /// Warnings, formatted (the build went on).
    public var warnings: [String]
    /// Each step's time, in order.
    public var timings: [StepTiming]
    /// `report/label` of each directive that was computed rather than found in the cache.
    public var recomputed: [String] = []
    /// The reports whose page body was rendered; with a `memory`, only the pages a change reached.
    public var rendered: [String] = []
    /// `report/label` of each figure made from its result (a figure whose images the site kept is
    /// not: a prose edit makes none).
    public var figuresMade: [String] = []
    /// Nothing changed since the last build of the output: nothing was read or written (the
    /// counts and warnings are that build's).
    public var upToDate = false
  }

  /// The cache folders and files a build reads and writes (results, drawn figures, typeset
  /// math): the output must not hold any of them.
  var cacheLocations: [URL] {
    guard let cache = configuration.cache else { return [] }
    let beside = cache.deletingLastPathComponent()
    return [
      cache, figureCache, beside.appendingPathComponent("math.json"), beside.appendingPathComponent("keys.json"),
      beside.appendingPathComponent("builds"),
    ].compactMap { $0 }
  }

  /// Checks the output against the output-folder rule (`OutputSafety`) and returns its real path.
  public func checkOutput() throws -> URL {
    let cwd = configuration.workingDirectory
    let real = try OutputSafety.check(
      output: configuration.output, reports: configuration.reports, templates: configuration.templates, caches: cacheLocations, cwd: cwd)
    return URL(fileURLWithPath: real)
  }

  /// Builds the site. Throws `OutputSafety.Refusal` (before anything is written) when the output
  /// breaks the output-folder rule, `BuildError` otherwise. From validation on it holds the
  /// output's lock (`SiteWriter.lock`), and it first removes what interrupted builds left.
  @discardableResult
  public func build() throws -> Summary {
    let run = BuildRun()
    run.output = try checkOutput()  // also checked by the CLI; here for every other caller
    defer {
      run.background.wait()  // the cache entries written while the site was made
      run.lock?.release()
    }
    if configuration.upToDateCheck, memory == nil, let summary = try upToDate(run) { return summary }
    try execute(Pipeline.site, run)
    memory?.forgetUnused()
    return Summary(
      reports: run.plans.count, figures: run.figureCount, cacheHits: run.hits, files: run.fileCount,
      warnings: run.context.warnings, timings: run.context.timings, recomputed: run.recomputed, rendered: run.rendered,
      figuresMade: run.figuresMade)
  }

  /// The reports read and validated, nothing run: each directive's label, kind and cache key
  /// (what `build` would compute or find in the cache), or the problems as `BuildError`.
  public func plan() throws -> [(report: String, label: String, kind: String, key: String)] {
    let run = BuildRun()
    try execute(Pipeline.plan, run)
    return run.plans.flatMap { r in r.directives.map { (r.document.name, $0.label, $0.directive.kind, $0.key) } }
  }

  // MARK: - Stages

  func readReports(_ context: BuildContext) throws -> [SourceFile] {
    let fm = FileManager.default
    var isDir: ObjCBool = false
    guard fm.fileExists(atPath: configuration.reports.path, isDirectory: &isDir) else {
      throw BuildError.stage(name: "", message: "no such folder or file: \(configuration.reports.path)")
    }
    let urls: [URL]
    if isDir.boolValue {
      let listed: [URL]
      do {
        listed = try fm.contentsOfDirectory(at: configuration.reports, includingPropertiesForKeys: nil)
      } catch {
        throw BuildError.io(error, stage: "", doing: "cannot list the reports folder", path: configuration.reports.path)
      }
      urls = listed.filter { $0.pathExtension == "md" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    } else {
      urls = [configuration.reports]
    }
    if urls.isEmpty { throw BuildError.stage(name: "", message: "no reports (*.md) in \(configuration.reports.path)") }
    // A report is read only if it resolves (symlinks, `..`) inside the reports folder.
    let folder = Self.folder(of: configuration.reports)
    let escapes = urls.compactMap { url in
      Self.outside(url, folder: folder).map {
        Diagnostic(
          at: SourceLocation(path: displayPath(url), line: 1, column: 1),
          "report resolves to \($0), outside the reports folder \(displayPath(folder)); it is not read or published")
      }
    }
    if !escapes.isEmpty { throw BuildError.diagnostics(escapes.sorted(), sources: [:]) }
    return try urls.compactMap { url in
      let data: Data
      do { data = try Data(contentsOf: url) } catch {
        throw BuildError.io(error, stage: "", doing: "cannot read the report", path: url.path)
      }
      context.readReport(reportPath(url.lastPathComponent), identity: Self.identity(of: data))
      // Not UTF-8: an error at the first bad byte; the other reports are still checked.
      switch SourceDecoding.decode(data, path: displayPath(url)) {
      case .success(let source): return source
      case .failure(let problem):
        context.readProblem(problem)
        return nil
      }
    }
  }

  /// The folder reports and bibliographies must lie in: `reports` itself, or the folder of a
  /// single report.
  static func folder(of reports: URL) -> URL {
    var isDir: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: reports.path, isDirectory: &isDir)
    return exists && !isDir.boolValue ? reports.deletingLastPathComponent() : reports
  }

  /// Where `url` really is (symlinks and `..` resolved) if that is outside `folder` (resolved
  /// too), else nil.
  static func outside(_ url: URL, folder: URL) -> String? {
    let real = URL(fileURLWithPath: url.standardizedFileURL.path).resolvingSymlinksInPath().standardizedFileURL.path
    let base = URL(fileURLWithPath: folder.standardizedFileURL.path).resolvingSymlinksInPath().standardizedFileURL.path
    let prefix = base.hasSuffix("/") ? base : base + "/"
    return real.hasPrefix(prefix) ? nil : real
  }

  /// Paths in messages are relative to the working folder when possible.
  func displayPath(_ url: URL) -> String {
    let cwd = configuration.workingDirectory.standardizedFileURL.path + "/"
    let p = url.standardizedFileURL.path
    return p.hasPrefix(cwd) ? String(p.dropFirst(cwd.count)) : p
  }

  static func reportName(_ path: String) -> String {
    let file = (path as NSString).lastPathComponent
    return file.hasSuffix(".md") ? String(file.dropLast(3)) : file
  }

  /// What planning found so far: problems, warnings, and the running total of estimated work.
  struct PlanTally {
    var problems: [Diagnostic] = []
    var warnings: [Diagnostic] = []
    var buildSeconds = 0.0
    var totalReported = false
    /// Input files read so far in this build, by resolved path: bytes and SHA-256.
    var inputFiles: [String: (bytes: [UInt8], sha256: String)] = [:]
  }

  /// Parses and validates every report: typed options, labels, seeds, keys and cost estimates of
  /// its directives, its references. Every problem of every report at once, or the plans.
  func plan(_ sources: [SourceFile], _ context: BuildContext) throws -> [PlannedReport] {
    var tally = PlanTally()
    var plans = sources.map { planReport($0, &tally) }
    linkUpstreams(&plans, &tally)
    tally.problems += context.readProblems
    let names = Dictionary(grouping: plans, by: { $0.document.name }).filter { $0.value.count > 1 }
    for (name, dupes) in names {
      tally.problems.append(
        Diagnostic(
          at: SourceLocation(path: dupes[1].document.source.path, line: 1, column: 1), "report name '\(name)' is used by more than one file"
        ))
    }
    let sourceTable = Dictionary(uniqueKeysWithValues: sources.map { ($0.path, $0) })
    var problems = tally.problems
    if configuration.strict {
      problems += tally.warnings.map {
        var d = $0
        d.severity = .error
        d.message += " (--strict)"
        return d
      }
    }
    if !problems.isEmpty {
      throw BuildError.diagnostics((problems + (configuration.strict ? [] : tally.warnings)).sorted(), sources: sourceTable)
    }
    context.warn(contentsOf: tally.warnings.map { $0.formatted(source: sourceTable[$0.location.path]) })
    context.read(tally.inputFiles.keys.sorted())
    return plans
  }

  func planReport(_ source: SourceFile, _ tally: inout PlanTally) -> PlannedReport {
    let (doc, p) = DocumentParser.parse(source, name: Self.reportName(source.path), allowHTML: configuration.allowHTML)
    tally.problems += p.filter { $0.severity == .error }
    tally.warnings += p.filter { $0.severity == .warning }
    // Generated labels (`<kind>-1`) skip every label written in the report and every one already
    // generated: a label names files, so two directives must never share one.
    var takenLabels = Set(doc.directives.compactMap { $0.label.flatMap { $0.isEmpty ? nil : $0 } })
    var planned: [PlannedDirective] = [], failed: [Directive] = []
    for d in doc.directives where !d.kind.isEmpty {
      if let p = planDirective(d, in: doc, taken: &takenLabels, &tally) { planned.append(p) } else { failed.append(d) }
    }
    // A directive with a bad option keeps its label: references and inline values to it are not
    // reported again (its own error says what is wrong).
    var report = PlannedReport(document: doc, directives: planned, failedLabels: Set(failed.compactMap(\.label)))
    let (links, linkProblems, linkWarnings) = ReportLinks.check(
      report, reportsFolder: configuration.reports, root: configuration.workingDirectory, display: displayPath)
    report.links = links
    tally.problems += linkProblems
    tally.warnings += linkWarnings
    return report
  }

  /// One directive: validated, typed, labelled, seeded, keyed and estimated (`nil` when invalid).
  func planDirective(
    _ d: Directive, in doc: Document, taken: inout Set<String>, _ tally: inout PlanTally, label fixedLabel: String? = nil
  ) -> PlannedDirective? {
    if fixedLabel == nil, let check = d.options.first(where: { $0.key == "check" }) {
      return planChecked(d, check, in: doc, taken: &taken, &tally)
    }
    if fixedLabel == nil, let sweep = d.options.first(where: { $0.key == "sweep" }) {
      return planSweep(d, sweep, in: doc, taken: &taken, &tally)
    }
    let stray = Self.strayVariables(d)
    tally.problems += stray
    guard stray.isEmpty else { return nil }
    let schemas = registry.schemas
    let (options, vp) = DirectiveValidator.validate(d, schemas: schemas)
    let before = tally.problems.count
    tally.problems += vp
    if let schema = schemas[d.kind] { tally.problems += ActivationChecks.check(d, schema: schema) }
    guard let options, let kind = registry.kinds[d.kind] else { return nil }
    let (typed, kindProblems) = kind.configure(options, directive: d)
    tally.problems += kindProblems
    guard let configured = typed else { return nil }
    let label = fixedLabel ?? (configured.common.label.isEmpty ? Self.generatedLabel(d, taken: &taken) : configured.common.label)
    // `:seed:` is the directive's own seed; a sweep point or a `:check:` run (a fixed label)
    // derives its own from it as from the report's
    let written = configured.common.seed >= 0 ? UInt64(configured.common.seed) : nil
    let seed =
      fixedLabel == nil
      ? written ?? SeededGeneratorSeed.derive(document: doc.frontMatter.seed, label: label)
      : SeededGeneratorSeed.derive(document: written ?? doc.frontMatter.seed, label: label)
    let inputs = readInputs(configured, d, seed: seed, &tally)
    let key = CacheKey(configured, seed: seed, engine: configuration.engine, inputs: inputs.hashes).hex
    // the estimate reads the options as `run` would: only for a directive with no other error
    let cost = tally.problems.count == before ? configured.cost(measured: inputs.measured) : nil
    if let cost { estimate(d, cost, tiles: configured.storedTiles(measured: inputs.measured), label: label, &tally) }
    let path = doc.source.path
    let captionMath = MathProtection(d.caption, path: path, firstLine: d.captionLine)
    let captionTree = MarkdownTree(captionMath.text, trustHTML: doc.trustsHTML)
    tally.warnings += DocumentParser.markupWarnings(captionTree, captionMath, path: path)
    return PlannedDirective(
      directive: d, schema: kind.schema, options: options, configured: configured, label: label, seed: seed, key: key,
      captionMath: captionMath, cost: cost, inputs: inputs)
  }

  /// `<kind>-<n>`, or `<kind>-<n>-<m>` when that is taken.
  static func generatedLabel(_ d: Directive, taken: inout Set<String>) -> String {
    var label = "\(d.kind)-\(d.index + 1)"
    var n = 1
    while taken.contains(label) {
      n += 1
      label = "\(d.kind)-\(d.index + 1)-\(n)"
    }
    taken.insert(label)
    return label
  }

  /// The directive's estimate against its budget, and the build's running total against its own
  /// (for a tiled directive under `budgetsUnits`: its largest unit's, see `WorkUnit.budgeted`).
  func estimate(_ d: Directive, _ cost: Cost, tiles: StoredTiles?, label: String, _ tally: inout PlanTally) {
    let units = configuration.budgetsUnits ? tiles : nil
    let budgetProblems = Self.checkBudget(
      d, units.map { WorkUnit.budgeted(cost, tiles: $0) } ?? cost, label: label, budget: configuration.budget)
    tally.problems += budgetProblems
    tally.buildSeconds += units?.gatherSeconds ?? cost.seconds
    guard tally.buildSeconds > configuration.maxBuildSeconds, budgetProblems.isEmpty, !tally.totalReported else { return }
    tally.totalReported = true
    let total = Cost.formatSeconds(tally.buildSeconds), limit = Cost.formatSeconds(configuration.maxBuildSeconds)
    tally.problems.append(
      Diagnostic(
        at: d.kindLocation, length: d.kind.count,
        "with directive '\(label)' (\(d.kind)) the build would need about \(total) of work in total; the budget is \(limit) (\(Int(configuration.maxBuildSeconds / 60)) minutes, 6 × --max-minutes)"
      ))
  }

  /// The kind's estimate against the budget: an error at the driving option (or the kind name)
  /// stating the estimate and its driver. Memory is also capped by the machine's physical memory,
  /// so no allocation of an absurd size is attempted whatever the flags say.
  public static func checkBudget(_ d: Directive, _ configured: ConfiguredDirective, label: String, budget: Budget) -> (Cost, [Diagnostic]) {
    let cost = configured.cost()
    return (cost, checkBudget(d, cost, label: label, budget: budget))
  }

  /// The problems of an estimate already made.
  static func checkBudget(_ d: Directive, _ cost: Cost, label: String, budget: Budget) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func at(_ driver: Cost.Driver) -> (SourceLocation, Int) {
      for name in driver.options { if let raw = d.options.first(where: { $0.key == name }) { return (raw.keyLocation, name.count) } }
      return (d.kindLocation, d.kind.count)
    }
    let physical = ProcessInfo.processInfo.physicalMemory
    let machine = physical > 0 && physical < UInt64(Int.max) ? Int(physical) : Int.max
    let limit = min(budget.bytes, machine)
    if (cost.bytes ?? .max) > limit {
      let (loc, len) = at(cost.memoryDriver)
      let why =
        limit < budget.bytes
        ? "this machine has \(Cost.formatBytes(machine))" : "the budget is \(Cost.formatBytes(budget.bytes)) (--max-memory)"
      out.append(
        Diagnostic(
          at: loc, length: len,
          "directive '\(label)' (\(d.kind)) would need about \(Cost.formatBytes(cost.bytes)) of memory (\(cost.memoryDriver.description)); \(why)"
        ))
    }
    if !(cost.seconds <= budget.seconds) {
      let (loc, len) = at(cost.workDriver)
      out.append(
        Diagnostic(
          at: loc, length: len,
          "directive '\(label)' (\(d.kind)) would need about \(Cost.formatSeconds(cost.seconds)) of work (\(cost.workDriver.description)); the budget is \(Cost.formatSeconds(budget.seconds)) (--max-minutes)"
        ))
    }
    return out
  }

  struct ExperimentResultWithTime {
    var result: ExperimentResult
    var seconds: Double
  }

  /// Computes (or loads) one directive's result; a computed one is stored in the cache, through
  /// `writes` when given and it took under a second (written with the step's other entries at its
  /// end; a longer one at once).
  func compute(
    _ d: PlannedDirective, report: PlannedReport, context: BuildContext, upstream: Upstream? = nil, writes: CacheWrites? = nil,
    compute: Compute? = nil
  ) throws -> (ExperimentResultWithTime, Bool) {
    let cache = ResultCache(directory: configuration.cache)
    let kind = d.configured
    if let held = memory?.result(d.key) { return (held, true) }  // checked when it was kept
    if let hit = cache.load(d.key, kind: d.directive.kind, warn: { context.warnOnce($0.formatted(displayPath)) }) {
      try refuseNonFinite(hit.result, kind: kind, d, report: report)
      let loaded = ExperimentResultWithTime(result: hit.result, seconds: hit.seconds)
      memory?.keep(loaded, key: d.key)
      return (loaded, true)
    }
    // a directive that reads tiles shards computed is gathered even when nothing may be computed
    let gathers = configuration.computeMissing ? false : try gathersTiles(d, report: report)
    guard configuration.computeMissing || gathers else { throw missingUnit(d, report: report) }
    let start = DispatchTime.now().uptimeNanoseconds
    let result: ExperimentResult
    do {
      let line = ProgressLine(label: d.label, kind: d.directive.kind, start: start, log: log)
      var run = runContext(d, line: line)
      run.upstream = upstream
      if let compute { run.compute = compute }
      result = try run.compute.blas { try kind.run(context: run) }
      line.finish()
    } catch {
      throw directiveError(d, report: report, "directive '\(d.label)' failed: \(error)")
    }
    try refuseNonFinite(result, kind: kind, d, report: report)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let entry = ResultCache.Entry(result: result, seconds: seconds)
    if let writes, seconds < 1 {  // a result that took long is stored at once: a killed build keeps it
      if let item = cache.item(entry, key: d.key, kind: d.directive.kind, keepingValid: true) { writes.add(item) }
    } else {
      cache.store(entry, key: d.key, kind: d.directive.kind, keepingValid: true)
    }
    memory?.keep(ExperimentResultWithTime(result: result, seconds: seconds), key: d.key)
    return (ExperimentResultWithTime(result: result, seconds: seconds), false)
  }

  /// The context a directive (or its tiles) runs in: its seed, threads, files and tile folder.
  func runContext(_ d: PlannedDirective, line: ProgressLine) -> RunContext {
    var run = RunContext(seed: d.seed, progress: { line.report($0) })
    run.compute = configuration.compute
    run.files = d.inputs.files
    run.tileDirectory = ResultCache(directory: configuration.cache).tileDirectory(d.key)
    run.computesTiles = configuration.computeMissing
    return run
  }

  /// Whether `d` stores tiles and every one is in the cache (it then only reads them); a
  /// directive with tiles missing is an error naming how many (`--missing report`).
  func gathersTiles(_ d: PlannedDirective, report: PlannedReport) throws -> Bool {
    guard let tiles = d.configured.storedTiles(measured: d.inputs.measured),
      let dir = ResultCache(directory: configuration.cache).tileDirectory(d.key)
    else { return false }
    let missing = tiles.missing(in: dir).count
    guard missing == 0 else {
      throw directiveError(
        d, report: report,
        "directive '\(d.label)' is not in the cache (unit \(d.key)): \(missing) of its \(tiles.pairs.count) tiles (tiles/\(d.key)) were computed by no shard; run 'skelreport submit' again for the missing units, or build with --missing compute"
      )
    }
    return true
  }

  /// An error at the directive's kind, with its report's source for the excerpt.
  func directiveError(_ d: PlannedDirective, report: PlannedReport, _ message: String) -> BuildError {
    let source = report.document.source
    return BuildError.diagnostics(
      [Diagnostic(at: d.directive.kindLocation, length: d.directive.kind.count, message)], sources: [source.path: source])
  }

  /// The error for a directive whose unit no shard computed (`--missing report`).
  func missingUnit(_ d: PlannedDirective, report: PlannedReport) -> BuildError {
    directiveError(
      d, report: report,
      "directive '\(d.label)' is not in the cache (unit \(d.key)): no shard computed it; run 'skelreport submit' again for the missing units, or build with --missing compute"
    )
  }

  /// No result is published with NaN or ±inf values unless its kind says why
  /// (`DirectiveKind.nonFiniteReason`): the error names each series and how many of its
  /// values are not finite, at the directive's kind.
  func refuseNonFinite(_ result: ExperimentResult, kind: ConfiguredDirective, _ d: PlannedDirective, report: PlannedReport) throws {
    let bad = result.nonFiniteParts.filter { $0.all || kind.nonFiniteReason($0.name) == nil }
    guard !bad.isEmpty else { return }
    let list = bad.map { "'\($0.name)' (\($0.count) of \($0.of) points)" }.joined(separator: ", ")
    throw directiveError(
      d, report: report,
      "directive '\(d.label)' computed NaN or infinite values in series \(list); nothing is published with them (check the activation and the ranges of the options)"
    )
  }

  /// The formulas of the pages and captions (`document`) and of `tables`, typeset (cached in
  /// `math.json`; node only for the ones not seen before), or every TeX error at its position.
  func typeset(
    _ plans: [PlannedReport], tables: [[MathProtection?]], sources: [SourceFile], context: BuildContext, document: Bool = true
  ) throws -> TypesetMath {
    var requests: [KatexRenderer.Request] = []
    var spans: [MathSpan] = []
    for (r, report) in plans.enumerated() {
      let tableSpans = tables[r].compactMap { $0 }.flatMap(\.spans)
      let documentSpans =
        document ? ReportLinks.protections(report).flatMap(\.spans) + report.links.referenceMath : []
      for s in documentSpans + tableSpans {
        requests.append(TypesetMath.request(s, in: report))
        spans.append(s)
      }
    }
    let unique = Array(Set(requests)).sorted { ($0.tex, $0.display ? 1 : 0) < ($1.tex, $1.display ? 1 : 0) }
    if let held = memory?.math(unique) { return TypesetMath(plans: plans, rendered: held) }  // every formula typeset before
    // Typeset formulas are cached (math.json); node starts only for formulas not seen before.
    // Each entry is verified (MathCache): a damaged one is a warning and typeset again.
    var known = MathCache(
      file: configuration.cache.map { $0.deletingLastPathComponent().appendingPathComponent("math.json") }, renderer: configuration.katex,
      warn: { context.warnOnce($0.formatted(displayPath)) })
    // plain decimals (a result table's cells) from KaTeX's own template, the rest by node
    for r in unique where known[r] == nil {
      if let html = PlainNumberMath.html(r, katex: known.katex) { known[r] = html }
    }
    let missing = unique.filter { known[$0] == nil }
    let fresh = try configuration.katex.render(missing)
    var table: [KatexRenderer.Request: KatexRenderer.Output] = [:]
    for (r, o) in zip(missing, fresh) {
      table[r] = o
      if case .html(let h) = o { known[r] = h }
    }
    for r in unique where table[r] == nil { table[r] = known[r].map { .html($0) } }
    if known.needsWrite { known.save() }
    memory?.keep(math: table.compactMapValues { if case .html(let h) = $0 { return h } else { return nil } })
    var problems: [Diagnostic] = []
    for (s, r) in zip(spans, requests) {
      if case .error(let message)? = table[r] {
        problems.append(Diagnostic(at: s.location, length: s.tex.count + (s.display ? 4 : 2), "TeX error: \(message)"))
      }
    }
    if !problems.isEmpty {
      throw BuildError.diagnostics(problems.sorted(), sources: Dictionary(uniqueKeysWithValues: sources.map { ($0.path, $0) }))
    }
    return TypesetMath(plans: plans, rendered: table.compactMapValues { if case .html(let h) = $0 { return h } else { return nil } })
  }

  struct WrittenFigure {
    var alt: String
    var width: Double
    var height: Double
    var formats: [String]
    var dark = false
    var thumbnail: String?
    var thumbnailDark: String? = nil
    var hasImage: Bool
    /// The `.npy` files written beside the figure (`ExperimentResult.arrays`), linked under it.
    var arrays: [String] = []
    /// The phone rendering's size in points, when it was drawn (`<label>.phone[.dark].<format>`).
    var phone: (width: Double, height: Double)? = nil
  }

  /// One image of a directive's figure: the page theme or the dark one, the figure as the
  /// directive sizes it or stacked for a phone (`Figure.stacked(width:)`), and a format.
  struct Render: Hashable {
    var dark: Bool
    var phone = false
    var format: ImageFormat
    /// The file name after the label: `.svg`, `.dark.svg`, `.phone.svg`, `.phone.dark.svg`.
    var suffix: String { (phone ? ".phone" : "") + (dark ? ".dark." : ".") + format.rawValue }
  }

  /// A phone rendering's width in points (360 CSS px): its smallest text stays ≥ 9 px down to a
  /// 288 px wide column (a 320 px screen).
  static let phoneWidth = 270.0

  /// The images a directive's figure is drawn as: its formats in the page theme, and its first
  /// screen format (SVG or PNG) in the dark theme, which `<picture>` offers to dark browsers;
  /// a figure wider than a phone's column also in that format stacked for a phone, in both themes.
  func renders(_ d: PlannedDirective) -> [Render] {
    let formats = d.configured.common.formats.compactMap { ImageFormat(rawValue: $0.rawValue) }
    var out = formats.map { Render(dark: false, format: $0) }
    if let main = formats.first(where: { $0 == .svg || $0 == .png }) {
      out.append(Render(dark: true, format: main))
      if d.configured.common.size.width > Self.phoneWidth {
        out += [Render(dark: false, phone: true, format: main), Render(dark: true, phone: true, format: main)]
      }
    }
    return out
  }

  /// Rendered figures are cached by what determines their bytes: the result's key, the size, the
  /// theme, the format and the resolution (and the phone stacking). A warm rebuild draws nothing.
  func figureKey(_ d: PlannedDirective, _ render: Render) -> String {
    ContentHash.hex(
      [
        d.key, d.configured.common.size.typed.canonical, d.configured.common.drawingText, render.dark ? themeKeys.dark : themeKeys.light,
        render.format.rawValue, "\(configuration.pngPixelsPerPoint)",
      ].joined(separator: "|") + (render.phone ? "|phone \(Self.phoneWidth)" : ""))
  }

  var figureCache: URL? { configuration.cache.map { $0.deletingLastPathComponent().appendingPathComponent("figures") } }

  /// Draws every image the site needs that the figure cache does not hold (`FigureDrawing`, on
  /// all cores) and returns the bytes of every image by its key; a failed dark variant is left out.
  /// An image the current site holds unchanged (`intact`, by identity `image:<key>`) is kept
  /// there, neither loaded nor drawn.
  func drawImages(
    _ plans: [PlannedReport], figures: [[Figure?]], known: [[FigureSize?]] = [], context: BuildContext,
    intact: [String: String] = [:], background: DispatchGroup? = nil
  ) throws -> [String: SiteFile] {
    var plan = ImagePlan()
    let found = allCoverings(plans, figures: figures, known: known, context: context)
    for (r, report) in plans.enumerated() {
      for (k, d) in report.directives.enumerated() {
        guard let covering = found[r][k] else { continue }
        for line in covering.lines { context.warn(line) }
        context.covered(covering.key, covering.lines)
        queueImages(d, figures[r][k], into: &plan, intact: intact, context: context)
      }
    }
    let drawn = FigureDrawing.draw(
      plan.requests, backend: backend, pixelsPerPoint: configuration.pngPixelsPerPoint, compute: configuration.compute)
    var stored: [(bytes: [UInt8], key: String, format: ImageFormat)] = []
    defer { store(stored, background: background) }  // what was drawn is kept even if one image failed
    for (i, request) in plan.requests.enumerated() {
      for (j, format) in request.formats.enumerated() {
        let image = plan.wanted[i][j]
        switch drawn[i][j] {
        case .success(let bytes):
          plan.images[image.key] = .bytes(bytes)
          memory?.keep(image: bytes, key: image.key)
          stored.append((bytes, image.key, format))
        case .failure(let error):
          if image.dark { continue }
          throw BuildError.stage(
            name: "",
            message: "\(image.directive.directive.location): cannot draw '\(image.directive.label)' as \(format.rawValue): \(error)")
        }
      }
    }
    return plan.images
  }

  /// What `drawImages` has found so far: the images held (kept in the site, in the memory or in
  /// the figure cache), the drawings to make and the images each makes, and every key seen.
  struct ImagePlan {
    var images: [String: SiteFile] = [:]
    var requests: [FigureDrawing.Request] = []
    var wanted: [[WantedImage]] = []
    var queued = Set<String>()
  }

  /// A directive's images into `plan`: each one held is taken, the others are asked of a drawing
  /// of `figure` (nil: not made, every image held) in its theme, stacked for the phone, a dark
  /// SVG as its light one recoloured where it can be.
  func queueImages(
    _ d: PlannedDirective, _ figure: Figure?, into plan: inout ImagePlan, intact: [String: String], context: BuildContext
  ) {
    var lightRequest: [Bool: Int] = [:]  // by phone: the light request a dark SVG may be made from
    for (dark, phone) in [(false, false), (true, false), (false, true), (true, true)] {
      var formats: [ImageFormat] = [], these: [WantedImage] = []
      for render in renders(d) where render.dark == dark && render.phone == phone {
        let key = figureKey(d, render)
        guard plan.queued.insert(key).inserted else { continue }  // loaded or drawn once
        if let held = heldImage(key, render.format, intact: intact, context: context) {
          plan.images[key] = held
          continue
        }
        formats.append(render.format)
        these.append(WantedImage(key: key, dark: dark || phone, directive: d))
      }
      if !these.isEmpty, let figure {  // the phone's stacked figure made only when it is drawn
        let drawn = phone ? figure.stacked(width: Self.phoneWidth) : figure
        if !dark { lightRequest[phone] = plan.requests.count }
        plan.requests.append(
          FigureDrawing.Request(
            figure: drawn, theme: dark ? darkTheme : theme, formats: formats, recolors: dark ? lightRequest[phone] : nil))
        plan.wanted.append(these)
      }
    }
  }

  /// An image `drawImages` draws: its key, whether a failure may leave it out (a dark or phone
  /// variant), and its directive.
  struct WantedImage {
    var key: String
    var dark: Bool
    var directive: PlannedDirective
  }

  /// Each directive's figure's coverings (nil without a figure), found on all cores (a layout
  /// each), as `plans` holds the directives, to be said in that order.
  func allCoverings(
    _ plans: [PlannedReport], figures: [[Figure?]], known: [[FigureSize?]], context: BuildContext
  ) -> [[(key: String, lines: [String])?]] {
    let shared = UncheckedSendable((self, plans, figures, known))
    return mapDirectives(plans) { r, k -> (key: String, lines: [String])? in
      let (builder, plans, figures, known) = shared.value
      let size = known.indices.contains(r) ? known[r][k] : nil
      return builder.coverings(plans[r].directives[k], figures[r][k], known: size != nil, context)
    }
  }

  /// The warnings a figure gives, with the key they are recorded under: a legend or label over
  /// data (an explicit corner is honoured, and said here), a label that reads as code. A figure
  /// not made (`known`: every image of it intact in the site, `knownSize`) was checked by the
  /// build that drew it: its findings are said again from the manifest (`BuildManifest.coverings`),
  /// without laying it out (which also spares a prose edit's build starting fontconfig).
  func coverings(_ d: PlannedDirective, _ figure: Figure?, known: Bool, _ context: BuildContext) -> (key: String, lines: [String])? {
    let key = figureKey(d, renders(d).first ?? Render(dark: false, format: .svg))
    if known, let lines = context.previousCoverings[key] { return (key, lines) }
    guard let figure else { return nil }
    // a legend or label over data (an explicit corner is honoured, and said here), and a label
    // that reads as code (`k=nngp`, `kappa`: the kinds type their labels)
    let found =
      FigureLayout(theme: theme, measurer: backend).coverings(figure).map { "\($0)" } + LabelAudit.findings(figure).map { "\($0)" }
    return (key, found.map { "\(d.directive.location): warning: figure '\(d.label)': \($0)" })
  }

  /// Drawn images into the figure cache, on a thread of `background` when given.
  func store(_ images: [(bytes: [UInt8], key: String, format: ImageFormat)], background: DispatchGroup?) {
    let cache = FigureCache(directory: figureCache)
    guard let background else { return cache.storeAll(images) }
    DispatchQueue.global().async(group: background) { cache.storeAll(images) }
  }

  /// An image that need not be drawn: kept in the current site (`intact`), or held in the memory
  /// or the figure cache.
  func heldImage(_ key: String, _ format: ImageFormat, intact: [String: String], context: BuildContext) -> SiteFile? {
    if memory == nil, let path = intact[Self.imageIdentity(key)] { return .kept(path) }
    guard
      let bytes = memory?.image(key)
        ?? FigureCache(directory: figureCache).load(key, format: format, warn: { context.warnOnce($0.formatted(displayPath)) })
    else { return nil }
    memory?.keep(image: bytes, key: key)
    return .bytes(bytes)
  }

  /// The identity of an image in the build manifest: its figure key, which determines its bytes.
  static func imageIdentity(_ key: String) -> String { "image:" + key }

  /// A directive's files (JSON, CSV, arrays, images) into `run.files`; what its figure HTML needs.
  func writeFigure(
    _ d: PlannedDirective, figure: Figure?, known: FigureSize? = nil, data: DataSiteFiles, result r: ExperimentResultWithTime,
    report: PlannedReport, into run: BuildRun
  ) throws -> WrittenFigure {
    let dir = report.document.name + "/"
    run.files[dir + d.label + ".json"] = data.json
    run.files[dir + d.label + ".csv"] = data.csv
    run.identities[dir + d.label + ".json"] = "data:\(data.key).json"
    run.identities[dir + d.label + ".csv"] = "data:\(data.key).csv"
    for a in r.result.arrays ?? [] {
      guard a.values.count == ResultCache.numbers(a.shape), NPY.header(shape: a.shape, alignment: 64) != nil else {
        throw BuildError.stage(
          name: "", message: "\(d.directive.location): '\(d.label)': array '\(a.name)' does not hold its shape \(a.shape)")
      }
      let path = dir + a.fileName(label: d.label), identity = "array:\(d.key)/\(a.name)"  // the result's key determines it
      let kept = memory == nil ? run.intact[identity].map { SiteFile.kept($0) } : nil
      run.files[path] = kept ?? SiteFile.npy(a)  // streamed by the writer: no copy of the matrix
      run.identities[path] = identity
    }
    guard figure != nil || known != nil else {
      return WrittenFigure(alt: "", width: 0, height: 0, formats: [], thumbnail: nil, hasImage: false)
    }
    let formats = d.configured.common.formats.map(\.rawValue)
    var written = Set<Render>()
    for render in renders(d) {
      let key = figureKey(d, render)
      guard let image = run.images[key] else { continue }
      run.files[dir + d.label + render.suffix] = image
      run.identities[dir + d.label + render.suffix] = Self.imageIdentity(key)
      written.insert(render)
    }
    let dark = written.contains { $0.dark && !$0.phone }
    // the phone images only when both themes were drawn (a failed variant is left out)
    let hasPhone = written.filter(\.phone).count == 2
    let size =
      known ?? figure.map { FigureSize($0, phone: hasPhone ? $0.stacked(width: Self.phoneWidth) : nil) } ?? FigureSize(width: 0, height: 0)
    if let first = renders(d).first { run.context.sized(figureKey(d, first), size) }
    let phone = hasPhone ? size.phoneSize : nil
    let alt = d.configured.common.alt.isEmpty ? FigureData.alt(r.result) : d.configured.common.alt
    return WrittenFigure(
      alt: alt, width: size.width, height: size.height, formats: formats, dark: dark,
      thumbnail: formats.contains("png") ? d.label + ".png" : (formats.contains("svg") ? d.label + ".svg" : nil),
      thumbnailDark: dark ? renders(d).first { $0.dark && !$0.phone }.map { d.label + $0.suffix } : nil, hasImage: true,
      arrays: (r.result.arrays ?? []).map { $0.fileName(label: d.label) }, phone: phone.map { ($0.width, $0.height) })
  }

  /// A directive's JSON and CSV as the site gets them, with the key they are made of (`dataKey`,
  /// with this binary): kept from the current site when it holds them (`run.intact`), else made.
  struct DataSiteFiles: Sendable {
    var key: String
    var json: SiteFile
    var csv: SiteFile
  }

  func dataSiteFiles(_ d: PlannedDirective, result r: ExperimentResultWithTime, report: String, run: BuildRun) throws -> DataSiteFiles {
    let key = dataKey(d, result: r, report: report)
    if memory == nil, let json = run.intact["data:\(key).json"], let csv = run.intact["data:\(key).csv"] {
      return DataSiteFiles(key: key, json: .kept(json), csv: .kept(csv))
    }
    let data = try dataFiles(d, result: r, report: report, key: key)
    return DataSiteFiles(key: key, json: .bytes(data.json), csv: .bytes(data.csv))
  }

  /// A directive's JSON and CSV, from the memory when it holds them for everything they are made
  /// of (`key`: report, label, key, seed, engine, seconds and the options' texts).
  func dataFiles(_ d: PlannedDirective, result r: ExperimentResultWithTime, report: String, key: String) throws -> BuildMemory.DataFiles {
    let seconds = configuration.reproducible ? 0 : r.seconds
    if let held = memory?.data(key) { return held }
    let data = BuildMemory.DataFiles(
      json: try FigureData.json(d, result: r.result, seconds: seconds, report: report), csv: FigureData.csv(r.result))
    memory?.keep(data: data, key: key)
    return data
  }

  /// Everything a directive's JSON and CSV are made of: report, label, key, seed, engine, seconds
  /// and the options' texts.
  func dataKey(_ d: PlannedDirective, result r: ExperimentResultWithTime, report: String) -> String {
    let seconds = configuration.reproducible ? 0 : r.seconds
    let parts = [report, d.label, d.directive.kind, d.key, "\(d.seed)", configuration.engine, "\(seconds.bitPattern)"]
    return ContentHash.hex(
      (parts + d.options.texts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }).joined(separator: "\u{1F}"))
  }

  func assetCopies() throws -> [String: URL] {
    let fm = FileManager.default
    let css = configuration.katexAssets.appendingPathComponent("katex.min.css")
    guard fm.fileExists(atPath: css.path) else {
      throw BuildError.stage(name: "", message: "KaTeX's CSS is missing at \(css.path); run 'make site' to install libjs-katex")
    }
    var copies: [String: URL] = ["assets/katex/katex.min.css": css]
    // lunr (Debian's libjs-lunr), the search's index and query engine, run in the reader's browser.
    let lunr = configuration.lunrScript
    guard fm.fileExists(atPath: lunr.path) else {
      throw BuildError.stage(name: "", message: "lunr is missing at \(lunr.path); run 'make site' to install libjs-lunr")
    }
    copies["assets/lunr.min.js"] = lunr
    let fonts = configuration.katexAssets.appendingPathComponent("fonts").resolvingSymlinksInPath()
    for name in (try? fm.contentsOfDirectory(atPath: fonts.path)) ?? [] where name.hasSuffix(".woff2") {
      copies["assets/katex/fonts/" + name] = fonts.appendingPathComponent(name)
    }
    return copies
  }
}

/// Seeds per directive: the document seed mixed with the label, so inserting a directive never
/// shifts another's numbers.
enum SeededGeneratorSeed {
  static func derive(document: UInt64, label: String) -> UInt64 {
    var z = document ^ SeededGenerator.fnv1a(label)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

// MARK: - Paper figures

extension SiteBuilder {
  /// Writes the figures of the reports for a paper: print theme, width set (aspect kept), fonts
  /// embedded (PDF), into `directory` as `<label>.<format>`. Uses and fills the same cache.
  /// Each file is written atomically; nothing else in the folder is touched.
  /// Throws `OutputSafety.Refusal` if `directory` is or lies inside the reports, templates or
  /// cache folder, or is a file (`OutputSafety.checkFigures`).
  @discardableResult
  public func exportFigures(to directory: URL, width: Double, formats: [ImageFormat]) throws -> [String] {
    try OutputSafety.checkFigures(
      output: directory, reports: configuration.reports, templates: configuration.templates, caches: cacheLocations,
      cwd: configuration.workingDirectory)
    let run = BuildRun()
    try execute(Pipeline.paperFigures(to: directory, width: width, formats: formats), run)
    return run.written
  }

  /// The `Write figures` step: every figure in the print theme at `width` (aspect kept), and
  /// `values.tex` with the inline values as TeX macros; each file written atomically.
  func writeFigures(_ run: BuildRun, to directory: URL, width: Double, formats: [ImageFormat]) throws {
    do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
      throw BuildError.io(error, stage: "", doing: "cannot create the figures folder", path: directory.path)
    }
    var macros: [(String, String, String)] = []  // name, value, expression
    for (r, report) in run.plans.enumerated() {
      for (p, values) in zip(ReportLinks.protections(report), run.valueTexts[r]) {
        for (v, text) in zip(p.values, values) where !macros.contains(where: { $0.2 == v.expression }) {
          macros.append((ValuesTeX.name(v.expression, taken: macros.map(\.0)), text.tex, v.expression))
        }
      }
      var labels: [String] = []
      var requests: [FigureDrawing.Request] = []
      for (d, result) in zip(report.directives, run.results[r].map(\.result)) {  // each result computed (or loaded) once
        guard var figure = d.configured.figure(for: result) else { continue }
        let scale = width / figure.width
        figure.width = width
        figure.height *= scale
        labels.append(d.label)
        requests.append(FigureDrawing.Request(figure: figure, theme: .print, formats: formats))
      }
      for (label, images) in zip(
        labels, FigureDrawing.draw(requests, backend: backend, pixelsPerPoint: 300 / 72, compute: configuration.compute))
      {
        for (f, image) in zip(formats, images) {
          let url = directory.appendingPathComponent("\(label).\(f.rawValue)")
          let bytes: [UInt8]
          do { bytes = try image.get() } catch {
            throw BuildError.stage(name: "", message: "cannot draw '\(label)' as \(f.rawValue): \(error)")
          }
          do { try Data(bytes).write(to: url, options: .atomic) } catch {
            throw BuildError.io(error, stage: "", doing: "cannot write the figure", path: url.path)
          }
          run.written.append(url.lastPathComponent)
        }
      }
    }
    try writeValues(macros, to: directory, run)
  }

  func writeValues(_ macros: [(String, String, String)], to directory: URL, _ run: BuildRun) throws {
    guard !macros.isEmpty else { return }
    let tex =
      "% Inline values of the reports, written by skelreport figures. \\input{values.tex}\n"
      + macros.map { "\\newcommand{\\\($0.0)}{\($0.1)} % \($0.2)" }.joined(separator: "\n") + "\n"
    let url = directory.appendingPathComponent("values.tex")
    do { try Data(tex.utf8).write(to: url, options: .atomic) } catch {
      throw BuildError.io(error, stage: "", doing: "cannot write the inline values", path: url.path)
    }
    run.written.append("values.tex")
  }
}

/// TeX macro names and values for inline values (`\\valFigGuideDepthYLOneSixRhoZero`).
enum ValuesTeX {
  static let digits = ["Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine"]

  /// Letters only (TeX control words): words capitalized, digits spelled, a decimal point as
  /// "Point" and a number's minus as "Minus" (`rho0=-0.5` → `RhoZeroMinusZeroPointFive`, so
  /// `rho0=0.5` gets a name of its own). Only the same selection with another format gets an
  /// `X` suffix.
  static func name(_ expression: String, taken: [String]) -> String {
    var out = "val", capital = true
    let chars = Array(expression.split(separator: ":").first.map(String.init) ?? expression)
    for (k, c) in chars.enumerated() {
      if c == ".", k + 1 < chars.count, chars[k + 1].isNumber, k == 0 || !chars[k - 1].isLetter {
        out += "Point"  // decimal point
        capital = true
      } else if c == "-" || c == "\u{2212}", k + 1 < chars.count, chars[k + 1].isNumber || chars[k + 1] == ".",
        k == 0 || !(chars[k - 1].isLetter || chars[k - 1].isNumber) || chars[k - 1] == "e" || chars[k - 1] == "E"
      {
        out += "Minus"
        capital = true
      } else if c.isLetter {
        out += capital ? c.uppercased() : String(c)
        capital = false
      } else if let d = c.wholeNumberValue {
        out += digits[d]
        capital = true
      } else {
        capital = true
      }
    }
    var name = out, suffix = 0
    while taken.contains(name) {
      suffix += 1
      name = out + String(repeating: "X", count: suffix)
    }
    return name
  }

}

/// The progress line of a long-running directive: silent for the first second, then at most
/// one line every two seconds (`  fig-x (<kind>) 40% after 3.1 s`), and a last line when
/// it ends if it printed any.
final class ProgressLine: @unchecked Sendable {
  let label: String, kind: String, start: UInt64
  let log: @Sendable (String) -> Void
  private var lastPrinted: UInt64 = 0
  private var printed = false
  private let lock = NSLock()

  init(label: String, kind: String, start: UInt64, log: @escaping @Sendable (String) -> Void) {
    self.label = label
    self.kind = kind
    self.start = start
    self.log = log
  }

  func report(_ fraction: Double) {
    let now = DispatchTime.now().uptimeNanoseconds
    lock.lock()
    defer { lock.unlock() }
    guard now - start > 1_000_000_000, now - lastPrinted > 2_000_000_000 || !printed else { return }
    lastPrinted = now
    printed = true
    log(String(format: "      %@ (%@) %3.0f%% after %.1f s", label, kind, 100 * min(1, max(0, fraction)), Double(now - start) / 1e9))
  }

  func finish() {
    lock.lock()
    defer { lock.unlock() }
    if printed {
      log(String(format: "      %@ (%@) done in %.1f s", label, kind, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
    }
  }
}

/// What a page needs of a figure that is not made again (`BuildManifest.sizes`): its size in
/// points and, when its phone images were drawn, theirs.
struct FigureSize: Codable, Sendable, Equatable {
  var width: Double
  var height: Double
  var phone: [Double]? = nil

  init(width: Double, height: Double, phone: [Double]? = nil) {
    self.width = width
    self.height = height
    self.phone = phone
  }

  /// `figure`'s size, and `phone`'s (its stacking) when drawn.
  init(_ figure: Figure, phone: Figure?) {
    self.init(width: figure.width, height: figure.height, phone: phone.map { [$0.width, $0.height] })
  }

  var phoneSize: (width: Double, height: Double)? { phone.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil } }

  /// Sizes a figure can have (finite, positive, under 10⁵ points, a phone size of two numbers):
  /// a manifest edited or damaged into another number is not believed (the figure is made).
  var isPlausible: Bool {
    let all = [width, height] + (phone ?? [])
    return (phone == nil || phone?.count == 2) && all.allSatisfy { $0.isFinite && $0 > 0 && $0 < 1e5 }
  }
}
