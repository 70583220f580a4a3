#if canImport(Glibc)
  import Glibc
#endif

/// Transparent huge pages for large fresh buffers. A 128 MB matrix written for the first time
/// takes 32 768 page faults of 4 KB each (~50 ms of kernel time at N = 4000); asked for 2 MB
/// pages (`madvise(MADV_HUGEPAGE)`, honoured when the kernel's THP mode is `madvise` or
/// `always`) it takes 64. Only the 2 MB-aligned interior is advised; the kernel falls back to
/// small pages when it has no huge page free, so the advice never changes results.
public enum HugePages {
  /// Buffers below this size are left alone (the saving is in page faults, not worth a syscall).
  public static let threshold = 8 << 20

  public static func advise(_ buffer: UnsafeMutableRawBufferPointer) {
    #if os(Linux)
      guard buffer.count >= threshold, let base = buffer.baseAddress else { return }
      let huge = 2 << 20
      let start = (Int(bitPattern: base) + huge - 1) & ~(huge - 1)
      let end = (Int(bitPattern: base) + buffer.count) & ~(huge - 1)
      guard end > start, let p = UnsafeMutableRawPointer(bitPattern: start) else { return }
      _ = madvise(p, end - start, MADV_HUGEPAGE)
    #endif
  }
}
