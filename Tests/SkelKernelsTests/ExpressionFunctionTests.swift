import Foundation
import Testing

@testable import SkelKernels

/// Calls are resolved when parsing (issue 17): an unknown name or a wrong number of arguments is
/// an error at the call, and every known function evaluates with its derivative.
@Suite struct ExpressionFunctionTests {
  @Test func argumentCountsAreCheckedAtTheCall() {
    #expect(throws: ExpressionError(offset: 0, message: "max takes 2 arguments, got 1")) { try ActivationExpression("max(x)") }
    #expect(throws: ExpressionError(offset: 2, message: "tanh takes 1 argument, got 2")) { try ActivationExpression("x*tanh(x, 1)") }
    #expect(throws: ExpressionError(offset: 0, message: "min takes 2 arguments, got 3")) { try ActivationExpression("min(x, 1, 2)") }
  }

  @Test func everyFunctionEvaluates() throws {
    for name in ActivationExpression.knownFunctions {
      let pair = ActivationExpression.PairFunction(rawValue: name) != nil
      let e = try ActivationExpression(pair ? "\(name)(x, 0.25)" : "\(name)(x)")
      #expect(e.value(0.5).isFinite && e.derivative(0.5).isFinite, "\(name)")
    }
    let m = try ActivationExpression("max(x, 0.25) + min(x, 0.25)")
    #expect(m.value(0.5) == 0.75 && m.derivative(0.5) == 1)
    let t = try ActivationExpression("tanh(x)")
    #expect(abs(t.derivative(0.5) - (1 - tanh(0.5) * tanh(0.5))) < 1e-15)
  }
}
