import SkelExperiments
import SkelMath

/// The resource budget of one directive (README "Resource budget"): every kind estimates its
/// memory and work from its resolved options (`ExperimentKind.cost`) before anything runs, and a
/// directive above either limit is an error at its kind that states the estimate and the option
/// that drives it.
public struct ResourceBudget: Sendable {
  public var memory: Double
  public var seconds: Double

  public init(memory: Double = Cost.defaultMemory, seconds: Double = Cost.defaultSeconds) {
    self.memory = memory
    self.seconds = seconds
  }

  /// The refusal message, or `nil` when the cost fits. Memory is checked first (an allocation
  /// above it could abort the process; a long run only wastes time).
  public func check(_ cost: Cost, label: String, kind: String) -> String? {
    let head = "directive '\(label)' (\(kind)) would need about"
    if !(cost.bytes <= memory) {
      return "\(head) \(Cost.format(bytes: cost.bytes)) of memory (\(cost.memoryDrivers)); the budget is \(Cost.format(bytes: memory)) (--max-memory)"
    }
    // a raised budget still stops at the machine: above its memory the allocator would abort
    let machine = AllocationGuard.physicalMemory
    if !(cost.bytes <= machine) {
      return "\(head) \(Cost.format(bytes: cost.bytes)) of memory (\(cost.memoryDrivers)); this machine has \(Cost.format(bytes: machine)) (--max-memory cannot go beyond it)"
    }
    if !(cost.seconds <= seconds) {
      return "\(head) \(Cost.format(seconds: cost.seconds)) of work (\(cost.workDrivers)); the budget is \(Cost.format(seconds: seconds)) (--max-minutes)"
    }
    return nil
  }

  /// A memory size as given to `--max-memory`: a positive number with an optional binary unit,
  /// `B`, `K`/`KiB`/`KB`, `M`/`MiB`/`MB`, `G`/`GiB`/`GB`, `T`/`TiB`/`TB` (all powers of 1024;
  /// no unit: bytes). `nil` for anything else.
  public static func parseBytes(_ text: String) -> Double? {
    let t = text.trimmingCharacters(in: .whitespaces)
    let digits = t.prefix { $0.isNumber || $0 == "." }
    guard !digits.isEmpty, let value = Double(digits), value.isFinite, value > 0 else { return nil }
    let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
    let powers: [String: Double] = ["": 0, "b": 0, "k": 1, "kb": 1, "kib": 1, "m": 2, "mb": 2, "mib": 2, "g": 3, "gb": 3, "gib": 3, "t": 4, "tb": 4, "tib": 4]
    guard let p = powers[unit] else { return nil }
    let bytes = value * pow(1024, p)
    return bytes.isFinite && bytes >= 1 ? bytes : nil
  }

  /// A positive number of minutes as given to `--max-minutes`, in seconds.
  public static func parseMinutes(_ text: String) -> Double? {
    guard let m = Double(text.trimmingCharacters(in: .whitespaces)), m.isFinite, m > 0, m <= 1e9 else { return nil }
    return m * 60
  }
}

#if canImport(Glibc)
  import Glibc
#endif
import Foundation
