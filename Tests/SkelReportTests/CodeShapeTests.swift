import Foundation
import Testing

/// The code-shape rule (style: "functions ≤ 60 lines unless a comment says why"), checked over
/// every `.swift` file under `Sources`.
///
/// - A function is a `func`, `init`, `deinit` or `subscript` declaration with a body; its length
///   is the number of lines from the line holding the keyword to the line of the closing brace,
///   not counting blank lines and lines holding only comments (a nested function counts towards
///   its enclosing one as well as on its own).
/// - A function longer than `CodeShape.limit` lines is excused when a comment containing `long:`
///   (the reason) sits in the comment and attribute lines directly above the declaration.
/// - `Tests/code-shape-allow.txt` lists today's offenders (`<path> <name>`, one a line) and holds
///   the switch `enforce: on|off`. The test always prints every offender; with `enforce: on` an
///   offender that is not listed fails it.
@Suite struct CodeShapeTests {
  @Test func functionsAreAtMostSixtyLines() throws {
    let offenders = try CodeShape.longFunctions(under: root.appendingPathComponent("Sources"), root: root)
    let allow = try CodeShape.AllowList(contentsOf: root.appendingPathComponent("Tests/code-shape-allow.txt"))
    let new = offenders.filter { !$0.excused && !allow.keys.contains($0.key) }
    print(
      "code shape: \(offenders.filter { !$0.excused }.count) functions over \(CodeShape.limit) lines (\(new.count) not in Tests/code-shape-allow.txt; enforce: \(allow.enforce ? "on" : "off"))"
    )
    for f in offenders {
      print(
        "  \(f.path):\(f.line): \(f.name) is \(f.lines) lines\(f.excused ? " (excused: long:)" : allow.keys.contains(f.key) ? " (allowed)" : "")"
      )
    }
    let stale = allow.keys.subtracting(offenders.map(\.key)).sorted()
    if !stale.isEmpty { print("  no longer over the limit (remove from Tests/code-shape-allow.txt): \(stale.joined(separator: ", "))") }
    if allow.enforce {
      #expect(
        new.isEmpty,
        "new functions over \(CodeShape.limit) lines without a `long:` comment: \(new.map { "\($0.path):\($0.line) \($0.name) (\($0.lines) lines)" })"
      )
    }
  }

  /// The scanner on a table of shapes: strings and comments with braces, nested and multi-line
  /// signatures, protocol requirements without bodies, and the `long:` excuse.
  @Test func scannerMeasuresFunctions() {
    let body = (1...61).map { "  x += \($0)  // c" }.joined(separator: "\n")
    let source = """
      protocol P {
        func required()
        init(x: Int)
      }
      struct S {
        init(
          x: Int
        ) throws {
          let s = "}{ \\(x.map { "}" }) {"
          /* { */ // }
          let t = \"\"\"
            }}}
            \"\"\"
        }
        func long() {
      \(body)
        }
        // long: a table of 61 cases reads best in one place.
        @inline(never)
        func excused() {
      \(body)
        }
        func commented() {
          // one
          // two

          return
        }
      }
      """
    let found = CodeShape.functions(in: source, path: "S.swift")
    #expect(found.map(\.name) == ["init", "long", "excused", "commented"])
    #expect(found.map(\.lines) == [8, 63, 63, 3])
    #expect(found.map(\.line) == [6, 15, 80, 143])
    #expect(found.map(\.excused) == [false, false, true, false])
  }
}

struct MeasuredFunction: Equatable {
  var path: String
  var name: String
  /// The line (1-based) of the declaration's keyword.
  var line: Int
  /// Lines of code, blank and comment-only lines not counted.
  var lines: Int
  var excused: Bool
  var key: String { "\(path) \(name)" }
}

enum CodeShape {
  static let limit = 60

  struct AllowList {
    var enforce = false
    var keys: Set<String> = []

    init(contentsOf url: URL) throws {
      for raw in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
        let line = raw.trimmingCharacters(in: .whitespaces)
        if line.isEmpty || line.hasPrefix("#") { continue }
        if line.hasPrefix("enforce:") {
          enforce = line.dropFirst("enforce:".count).trimmingCharacters(in: .whitespaces) == "on"
        } else {
          keys.insert(line)
        }
      }
    }
  }

  /// Functions over `limit` lines in every `.swift` file below `folder`, by path and line.
  static func longFunctions(under folder: URL, root: URL) throws -> [MeasuredFunction] {
    var out: [MeasuredFunction] = []
    let walk = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
    while let url = walk?.nextObject() as? URL {
      guard url.pathExtension == "swift" else { continue }
      let path = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
      out += functions(in: try String(contentsOf: url, encoding: .utf8), path: path).filter { $0.lines > limit }
    }
    return out.sorted { ($0.path, $0.line) < ($1.path, $1.line) }
  }

  static let declaration = try? NSRegularExpression(
    pattern:
      #"^\s*(?:(?:@\w+(?:\([^)]*\))?|public|private|fileprivate|internal|open|package|static|class|final|override|mutating|nonmutating|nonisolated|convenience|required|dynamic|optional|prefix|postfix|infix|(?:private|fileprivate|internal|public)\(set\))\s+)*(func\s+([^\s(<]+)|init[?!]?(?=\s*[(<])|deinit\b|subscript(?=\s*[(<]))"#
  )

  /// Lines (from the next one on) that end a bodiless signature: another member or the type's end.
  static let memberStart = [
    "func ", "var ", "let ", "init", "case ", "static ", "public ", "private ", "@", "}", "subscript", "associatedtype ", "typealias ",
    "mutating ", "nonisolated ",
  ]

  /// Every function with a body in `text`, measured.
  static func functions(in text: String, path: String) -> [MeasuredFunction] {
    let original = text.components(separatedBy: "\n")
    let masked = mask(text).components(separatedBy: "\n").map { Array($0.utf8) }
    var out: [MeasuredFunction] = []
    for (i, bytes) in masked.enumerated() {
      let line = String(decoding: bytes, as: UTF8.self)
      guard let regex = declaration, let m = regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)),
        let keyword = Range(m.range(at: 1), in: line)
      else { continue }
      let name = Range(m.range(at: 2), in: line).map { String(line[$0]) } ?? String(line[keyword].prefix { $0.isLetter })
      let column = line.utf8.distance(from: line.startIndex, to: keyword.lowerBound)
      guard let end = bodyEnd(masked, line: i, column: column) else { continue }
      let counted = (i...end).filter { !masked[$0].allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") } }.count
      out.append(MeasuredFunction(path: path, name: name, line: i + 1, lines: counted, excused: excused(original, above: i)))
    }
    return out
  }

  /// The line of the brace closing the body that starts after `column` of `line`, or nil for a
  /// declaration without a body.
  static func bodyEnd(_ lines: [[UInt8]], line start: Int, column: Int) -> Int? {
    var parens = 0, braces = 0, opened = false
    for i in start..<lines.count {
      if i > start, !opened, parens == 0 {
        let head = String(decoding: lines[i], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        if memberStart.contains(where: { head.hasPrefix($0) }) { return nil }
      }
      for (j, byte) in lines[i].enumerated() where i > start || j >= column {
        switch byte {
        case UInt8(ascii: "("), UInt8(ascii: "["): parens += 1
        case UInt8(ascii: ")"), UInt8(ascii: "]"): parens -= 1
        case UInt8(ascii: "{") where parens == 0:
          opened = true
          braces += 1
        case UInt8(ascii: "}") where parens == 0:
          guard opened else { return nil }
          braces -= 1
          if braces == 0 { return i }
        default: break
        }
      }
    }
    return nil
  }

  /// A comment holding `long:` among the comment and attribute lines directly above `line`.
  static func excused(_ lines: [String], above line: Int) -> Bool {
    var k = line - 1
    while k >= 0 {
      let t = lines[k].trimmingCharacters(in: .whitespaces)
      guard t.hasPrefix("//") || t.hasPrefix("@") || t.hasPrefix("/*") || t.hasPrefix("*") else { return false }
      if !t.hasPrefix("@"), t.contains("long:") { return true }
      k -= 1
    }
    return false
  }

  /// `text` with comments blanked to spaces and the contents of string literals replaced by `_`
  /// (newlines kept, interpolated code kept), so braces and parentheses can be counted.
  static func mask(_ text: String) -> String {
    enum Context {
      case code(parens: Int, interpolation: Bool)
      case string(multiline: Bool, hashes: Int)
    }
    let s = Array(text.utf8)
    var out = s
    var stack: [Context] = [.code(parens: 0, interpolation: false)]
    var i = 0
    func at(_ k: Int, _ literal: String) -> Bool {
      let l = Array(literal.utf8)
      return k + l.count <= s.count && Array(s[k..<k + l.count]) == l
    }
    func blank(_ k: Int, _ with: UInt8) { if s[k] != UInt8(ascii: "\n") { out[k] = with } }
    while i < s.count {
      switch stack[stack.count - 1] {
      case .code(let parens, let interpolation):
        if at(i, "//") {
          while i < s.count, s[i] != UInt8(ascii: "\n") {
            blank(i, UInt8(ascii: " "))
            i += 1
          }
          continue
        }
        if at(i, "/*") {
          var depth = 0
          repeat {
            let step = at(i, "/*") || at(i, "*/") ? 2 : 1
            depth += at(i, "/*") ? 1 : at(i, "*/") ? -1 : 0
            for k in i..<min(i + step, s.count) { blank(k, UInt8(ascii: " ")) }
            i += step
          } while depth > 0 && i < s.count
          continue
        }
        var hashes = 0
        while i + hashes < s.count, s[i + hashes] == UInt8(ascii: "#") { hashes += 1 }
        if i + hashes < s.count, s[i + hashes] == UInt8(ascii: "\"") {
          let multiline = at(i + hashes, "\"\"\"")
          i += hashes + (multiline ? 3 : 1)
          stack.append(.string(multiline: multiline, hashes: hashes))
          continue
        }
        if s[i] == UInt8(ascii: "(") {
          stack[stack.count - 1] = .code(parens: parens + 1, interpolation: interpolation)
        } else if s[i] == UInt8(ascii: ")") {
          if interpolation && parens == 0 {
            stack.removeLast()
          } else {
            stack[stack.count - 1] = .code(parens: parens - 1, interpolation: interpolation)
          }
        }
        i += max(hashes, 1)
      case .string(let multiline, let hashes):
        let pounds = String(repeating: "#", count: hashes)
        if at(i, "\\" + pounds + "(") {
          i += hashes + 2
          stack.append(.code(parens: 0, interpolation: true))
        } else if at(i, "\\" + pounds) && hashes == 0 {
          blank(i, UInt8(ascii: "_"))
          if i + 1 < s.count { blank(i + 1, UInt8(ascii: "_")) }
          i += 2
        } else if at(i, (multiline ? "\"\"\"" : "\"") + pounds) {
          i += (multiline ? 3 : 1) + hashes
          stack.removeLast()
        } else {
          blank(i, UInt8(ascii: "_"))
          i += 1
        }
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
