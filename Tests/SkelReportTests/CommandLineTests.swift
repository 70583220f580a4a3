import Foundation
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `skelreport` binary next to this test bundle (same build configuration).
func binary() -> URL {
  let bundleDir = Bundle.main.bundleURL.deletingLastPathComponent()
  for dir in [bundleDir, root.appendingPathComponent(".build/debug")] {
    let url = dir.appendingPathComponent("skelreport")
    if FileManager.default.isExecutableFile(atPath: url.path) { return url }
  }
  return root.appendingPathComponent(".build/debug/skelreport")
}

/// `skelreport shard plan.json --cache-dir shared --threads 1 ARGS` for every job at once in
/// `dir` (with the job's variables added to this process's environment), each logging to
/// `shard-K.log`; expects every one to exit 0 (its log in the message).
func runShardsAtOnce(_ jobs: [([String], [String: String])], in dir: URL) throws {
  var processes: [(Process, URL)] = []
  for (k, (args, env)) in jobs.enumerated() {
    let p = Process()
    p.executableURL = binary()
    p.arguments = ["shard", "plan.json", "--cache-dir", "shared", "--threads", "1"] + args
    p.currentDirectoryURL = dir
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    let log = dir.appendingPathComponent("shard-\(k).log")
    FileManager.default.createFile(atPath: log.path, contents: nil)
    let handle = try FileHandle(forWritingTo: log)
    p.standardOutput = handle
    p.standardError = handle
    try p.run()
    processes.append((p, log))
  }
  for (p, log) in processes {
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
  }
}

struct Run {
  var status: Int32
  var stdout: String
  var stderr: String
}

/// The binary with `args` in `dir` (and `env` in place of this process's environment, if given).
func run(_ args: [String], in dir: URL, env: [String: String]? = nil) throws -> Run {
  let p = Process()
  p.executableURL = binary()
  p.arguments = args
  p.currentDirectoryURL = dir
  if let env { p.environment = env }
  let out = Pipe(), err = Pipe()
  p.standardOutput = out
  p.standardError = err
  try p.run()
  let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

func files(_ dir: URL) -> [String: Data] {
  var out: [String: Data] = [:]
  guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return out }
  for case let url as URL in e { if let d = try? Data(contentsOf: url) { out[url.path] = d } }
  return out
}

@Suite(.serialized) struct CommandLineTests {
  /// `why LABEL` names the part of the key that changed since the last build (issue 20).
  @Test func whySaysWhatChanged() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-why-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func report(_ options: String, seed: Int = 1) throws {
      let text = "---\ntitle: W\nseed: \(seed)\n---\n\n```{kernel} dual\n:label: fig-w\n:alt: w\n\(options)\n\nDuals (@fig-w).\n```\n"
      try text.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    }
    try report(":rho: [0, 1]")
    #expect(try run(["why", "fig-w"], in: dir).stdout.contains("no earlier build of it is recorded"))
    #expect(try run(["build", "-q"], in: dir).status == 0)
    #expect(try run(["why", "fig-w"], in: dir).stdout.hasPrefix("a/fig-w: in the cache"))
    try report(":rho: [0,  1]\n:size: 4in x 3in")  // spacing and a presentation option: still cached
    #expect(try run(["why", "a/fig-w"], in: dir).stdout.hasPrefix("a/fig-w: in the cache"))
    try report(":rho: [0, 1]\n:method: hermite", seed: 2)
    let why = try run(["why", "fig-w"], in: dir).stdout
    #expect(why.contains("the seed changed") && why.contains("option 'method' changed (s:\"closed-form\" → s:\"hermite\")"), "\(why)")
    #expect(!why.contains("option 'rho'"))
    let unknown = try run(["why", "fig-nope"], in: dir)
    #expect(unknown.status == 1 && unknown.stderr.contains("no directive labelled 'fig-nope'"))
  }

  /// `clean --unused` lists exactly the entries an edit left behind (the old result and its
  /// six images: SVG, PNG, PDF, dark SVG, phone SVG and phone dark SVG), never a file that is not the build's own; `--delete` removes them, and the
  /// next build still finds every result (issue 20).
  @Test func cleanUnusedRemovesOnlyWhatNoReportReaches() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-clean-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    func report(_ rho: String) throws {
      let text = "# K\n\n```{kernel} dual\n:label: fig-k\n:alt: k\n:rho: \(rho)\n\nDuals (@fig-k).\n```\n"
      try text.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    }
    try report("[0, 1]")
    #expect(try run(["build", "-q"], in: dir).status == 0)
    try report("[0, 0.5, 1]")
    #expect(try run(["build", "-q"], in: dir).status == 0)
    let results = dir.appendingPathComponent(".skelcache/results")
    try "mine".write(to: results.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    try "{}".write(to: results.appendingPathComponent("abcdef.json"), atomically: true, encoding: .utf8)  // no header of ours
    let dry = try run(["clean", "--unused"], in: dir)
    let listed = dry.stdout.split(separator: "\n").filter { $0.hasPrefix("would remove ") }
    #expect(dry.status == 0 && listed.count == 7, "\(dry.stdout)")
    #expect(listed.filter { $0.hasSuffix(".json") }.count == 1 && listed.allSatisfy { !$0.contains("notes.txt") && !$0.contains("abcdef") })
    #expect(dry.stdout.contains("7 in use") && dry.stdout.contains("2 other file(s) left alone"), "\(dry.stdout)")
    let wet = try run(["clean", "--unused", "--delete"], in: dir)
    #expect(wet.status == 0 && wet.stdout.split(separator: "\n").filter { $0.hasPrefix("removed ") }.count == 7)
    #expect(FileManager.default.fileExists(atPath: results.appendingPathComponent("notes.txt").path))
    #expect(try run(["clean", "--unused"], in: dir).stdout.hasPrefix("0 unused cache entries"))
    let again = try run(["build"], in: dir)
    #expect(again.stdout.contains("(1 from cache)"), "\(again.stdout)")
    #expect(try run(["clean"], in: dir).status == 2)
    // a cache folder that is a file is refused, and so is init into a file
    try "x".write(to: dir.appendingPathComponent("afile"), atomically: true, encoding: .utf8)
    for args in [["clean", "--unused", "--cache-dir", "afile"], ["why", "fig-k", "--cache-dir", "afile"], ["init", "afile"]] {
      let r = try run(args, in: dir)
      #expect(r.status == 2 && r.stderr.contains("existing file, not a folder"), "\(args): \(r.stderr)")
    }
    #expect(try String(contentsOf: dir.appendingPathComponent("afile"), encoding: .utf8) == "x")
  }

  /// Progress (stdout) and diagnostics (stderr) piped into one log read in the order they
  /// happened: the steps, then the warning, then the summary (issue 20).
  @Test func onePipedLogIsInOrder() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-order-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let report = "# O\n\n```{kernel} dual\n:label: fig-o\n:rho: [0, 1]\n\nDuals (@fig-o).\n```\n"
    try report.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = binary()
    p.arguments = ["build", "--templates", root.appendingPathComponent("templates").path]
    p.currentDirectoryURL = dir
    let both = Pipe()
    p.standardOutput = both
    p.standardError = both
    try p.run()
    let log = String(decoding: both.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    let lines = log.split(separator: "\n").map(String.init)
    let write = try #require(lines.firstIndex { $0.hasPrefix("[9/9] Write site") })
    let warning = try #require(lines.firstIndex { $0.contains("warning: figure 'fig-o' has no :alt: text") })
    let built = try #require(lines.firstIndex { $0.hasPrefix("built 1 report") })
    #expect(write < warning && warning < built, "\(log)")
    #expect(lines[built].contains("recomputed: a/fig-o"))
  }

  /// Build once, break a report, build again: exit 1, the exact message, the site untouched.
  @Test func misspelledOptionExitsOneAndKeepsTheSite() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let report = "---\ntitle: CLI\n---\n\n```{kernel} dual\n:label: fig-a\n:rho: linspace(-1, 1, 11)\n\nCaption.\n```\n"
    try report.write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    let templates = root.appendingPathComponent("templates").path
    let ok = try run(["build", "reports", "--out", "_site", "--templates", templates, "--no-cache"], in: dir)
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(ok.stdout.contains("[9/9] Write site"))
    let before = files(dir.appendingPathComponent("_site"))
    try report.replacingOccurrences(of: ":rho:", with: ":roh:").write(
      to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    let bad = try run(["build", "reports", "--out", "_site", "--templates", templates, "--no-cache"], in: dir)
    #expect(bad.status == 1)
    #expect(
      bad.stderr == """
        reports/a.md:7:2: error: unknown option 'roh' for directive 'dual'; did you mean 'rho'?
           7 | :roh: linspace(-1, 1, 11)
             |  ^~~
        1 error; the site was not changed

        """)
    #expect(files(dir.appendingPathComponent("_site")) == before)
  }

  /// Issue 5: the random-network kinds give byte-identical sites (figures and JSON) for the same
  /// seed across two runs, and with 1 vs 2 threads (engine loops and OpenBLAS), with
  /// `--reproducible` zeroing the timings.
  @Test func sameSeedSameBytesForAnyThreadCount() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-threads-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let report = """
      ---
      title: Threads
      seed: 99
      ---

      ```{kernel} clt
      :label: fig-clt
      :dimensions: [2, 8, 32]
      :samples: 20000

      CLT.
      ```

      ```{kernel} spectrum
      :label: fig-spectrum
      :dimensions: [2]
      :points: 300
      :quantity: tail_sums

      Tails.
      ```

      ```{kernel} regression
      :label: fig-regression
      :sizes: [60, 120]
      :test_points: 200
      :repetitions: 2

      Curves.
      ```

      ```{kernel} nnpk
      :label: fig-nnpk
      :networks: [1, 4, 16]
      :points: 90
      :width: 32

      Prior kernel.
      ```

      ```{kernel} rainbow
      :label: fig-rainbow
      :widths: [16, 64, 256]
      :points: 60

      Alignment.
      ```

      ```{kernel} concentration
      :label: fig-concentration
      :widths: [16, 64]
      :seeds: 10

      Concentration.
      ```

      """
    try report.write(to: dir.appendingPathComponent("reports/t.md"), atomically: true, encoding: .utf8)
    let templates = root.appendingPathComponent("templates").path
    var sites: [[String: Data]] = []
    for (k, threads) in ["1", "2", "2"].enumerated() {
      let r = try run(
        ["build", "reports", "--out", "site\(k)", "--templates", templates, "--no-cache", "--reproducible", "--threads", threads, "-q"],
        in: dir)
      #expect(r.status == 0, "\(r.stderr)")
      let site = files(dir.appendingPathComponent("site\(k)"))
      sites.append(Dictionary(uniqueKeysWithValues: site.map { ($0.key.replacingOccurrences(of: "/site\(k)/", with: "/site/"), $0.value) }))
    }
    #expect(sites[0].keys.filter { $0.hasSuffix(".json") }.count == 6)
    for (path, bytes) in sites[0] {
      #expect(sites[1][path] == bytes, "1 vs 2 threads: \(path)")
      #expect(sites[2][path] == bytes, "two runs: \(path)")
    }
  }

  @Test func kindsListsTheSchema() throws {
    let r = try run(["kinds", "dual"], in: root)
    #expect(r.status == 0)
    #expect(r.stdout.contains(":rho:  a grid such as linspace(-1, 1, 401) or [0, 0.5, 1] with points in [-1, 1]"))
    let unknown = try run(["kinds", "duel"], in: root)
    #expect(unknown.status == 1 && unknown.stderr == "error: unknown directive kind 'duel'; did you mean 'dual'?\n")
  }
}

@Suite(.serialized) struct FiguresCommandTests {
  /// `skelreport figures` writes paper PDFs and values.tex with one macro per inline value.
  @Test func paperFiguresAndValues() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-fig-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let report =
      "```{kernel} depth\n:label: fig-d\n:depths: [1, 16]\n:rho: [0, 0.5]\n:alt: two points\n```\n\nAt depth 16 {val}`fig-d.y[L=16, rho=0]:.3f` (@fig-d).\n"
    try report.write(to: dir.appendingPathComponent("reports/p.md"), atomically: true, encoding: .utf8)
    let r = try run(
      ["figures", "reports/p.md", "--out", "paper", "--width", "3.4in", "--formats", "pdf,svg", "--cache-dir", ".c"], in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    let tex = try String(contentsOf: dir.appendingPathComponent("paper/values.tex"), encoding: .utf8)
    #expect(tex.contains("\\newcommand{\\valFigDYLOneSixRhoZero}{\\ensuremath{0.929}} % fig-d.y[L=16, rho=0]:.3f"))
    let pdf = try Data(contentsOf: dir.appendingPathComponent("paper/fig-d.pdf"))
    #expect(String(decoding: pdf.prefix(5), as: UTF8.self) == "%PDF-")
    let svg = try String(contentsOf: dir.appendingPathComponent("paper/fig-d.svg"), encoding: .utf8)
    #expect(svg.contains("width=\"244.8pt\""), "3.4 in = 244.8 pt")
  }
}
