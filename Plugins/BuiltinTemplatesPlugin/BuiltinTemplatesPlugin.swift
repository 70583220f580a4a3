import Foundation
import PackagePlugin

/// Generates `BuiltinTemplates.swift` for the target it is applied to (SkelTemplates): the bytes
/// of every file of the package's `templates/` folder (page, index and head templates, style.css,
/// assets), so that a folder of reports builds without a templates folder of its own. Every file
/// is an input of the build command, so `swift build` re-runs the tool when one changes, and
/// SwiftPM re-plans (re-running this plugin) when a file is added or removed.
@main
struct BuiltinTemplatesPlugin: BuildToolPlugin {
  func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
    let folder = context.package.directoryURL.appendingPathComponent("templates", isDirectory: true).standardizedFileURL
    guard FileManager.default.fileExists(atPath: folder.path) else { throw TemplatesError.missingFolder(folder.path) }
    let files = Self.files(under: folder)
    let relative = files.map { Self.relativePath($0, root: folder) }
    let output = context.pluginWorkDirectoryURL.appendingPathComponent("BuiltinTemplates.swift")
    return [
      .buildCommand(
        displayName: "Embedding the default templates (\(files.count) files)",
        executable: try context.tool(named: "SkelTemplateTool").url,
        arguments: [folder.path, output.path] + relative,
        inputFiles: files,
        outputFiles: [output])
    ]
  }

  enum TemplatesError: Error, CustomStringConvertible {
    case missingFolder(String)
    var description: String {
      switch self {
      case .missingFolder(let path): "the default templates folder \(path) does not exist"
      }
    }
  }

  /// Every regular file below `directory`, hidden files (such as .DS_Store) left out.
  static func files(under directory: URL) -> [URL] {
    guard
      let walk = FileManager.default.enumerator(
        at: directory, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    else { return [] }
    var out: [URL] = []
    for case let url as URL in walk where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
      out.append(url.standardizedFileURL)
    }
    return out.sorted { $0.path < $1.path }
  }

  /// `url` relative to `root`, `/`-separated.
  static func relativePath(_ url: URL, root: URL) -> String {
    let base = root.path.hasSuffix("/") ? root.path : root.path + "/"
    return url.path.hasPrefix(base) ? String(url.path.dropFirst(base.count)) : url.path
  }
}
