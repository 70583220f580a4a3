import Foundation
import PackagePlugin

/// Generates `EngineStamp.swift` (`engineSourceHash`) for the target it is applied to
/// (SkelEngineStamp): the SHA-256 of every `.swift`, `.c` and `.h` file of the targets that
/// compute results and draw figures, and of Package.swift. Every one of those files is an input of the build
/// command, so `swift build` (debug or release) re-runs the tool when any of them changes, and
/// SwiftPM re-plans (re-running this plugin) when a file is added or removed.
@main
struct EngineStampPlugin: BuildToolPlugin {
  /// The targets whose sources determine cached results and images: math, kernels, the kinds,
  /// option parsing, and the figure model and its Cairo backend (a figure cache entry's key is
  /// its result's key with the drawing options, so drawing code must be in the stamp too).
  /// Tests/SkelBuildTests/EngineStampTests.swift keeps an independent copy of this list.
  static let engineTargets = [
    "SkelMath", "SkelData", "SkelKernels", "SkelExperiments", "SkelDocument", "CFastKernels", "SkelPlot", "SkelCairo",
  ]
  static let extensions: Set<String> = ["swift", "c", "h"]

  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let root = context.package.directoryURL.standardizedFileURL
    var files: [URL] = [root.appendingPathComponent("Package.swift")]
    // Every target of this package lives at Sources/<name> (no custom paths).
    for name in Self.engineTargets {
      let directory = root.appendingPathComponent("Sources/\(name)", isDirectory: true)
      guard FileManager.default.fileExists(atPath: directory.path) else { throw StampError.missingTarget(directory.path) }
      files += Self.sources(under: directory)
    }
    let relative = files.map { Self.relativePath($0, root: root) }
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("EngineStamp.swift")
    return [
      .buildCommand(
        displayName: "Stamping the engine (SHA-256 of \(files.count) source files)",
        executable: try context.tool(named: "SkelStampTool").url,
        arguments: [root.path, output.path] + relative,
        inputFiles: files,
        outputFiles: [output])
    ]
  }

  enum StampError: Error, CustomStringConvertible {
    case missingTarget(String)
    var description: String {
      switch self {
      case .missingTarget(let path): "engine target folder \(path) does not exist (update EngineStampPlugin.engineTargets)"
      }
    }
  }

  /// Every `.swift`, `.c` and `.h` file below `directory`.
  static func sources(under directory: URL) -> [URL] {
    guard let walk = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
    var out: [URL] = []
    for case let url as URL in walk where extensions.contains(url.pathExtension) {
      if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { out.append(url.standardizedFileURL) }
    }
    return out
  }

  /// `url` relative to `root`, `/`-separated (the manifest's path-stable form).
  static func relativePath(_ url: URL, root: URL) -> String {
    let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
    return url.path.hasPrefix(base) ? String(url.path.dropFirst(base.count)) : url.path
  }
}
