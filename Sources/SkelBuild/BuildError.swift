import SkelDocument

/// Why a build failed. The CLI turns it into text and an exit code.
public enum BuildError: Error, Sendable {
  /// Problems in the reports, all of them, with the sources to quote.
  case diagnostics([Diagnostic], sources: [String: SourceFile])
  /// A stage failed for a reason outside the reports (I/O, a missing tool).
  case stage(name: String, message: String)
}
