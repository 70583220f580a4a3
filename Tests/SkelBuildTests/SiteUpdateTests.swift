import Foundation
import SkelBuild
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `SiteWriter.update`, the preview's in-place writes: the first call publishes the site whole,
/// later calls write only the files whose bytes changed (an unchanged file keeps its inode) and
/// remove the ones gone; a folder that lost its marker is refused, as by `publish`.
@Suite struct SiteUpdateTests {
  func inode(_ path: String) -> UInt64 {
    var st = stat()
    return stat(path, &st) == 0 ? UInt64(st.st_ino) : 0
  }

  @Test func onlyChangedFilesAreWrittenAndGoneOnesRemoved() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let site = dir.appendingPathComponent("site")
    let css = dir.appendingPathComponent("style.css")
    try Data("body{}".utf8).write(to: css)
    var writer = SiteWriter(output: site)
    writer.sync = .none
    let same = Array("same".utf8), old = Array("old".utf8)
    let first = try writer.update(
      files: ["a/index.html": old, "a/fig.svg": same, "gone.txt": old], copies: ["assets/style.css": css], previous: nil)
    #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(OutputSafety.markerName).path))
    let keptInode = inode(site.appendingPathComponent("a/fig.svg").path)
    let changedInode = inode(site.appendingPathComponent("a/index.html").path)
    let copyInode = inode(site.appendingPathComponent("assets/style.css").path)
    _ = try writer.update(
      files: ["a/index.html": Array("new".utf8), "a/fig.svg": same], copies: ["assets/style.css": css], previous: first)
    #expect(try String(contentsOf: site.appendingPathComponent("a/index.html"), encoding: .utf8) == "new")
    #expect(inode(site.appendingPathComponent("a/index.html").path) != changedInode)
    #expect(inode(site.appendingPathComponent("a/fig.svg").path) == keptInode)
    #expect(inode(site.appendingPathComponent("assets/style.css").path) == copyInode)
    #expect(!FileManager.default.fileExists(atPath: site.appendingPathComponent("gone.txt").path))
    #expect(FileManager.default.fileExists(atPath: site.appendingPathComponent(OutputSafety.markerName).path))
    // no temporary file is left beside the updated one
    let left = try FileManager.default.contentsOfDirectory(atPath: site.appendingPathComponent("a").path).sorted()
    #expect(left == ["fig.svg", "index.html"])
  }

  @Test func aFolderThatLostItsMarkerIsRefused() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("update-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let site = dir.appendingPathComponent("site")
    var writer = SiteWriter(output: site)
    writer.sync = .none
    let first = try writer.update(files: ["index.html": Array("x".utf8)], copies: [:], previous: nil)
    try FileManager.default.removeItem(at: site.appendingPathComponent(OutputSafety.markerName))
    #expect(throws: OutputSafety.Refusal.self) {
      _ = try writer.update(files: ["index.html": Array("y".utf8)], copies: [:], previous: first)
    }
    #expect(try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8) == "x")
    #expect(throws: BuildError.self) {
      _ = try SiteWriter(output: dir.appendingPathComponent("other")).update(files: ["../x": [1]], copies: [:], previous: first)
    }
  }
}
