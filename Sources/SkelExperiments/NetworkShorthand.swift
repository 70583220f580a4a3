import SkelDocument
import SkelKernels

/// The network of the shorthand options `activation`, `depth(s)`, `w_std`, `b_std`,
/// `w_std_out` (`../shared/directives.md`, "Networks"): L hidden layers
/// `[dense(w_std, b_std), ACTIVATION]` and a readout `dense(w_std_out, b_std)`, NT's 'ntk'
/// parameterization; `b_std = 0` is NT's `b_std=None` (no bias), whose kernels are the same.
public struct MLPShorthand: Sendable, Hashable {
  public var depth: Int
  public var activation: Activation
  public var wStd: Double
  public var bStd: Double?
  public var wStdOut: Double

  public init(depth: Int, activation: Activation, wStd: Double, bStd: Double?, wStdOut: Double) {
    self.depth = depth
    self.activation = activation
    self.wStd = wStd
    self.bStd = bStd == 0 ? nil : bStd
    self.wStdOut = wStdOut
  }

  /// The network, normalized (as the `network` option gives it).
  public var network: Network {
    NetworkOption.normalized(.mlp(depth: depth, activation: activation, wStd: wStd, bStd: bStd, wStdOut: wStdOut))
  }

  /// The shorthand a normalized network is, if it is one: the explicit spelling of an MLP
  /// computes as the shorthand does (the same values, the same series name).
  public init?(_ network: Network) {
    func hidden(_ layers: [Network]) -> (DenseLayer, Activation)? {
      guard layers.count == 2, case .dense(let d) = layers[0], case .activation(let a) = layers[1] else { return nil }
      return (d, a)
    }
    guard case .serial(let xs) = network, let last = xs.last, case .dense(let out) = last else { return nil }
    let found: (Int, DenseLayer, Activation)?
    if xs.count == 3, let (d, a) = hidden(Array(xs[0..<2])) {
      found = (1, d, a)
    } else if xs.count == 2, case .repeated(.serial(let body), let L) = xs[0], let (d, a) = hidden(body) {
      found = (L, d, a)
    } else {
      found = nil
    }
    guard let (L, d, a) = found, d.width == nil, out.width == nil, d.parameterization == .ntk, out.parameterization == .ntk,
      d.bStd == out.bStd
    else { return nil }
    self.init(depth: L, activation: a, wStd: d.wStd, bStd: d.bStd, wStdOut: out.wStd)
  }

  /// The same layers, whatever the depth.
  public func sameLayers(as other: MLPShorthand) -> Bool {
    activation == other.activation && wStd == other.wStd && bStd == other.bStd && wStdOut == other.wStdOut
  }

  /// `L=3`: the series name of a shorthand network.
  public var seriesName: String { "L=\(depth)" }
}

/// The checks of a kind that takes a `network` and its shorthand options.
public enum NetworkShorthandChecks {
  /// `network` together with a shorthand option is an error at the network's key, naming both.
  public static func conflicts(
    _ directive: Directive, shorthand: [String],
    writing network: String = "[repeat(L, [dense(w_std, b_std), ACTIVATION]), dense(w_std_out, b_std)]"
  ) -> [Diagnostic] {
    guard let net = directive.options.first(where: { $0.key == "network" }) else { return [] }
    let given = directive.options.filter { shorthand.contains($0.key) }.map(\.key)
    guard !given.isEmpty else { return [] }
    let names = given.map { "'\($0)'" }.joined(separator: ", ")
    return [
      Diagnostic(
        at: net.keyLocation, length: net.key.count,
        "option 'network' and the shorthand option\(given.count == 1 ? "" : "s") \(names) are both given; the shorthand options are a way to write the network \(network), so give one or the other"
      )
    ]
  }

  /// The shape problems of the `network` option on inputs of `shape` (each at its layer): the
  /// surface's walk over the value as written, then the engine's shape inference (NT's checks:
  /// Gaussian inputs to activations and fan-ins, …), its index path mapped back to the layer.
  public static func shapes(_ directive: Directive, input: InputShape, inputsAre: String) -> [Diagnostic] {
    guard let raw = directive.options.first(where: { $0.key == "network" }) else { return [] }
    let parser = NetworkParser(option: "network")
    let checker = NetworkShapeChecker(parser: parser)
    do {
      _ = try checker.shape(of: raw.value, input: NetworkShapeChecker.Shape(input, why: inputsAre))
      let network = try parser.network(raw.value)
      do {
        _ = try NetworkOption.broadcast(network, toSpatialAxes: input.spatial.count).outputShape(for: input)
        return []
      } catch {
        let node = NetworkParser.node(at: error.path, in: raw.value)
        return [Diagnostic(at: raw.location(of: node, path: directive.location.path), length: node.length, error.reason)]
      }
    } catch {
      return [
        Diagnostic(
          at: SourceLocation(path: directive.location.path, line: raw.line + error.lineOffset, column: error.column), length: error.length,
          error.message)
      ]
    }
  }
}
