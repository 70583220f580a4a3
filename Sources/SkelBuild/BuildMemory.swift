import Foundation
import SkelExperiments
import Synchronization

/// What a long-lived builder (`skelreport preview`) keeps in memory between builds, so that a
/// rebuild after a save reads no cache file it read before: results by cache key, drawn images
/// by figure key, typeset formulas by request, and each directive's data files (JSON and CSV, whose
/// encoding is most of a warm build's page rendering), and each page's body HTML. Everything in it was computed, or read and
/// verified, by an earlier build of the same builder with the same keys, so using it gives the
/// same bytes as the disk caches (which are still written). After each finished build,
/// `forgetUnused` drops what that build did not use, so edits do not grow it without bound.
public final class BuildMemory: Sendable {
  struct State {
    var results: [String: SiteBuilder.ExperimentResultWithTime] = [:]
    var images: [String: [UInt8]] = [:]
    var math: [KatexRenderer.Request: String] = [:]
    var data: [String: DataFiles] = [:]
    var bodies: [String: String] = [:]
    var published: PublishedSite?
    var used = Used()
  }
  struct Used {
    var results = Set<String>()
    var images = Set<String>()
    var math = Set<KatexRenderer.Request>()
    var data = Set<String>()
    var bodies = Set<String>()
  }
  /// A directive's `<label>.json` and `<label>.csv` bytes.
  struct DataFiles {
    var json: [UInt8]
    var csv: [UInt8]
  }
  private let state = Mutex(State())

  public init() {}

  /// How many results, images and formulas are held.
  public var counts: (results: Int, images: Int, formulas: Int) {
    state.withLock { ($0.results.count, $0.images.count, $0.math.count) }
  }

  func result(_ key: String) -> SiteBuilder.ExperimentResultWithTime? {
    state.withLock { s in
      s.used.results.insert(key)
      return s.results[key]
    }
  }

  func keep(_ result: SiteBuilder.ExperimentResultWithTime, key: String) {
    state.withLock {
      $0.results[key] = result
      $0.used.results.insert(key)
    }
  }

  func image(_ key: String) -> [UInt8]? {
    state.withLock { s in
      s.used.images.insert(key)
      return s.images[key]
    }
  }

  func keep(image bytes: [UInt8], key: String) {
    state.withLock {
      $0.images[key] = bytes
      $0.used.images.insert(key)
    }
  }

  /// The formulas of `requests` held in memory (nil when any is missing: the math cache is read).
  func math(_ requests: [KatexRenderer.Request]) -> [KatexRenderer.Request: String]? {
    state.withLock { s in
      var out: [KatexRenderer.Request: String] = [:]
      for r in requests {
        guard let html = s.math[r] else { return nil }
        out[r] = html
      }
      s.used.math.formUnion(requests)
      return out
    }
  }

  func keep(math: [KatexRenderer.Request: String]) {
    state.withLock {
      $0.math.merge(math) { _, new in new }
      $0.used.math.formUnion(math.keys)
    }
  }

  /// The data files written for `key` (`SiteBuilder.dataKey`: everything they are made of).
  func data(_ key: String) -> DataFiles? {
    state.withLock { s in
      s.used.data.insert(key)
      return s.data[key]
    }
  }

  func keep(data: DataFiles, key: String) {
    state.withLock {
      $0.data[key] = data
      $0.used.data.insert(key)
    }
  }

  /// A page body rendered before from the same inputs (`SiteBuilder.pageBody`).
  func body(_ key: String) -> String? {
    state.withLock { s in
      s.used.bodies.insert(key)
      return s.bodies[key]
    }
  }

  func keep(body: String, key: String) {
    state.withLock {
      $0.bodies[key] = body
      $0.used.bodies.insert(key)
    }
  }

  /// What the preview's site holds after the last in-place update (`BuildConfiguration.updateInPlace`).
  var published: PublishedSite? {
    get { state.withLock { $0.published } }
    set { state.withLock { $0.published = newValue } }
  }

  /// Drops what the build that just finished did not use, and starts counting anew.
  func forgetUnused() {
    state.withLock { s in
      s.results = s.results.filter { s.used.results.contains($0.key) }
      s.images = s.images.filter { s.used.images.contains($0.key) }
      s.math = s.math.filter { s.used.math.contains($0.key) }
      s.data = s.data.filter { s.used.data.contains($0.key) }
      s.bodies = s.bodies.filter { s.used.bodies.contains($0.key) }
      s.used = Used()
    }
  }
}
