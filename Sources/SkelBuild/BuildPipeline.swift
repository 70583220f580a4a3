import Dispatch
import Foundation
import SkelDocument
import SkelExperiments
import SkelPlot
import Synchronization

/// How long one step of a build took.
public struct StepTiming: Sendable, Hashable {
  public var step: String
  public var seconds: Double
}

/// What one build found besides its products: warnings, reports that could not be read, and
/// the time of each step. Every build makes a new one, so a second build on the same builder
/// starts clean; it is locked because drawing and caching report from several threads.
public final class BuildContext: Sendable {
  struct State {
    var warnings: [String] = []
    var readProblems: [Diagnostic] = []
    var timings: [StepTiming] = []
    var transient = false
    var readFiles: [String] = []
    var reportIdentities: [String: String] = [:]
    var coverings: [String: [String]] = [:]
    var previousCoverings: [String: [String]] = [:]
    var sizes: [String: FigureSize] = [:]
    var previousSizes: [String: FigureSize] = [:]
  }
  private let state = Mutex(State())

  public init() {}

  public var warnings: [String] { state.withLock { $0.warnings } }
  public var timings: [StepTiming] { state.withLock { $0.timings } }
  var readProblems: [Diagnostic] { state.withLock { $0.readProblems } }

  func warn(_ text: String) { state.withLock { $0.warnings.append(text) } }
  /// A warning about this run on this machine (a damaged cache entry repaired, a leftover not
  /// removed), which the next build does not repeat: a build with one records no manifest.
  func warnOnce(_ text: String) {
    state.withLock {
      $0.warnings.append(text)
      $0.transient = true
    }
  }
  var transient: Bool { state.withLock { $0.transient } }
  /// Files besides the reports and templates that planning read (input files), for the manifest.
  var readFiles: [String] { state.withLock { $0.readFiles } }
  func read(_ paths: [String]) { state.withLock { $0.readFiles += paths } }
  /// Each report's path (`SiteBuilder.reportPath`) and the identity of the bytes read.
  var reportIdentities: [String: String] { state.withLock { $0.reportIdentities } }
  func readReport(_ path: String, identity: String) { state.withLock { $0.reportIdentities[path] = identity } }
  /// Each figure's covering warnings by its page image's key (`SiteBuilder.coverings`), this
  /// build's and the last build's (from its manifest).
  var coverings: [String: [String]] { state.withLock { $0.coverings } }
  func covered(_ key: String, _ lines: [String]) { state.withLock { $0.coverings[key] = lines } }
  var previousCoverings: [String: [String]] {
    get { state.withLock { $0.previousCoverings } }
    set { state.withLock { $0.previousCoverings = newValue } }
  }
  /// Each figure's size by the same key, this build's and the last build's.
  var sizes: [String: FigureSize] { state.withLock { $0.sizes } }
  func sized(_ key: String, _ size: FigureSize) { state.withLock { $0.sizes[key] = size } }
  var previousSizes: [String: FigureSize] {
    get { state.withLock { $0.previousSizes } }
    set { state.withLock { $0.previousSizes = newValue } }
  }
  func warn(contentsOf texts: [String]) { state.withLock { $0.warnings += texts } }
  func readProblem(_ d: Diagnostic) { state.withLock { $0.readProblems.append(d) } }
  func record(_ step: String, seconds: Double) { state.withLock { $0.timings.append(StepTiming(step: step, seconds: seconds)) } }
}

/// The products of one build so far: each step reads what the steps before it left here.
final class BuildRun {
  let context = BuildContext()
  var sources: [SourceFile] = []
  var plans: [PlannedReport] = []
  var output: URL?
  var writer: SiteWriter?
  var lock: SiteWriter.Lock?
  var results: [[SiteBuilder.ExperimentResultWithTime]] = []
  var hits = 0
  /// `report/label` of every directive computed (not found in the cache), in page order.
  var recomputed: [String] = []
  /// `report/label` of each figure made from its result (`SiteBuilder.drawFigures`).
  var figuresMade: [String] = []
  /// Names of the reports whose page body was rendered (not held in the builder's memory).
  var rendered: [String] = []
  /// Inline values by report, then by protection (body first, then each caption).
  var valueTexts: [[[InlineText]]] = []
  var tables: [[MathProtection?]] = []
  var math: TypesetMath?
  var figures: [[Figure?]] = []
  /// The figures not made from their results (`SiteBuilder.drawFigures`: every image intact),
  /// by their sizes from the last build's manifest.
  var knownSizes: [[FigureSize?]] = []
  var images: [String: SiteFile] = [:]
  var files: [String: SiteFile] = [:]
  /// The identity of each site file the build made (`BuildManifest.site`): its content's, or for
  /// an image its figure key's (which determines its bytes), so a kept image is never read.
  var identities: [String: String] = [:]
  /// The last build's manifest of this output, and the files of its site still intact (by identity).
  var manifest: BuildManifest?
  var intact: [String: String] = [:]
  /// When the build started (nanoseconds since 1970, the clock of file times).
  let started = Int64(Date().timeIntervalSince1970 * 1e9)
  var figureCount = 0
  /// Files published (pages, data, images, assets).
  var fileCount = 0
  /// Files `skelreport figures` wrote.
  var written: [String] = []
  /// What `skelreport shard` computed and found (`Pipeline.shard`).
  var shard = ShardSummary()
  /// Cache writes under way on other threads (`CacheWrites.flush(in:)`), joined when the build ends.
  let background = DispatchGroup()

  var sourceTable: [String: SourceFile] { Dictionary(uniqueKeysWithValues: sources.map { ($0.path, $0) }) }
}

/// One named step of a pipeline (Publish's `PublishingStep`): `build`, `figures` and `plan` are
/// different lists of the same steps, run by one executor (`SiteBuilder.execute`).
struct BuildStep: Sendable {
  let name: String
  let body: @Sendable (SiteBuilder, BuildRun) throws -> Void

  static let readReports = BuildStep(name: "Read reports") { b, run in run.sources = try b.readReports(run.context) }
  static let validate = BuildStep(name: "Validate directives") { b, run in run.plans = try b.plan(run.sources, run.context) }
  static let lockOutput = BuildStep(name: "Lock the output") { b, run in try b.lockOutput(run) }
  static let runExperiments = BuildStep(name: "Run experiments") { b, run in try b.runExperiments(run) }
  static let typesetMath = BuildStep(name: "Typeset math") { b, run in try b.typesetMath(run) }
  static let typesetTables = BuildStep(name: "Typeset tables") { b, run in try b.typesetTables(run) }
  static let drawFigures = BuildStep(name: "Draw figures") { b, run in try b.drawFigures(run) }
  static let renderPages = BuildStep(name: "Render pages") { b, run in try b.renderPages(run) }
  static let writeSite = BuildStep(name: "Write site") { b, run in try b.writeSite(run) }
  static func writeFigures(to directory: URL, width: Double, formats: [ImageFormat]) -> BuildStep {
    BuildStep(name: "Write figures") { b, run in try b.writeFigures(run, to: directory, width: width, formats: formats) }
  }
}

/// The pipelines a builder runs.
enum Pipeline {
  /// `skelreport build`.
  static let site: [BuildStep] = [
    .readReports, .validate, .lockOutput, .typesetMath, .runExperiments, .typesetTables, .drawFigures, .renderPages, .writeSite,
  ]
  /// `skelreport figures`.
  static func paperFigures(to directory: URL, width: Double, formats: [ImageFormat]) -> [BuildStep] {
    [.readReports, .validate, .runExperiments, .writeFigures(to: directory, width: width, formats: formats)]
  }
  /// Everything before the first experiment (`SiteBuilder.plan()`).
  static let plan: [BuildStep] = [.readReports, .validate]
}

extension SiteBuilder {
  /// The names of the site pipeline's steps, in order.
  public static var siteSteps: [String] { Pipeline.site.map(\.name) }

  /// Runs `steps` in order on `run`: prints `[i/n] name` (with the previous step's time), times
  /// each step into the build's context, and tags a step's failure with the step's name.
  func execute(_ steps: [BuildStep], _ run: BuildRun) throws {
    var previous: (start: UInt64, name: String)?
    for (i, step) in steps.enumerated() {
      let start = DispatchTime.now().uptimeNanoseconds
      let took = previous.map { String(format: " (previous stage %.0f ms)", Double(start - $0.start) / 1e6) } ?? ""
      log("[\(i + 1)/\(steps.count)] \(step.name)\(took)")
      do {
        try step.body(self, run)
      } catch BuildError.stage(_, let message) {
        throw BuildError.stage(name: step.name, message: message)
      }
      run.context.record(step.name, seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
      previous = (start, step.name)
    }
  }
}
