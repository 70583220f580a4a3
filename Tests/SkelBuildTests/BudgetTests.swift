import Foundation
import SkelBuild
import SkelDocument
import SkelExperiments
import Testing

/// Parses one directive and checks it against a budget: the formatted errors.
func budgetErrors(_ kind: String, _ options: String, budget: Budget = .standard) -> [String] {
  let source = SourceFile(path: "b.md", text: "```{kernel} \(kind)\n:label: fig-b\n\(options)\n\nCaption.\n```\n")
  let (doc, _) = DocumentParser.parse(source, name: "b")
  let d = doc.directives[0]
  let (resolved, vp) = DirectiveValidator.validate(d, schemas: ExperimentRegistry.standard.schemas)
  guard let resolved else { return vp.map { "invalid: \($0.message)" } }
  guard let typed = ExperimentRegistry.standard.kinds[kind]!.configure(resolved, directive: d).0 else { return ["not typed"] }
  let (_, problems) = SiteBuilder.checkBudget(d, typed, label: "fig-b", budget: budget)
  return problems.map { "\($0.location.line):\($0.location.column): \($0.message)" }
}

@Suite struct BudgetTests {
  /// One bomb per kind: (kind, options, the option the message must name, "memory" or "work").
  static let bombs: [(String, String, String, String)] = [
    (
      "dual",
      ":method: quadrature\n:activations: [tanh, softplus, silu, sigmoid, elu, gelu_tanh, tanh, softplus, silu, sigmoid, elu, gelu_tanh]\n:rho: linspace(-1, 1, 1000000)",
      "rho", "work"
    ),
    (
      "hermite-table", ":activations: [" + Array(repeating: "tanh", count: 10_000).joined(separator: ", ") + "]\n:terms: 12", "activations",
      "work"
    ),
    ("depth", ":activation: tanh\n:depths: [100000]\n:rho: linspace(-1, 1, 1000000)", "rho", "work"),
    ("fixed-point", ":activation: tanh\n:starts: linspace(-1, 1, 1000000)\n:depth: 100000", "starts", "memory"),
    (
      "skeleton",
      ":architecture: fully-connected\n:correlations: [" + Array(repeating: "0.5", count: 20000).joined(separator: ", ")
        + "]\n:layers: 100\n:t: linspace(0, 1, 1000000)\n:activation: tanh", "t", "work"
    ),
    ("nngp", ":activation: tanh\n:depths: [10000]\n:rho: linspace(-1, 1, 1000000)", "rho", "work"),
    ("ntk", ":activation: tanh\n:depths: [10000]\n:rho: linspace(-1, 1, 1000000)", "rho", "work"),
    ("phase-diagram", ":sigma_w2: linspace(0.5, 4, 1000000)\n:sigma_b2: linspace(0, 0.3, 1000000)", "sigma_w2", "memory"),
    ("depth-scales", ":sigma_w2: linspace(1, 4, 1000000)", "sigma_w2", "work"),
    ("weights", ":samples: 10000000\n:dimension: 4096\n:theta: linspace(0, pi, 1000000)", "samples", "work"),
    ("realization", ":width: 20000\n:theta: linspace(0, pi, 1000000)", "theta", "memory"),
    ("concentration", ":widths: linspace(1, 1000000, 1000)\n:seeds: 100000\n:depths: [100]", "widths", "work"),
    ("spectrum", ":points: 6000\n:dimensions: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]", "points", "work"),
    ("regression", ":sizes: [5000]\n:repetitions: 1000\n:test_points: 10000", "sizes", "memory"),
    ("clt", ":samples: 100000000\n:dimensions: linspace(2, 1000000, 1000)", "samples", "work"),
    ("nnpk", ":networks: [100000]\n:width: 16384\n:depth: 64\n:points: 3000", "width", "memory"),
    ("rainbow", ":mode: kernel\n:samples: 100000000\n:anisotropy: linspace(1, 16, 1000000)", "samples", "work"),
    // above 5000 inputs the matrix is tiled (a few tiles in memory): 2·10¹⁰ pairs are a work bomb
    ("gram", ":inputs: gaussian(n=200000, d=10)\n:kernel: [nngp, ntk]", "inputs", "work"),
    ("gram", ":inputs: gaussian(n=200000, d=10)\n:kernel: [nngp, ntk]\n:storage: memory", "inputs", "memory"),
    ("spectrum", ":inputs: fashion-mnist(n=60000, split=train)", "inputs", "memory"),
    ("predict", ":inputs: gaussian(n=200000, d=10)", "inputs", "memory"),
    ("fit", ":inputs: gaussian(n=4000, d=10)\n:w_std: linspace(0.5, 2.5, 100)\n:b_std: linspace(0, 1, 100)", "w_std", "work"),
    // conv networks: the full spatial covariance a global pool reads (64² positions, 4096² a pair) at N = 2000
    (
      "gram", ":inputs: images(n=2000, height=64, width=64)\n:network: [conv(window=3, padding=same), relu, global_avg_pool, dense]",
      "inputs", "work"
    ),
    // 128×128 with a global pool: one pair's covariance is 128⁴ doubles (2 GiB) on each thread
    (
      "gram", ":inputs: images(n=2, height=128, width=128)\n:network: [conv(window=3, padding=same), relu, global_avg_pool, dense]",
      "inputs", "memory"
    ),
    // a deep stack on the diagonal covariance (flatten): 200 conv layers at N = 3000 of 32×32
    (
      "gram", ":inputs: images(n=3000, height=32, width=32)\n:network: [repeat(200, [conv(window=3, padding=same), relu]), flatten, dense]",
      "inputs", "work"
    ),
  ]

  /// Kinds whose work does not grow with any option (a fixed table), so no option makes a bomb.
  static let fixedCost: Set<String> = ["parity"]

  /// Kinds whose work is bounded by the size of a file the build reads (the reader refuses files
  /// over DataLimits.maxElements numbers), so no option makes a bomb: their estimate at that bound
  /// must still fit the standard budget.
  static let boundedByFiles: [String: String] = ["plot": ":data: a.csv\n:x: a\n:y: [b]\n"]

  @Test func everyKindHasABomb() throws {
    #expect(
      Set(Self.bombs.map(\.0)).union(Self.fixedCost).union(Self.boundedByFiles.keys) == Set(ExperimentRegistry.standard.kinds.keys))
    for (kind, body) in Self.boundedByFiles {
      let text = "```{\(kind)}\n:label: fig-x\n\(body)```\n"
      let d = DirectiveReader.read(
        info: "{\(kind)}", body: ":label: fig-x\n\(body)", fenceLine: 1, fenceColumn: 1, source: SourceFile(path: "a.md", text: text),
        index: 0
      ).0!
      let options = try #require(DirectiveValidator.validate(d, schemas: ExperimentRegistry.standard.schemas).0)
      let cost = try ExperimentRegistry.standard.kinds[kind]!.cost(options)
      #expect(cost.seconds > 0 && cost.seconds < Budget.standard.seconds, "\(kind): \(cost)")
      #expect((cost.bytes ?? .max) > 0 && (cost.bytes ?? .max) < Budget.standard.bytes, "\(kind): \(cost)")
    }
    // …and a fixed-cost kind really is cheap at its defaults.
    for kind in Self.fixedCost {
      let schema = ExperimentRegistry.standard.schemas[kind]!
      let d = DirectiveReader.read(
        info: "{kernel} \(kind)", body: ":label: tbl-x\n", fenceLine: 1, fenceColumn: 1,
        source: SourceFile(path: "a.md", text: "```{kernel} \(kind)\n:label: tbl-x\n```\n"), index: 0
      ).0!
      let options = DirectiveValidator.validate(d, schemas: [kind: schema]).0!
      let cost = try ExperimentRegistry.standard.kinds[kind]!.cost(options)
      #expect(cost.seconds < 1 && (cost.bytes ?? .max) < 1 << 20, "\(kind): \(cost)")
    }
  }

  @Test(arguments: bombs.indices) func bombIsRefusedWithItsEstimateAndDriver(_ i: Int) {
    let (kind, options, option, what) = Self.bombs[i]
    // depth-scales at its largest grid (10⁶ points) takes minutes, not hours: bounded by its
    // ranges, so its bomb is shown against a 1-minute budget; hermite-table is bounded by the
    // list cap (10 000 activations, a few seconds), so its bomb is shown against 1 second
    let small: [String: Budget] = [
      "depth-scales": Budget(bytes: 4 << 30, seconds: 60), "hermite-table": Budget(bytes: 4 << 30, seconds: 1),
    ]
    let errors = budgetErrors(kind, options, budget: small[kind] ?? .standard)
    let hit = errors.first { $0.contains("(\(kind)) would need about") && $0.contains("of \(what)") }
    #expect(hit != nil, "\(kind): \(errors)")
    #expect(hit?.contains("':\(option):'") == true, "\(kind): \(hit ?? "")")
    #expect(hit?.contains(what == "memory" ? "(--max-memory)" : "(--max-minutes)") == true || hit?.contains("this machine has") == true)
    // the position is the driving option's line, not line 1
    #expect(hit.map { !$0.hasPrefix("1:") } == true)
  }

  @Test func phaseDiagramMessageStatesTheGridAndTheBudget() {
    let e = budgetErrors("phase-diagram", ":sigma_w2: linspace(0.5, 4, 1000000)\n:sigma_b2: linspace(0, 0.3, 1000000)")
    #expect(
      e.first
        == "3:2: directive 'fig-b' (phase-diagram) would need about 15 TiB of memory (grid 1000000 × 1000000 from ':sigma_w2:' and ':sigma_b2:'); the budget is 4 GiB (--max-memory)"
    )
  }

  @Test func raisingTheBudgetNeverLetsAnAbsurdAllocationThrough() {
    let huge = Budget(bytes: .max, seconds: .infinity)
    let e = budgetErrors("realization", ":width: 20000\n:theta: linspace(0, pi, 1000000)", budget: huge)
    #expect(e.contains { $0.contains("this machine has") }, "\(e)")
    #expect(Cost.product([1 << 40, 1 << 30]) == nil)
    #expect(Cost.formatBytes(nil) == "more than 2^63 bytes")
  }

  @Test func normalDirectivesPass() {
    for (kind, _, _, _) in Self.bombs { #expect(budgetErrors(kind, "") == [], "\(kind) with its defaults") }
  }

  @Test func bundledReportsFitTheDefaultBudget() throws {
    let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../reports").standardized
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".md") }
    #expect(files.count >= 5)
    var checked = 0, total = 0.0
    for f in files {
      let source = SourceFile(path: f, text: try String(contentsOf: folder.appendingPathComponent(f), encoding: .utf8))
      let (doc, _) = DocumentParser.parse(source, name: f)
      for d in doc.directives where !d.kind.isEmpty {
        guard let kind = ExperimentRegistry.standard.kinds[d.kind] else { continue }
        let (resolved, _) = DirectiveValidator.validate(d, schemas: ExperimentRegistry.standard.schemas)
        guard let resolved else { continue }
        let typed = try #require(kind.configure(resolved, directive: d).0)
        let (cost, problems) = SiteBuilder.checkBudget(d, typed, label: d.label ?? "x", budget: .standard)
        #expect(problems.isEmpty, "\(f): \(problems.map(\.message))")
        total += cost.seconds
        checked += 1
      }
    }
    #expect(checked >= 20)
    #expect(total < 3600)
  }
}
