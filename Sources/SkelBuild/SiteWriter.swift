import Foundation

/// Writes a whole site into a staging folder beside the target and swaps it in with renames,
/// so readers never see a half-written site and a failed build leaves the old one untouched.
public struct SiteWriter {
  public let output: URL

  public init(output: URL) { self.output = output }

  /// - Parameters:
  ///   - files: relative path → bytes.
  ///   - copies: relative path → an existing file to copy.
  public func publish(files: [String: [UInt8]], copies: [String: URL]) throws {
    let fm = FileManager.default
    let parent = output.deletingLastPathComponent()
    do { try fm.createDirectory(at: parent, withIntermediateDirectories: true) } catch {
      throw BuildError.io(error, stage: "Write site", doing: "cannot create the folder of the site", path: parent.path)
    }
    let tag = "\(ProcessInfo.processInfo.processIdentifier)-\(UInt64(Date().timeIntervalSince1970 * 1000))"
    let staging = parent.appendingPathComponent(".\(output.lastPathComponent).staging-\(tag)")
    let old = parent.appendingPathComponent(".\(output.lastPathComponent).old-\(tag)")
    do {
      try fm.createDirectory(at: staging, withIntermediateDirectories: true)
      for (path, bytes) in files.sorted(by: { $0.key < $1.key }) {
        let url = staging.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
      }
      for (path, source) in copies.sorted(by: { $0.key < $1.key }) {
        let url = staging.appendingPathComponent(path)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try fm.copyItem(at: source.resolvingSymlinksInPath(), to: url)
      }
      let hadOld = fm.fileExists(atPath: output.path)
      if hadOld { try fm.moveItem(at: output, to: old) }
      do {
        try fm.moveItem(at: staging, to: output)
      } catch {
        if hadOld { try? fm.moveItem(at: old, to: output) }  // put the old site back
        throw error
      }
      if hadOld { try? fm.removeItem(at: old) }
    } catch {
      try? fm.removeItem(at: staging)
      throw BuildError.io(error, stage: "Write site", doing: "cannot write the site into", path: output.path)
    }
  }
}
