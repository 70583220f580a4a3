import Foundation

/// Report bytes → `SourceFile`: UTF-8 (a leading byte-order mark is dropped), or an error at the
/// first byte that is not UTF-8, with its line and column (characters before it on its line).
public enum SourceDecoding {
  public static func decode(_ data: Data, path: String) -> Result<SourceFile, Diagnostic> {
    var bytes = [UInt8](data)
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
    if let bad = firstInvalidByte(bytes) {
      let lineStart = bytes[..<bad].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
      let line = bytes[..<bad].count(where: { $0 == 0x0A }) + 1
      let column = String(decoding: bytes[lineStart..<bad], as: UTF8.self).count + 1
      let hex = String(bytes[bad], radix: 16, uppercase: true)
      return .failure(
        Diagnostic(
          at: SourceLocation(path: path, line: line, column: column),
          "not valid UTF-8 (byte 0x\(hex.count == 1 ? "0" + hex : hex)); save the report as UTF-8"))
    }
    return .success(SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self)))
  }

  /// The index of the first byte that does not belong to a well-formed UTF-8 sequence
  /// (no overlong forms, no surrogates, nothing above U+10FFFF), or `nil`.
  public static func firstInvalidByte(_ b: [UInt8]) -> Int? {
    var i = 0
    while i < b.count {
      let c = b[i]
      if c < 0x80 {
        i += 1
        continue
      }
      let n: Int, lo: UInt8, hi: UInt8  // continuation count, range of the second byte
      switch c {
      case 0xC2...0xDF: (n, lo, hi) = (1, 0x80, 0xBF)
      case 0xE0: (n, lo, hi) = (2, 0xA0, 0xBF)
      case 0xE1...0xEC, 0xEE...0xEF: (n, lo, hi) = (2, 0x80, 0xBF)
      case 0xED: (n, lo, hi) = (2, 0x80, 0x9F)
      case 0xF0: (n, lo, hi) = (3, 0x90, 0xBF)
      case 0xF1...0xF3: (n, lo, hi) = (3, 0x80, 0xBF)
      case 0xF4: (n, lo, hi) = (3, 0x80, 0x8F)
      default: return i
      }
      for k in 1...n {
        guard i + k < b.count else { return i }
        let range: ClosedRange<UInt8> = k == 1 ? lo...hi : 0x80...0xBF
        guard range.contains(b[i + k]) else { return i }  // the sequence's first byte
      }
      i += n + 1
    }
    return nil
  }
}
