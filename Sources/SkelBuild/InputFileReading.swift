import Foundation
import SkelDocument
import SkelExperiments

/// The input files of a directive (`:inputs:` values): each read once per build, hashed into the
/// directive's cache key, and decoded once before anything runs so that a bad file is an error
/// at the option, with the file's own line or byte.
struct DirectiveInputs {
  /// The bytes by `InputFile.path`, for `RunContext.files`.
  var files = InputFiles()
  /// (name, SHA-256) of each file: the report-relative name inside the reports folder, or the
  /// system file's absolute path; `CacheKey(inputs:)` and `KeyRecord.inputs` read them.
  var hashes: [(path: String, sha256: String)] = []
  /// The decoded size of each file input, by the path its value names, for the estimate.
  var measured = MeasuredInputs()
}

extension SiteBuilder {
  /// Files larger than this are not read (a CSV or .npy beside a report; Fashion-MNIST's
  /// largest file is 26 MB).
  static let maxInputFileBytes = 1 << 30

  /// Reads, hashes and checks the input files of `configured`; problems at the option's value.
  func readInputs(_ configured: ConfiguredDirective, _ d: Directive, seed: UInt64, _ tally: inout PlanTally) -> DirectiveInputs {
    var out = DirectiveInputs()
    for (option, value) in configured.inputs {
      guard let raw = d.options.first(where: { $0.key == option }) ?? d.options.first else { continue }
      let at = SourceLocation(path: raw.keyLocation.path, line: raw.keyLocation.line, column: raw.value.column)
      let length = raw.value.length
      var ok = true
      for file in value.files {
        switch readInput(file, report: d.kindLocation.path, &tally) {
        case .success(let (name, bytes, sha)):
          out.files.bytes[file.path] = bytes
          out.hashes.append((name, sha))
        case .failure(let message):
          tally.problems.append(Diagnostic(at: at, length: length, "option '\(option)': \(message)"))
          ok = false
        }
      }
      guard ok, !value.files.isEmpty else { continue }
      do {
        let decoded = try value.inputs(seed: seed, files: out.files)
        if value.files.count == 1, let size = MeasuredInputs.size(of: decoded) { out.measured.sizes[value.files[0].path] = size }
      } catch {
        tally.problems.append(Diagnostic(at: at, length: length, "option '\(option)': \(error)"))
        continue
      }
      if let problem = configured.checkFiles(out.files) {
        tally.problems.append(Diagnostic(at: at, length: length, "option '\(option)': \(problem)"))
      }
    }
    return out
  }

  /// One file: where it really is (inside the reports folder, for a file beside a report), its
  /// bytes and their SHA-256, from the build's table when another directive read it already.
  func readInput(_ file: InputFile, report: String, _ tally: inout PlanTally) -> Result<(String, [UInt8], String), InputReadProblem> {
    let url: URL
    var name = file.path
    if file.beside {
      let reportURL = URL(fileURLWithPath: report, relativeTo: configuration.workingDirectory)
      url = reportURL.deletingLastPathComponent().appendingPathComponent(file.path)
      let folder = Self.folder(of: configuration.reports)
      if let outside = Self.outside(url, folder: folder) {
        return .failure(
          InputReadProblem(
            "'\(file.path)' resolves to \(outside), outside the reports folder \(displayPath(configuration.reports)); only files inside it are read"
          ))
      }
      let real = url.standardizedFileURL.resolvingSymlinksInPath().path
      let base = URL(fileURLWithPath: folder.standardizedFileURL.path).resolvingSymlinksInPath().standardizedFileURL.path
      name = real.hasPrefix(base + "/") ? String(real.dropFirst(base.count + 1)) : real
    } else {
      url = URL(fileURLWithPath: file.path)
    }
    if let known = tally.inputFiles[url.standardizedFileURL.path] { return .success((name, known.bytes, known.sha256)) }
    guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int else {
      let hint = file.beside ? "" : " (Debian's dataset-fashion-mnist package puts it there: make installs it)"
      return .failure(InputReadProblem("'\(file.path)' not found (looked for \(displayPath(url)))\(hint)"))
    }
    guard size <= Self.maxInputFileBytes else {
      return .failure(
        InputReadProblem("'\(file.path)' is \(Cost.formatBytes(size)); at most \(Cost.formatBytes(Self.maxInputFileBytes)) is read"))
    }
    guard let data = FileManager.default.contents(atPath: url.path) else {
      return .failure(InputReadProblem("'\(file.path)' cannot be read (\(displayPath(url)))"))
    }
    let bytes = [UInt8](data), sha = SHA256Hash.hex(bytes)
    tally.inputFiles[url.standardizedFileURL.path] = (bytes, sha)
    return .success((name, bytes, sha))
  }
}

/// Why an input file was not read.
struct InputReadProblem: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}
