import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo

/// `skelreport why LABEL`: whether the directive's result is in the cache, and if not, which
/// part of its key changed since the last build (an option, the seed, the engine).
struct WhyCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "why", abstract: "Say why a directive would be recomputed: what changed in its cache key since the last build.")

  @Argument(help: "The directive's label, or report/label.")
  var label: String

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Option(help: "The cache folder the builds use.")
  var cacheDir: String = ".skelcache"

  func run() throws {
    try CacheFolderFlag.check(cacheDir)
    let config = BuildConfiguration.readingCache(reports: reports, cacheDir: cacheDir)
    do {
      let answer = try SiteBuilder(configuration: config, backend: CairoBackend()).why(label)
      let name = "\(answer.report)/\(answer.label)"
      guard let changes = answer.changes else {
        print("\(name): in the cache (key \(answer.key.prefix(12))…); the next build reuses it")
        return
      }
      if changes.isEmpty {
        let why =
          answer.recorded
          ? "its key is as recorded, but the entry is missing or damaged" : "no earlier build of it is recorded in this cache"
        print("\(name): will be computed: \(why)")
      } else {
        print("\(name): will be computed because " + changes.joined(separator: "; "))
      }
    } catch let error as BuildError {
      Diagnostics.report(error, what: "nothing was changed")
      throw ExitCode(1)
    }
  }
}
