import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo

/// The options `plan`, `shard` and `figures` share (and `build` has too): where results are
/// cached, the budget and the threads.
struct WorkOptions: ParsableArguments {
  @Option(help: "Folder for cached experiment results (shared by the build, the figures and every shard).")
  var cacheDir: String = ".skelcache"

  @Option(help: "Memory budget per directive, e.g. 4GiB, 512MiB (estimated before anything runs).")
  var maxMemory: String = "4GiB"

  @Option(
    help:
      "Work budget per unit in minutes (estimated before anything runs; a tiled Gram matrix's tiles and its gather are units of their own; the whole build gets 6 times this)."
  )
  var maxMinutes: Double = 10

  @Option(help: "Threads for the engine and OpenBLAS (default: $SKELREPORT_THREADS, else every core). Results do not depend on it.")
  var threads: Int?

  /// A configuration that reads `reports` and caches into `<cache-dir>/results`; it writes no site.
  func configuration(reports: String) throws -> BuildConfiguration {
    try CacheFolderFlag.check(cacheDir)
    var config = BuildConfiguration.readingCache(reports: reports, cacheDir: cacheDir)
    config.compute = try ThreadsFlag.compute(threads)
    config.budgetsUnits = true  // a tiled directive's tiles are units of their own
    try BudgetFlags.apply(maxMemory: maxMemory, maxMinutes: maxMinutes, to: &config)
    return config
  }
}

struct PlanCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "plan", abstract: "Write the build's work as independent units (plan.json) for 'skelreport shard'.")

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Option(name: .shortAndLong, help: "Where the plan is written.")
  var out: String = "plan.json"

  @OptionGroup var work: WorkOptions

  @Flag(name: .shortAndLong, help: "Print only errors.")
  var quiet = false

  func run() throws {
    let config = try work.configuration(reports: reports)
    try Self.checkOut(out, reports: reports, cacheDir: work.cacheDir)
    let quiet = self.quiet
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { line in if !quiet { print(line) } })
    do {
      let plan = try builder.workPlan()
      try plan.encoded().write(to: URL(fileURLWithPath: out), options: .atomic)
      if !quiet {
        let total = plan.units.reduce(0) { $0 + $1.seconds }
        print(
          "planned \(plan.units.count) unit\(plan.units.count == 1 ? "" : "s") (about \(String(format: "%.3g", total)) s of work) into \(out)"
        )
      }
    } catch let error as BuildError {
      Diagnostics.report(error, what: "no plan was written")
      throw ExitCode(1)
    } catch {
      Diagnostics.report(BuildError.io(error, stage: "Plan", doing: "cannot write the plan", path: out), what: "no plan was written")
      throw ExitCode(1)
    }
  }
}

extension PlanCommand {
  /// The plan's file must not lie in the reports or cache folder, and an existing file there
  /// must be a plan this program wrote: `plan --out reports/a.md` would replace a report.
  static func checkOut(_ out: String, reports: String, cacheDir: String) throws {
    let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    func refuse(_ why: String) throws -> Never {
      var err = StandardError()
      print("error: refusing to write the plan to '\(out)': \(why); nothing was written", to: &err)
      throw ExitCode(2)
    }
    guard let target = try? OutputSafety.realPath(URL(fileURLWithPath: out), cwd: cwd) else { try refuse("its path cannot be resolved") }
    var isDir: ObjCBool = false
    let reportsURL = URL(fileURLWithPath: reports)
    let folder =
      FileManager.default.fileExists(atPath: reports, isDirectory: &isDir) && !isDir.boolValue
      ? reportsURL.deletingLastPathComponent() : reportsURL
    for (name, url) in [("reports", folder), ("cache", URL(fileURLWithPath: cacheDir))] {
      guard let base = try? OutputSafety.realPath(url, cwd: cwd) else { continue }
      if target == base || target.hasPrefix(base == "/" ? "/" : base + "/") { try refuse("it lies in the \(name) folder \(base)") }
    }
    guard FileManager.default.fileExists(atPath: target, isDirectory: &isDir) else { return }
    if isDir.boolValue { try refuse("it is a folder") }
    guard let data = FileManager.default.contents(atPath: target), (try? JSONDecoder().decode(WorkPlan.self, from: data)) != nil else {
      try refuse("it is an existing file that is not a plan skelreport wrote")
    }
  }
}

struct ShardCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "shard",
    abstract: "Compute one shard of a plan's units into the (shared) cache; 'skelreport build' then finds them there.")

  @Argument(help: "A plan written by 'skelreport plan'.")
  var plan: String

  @Option(help: "This shard's index, from 0 (default: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX).")
  var index: Int?

  @Option(help: "The number of shards (default: the number of units, one unit each).")
  var of: Int?

  @Option(help: "The reports to re-plan (default: the plan's reports path).")
  var reports: String?

  @OptionGroup var work: WorkOptions

  @Flag(name: .shortAndLong, help: "Print only errors.")
  var quiet = false

  func run() throws {
    let plan = try ShardInput.load(self.plan)
    if let of, of < 1 { throw ValidationError("--of must be at least 1, got \(of)") }
    let count = of ?? plan.units.count
    guard count >= 1 else {
      if !quiet { print("the plan has no units; nothing to compute") }
      return
    }
    let i = try ShardInput.index(index)
    guard (0..<count).contains(i) else { throw ValidationError("shard index \(i) is not in 0..<\(count) (--of \(count))") }
    let units = plan.units(shard: i, of: count)
    let quiet = self.quiet
    let builder = SiteBuilder(
      configuration: try work.configuration(reports: reports ?? plan.reports), backend: CairoBackend(),
      log: { line in if !quiet { print(line) } })
    do {
      let summary = try builder.computeUnits(units.map(\.key))
      if !quiet {
        print(
          "shard \(i) of \(count): \(units.count) unit\(units.count == 1 ? "" : "s"), \(summary.computed.count) computed, \(summary.cached.count) already in the cache (\(work.cacheDir)/)\(summary.deferred.isEmpty ? "" : ", \(summary.deferred.count) left for the gather (their tiles are not all computed yet)")"
        )
      }
    } catch let error as BuildError {
      Diagnostics.report(error, what: "units computed before the error are in the cache")
      throw ExitCode(1)
    }
  }
}

/// Reading a plan and finding this shard's index: the environment is read here, in the CLI.
enum ShardInput {
  /// The plan at `path`, refused (exit 2) if unreadable, of another format, or made by another engine.
  static func load(_ path: String) throws -> WorkPlan {
    let plan: WorkPlan
    do {
      plan = try JSONDecoder().decode(WorkPlan.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw refuse("cannot read the plan \(path): \(error.localizedDescription)")
    }
    guard plan.format == WorkPlan.currentFormat else {
      throw refuse("\(path) is a plan of format '\(plan.format)'; this skelreport reads '\(WorkPlan.currentFormat)'")
    }
    guard plan.engine == Engine.identity else {
      throw refuse(
        "\(path) was planned by engine \(plan.engine), but this skelreport is engine \(Engine.identity); its keys are not this engine's: make the plan again with this binary"
      )
    }
    return plan
  }

  static func refuse(_ message: String) -> ExitCode {
    var err = StandardError()
    print("error: \(message)", to: &err)
    print("nothing was computed", to: &err)
    return ExitCode(2)
  }

  /// `--index`, else `SLURM_ARRAY_TASK_ID` (a Slurm job array), else `JOB_COMPLETION_INDEX`
  /// (a Kubernetes Indexed Job).
  static func index(_ given: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
    if let given { return given }
    for name in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
      guard let text = environment[name] else { continue }
      guard let i = Int(text.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("\(name) is '\(text)', not a shard index")
      }
      return i
    }
    throw ValidationError(
      "no shard index: give --index, or run as a Slurm array task (SLURM_ARRAY_TASK_ID) or an Indexed Job (JOB_COMPLETION_INDEX)")
  }
}
