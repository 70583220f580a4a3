import CZlib

/// LeCun's IDX format (MNIST, Fashion-MNIST): `0 0 type dims`, then big-endian sizes, then the
/// data; only unsigned bytes (type 0x08) are read, as they are in those files.
public enum IDX {
  /// An IDX array of unsigned bytes: its shape and bytes (not yet scaled).
  public struct Array: Sendable, Hashable {
    public var shape: [Int]
    public var bytes: [UInt8]
  }

  public static func read(_ bytes: [UInt8], maxElements: Int = DataLimits.maxElements) throws(DataError) -> IDX.Array {
    guard bytes.count >= 4, bytes[0] == 0, bytes[1] == 0 else {
      throw DataError(.byte(0), "not an IDX file (it does not start with two zero bytes)")
    }
    guard bytes[2] == 0x08 else {
      throw DataError(.byte(2), "IDX element type 0x\(String(bytes[2], radix: 16)) is not unsigned bytes (0x08)")
    }
    let dims = Int(bytes[3])
    guard (1...4).contains(dims) else { throw DataError(.byte(3), "IDX file with \(dims) dimensions (1 to 4 are read)") }
    guard bytes.count >= 4 + 4 * dims else { throw DataError(.byte(bytes.count), "the file ends inside the sizes") }
    var shape: [Int] = []
    for k in 0..<dims {
      var n = 0
      for b in 0..<4 { n = n << 8 | Int(bytes[4 + 4 * k + b]) }
      shape.append(n)
    }
    guard let count = DataLimits.product(shape, limit: maxElements) else {
      throw DataError(.byte(4), "sizes \(shape.map(String.init).joined(separator: "×")) hold more than \(maxElements) numbers")
    }
    let data = 4 + 4 * dims
    guard bytes.count - data == count else {
      throw DataError(
        .byte(data), "sizes \(shape.map(String.init).joined(separator: "×")) need \(count) bytes; the file has \(bytes.count - data)")
    }
    return IDX.Array(shape: shape, bytes: Swift.Array(bytes[data...]))
  }
}

/// gzip (RFC 1952) decompression through zlib, bounded: more than `maxBytes` of output is an
/// error before it is held.
public enum Gzip {
  public static func inflate(_ input: [UInt8], maxBytes: Int) throws(DataError) -> [UInt8] {
    guard input.count >= 2, input[0] == 0x1F, input[1] == 0x8B else { throw DataError(.byte(0), "not a gzip file") }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var z = z_stream()
    guard inflateInit2_(&z, 16 + MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
      throw DataError(.byte(0), "zlib could not start")
    }
    defer { inflateEnd(&z) }
    var status: Int32 = Z_OK
    var tooLarge = false
    input.withUnsafeBufferPointer { inBuf in
      z.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)  // inflate only reads the input
      z.avail_in = UInt32(inBuf.count)
      while status == Z_OK {
        let produced: Int = chunk.withUnsafeMutableBufferPointer { c in
          z.next_out = c.baseAddress
          z.avail_out = UInt32(c.count)
          status = CZlib.inflate(&z, Z_NO_FLUSH)
          return c.count - Int(z.avail_out)
        }
        if out.count + produced > maxBytes {
          tooLarge = true
          return
        }
        out.append(contentsOf: chunk[0..<produced])
        if status == Z_BUF_ERROR, z.avail_in == 0 { break }
      }
    }
    if tooLarge { throw DataError(.byte(Int(z.total_in)), "decompresses to more than \(maxBytes) bytes") }
    guard status == Z_STREAM_END else {
      throw DataError(.byte(Int(z.total_in)), "the gzip stream is damaged or truncated (zlib status \(status))")
    }
    return out
  }
}
