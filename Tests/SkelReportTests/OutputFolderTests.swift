import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 15 A and F, through the built binary: the output-folder rule (exit 2, nothing touched),
/// the one-step swap under SIGKILL, the lock under concurrent builds, a read-only parent.

/// Everything below `dir` (hidden files too, symlinks not followed): relative path → what it is
/// ("d" for a folder, "l:<target>" for a symlink, "f:" + bytes for a file).
func tree(_ dir: URL) -> [String: Data] {
  var out: [String: Data] = [:]
  func walk(_ path: String, _ relative: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    switch st.st_mode & S_IFMT {
    case S_IFDIR:
      out[relative] = Data("d".utf8)
      for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { walk(path + "/" + name, relative + "/" + name) }
    case S_IFLNK:
      out[relative] = Data(("l:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")).utf8)
    default:
      out[relative] = Data("f:".utf8) + ((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
    }
  }
  walk(dir.path, "")
  return out
}

/// A scratch project: `reports/a.md` (a few quick directives, no math), `templates/` (a copy),
/// a note, a folder of hand-written docs and a symlink to the reports.
func project(_ label: String) throws -> URL {
  let fm = FileManager.default
  let dir = fm.temporaryDirectory.appendingPathComponent("skel-\(label)-\(UUID().uuidString)")
  try fm.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
  try quickReport(title: "A").write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
  try fm.copyItem(at: root.appendingPathComponent("templates"), to: dir.appendingPathComponent("templates"))
  return dir
}

func quickReport(title: String, directives: Int = 4) -> String {
  var s = "---\ntitle: \(title)\n---\n\nSome prose about \(title).\n\n"
  for i in 0..<directives {
    s +=
      "```{kernel} dual\n:label: fig-\(i)\n:activations: [relu, step]\n:rho: linspace(-1, 1, 21)\n:formats: [svg, png]\n:alt: a\n\nCaption \(i) of \(title). @fig-\(i)\n```\n\n"
  }
  return s
}

/// Runs the binary with output to files (not pipes), so a killed or waiting process never blocks.
func launch(_ args: [String], in dir: URL, tag: String) throws -> (Process, URL, URL) {
  let p = Process()
  p.executableURL = binary()
  p.arguments = args
  p.currentDirectoryURL = dir
  let out = FileManager.default.temporaryDirectory.appendingPathComponent("skel-out-\(tag)-\(UUID().uuidString)")
  let err = out.appendingPathExtension("err")
  FileManager.default.createFile(atPath: out.path, contents: nil)
  FileManager.default.createFile(atPath: err.path, contents: nil)
  p.standardOutput = try FileHandle(forWritingTo: out)
  p.standardError = try FileHandle(forWritingTo: err)
  try p.run()
  return (p, out, err)
}

func text(_ url: URL) -> String {
  defer { try? FileManager.default.removeItem(at: url) }
  return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
}

/// Names beside the output that a build may leave: only the lock file.
func leftovers(_ dir: URL) -> [String] {
  ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix("._site.") && $0 != "._site.lock" }
    .sorted()
}

@Suite(.serialized) struct OutputFolderTests {
  /// Every refused `--out` of issue 15 (and a few more spellings) exits 2 with a message and
  /// leaves the whole project byte-for-byte as it was: no lock file, no staging folder.
  @Test func refusedOutputsExitTwoAndTouchNothing() throws {
    let dir = try project("refuse")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    try "my notes\n".write(to: dir.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
    try fm.createDirectory(at: dir.appendingPathComponent("docs"), withIntermediateDirectories: true)
    try "# Hand-written\n".write(to: dir.appendingPathComponent("docs/index.md"), atomically: true, encoding: .utf8)
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("link").path, withDestinationPath: "reports")
    try fm.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
    // A cache and a site from a first build.
    let first = try run(["build", "--reproducible"], in: dir)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(fm.fileExists(atPath: dir.appendingPathComponent(".skelcache/results").path))
    let before = tree(dir)
    let cases: [(args: [String], cwd: String, says: String)] = [
      (["--out", "reports"], "", "it is the reports folder"),
      (["--out", "."], "", "it is the working folder"),
      (["--out", ".."], "", "it contains the working folder"),
      (["--out", "templates"], "", "it is the templates folder"),
      (["--out", "notes.txt"], "", "it is an existing file"),
      (["--out", "docs"], "", "it is a folder that skelreport did not write"),
      (["--out", ".skelcache"], "", "it is the cache folder"),
      (["--out", ".skelcache", "--no-cache"], "", "it is the cache folder"),
      (["--out", "link"], "", "it is the reports folder"),
      (["--out", "reports/site"], "", "lies inside the reports folder"),
      (["--out", "templates/assets"], "", "lies inside the templates folder"),
      (["--out", ".skelcache/site"], "", "lies inside the cache folder"),
      (["--out", "link/../reports"], "", "it is the reports folder"),
      (["--out", "/"], "", "it contains the working folder"),
      (["--out", dir.path], "", "it is the working folder"),
      (
        ["../reports", "--out", "..", "--templates", "../templates", "--cache-dir", "../.skelcache"], "sub",
        "it contains the working folder"
      ),
      (["--cache-dir", "_site/cache"], "", "the cache folder"),
      (["--cache-dir", "_site"], "", "the cache folder"),
    ]
    for c in cases {
      let r = try run(["build"] + c.args, in: c.cwd.isEmpty ? dir : dir.appendingPathComponent(c.cwd))
      #expect(r.status == 2, "\(c.args): \(r.status) \(r.stderr)")
      #expect(
        r.stderr.hasPrefix("error: ") && r.stderr.contains(c.says) && r.stderr.hasSuffix("nothing was changed\n"), "\(c.args): \(r.stderr)")
      #expect(tree(dir) == before, "\(c.args) changed the project")
    }
    // `figures --out` into the reports, templates or cache folder: exit 2, nothing written.
    for out in ["reports", "reports/figs", "templates", ".skelcache", "notes.txt"] {
      let r = try run(["figures", "reports/a.md", "--out", out], in: dir)
      #expect(r.status == 2, "figures --out \(out): \(r.status) \(r.stderr)")
      #expect(r.stderr.contains("refusing to write figures into"), "\(r.stderr)")
      #expect(tree(dir) == before, "figures --out \(out) changed the project")
    }
  }

  /// A marked site is replaced (its stale files gone), an empty folder and a missing path (with
  /// missing parents) are accepted, and every site carries the marker.
  @Test func markedEmptyAndMissingOutputsAreAccepted() throws {
    let dir = try project("accept")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    #expect(try run(["build", "-q"], in: dir).status == 0)
    let marker = try String(contentsOf: dir.appendingPathComponent("_site/.skelreport-site"), encoding: .utf8)
    #expect(marker.hasPrefix("skelreport "))
    let page = try String(contentsOf: dir.appendingPathComponent("_site/a/index.html"), encoding: .utf8)
    #expect(page.contains("Some prose about A."))
    try "stale".write(to: dir.appendingPathComponent("_site/stale.txt"), atomically: true, encoding: .utf8)
    try quickReport(title: "B").write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    let again = try run(["build", "-q"], in: dir)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try String(contentsOf: dir.appendingPathComponent("_site/a/index.html"), encoding: .utf8).contains("Some prose about B."))
    #expect(!fm.fileExists(atPath: dir.appendingPathComponent("_site/stale.txt").path))
    #expect(leftovers(dir).isEmpty)
    try fm.createDirectory(at: dir.appendingPathComponent("empty"), withIntermediateDirectories: true)
    #expect(try run(["build", "-q", "--out", "empty"], in: dir).status == 0)
    #expect(fm.fileExists(atPath: dir.appendingPathComponent("empty/.skelreport-site").path))
    #expect(try run(["build", "-q", "--out", "build/web/site"], in: dir).status == 0)
    #expect(fm.fileExists(atPath: dir.appendingPathComponent("build/web/site/a/index.html").path))
    // A symlink to a marked site: the site behind it is replaced, the link stays.
    try fm.createSymbolicLink(atPath: dir.appendingPathComponent("published").path, withDestinationPath: "empty")
    #expect(try run(["build", "-q", "--out", "published"], in: dir).status == 0)
    #expect(try fm.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("published").path) == "empty")
    #expect(fm.fileExists(atPath: dir.appendingPathComponent("empty/a/index.html").path))
    // figures may go to the working folder (it writes only its own files there).
    let figures = try run(["figures", "reports/a.md", "--out", "."], in: dir)
    #expect(figures.status == 0, "\(figures.stderr)")
    #expect(fm.fileExists(atPath: dir.appendingPathComponent("fig-0.pdf").path))
  }

  /// SIGKILL at 20 moments of a cold build (14 spread over the whole build, 6 over its write
  /// stage and swap): after each kill the site is the previous one byte-for-byte or the new one
  /// complete, and the next build removes the leftovers and succeeds.
  @Test func killedBuildsLeaveTheOldSiteOrTheNewOne() throws {
    let dir = try project("kill")
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("_site")
    // Killed builds are cold (--no-cache); the builds that check recovery use the cache, which
    // the second variant's first build fills (both have the same directives), to keep it short.
    let cold = ["build", "-q", "--no-cache", "--reproducible"], warm = ["build", "-q", "--reproducible"]
    let variants = ["A", "B"].map { quickReport(title: $0) }
    var snapshots: [[String: Data]] = []
    var duration = Double.infinity, writeStage = 0.0
    try variants[0].write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    for _ in 0..<2 {  // the shorter of two cold builds, and its write stage from the progress lines
      let start = Date()
      let r = try run(["build", "--no-cache", "--reproducible"], in: dir)  // cold, with progress lines
      let took = Date().timeIntervalSince(start)
      #expect(r.status == 0, "\(r.stderr)")
      let ms = r.stdout.split(separator: "\n").map(String.init)
      let previous = ms.compactMap { line -> Double? in
        guard let r = line.range(of: "(previous stage ") else { return nil }
        return Double(line[r.upperBound...].prefix { $0.isNumber || $0 == "." })
      }
      let total = ms.last.flatMap { line -> Double? in
        guard let r = line.range(of: " in ", options: .backwards) else { return nil }
        return Double(line[r.upperBound...].prefix { $0.isNumber })
      }
      if took < duration, let total {
        duration = took
        writeStage = max(0.01, (total - previous.reduce(0, +)) / 1000)
      }
    }
    snapshots.append(tree(site))
    try variants[1].write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
    #expect(try run(warm, in: dir).status == 0)
    snapshots.append(tree(site))
    #expect(snapshots[0] != snapshots[1])
    var current = 1
    var outcomes: [String] = []
    var rng = SystemRandomNumberGenerator()
    var lo = duration - 2 * writeStage, hi = duration + writeStage
    for i in 0..<20 {
      let target = 1 - current
      try variants[target].write(to: dir.appendingPathComponent("reports/a.md"), atomically: true, encoding: .utf8)
      // 14 kills spread over the build, then 6 that close in on the swap: between the latest
      // kill that left the old site and the earliest that found the new one.
      let u = Double.random(in: 0..<1, using: &rng)
      if hi - lo < 0.003 { (lo, hi) = (min(lo, hi) - writeStage, max(lo, hi) + 2 * writeStage) }  // jitter, or no "new" yet: widen
      let at = i < 14 ? duration * (Double(i) + u) / 14 : lo + (hi - lo) * (0.2 + 0.6 * u)
      let (p, out, err) = try launch(cold, in: dir, tag: "kill")
      usleep(useconds_t(at * 1e6))
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
      _ = (text(out), text(err))
      let now = tree(site)
      let outcome = now == snapshots[current] ? "old" : now == snapshots[target] ? "new" : "BROKEN"
      if outcome == "old" { lo = max(lo, at) } else if outcome == "new" { hi = min(hi, at) }
      outcomes.append(String(format: "%.3fs:%@%@", at, outcome, p.terminationReason == .uncaughtSignal ? "" : "(exited)"))
      #expect(outcome != "BROKEN", "kill at \(at) s left neither the previous nor the new site; leftovers \(leftovers(dir))")
      let next = try run(warm, in: dir)
      #expect(next.status == 0, "the build after a kill at \(at) s: \(next.stderr)")
      #expect(tree(site) == snapshots[target], "the build after a kill at \(at) s")
      #expect(leftovers(dir).isEmpty, "after a kill at \(at) s: \(leftovers(dir))")
      current = target
    }
    print("kills (cold build \(String(format: "%.2f s, write stage %.3f s", duration, writeStage))): \(outcomes.joined(separator: " "))")
  }

  /// Two, then four builds at once on the same output and cache: all succeed, those that had
  /// to wait say so with the lock's path, and the site is complete with no leftovers.
  @Test func concurrentBuildsTakeTurns() throws {
    let dir = try project("concurrent")
    defer { try? FileManager.default.removeItem(at: dir) }
    let args = ["build", "--reproducible"]
    #expect(try run(args + ["--no-cache", "-q", "--out", "reference"], in: dir).status == 0)
    let reference = tree(dir.appendingPathComponent("reference"))
    let lock = dir.resolvingSymlinksInPath().path + "/._site.lock"
    for n in [2, 4] {
      try? FileManager.default.removeItem(at: dir.appendingPathComponent(".skelcache"))
      let runs = try (0..<n).map { try launch(args, in: dir, tag: "conc\($0)") }
      var waited = 0
      for (p, out, err) in runs {
        p.waitUntilExit()
        let (o, e) = (text(out), text(err))
        #expect(p.terminationReason == .exit && p.terminationStatus == 0, "\(n) builds: \(e)")
        if let line = o.split(separator: "\n").first(where: { $0.hasPrefix("waiting for another build") }) {
          waited += 1
          #expect(line.contains("(lock \(lock)"), "\(line)")
        }
      }
      #expect(waited >= 1, "\(n) builds at once: none had to wait for the lock")
      #expect(tree(dir.appendingPathComponent("_site")) == reference, "\(n) builds at once")
      #expect(leftovers(dir).isEmpty, "\(leftovers(dir))")
    }
  }

  /// An output whose parent cannot be written: an error naming the path, a non-zero exit, no
  /// crash, and the parent unchanged.
  @Test func readOnlyParentIsAnErrorWithThePath() throws {
    let dir = try project("readonly")
    let ro = dir.appendingPathComponent("ro")
    try FileManager.default.createDirectory(at: ro, withIntermediateDirectories: true)
    let root = getuid() == 0  // root ignores permissions; the immutable flag stops it too
    let lock = Process()
    lock.executableURL = URL(fileURLWithPath: root ? "/usr/bin/chattr" : "/bin/chmod")
    lock.arguments = root ? ["+i", ro.path] : ["0555", ro.path]
    try lock.run()
    lock.waitUntilExit()
    defer {
      let unlock = Process()
      unlock.executableURL = URL(fileURLWithPath: root ? "/usr/bin/chattr" : "/bin/chmod")
      unlock.arguments = root ? ["-i", ro.path] : ["0755", ro.path]
      try? unlock.run()
      unlock.waitUntilExit()
      try? FileManager.default.removeItem(at: dir)
    }
    try #require(lock.terminationStatus == 0, "cannot make \(ro.path) read-only here")
    let r = try run(["build", "-q", "--out", "ro/site"], in: dir)
    #expect(r.status != 0 && r.status != 2, "\(r.status) \(r.stderr)")
    #expect(r.stderr.contains(ro.path) && r.stderr.contains("error: Lock the output: cannot"), "\(r.stderr)")
    #expect(!r.stderr.contains("NSCocoaErrorDomain"))
    #expect((try? FileManager.default.contentsOfDirectory(atPath: ro.path)) == [])
  }
}
