import SkelDocument
import SkelKernels

/// The `activation(s)` option type: every activation the engine knows, by directive name.
public enum ActivationOption {
  public static let specs: [CallableSpec] = Activation.names.map {
    CallableSpec(name: $0.name, parameters: $0.parameters.map(\.0), defaults: $0.parameters.map(\.1))
  }

  public static let type = OptionType.callable(noun: "activation", specs)
  public static let listType = OptionType.list(type, minCount: 1)

  /// The activation a validated call names.
  public static func activation(_ call: (name: String, arguments: [String: Double])) -> Activation {
    guard let a = Activation(name: call.name, parameters: call.arguments) else {
      preconditionFailure("validated activation \(call.name)")
    }
    return a
  }

  /// A series name: the bare name with default parameters, `name(k=v, …)` otherwise.
  public static func seriesName(_ call: (name: String, arguments: [String: Double])) -> String {
    guard let spec = specs.first(where: { $0.name == call.name }) else { return call.name }
    let changed = zip(spec.parameters, spec.defaults).filter { call.arguments[$0.0] != $0.1 }
    if changed.isEmpty { return call.name }
    return call.name + "(" + changed.map { "\($0.0)=\(format(call.arguments[$0.0] ?? $0.1))" }.joined(separator: ", ") + ")"
  }

  static func format(_ x: Double) -> String { x == x.rounded() && abs(x) < 1e9 ? String(Int(x)) : String(x) }
}
