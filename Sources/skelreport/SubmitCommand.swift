import ArgumentParser
import Foundation
import SkelBuild
import SkelCairo

struct SubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Hand the build's missing units to a cluster: a Slurm job array and a dependent gather job, or Kubernetes Indexed Jobs.",
    discussion: """
      The units already in the (shared) cache are not submitted again, so after a failed or \
      cancelled task the same command resubmits only what is missing. Every path is made absolute: \
      the nodes must see the working folder, the binary and the cache at the same paths (a shared file system).
      """)

  @Argument(help: "A folder of reports (*.md) or one report.")
  var reports: String = "reports"

  @Flag(help: "Write a Slurm array script and a gather script and submit them with sbatch.")
  var slurm = false

  @Flag(help: "Write a Kubernetes Indexed Job manifest and the gather Job (applied by you with kubectl).")
  var k8s = false

  @Flag(help: "Write and print the scripts; submit nothing.")
  var dryRun = false

  @Option(name: .shortAndLong, help: "Where the gather job writes the site.")
  var out: String = "_site"

  @Option(help: "Folder for the plan, the scripts and the tasks' logs (created; only a folder submit made is reused).")
  var jobsDir: String = "skelreport-jobs"

  @Option(help: "Array tasks (default: one per missing unit, at most 1000).")
  var shards: Int?

  @Option(help: "Slurm partition.")
  var partition: String?

  @Option(help: "Wall time per task, Slurm syntax (default: from the estimates, with a margin).")
  var time: String?

  @Option(help: "Memory per task, e.g. 4G (default: the largest unit's estimate plus the process's own).")
  var mem: String?

  @Option(help: "Threads per task.")
  var taskThreads: Int = 1

  @Option(help: "Container image for --k8s (it must hold the same skelreport at the same path).")
  var image: String = "skelreport:latest"

  @Option(help: "PersistentVolumeClaim holding the working folder, for --k8s.")
  var pvc: String = "skelreport-shared"

  @Flag(help: "Pass --reproducible to the gather build.")
  var reproducible = false

  @OptionGroup var work: WorkOptions

  @Flag(name: .shortAndLong, help: "Print only errors and the job ids.")
  var quiet = false

  func validate() throws {
    guard slurm != k8s else { throw ValidationError("give exactly one of --slurm and --k8s") }
    if let shards, !(1...1000).contains(shards) { throw ValidationError("--shards must be 1…1000, got \(shards)") }
    guard (1...256).contains(taskThreads) else { throw ValidationError("--task-threads must be 1…256, got \(taskThreads)") }
    for (name, value) in [("--partition", partition), ("--time", time), ("--mem", mem)] {
      if let value, value.isEmpty || value.contains(where: { $0.isWhitespace || $0 == "'" || $0 == "\"" }) {
        throw ValidationError("\(name) '\(value)' must be one word")
      }
    }
  }

  func run() throws {
    let cwd = FileManager.default.currentDirectoryPath
    let config = try work.configuration(reports: reports)
    try refuseUnsafeSite(cwd: cwd)
    let jobs = try JobsFolder.prepare(jobsDir, reports: reports, cacheDir: work.cacheDir)
    let quiet = self.quiet
    let builder = SiteBuilder(configuration: config, backend: CairoBackend(), log: { line in if !quiet { print(line) } })
    let plan: WorkPlan
    do { plan = try builder.workPlan() } catch let error as BuildError {
      Diagnostics.report(error, what: "nothing was submitted")
      throw ExitCode(1)
    }
    let missing = builder.missingUnits(of: plan)
    let sub = WorkPlan(engine: plan.engine, reports: plan.reports, units: missing)
    let count = max(1, min(shards ?? min(missing.count, 1000), max(1, missing.count)))
    let job = clusterJob(cwd: cwd, plan: jobs.appendingPathComponent("plan.json").path, shards: count)
    let resources = ShardResources(plan: plan, units: missing, shards: count)
    try sub.encoded().write(to: jobs.appendingPathComponent("plan.json"), options: .atomic)
    if !quiet {
      print(
        "\(plan.units.count) unit\(plan.units.count == 1 ? "" : "s"): \(plan.units.count - missing.count) in the cache, \(missing.count) to compute in \(missing.isEmpty ? 0 : count) task\(count == 1 ? "" : "s") (each up to \(resources.slurmMemory), \(resources.slurmTime))"
      )
    }
    if slurm {
      try SlurmSubmission(job: job, resources: resources, folder: jobs, dryRun: dryRun, quiet: quiet).submit(units: !missing.isEmpty)
    } else {
      try writeKubernetes(job, resources: resources, folder: jobs, units: !missing.isEmpty)
    }
  }

  func clusterJob(cwd: String, plan: String, shards: Int) -> ClusterJob {
    func absolute(_ p: String) -> String {
      URL(fileURLWithPath: p, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
    }
    var job = ClusterJob(
      binary: Self.binaryPath, workingDirectory: cwd, reports: absolute(reports), plan: plan, cacheDir: absolute(work.cacheDir),
      site: absolute(out), shards: shards)
    job.partition = partition
    job.time = time
    job.memory = mem
    job.threads = taskThreads
    if reproducible { job.buildArguments = ["--reproducible"] }
    return job
  }

  /// This process's own executable (what the nodes run), from /proc on Linux.
  static var binaryPath: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
  }

  /// The gather job will refuse an unsafe `--out`; refuse it now, before anything is submitted.
  func refuseUnsafeSite(cwd: String) throws {
    do {
      try OutputSafety.check(
        output: URL(fileURLWithPath: out), reports: URL(fileURLWithPath: reports), templates: nil,
        caches: [URL(fileURLWithPath: work.cacheDir)], cwd: URL(fileURLWithPath: cwd))
    } catch let refusal as OutputSafety.Refusal {
      Diagnostics.refuse(refusal)
      throw ExitCode(2)
    }
  }

  func writeKubernetes(_ job: ClusterJob, resources: ShardResources, folder: URL, units: Bool) throws {
    let k8s = KubernetesJob(image: image, volumeClaim: pvc, mountPath: job.workingDirectory)
    var files: [(String, String)] = []
    if units { files.append(("units.yaml", JobScripts.kubernetesUnits(job, k8s, resources: resources))) }
    files.append(("gather.yaml", JobScripts.kubernetesGather(job, k8s)))
    for (name, text) in files {
      try Data(text.utf8).write(to: folder.appendingPathComponent(name), options: .atomic)
      if dryRun && !quiet { print("--- \(folder.path)/\(name)\n\(text)", terminator: "") }
    }
    guard !quiet else { return }
    let dir = JobScripts.quote(folder.path)
    if units {
      print("then: kubectl apply -f \(dir)/units.yaml && kubectl wait --for=condition=complete --timeout=-1s job/\(job.jobName)-units")
    }
    print("      kubectl apply -f \(dir)/gather.yaml")
  }
}

/// The folder `submit` writes its plan and scripts into: made by submit (it holds the marker
/// `.skelreport-jobs`) or new, and never a reports or cache folder.
enum JobsFolder {
  static let marker = ".skelreport-jobs"

  static func prepare(_ path: String, reports: String, cacheDir: String) throws -> URL {
    let fm = FileManager.default
    let url = URL(fileURLWithPath: path).standardizedFileURL
    func refuse(_ why: String) -> ExitCode {
      var err = StandardError()
      print("error: refusing to use '\(path)' for the jobs: \(why); nothing was submitted", to: &err)
      return ExitCode(2)
    }
    try PlanCommand.checkOut(url.appendingPathComponent("plan.json").path, reports: reports, cacheDir: cacheDir)
    var isDir: ObjCBool = false
    if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
      guard isDir.boolValue else { throw refuse("it is a file") }
      let entries = (try? fm.contentsOfDirectory(atPath: url.path)) ?? []
      guard entries.isEmpty || entries.contains(marker) else { throw refuse("it is a folder that skelreport submit did not make") }
    } else {
      do { try fm.createDirectory(at: url, withIntermediateDirectories: true) } catch { throw refuse("it cannot be created (\(error))") }
    }
    _ = fm.createFile(atPath: url.appendingPathComponent(marker).path, contents: Data("made by skelreport submit\n".utf8))
    return url
  }
}

/// Writing the two Slurm scripts and submitting them: the array, then the gather job with
/// `--dependency=afterok:<array>` (it runs only if every task succeeded).
struct SlurmSubmission {
  var job: ClusterJob
  var resources: ShardResources
  var folder: URL
  var dryRun: Bool
  var quiet: Bool

  func submit(units: Bool) throws {
    var job = self.job
    job.workingDirectory = folder.path  // the tasks' logs go beside the scripts
    let array = folder.appendingPathComponent("units.sbatch"), gather = folder.appendingPathComponent("gather.sbatch")
    if units { try write(JobScripts.slurmArray(job, resources: resources), to: array) }
    try write(JobScripts.slurmGather(job), to: gather)
    guard !dryRun else { return }
    var dependency: [String] = []
    if units {
      let id = try sbatch([array.path])
      print("submitted the units as job array \(id) (\(job.shards) task\(job.shards == 1 ? "" : "s"))")
      dependency = ["--dependency=afterok:\(id)"]
    }
    let gatherID = try sbatch(dependency + [gather.path])
    print("submitted the gather job \(gatherID): it writes \(job.site)")
  }

  func write(_ text: String, to url: URL) throws {
    try Data(text.utf8).write(to: url, options: .atomic)
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    if dryRun && !quiet { print("--- \(url.path)\n\(text)", terminator: "") }
  }

  /// Runs `sbatch --parsable ARGS` and returns the job id it prints (`123` or `123;cluster`).
  func sbatch(_ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["sbatch", "--parsable"] + arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { throw fail("cannot run sbatch: \(error)") }
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    let problem = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    let id = text.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
    guard process.terminationStatus == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
      throw fail(
        "sbatch \(arguments.last ?? "") failed (exit \(process.terminationStatus)): \(problem.trimmingCharacters(in: .whitespacesAndNewlines)) — is Slurm installed and running? (--dry-run writes the scripts only)"
      )
    }
    return id
  }

  func fail(_ message: String) -> ExitCode {
    var err = StandardError()
    print("error: \(message)", to: &err)
    return ExitCode(1)
  }
}
