/// A report's text, with line lookup for positions.
public struct SourceFile: Sendable, Hashable {
  /// The path as the user gave it (used in messages).
  public let path: String
  public let text: String
  /// The lines, without their terminators.
  public let lines: [Substring]

  /// `text` is normalized: CRLF and lone CR line endings become LF (Swift counts "\r\n" as one
  /// character, so a CRLF file had no "\n" lines at all and lost its front matter), and the
  /// placeholder sentinel `MathProtection.sentinel` (a Unicode noncharacter) becomes U+FFFD, so
  /// no text of the author's can be taken for a placeholder. Both keep every line and column.
  public init(path: String, text: String) {
    self.path = path
    self.text = Self.normalized(text)
    lines = self.text.split(separator: "\n", omittingEmptySubsequences: false)
  }

  /// LF line endings and no placeholder sentinel (see `init`).
  public static func normalized(_ text: String) -> String {
    let needsWork = text.unicodeScalars.contains { $0 == "\r" || $0 == MathProtection.sentinelScalar }
    guard needsWork else { return text }
    var out = String.UnicodeScalarView()
    var previousCR = false
    for u in text.unicodeScalars {
      if u == "\r" {
        out.append("\n")
        previousCR = true
        continue
      }
      if u == "\n", previousCR {
        previousCR = false
        continue
      }
      previousCR = false
      out.append(u == MathProtection.sentinelScalar ? "\u{FFFD}" : u)
    }
    return String(out)
  }

  /// Line `n` (1-based), or an empty string past the end.
  public func line(_ n: Int) -> Substring { n >= 1 && n <= lines.count ? lines[n - 1] : "" }
}

/// A position in a source file: 1-based line and column (columns count characters).
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var path: String
  public var line: Int
  public var column: Int
  public init(path: String, line: Int, column: Int) {
    self.path = path
    self.line = line
    self.column = column
  }
  public var description: String { "\(path):\(line):\(column)" }
  public static func < (a: Self, b: Self) -> Bool {
    (a.path, a.line, a.column) < (b.path, b.line, b.column)
  }
}

/// A located value: what the user wrote and where.
public struct Located<Value: Sendable>: Sendable {
  public var value: Value
  public var location: SourceLocation
  /// How many characters the value spans on its line (for the caret underline).
  public var length: Int
  public init(_ value: Value, at location: SourceLocation, length: Int = 1) {
    self.value = value
    self.location = location
    self.length = length
  }
}
