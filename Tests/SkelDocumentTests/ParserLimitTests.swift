import Foundation
import SkelDocument
import Testing

/// Inputs that used to trap or overflow the stack (issue 15 D): each is now an error at its
/// position. The deep cases run on a thread with a 1 MiB stack (an eighth of the main thread's,
/// where the build parses), so a limit that only held thanks to the 8 MiB main stack fails here.
@Suite struct ParserLimitTests {
  /// Runs `body` on a thread with a small stack and returns its result.
  func onSmallStack<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T {
    let box = SmallStackBox<T>(), done = DispatchSemaphore(value: 0)
    let thread = Thread {
      box.value = body()
      done.signal()
    }
    thread.stackSize = 1024 * 1024
    thread.start()
    done.wait()
    return box.value!
  }

  func firstError(_ options: String) -> String {
    let text = report(options)
    return onSmallStack { diagnose(text).first ?? "no error" }
  }

  @Test func powerSpanBelowTheSmallestDouble() {
    // `Int(log2(0))` trapped; 2^-1074 is subnormal, 2^2000 infinite.
    #expect(
      firstError(":rho: [2^-2000 .. 2^-1]").hasPrefix(
        "reports/a.md:8:7: error: malformed grid '[2^-2000 .. 2^-1]' for option 'rho': [2^a .. 2^b] needs exponents from -1022 to 1023"))
    #expect(firstError(":depth: 3\n:rho: [2^-1 .. 2^2000]").hasPrefix("reports/a.md:9:7: error: malformed grid '[2^-1 .. 2^2000]'"))
  }

  @Test func deeplyNestedListsAndCalls() {
    let n = 20_000
    let lists = firstError(":rho: " + String(repeating: "[", count: n) + "0" + String(repeating: "]", count: n))
    // The 65th '[' is at column 7 + 64.
    #expect(lists.hasPrefix("reports/a.md:8:71: error: option value nested more than 64 levels deep"), "\(lists.prefix(200))")
    let calls = firstError(":activations: [" + String(repeating: "tanh(", count: n) + "x" + String(repeating: ")", count: n) + "]")
    #expect(calls.hasPrefix("reports/a.md:8:"), "\(calls.prefix(200))")
    #expect(calls.contains("nested more than 64 levels deep"))
    // 64 levels are still accepted as syntax (the type check then speaks).
    let ok = firstError(":rho: " + String(repeating: "[", count: 63) + "0" + String(repeating: "]", count: 63))
    #expect(!ok.contains("nested"))
  }

  @Test func deeplyParenthesizedNumberIsNotANumber() {
    let n = 50_000
    let e = firstError(":depth: " + String(repeating: "(", count: n) + "3" + String(repeating: ")", count: n))
    #expect(e.hasPrefix("reports/a.md:8:9: error: option 'depth'"), "\(e.prefix(200))")
    // Shallow parentheses are arithmetic as before.
    #expect(firstError(":depth: ((((3))))") == "no error" || !firstError(":depth: ((((3))))").contains("depth"))
  }

  @Test func longValuesAndListsAreBounded() {
    let items = Array(repeating: "0.5", count: 10_001).joined(separator: ", ")
    let e = firstError(":rho: [\(items)]")
    #expect(e.hasPrefix("reports/a.md:8:7: error: list has more than 10000 items"), "\(e.prefix(200))")
    let long = firstError(":rho: [" + String(repeating: "0", count: 250_000) + "]")
    #expect(
      long.hasPrefix("reports/a.md:8:6: error: option value is 250003 characters long; at most 200000 are allowed"), "\(long.prefix(200))")
  }

  @Test func deepYAMLInFrontMatter() {
    let n = 100_000
    let text = "---\ntitle: " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "\n---\n\nProse.\n"
    let out = onSmallStack { diagnose(text) }
    #expect(out.first?.hasPrefix("reports/a.md:2:") == true, "\(out.first?.prefix(200) ?? "none")")
  }
}

final class SmallStackBox<T>: @unchecked Sendable {
  var value: T?
  init() {}
}
