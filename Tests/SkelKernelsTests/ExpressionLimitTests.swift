import Foundation
import Testing

@testable import SkelKernels

/// Activation expressions are parsed and evaluated by recursion over their tree: deep or long
/// ones are errors at an offset, never a stack overflow (issue 15 D). Run on a 512 KiB stack.
@Suite struct ExpressionLimitTests {
  func parse(_ s: String) -> Result<Double, ExpressionError> {
    final class Box: @unchecked Sendable {
      var r: Result<Double, ExpressionError>?
      init() {}
    }
    let box = Box(), done = DispatchSemaphore(value: 0)
    let t = Thread {
      box.r = Result { () throws(ExpressionError) in try ActivationExpression(s).value(0.5) }
      done.signal()
    }
    t.stackSize = 512 * 1024
    t.start()
    done.wait()
    return box.r!
  }

  func error(_ s: String) -> ExpressionError? {
    if case .failure(let e) = parse(s) { return e }
    return nil
  }

  @Test func nestedParenthesesAndCalls() {
    let e = error(String(repeating: "(", count: 100_000 / 10) + "x" + String(repeating: ")", count: 10_000))
    #expect(e?.message == "the expression is nested more than 64 levels deep")
    #expect(e?.offset == 64)  // the 65th parenthesis
    let t = error(String(repeating: "tanh(", count: 5000) + "x" + String(repeating: ")", count: 5000))
    #expect(t?.message == "the expression is nested more than 64 levels deep")
    #expect(t?.offset == 5 * 64)  // the 65th call
    #expect(error(String(repeating: "-", count: 3000) + "x")?.message == "the expression is nested more than 64 levels deep")
    #expect(error("x" + String(repeating: "^x", count: 3000))?.message == "the expression is nested more than 64 levels deep")
  }

  @Test func longSums() {
    // 200 000 terms: refused by length before parsing; 10 000 by the node count; 300 by height.
    #expect(
      error(Array(repeating: "x", count: 200_000).joined(separator: "+"))?.message.hasPrefix("the expression is 399999 characters long")
        == true)
    #expect(
      error(Array(repeating: "x", count: 10_000).joined(separator: "+"))?.message == "the expression has more than 2000 terms and operators"
    )
    #expect(
      error(Array(repeating: "x", count: 300).joined(separator: "+"))?.message.hasPrefix("the expression is 300 operations deep") == true)
  }

  @Test func limitsLeaveRealExpressionsAlone() throws {
    // 200 terms evaluate to 200 · x; nesting 60 deep of tanh is tanh iterated 60 times.
    #expect(try parse(Array(repeating: "x", count: 200).joined(separator: "+")).get() == 100)
    var v = 0.5
    for _ in 0..<60 { v = tanh(v) }
    let deep = try parse(String(repeating: "tanh(", count: 60) + "x" + String(repeating: ")", count: 60)).get()
    #expect(abs(deep - v) < 1e-15)
  }
}
