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
    subcommands: [BuildCommand.self, FiguresCommand.self, KindsCommand.self],
    defaultSubcommand: BuildCommand.self)
}

struct BuildCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "build", abstract: "Build the site from a folder of reports (or one report).")

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Option(name: .shortAndLong, help: "Where the site is written (replaced atomically).")
  var out: String = "_site"

  @Option(help: "Folder with page.mustache, index.mustache and style.css (default: ./templates, else beside the reports folder).")
  var templates: String?

  @Option(help: "Folder for cached experiment results.")
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

  @Option(help: "Threads for the engine and OpenBLAS (default: every core). Results do not depend on it.")
  var threads: Int?

  @OptionGroup var budget: BudgetOptions

  func run() throws {
    if let threads { Parallel.configure(threads: threads) }
    let reportsURL = URL(fileURLWithPath: reports)
    var config = BuildConfiguration(
      reports: reportsURL, output: URL(fileURLWithPath: out), templates: resolveTemplates(reportsURL),
      cache: noCache ? nil : URL(fileURLWithPath: cacheDir).appendingPathComponent("results"))
    config.strict = strict
    config.reproducible = reproducible
    config.allowHTML = allowHTML
    try budget.apply(to: &config)
    let quiet = self.quiet
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { line in if !quiet { print(line) } })
    let start = Date()
    do {
      let summary = try builder.build()
      var err = StandardError()
      for w in summary.warnings { print(w, to: &err) }
      if !quiet {
        let ms = Int(Date().timeIntervalSince(start) * 1000)
        print("built \(summary.reports) report\(summary.reports == 1 ? "" : "s"), \(summary.figures) figure\(summary.figures == 1 ? "" : "s") (\(summary.cacheHits) from cache) into \(out)/ in \(ms) ms")
      }
    } catch let error as BuildError {
      Diagnostics.report(error)
      throw ExitCode(1)
    } catch {
      // a Foundation error that no stage wrapped: still with its path and what was being done
      Diagnostics.report(BuildError.io(error, stage: "Build", doing: "cannot build the site into", path: out))
      throw ExitCode(1)
    }
  }

  func resolveTemplates(_ reportsURL: URL) -> URL {
    if let templates { return URL(fileURLWithPath: templates) }
    let local = URL(fileURLWithPath: "templates")
    if FileManager.default.fileExists(atPath: local.appendingPathComponent("page.mustache").path) { return local }
    let base = reportsURL.hasDirectoryPath || (try? reportsURL.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
      ? reportsURL : reportsURL.deletingLastPathComponent()
    return base.deletingLastPathComponent().appendingPathComponent("templates")
  }
}

struct FiguresCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "figures",
    abstract: "Write a report's figures for a paper: print theme, column width, PDF with embedded fonts.")

  @Argument(help: "A report (or a folder of reports).")
  var report: String

  @Option(name: .shortAndLong, help: "Folder for the figures.")
  var out: String = "figures"

  @Option(help: "Figure width, e.g. 3.4in (one column), 7in (two), 12cm.")
  var width: String = "3.4in"

  @Option(help: "Comma-separated formats: pdf, svg, png (300 dpi).")
  var formats: String = "pdf"

  @Option(help: "Folder for cached experiment results.")
  var cacheDir: String = ".skelcache"

  @OptionGroup var budget: BudgetOptions

  func run() throws {
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
    try budget.apply(to: &config)
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { _ in })
    do {
      let files = try builder.exportFigures(to: URL(fileURLWithPath: out), width: points, formats: list)
      print("wrote \(files.count) file\(files.count == 1 ? "" : "s") into \(out)/: \(files.joined(separator: ", "))")
    } catch let error as BuildError {
      Diagnostics.report(error, what: "no figure was written")
      throw ExitCode(1)
    } catch {
      Diagnostics.report(BuildError.io(error, stage: "Figures", doing: "cannot write the figures into", path: out), what: "no figure was written")
      throw ExitCode(1)
    }
  }
}

/// `--max-memory` and `--max-minutes`: the resource budget of one directive (README "Resource
/// budget"), shared by `build` and `figures`.
struct BudgetOptions: ParsableArguments {
  @Option(help: "Most memory one directive may be estimated to need, e.g. 8GiB, 512MiB (binary units B, KiB, MiB, GiB, TiB).")
  var maxMemory: String = "4GiB"

  @Option(help: "Most work one directive may be estimated to need, in minutes.")
  var maxMinutes: String = "10"

  func apply(to config: inout BuildConfiguration) throws {
    guard let bytes = ResourceBudget.parseBytes(maxMemory) else {
      throw ValidationError("--max-memory expects a size such as 8GiB, 512MiB or 2TiB, got '\(maxMemory)'")
    }
    guard let seconds = ResourceBudget.parseMinutes(maxMinutes) else {
      throw ValidationError("--max-minutes expects a positive number of minutes such as 30, got '\(maxMinutes)'")
    }
    config.maxMemoryBytes = bytes
    config.maxSeconds = seconds
  }
}

struct KindsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "kinds", abstract: "List directive kinds, or one kind's options.")

  @Argument(help: "A kind to describe.")
  var kind: String?

  func run() throws {
    let schemas = ExperimentRegistry.standard.schemas
    guard let kind else {
      for name in schemas.keys.sorted() { print("\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(schemas[name]!.summary)") }
      return
    }
    guard let schema = schemas[kind] else {
      FileHandle.standardError.write(Data("error: unknown directive kind '\(kind)'\(Suggestion.didYouMean(kind, among: schemas.keys.sorted()))\n".utf8))
      throw ExitCode(1)
    }
    print("\(schema.kind): \(schema.summary)\n\noptions:")
    for o in schema.options {
      let def = o.defaultText.map { $0.isEmpty ? "(none)" : $0 } ?? "(required)"
      print("  :\(o.name):  \(o.type)\n      default \(def). \(o.summary)")
    }
    print("\nexample:\n\(schema.example)")
  }
}

/// The one place build errors become text and an exit code.
enum Diagnostics {
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
