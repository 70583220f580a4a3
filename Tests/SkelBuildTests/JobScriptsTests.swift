import Foundation
import Testing

@testable import SkelBuild

/// The text of cluster scripts: quoting that a shell reads back as the same word, and resources
/// from the plan's estimates.
struct JobScriptsTests {
  /// Every word, however hostile, comes back unchanged from `sh -c 'printf %s WORD'`.
  @Test func quotedWordsSurviveTheShell() throws {
    for word in ["plain", "with space", "it's", "$(rm -rf ~)", "`x`", "a\"b", "semi;colon", "", "tab\there", "ünï"] {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/sh")
      p.arguments = ["-c", "printf %s " + JobScripts.quote(word)]
      let out = Pipe()
      p.standardOutput = out
      try p.run()
      let data = out.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      #expect(String(decoding: data, as: UTF8.self) == word, "\(word) → \(JobScripts.quote(word))")
    }
  }

  /// Memory is the largest unit plus the process's own; time the slowest shard's sum times the
  /// margin, never under the floor.
  @Test func resourcesFollowTheEstimates() {
    let units = [
      WorkUnit(key: "a", report: "r", label: "a", kind: "k", bytes: 100 << 20, seconds: 400),
      WorkUnit(key: "b", report: "r", label: "b", kind: "k", bytes: 700 << 20, seconds: 100),
      WorkUnit(key: "c", report: "r", label: "c", kind: "k", bytes: 10 << 20, seconds: 250),
    ]
    let plan = WorkPlan(engine: "e", reports: "/r", units: units)
    // two shards: a (400 s) alone, b + c (350 s) together
    let two = ShardResources(plan: plan, units: units, shards: 2)
    #expect(two.bytes == (700 << 20) + ShardResources.processBytes)
    #expect(two.seconds == 400 * ShardResources.timeMargin)
    #expect(two.slurmTime == "0-00:27:00")
    #expect(two.slurmMemory == "\(700 + 256)M")
    let one = ShardResources(plan: plan, units: units, shards: 1)
    #expect(one.seconds == 750 * ShardResources.timeMargin)
    let tiny = ShardResources(
      plan: plan,
      units: [units[2]].map {
        var u = $0
        u.seconds = 1
        return u
      }, shards: 1)
    #expect(tiny.seconds == ShardResources.minimumSeconds && tiny.slurmTime == "0-00:05:00")
    var long = ShardResources(plan: plan, units: units, shards: 1)
    long.seconds = 90_061
    #expect(long.slurmTime == "1-01:02:00")
  }

  @Test func arrayScriptRunsTheShardOfEachTask() {
    var job = ClusterJob(
      binary: "/opt/my tools/skelreport", workingDirectory: "/w", reports: "/w/reports", plan: "/w/j/plan.json",
      cacheDir: "/shared/cache", site: "/w/_site", shards: 16)
    job.partition = "cpu"
    let plan = WorkPlan(engine: "e", reports: "/w/reports", units: [])
    let text = JobScripts.slurmArray(job, resources: ShardResources(plan: plan, units: [], shards: 16))
    #expect(text.hasPrefix("#!/bin/bash\n"))
    #expect(text.contains("#SBATCH --array=0-15\n") && text.contains("#SBATCH --partition=cpu\n"))
    #expect(text.contains("exec '/opt/my tools/skelreport' shard /w/j/plan.json --of 16 --cache-dir /shared/cache --threads 1\n"))
    let gather = JobScripts.slurmGather(job)
    #expect(gather.contains("build /w/reports --out /w/_site --cache-dir /shared/cache --missing report"))
  }
}
