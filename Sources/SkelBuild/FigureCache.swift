import Foundation
import SkelPlot

/// Rendered figure images by key (`figures/<key>.<format>`): each file is one entry, a header
/// line (format version, key, image format, engine, length and SHA-256 of the image) and the
/// image bytes (`CacheEntryFile`). A read verifies the header against the key and format asked
/// for and the hash against the bytes; a damaged entry is a warning and the image is drawn
/// again and the entry overwritten. A bare image (what earlier versions wrote) is a plain miss.
struct FigureCache {
  let directory: URL?

  static let format = "skelreport-figure/2"

  func url(_ key: String, _ format: ImageFormat) -> URL? { directory?.appendingPathComponent(key + "." + format.rawValue) }

  /// The verified image bytes, or nil (a miss); a damaged entry also calls `warn`.
  func load(_ key: String, format: ImageFormat, warn: (CacheWarning) -> Void) -> [UInt8]? {
    guard let url = url(key, format) else { return nil }
    switch CacheEntryFile.read(url, format: Self.format, key: key, kind: format.rawValue, isOlderFormat: { Self.isBareImage($0, format) }) {
    case .payload(let bytes): return Array(bytes)
    case .miss: return nil
    case .damaged(let reason):
      warn(CacheEntryFile.warning(url, reason, "redrawn and rewritten"))
      return nil
    }
  }

  func store(_ bytes: [UInt8], key: String, format: ImageFormat) {
    guard let url = url(key, format) else { return }
    CacheEntryFile.write(CacheEntryFile.encode(format: Self.format, key: key, kind: format.rawValue, payload: Data(bytes)), to: url)
  }

  /// Many entries at once (`AtomicFile.writeAll`: one wait for the disk, not one per image).
  func storeAll(_ images: [(bytes: [UInt8], key: String, format: ImageFormat)]) {
    AtomicFile.writeAll(
      images.compactMap { i in
        url(i.key, i.format).map {
          AtomicFile.Item(
            data: CacheEntryFile.encode(format: Self.format, key: i.key, kind: i.format.rawValue, payload: Data(i.bytes)), url: $0)
        }
      })
  }

  /// The headerless image files of format 1 start with their format's signature.
  static func isBareImage(_ data: Data, _ format: ImageFormat) -> Bool {
    let head = Array(data.prefix(8))
    switch format {
    case .png: return head == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    case .pdf: return head.starts(with: Array("%PDF-".utf8))
    case .svg: return head.starts(with: Array("<?xml".utf8)) || head.starts(with: Array("<svg".utf8))
    }
  }
}
