import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments

@main
struct SkelReport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "skelreport",
    abstract: "Turn Markdown reports of neural-network kernel experiments into a static site.",
    version: Engine.version,
    subcommands: [BuildCommand.self, KindsCommand.self],
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

  func run() throws {
    let reportsURL = URL(fileURLWithPath: reports)
    let config = BuildConfiguration(
      reports: reportsURL, output: URL(fileURLWithPath: out), templates: resolveTemplates(reportsURL),
      cache: noCache ? nil : URL(fileURLWithPath: cacheDir).appendingPathComponent("results"))
    let quiet = self.quiet
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { line in if !quiet { print(line) } })
    let start = Date()
    do {
      let summary = try builder.build()
      if !quiet {
        let ms = Int(Date().timeIntervalSince(start) * 1000)
        print("built \(summary.reports) report\(summary.reports == 1 ? "" : "s"), \(summary.figures) figure\(summary.figures == 1 ? "" : "s") (\(summary.cacheHits) from cache) into \(out)/ in \(ms) ms")
      }
    } catch let error as BuildError {
      Diagnostics.report(error)
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
  static func report(_ error: BuildError) {
    var err = StandardError()
    switch error {
    case .diagnostics(let list, let sources):
      for d in list { print(d.formatted(source: sources[d.location.path]), to: &err) }
      let errors = list.filter { $0.severity == .error }.count
      print("\(errors) error\(errors == 1 ? "" : "s"); the site was not changed", to: &err)
    case .stage(let name, let message):
      print("error: \(name): \(message)", to: &err)
      print("the site was not changed", to: &err)
    }
  }
}

struct StandardError: TextOutputStream {
  mutating func write(_ string: String) { FileHandle.standardError.write(Data(string.utf8)) }
}
