import Testing

/// Asserts |expected − actual| ≤ max(absolute, relative·|expected|), with a message that shows
/// both values and the error. Every float comparison in the tests goes through here, with a
/// tolerance that says why it is what it is.
public func expectClose(
  _ actual: Double, _ expected: Double, relative: Double = 0, absolute: Double = 0,
  _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
  let err = abs(actual - expected)
  let tol = max(absolute, relative * abs(expected))
  let ok = actual.isFinite && expected.isFinite ? err <= tol : actual == expected
  #expect(
    ok,
    "\(what()) expected \(expected), got \(actual) (error \(err), tolerance \(tol))",
    sourceLocation: sourceLocation)
}

/// Element-wise `expectClose` for arrays of equal length.
public func expectClose(
  _ actual: [Double], _ expected: [Double], relative: Double = 0, absolute: Double = 0,
  _ what: @autoclosure () -> String = "", sourceLocation: SourceLocation = #_sourceLocation
) {
  #expect(actual.count == expected.count, "\(what()) lengths differ", sourceLocation: sourceLocation)
  for (i, (a, e)) in zip(actual, expected).enumerated() {
    expectClose(a, e, relative: relative, absolute: absolute, "\(what())[\(i)]", sourceLocation: sourceLocation)
  }
}
