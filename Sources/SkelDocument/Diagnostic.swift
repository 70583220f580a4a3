/// A problem found in a report, with its position. Libraries produce these; only the CLI prints.
public struct Diagnostic: Error, Sendable, Hashable, Comparable {
  public enum Severity: String, Sendable, Hashable { case error, warning }
  public var severity: Severity
  public var location: SourceLocation
  /// Characters to underline from `location.column` (at least 1).
  public var length: Int
  public var message: String

  public init(_ severity: Severity = .error, at location: SourceLocation, length: Int = 1, _ message: String) {
    self.severity = severity
    self.location = location
    self.length = max(1, length)
    self.message = message
  }

  public static func < (a: Self, b: Self) -> Bool { a.location < b.location }

  /// `path:line:col: error: message`, then the source line and a caret line:
  /// ```
  /// reports/depth.md:11:2: error: unknown option 'depht' for directive 'depth'; did you mean 'depths'?
  ///    11 | :depht: [1, 2, 4]
  ///       |  ^~~~~
  /// ```
  public func formatted(source: SourceFile?) -> String {
    var out = "\(location): \(severity.rawValue): \(message)"
    guard let source, location.line >= 1, location.line <= source.lines.count else { return out }
    let number = String(location.line)
    let gutter = "   " + number
    let blank = String(repeating: " ", count: gutter.count)
    let text = String(source.line(location.line))
    let caretPad = String(repeating: " ", count: max(0, location.column - 1))
    let underline = "^" + String(repeating: "~", count: max(0, length - 1))
    out += "\n\(gutter) | \(text)\n\(blank) | \(caretPad)\(underline)"
    return out
  }
}

/// All the diagnostics of a failed step, thrown at once.
public struct DiagnosticList: Error, Sendable {
  public var diagnostics: [Diagnostic]
  public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics.sorted() }
}

/// Suggestions by edit distance, as swift-argument-parser does for unknown options.
public enum Suggestion {
  /// The closest candidate within a distance of about a third of the word's length, if any.
  public static func closest(to word: String, among candidates: [String]) -> String? {
    let limit = max(1, (word.count + 2) / 3)
    var best: (String, Int)?
    for c in candidates {
      let d = editDistance(word, c)
      if d <= limit, d < (best?.1 ?? Int.max) { best = (c, d) }
    }
    return best?.0
  }

  /// Damerau–Levenshtein distance (adjacent transpositions count as one edit).
  public static func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
      for j in 1...y.count {
        let cost = x[i - 1] == y[j - 1] ? 0 : 1
        d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
        if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
      }
    }
    return d[x.count][y.count]
  }

  /// `; did you mean 'x'?` or an empty string.
  public static func didYouMean(_ word: String, among candidates: [String]) -> String {
    closest(to: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
  }
}
