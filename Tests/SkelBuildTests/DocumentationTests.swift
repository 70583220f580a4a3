import Foundation
import SkelBuild
import SkelExperiments
import Testing

/// The README and the docs say what the code is: every kind in the kind table, every step of
/// the pipeline named as in the code, every module's imports in the architecture table, and
/// `docs/kinds.md` generated from the kinds' declarations.
@Suite struct DocumentationTests {
  let readme: String

  init() throws {
    readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
  }

  /// The lines of the Markdown table that follows the line containing `heading`.
  func table(after heading: String) -> [[String]] {
    let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let start = lines.firstIndex(where: { $0.contains(heading) }) else { return [] }
    // the table after the line (or the table whose header is the line)
    let from = lines[start].hasPrefix("|") ? start : start + 1
    let rows = lines[from...].drop { !$0.hasPrefix("|") }.prefix { $0.hasPrefix("|") }
    return rows.dropFirst(2).map { row in
      row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast().map { $0.trimmingCharacters(in: .whitespaces) }
    }
  }

  /// Names in backticks in a cell.
  func codeNames(_ cell: String) -> Set<String> {
    Set(cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) })
  }

  @Test func everyKindIsInTheKindTable() {
    let rows = table(after: "Kinds so far")
    let documented = rows.reduce(into: Set<String>()) { $0.formUnion(codeNames($1[0])) }
    #expect(documented == Set(ExperimentRegistry.standard.kinds.keys))
  }

  @Test func thePipelineIsNamedAsInTheCode() {
    let steps = SiteBuilder.siteSteps.joined(separator: " → ")
    #expect(readme.contains(steps), "README should name the steps: \(steps)")
  }

  /// Every module's `import`s of project targets and packages, as the architecture table lists them.
  @Test func everyImportArrowIsDrawn() throws {
    let sources = packageRoot.appendingPathComponent("Sources")
    let targets = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { !$0.hasPrefix(".") }
    let known = Set(targets + ["ArgumentParser", "Yams", "Mustache", "FlyingFox", "FlyingSocks", "CSV"])
    let rows = table(after: "| module | imports | job |")
    let documented = Dictionary(rows.map { (codeNames($0[0]).first ?? $0[0], codeNames($0[1])) }, uniquingKeysWith: { a, _ in a })
    for target in targets.sorted() {
      let dir = sources.appendingPathComponent(target)
      let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".swift") }
      guard !files.isEmpty else { continue }  // a C or system-library target
      var imports = Set<String>()
      for f in files {
        let text = try String(contentsOf: dir.appendingPathComponent(f), encoding: .utf8)
        for line in text.split(separator: "\n") {
          let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
          guard words.count == 2, words[0] == "import", known.contains(String(words[1])) else { continue }
          imports.insert(String(words[1]))
        }
      }
      #expect(
        documented[target] == imports,
        "\(target): the code imports \(imports.sorted()), the README lists \(documented[target].map { $0.sorted() } ?? [])")
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("README.md").path), "\(target) has no README")
    }
  }

  /// `docs/kinds.md` is what `skelreport kinds --markdown` prints (`make docs` regenerates it).
  @Test func kindReferenceIsCurrent() throws {
    let docs = try String(contentsOf: packageRoot.appendingPathComponent("docs/kinds.md"), encoding: .utf8)
    #expect(docs == KindReference.markdown(.standard), "run `make docs`")
  }
}
