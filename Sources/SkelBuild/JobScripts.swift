import Foundation

/// What a cluster run needs to know besides the plan: where things are (absolute paths, as the
/// nodes see them on the shared file system), how many shards, and the resources the user set.
public struct ClusterJob: Sendable, Equatable {
  /// The skelreport binary the nodes run (the worker is the tool itself).
  public var binary: String
  /// The folder the jobs start in; relative paths below are read against it.
  public var workingDirectory: String
  public var reports: String
  /// The plan the shards read (written by `submit` next to the scripts).
  public var plan: String
  /// The shared cache folder (`--cache-dir`): the shards write results into it, the gather reads.
  public var cacheDir: String
  /// Where the gather job writes the site.
  public var site: String
  /// Number of array tasks (each computes one balanced part of the plan's units).
  public var shards: Int
  public var jobName = "skelreport"
  /// Slurm `--partition`, or the Kubernetes namespace's default when nil.
  public var partition: String?
  /// Wall time per task (Slurm `--time`), from the estimates when nil.
  public var time: String?
  /// Memory per task (Slurm `--mem`), from the estimates when nil.
  public var memory: String?
  /// Threads per task (`--cpus-per-task`, and `--threads` of each shard).
  public var threads: Int = 1
  /// Extra arguments for the gather build (e.g. `--reproducible`).
  public var buildArguments: [String] = []

  public init(binary: String, workingDirectory: String, reports: String, plan: String, cacheDir: String, site: String, shards: Int) {
    self.binary = binary
    self.workingDirectory = workingDirectory
    self.reports = reports
    self.plan = plan
    self.cacheDir = cacheDir
    self.site = site
    self.shards = shards
  }
}

/// The resources of the largest shard of a plan, from the units' estimates: memory is the
/// largest unit plus the process's own, time the slowest shard's sum with a margin (estimates
/// are made on the planning machine; nodes may be slower).
public struct ShardResources: Sendable, Equatable {
  public var bytes: Int
  public var seconds: Double

  /// The process's own memory (binary, BLAS buffers, the parsed reports) above the units'.
  public static let processBytes = 256 << 20
  /// Estimates are multiplied by this, and no task gets less than `minimumSeconds`.
  public static let timeMargin = 4.0
  public static let minimumSeconds = 300.0

  public init(plan: WorkPlan, units: [WorkUnit], shards: Int) {
    let sub = WorkPlan(engine: plan.engine, reports: plan.reports, units: units)
    let assignment = sub.assignment(shards: shards)
    var load = [Double](repeating: 0, count: max(1, shards))
    var largest = 0
    for (unit, shard) in zip(units, assignment) {
      load[shard] += max(0, unit.seconds)
      largest = max(largest, unit.bytes == Int.max ? 0 : unit.bytes)
    }
    bytes = largest + Self.processBytes
    seconds = max(Self.minimumSeconds, (load.max() ?? 0) * Self.timeMargin)
  }

  /// Slurm's `--mem` value in MiB (`1024M`).
  public var slurmMemory: String { "\((bytes + (1 << 20) - 1) >> 20)M" }

  /// Slurm's `--time` value, `D-HH:MM:SS`, rounded up to the minute.
  public var slurmTime: String {
    let minutes = Int((seconds / 60).rounded(.up))
    return String(format: "%d-%02d:%02d:00", minutes / 1440, (minutes / 60) % 24, minutes % 60)
  }

  /// Kubernetes' memory quantity (`1024Mi`).
  public var kubernetesMemory: String { "\((bytes + (1 << 20) - 1) >> 20)Mi" }
}

/// The scripts and manifests of a cluster run. Pure text: `skelreport submit` writes them and
/// hands them to `sbatch` (or prints them); the nodes run the binary itself as the worker, and
/// no scheduler is built here.
public enum JobScripts {
  /// A word for a POSIX shell, single-quoted where it needs to be.
  public static func quote(_ word: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !word.isEmpty, word.unicodeScalars.allSatisfy({ safe.contains($0) }) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The `sbatch --array` script: task `$SLURM_ARRAY_TASK_ID` computes its shard of the plan.
  public static func slurmArray(_ job: ClusterJob, resources: ShardResources) -> String {
    var lines = [
      "#!/bin/bash", "#SBATCH --job-name=\(job.jobName)-units", "#SBATCH --array=0-\(job.shards - 1)",
      "#SBATCH --cpus-per-task=\(job.threads)", "#SBATCH --mem=\(job.memory ?? resources.slurmMemory)",
      "#SBATCH --time=\(job.time ?? resources.slurmTime)", "#SBATCH --chdir=\(job.workingDirectory)",
      "#SBATCH --output=\(job.jobName)-units-%a.log",
    ]
    if let p = job.partition { lines.append("#SBATCH --partition=\(p)") }
    lines += [
      "# Written by skelreport submit: one balanced shard of the plan per array task, into the shared cache.",
      "set -euo pipefail",
      "exec \(quote(job.binary)) shard \(quote(job.plan)) --of \(job.shards) --cache-dir \(quote(job.cacheDir)) --threads \(job.threads)",
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  /// The gather job (submitted with `--dependency=afterok:<array>`): builds the site from the
  /// cache, computing nothing (`--missing report`).
  public static func slurmGather(_ job: ClusterJob) -> String {
    var lines = [
      "#!/bin/bash", "#SBATCH --job-name=\(job.jobName)-gather", "#SBATCH --cpus-per-task=\(job.threads)", "#SBATCH --mem=1024M",
      "#SBATCH --time=0-00:30:00", "#SBATCH --chdir=\(job.workingDirectory)", "#SBATCH --output=\(job.jobName)-gather.log",
    ]
    if let p = job.partition { lines.append("#SBATCH --partition=\(p)") }
    lines += [
      "# Written by skelreport submit: gathers the shards' results from the shared cache and renders the site.",
      "set -euo pipefail",
      "exec " + gatherCommand(job),
    ]
    return lines.joined(separator: "\n") + "\n"
  }

  static func gatherCommand(_ job: ClusterJob) -> String {
    ([quote(job.binary), "build", quote(job.reports), "--out", quote(job.site), "--cache-dir", quote(job.cacheDir), "--missing", "report"]
      + job.buildArguments.map(quote)).joined(separator: " ")
  }
}

/// A Kubernetes Indexed Job (`completionMode: Indexed`; each pod's `JOB_COMPLETION_INDEX` is its
/// shard) and the gather Job, for a cluster whose pods mount the shared cache from a volume claim.
public struct KubernetesJob: Sendable, Equatable {
  public var image: String
  /// The PersistentVolumeClaim holding the working folder (reports, plan, cache, site).
  public var volumeClaim: String
  /// Where the claim is mounted in the pods; the job's paths must lie under it.
  public var mountPath: String

  public init(image: String, volumeClaim: String, mountPath: String) {
    self.image = image
    self.volumeClaim = volumeClaim
    self.mountPath = mountPath
  }
}

extension JobScripts {
  /// A YAML scalar: JSON's string syntax, which YAML reads as the same string.
  static func yaml(_ s: String) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .withoutEscapingSlashes
    let data = (try? encoder.encode(s)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
  }

  static func yamlList(_ words: [String]) -> String { "[" + words.map(yaml).joined(separator: ", ") + "]" }

  /// The pod template both Jobs share, with `command` as its one container's command.
  static func podTemplate(_ job: ClusterJob, _ k8s: KubernetesJob, command: [String], memory: String, seconds: Int) -> [String] {
    [
      "  template:", "    spec:", "      restartPolicy: Never", "      activeDeadlineSeconds: \(seconds)", "      containers:",
      "        - name: skelreport", "          image: \(yaml(k8s.image))", "          workingDir: \(yaml(job.workingDirectory))",
      "          command: \(yamlList(command))", "          resources:",
      "            requests: {cpu: \"\(job.threads)\", memory: \(yaml(memory))}", "            limits: {memory: \(yaml(memory))}",
      "          volumeMounts: [{name: shared, mountPath: \(yaml(k8s.mountPath))}]",
      "      volumes: [{name: shared, persistentVolumeClaim: {claimName: \(yaml(k8s.volumeClaim))}}]",
    ]
  }

  /// The Indexed Job of the units: `completions` = shards; a failed index is retried twice.
  public static func kubernetesUnits(_ job: ClusterJob, _ k8s: KubernetesJob, resources: ShardResources) -> String {
    let command = [
      job.binary, "shard", job.plan, "--of", "\(job.shards)", "--cache-dir", job.cacheDir, "--threads", "\(job.threads)",
    ]
    let lines =
      [
        "# Written by skelreport submit --k8s: one balanced shard of the plan per index, into the shared cache.",
        "apiVersion: batch/v1", "kind: Job", "metadata:", "  name: \(yaml(job.jobName + "-units"))", "spec:",
        "  completionMode: Indexed", "  completions: \(job.shards)", "  parallelism: \(job.shards)", "  backoffLimit: \(2 * job.shards)",
      ]
      + podTemplate(job, k8s, command: command, memory: job.memory ?? resources.kubernetesMemory, seconds: Int(resources.seconds))
    return lines.joined(separator: "\n") + "\n"
  }

  /// The gather Job: apply it once `kubectl wait --for=condition=complete job/<name>-units` returns.
  public static func kubernetesGather(_ job: ClusterJob, _ k8s: KubernetesJob) -> String {
    let command =
      [job.binary, "build", job.reports, "--out", job.site, "--cache-dir", job.cacheDir, "--missing", "report"] + job.buildArguments
    let lines =
      [
        "# Written by skelreport submit --k8s: gathers the shards' results from the shared cache and renders the site.",
        "apiVersion: batch/v1", "kind: Job", "metadata:", "  name: \(yaml(job.jobName + "-gather"))", "spec:", "  backoffLimit: 0",
      ] + podTemplate(job, k8s, command: command, memory: "1024Mi", seconds: 1800)
    return lines.joined(separator: "\n") + "\n"
  }
}

extension SiteBuilder {
  /// The plan's units whose verified result is not in the cache (all of them without a cache):
  /// what a cluster run still has to compute.
  public func missingUnits(of plan: WorkPlan) -> [WorkUnit] {
    let cache = ResultCache(directory: configuration.cache)
    return plan.units.filter { unit in
      guard let (tiles, pair) = unit.layout, let t = unit.tile else { return cache.load(unit.key, kind: unit.kind) == nil }
      guard let dir = cache.tileDirectory(t.directive) else { return true }
      return !tiles.missing(in: dir, among: [pair]).isEmpty
    }
  }
}
