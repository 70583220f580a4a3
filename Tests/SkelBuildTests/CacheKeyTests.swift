import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import Testing

/// Plans `files` (name → text; `refs.bib` is copied beside them) and returns each directive's
/// key by label.
func plannedKeys(_ files: [String: String], engine: String? = nil) throws -> [String: String] {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)")
  let reports = dir.appendingPathComponent("reports")
  try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  for (name, text) in files { try Data(text.utf8).write(to: reports.appendingPathComponent(name)) }
  let bib = packageRoot.appendingPathComponent("reports/refs.bib")
  try FileManager.default.copyItem(at: bib, to: reports.appendingPathComponent("refs.bib"))
  var config = BuildConfiguration(
    reports: reports, output: dir.appendingPathComponent("_site"), templates: packageRoot.appendingPathComponent("templates"), cache: nil)
  if let engine { config.engine = engine }
  let plan = try SiteBuilder(configuration: config, backend: CairoBackend()).plan()
  return Dictionary(uniqueKeysWithValues: plan.map { ("\($0.report)/\($0.label)", $0.key) })
}

/// The bundled reports, by file name.
func bundledReports() throws -> [String: String] {
  let folder = packageRoot.appendingPathComponent("reports")
  var out: [String: String] = [:]
  for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".md") {
    out[name] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
  }
  return out
}

/// Rewrites every directive of `text`: its option lines in reverse order, each value re-spaced
/// by `respace` (the option language ignores spaces between items).
func rewriteDirectives(_ text: String, respace: (String) -> String) -> String {
  var out: [String] = [], options: [String] = [], inside = false, header = false
  for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
    if !inside {
      out.append(line)
      if line.hasPrefix("```{kernel}") { (inside, header) = (true, true) }
      continue
    }
    if header, line.hasPrefix(":"), let end = line.dropFirst().firstIndex(of: ":") {
      let key = line[...end], value = line[line.index(after: end)...]
      options.append(key + " " + respace(value.trimmingCharacters(in: .whitespaces)))
      continue
    }
    if header {
      out += options.reversed()
      (options, header) = ([], false)
    }
    out.append(line)
    if line.hasPrefix("```") { inside = false }
  }
  return (out + options.reversed()).joined(separator: "\n")
}

@Suite struct CacheKeyTests {
  /// Re-ordered and re-spaced options of every bundled directive give the same keys: every
  /// result would come from the cache.
  @Test func respacedAndReorderedBundledDirectivesKeepTheirKeys() throws {
    let reports = try bundledReports()
    let keys = try plannedKeys(reports)
    #expect(keys.count > 40)
    let tight = try plannedKeys(reports.mapValues { rewriteDirectives($0) { $0.replacingOccurrences(of: ", ", with: ",") } })
    let loose = try plannedKeys(reports.mapValues { rewriteDirectives($0) { $0.replacingOccurrences(of: ",", with: " ,  ") } })
    #expect(tight == keys)
    #expect(loose == keys)
  }

  static func report(_ options: String, kind: String = "dual") -> [String: String] {
    ["a.md": "# A\n\n```{kernel} \(kind)\n:label: fig-a\n\(options)\n\nCaption @fig-a.\n```\n"]
  }

  /// Equivalent spellings of one value are one key; a different value is another.
  @Test(arguments: [
    (":rho: linspace(-1, 1, 3)", ":rho: [-1, 0, 1]", "dual"),
    (":rho: [-1, 0.0, 1.0]", ":rho: [-1, 0, 1e0]", "dual"),
    (":activations: [leaky_relu]", ":activations: [leaky_relu(alpha=0.2)]", "dual"),
    (":activations: [erf(b=2)]", ":activations: [erf(1, 2)]", "dual"),
    (":depths: [1, 2]", ":depths: [1,2]", "depth"),
    (":depths: [1, 2, 4, 8, 16]", "", "depth"),  // the default written out
    (":method: closed-form\n:normalized: true", ":normalized: true\n:method: closed-form", "dual"),
  ])
  func equivalentSpellingsShareAKey(_ a: String, _ b: String, _ kind: String) throws {
    #expect(try plannedKeys(Self.report(a, kind: kind)) == plannedKeys(Self.report(b, kind: kind)))
  }

  @Test func presentationOptionsAreNotInTheKeyAndComputeOptionsAre() throws {
    let base = try plannedKeys(Self.report(":rho: [0, 0.5]"))
    // size, formats and alt change how the result is shown, not the result
    #expect(try plannedKeys(Self.report(":rho: [0, 0.5]\n:size: 4in x 3in\n:formats: [svg]\n:alt: Two duals.")) == base)
    for changed in [
      ":rho: [0, 0.25]", ":rho: [0, 0.5]\n:method: hermite", ":rho: [0, 0.5]\n:activations: [relu]", ":rho: [0, 0.5]\n:normalized: false",
    ] {
      #expect(try plannedKeys(Self.report(changed)) != base, "\(changed)")
    }
    // the seed is in the key: another document seed is another result
    var seeded = Self.report(":rho: [0, 0.5]")
    seeded["a.md"] = "---\ntitle: A\nseed: 7\n---\n" + (seeded["a.md"] ?? "")
    #expect(try plannedKeys(seeded) != base)
  }

  /// Another engine (its sources changed) changes every key of the bundled reports.
  @Test func anotherEngineChangesEveryKey() throws {
    let reports = try bundledReports()
    let ours = try plannedKeys(reports), other = try plannedKeys(reports, engine: Engine.identity + "-changed")
    #expect(ours.keys.sorted() == other.keys.sorted())
    #expect(Set(ours.values).isDisjoint(with: Set(other.values)))
  }

  /// The key is a SHA-256 of a text that names the kind, the engine, the seed and the options.
  @Test func keyIsASHA256OfItsParts() throws {
    let keys = try plannedKeys(Self.report(":rho: [0, 0.5]"))
    let key = try #require(keys["a/fig-a"])
    #expect(key.count == 64 && key.allSatisfy(\.isHexDigit))
  }
}
