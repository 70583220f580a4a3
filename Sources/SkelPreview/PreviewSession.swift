import Dispatch
import Foundation
import SkelBuild
import SkelDocument
import Synchronization

/// The preview's builds: the first one, then one per burst of saves, one at a time, each into
/// the preview's own site folder (`BuildConfiguration.output`, under the cache folder: the
/// output-folder rule holds as for `build`). One `SiteBuilder` with a `BuildMemory` lives as
/// long as the session, so a rebuild reads no result, image or formula it already holds: a prose
/// edit recomputes nothing, an option edit recomputes that directive, a template edit renders
/// the pages again. A failed rebuild keeps the last good site and its diagnostics become the
/// page's overlay; the terminal (`log`) prints the same text. After each build, every open page
/// gets `event: reload` (`ReloadEvents`).
///
/// It is `@unchecked Sendable` for its builder alone, which only the build queue uses (the
/// builder's figure backend is not `Sendable`); the rest is behind mutexes.
public final class PreviewSession: @unchecked Sendable {
  /// One build's outcome.
  public struct Outcome: Sendable {
    /// 1 for the first build, then one more per build.
    public var number: Int
    public var milliseconds: Double
    /// `report/label` of each directive computed (not held or cached); empty after a failure.
    public var recomputed: [String]
    /// The diagnostics, formatted as the terminal prints them (nil when the build succeeded).
    public var error: String?
    /// Builds that succeeded so far.
    public var good: Int
    /// Each step's time (empty after a failure).
    public var timings: [StepTiming] = []
    /// The reports whose page body was rendered (the others were unchanged); empty after a failure.
    public var rendered: [String] = []
  }

  let builder: SiteBuilder
  public let events = ReloadEvents()
  let log: @Sendable (String) -> Void
  let errors: @Sendable (String) -> Void
  private let state = Mutex<Outcome?>(nil)
  private let queue = DispatchQueue(label: "skelreport.preview.build")
  private let pending = Mutex(false)

  /// `builder`'s configuration names the preview's site folder as its output; its `memory` is set
  /// here. `log` gets progress lines, `errors` the diagnostics and warnings (default: `log`).
  public init(builder: SiteBuilder, log: @escaping @Sendable (String) -> Void, errors: (@Sendable (String) -> Void)? = nil) {
    var b = builder
    b.memory = b.memory ?? BuildMemory()
    self.builder = b
    self.log = log
    self.errors = errors ?? log
  }

  /// The folder the preview serves (the builder's output).
  public var site: URL { builder.configuration.output }

  /// The last build's outcome (nil before the first).
  public var last: Outcome? { state.withLock { $0 } }

  /// Builds now, on the caller's thread (serialized with the watcher's rebuilds), and tells the
  /// pages.
  @discardableResult
  public func rebuild() -> Outcome {
    queue.sync { buildOnce() }
  }

  /// A rebuild after a save: queued behind a running one; saves during a build make one more.
  public func changed(_ names: [String]) {
    let first = pending.withLock { p -> Bool in
      defer { p = true }
      return !p
    }
    guard first else { return }
    queue.async { [self] in
      pending.withLock { $0 = false }
      log("changed: \(names.joined(separator: ", "))")
      buildOnce()
    }
  }

  private func buildOnce() -> Outcome {
    let b = builder
    let start = DispatchTime.now().uptimeNanoseconds
    var recomputed: [String] = [], failure: String?, timings: [StepTiming] = [], rendered: [String] = []
    do {
      let summary = try b.build()
      recomputed = summary.recomputed
      timings = summary.timings
      rendered = summary.rendered
      for w in summary.warnings { errors(w) }
    } catch {
      failure = Self.describe(error)
    }
    let error = failure
    let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
    let outcome = state.withLock { s -> Outcome in
      let o = Outcome(
        number: (s?.number ?? 0) + 1, milliseconds: ms, recomputed: recomputed, error: error, good: (s?.good ?? 0) + (error == nil ? 1 : 0),
        timings: timings, rendered: rendered)
      s = o
      return o
    }
    if let error {
      errors(error)
    } else {
      let what =
        (recomputed.isEmpty ? "nothing recomputed" : "recomputed: " + recomputed.joined(separator: ", "))
        + "; pages rendered: " + (rendered.isEmpty ? "none" : rendered.joined(separator: ", "))
      let slowest = timings.sorted { $0.seconds > $1.seconds }.prefix(2).map { String(format: "%@ %.0f ms", $0.step, $0.seconds * 1000) }
      log(String(format: "built in %.0f ms (%@; slowest: %@)", ms, what, slowest.joined(separator: ", ")))
    }
    events.send("reload", data: Self.json(outcome))
    return outcome
  }

  /// The event's data: `{"build":3,"error":null,"ms":41.2,"recomputed":["a/fig-x"],"rendered":["a"]}`.
  static func json(_ o: Outcome) -> String {
    let object: [String: Any] = [
      "build": o.number, "ms": (o.milliseconds * 10).rounded() / 10, "recomputed": o.recomputed, "rendered": o.rendered,
      "error": o.error ?? NSNull(),
    ]
    let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  /// A build's failure as the terminal prints it: each diagnostic at file:line:col with its
  /// source line, then the count.
  public static func describe(_ error: Error) -> String {
    switch error {
    case BuildError.diagnostics(let list, let sources):
      let errors = list.filter { $0.severity == .error }.count
      let lines = list.map { $0.formatted(source: sources[$0.location.path]) }
      return (lines + ["\(errors) error\(errors == 1 ? "" : "s"); the preview shows the last good build"]).joined(separator: "\n")
    case BuildError.stage(let name, let message):
      return "error: \(name): \(message)"
    case let refusal as OutputSafety.Refusal:
      return "error: \(refusal.message)"
    default:
      return "error: \(error)"
    }
  }
}
