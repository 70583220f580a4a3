import Foundation
import SkelBuild
import SkelCairo
import SkelExperiments
import Testing

/// `:check: {OPTION: VALUE, tol: T}`: the directive computed again by another route, compared.
@Suite struct CheckDirectiveTests {
  static func report(_ check: String) -> String {
    "```{kernel} dual\n:label: fig-d\n:alt: d\n:activations: [relu]\n:rho: linspace(-1, 1, 21)\n:check: \(check)\n\nThe ReLU dual.\n```\n"
  }

  /// The closed form against adaptive quadrature: the measured error is in the JSON (below the
  /// tolerance) and the page shows the badge; a warm build recomputes nothing.
  @Test func aPassingCheckIsInTheProvenanceAndOnThePage() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Data(Self.report("{method: quadrature, tol: 1e-8}").utf8).write(to: dir.appendingPathComponent("reports/c.md"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    let builder = SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend())
    #expect(try builder.build().recomputed == ["c/fig-d"])
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/c/fig-d.json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let provenance = try #require(json["provenance"] as? [String: Any])
    let checks = try #require(provenance["checks"] as? [[String: Any]])
    #expect(checks.count == 1)
    #expect(checks.first?["method"] as? String == "method: quadrature")
    let err = try #require(checks.first?["max_abs_err"] as? Double)
    #expect(err < 1e-8 && checks.first?["passed"] as? Bool == true)
    let page = try String(contentsOf: dir.appendingPathComponent("_site/c/index.html"), encoding: .utf8)
    #expect(page.contains("check-badge pass") && page.contains("method: quadrature"))
    #expect(try builder.build().recomputed.isEmpty)
  }

  /// The truncated Hermite series misses the ReLU dual by more than 1e-12 near ρ = ±1: the
  /// build fails at the option with the measured error; bad checks are errors at their values.
  @Test func aFailingCheckFailsTheBuildWithItsNumbers() throws {
    let errors = try #require(try buildErrors(["c.md": Array(Self.report("{method: hermite, tol: 1e-12}").utf8)]))
    #expect(errors.count == 1)
    let e = try #require(errors.first)
    #expect(e.hasPrefix("c.md:6:9: error: check failed: computed again with method: hermite, the result differs by max |Δ| = "), "\(e)")
    #expect(e.hasSuffix("> tol 1e-12") && e.contains("series 'relu' at x = "), "\(e)")
    #expect(
      try buildErrors(["c.md": Array(Self.report("{method: hermite}").utf8)]) == [
        "c.md:6:9: error: ':check:' needs 'tol: T', the largest absolute difference allowed (a positive number)"
      ])
    #expect(
      try buildErrors(["c.md": Array(Self.report("{method: hermit, tol: 1e-3}").utf8)])?.first?.contains("hermit") == true)
  }
}
