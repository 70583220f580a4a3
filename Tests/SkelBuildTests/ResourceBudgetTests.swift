import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelMath
import Testing

/// A directive whose options multiply into more memory or work than the budget allows: refused
/// before anything runs, with the estimate and the option that drives it.
struct BombCase: Sendable, CustomTestStringConvertible {
  var kind: String
  var options: String
  /// Said in the message: the driving option, as ':name:'.
  var driver: String
  /// "memory" or "work".
  var resource: String
  var testDescription: String { "\(kind): \(driver)" }
}

func repeated(_ item: String, _ n: Int) -> String { "[" + Array(repeating: item, count: n).joined(separator: ", ") + "]" }

let bombCases: [BombCase] = [
  BombCase(kind: "dual", options: ":method: quadrature\n:rho: linspace(-1, 1, 1000000)", driver: "':rho:'", resource: "work"),
  BombCase(kind: "hermite-table", options: ":activations: \(repeated("relu", 100_000))", driver: "':activations:'", resource: "work"),
  BombCase(kind: "depth", options: ":depths: \(repeated("1", 100_000))", driver: "':depths:'", resource: "memory"),
  BombCase(kind: "fixed-point", options: ":starts: linspace(-1, 1, 1000000)\n:depth: 100000", driver: "':starts:'", resource: "memory"),
  BombCase(kind: "phase-diagram", options: ":sigma_w2: linspace(0.5, 4, 1000000)\n:sigma_b2: linspace(0, 0.3, 1000000)", driver: "':sigma_w2:' and ':sigma_b2:'", resource: "memory"),
  BombCase(kind: "depth-scales", options: ":sigma_w2: linspace(1, 4, 1000000)", driver: "':sigma_w2:'", resource: "work"),
  BombCase(kind: "skeleton", options: ":correlations: \(repeated("0.5", 20_000))\n:window: 10000\n:layers: 1", driver: "':correlations:'", resource: "memory"),
  BombCase(kind: "nngp", options: ":activation: expr(x*tanh(x))\n:rho: linspace(-1, 1, 1000000)\n:depths: [10000]", driver: "':rho:'", resource: "work"),
  BombCase(kind: "ntk", options: ":activation: expr(x*tanh(x))\n:rho: linspace(-1, 1, 1000000)\n:depths: [10000]", driver: "':depths:'", resource: "work"),
  BombCase(kind: "weights", options: ":samples: 10000000\n:dimension: 4096\n:theta: linspace(0, pi, 1000000)", driver: "':samples:'", resource: "work"),
  BombCase(kind: "concentration", options: ":widths: linspace(1000000, 1000000, 100)\n:seeds: 100000", driver: "':seeds:'", resource: "work"),
  BombCase(kind: "spectrum", options: ":points: 6000\n:dimensions: \(repeated("3", 64))", driver: "':points:'", resource: "work"),
  BombCase(kind: "regression", options: ":sizes: [5000]\n:repetitions: 1000", driver: "':repetitions:'", resource: "work"),
  BombCase(kind: "clt", options: ":samples: 100000000\n:dimensions: linspace(2, 1000000, 1000)", driver: "':samples:'", resource: "work"),
  BombCase(kind: "nnpk", options: ":width: 16384\n:depth: 64\n:networks: [1, 100000]", driver: "':width:'", resource: "memory"),
  BombCase(kind: "rainbow", options: ":mode: kernel\n:samples: 100000000\n:anisotropy: linspace(1, 16, 1000000)", driver: "':samples:'", resource: "work"),
  BombCase(kind: "realization", options: ":width: 20000\n:theta: linspace(0, pi, 1000000)", driver: "':width:'", resource: "memory"),
]

/// The errors of building one report with the given budget, or `nil` when the build succeeded.
func budgetBuild(_ report: String, memory: Double = Cost.defaultMemory, seconds: Double = Cost.defaultSeconds) throws -> [Diagnostic]? {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-budget-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  try report.write(to: dir.appendingPathComponent("reports/e.md"), atomically: true, encoding: .utf8)
  var config = BuildConfiguration(
    reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
    templates: packageRoot.appendingPathComponent("templates"), cache: nil)
  config.maxMemoryBytes = memory
  config.maxSeconds = seconds
  do {
    try SiteBuilder(configuration: config, backend: CairoBackend()).build()
    return nil
  } catch BuildError.diagnostics(let list, _) {
    return list.filter { $0.severity == .error }
  }
}

/// The resolved options of a directive written in a report.
func resolved(_ kind: String, _ options: String) throws -> ResolvedOptions {
  let (doc, _) = DocumentParser.parse(SourceFile(path: "e.md", text: directive(kind, options)), name: "e")
  let d = try #require(doc.directives.first)
  let (o, problems) = DirectiveValidator.validate(d, schemas: ExperimentRegistry.standard.schemas)
  #expect(problems.isEmpty, "\(problems)")
  return try #require(o)
}

@Suite(.serialized) struct ResourceBudgetTests {
  @Test func everyKindHasABomb() {
    #expect(Set(bombCases.map(\.kind)) == Set(ExperimentRegistry.standard.kinds.keys))
  }

  @Test(arguments: bombCases)
  func bombIsRefused(c: BombCase) throws {
    let errors = try #require(try budgetBuild(directive(c.kind, c.options)), "\(c.kind): the build should have failed")
    #expect(errors.count == 1, "\(errors.map(\.message))")
    let e = try #require(errors.first)
    #expect(e.location.line == 7 && e.location.column == 13, "at the kind: \(e.location)")
    #expect(e.message.hasPrefix("directive 'fig-a' (\(c.kind)) would need about "), "\(e.message)")
    #expect(e.message.contains(" of \(c.resource) ("), "\(e.message)")
    #expect(e.message.contains(c.driver), "\(e.message)")
    #expect(e.message.hasSuffix(c.resource == "memory" ? "the budget is 4 GiB (--max-memory)" : "the budget is 10 minutes (--max-minutes)"), "\(e.message)")
  }

  @Test func phaseDiagramMessageWordForWord() throws {
    let errors = try #require(try budgetBuild(directive("phase-diagram", bombCases[4].options)))
    #expect(errors.first?.message.hasPrefix("directive 'fig-a' (phase-diagram) would need about ") == true)
    #expect(errors.first?.message.contains(" TiB of memory (grid 1000000 × 1000000 from ':sigma_w2:' and ':sigma_b2:'); the budget is 4 GiB (--max-memory)") == true, "\(errors.first?.message ?? "")")
  }

  /// A small directive refused at a 1 MiB (or 1 ms) budget builds at the default budget.
  @Test func flagsMoveTheLimit() throws {
    let report = directive("dual", ":rho: linspace(-1, 1, 5000)\n:activations: [relu, step]")
    let byMemory = try #require(try budgetBuild(report, memory: 1024 * 1024))
    #expect(byMemory.count == 1 && byMemory[0].message.contains("of memory (2 activations × 5000 correlations from ':activations:' and ':rho:'); the budget is 1 MiB (--max-memory)"), "\(byMemory.map(\.message))")
    let byTime = try #require(try budgetBuild(report, seconds: 0.001))
    #expect(byTime.count == 1 && byTime[0].message.contains("of work (") && byTime[0].message.hasSuffix("the budget is 0.001 seconds (--max-minutes)"), "\(byTime.map(\.message))")
    #expect(try budgetBuild(report) == nil, "passes at the default budget")
  }

  /// A budget raised beyond the machine still refuses what the machine cannot hold, and the
  /// kernel itself refuses the allocation instead of aborting in the allocator.
  @Test func raisedBudgetStopsAtTheMachine() throws {
    let realization = bombCases.first { $0.kind == "realization" }!
    let errors = try #require(try budgetBuild(directive("realization", realization.options), memory: 1e15, seconds: 1e9))
    #expect(errors.count == 1 && errors[0].message.contains("of memory (width 20000") && errors[0].message.contains("this machine has"), "\(errors.map(\.message))")
    var g = SeededGenerator(seed: 1, label: "x")
    #expect(throws: AllocationGuard.Refusal.self) {
      _ = try ExplicitRealization.normalizedKernels(thetas: Array(repeating: 1, count: 1_000_000), width: 20000, depth: 1, slope: 0, law: .gaussian, generator: &g)
    }
  }

  /// A directive with another error is reported for that error; its cost is not estimated (an
  /// estimate never parses an unchecked expression).
  @Test func otherErrorsComeFirst() throws {
    let errors = try #require(try budgetBuild(directive("dual", ":activations: [expr(x*tnah(x))]\n:method: quadrature\n:rho: linspace(-1, 1, 1000000)")))
    #expect(errors.count == 1 && errors[0].message.hasPrefix("in expr(…): unknown function 'tnah'"), "\(errors.map(\.message))")
  }

  @Test func budgetFlagsParse() {
    #expect(ResourceBudget.parseBytes("8GiB") == Double(8 << 30))
    #expect(ResourceBudget.parseBytes("512 MiB") == Double(512 << 20))
    #expect(ResourceBudget.parseBytes("1.5T") == 1.5 * pow(1024, 4))
    #expect(ResourceBudget.parseBytes("100") == 100)
    for bad in ["", "GiB", "-1GiB", "0", "8 gigs", "1e999", "nan"] { #expect(ResourceBudget.parseBytes(bad) == nil, "\(bad)") }
    #expect(ResourceBudget.parseMinutes("30") == 1800)
    for bad in ["0", "-5", "inf", "x", ""] { #expect(ResourceBudget.parseMinutes(bad) == nil, "\(bad)") }
  }

  @Test func formats() {
    #expect(Cost.format(bytes: 7.5 * pow(1024, 4)) == "7.5 TiB")
    #expect(Cost.format(bytes: 4 * pow(1024, 3)) == "4 GiB")
    #expect(Cost.format(bytes: 500) == "500 bytes")
    #expect(Cost.format(seconds: 600) == "10 minutes")
    #expect(Cost.format(seconds: 45) == "45 seconds")
    #expect(Cost.format(seconds: 3 * 3600) == "3 hours")
    #expect(Cost.format(seconds: .infinity) == "unbounded time")
  }

  /// Every directive of the bundled reports fits a quarter of the default budget.
  @Test func bundledReportsFitTheBudget() throws {
    let folder = packageRoot.appendingPathComponent("reports")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".md") }.sorted()
    #expect(files.count >= 5)
    var checked = 0
    for file in files {
      let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
      let (doc, _) = DocumentParser.parse(SourceFile(path: file, text: text), name: file)
      for d in doc.directives where !d.kind.isEmpty {
        let (options, _) = DirectiveValidator.validate(d, schemas: ExperimentRegistry.standard.schemas)
        guard let options, let kind = ExperimentRegistry.standard.kinds[d.kind] else { continue }
        let c = kind.cost(options)
        #expect(c.bytes < Cost.defaultMemory / 4, "\(file):\(d.location.line) \(d.kind): \(c)")
        #expect(c.seconds < Cost.defaultSeconds / 4, "\(file):\(d.location.line) \(d.kind): \(c)")
        #expect(c.bytes > 0 && c.seconds > 0 && !c.drivers.isEmpty)
        checked += 1
      }
    }
    #expect(checked >= 20)
  }

  /// Products never overflow: the largest value of every option gives a finite estimate.
  @Test func estimatesAreFinite() throws {
    for c in bombCases {
      let cost = ExperimentRegistry.standard.kinds[c.kind]!.cost(try resolved(c.kind, c.options))
      #expect(cost.bytes.isFinite && cost.seconds.isFinite && cost.bytes > Cost.defaultMemory / 1e6, "\(c.kind): \(cost)")
    }
  }

  // Memory estimates against the storage of the matrices the kind's computation creates, at a
  // small size (the estimate may be larger, for copies and workspaces, but within a factor 3).

  static func ratio(_ estimate: Double, _ actualDoubles: Int) -> Double { estimate / Double(8 * actualDoubles) }

  @Test func spectrumMemoryMatchesItsMatrices() throws {
    let o = try resolved("spectrum", ":points: 300\n:dimensions: [2]\n:quantity: tail_sums\n:targets: [gp]")
    var g = SeededGenerator(seed: 1, label: "x")
    let x = KernelRegression.uniformInputs(300, dimension: 2, generator: &g)
    let (sigma, theta) = try KernelRegression.grams(KernelRegression.network(depth: 1, wStd: 2.0.squareRoot(), bStd: 1, wStdOut: 2.0.squareRoot()), x)
    let (values, vectors) = try theta.symmetricEigen()
    let actual = sigma.storage.count + theta.storage.count + vectors.storage.count + values.count + x.storage.count
    let r = Self.ratio(SpectrumKind().cost(o).bytes - 64 * 1024, actual)
    #expect(r >= 1 / 3.0 && r <= 3, "estimate / actual = \(r)")
  }

  @Test func regressionMemoryMatchesItsMatrices() throws {
    let (n, m) = (200, 100)
    let o = try resolved("regression", ":sizes: [\(n)]\n:test_points: \(m)\n:repetitions: 1")
    var g = SeededGenerator(seed: 1, label: "x")
    let joint = KernelRegression.uniformInputs(n + m, dimension: 5, generator: &g)
    let (sigma, theta) = try KernelRegression.grams(KernelRegression.network(depth: 1, wStd: 2.0.squareRoot(), bStd: 1, wStdOut: 2.0.squareRoot()), joint)
    let block = theta.block(0..<n, 0..<n)
    let (_, u) = try block.symmetricEigen()
    let b = theta.block(n..<(n + m), 0..<n) * u
    let l = try sigma.cholesky()
    let actual = sigma.storage.count + theta.storage.count + block.storage.count + u.storage.count + b.storage.count + l.storage.count
    let r = Self.ratio(RegressionKind().cost(o).bytes - 64 * 1024 - 300 * 2, actual)
    #expect(r >= 1 / 3.0 && r <= 3, "estimate / actual = \(r)")
  }

  @Test func rainbowSpectrumMemoryMatchesItsMatrices() throws {
    let (n, d) = (400, 64)
    let o = try resolved("rainbow", ":mode: spectrum\n:atoms: \(n)\n:dimension: \(d)")
    // the matrices `spectrum` holds at once: C, its factor, the estimate, eigenvectors, the
    // inverse root and its product, the atoms W and the whitened G
    let w = MonteCarloKernel.gaussianMatrix(rows: n, columns: d, seed: 1, label: "w")
    let c = w.transposed.gram(dividedBy: Double(n))
    let (_, vectors) = try c.symmetricEigen()
    let whitened = w * (vectors * vectors.transposed)
    let actual = 2 * c.storage.count + 4 * vectors.storage.count + w.storage.count + whitened.storage.count
    let r = Self.ratio(RainbowKind().cost(o).bytes - 64 * 1024 - 300 * Double(2 * d + 201), actual)
    #expect(r >= 1 / 3.0 && r <= 3, "estimate / actual = \(r)")
  }

  @Test func phaseDiagramMemoryMatchesItsGrid() throws {
    let o = try resolved("phase-diagram", ":sigma_w2: linspace(0.5, 4, 300)\n:sigma_b2: linspace(0, 0.3, 200)")
    // the result's grid: 300 × 200 cells and its axes; the estimate counts the copies made for
    // the heat map as well
    let cells = 300 * 200 + 500
    let r = Self.ratio(PhaseDiagramKind().cost(o).bytes - 64 * 1024, cells)
    #expect(r >= 1 && r <= 8, "estimate / grid = \(r)")
  }
}
