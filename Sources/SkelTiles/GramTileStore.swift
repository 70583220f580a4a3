import CZlib
import Foundation
import SkelMath

#if canImport(Glibc)
  import Glibc
#endif

/// Errors of a tile store: each names the file and what is wrong with it.
public enum TileStoreError: Error, Equatable, CustomStringConvertible, Sendable {
  case io(path: String, operation: String, errno: Int32)
  case damaged(path: String, reason: String)
  case incomplete(directory: String, missing: Int)

  public var description: String {
    switch self {
    case .io(let p, let op, let e): return "\(p): \(op) failed: \(String(cString: strerror(e)))"
    case .damaged(let p, let r): return "\(p): damaged tile (\(r)); remove it and rebuild"
    case .incomplete(let d, let m): return "\(d): \(m) tile(s) not computed yet"
    }
  }
}

/// A symmetric Gram matrix stored as square tiles, one NumPy `.npy` file per tile of the upper
/// triangle (`<name>-<bi>-<bj>.npy`, float64, row-major: `numpy.load(path, mmap_mode="r")`
/// reads one) and a `<name>.manifest.json` written last (order, tile size, each tile's CRC-32).
/// Tiles are written atomically: a temporary name, `fsync`, then `link` to the final name, which
/// fails if another writer got there first (that writer's bytes are kept: an entry is never
/// written twice, and concurrent writers of one tile are harmless). Reading memory-maps one tile
/// at a time and checks its size, header and CRC before anyone sees a number, so a damaged tile
/// is an error, never a result; memory stays one tile whatever the order.
public struct GramTileStore: SymmetricTiles {
  public let directory: String
  public let name: String
  public let order: Int
  public let tileSize: Int
  /// CRC-32 of each tile's data bytes, keyed "bi-bj" (from the manifest).
  let checksums: [String: UInt32]

  struct Manifest: Codable {
    var format: String
    var order: Int
    var tileSize: Int
    var crc32: [String: UInt32]
  }

  /// Opens a complete store (its manifest is there); tiles are checked as they are read.
  public init(directory: String, name: String) throws {
    let path = Self.manifestPath(directory, name)
    guard let data = FileManager.default.contents(atPath: path) else { throw TileStoreError.incomplete(directory: directory, missing: -1) }
    guard let m = try? JSONDecoder().decode(Manifest.self, from: data), m.format == "skelreport-tiles-1", m.order >= 0, m.tileSize > 0
    else { throw TileStoreError.damaged(path: path, reason: "not a tile manifest") }
    self.directory = directory
    self.name = name
    order = m.order
    tileSize = m.tileSize
    checksums = m.crc32
    let expected = tilePairs.count
    guard checksums.count == expected else {
      throw TileStoreError.damaged(path: path, reason: "\(checksums.count) checksums for \(expected) tiles")
    }
  }

  static func manifestPath(_ directory: String, _ name: String) -> String { directory + "/" + name + ".manifest.json" }
  static func tilePath(_ directory: String, _ name: String, _ bi: Int, _ bj: Int) -> String {
    directory + "/\(name)-\(bi)-\(bj).npy"
  }

  public func withTile<R>(_ bi: Int, _ bj: Int, _ body: (UnsafeBufferPointer<Double>) throws -> R) throws -> R {
    let path = Self.tilePath(directory, name, bi, bj)
    let rows = extent(bi), cols = extent(bj)
    let header = NPYHeader.bytes(rows: rows, cols: cols)
    let size = header.count + rows * cols * 8
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw TileStoreError.io(path: path, operation: "open", errno: errno) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw TileStoreError.io(path: path, operation: "stat", errno: errno) }
    guard Int(st.st_size) == size else { throw TileStoreError.damaged(path: path, reason: "\(st.st_size) bytes, expected \(size)") }
    guard let map = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), map != MAP_FAILED else {
      throw TileStoreError.io(path: path, operation: "mmap", errno: errno)
    }
    defer { munmap(map, size) }
    _ = madvise(map, size, MADV_SEQUENTIAL)
    let bytes = map.assumingMemoryBound(to: UInt8.self)
    guard memcmp(bytes, header, header.count) == 0 else { throw TileStoreError.damaged(path: path, reason: "unexpected .npy header") }
    let data = bytes + header.count
    let crc = UInt32(truncatingIfNeeded: crc32(0, data, UInt32(rows * cols * 8)))
    guard crc == checksums["\(bi)-\(bj)"] else { throw TileStoreError.damaged(path: path, reason: "checksum mismatch") }
    let values = UnsafeRawPointer(data).assumingMemoryBound(to: Double.self)
    return try body(UnsafeBufferPointer(start: values, count: rows * cols))
  }

  /// Removes the store's files (its manifest first, so a half-removed store is incomplete, not damaged).
  public static func remove(directory: String, name: String, order: Int, tileSize: Int) {
    unlink(manifestPath(directory, name))
    let t = (order + tileSize - 1) / max(1, tileSize)
    for bi in 0..<t {
      for bj in bi..<t {
        unlink(tilePath(directory, name, bi, bj))
        unlink(tilePath(directory, name, bi, bj) + ".crc")
      }
    }
  }
}

/// Writes a store's tiles (in any order, from any number of processes) and then its manifest.
public struct GramTileWriter: Sendable {
  public let directory: String
  public let name: String
  public let order: Int
  public let tileSize: Int

  public init(directory: String, name: String, order: Int, tileSize: Int) throws {
    precondition(tileSize > 0 && order >= 0, "tiles need a positive size")
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    self.directory = directory
    self.name = name
    self.order = order
    self.tileSize = tileSize
  }

  /// Whether tile (bi, bj) is already written (by anyone).
  public func has(_ bi: Int, _ bj: Int) -> Bool { access(GramTileStore.tilePath(directory, name, bi, bj), F_OK) == 0 }

  /// Writes tile (bi, bj) atomically and durably; if the tile exists already, keeps it.
  public func write(_ bi: Int, _ bj: Int, _ values: UnsafeBufferPointer<Double>) throws {
    let rows = min(tileSize, order - bi * tileSize), cols = min(tileSize, order - bj * tileSize)
    precondition(values.count == rows * cols, "tile (\(bi), \(bj)) has \(rows)×\(cols) entries, got \(values.count)")
    let final = GramTileStore.tilePath(directory, name, bi, bj)
    let temp = final + ".tmp.\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw TileStoreError.io(path: temp, operation: "create", errno: errno) }
    var ok = false
    defer {
      if !ok { unlink(temp) }
    }
    do {
      defer { close(fd) }
      let header = NPYHeader.bytes(rows: rows, cols: cols)
      try header.withUnsafeBytes { try Self.writeAll(fd, $0, path: temp) }
      try Self.writeAll(fd, UnsafeRawBufferPointer(values), path: temp)
      guard fsync(fd) == 0 else { throw TileStoreError.io(path: temp, operation: "fsync", errno: errno) }
    }
    if link(temp, final) != 0 {
      guard errno == EEXIST else { throw TileStoreError.io(path: final, operation: "link", errno: errno) }
      return  // another writer's tile (and its checksum) stand
    }
    unlink(temp)
    ok = true
    // the checksum beside it, so `finish` need not read the tile again (a missing one is recomputed)
    let crc = UInt32(
      truncatingIfNeeded: crc32(
        0, UnsafeRawBufferPointer(values).baseAddress?.assumingMemoryBound(to: UInt8.self), UInt32(values.count * 8)))
    let side = final + ".crc", sideTemp = temp + ".crc"
    if FileManager.default.createFile(atPath: sideTemp, contents: Data(String(crc).utf8)) { rename(sideTemp, side) }
  }

  static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
    var done = 0
    while done < bytes.count {
      guard let base = bytes.baseAddress else { return }
      let w = Glibc.write(fd, base + done, bytes.count - done)
      if w < 0 {
        if errno == EINTR { continue }
        throw TileStoreError.io(path: path, operation: "write", errno: errno)
      }
      done += w
    }
  }

  /// Checksums every tile (reading each once) and writes the manifest atomically: the store is
  /// then complete. Throws `incomplete` if tiles are missing.
  @discardableResult
  public func finish() throws -> GramTileStore {
    let t = (order + tileSize - 1) / tileSize
    var crcs: [String: UInt32] = [:], missing = 0
    for bi in 0..<t {
      for bj in bi..<t {
        let path = GramTileStore.tilePath(directory, name, bi, bj)
        if has(bi, bj), let side = FileManager.default.contents(atPath: path + ".crc"),
          let crc = UInt32(String(decoding: side, as: UTF8.self))
        {
          crcs["\(bi)-\(bj)"] = crc
          continue
        }
        guard let data = FileManager.default.contents(atPath: path) else {
          missing += 1
          continue
        }
        let rows = min(tileSize, order - bi * tileSize), cols = min(tileSize, order - bj * tileSize)
        let h = NPYHeader.bytes(rows: rows, cols: cols).count
        guard data.count == h + rows * cols * 8 else { throw TileStoreError.damaged(path: path, reason: "\(data.count) bytes") }
        crcs["\(bi)-\(bj)"] = data.withUnsafeBytes { b in
          UInt32(truncatingIfNeeded: crc32(0, b.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) + h }, UInt32(rows * cols * 8)))
        }
      }
    }
    guard missing == 0 else { throw TileStoreError.incomplete(directory: directory, missing: missing) }
    let manifest = GramTileStore.Manifest(format: "skelreport-tiles-1", order: order, tileSize: tileSize, crc32: crcs)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let path = GramTileStore.manifestPath(directory, name)
    let temp = path + ".tmp.\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    guard FileManager.default.createFile(atPath: temp, contents: try encoder.encode(manifest)) else {
      throw TileStoreError.io(path: temp, operation: "create", errno: errno)
    }
    guard rename(temp, path) == 0 else { throw TileStoreError.io(path: path, operation: "rename", errno: errno) }
    return try GramTileStore(directory: directory, name: name)
  }
}

/// The `.npy` 1.0 header of a C-order float64 matrix, padded so the data starts 64-aligned.
enum NPYHeader {
  static func bytes(rows: Int, cols: Int) -> [UInt8] {
    var dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
    let fixed = 10  // magic (6) + version (2) + header length (2)
    while (fixed + dict.utf8.count + 1) % 64 != 0 { dict += " " }
    dict += "\n"
    let len = UInt16(dict.utf8.count)
    return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(len & 0xff), UInt8(len >> 8)] + Array(dict.utf8)
  }
}

/// Writes tiles on a thread of its own while the next tile is computed: `submit` copies the tile
/// (the producer's buffer is free again when it returns) and blocks only while `depth` tiles are
/// already waiting, so memory is the producer's tile plus at most `depth` copies, and the disk's
/// write-and-`fsync` time hides behind the compute. The first error is kept and thrown by `finish`.
public final class TileWritePipeline: @unchecked Sendable {
  public let writer: GramTileWriter
  let queue = DispatchQueue(label: "skelreport.tiles.writer")
  let slots: DispatchSemaphore
  let group = DispatchGroup()
  let lock = NSLock()
  var failure: Error?
  /// Copy buffers not in use (at most `depth`, reused: fresh pages would cost their zeroing).
  var free: [SendableBuffer] = []

  public init(_ writer: GramTileWriter, depth: Int = 2) {
    self.writer = writer
    slots = DispatchSemaphore(value: max(1, depth))
  }

  deinit {
    for b in free { b.buffer.deallocate() }
  }

  /// Queues tile (bi, bj); throws an earlier write's error at once.
  public func submit(_ bi: Int, _ bj: Int, _ values: UnsafeBufferPointer<Double>) throws {
    if let failure = lock.withLock({ failure }) { throw failure }
    slots.wait()
    let capacity = writer.tileSize * writer.tileSize
    let box = lock.withLock { free.popLast() } ?? SendableBuffer(.allocate(capacity: capacity))
    let count = values.count
    _ = UnsafeMutableBufferPointer(rebasing: box.buffer[0..<count]).initialize(from: values)
    group.enter()
    queue.async { [self] in
      defer {
        lock.withLock { free.append(box) }
        slots.signal()
        group.leave()
      }
      do {
        try writer.write(bi, bj, UnsafeBufferPointer(rebasing: box.buffer[0..<count]))
      } catch {
        lock.withLock { if failure == nil { failure = error } }
      }
    }
  }

  /// Waits for every queued write, then completes the store (the manifest).
  public func finish() throws -> GramTileStore {
    group.wait()
    if let failure = lock.withLock({ failure }) { throw failure }
    return try writer.finish()
  }
}

struct SendableBuffer: @unchecked Sendable {
  let buffer: UnsafeMutableBufferPointer<Double>
  init(_ b: UnsafeMutableBufferPointer<Double>) { buffer = b }
}
