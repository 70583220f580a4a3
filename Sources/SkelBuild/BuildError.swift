import Foundation
import SkelDocument

/// Why a build failed. The CLI turns it into text and an exit code.
public enum BuildError: Error, Sendable {
  /// Problems in the reports, all of them, with the sources to quote.
  case diagnostics([Diagnostic], sources: [String: SourceFile])
  /// A stage failed for a reason outside the reports (I/O, a missing tool).
  case stage(name: String, message: String)
}

#if canImport(Glibc)
  import Glibc
#endif

extension BuildError {
  /// A file-system failure as a stage error that says what was being done, on which path, and
  /// why in words: Foundation's own text on Linux is often just "The operation could not be
  /// completed. (NSCocoaErrorDomain error 512.)".
  public static func io(_ error: Error, stage: String, doing: String, path: String? = nil) -> BuildError {
    if let e = error as? BuildError { return e }
    return .stage(name: stage, message: describe(error, doing: doing, path: path))
  }

  /// `doing path: reason`, the reason from the POSIX error underneath when there is one.
  public static func describe(_ error: Error, doing: String, path: String? = nil) -> String {
    let ns = error as NSError
    let filePath = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    func posix(_ code: Int) -> String { String(cString: strerror(Int32(code))) }
    if ns.domain == NSPOSIXErrorDomain {
      reason = posix(ns.code)
    } else if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
      reason = posix(u.code)
    } else if ns.domain == NSCocoaErrorDomain {
      let known: [Int: String] = [
        4: "no such file or folder", 260: "no such file or folder", 257: "permission denied", 513: "permission denied",
        516: "a file with that name already exists", 640: "no space left on the device", 642: "the volume is read-only",
        261: "the file is not valid in its text encoding", 512: "the file could not be written", 256: "the file could not be read",
      ]
      reason = (known[ns.code] ?? "file-system error") + " (NSCocoaErrorDomain error \(ns.code))"
    } else {
      reason = "\(error)"
    }
    let where_ = [path, filePath.flatMap { $0 == path ? nil : $0 }].compactMap { $0 }.joined(separator: ", at ")
    return "\(doing)\(where_.isEmpty ? "" : " " + where_): \(reason)"
  }
}
