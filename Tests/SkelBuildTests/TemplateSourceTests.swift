import Foundation
import Testing

@testable import SkelBuild

/// `TemplateSource`: a project's folder over the built-in templates, file by file.
struct TemplateSourceTests {
  let builtin: [String: [UInt8]] = [
    "page.mustache": Array("<p>built-in page {{title}}</p>".utf8), "index.mustache": Array("<p>built-in index</p>".utf8),
    "style.css": Array("built-in css".utf8),
  ]

  func folder(_ files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-templates-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for (name, text) in files { try text.write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8) }
    return dir
  }

  @Test func aUsersFileWinsAndTheRestIsBuiltIn() throws {
    let dir = try folder(["index.mustache": "<p>my index</p>", "extra.mustache": "x"])
    defer { try? FileManager.default.removeItem(at: dir) }
    let source = TemplateSource(folder: dir, builtin: builtin)
    #expect(try source.mustacheNames(stage: "t") == ["extra", "index", "page"])
    #expect(try source.file("index.mustache", stage: "t")?.bytes == Array("<p>my index</p>".utf8))
    #expect(try source.file("page.mustache", stage: "t")?.path == "built-in templates/page.mustache")
    var files: [String: [UInt8]] = [:], copies: [String: URL] = [:]
    try source.publish("style.css", as: "assets/style.css", files: &files, copies: &copies, stage: "t")
    #expect(files == ["assets/style.css": Array("built-in css".utf8)] && copies.isEmpty)
    try "mine".write(to: dir.appendingPathComponent("style.css"), atomically: true, encoding: .utf8)
    files = [:]
    try source.publish("style.css", as: "assets/style.css", files: &files, copies: &copies, stage: "t")
    #expect(files.isEmpty && copies == ["assets/style.css": dir.appendingPathComponent("style.css")])
    let renderer = try PageRenderer(templates: source)
    #expect(renderer.library.render([:], withTemplate: "index") == "<p>my index</p>")
  }

  @Test func errorsNameTheFileTheyAreIn() throws {
    var broken = builtin
    broken["page.mustache"] = Array("<p>\n{{#x}}\n".utf8)
    do {
      _ = try PageRenderer(templates: TemplateSource(folder: nil, builtin: broken))
      Issue.record("an unclosed section must fail")
    } catch BuildError.stage(_, let message) {
      #expect(message.hasPrefix("built-in templates/page.mustache:3:1: template error"), "\(message)")
    }
    let missing = URL(fileURLWithPath: "/nonexistent-skel-templates")
    #expect(throws: BuildError.self) { try TemplateSource(folder: missing, builtin: builtin).mustacheNames(stage: "t") }
  }
}
