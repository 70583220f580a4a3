import SkelDocument
import SkelExperiments
import Testing

func resolved(_ kind: String, _ options: String) -> ResolvedOptions {
  let source = SourceFile(path: "c.md", text: "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n")
  let (doc, _) = DocumentParser.parse(source, name: "c")
  return DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas).0!
}

/// Bytes of a result's arrays (x, y, errors, grid), 8 per double.
func resultBytes(_ r: ExperimentResult) -> Int {
  8 * (r.series.reduce(0) { $0 + $1.x.count + $1.y.count + ($1.yerr?.count ?? 0) } + (r.grid?.values.reduce(0) { $0 + $1.count } ?? 0))
}

/// Memory estimates against the arrays the run actually returns, at small sizes: the estimate
/// covers them (≥ 1×) and is not wildly above (≤ 3× for the kinds whose big term is the result).
@Suite struct CostTests {
  @Test(arguments: [
    ("phase-diagram", ":sigma_w2: linspace(0.5, 4, 7)\n:sigma_b2: linspace(0, 0.3, 5)\n:eoc_points: 0"),
    ("dual", ":activations: [relu, step]\n:rho: linspace(-1, 1, 301)"),
    ("depth", ":depths: [1, 2, 3, 40]\n:rho: linspace(-1, 1, 201)"),
    ("nngp", ":depths: [1, 2, 3, 4, 5, 6]\n:rho: linspace(-1, 1, 2001)"),
  ])
  func memoryEstimateCoversTheResult(_ kind: String, _ options: String) throws {
    let o = resolved(kind, options)
    let k = ExperimentRegistry.standard.kinds[kind]!
    let actual = resultBytes(try k.run(o, context: RunContext(seed: 1)))
    let estimate = try #require(try k.cost(o).bytes)
    #expect(estimate >= actual && estimate <= 3 * actual, "\(kind): estimate \(estimate) vs actual \(actual)")
  }

  @Test func workGrowsWithTheDrivingOptions() throws {
    let k = ExperimentRegistry.standard.kinds["weights"]!
    let a = try k.cost(resolved("weights", ":samples: 1000")).seconds, b = try k.cost(resolved("weights", ":samples: 10000")).seconds
    #expect(abs(b / a - 10) < 1e-9)
    let c = try k.cost(resolved("weights", ":samples: 10000000\n:dimension: 4096\n:theta: linspace(0, pi, 1000000)"))
    #expect(c.workDriver.options.contains("samples"))
    #expect(c.seconds > 1e9)
  }

  @Test func overflowIsReportedNotTrapped() {
    #expect(Cost.product([Int.max, 2]) == nil)
    #expect(Cost.product([3, 4, 8]) == 96)
    var b = CostBuilder()
    b.doubles([1 << 31, 1 << 31, 1 << 4], "huge", options: ["x"])
    #expect(b.cost.bytes == nil)
    #expect(Cost.formatBytes(b.cost.bytes) == "more than 2^63 bytes")
    #expect(Cost.formatBytes(4 << 30) == "4 GiB")
  }
}
