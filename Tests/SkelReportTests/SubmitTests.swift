import Foundation
import Testing

/// Issue 22: `skelreport submit` hands the missing units to Slurm (an array and a dependent gather
/// job) or Kubernetes (Indexed Jobs). A stand-in `sbatch` on PATH runs each script the way Slurm
/// would (every array index with `SLURM_ARRAY_TASK_ID`, in `--chdir`), so the whole path is
/// exercised without a cluster; `make test-cluster` runs it on a real one.
@Suite(.serialized) struct SubmitTests {
  /// A `sbatch` that logs its arguments to `$SBATCH_LOG`, runs the script (each index of its
  /// `--array=0-K`, or once) and prints a job id like `sbatch --parsable`.
  static let fakeSbatch = """
    #!/bin/bash
    set -euo pipefail
    echo "$*" >> "$SBATCH_LOG"
    script="${@: -1}"
    dir=$(sed -n 's/^#SBATCH --chdir=//p' "$script")
    last=$(sed -n 's/^#SBATCH --array=0-//p' "$script")
    n=$(wc -l < "$SBATCH_LOG")
    if [ -n "$last" ]; then
      for i in $(seq 0 "$last"); do (cd "$dir" && SLURM_ARRAY_TASK_ID=$i bash "$script" > "task-$i.log" 2>&1); done
    else
      (cd "$dir" && bash "$script" > gather.log 2>&1)
    fi
    echo "$((100 + n))"
    """

  static func withFakeSlurm(_ body: (URL, [String: String]) throws -> Void) throws {
    let dir = try ClusterTests.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let bin = dir.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
    try fakeSbatch.write(to: bin.appendingPathComponent("sbatch"), atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.appendingPathComponent("sbatch").path)
    var env = ProcessInfo.processInfo.environment
    env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
    env["SBATCH_LOG"] = dir.appendingPathComponent("sbatch.log").path
    try body(dir, env)
  }

  static func runWith(_ args: [String], in dir: URL, env: [String: String]) throws -> Run { try run(args, in: dir, env: env) }

  static func submit(_ dir: URL, _ env: [String: String], _ extra: [String] = []) throws -> Run {
    try runWith(
      ["submit", "reports", "--slurm", "--shards", "3", "--out", "site-c", "--cache-dir", "cache-c", "--reproducible"] + extra, in: dir,
      env: env)
  }

  /// Three array tasks and the gather job give the one-process site byte for byte; the gather job
  /// depends on the array (`afterok`) and computes nothing (`--missing report`).
  @Test func submittedArrayAndGatherGiveTheOneProcessSite() throws {
    try Self.withFakeSlurm { dir, env in
      let r = try Self.submit(dir, env)
      #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
      #expect(r.stdout.contains("5 units: 0 in the cache, 5 to compute in 3 tasks"), "\(r.stdout)")
      let calls = try String(contentsOf: dir.appendingPathComponent("sbatch.log"), encoding: .utf8).split(separator: "\n")
      #expect(calls.count == 2)
      #expect(calls.first?.hasSuffix("units.sbatch") == true)
      #expect(calls.last?.contains("--dependency=afterok:101") == true && calls.last?.hasSuffix("gather.sbatch") == true, "\(calls)")
      let units = try String(contentsOf: dir.appendingPathComponent("skelreport-jobs/units.sbatch"), encoding: .utf8)
      #expect(units.contains("#SBATCH --array=0-2") && units.contains("shard ") && units.contains("--of 3"))
      let gather = try String(contentsOf: dir.appendingPathComponent("skelreport-jobs/gather.sbatch"), encoding: .utf8)
      #expect(gather.contains("--missing report") && gather.contains("--reproducible"))
      // every unit came from a task: the gather found all five in the cache
      #expect(ClusterTests.cacheFiles(dir, "cache-c").entries.count == 5)
      let local = try run(["build", "reports", "--out", "site-l", "--cache-dir", "cache-l", "--reproducible", "-q"], in: dir)
      #expect(local.status == 0, "\(local.stderr)")
      let cluster = ClusterTests.site(dir, "site-c"), single = ClusterTests.site(dir, "site-l")
      #expect(!cluster.isEmpty && cluster == single, "\(Set(cluster.keys).symmetricDifference(single.keys))")
    }
  }

  /// After a lost unit, the same command submits only the missing one; with none missing it
  /// submits only the gather job.
  @Test func resubmittingSendsOnlyTheMissingUnits() throws {
    try Self.withFakeSlurm { dir, env in
      #expect(try Self.submit(dir, env).status == 0)
      let entries = ClusterTests.cacheFiles(dir, "cache-c").entries
      try FileManager.default.removeItem(at: dir.appendingPathComponent("cache-c/results/\(try #require(entries.first))"))
      let again = try Self.submit(dir, env)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(again.stdout.contains("5 units: 4 in the cache, 1 to compute in 1 task"), "\(again.stdout)")
      let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("skelreport-jobs/plan.json")))
      #expect(((plan as? [String: Any])?["units"] as? [Any])?.count == 1)
      #expect(ClusterTests.cacheFiles(dir, "cache-c").entries.count == 5)
      let none = try Self.submit(dir, env)
      #expect(none.stdout.contains("5 in the cache, 0 to compute"), "\(none.stdout)")
      let calls = try String(contentsOf: dir.appendingPathComponent("sbatch.log"), encoding: .utf8).split(separator: "\n")
      #expect(calls.count == 5 && calls.last?.contains("--dependency") == false, "\(calls)")
    }
  }

  /// The gather build with `--missing report` fails naming each directive no shard computed.
  @Test func gatherWithMissingUnitsFailsAndNamesThem() throws {
    let dir = try ClusterTests.project()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try run(["build", "reports", "--out", "site", "--cache-dir", "empty", "--missing", "report", "-q"], in: dir)
    #expect(r.status == 1)
    for label in ClusterTests.labels { #expect(r.stderr.contains("directive '\(label)' is not in the cache"), "\(label): \(r.stderr)") }
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("site").path))
  }

  /// `--dry-run` writes the scripts and submits nothing; `--k8s` writes an Indexed Job and the
  /// gather Job whose scalars are JSON strings (valid YAML).
  @Test func dryRunAndKubernetesWriteScriptsOnly() throws {
    try Self.withFakeSlurm { dir, env in
      let dry = try Self.submit(dir, env, ["--dry-run", "--partition", "gpu", "--time", "1:00:00", "--mem", "2G"])
      #expect(dry.status == 0, "\(dry.stderr)")
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("sbatch.log").path))
      #expect(dry.stdout.contains("#SBATCH --partition=gpu") && dry.stdout.contains("#SBATCH --time=1:00:00"))
      #expect(dry.stdout.contains("#SBATCH --mem=2G"))
      let k = try Self.runWith(
        ["submit", "reports", "--k8s", "--shards", "2", "--jobs-dir", "k8s", "--image", "reg/skel:1"], in: dir, env: env)
      #expect(k.status == 0, "\(k.stderr)")
      let units = try String(contentsOf: dir.appendingPathComponent("k8s/units.yaml"), encoding: .utf8)
      for line in ["completionMode: Indexed", "completions: 2", "image: \"reg/skel:1\"", "\"--of\", \"2\""] {
        #expect(units.contains(line), "\(line) in \(units)")
      }
      let gather = try String(contentsOf: dir.appendingPathComponent("k8s/gather.yaml"), encoding: .utf8)
      #expect(gather.contains("\"--missing\", \"report\""))
      #expect(k.stdout.contains("kubectl wait --for=condition=complete"))
    }
  }

  /// Refusals (exit 2, nothing submitted): both schedulers or none, a jobs folder submit did not
  /// make, a site path that is the reports folder, a bad --shards.
  @Test func refusals() throws {
    try Self.withFakeSlurm { dir, env in
      try FileManager.default.createDirectory(at: dir.appendingPathComponent("mine"), withIntermediateDirectories: true)
      try "keep".write(to: dir.appendingPathComponent("mine/notes.txt"), atomically: true, encoding: .utf8)
      let cases: [[String]] = [
        ["submit", "reports"], ["submit", "reports", "--slurm", "--k8s"], ["submit", "reports", "--slurm", "--jobs-dir", "mine"],
        ["submit", "reports", "--slurm", "--out", "reports"], ["submit", "reports", "--slurm", "--shards", "0"],
        ["submit", "reports", "--slurm", "--jobs-dir", "reports"], ["submit", "reports", "--slurm", "--time", "1 h"],
      ]
      for args in cases {
        let r = try Self.runWith(args, in: dir, env: env)
        #expect(r.status == 2, "\(args): \(r.status) \(r.stderr)")
      }
      #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("sbatch.log").path))
      #expect(try String(contentsOf: dir.appendingPathComponent("mine/notes.txt"), encoding: .utf8) == "keep")
      #expect(try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("mine").path) == ["notes.txt"])
    }
  }
}
