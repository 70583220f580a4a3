import Foundation
import Testing

/// `:sweep:` (directives.md, "Sweeps"): one cache entry per point, one series per point, the
/// points as units of a plan, and errors at their position.
@Suite(.serialized) struct SweepTests {
  static func project(_ report: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-sweep-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try report.write(to: dir.appendingPathComponent("reports/s.md"), atomically: true, encoding: .utf8)
    return dir
  }

  static func report(_ sweep: String) -> String {
    """
    ---
    title: S
    seed: 4
    ---

    ```{kernel} ntk
    :label: fig-w
    :sweep: \(sweep)
    :activation: erf
    :w_std: $w
    :depths: [3]
    :rho: [-0.5, 0, 0.5, 1]

    Swept.
    ```

    ```{kernel} ntk
    :label: fig-one
    :activation: erf
    :w_std: 1.5
    :depths: [3]
    :rho: [-0.5, 0, 0.5, 1]

    One point written out; see @fig-w.
    ```

    """
  }

  static func series(_ dir: URL, _ label: String) throws -> [(name: String, y: [Double])] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/s/\(label).json"))
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let series = try #require(json["series"] as? [[String: Any]])
    return series.map { ($0["name"] as? String ?? "", ($0["y"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }) }
  }

  static func entries(_ dir: URL) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(".skelcache/results").path)) ?? [])
      .filter { $0.hasSuffix(".json") }.count
  }

  @Test func onePointPerSeriesAndOneEntryPerPoint() throws {
    let dir = try Self.project(Self.report("w = [1, 1.5, 2]"))
    defer { try? FileManager.default.removeItem(at: dir) }
    let first = try run(["build", "reports", "-q"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    let swept = try Self.series(dir, "fig-w")
    #expect(swept.map(\.name) == ["w=1", "w=1.5", "w=2"])
    // the point w=1.5 is the directive written out with w_std: 1.5
    let one = try Self.series(dir, "fig-one")
    #expect(swept[1].y == one[0].y && one[0].y.count == 4)
    #expect(swept[0].y != swept[2].y)
    #expect(Self.entries(dir) == 4, "three points and the written-out directive (the same options, another seed)")
    // adding a point computes that point only
    try Self.report("w = [1, 1.5, 2, 3]").write(to: dir.appendingPathComponent("reports/s.md"), atomically: true, encoding: .utf8)
    let second = try run(["build", "reports"], in: dir)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(Self.entries(dir) == 5)
    #expect(second.stdout.contains("recomputed: s/fig-w)"), "\(second.stdout)")
    let again = try Self.series(dir, "fig-w")
    #expect(again.map(\.name) == ["w=1", "w=1.5", "w=2", "w=3"] && Array(again.prefix(3).map(\.y)) == swept.map(\.y))
    // the plan has one unit per point
    #expect(try run(["plan", "reports", "--out", "plan.json", "-q"], in: dir).status == 0)
    let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("plan.json"))) as? [String: Any]
    let labels = (plan?["units"] as? [[String: Any]])?.compactMap { $0["label"] as? String }
    #expect(labels == ["fig-w[w=1]", "fig-w[w=1.5]", "fig-w[w=2]", "fig-w[w=3]", "fig-one"], "\(labels ?? [])")
  }

  @Test(arguments: [
    ("w = 3", "reports/s.md:8:13: error: the values of sweep variable 'w' must be a non-empty list such as [1, 2, 4]"),
    ("w = [1, 2]; v = [1]", "reports/s.md:8:21: error: sweep variable 'v' is used by no option: write $v in one"),
    ("w [1, 2]", "reports/s.md:8:9: error: a sweep variable is written 'NAME = [v1, v2, ...]'"),
    ("w = [1, 2]; w = [3]", "reports/s.md:8:21: error: sweep variable 'w' is given twice"),
  ])
  func badSweepsAreErrorsAtTheirPosition(_ sweep: String, _ expected: String) throws {
    let dir = try Self.project(Self.report(sweep))
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try run(["build", "reports", "-q"], in: dir)
    #expect(r.status == 1)
    #expect(r.stderr.contains(expected), "\(r.stderr)")
  }

  @Test func variablesWithoutASweepOrUnknownAreErrors() throws {
    let stray = Self.report("w = [1]").replacingOccurrences(of: ":w_std: 1.5", with: ":w_std: $w")
    let dir = try Self.project(stray)
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try run(["build", "reports", "-q"], in: dir)
    #expect(r.status == 1)
    #expect(
      r.stderr.contains("reports/s.md:20:2: error: option 'w_std' uses $w, but the directive has no :sweep: that gives it values"),
      "\(r.stderr)")
    let unknown = Self.report("w = [1]").replacingOccurrences(of: ":depths: [3]", with: ":depths: [3]\n:b_std: $b")
    try unknown.write(to: dir.appendingPathComponent("reports/s.md"), atomically: true, encoding: .utf8)
    let u = try run(["build", "reports", "-q"], in: dir)
    #expect(u.stderr.contains("reports/s.md:12:9: error: '$b' is not a sweep variable of this directive ($w)"), "\(u.stderr)")
  }
}
