import CXXHash
import Foundation
import SkelData
import SkelExperiments

/// One file of a site as the build holds it until `SiteWriter` writes it.
///
/// - `bytes`: the file's bytes (a page, a JSON, an image).
/// - `npy`: a result's full array (`ResultArray`, a Gram matrix of N² numbers) written as a NumPy
///   `.npy` file — its header, then the values' own bytes — so the site holds the matrix the
///   result holds, not a copy of it (issue 19); the bytes are `NPY.write`'s.
/// - `kept`: the file the current site already holds at that relative path, unchanged since the
///   last build wrote it (`BuildManifest`: its identity and its `lstat` are the recorded ones), so
///   it is hard-linked into the new site (copied where a link fails), neither loaded nor written.
public enum SiteFile: Sendable, Equatable {
  case bytes([UInt8])
  case npy(ResultArray)
  case kept(String)

  /// The size in bytes, nil for a kept file (the old one's) or an array that does not fill its shape.
  var count: Int? {
    switch self {
    case .bytes(let b): return b.count
    case .npy(let a): return NPY.header(shape: a.shape, alignment: 64).map { $0.count + 8 * a.values.count }
    case .kept: return nil
    }
  }

  /// What the file's bytes are, as text: `xxh3-128:<hex>:<size>` of the bytes (an array's `.npy`
  /// bytes, header and values, hashed without being put together). A kept file has the identity
  /// it was recorded with, not this.
  var contentIdentity: String? {
    switch self {
    case .bytes(let b): return b.withUnsafeBytes { ContentDigest.identity([$0]) }
    case .npy(let a):
      guard a.values.count == ResultCache.numbers(a.shape), let header = NPY.header(shape: a.shape, alignment: 64) else { return nil }
      return header.withUnsafeBytes { h in a.values.withUnsafeBytes { v in ContentDigest.identity([h, v]) } }
    case .kept: return nil
    }
  }
}

/// XXH3-128 (xxHash, `CXXHash`) of byte buffers taken as one: the identity of a site file's bytes
/// in the build manifest. Not a defence against forgery (the site and the cache are the user's
/// own folders); a 128-bit hash makes an accidental match impossible in practice, at ≈ 10 GB/s.
enum ContentDigest {
  static func identity(_ parts: [UnsafeRawBufferPointer]) -> String {
    guard let state = XXH3_createState() else { return "" }
    defer { XXH3_freeState(state) }
    XXH3_128bits_reset(state)
    var size = 0
    for p in parts {
      if let base = p.baseAddress, p.count > 0 { XXH3_128bits_update(state, base, p.count) }
      size += p.count
    }
    let h = XXH3_128bits_digest(state)
    return "xxh3-128:" + ContentHash.hex64(h.high64) + ContentHash.hex64(h.low64) + ":\(size)"
  }
}
