import CZlib
import Foundation
import SkelData
import Testing

/// The readers on files written here (and by numpy 2.4.6: `Fixtures/`), and every error at its
/// exact position in the file.
@Suite struct CSVReaderTests {
  static func read(_ text: String, columns: [String]? = nil, labels: String? = nil) throws(DataError) -> DataSet {
    try CSVData.read(Array(text.utf8), columns: columns, labels: labels)
  }

  func error(_ text: String, columns: [String]? = nil, labels: String? = nil) -> DataError? {
    do {
      _ = try Self.read(text, columns: columns, labels: labels)
      return nil
    } catch { return error }
  }

  @Test func roundTripWithLabels() throws {
    let rows: [[Double]] = [[0.25, -1.5e-3, 7], [1, 2, 3], [-0.125, 1e10, 0]]
    let labels = ["cat", "dog", "cat"]
    var text = "x1,x2, x3 ,kind\n"
    for (r, l) in zip(rows, labels) { text += r.map { "\($0)" }.joined(separator: ",") + ",\(l)\r\n" }
    let d = try Self.read(text, labels: "kind")
    #expect(d.shape == [3, 3])
    #expect(d.values == rows.flatMap { $0 })
    #expect(d.labels == labels)
    let picked = try Self.read(text, columns: ["x3", "x1"], labels: "x2")
    #expect(picked.values == [7, 0.25, 3, 1, 0, -0.125])
    #expect(picked.labels == ["-0.0015", "2.0", "10000000000.0"])
  }

  @Test func raggedRowIsAtItsLineAndColumn() {
    #expect(error("a,b,c\n1,2,3\n4,5\n") == DataError(.line(3, column: 3), "row has 2 fields; the header has 3"))
    #expect(error("a,b\n1,2\n3,4,5\n") == DataError(.line(3, column: 3), "row has 3 fields; the header has 2"))
  }

  @Test func lineCountsQuotedLineBreaksAndBlankLines() {
    let text = "a,note\n1,\"two\nlines\"\n\n2,x\n3,\"a\r\nb\"\nbad,y\n"
    #expect(error(text, labels: "note") == DataError(.line(8, column: 1), "'bad' in column 'a' is not a number"))
  }

  @Test func nonNumericAndNonFiniteCells() {
    #expect(error("a,b\n1,2\n3,x4\n") == DataError(.line(3, column: 2), "'x4' in column 'b' is not a number"))
    #expect(error("a,b\n1,nan\n") == DataError(.line(2, column: 2), "'nan' in column 'b' is not a finite number"))
    #expect(error("a,b\n1,2\n-inf,2\n") == DataError(.line(3, column: 1), "'-inf' in column 'a' is not a finite number"))
    #expect(error("a,b\n1,0x10\n") == DataError(.line(2, column: 2), "'0x10' in column 'b' is not a number"))
  }

  @Test func headerProblems() {
    #expect(error("a,b,a\n1,2,3\n") == DataError(.line(1, column: 3), "column name 'a' appears twice (also column 1)"))
    #expect(error("a,b\n1,2\n", labels: "y") == DataError(.line(1, column: 1), "the header has no column 'y'; it has 'a', 'b'"))
    #expect(error("a,b\n") == DataError(.line(2, column: 1), "the file has a header but no rows"))
    #expect(error("") == DataError(.line(1, column: 1), "the file has no header row"))
    #expect((try? CSVData.read([0x61, 0x2C, 0x62, 0x0A, 0x31, 0xFF, 0x0A])) == nil)
    do {
      _ = try CSVData.read([0x61, 0x0A, 0x31, 0xC3, 0x28])
      Issue.record("bad UTF-8 was read")
    } catch { #expect(error == DataError(.byte(4), "the file is not UTF-8")) }
  }

  @Test func tooManyNumbersIsRefused() {
    do {
      _ = try CSVData.read(Array("a,b\n1,2\n3,4\n".utf8), maxElements: 3)
      Issue.record("read past the limit")
    } catch { #expect(error == DataError(.line(3, column: 1), "the file holds more than 3 numbers")) }
  }
}

@Suite struct NPYReaderTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
  static func fixture(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: fixtures.appendingPathComponent(name))) }

  /// An .npy file as numpy writes it: magic, version, padded header, data.
  static func npy(_ values: [Double], shape: String, descr: String, version: UInt8 = 1, fortran: String = "False") -> [UInt8] {
    var header = "{'descr': '\(descr)', 'fortran_order': \(fortran), 'shape': \(shape), }"
    let prefix = version == 1 ? 10 : 12
    while (prefix + header.utf8.count + 1) % 64 != 0 { header += " " }
    header += "\n"
    var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    let n = header.utf8.count
    out += version == 1 ? [UInt8(n & 0xFF), UInt8(n >> 8)] : [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), 0, 0]
    out += Array(header.utf8)
    let big = descr.hasPrefix(">"), four = descr.hasSuffix("4")
    for x in values {
      let bits: [UInt8] =
        four
        ? withUnsafeBytes(of: Float(x).bitPattern.littleEndian, Array.init) : withUnsafeBytes(of: x.bitPattern.littleEndian, Array.init)
      out += big ? bits.reversed() : bits
    }
    return out
  }

  func error(_ bytes: [UInt8], maxElements: Int = DataLimits.maxElements) -> DataError? {
    do {
      _ = try NPY.read(bytes, maxElements: maxElements)
      return nil
    } catch { return error }
  }

  @Test(arguments: ["<f8", ">f8", "<f4", ">f4"], [UInt8(1), 2, 3])
  func roundTrip(descr: String, version: UInt8) throws {
    let values = [0.5, -2.25, 1e-3, 3, 0, 1.0 / 3]
    let d = try NPY.read(Self.npy(values, shape: "(2, 3)", descr: descr, version: version))
    #expect(d.shape == [2, 3])
    #expect(d.values == (descr.hasSuffix("4") ? values.map { Double(Float($0)) } : values))
    let images = try NPY.read(Self.npy(values, shape: "(1, 1, 3, 2)", descr: descr, version: version))
    #expect(images.shape == [1, 1, 3, 2])
  }

  @Test func numpyFixtures() throws {
    let be = try NPY.read(try Self.fixture("be-f4-3x4.npy"))
    #expect(be.shape == [3, 4])
    #expect(be.values == (0..<12).map { Double($0) / 8 - 0.5 })
    let v2 = try NPY.read(try Self.fixture("le-f8-v2-2x3x2x1.npy"))
    #expect(v2.shape == [2, 3, 2, 1])
    #expect(
      v2.values
        == (0..<12).map { i in
          let t = Double(i) * 0.1
          return t * t
        })
  }

  @Test func rejectedWithTheBytePositionOfTheField() throws {
    #expect(
      error(try Self.fixture("fortran.npy")) == DataError(.byte(44), "fortran_order is True; only C order is read (np.ascontiguousarray)"))
    #expect(
      error(try Self.fixture("int64.npy")) == DataError(.byte(20), "dtype '<i8' is not float32 or float64 ('<f4', '>f4', '<f8', '>f8')"))
    #expect(error(try Self.fixture("nan.npy")) == DataError(.byte(136), "value 1 (element 1 of 4) is nan, not a finite number"))
    let oneAxis = Self.npy([1, 2], shape: "(2,)", descr: "<f8")
    #expect(error(oneAxis) == DataError(.byte(60), "shape (2,) has 1 axes; expected N×d or N×H×W×C"))
  }

  @Test func aHugeShapeIsRefusedBeforeAllocation() {
    let claim = Self.npy([], shape: "(1000000, 1000000)", descr: "<f8")
    #expect(error(claim) == DataError(.byte(60), "shape (1000000, 1000000) holds more than \(DataLimits.maxElements) numbers"))
    let overflow = Self.npy([], shape: "(4294967296, 4294967296, 4294967296, 1)", descr: "<f8")
    #expect(error(overflow)?.message.hasSuffix("holds more than \(DataLimits.maxElements) numbers") == true)
    #expect(error(Self.npy([1, 2], shape: "(2, 2)", descr: "<f8"))?.message == "shape (2, 2) needs 32 bytes of data; the file has 16")
    #expect(error(Array("not npy at all".utf8)) == DataError(.byte(0), "not a NumPy .npy file (it does not start with \\x93NUMPY)"))
  }
}

@Suite struct IDXReaderTests {
  static func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: bytes.count + 1024)
    var z = z_stream()
    _ = deflateInit2_(&z, 6, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
    var n = 0
    bytes.withUnsafeBufferPointer { b in
      out.withUnsafeMutableBufferPointer { o in
        z.next_in = UnsafeMutablePointer(mutating: b.baseAddress)
        z.avail_in = UInt32(b.count)
        z.next_out = o.baseAddress
        z.avail_out = UInt32(o.count)
        _ = deflate(&z, Z_FINISH)
        n = Int(z.total_out)
      }
    }
    deflateEnd(&z)
    return Array(out[0..<n])
  }

  static func idx(_ shape: [Int], _ data: [UInt8]) -> [UInt8] {
    var out: [UInt8] = [0, 0, 8, UInt8(shape.count)]
    for s in shape { out += [UInt8(s >> 24 & 0xFF), UInt8(s >> 16 & 0xFF), UInt8(s >> 8 & 0xFF), UInt8(s & 0xFF)] }
    return out + data
  }

  @Test func gzippedRoundTrip() throws {
    let pixels = (0..<(3 * 28 * 28)).map { UInt8($0 % 251) }
    let (images, labels) = try FashionMNIST.decode(
      images: Self.gzip(Self.idx([3, 28, 28], pixels)), labels: Self.gzip(Self.idx([3], [9, 0, 4])))
    #expect(images.shape == [3, 28, 28])
    #expect(images.bytes == pixels)
    #expect(labels == [9, 0, 4])
  }

  @Test func errorsAtTheirBytes() {
    func error(_ body: () throws -> Void) -> DataError? {
      do {
        try body()
        return nil
      } catch { return error as? DataError }
    }
    #expect(
      error { _ = try IDX.read([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]) }
        == DataError(.byte(2), "IDX element type 0xd is not unsigned bytes (0x08)"))
    #expect(error { _ = try IDX.read(Self.idx([4], [1, 2])) } == DataError(.byte(8), "sizes 4 need 4 bytes; the file has 2"))
    let huge = Self.idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [])
    #expect(
      error { _ = try IDX.read(huge) }
        == DataError(.byte(4), "sizes 4294967295×4294967295×4294967295 hold more than \(DataLimits.maxElements) numbers"))
    let bomb = Self.gzip([UInt8](repeating: 0, count: 1 << 20))
    #expect(error { _ = try Gzip.inflate(bomb, maxBytes: 1000) }?.message == "decompresses to more than 1000 bytes")
    let truncated = Array(Self.gzip(Array(repeating: 7, count: 5000)).dropLast(6))
    #expect(
      error { _ = try Gzip.inflate(truncated, maxBytes: 1 << 20) }?.message.hasPrefix("the gzip stream is damaged or truncated") == true)
    #expect(
      error {
        _ = try FashionMNIST.decode(
          images: Self.gzip(Self.idx([1, 28, 28], Array(repeating: 0, count: 784))), labels: Self.gzip(Self.idx([1], [12])))
      } == DataError(.byte(8), "label 12 of image 0 is not a class 0–9"))
  }

  /// The decoded splits are kept by their bytes: the same bytes give the first decoding, other
  /// bytes (three splits in turn, one of them equal in content but another array) their own.
  @Test func decodedSplitsAreKeptByTheirBytes() throws {
    func split(_ n: Int, _ seed: Int) -> (images: [UInt8], labels: [UInt8], pixels: [UInt8]) {
      let pixels = (0..<(n * 784)).map { UInt8(($0 * 7 + seed) % 251) }
      let labels = (0..<n).map { UInt8(($0 + seed) % 10) }
      return (Self.gzip(Self.idx([n, 28, 28], pixels)), Self.gzip(Self.idx([n], labels)), pixels)
    }
    let a = split(2, 1), b = split(3, 5), c = split(1, 9)
    for s in [a, b, c, a, b, a] {
      let (images, labels) = try FashionMNIST.decode(images: s.images, labels: s.labels)
      #expect(images.bytes == s.pixels && labels.count == images.shape[0])
    }
    // equal content in another array: found by comparing the bytes, not only the buffer
    let copy = (images: Array(a.images.reversed().reversed()), labels: a.labels)
    #expect(try FashionMNIST.decode(images: copy.images, labels: copy.labels).images.bytes == a.pixels)
    // one label changed: decoded anew, so its error is found
    var bad = Self.idx([2], [1, 2])
    bad[bad.count - 1] = 11
    #expect(throws: DataError.self) { try FashionMNIST.decode(images: a.images, labels: Self.gzip(bad)) }
  }

  /// Debian's files, when installed (the Makefile installs them for the tests).
  @Test func debianFashionMNISTTestSplit() throws {
    let files = FashionMNIST.files(split: "test")
    guard let images = FileManager.default.contents(atPath: files.images), let labels = FileManager.default.contents(atPath: files.labels)
    else {
      Issue.record("dataset-fashion-mnist is not installed (make test installs it)")
      return
    }
    let (im, lab) = try FashionMNIST.decode(images: Array(images), labels: Array(labels))
    #expect(im.shape == [10_000, 28, 28])
    #expect(lab.count == 10_000)
    #expect((0..<10).allSatisfy { c in lab.count(where: { $0 == c }) == 1000 }, "the test split has 1000 images per class")
  }
}
