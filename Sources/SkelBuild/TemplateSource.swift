import Foundation
import SkelTemplates

/// Where the page templates and the stylesheet come from, file by file: a project's templates
/// folder when it has the file, else the copy of the package's `templates/` built into the
/// binary (`SkelTemplates`). A folder holding only `style.css` overrides the CSS and nothing else.
/// PageRenderer and the site's stylesheet read through this, never the file system directly.
public struct TemplateSource: Sendable {
  /// The project's templates folder (`--templates`, `./templates` or beside the reports), if any.
  public var folder: URL?
  /// The built-in files (relative path → bytes); a test may pass others.
  var builtin: [String: [UInt8]]

  public init(folder: URL?) {
    self.folder = folder
    self.builtin = BuiltinTemplates.files
  }

  init(folder: URL?, builtin: [String: [UInt8]]) {
    self.folder = folder
    self.builtin = builtin
  }

  /// One template file: its bytes, the path messages name, and the user's file it came from.
  struct File {
    var bytes: [UInt8]
    /// `<folder>/<name>` for a user's file, `built-in templates/<name>` for the default.
    var path: String
    var url: URL?
  }

  /// Throws when a templates folder is named but is not a folder (a typo in `--templates`).
  func checkFolder(stage: String) throws {
    guard let folder else { return }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw BuildError.stage(name: stage, message: "no templates folder at \(folder.path)")
    }
  }

  /// The user's file at `relative` if the folder has it, else the built-in one; `nil` if neither.
  func file(_ relative: String, stage: String) throws -> File? {
    if let folder {
      let url = folder.appendingPathComponent(relative)
      if FileManager.default.fileExists(atPath: url.path) {
        do {
          return File(bytes: Array(try Data(contentsOf: url)), path: url.path, url: url)
        } catch {
          throw BuildError.io(error, stage: stage, doing: "cannot read the template", path: url.path)
        }
      }
    }
    return builtin[relative].map { File(bytes: $0, path: "built-in templates/" + relative, url: nil) }
  }

  /// The names (without `.mustache`) of the top-level Mustache templates of both sources, sorted.
  func mustacheNames(stage: String) throws -> [String] {
    try checkFolder(stage: stage)
    var names = Set(builtin.keys.filter { !$0.contains("/") })
    if let folder, let own = try? FileManager.default.contentsOfDirectory(atPath: folder.path) { names.formUnion(own) }
    return names.filter { $0.hasSuffix(".mustache") }.map { String($0.dropLast(".mustache".count)) }.sorted()
  }

  /// Adds the file at `relative` to a site as `target`: a copy of the user's file, or the
  /// built-in bytes. Throws if neither source has it.
  func publish(_ relative: String, as target: String, files: inout [String: [UInt8]], copies: inout [String: URL], stage: String) throws {
    guard let file = try file(relative, stage: stage) else {
      throw BuildError.stage(name: stage, message: "template file '\(relative)' is missing in \(folder?.path ?? "the built-in templates")")
    }
    if let url = file.url { copies[target] = url } else { files[target] = file.bytes }
  }
}

extension BuildConfiguration {
  /// Where pages and the stylesheet are read from: `templates` over the built-in defaults.
  public var templateSource: TemplateSource { TemplateSource(folder: templates) }
}
