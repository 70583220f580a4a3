import Foundation
import Testing

/// The libraries read no environment: thread counts and the like are values passed in, and only
/// the executables (the CLI, skelbench, the fuzz driver) look at the process around them. This
/// greps the sources of every library target.
@Suite struct NoGlobalStateTests {
  static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Sources")
  static let executables: Set<String> = ["skelreport", "skelbench", "SkelFuzz"]
  /// Files allowed to read the process environment, with the reason.
  static let environmentExceptions: [String: String] = [
    // finds `node` on PATH and hands the environment to it (not engine state; a follow-up)
    "SkelBuild/KatexRenderer.swift": "starts node"
  ]

  /// (target/relative path, text) of every Swift and C file of the library targets.
  static func libraryFiles() throws -> [(String, String)] {
    let targets = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !executables.contains($0) }.sorted()
    var files: [(String, String)] = []
    for target in targets {
      let root = sources.appendingPathComponent(target)
      guard let walker = FileManager.default.enumerator(atPath: root.path) else { continue }
      for case let path as String in walker where [".swift", ".c", ".h"].contains(where: path.hasSuffix) {
        files.append(("\(target)/\(path)", try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)))
      }
    }
    return files
  }

  @Test func theSourcesAreFound() throws {
    let names = Set(try Self.libraryFiles().map { $0.0 })
    #expect(names.contains("SkelMath/Compute.swift") && names.contains("SkelKernels/FastMLPKernel.swift"))
    #expect(!names.contains { $0.hasPrefix("skelreport/") })
  }

  @Test func noLibraryReadsTheEnvironment() throws {
    var found: [String] = []
    for (name, text) in try Self.libraryFiles() {
      if text.contains("getenv(") { found.append("\(name): getenv") }
      if text.contains("processInfo.environment"), Self.environmentExceptions[name] == nil {
        found.append("\(name): ProcessInfo environment")
      }
    }
    #expect(found.isEmpty, "\(found)")
  }

  /// The numerical and figure modules know no working directory either.
  @Test func noWorkingDirectoryInTheEngineOrTheFigures() throws {
    let modules = ["SkelMath/", "SkelKernels/", "SkelPlot/", "SkelCairo/"]
    let found = try Self.libraryFiles().filter { file in
      modules.contains(where: file.0.hasPrefix) && (file.1.contains("currentDirectoryPath") || file.1.contains("getcwd("))
    }
    #expect(found.map(\.0).isEmpty, "\(found.map(\.0))")
  }
}
