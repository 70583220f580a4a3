import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import SkelMath
import SkelPlot

@main
struct SkelReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "skelreport",
    abstract: "Turn Markdown reports of neural-network kernel experiments into a static site.",
    version: Engine.version,
    subcommands: [
      BuildCommand.self, PreviewCommand.self, FiguresCommand.self, KindsCommand.self, InitCommand.self, CleanCommand.self, WhyCommand.self,
      PlanCommand.self, ShardCommand.self, SubmitCommand.self,
    ],
    defaultSubcommand: BuildCommand.self)

  /// A helper process (node for KaTeX) that dies must be an error message, not SIGPIPE killing
  /// this process when it writes to the closed pipe: writes then fail with EPIPE instead.
  /// Usage errors (an unknown flag, a malformed or repeated option) exit 2 like every other
  /// refusal; report errors exit 1.
  static func main() {
    signal(SIGPIPE, SIG_IGN)
    if let repeated = repeatedOption(Array(CommandLine.arguments.dropFirst())) {
      FileHandle.standardError.write(Data("error: \(repeated) is given more than once; give it once\n".utf8))
      Foundation.exit(2)
    }
    do {
      var command = try parseAsRoot(nil)
      try command.run()
    } catch {
      let code = exitCode(for: error)
      if code == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(2)
      }
      exit(withError: error)
    }
  }
}

/// The first option given twice (`--out a --out b` would silently build into b), if any.
func repeatedOption(_ args: [String]) -> String? {
  let short = ["-o": "--out", "-q": "--quiet"]
  var seen = Set<String>()
  for arg in args {
    if arg == "--" { break }
    guard arg.hasPrefix("-"), arg.count > 1 else { continue }
    let name = short[arg] ?? String(arg.split(separator: "=", maxSplits: 1)[0])
    guard name.hasPrefix("--") else { continue }
    if !seen.insert(name).inserted { return name }
  }
  return nil
}

struct BuildCommand: ParsableCommand {
  /// `; recomputed: a/fig-x, a/fig-y` (the first five, then how many more), or nothing.
  static func recomputed(_ labels: [String]) -> String {
    guard !labels.isEmpty else { return "" }
    let shown = labels.prefix(5).joined(separator: ", ")
    return "; recomputed: " + shown + (labels.count > 5 ? " and \(labels.count - 5) more" : "")
  }

  static let configuration = CommandConfiguration(
    commandName: "build", abstract: "Build the site from a folder of reports (or one report).")

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Option(
    name: .shortAndLong,
    help:
      "Where the site is written (replaced atomically): a missing path, an empty folder or a site a previous build wrote; anything else is refused (exit 2)."
  )
  var out: String = "_site"

  @Option(
    help:
      "Folder whose page.mustache, index.mustache, head.mustache and style.css override the built-in ones file by file (default: ./templates, else templates beside the reports folder, if present)."
  )
  var templates: String?

  @Option(help: "Folder for cached experiment results (must not lie inside --out).")
  var cacheDir: String = ".skelcache"

  @Flag(help: "Recompute every experiment and do not touch the cache.")
  var noCache = false

  @Flag(name: .shortAndLong, help: "Print only errors.")
  var quiet = false

  @Flag(help: "Treat warnings (missing alt text, unreferenced labels) as errors.")
  var strict = false

  @Flag(help: "Byte-identical output for identical input: write provenance.seconds as 0.")
  var reproducible = false

  @Flag(help: "Trust the authors: publish raw HTML in the reports as written (link schemes and BibTeX URLs are still filtered).")
  var allowHTML = false
  @Option(help: "Memory budget per directive, e.g. 4GiB, 512MiB (estimated before anything runs).")
  var maxMemory: String = "4GiB"

  @Option(help: "Work budget per directive in minutes (estimated before anything runs; the whole build gets 6 times this).")
  var maxMinutes: Double = 10

  @Option(help: "Threads for the engine and OpenBLAS (default: $SKELREPORT_THREADS, else every core). Results do not depend on it.")
  var threads: Int?

  @Option(
    help:
      "A directive whose result is not in the cache: 'compute' it here, or 'report' it and fail (the gather job of a cluster run).")
  var missing: MissingUnits = .compute

  enum MissingUnits: String, ExpressibleByArgument, CaseIterable { case compute, report }

  func run() throws {
    let compute = try ThreadsFlag.compute(threads)
    let reportsURL = URL(fileURLWithPath: reports)
    let templatesURL = resolveTemplates(reportsURL)
    // The output-folder rule, before anything is read or written (the builder checks it again).
    // The cache folder is guarded even with --no-cache.
    do {
      try OutputSafety.check(
        output: URL(fileURLWithPath: out), reports: reportsURL, templates: templatesURL, caches: [URL(fileURLWithPath: cacheDir)],
        cwd: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
      if let refusal = CacheFolderFlag.refusal(cacheDir) { throw refusal }
    } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal)
      throw ExitCode(2)
    }
    var config = BuildConfiguration(
      reports: reportsURL, output: URL(fileURLWithPath: out), templates: templatesURL,
      cache: noCache ? nil : URL(fileURLWithPath: cacheDir).appendingPathComponent("results"))
    config.strict = strict
    config.reproducible = reproducible
    config.allowHTML = allowHTML
    config.compute = compute
    config.computeMissing = missing == .compute
    config.budgetsUnits = missing == .report  // the gather: the shards computed the tiles
    config.upToDateCheck = !noCache  // the manifest lives beside the cache
    try BudgetFlags.apply(maxMemory: maxMemory, maxMinutes: maxMinutes, to: &config)
    let quiet = self.quiet
    let builder = SiteBuilder(
      configuration: config, backend: CairoBackend(),
      log: { line in
        // written at once (not buffered), so progress and diagnostics keep their order in a piped log
        if !quiet { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
      })
    let start = Date()
    do {
      let summary = try builder.build()
      var err = StandardError()
      for w in summary.warnings { print(w, to: &err) }
      if !quiet {
        let ms = Int(Date().timeIntervalSince(start) * 1000)
        let reports = "\(summary.reports) report\(summary.reports == 1 ? "" : "s")"
        let figures = "\(summary.figures) figure\(summary.figures == 1 ? "" : "s")"
        if summary.upToDate {
          print("up to date: \(reports), \(figures) in \(out)/, nothing changed since the last build (checked in \(ms) ms)")
        } else {
          print(
            "built \(reports), \(figures) (\(summary.cacheHits) from cache\(Self.recomputed(summary.recomputed))) into \(out)/ in \(ms) ms")
        }
      }
    } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal)
      throw ExitCode(2)
    } catch let error as BuildError {
      Diagnostics.report(error)
      throw ExitCode(1)
    } catch {
      // a Foundation error that no stage wrapped: still with its path and what was being done
      Diagnostics.report(BuildError.io(error, stage: "Build", doing: "cannot build the site into", path: out))
      throw ExitCode(1)
    }
  }

  /// `--templates`, else `./templates`, else `templates` beside the reports folder, when it is a
  /// folder; `nil` (the built-in templates only) when there is none.
  func resolveTemplates(_ reportsURL: URL) -> URL? { Self.templatesFolder(templates, reports: reportsURL) }

  /// `resolveTemplates` for any command that builds (build, preview).
  static func templatesFolder(_ templates: String?, reports reportsURL: URL) -> URL? {
    if let templates { return URL(fileURLWithPath: templates) }
    func isFolder(_ url: URL) -> Bool {
      var isDirectory: ObjCBool = false
      return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
    let local = URL(fileURLWithPath: "templates")
    if isFolder(local) { return local }
    let base = reportsURL.hasDirectoryPath || isFolder(reportsURL) ? reportsURL : reportsURL.deletingLastPathComponent()
    let beside = base.deletingLastPathComponent().appendingPathComponent("templates")
    return isFolder(beside) ? beside : nil
  }
}

struct FiguresCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "figures",
    abstract: "Write a report's figures for a paper: print theme, column width, PDF with embedded fonts.")

  @Argument(help: "A report (or a folder of reports).")
  var report: String

  @Option(
    name: .shortAndLong,
    help:
      "Folder for the figures (only <label>.<format> and values.tex are written in it); not inside the reports, templates or cache folder.")
  var out: String = "figures"

  @Option(help: "Figure width, e.g. 3.4in (one column), 7in (two), 12cm.")
  var width: String = "3.4in"

  @Option(help: "Comma-separated formats: pdf, svg, png (300 dpi).")
  var formats: String = "pdf"

  @OptionGroup var work: WorkOptions

  func run() throws {
    let compute = try ThreadsFlag.compute(work.threads)
    let cacheDir = work.cacheDir
    guard let points = OptionTypeChecker.length(width.trimmingCharacters(in: .whitespaces)), points > 0 else {
      throw ValidationError("--width expects a length such as 3.4in, 12cm or 245pt, got '\(width)'")
    }
    var list: [ImageFormat] = []
    for f in formats.split(separator: ",") {
      guard let format = ImageFormat(rawValue: f.trimmingCharacters(in: .whitespaces)) else {
        throw ValidationError("unknown format '\(f)'; expected pdf, svg or png")
      }
      list.append(format)
    }
    var config = BuildConfiguration(
      reports: URL(fileURLWithPath: report), output: URL(fileURLWithPath: out), templates: URL(fileURLWithPath: "templates"),
      cache: URL(fileURLWithPath: cacheDir).appendingPathComponent("results"))
    do {
      try OutputSafety.checkFigures(
        output: URL(fileURLWithPath: out), reports: config.reports, templates: config.templates, caches: [URL(fileURLWithPath: cacheDir)],
        cwd: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal, what: "no figure was written")
      throw ExitCode(2)
    }
    config.compute = compute
    try BudgetFlags.apply(maxMemory: work.maxMemory, maxMinutes: work.maxMinutes, to: &config)
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { _ in })
    do {
      let files = try builder.exportFigures(to: URL(fileURLWithPath: out), width: points, formats: list)
      print("wrote \(files.count) file\(files.count == 1 ? "" : "s") into \(out)/: \(files.joined(separator: ", "))")
    } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal, what: "no figure was written")
      throw ExitCode(2)
    } catch let error as BuildError {
      Diagnostics.report(error, what: "no figure was written")
      throw ExitCode(1)
    } catch {
      Diagnostics.report(
        BuildError.io(error, stage: "Figures", doing: "cannot write the figures into", path: out), what: "no figure was written")
      throw ExitCode(1)
    }
  }
}

struct KindsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kinds", abstract: "List directive kinds, or one kind's options.")

  @Argument(help: "A kind to describe.")
  var kind: String?

  @Flag(help: "Print the reference of every kind as Markdown (docs/kinds.md).")
  var markdown = false

  func run() throws {
    let registry = ExperimentRegistry.standard
    if markdown {
      print(KindReference.markdown(registry), terminator: "")
      return
    }
    guard let kind else {
      print(KindReference.list(registry))
      return
    }
    guard let schema = registry.schemas[kind] else {
      FileHandle.standardError.write(
        Data("error: unknown directive kind '\(kind)'\(Suggestion.didYouMean(kind, among: registry.schemas.keys.sorted()))\n".utf8))
      throw ExitCode(1)
    }
    print(KindReference.text(schema))
  }
}

/// The one place build errors become text and an exit code.
enum Diagnostics {
  /// An output (or cache) folder refused by the output-folder rule: exit 2.
  static func refuse(_ refusal: OutputSafety.Refusal, what: String = "nothing was changed") {
    var err = StandardError()
    print("error: \(refusal.message)", to: &err)
    print(what, to: &err)
  }

  static func report(_ error: BuildError, what: String = "the site was not changed") {
    var err = StandardError()
    switch error {
    case .diagnostics(let list, let sources):
      for d in list { print(d.formatted(source: sources[d.location.path]), to: &err) }
      let errors = list.filter { $0.severity == .error }.count, warnings = list.count - errors
      if warnings > 0 { print("\(warnings) warning\(warnings == 1 ? "" : "s")", to: &err) }
      print("\(errors) error\(errors == 1 ? "" : "s"); \(what)", to: &err)
    case .stage(let name, let message):
      print("error: \(name): \(message)", to: &err)
      print(what, to: &err)
    }
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}

/// `--threads` into the engine's `Compute` value. The environment is read here, in the CLI, and
/// nowhere in the libraries: without `--threads`, `SKELREPORT_THREADS` (a whole number from 1 to
/// 256; anything else is ignored) is the fallback, then every core.
enum ThreadsFlag {
  static let range = 1...256

  static func compute(_ threads: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Compute {
    if let threads {
      guard range.contains(threads) else { throw ValidationError("--threads must be between 1 and 256, got \(threads)") }
      return Compute(threads: threads)
    }
    if let text = environment["SKELREPORT_THREADS"], let n = Int(text), range.contains(n) { return Compute(threads: n) }
    return .allCores
  }
}

/// `--max-memory` and `--max-minutes` into the configuration.
enum BudgetFlags {
  static func apply(maxMemory: String, maxMinutes: Double, to config: inout BuildConfiguration) throws {
    guard let bytes = bytes(maxMemory) else {
      throw ValidationError("--max-memory expects a size such as 4GiB, 512MiB or 8GB, got '\(maxMemory)'")
    }
    guard maxMinutes.isFinite, maxMinutes > 0, maxMinutes <= 1e6 else {
      throw ValidationError("--max-minutes expects a positive number of minutes, got \(maxMinutes)")
    }
    config.budget = Budget(bytes: bytes, seconds: maxMinutes * 60)
    config.maxBuildSeconds = 6 * maxMinutes * 60
  }

  /// "8GiB", "512 MiB", "8GB", "1000000" (bytes).
  static func bytes(_ text: String) -> Int? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let units: [(String, Double)] = [
      ("TiB", 1_099_511_627_776), ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6),
      ("KB", 1e3), ("B", 1),
    ]
    var number = t, scale = 1.0
    for (u, s) in units where t.hasSuffix(u) {
      number = String(t.dropLast(u.count)).trimmingCharacters(in: .whitespaces)
      scale = s
      break
    }
    guard let v = Double(number), v.isFinite, v > 0 else { return nil }
    let b = v * scale
    return b < 9.2e18 ? Int(b) : nil
  }
}
