extension NPY {
  /// A NumPy `.npy` 1.0 file of little-endian float64 values in C order, as `numpy.save` writes
  /// it: the magic, the header length, the header dictionary padded with spaces to a multiple of
  /// 64 bytes and ending in a newline, then the values. Nil when `values` does not hold the
  /// shape's count of numbers or the header would not fit version 1.0's 16-bit length.
  public static func write(_ values: [Double], shape: [Int]) -> [UInt8]? {
    guard shape.allSatisfy({ $0 >= 0 }), let count = DataLimits.product(shape, limit: Int.max / 8), count == values.count else {
      return nil
    }
    guard var out = header(shape: shape, alignment: 64) else { return nil }
    out.reserveCapacity(out.count + 8 * count)
    #if _endian(little)
      values.withUnsafeBytes { out.append(contentsOf: $0) }  // the numbers' own bytes, in one copy
    #else
      for x in values {
        let bits = x.bitPattern
        for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(k)))) }
      }
    #endif
    return out
  }

  /// The `.npy` 1.0 header of C-order little-endian float64 values of this shape: the magic, the
  /// header length, the dictionary padded with spaces so the values start at a multiple of
  /// `alignment` bytes (numpy.save: 64; tiles for direct I/O: 4096), ending in a newline. Nil when
  /// it would not fit version 1.0's 16-bit length.
  public static func header(shape: [Int], alignment: Int) -> [UInt8]? {
    let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
    var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(dims)), }"
    let unpadded = 10 + header.utf8.count + 1
    header += String(repeating: " ", count: (alignment - unpadded % alignment) % alignment) + "\n"
    let length = header.utf8.count
    guard length <= 0xFFFF else { return nil }
    return [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8)
  }
}
