/// NumPy's `.npy` format, versions 1.0, 2.0 and 3.0: float32 or float64, little or big endian,
/// C order, shape N×d or N×H×W×C (the format: numpy/lib/format.py).
public enum NPY {
  /// The array in `bytes` as doubles. Errors carry the byte offset of the field at fault (the
  /// header's `descr`, `fortran_order` or `shape`, or the first NaN/±inf value).
  public static func read(_ bytes: [UInt8], maxElements: Int = DataLimits.maxElements) throws(DataError) -> DataSet {
    let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
    guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
      throw DataError(.byte(0), "not a NumPy .npy file (it does not start with \\x93NUMPY)")
    }
    let major = Int(bytes[6])
    guard (1...3).contains(major) else { throw DataError(.byte(6), "unknown .npy format version \(major).\(bytes[7])") }
    let lengthBytes = major == 1 ? 2 : 4
    guard bytes.count >= 8 + lengthBytes else { throw DataError(.byte(8), "the file ends inside the header length") }
    var headerLength = 0
    for k in (0..<lengthBytes).reversed() { headerLength = headerLength << 8 | Int(bytes[8 + k]) }
    let start = 8 + lengthBytes
    guard headerLength <= bytes.count - start else {
      throw DataError(.byte(8), "the header claims \(headerLength) bytes; the file has \(bytes.count - start) after it")
    }
    let header = try Header.parse(bytes, from: start, to: start + headerLength)
    guard header.shape.count == 2 || header.shape.count == 4 else {
      throw DataError(.byte(header.shapeOffset), "shape \(header.shapeText) has \(header.shape.count) axes; expected N×d or N×H×W×C")
    }
    guard let count = DataLimits.product(header.shape, limit: maxElements) else {
      throw DataError(.byte(header.shapeOffset), "shape \(header.shapeText) holds more than \(maxElements) numbers")
    }
    let data = start + headerLength
    let expected = count * header.itemSize
    guard bytes.count - data == expected else {
      throw DataError(.byte(data), "shape \(header.shapeText) needs \(expected) bytes of data; the file has \(bytes.count - data)")
    }
    let values = try decode(bytes, from: data, count: count, itemSize: header.itemSize, bigEndian: header.bigEndian)
    return DataSet(shape: header.shape, values: values)
  }

  static func decode(_ bytes: [UInt8], from data: Int, count: Int, itemSize: Int, bigEndian: Bool) throws(DataError) -> [Double] {
    var values = [Double](repeating: 0, count: count)
    for i in 0..<count {
      var bits: UInt64 = 0
      let o = data + i * itemSize
      for k in 0..<itemSize {
        let b = UInt64(bytes[o + (bigEndian ? k : itemSize - 1 - k)])
        bits = bits << 8 | b
      }
      let x = itemSize == 8 ? Double(bitPattern: bits) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
      guard x.isFinite else {
        throw DataError(.byte(o), "value \(i) (\(Self.index(i, count: count))) is \(x), not a finite number")
      }
      values[i] = x
    }
    return values
  }

  static func index(_ i: Int, count: Int) -> String { "element \(i) of \(count)" }

  /// The header dictionary: `{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }`.
  struct Header {
    var itemSize = 8
    var bigEndian = false
    var shape: [Int] = []
    var shapeText = ""
    var shapeOffset = 0

    static func parse(_ bytes: [UInt8], from start: Int, to end: Int) throws(DataError) -> Header {
      var h = Header()
      guard let descr = field("descr", bytes, start, end), let order = field("fortran_order", bytes, start, end),
        let shape = field("shape", bytes, start, end)
      else {
        throw DataError(.byte(start), "the header lacks one of 'descr', 'fortran_order' and 'shape'")
      }
      let dtype = text(bytes, descr.value, descr.end).trimmingQuotes()
      switch dtype {
      case "<f8", "=f8": (h.itemSize, h.bigEndian) = (8, false)
      case ">f8": (h.itemSize, h.bigEndian) = (8, true)
      case "<f4", "=f4": (h.itemSize, h.bigEndian) = (4, false)
      case ">f4": (h.itemSize, h.bigEndian) = (4, true)
      default:
        throw DataError(.byte(descr.value), "dtype '\(dtype)' is not float32 or float64 ('<f4', '>f4', '<f8', '>f8')")
      }
      let fortran = text(bytes, order.value, order.end)
      guard fortran == "False" else {
        throw DataError(.byte(order.value), "fortran_order is \(fortran); only C order is read (np.ascontiguousarray)")
      }
      h.shapeOffset = shape.value
      h.shapeText = text(bytes, shape.value, shape.end)
      guard let dims = parseShape(h.shapeText) else { throw DataError(.byte(shape.value), "shape \(h.shapeText) is not a tuple of sizes") }
      h.shape = dims
      return h
    }

    /// The value of `'key':` as a byte range (up to the `,` or `}` that ends it, parentheses
    /// balanced).
    static func field(_ key: String, _ bytes: [UInt8], _ start: Int, _ end: Int) -> (value: Int, end: Int)? {
      let pattern = Array("'\(key)'".utf8)
      guard pattern.count <= end - start else { return nil }
      var i = start
      while i + pattern.count <= end, Array(bytes[i..<i + pattern.count]) != pattern { i += 1 }
      guard i + pattern.count <= end else { return nil }
      i += pattern.count
      while i < end, bytes[i] == 0x20 { i += 1 }
      guard i < end, bytes[i] == UInt8(ascii: ":") else { return nil }
      i += 1
      while i < end, bytes[i] == 0x20 { i += 1 }
      let value = i
      var depth = 0
      while i < end {
        let c = bytes[i]
        if c == UInt8(ascii: "(") { depth += 1 }
        if c == UInt8(ascii: ")") { depth -= 1 }
        if depth <= 0, c == UInt8(ascii: ",") || c == UInt8(ascii: "}") { break }
        i += 1
      }
      if depth < 0 { return nil }
      return (value, i)
    }

    static func text(_ bytes: [UInt8], _ from: Int, _ to: Int) -> String {
      String(decoding: bytes[from..<to], as: UTF8.self).trimmingCharacters(in: " ")
    }

    static func parseShape(_ text: String) -> [Int]? {
      guard text.hasPrefix("("), text.hasSuffix(")") else { return nil }
      let inner = text.dropFirst().dropLast()
      var dims: [Int] = []
      for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
        let t = String(part).trimmingCharacters(in: " ")
        if t.isEmpty { continue }
        guard t.count <= 18, let n = Int(t), n >= 0 else { return nil }
        dims.append(n)
      }
      return dims
    }
  }
}

extension String {
  func trimmingCharacters(in set: Character) -> String {
    var s = Substring(self)
    while s.first == set { s = s.dropFirst() }
    while s.last == set { s = s.dropLast() }
    return String(s)
  }
  func trimmingQuotes() -> String {
    var s = Substring(self)
    if s.count >= 2, s.first == s.last, s.first == "'" || s.first == "\"" { s = s.dropFirst().dropLast() }
    return String(s)
  }
}
