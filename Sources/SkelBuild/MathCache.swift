import Foundation

/// Typeset formulas, one JSON file (`math.json` beside the results folder). Every entry holds its
/// own request (TeX, display mode, macros) beside the HTML, and the SHA-256 of the two together,
/// so a changed, truncated or swapped value no longer matches and is typeset again; the file's
/// header holds the format version and the KaTeX version that typeset it (another KaTeX is a
/// plain miss, like the headerless map of earlier versions).
struct MathCache {
  static let format = "skelreport-math/2"

  struct Stored: Codable {
    struct Entry: Codable {
      var tex: String
      var display: Bool
      var macros: [String: String]
      var html: String
      /// SHA-256 of the request text (`requestText`), a NUL, and the HTML.
      var sha256: String
    }
    var format: String
    var katex: String
    var entries: [Entry]
  }

  let file: URL?
  let katex: String
  /// Verified HTML and its request, by request text.
  private var html: [String: (request: KatexRenderer.Request, html: String)] = [:]
  /// Something was added or a damaged file or entry was dropped: the file is rewritten.
  private(set) var needsWrite = false

  /// Reads and verifies `file` (nil: no cache); damaged entries are left out and reported once
  /// through `warn`, naming the file.
  init(file: URL?, renderer: KatexRenderer, warn: (CacheWarning) -> Void) {
    self.file = file
    self.katex = Self.identity(renderer)
    guard let file, FileManager.default.fileExists(atPath: file.path) else { return }
    func damaged(_ reason: String) {
      warn(CacheEntryFile.warning(file, reason, "re-typeset and rewritten"))
      needsWrite = true
    }
    let data: Data
    do { data = try Data(contentsOf: file) } catch {
      damaged("unreadable (\(error.localizedDescription))")
      return
    }
    if data.isEmpty {
      damaged("empty file")
      return
    }
    guard let stored = try? JSONDecoder().decode(Stored.self, from: data) else {
      if (try? JSONDecoder().decode([String: String].self, from: data)) != nil {
        needsWrite = true  // the headerless map of format 1: a miss
        return
      }
      damaged("not a formula cache (truncated, or not this JSON)")
      return
    }
    guard stored.format == Self.format else {
      needsWrite = true
      if !stored.format.hasPrefix("skelreport-math/") { damaged("unknown format '\(stored.format)'") }
      return
    }
    guard stored.katex == katex else {
      needsWrite = true  // typeset by another KaTeX: a miss
      return
    }
    var bad: [String] = []
    for e in stored.entries {
      let request = Self.requestText(tex: e.tex, display: e.display, macros: e.macros)
      if Self.hash(request: request, html: e.html) == e.sha256 {
        html[request] = (KatexRenderer.Request(tex: e.tex, display: e.display, macros: e.macros), e.html)
      } else {
        bad.append(e.tex)
      }
    }
    if let first = bad.first {
      let shown = first.count > 40 ? String(first.prefix(40)) + "…" : first
      damaged("\(bad.count) typeset formula\(bad.count == 1 ? " does" : "s do") not match the hash stored with it (first: '\(shown)')")
    }
  }

  subscript(_ r: KatexRenderer.Request) -> String? {
    get { html[Self.requestText(r)]?.html }
    set {
      html[Self.requestText(r)] = newValue.map { (r, $0) }
      needsWrite = true
    }
  }

  /// Writes every entry (sorted, so the file is the same for the same formulas), atomically.
  func save() {
    guard let file else { return }
    var entries: [Stored.Entry] = []
    for (text, e) in html.sorted(by: { $0.key < $1.key }) {
      entries.append(
        Stored.Entry(
          tex: e.request.tex, display: e.request.display, macros: e.request.macros, html: e.html,
          sha256: Self.hash(request: text, html: e.html)))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    guard let data = try? encoder.encode(Stored(format: Self.format, katex: katex, entries: entries)) else { return }
    CacheEntryFile.write(data, to: file)
  }

  /// What determines a formula's HTML, as one string: TeX, mode and the sorted macros.
  static func requestText(_ r: KatexRenderer.Request) -> String { requestText(tex: r.tex, display: r.display, macros: r.macros) }

  static func requestText(tex: String, display: Bool, macros: [String: String]) -> String {
    tex + "\u{1}" + (display ? "D" : "I") + "\u{1}"
      + macros.sorted { $0.key < $1.key }.map { $0.key + "\u{3}" + $0.value }.joined(separator: "\u{2}")
  }

  static func hash(request: String, html: String) -> String { SHA256Hash.hex(request + "\u{0}" + html) }

  /// The KaTeX that typesets: its package version, read from the module folder.
  static func identity(_ renderer: KatexRenderer) -> String {
    let package = URL(fileURLWithPath: renderer.modulePath).appendingPathComponent("katex/package.json")
    guard let data = try? Data(contentsOf: package), let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let version = json["version"] as? String
    else { return "katex" }
    return "katex " + version
  }
}
