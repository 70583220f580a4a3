/// A report's text, with line lookup for positions.
public struct SourceFile: Sendable, Hashable {
  /// The path as the user gave it (used in messages).
  public let path: String
  public let text: String
  /// The lines, without their terminators.
  public let lines: [Substring]

  public init(path: String, text: String) {
    self.path = path
    self.text = text
    lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
      line.last == "\r" ? line.dropLast() : line
    }
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
