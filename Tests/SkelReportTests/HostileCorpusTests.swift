import Foundation
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

// Issue 15: the hostile corpus. Every case of Hostile/corpus.txt (format: Hostile/README.md) runs
// the built `skelreport` in a fresh temp project that holds a copy of the templates and a
// previously built `_site/`. Invariants checked for EVERY case, beside its own expectation:
// no death by signal, no hang (per-case timeout, then SIGKILL), exit code in {0, 1, 2}, on exit ≠ 0
// the old `_site/` byte-identical and nothing changed but the cache, nothing written outside the
// build's folders (the whole case tree, its parent folder and $HOME are snapshotted), no live
// injected markup in any built .html/.svg (`HTMLSafety.violations`), no canary text published.
// `HOSTILE_FILTER=substr[,substr…]` runs only the cases whose id, name or theme contains one.

// MARK: - The corpus

struct HostileFile {
  var path: String
  var content: [UInt8]
  var executable = false
}

struct HostileCase {
  var id: String
  var name: String
  var theme: String
  var files: [HostileFile] = []
  var links: [(String, String)] = []
  var dirs: [String] = []
  var removes: [String] = []
  var args: [String]? = nil
  var before: [String]? = nil
  var mutations: [(String, String)] = []
  var env: [String: String] = [:]
  var expect: String = ""
  var checks: [String] = []
  var timeout: Double = 20
  var prebuiltSite = true
  var line: Int = 0
}

enum CorpusError: Error, CustomStringConvertible {
  case syntax(Int, String)
  var description: String {
    switch self {
    case .syntax(let l, let m): "corpus.txt:\(l): \(m)"
    }
  }
}

/// `\n`, `\t`, `\r`, `\s` (space), `\xNN` (a byte), `\\`.
func unescapeBytes(_ s: String) -> [UInt8] {
  var out: [UInt8] = []
  let b = Array(s.utf8)
  var i = 0
  while i < b.count {
    if b[i] == UInt8(ascii: "\\"), i + 1 < b.count {
      let c = b[i + 1]
      switch c {
      case UInt8(ascii: "n"):
        out.append(10)
        i += 2
        continue
      case UInt8(ascii: "t"):
        out.append(9)
        i += 2
        continue
      case UInt8(ascii: "r"):
        out.append(13)
        i += 2
        continue
      case UInt8(ascii: "s"):
        out.append(32)
        i += 2
        continue
      case UInt8(ascii: "\\"):
        out.append(92)
        i += 2
        continue
      case UInt8(ascii: "x") where i + 3 < b.count:
        if let v = UInt8(String(decoding: b[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
          out.append(v)
          i += 4
          continue
        }
      default: break
      }
    }
    out.append(b[i])
    i += 1
  }
  return out
}

/// Shell-like words: spaces separate, '…' and "…" quote.
func words(_ s: String) -> [String] {
  var out: [String] = [], cur = "", quote: Character? = nil, any = false
  for c in s {
    if let q = quote {
      if c == q { quote = nil } else { cur.append(c) }
    } else if c == "'" || c == "\"" {
      quote = c
      any = true
    } else if c == " " || c == "\t" {
      if any || !cur.isEmpty {
        out.append(cur)
        cur = ""
        any = false
      }
    } else {
      cur.append(c)
      any = true
    }
  }
  if any || !cur.isEmpty { out.append(cur) }
  return out
}

/// `nest N OPEN CLOSE CORE` (OPEN×N CORE CLOSE×N), `repeat N SEP ITEM` (ITEM with `{i}` = index,
/// joined by SEP), `bytes N CHAR`. Arguments take the escapes of `unescapeBytes`.
func generate(_ spec: String) -> [UInt8] {
  let w = spec.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
  guard w.count >= 2, let n = Int(w[1]) else { return Array("bad generator \(spec)".utf8) }
  switch w[0] {
  case "nest":
    let open = w.count > 2 ? unescapeBytes(w[2]) : [], close = w.count > 3 ? unescapeBytes(w[3]) : []
    let core = w.count > 4 ? unescapeBytes(w[4...].joined(separator: " ")) : []
    var out: [UInt8] = []
    out.reserveCapacity((open.count + close.count) * n + core.count)
    for _ in 0..<n { out += open }
    out += core
    for _ in 0..<n { out += close }
    return out
  case "repeat":
    let sep = w.count > 2 ? unescapeBytes(w[2]) : []
    let item = w.count > 3 ? w[3...].joined(separator: " ") : "x"
    var out: [UInt8] = []
    let indexed = item.contains("{i}")
    let fixed = unescapeBytes(item)
    for k in 0..<n {
      if k > 0 { out += sep }
      out += indexed ? unescapeBytes(item.replacingOccurrences(of: "{i}", with: String(k))) : fixed
    }
    return out
  case "bytes":
    let b = w.count > 2 ? unescapeBytes(w[2]) : [UInt8(ascii: "x")]
    var out: [UInt8] = []
    out.reserveCapacity(n * b.count)
    for _ in 0..<n { out += b }
    return out
  default:
    return Array("unknown generator \(spec)".utf8)
  }
}

/// Shorthands of corpus.txt, so a case states only what is hostile about it. Their line counts
/// are fixed: {{FM}} 3 lines, {{SMALL}} 3 lines, {{DUAL}} 9 lines (label fig-a).
let snippets: [(String, String)] = [
  ("{{FM}}", "---\ntitle: T\n---"),
  ("{{SMALL}}", ":formats: [svg]\n:size: 2in x 1.5in\n:alt: a"),
  ("{{DUAL}}", "```{kernel} dual\n:label: fig-a\n:rho: linspace(-1, 1, 11)\n:formats: [svg]\n:size: 2in x 1.5in\n:alt: a\n\nCaption.\n```"),
]

func parseCorpus(_ text: String) throws -> [HostileCase] {
  var cases: [HostileCase] = []
  var theme = "?"
  var current: HostileCase? = nil
  var file: (path: String, flags: [String], lines: [String])? = nil
  var ids = Set<String>()

  func flushFile() {
    guard let f = file else { return }
    file = nil
    var body = f.lines.joined(separator: "\n")
    if !f.lines.isEmpty { body += "\n" }
    for (k, v) in snippets { body = body.replacingOccurrences(of: k, with: v) }
    if f.flags.contains("nonl"), body.hasSuffix("\n") { body.removeLast() }
    var bytes = f.flags.contains("escapes") ? unescapeBytes(body) : Array(body.utf8)
    if let g = f.flags.firstIndex(where: { $0.hasPrefix("gen:") }) {
      let spec = f.flags[g...].joined(separator: " ").dropFirst(4).trimmingCharacters(in: .whitespaces)
      let generated = generate(spec)
      let marker = Array("{{GEN}}".utf8)
      if f.lines.isEmpty {
        bytes = generated
      } else if let r = bytes.firstRange(of: marker) {
        bytes.replaceSubrange(r, with: generated)
      }
    }
    if f.flags.contains("crlf") {
      var o: [UInt8] = []
      for b in bytes {
        if b == 10 { o.append(13) }
        o.append(b)
      }
      bytes = o
    }
    if f.flags.contains("cr") { bytes = bytes.map { $0 == 10 ? 13 : $0 } }
    if f.flags.contains("bom") { bytes = [0xEF, 0xBB, 0xBF] + bytes }
    current?.files.append(HostileFile(path: f.path, content: bytes, executable: f.flags.contains("exec")))
  }
  func flushCase() throws {
    flushFile()
    if let c = current {
      if c.expect.isEmpty { throw CorpusError.syntax(c.line, "case \(c.id) has no expect") }
      cases.append(c)
    }
    current = nil
  }

  for (index, line) in text.components(separatedBy: "\n").enumerated() {
    let lineNo = index + 1
    if line.hasPrefix("### theme ") {
      try flushCase()
      theme = String(line.dropFirst(10).split(separator: " ").first ?? "?")
      continue
    }
    if line.hasPrefix("=== ") {
      try flushCase()
      let w = line.dropFirst(4).split(separator: " ", maxSplits: 1).map(String.init)
      guard let id = w.first else { throw CorpusError.syntax(lineNo, "case without id") }
      if !ids.insert(id).inserted { throw CorpusError.syntax(lineNo, "duplicate case id \(id)") }
      current = HostileCase(id: id, name: w.count > 1 ? w[1] : "", theme: theme, line: lineNo)
      continue
    }
    if line.hasPrefix("--- "), current != nil {
      flushFile()
      let rest = String(line.dropFirst(4))
      let key = rest.prefix { $0 != ":" && $0 != " " }
      let value = rest.dropFirst(key.count).drop { $0 == ":" }.trimmingCharacters(in: .whitespaces)
      switch key {
      case "args": current!.args = words(value)
      case "before": current!.before = words(value)
      case "expect": current!.expect = value
      case "check": current!.checks.append(value)
      case "timeout": current!.timeout = Double(value) ?? 20
      case "nosite": current!.prebuiltSite = false
      case "dir": current!.dirs.append(value)
      case "rm": current!.removes.append(value)
      case "env":
        let kv = value.split(separator: "=", maxSplits: 1).map(String.init)
        current!.env[kv[0]] = kv.count > 1 ? kv[1] : ""
      case "link":
        let p = value.components(separatedBy: " -> ")
        guard p.count == 2 else { throw CorpusError.syntax(lineNo, "link: PATH -> TARGET") }
        current!.links.append((p[0], p[1]))
      case "mutate":
        let p = value.split(separator: " ", maxSplits: 1).map(String.init)
        guard p.count == 2 else { throw CorpusError.syntax(lineNo, "mutate: KIND GLOB") }
        current!.mutations.append((p[0], p[1]))
      default:
        // a file: `--- PATH [flags…]`; the path may be quoted
        let w = words(rest)
        guard let path = w.first else { throw CorpusError.syntax(lineNo, "empty file line") }
        file = (path, Array(w.dropFirst()), [])
      }
      continue
    }
    if file != nil {
      file!.lines.append(line)
    } else if current != nil, !line.trimmingCharacters(in: .whitespaces).isEmpty, !line.hasPrefix("#") {
      throw CorpusError.syntax(lineNo, "text outside a file in case \(current!.id): \(line.prefix(40))")
    }
  }
  try flushCase()
  return cases
}

// MARK: - File-tree snapshots

enum Entry: Equatable {
  case file(Data)
  case dir
  case link(String)
  case other
}

func snapshot(_ root: URL, skip: Set<String> = []) -> [String: Entry] {
  var out: [String: Entry] = [:]
  let fm = FileManager.default
  func walk(_ rel: String) {
    let path = rel.isEmpty ? root.path : root.path + "/" + rel
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    switch st.st_mode & S_IFMT {
    case S_IFDIR:
      if !rel.isEmpty { out[rel] = .dir }
      for name in ((try? fm.contentsOfDirectory(atPath: path)) ?? []).sorted() {
        let r = rel.isEmpty ? name : rel + "/" + name
        if skip.contains(r) { continue }
        walk(r)
      }
    case S_IFLNK:
      out[rel] = .link((try? fm.destinationOfSymbolicLink(atPath: path)) ?? "?")
    case S_IFREG:
      out[rel] = .file((try? Data(contentsOf: URL(fileURLWithPath: path))) ?? Data())
    default:
      out[rel] = .other
    }
  }
  walk("")
  return out
}

/// `a/./b/../c` → `a/c` (lexically), for paths relative to the case root.
func normalize(_ path: String) -> String {
  var parts: [Substring] = []
  for p in path.split(separator: "/") {
    if p == "." || p.isEmpty { continue }
    if p == "..", let last = parts.last, last != ".." {
      parts.removeLast()
      continue
    }
    parts.append(p)
  }
  return parts.joined(separator: "/")
}

/// Lexical parent and last component (NSString's path helpers trap on some names).
func parentPath(_ p: String) -> String {
  guard let i = p.lastIndex(of: "/") else { return "" }
  return String(p[..<i])
}
func lastComponent(_ p: String) -> String {
  guard let i = p.lastIndex(of: "/") else { return p }
  return String(p[p.index(after: i)...])
}

func isUnder(_ p: String, _ dir: String) -> Bool { dir.isEmpty || p == dir || p.hasPrefix(dir + "/") }

// MARK: - Running one case

final class Shared: @unchecked Sendable {
  let lock = NSLock()
  var next = 0
  var results: [(HostileCase, [String], String)] = []
}

struct Outcome {
  var status: Int32 = -1
  var signalled = false
  var timedOut = false
  var stdout = ""
  var stderr = ""
  var seconds = 0.0
}

/// Runs `skelreport` with a cap on its address space (so a memory bomb fails in the child, not
/// on the machine): `prlimit` when it exists, `exec` keeps the pid so a signal shows.
func runCapped(_ args: [String], cwd: URL, env: [String: String], timeout: Double, logs: URL) -> Outcome {
  let p = Process()
  let prlimit = "/usr/bin/prlimit"
  if FileManager.default.isExecutableFile(atPath: prlimit) {
    p.executableURL = URL(fileURLWithPath: prlimit)
    p.arguments = ["--as=\(6 << 30)", "--", binary().path] + args
  } else {
    p.executableURL = binary()
    p.arguments = args
  }
  p.currentDirectoryURL = cwd
  p.environment = env
  let outURL = logs.appendingPathExtension("out"), errURL = logs.appendingPathExtension("err")
  FileManager.default.createFile(atPath: outURL.path, contents: nil)
  FileManager.default.createFile(atPath: errURL.path, contents: nil)
  var o = Outcome()
  guard let outH = try? FileHandle(forWritingTo: outURL), let errH = try? FileHandle(forWritingTo: errURL) else { return o }
  p.standardOutput = outH
  p.standardError = errH
  p.standardInput = FileHandle.nullDevice
  let start = Date()
  do { try p.run() } catch {
    o.stderr = "could not start: \(error)"
    return o
  }
  while p.isRunning {
    if Date().timeIntervalSince(start) > timeout {
      o.timedOut = true
      kill(p.processIdentifier, SIGKILL)
      break
    }
    usleep(10_000)
  }
  p.waitUntilExit()
  o.seconds = Date().timeIntervalSince(start)
  try? outH.close()
  try? errH.close()
  o.status = p.terminationStatus
  o.signalled = p.terminationReason == .uncaughtSignal
  func read(_ u: URL) -> String {
    guard let d = try? Data(contentsOf: u) else { return "" }
    return String(decoding: d.prefix(200_000), as: UTF8.self)
  }
  o.stdout = read(outURL)
  o.stderr = read(errURL)
  return o
}

struct Harness {
  let runRoot: URL
  let templates: URL
  let prebuiltSite: URL
  let baseEnv: [String: String]

  static let goodReport = """
    ---
    title: Good
    date: 2026-01-01
    ---

    Good prose with $x^2$ and @fig-good.

    ```{kernel} dual
    :label: fig-good
    :activations: [relu]
    :rho: linspace(-1, 1, 11)
    :formats: [svg]
    :size: 2in x 1.5in
    :alt: A good figure.

    A good figure.
    ```

    """

  func outputFolders(_ args: [String]) -> (out: String?, cache: String?) {
    guard let sub = args.first, sub == "build" || sub == "figures" || !["kinds", "--help", "-h", "help", "--version"].contains(sub)
    else { return (nil, nil) }
    var out: String = sub == "figures" ? "figures" : "_site"
    var cache: String? = ".skelcache"
    var i = 0
    while i < args.count {
      let a = args[i]
      if a == "--out" || a == "-o", i + 1 < args.count {
        out = args[i + 1]
        i += 1
      } else if a.hasPrefix("--out=") {
        out = String(a.dropFirst(6))
      } else if a == "--cache-dir", i + 1 < args.count {
        cache = args[i + 1]
        i += 1
      } else if a.hasPrefix("--cache-dir=") {
        cache = String(a.dropFirst(12))
      } else if a == "--no-cache" {
        cache = nil
      }
      i += 1
    }
    return (out, cache)
  }

  func substitute(_ s: String, caseRoot: URL, project: URL) -> String {
    s.replacingOccurrences(of: "{ROOT}", with: caseRoot.path)
      .replacingOccurrences(of: "{PROJ}", with: project.path)
      .replacingOccurrences(of: "{T}", with: templates.path)
  }

  /// Runs one case; returns the unmet expectations (empty: passed) and a one-line account.
  func run(_ c: HostileCase) -> ([String], String) {
    let fm = FileManager.default
    let caseRoot = runRoot.appendingPathComponent("case-\(c.id)")
    let work = caseRoot.appendingPathComponent("work")
    let project = work.appendingPathComponent("proj")
    let home = caseRoot.appendingPathComponent("home")
    defer { try? fm.removeItem(at: caseRoot) }
    var problems: [String] = []
    do {
      try fm.createDirectory(at: project.appendingPathComponent("reports"), withIntermediateDirectories: true)
      try fm.createDirectory(at: home, withIntermediateDirectories: true)
      try fm.copyItem(at: templates, to: project.appendingPathComponent("templates"))
      if c.prebuiltSite { try fm.copyItem(at: prebuiltSite, to: project.appendingPathComponent("_site")) }
      try "sentinel of the project\n".write(to: project.appendingPathComponent("notes.txt"), atomically: false, encoding: .utf8)
      try "sentinel of the parent\n".write(to: work.appendingPathComponent("parent-sentinel.txt"), atomically: false, encoding: .utf8)
      for f in c.files {
        let path = normalize("work/proj/" + f.path)
        guard !path.hasPrefix("..") else { throw CorpusError.syntax(c.line, "file outside the case: \(f.path)") }
        let url = caseRoot.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(f.content).write(to: url)
        if f.executable { try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
      }
      for d in c.dirs { try fm.createDirectory(at: project.appendingPathComponent(d), withIntermediateDirectories: true) }
      for (path, target) in c.links {
        let url = project.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: url.path, withDestinationPath: substitute(target, caseRoot: caseRoot, project: project))
      }
      for r in c.removes { try? fm.removeItem(at: project.appendingPathComponent(r)) }
    } catch {
      return (["setup failed: \(error)"], "setup failed")
    }
    var env = baseEnv
    env["HOME"] = home.path
    for (k, v) in c.env { env[k] = substitute(v, caseRoot: caseRoot, project: project) }
    let logs = runRoot.appendingPathComponent("logs-\(c.id)")
    if let before = c.before {
      let b = runCapped(
        before.map { substitute($0, caseRoot: caseRoot, project: project) }, cwd: project, env: env, timeout: 60, logs: logs)
      if b.status != 0 || b.signalled || b.timedOut {
        return (["the preparing build failed (exit \(b.status)): \(b.stderr.prefix(300))"], "before failed")
      }
    }
    for (kind, glob) in c.mutations { problems += mutate(kind, glob, in: project) }

    let args = (c.args ?? ["build", "reports", "--out", "_site", "--no-cache", "--threads", "1"])
      .map { substitute($0, caseRoot: caseRoot, project: project) }
    let before = snapshot(caseRoot)
    let o = runCapped(args, cwd: project, env: env, timeout: c.timeout, logs: logs)
    let after = snapshot(caseRoot)
    try? fm.removeItem(at: logs.appendingPathExtension("out"))
    try? fm.removeItem(at: logs.appendingPathExtension("err"))
    let tail = o.stderr.split(separator: "\n").prefix(3).joined(separator: " | ").prefix(240)

    // Invariants of every case.
    if o.timedOut {
      problems.append("hang: killed after \(Int(c.timeout)) s")
    } else if o.signalled {
      problems.append("crash: killed by signal \(o.status)")
    } else if ![0, 1, 2].contains(o.status) {
      problems.append("exit code \(o.status) not in {0, 1, 2}")
    }

    let (outRel, cacheRel) = outputFolders(args)
    func rel(_ p: String) -> String {
      if p.hasPrefix("/") {
        let root = caseRoot.path + "/"
        return p.hasPrefix(root) ? normalize(String(p.dropFirst(root.count))) : "<outside>/" + p
      }
      return normalize("work/proj/" + p)
    }
    let outPath = outRel.map(rel), cachePath = cacheRel.map(rel)
    let outBase = outPath.map(lastComponent) ?? "\u{0}"
    let outParent = outPath.map(parentPath) ?? "\u{0}"
    let success = !o.timedOut && !o.signalled && o.status == 0
    // A build's folder may only be a new/own folder, never the project, its sources or a parent.
    let protected = ["work/proj/reports", "work/proj/templates", "work/proj/notes.txt"]
    func ownFolder(_ p: String?) -> String? {
      guard let p, p.hasPrefix("work/"), !isUnder("work/proj", p) else { return nil }
      if protected.contains(where: { isUnder(p, $0) || isUnder($0, p) }) { return nil }
      return p
    }
    let ownOut = ownFolder(outPath), ownCache = ownFolder(cachePath)
    var changed: [String] = []
    for key in Set(before.keys).union(after.keys).sorted() where before[key] != after[key] {
      let name = lastComponent(key)
      let isNew = before[key] == nil
      let beside = parentPath(key) == outParent && isNew
      // `figures` writes only its own files (`<label>.<format>`, values.tex) into its folder, which may be any
      let figureFile =
        args.first == "figures" && outPath.map { parentPath(key) == $0 } == true && after[key] != .dir
        && ["pdf", "svg", "png"].contains((name as NSString).pathExtension) || (args.first == "figures" && name == "values.tex")
      // the cache may grow on any run (results computed before a later failure), unless it lies in the site
      if let ownCache, isUnder(key, ownCache), success || !(ownOut.map { isUnder(ownCache, $0) } ?? false) { continue }
      // lock files beside the output may be left; staging/old names only by a successful build
      // (a lock file is reused by later builds, so it may also be touched)
      if parentPath(key) == outParent, name.lowercased().contains("lock") { continue }
      if success, figureFile { continue }
      if success, beside, name.contains(outBase) { continue }
      if success, let ownOut, isUnder(key, ownOut) { continue }
      // missing parents of a new output folder
      if success, isNew, after[key] == .dir, let ownOut, isUnder(ownOut, key) { continue }
      changed.append(key)
    }
    if !changed.isEmpty {
      let what = changed.prefix(4).map { k -> String in
        before[k] == nil ? "+\(k)" : after[k] == nil ? "-\(k)" : "~\(k)"
      }.joined(separator: ", ")
      problems.append(
        success
          ? "wrote outside the build's folders: \(what)\(changed.count > 4 ? " …(\(changed.count))" : "")"
          : "exit \(o.status) but the tree changed (site/sources not intact): \(what)\(changed.count > 4 ? " …(\(changed.count))" : "")")
    }

    // Published files: no live markup, no canary.
    var published: [(String, Data)] = []
    if let outPath = ownOut {
      for (k, v) in after where isUnder(k, outPath) {
        if case .file(let d) = v, before[k] != after[k] || success {
          published.append((String(k.dropFirst(outPath.count).drop { $0 == "/" }), d))
        }
      }
    }
    if success {
      for (name, data) in published where name.hasSuffix(".html") || name.hasSuffix(".svg") {
        let v = HTMLSafety.violations(in: String(decoding: data, as: UTF8.self))
        if !v.isEmpty { problems.append("live markup in \(name): \(v.prefix(2).joined(separator: "; "))") }
      }
      for (name, data) in published where data.range(of: Data("SKELCANARY".utf8)) != nil {
        problems.append("canary text published in \(name)")
      }
    }

    // The expected outcome.
    let e = words(c.expect)
    let kind = e.first ?? ""
    var rest = Array(e.dropFirst())
    var position: String? = nil
    if let first = rest.first,
      first.contains("/") || first.hasSuffix(".md") || first.hasSuffix(".bib") || first.contains(".md:") || first.contains(".bib:")
    {
      position = first
      rest.removeFirst()
    }
    let allowed: Set<Int32>
    switch kind {
    case "ok": allowed = [0]
    case "error": allowed = [1]
    case "refused": allowed = [2]
    case "nonzero": allowed = [1, 2]
    case "ok-or-error": allowed = [0, 1]
    case "ok-or-refused": allowed = [0, 2]
    case "any": allowed = [0, 1, 2]
    default:
      allowed = []
      problems.append("unknown expectation \(kind)")
    }
    if !o.timedOut, !o.signalled, !allowed.contains(o.status) {
      problems.append("expected \(kind), got exit \(o.status): \(tail)")
    } else if !o.timedOut, !o.signalled, o.status != 0 {
      let lower = o.stderr.lowercased()
      if let position {
        let pattern =
          NSRegularExpression.escapedPattern(for: position) + (position.filter { $0 == ":" }.count >= 2 ? "" : "(:[0-9]+)*") + ": error"
        // a file-level error (no line in the expectation) may also name the file inside its message
        let fileOnly = !position.contains(":") && o.stderr.contains(position)
        if !fileOnly, o.stderr.range(of: pattern, options: .regularExpression) == nil {
          problems.append("no error at \(position): \(tail)")
        }
      } else if !lower.contains("error") {
        problems.append("exit \(o.status) without an error message: \(tail)")
      }
      for k in rest where !k.split(separator: "|").contains(where: { lower.contains($0.lowercased()) }) {
        problems.append("error does not mention '\(k)': \(tail)")
      }
    } else if o.status == 0, kind == "ok" {
      let lower = (o.stderr + o.stdout).lowercased()
      for k in rest where !k.split(separator: "|").contains(where: { lower.contains($0.lowercased()) }) {
        problems.append("output does not mention '\(k)'")
      }
    }
    if o.status == 0, !o.timedOut, !o.signalled {
      problems += runChecks(c.checks, published: published, o: o, project: project, strictExit: true)
    } else {
      problems += runChecks(
        c.checks.filter { $0.hasPrefix("stderr") || $0.hasPrefix("exists") || $0.hasPrefix("absent") }, published: published, o: o,
        project: project, strictExit: false)
    }
    return (problems, String(format: "exit %d in %.1f s", o.status, o.seconds))
  }

  /// `matches-fresh EXT`, `site-contains FILE TEXT`, `site-lacks TEXT`, `finite`, `stderr-contains TEXT`,
  /// `stderr-lacks TEXT`, `exists PATH`, `absent PATH` (relative to the project).
  func runChecks(_ checks: [String], published: [(String, Data)], o: Outcome, project: URL, strictExit: Bool) -> [String] {
    var problems: [String] = []
    for check in checks {
      let w = words(check)
      guard let k = w.first else { continue }
      let arg = w.dropFirst().joined(separator: " ")
      switch k {
      case "site-contains":
        let file = w.count > 1 ? w[1] : "", text = w.dropFirst(2).joined(separator: " ")
        if let (_, d) = published.first(where: { $0.0 == file }) {
          if d.range(of: Data(text.utf8)) == nil { problems.append("\(file) does not contain '\(text)'") }
        } else {
          problems.append("\(file) was not published")
        }
      case "site-lacks":
        for (name, d) in published where d.range(of: Data(arg.utf8)) != nil { problems.append("\(name) contains '\(arg)'") }
      case "finite":
        for (name, d) in published where name.hasSuffix(".csv") || name.hasSuffix(".json") {
          let s = String(decoding: d, as: UTF8.self).lowercased()
          if s.range(of: "(^|[,\\[: \"])(-?nan|-?inf|-?infinity|null)([,\\]\n\" ]|$)", options: .regularExpression) != nil,
            name.hasSuffix(".csv") || s.range(of: "\"y\"\\s*:\\s*\\[[^\\]]*(null|nan|inf)", options: .regularExpression) != nil
          {
            problems.append("\(name) publishes NaN/infinite values")
          }
        }
      case "matches-fresh":
        // the same reports built from nothing: every published file with this extension must be byte-identical
        let ext = "." + (w.count > 1 ? w[1] : "csv")
        let fm = FileManager.default
        let fresh = runRoot.appendingPathComponent("fresh-\(UUID().uuidString)")
        defer { try? fm.removeItem(at: fresh) }
        try? fm.createDirectory(at: fresh, withIntermediateDirectories: true)
        try? fm.copyItem(at: project.appendingPathComponent("reports"), to: fresh.appendingPathComponent("reports"))
        try? fm.copyItem(at: templates, to: fresh.appendingPathComponent("templates"))
        let r = runCapped(
          ["build", "reports", "--out", "_site", "--no-cache", "--threads", "1"], cwd: fresh, env: baseEnv, timeout: 60,
          logs: runRoot.appendingPathComponent("fresh-log-\(UUID().uuidString)"))
        if r.status != 0 {
          problems.append("the fresh build failed: \(r.stderr.prefix(200))")
          break
        }
        // build.html reports the build itself (which results came from the cache), not a result
        let mine = published.filter { $0.0.hasSuffix(ext) && !$0.0.hasPrefix("assets/") && $0.0 != "build.html" }
        if mine.isEmpty { problems.append("no \(ext) file was published") }
        for (name, d) in mine where (try? Data(contentsOf: fresh.appendingPathComponent("_site/" + name))) != d {
          problems.append("\(name) differs from a fresh build (a wrong result was published)")
        }
      case "stderr-contains":
        if !o.stderr.lowercased().contains(arg.lowercased()) { problems.append("stderr lacks '\(arg)'") }
      case "stderr-lacks":
        if o.stderr.lowercased().contains(arg.lowercased()) { problems.append("stderr contains '\(arg)'") }
      case "exists":
        if !FileManager.default.fileExists(atPath: project.appendingPathComponent(arg).path) { problems.append("\(arg) is missing") }
      case "absent":
        var st = stat()
        if lstat(project.appendingPathComponent(arg).path, &st) == 0 { problems.append("\(arg) exists") }
      default: problems.append("unknown check \(k)")
      }
    }
    return problems
  }

  /// `digit`, `truncate`, `empty`, `garbage`, `swap` (the first two matches), `delete`.
  func mutate(_ kind: String, _ glob: String, in project: URL) -> [String] {
    var matches: [String] = []
    let fm = FileManager.default
    if let e = fm.enumerator(atPath: project.path) {
      for case let p as String in e where fnmatch(glob, p, 0) == 0 { matches.append(p) }
    }
    matches.sort()
    guard let first = matches.first else { return ["mutate \(kind): nothing matches \(glob)"] }
    let url = project.appendingPathComponent(first)
    guard var d = try? Data(contentsOf: url) else { return ["mutate: cannot read \(first)"] }
    switch kind {
    case "digit":
      // change the last digit of the first number after `"y"` (or anywhere)
      let bytes = [UInt8](d)
      let start = d.range(of: Data("\"y\"".utf8))?.upperBound ?? 0
      if let i = bytes[start...].firstIndex(where: { $0 >= 0x31 && $0 <= 0x38 }) { d[i] = bytes[i] + 1 }
    case "truncate": d = d.prefix(d.count / 2)
    case "empty": d = Data()
    case "garbage": d = Data((0..<max(64, d.count)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })
    case "delete":
      try? fm.removeItem(at: url)
      return []
    case "shorten-x":
      // halve the base64-encoded x array of the first series (x shorter than y)
      let text = String(decoding: d, as: UTF8.self)
      guard let r = text.range(of: "\"x\":\""), let end = text[r.upperBound...].firstIndex(of: "\"") else {
        return ["shorten-x: no x in \(first)"]
      }
      let b64 = text[r.upperBound..<end].replacingOccurrences(of: "\\/", with: "/")
      guard let raw = Data(base64Encoded: b64) else { return ["shorten-x: x is not base64"] }
      let shorter = raw.prefix(raw.count / 16 * 8).base64EncodedString().replacingOccurrences(of: "/", with: "\\/")
      d = Data((text[..<r.upperBound] + shorter + text[end...]).utf8)
    case "math-swap":
      // math.json: {"format", "katex", "entries": [{"tex", "display", "macros", "html", "sha256"}]}: swap two formulas' HTML
      guard var top = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any], var entries = top["entries"] as? [[String: Any]],
        entries.count >= 2
      else { return ["math-swap: fewer than two formulas in \(first)"] }
      (entries[0]["html"], entries[1]["html"]) = (entries[1]["html"], entries[0]["html"])
      top["entries"] = entries
      d = (try? JSONSerialization.data(withJSONObject: top)) ?? d
    case "swap":
      guard matches.count >= 2, let d2 = try? Data(contentsOf: project.appendingPathComponent(matches[1])) else {
        return ["mutate swap: fewer than two matches of \(glob)"]
      }
      try? d.write(to: project.appendingPathComponent(matches[1]))
      d = d2
    default: return ["unknown mutation \(kind)"]
    }
    try? d.write(to: url)
    return []
  }
}

@Suite struct HostileCorpusTests {
  @Test func everyHostileInputMeetsItsExpectation() throws {
    let corpusURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Hostile/corpus.txt")
    let all = try parseCorpus(String(contentsOf: corpusURL, encoding: .utf8))
    #expect(all.count >= 300, "the corpus has \(all.count) cases")
    let filters = (ProcessInfo.processInfo.environment["HOSTILE_FILTER"] ?? "").split(separator: ",").map(String.init)
    let cases = filters.isEmpty ? all : all.filter { c in filters.contains { c.id.contains($0) || c.name.contains($0) || c.theme == $0 } }

    let fm = FileManager.default
    let runRoot = fm.temporaryDirectory.appendingPathComponent("skel-hostile-\(UUID().uuidString)")
    try fm.createDirectory(at: runRoot, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: runRoot) }
    let xdg = runRoot.appendingPathComponent("xdg-cache")
    try fm.createDirectory(at: xdg, withIntermediateDirectories: true)
    var env = ProcessInfo.processInfo.environment
    env["XDG_CACHE_HOME"] = xdg.path
    env["OPENBLAS_NUM_THREADS"] = "1"

    // The previously built site every case starts from.
    let pre = runRoot.appendingPathComponent("prebuilt")
    try fm.createDirectory(at: pre.appendingPathComponent("reports"), withIntermediateDirectories: true)
    try Harness.goodReport.write(to: pre.appendingPathComponent("reports/good.md"), atomically: true, encoding: .utf8)
    let templates = root.appendingPathComponent("templates")
    let p = runCapped(
      ["build", "reports", "--out", "_site", "--templates", templates.path, "--no-cache"], cwd: pre, env: env, timeout: 120,
      logs: runRoot.appendingPathComponent("prebuilt-log"))
    try #require(p.status == 0 && !p.signalled, "the good site does not build: \(p.stderr)")
    let harness = Harness(runRoot: runRoot, templates: templates, prebuiltSite: pre.appendingPathComponent("_site"), baseEnv: env)

    let shared = Shared()
    let start = Date()
    DispatchQueue.concurrentPerform(iterations: 2) { _ in
      while true {
        shared.lock.lock()
        let i = shared.next
        shared.next += 1
        shared.lock.unlock()
        if i >= cases.count { return }
        let (problems, account) = harness.run(cases[i])
        shared.lock.lock()
        shared.results.append((cases[i], problems, account))
        shared.lock.unlock()
      }
    }
    let seconds = Date().timeIntervalSince(start)

    // Summary: cases per theme, then every failure with its reasons.
    let results = shared.results.sorted { $0.0.line < $1.0.line }
    var themes: [String] = []
    for (c, _, _) in results where !themes.contains(c.theme) { themes.append(c.theme) }
    var report = "hostile corpus: \(results.count) cases in \(String(format: "%.0f", seconds)) s\n"
    report += "theme      cases  failed\n"
    for t in themes {
      let r = results.filter { $0.0.theme == t }
      report += String(
        format: "%@ %5d  %6d\n", t.padding(toLength: 10, withPad: " ", startingAt: 0), r.count, r.filter { !$0.1.isEmpty }.count)
    }
    let failed = results.filter { !$0.1.isEmpty }
    report += "total      \(results.count)  \(failed.count)\n"
    for (c, problems, account) in failed {
      report += "FAIL \(c.theme) \(c.id) \(c.name) (\(account)): \(problems.joined(separator: " ; "))\n"
    }
    print(report)
    if let path = ProcessInfo.processInfo.environment["HOSTILE_REPORT"] {
      try? report.write(toFile: path, atomically: true, encoding: .utf8)
    }
    for (c, problems, _) in failed {
      Issue.record("\(c.id) \(c.name): \(problems.joined(separator: " ; "))")
    }
  }
}
