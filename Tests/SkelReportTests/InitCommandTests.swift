import Foundation
import SkelTemplates
import Testing

/// Issue 20: `skelreport init`, and the templates built into the binary (a project's own
/// `templates/` overrides them file by file).
@Suite(.serialized) struct InitCommandTests {
  func scratch(_ label: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-init-\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
  }

  func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

  /// A new project builds with --strict and no templates folder: the figure, the typeset
  /// formula, the inline value, the citation and the built-in stylesheet are on the page.
  @Test func initThenStrictBuildSucceeds() throws {
    let dir = try scratch("new")
    defer { try? FileManager.default.removeItem(at: dir) }
    let made = try run(["init", "demo"], in: dir)
    #expect(made.status == 0, "\(made.stderr)")
    let project = dir.appendingPathComponent("demo")
    #expect(Set(tree(project).keys) == ["", "/README.md", "/reports", "/reports/example.md", "/reports/refs.bib"])
    #expect(read(project.appendingPathComponent("README.md")).contains("skelreport build --strict"))
    let built = try run(["build", "--strict", "--no-cache"], in: project)
    #expect(built.status == 0, "\(built.stderr)")
    #expect(built.stderr == "", "no warnings: \(built.stderr)")
    let page = read(project.appendingPathComponent("_site/example/index.html"))
    // no abstract, authors or date in its front matter: no empty boxes for them
    #expect(!page.contains("class=\"abstract\"") && !page.contains("class=\"authors\"") && !page.contains("class=\"date\""))
    #expect(page.contains("<figure class=\"skel-figure\" id=\"fig-relu-dual\">"))
    #expect(page.contains("<img src=\"fig-relu-dual.svg\" alt=\"An increasing convex curve"))
    #expect(page.contains("<span class=\"figure-number\">Figure 1.</span>"))
    #expect(page.contains("<span class=\"katex-display\">"), "the display formula is typeset")
    #expect(page.contains("<annotation encoding=\"application/x-tex\">\\hat\\sigma(\\rho) = \\frac{\\sqrt{1 - \\rho^2}"))
    #expect(page.contains("0.3183"), "the inline value 1/π")
    #expect(page.contains("Daniely") && page.contains("Toward Deeper Understanding of Neural Networks"))
    #expect(page.contains("href=\"#fig-relu-dual\""), "the cross-reference")
    let css = try Data(contentsOf: project.appendingPathComponent("_site/assets/style.css"))
    #expect(css == (try Data(contentsOf: root.appendingPathComponent("templates/style.css"))))
  }

  /// A folder that already holds a project (or any file init would write) is refused with
  /// exit 2 and left byte for byte as it was.
  @Test func initRefusesAnExistingProjectAndChangesNothing() throws {
    let dir = try scratch("refuse")
    defer { try? FileManager.default.removeItem(at: dir) }
    let fm = FileManager.default
    try fm.createDirectory(at: dir.appendingPathComponent("proj/reports"), withIntermediateDirectories: true)
    try "---\ntitle: Mine\n---\n\nMy own words.\n".write(
      to: dir.appendingPathComponent("proj/reports/mine.md"), atomically: true, encoding: .utf8)
    try fm.createDirectory(at: dir.appendingPathComponent("notes"), withIntermediateDirectories: true)
    try "# Notes\n".write(to: dir.appendingPathComponent("notes/README.md"), atomically: true, encoding: .utf8)
    let before = tree(dir)
    let again = try run(["init", "proj"], in: dir)
    #expect(again.status == 2)
    #expect(again.stderr.contains("refusing to initialize proj: it already has reports; nothing was written"), "\(again.stderr)")
    let readme = try run(["init", "notes"], in: dir)
    #expect(readme.status == 2)
    #expect(readme.stderr.contains("it already has README.md"), "\(readme.stderr)")
    let here = try run(["init"], in: dir.appendingPathComponent("proj"))
    #expect(here.status == 2)
    #expect(tree(dir) == before)
  }

  /// A templates/ folder with only style.css replaces the stylesheet; the pages still come from
  /// the built-in templates (the same bytes as a build without the folder).
  @Test func aStylesheetAloneOverridesOnlyTheCSS() throws {
    let dir = try scratch("css")
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try run(["init"], in: dir).status == 0)
    let plain = try run(["build", "--strict", "--no-cache", "--reproducible", "--out", "plain"], in: dir)
    #expect(plain.status == 0, "\(plain.stderr)")
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("templates"), withIntermediateDirectories: true)
    let mine = "/* my stylesheet */\nbody { color: teal; }\n"
    try mine.write(to: dir.appendingPathComponent("templates/style.css"), atomically: true, encoding: .utf8)
    let styled = try run(["build", "--strict", "--no-cache", "--reproducible", "--out", "styled"], in: dir)
    #expect(styled.status == 0, "\(styled.stderr)")
    #expect(read(dir.appendingPathComponent("styled/assets/style.css")) == mine)
    for page in ["index.html", "example/index.html"] {
      let a = read(dir.appendingPathComponent("plain/" + page)), b = read(dir.appendingPathComponent("styled/" + page))
      #expect(!a.isEmpty && a == b, "\(page) comes from the built-in templates")
    }
  }

  /// An error in a user's template names its file at line:column; the built-in page is not used instead.
  @Test func aBrokenUserTemplateKeepsItsPosition() throws {
    let dir = try scratch("broken")
    defer { try? FileManager.default.removeItem(at: dir) }
    #expect(try run(["init"], in: dir).status == 0)
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("templates"), withIntermediateDirectories: true)
    try "<html>\n<body>{{#body}}\n</html>\n".write(
      to: dir.appendingPathComponent("templates/page.mustache"), atomically: true, encoding: .utf8)
    let bad = try run(["build", "--no-cache"], in: dir)
    #expect(bad.status == 1)
    // the unclosed section is reported where the file ends (line 4, column 1)
    #expect(bad.stderr.contains("/templates/page.mustache:4:1: template error: expectedSectionEnd"), "\(bad.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site/example/index.html").path))
  }

  /// The bytes built into the binary are the files of templates/, no more and no fewer.
  @Test func builtInTemplatesEqualTheFolder() throws {
    let folder = root.appendingPathComponent("templates")
    var onDisk: [String: [UInt8]] = [:]
    let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
    for case let url as URL in walk ?? FileManager.DirectoryEnumerator() {
      guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
      let relative = String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1))
      onDisk[relative] = Array(try Data(contentsOf: url))
    }
    #expect(onDisk.keys.contains("page.mustache") && onDisk.keys.contains("style.css") && onDisk.count >= 5)
    #expect(Set(BuiltinTemplates.files.keys) == Set(onDisk.keys))
    for (path, bytes) in onDisk { #expect(BuiltinTemplates.files[path] == bytes, "\(path) differs from the built-in copy") }
  }
}
