#if canImport(Glibc)
  import Glibc
#endif

/// Allocations whose size comes from the input: checked against the machine's memory before they
/// are made, so that a size the budget let through (a raised `--max-memory`, or an estimate that
/// was wrong) is an error instead of an abort in the allocator or a kill by the kernel's OOM
/// killer. With the default budget (4 GiB per directive) the check cannot fail on this machine.
public enum AllocationGuard {
  /// Physical memory in bytes (sysconf), or +inf when it cannot be read.
  public static var physicalMemory: Double {
    let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
    return pages > 0 && size > 0 ? Double(pages) * Double(size) : .infinity
  }

  public struct Refusal: Error, Sendable, CustomStringConvertible {
    public var bytes: Double
    public var what: String
    public var description: String {
      "\(what) would need \(Int64(clamping: Int64(min(bytes, 9e18))) / (1 << 20)) MiB, more than this machine's \(Int64(AllocationGuard.physicalMemory.isFinite ? AllocationGuard.physicalMemory : 0) / (1 << 20)) MiB of memory"
    }
  }

  /// Throws when `count` Doubles (computed in Double, so that products never overflow) would not
  /// fit in physical memory.
  public static func check(doubles count: Double, _ what: @autoclosure () -> String) throws(Refusal) {
    let bytes = 8 * count
    guard bytes.isFinite, bytes < physicalMemory else { throw Refusal(bytes: bytes, what: what()) }
  }
}
