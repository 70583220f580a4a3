import Foundation
import SkelDocument
import SkelKernels

/// The value of a `network` option: the network the author wrote, or `nil` when the option was
/// not given (a kind then builds its network from its shorthand options, `activation`,
/// `depth(s)`, `w_std`, `b_std`). Equal networks are equal values however they were written
/// (`relu` and `ab_relu(0, 1)`, `[dense]` and `dense`): the typed value is the normalized
/// network, so the cache key is the network's.
public struct NetworkValue: OptionConvertible {
  public var network: Network?

  public init(_ network: Network? = nil) { self.network = network.map(NetworkOption.normalized) }

  public init?(typed: TypedValue) {
    if case .list(let items) = typed, items.isEmpty {
      self.init()
      return
    }
    guard let n = NetworkOption.decode(typed) else { return nil }
    self.init(n)
  }
  public var typed: TypedValue { network.map(NetworkOption.encode) ?? .list([]) }
  public var spelling: String { network.map(NetworkOption.spelling) ?? "none" }
}

/// The `network` option type of `../shared/directives.md` ("Networks"): a list of layers (a list
/// is `serial`) with neural-tangents' stax names in snake case and its defaults. Every error
/// points at the offending layer or argument.
public enum NetworkOption {
  /// The largest `repeat(K, …)`.
  public static let maxRepeat = 10_000
  /// The most layers a network may have once its repeats are expanded (each is a step of every
  /// kernel computation; more would be a typo, not a network).
  public static let maxLayers = 100_000
  /// The largest `width` (finite realizations allocate width × width weights).
  public static let maxWidth = 1 << 16
  /// The largest window or stride of a convolution or a pool.
  public static let maxWindow = 1024
  /// The most spatial axes (`window=[3, 3]` is 2-D).
  public static let maxSpatialAxes = 2

  public static let type = OptionType.custom(
    CustomOptionType(name: "network", summary: "a network such as [dense(w_std=1.4), relu, dense]") { node, option in
      check(node, option: option)
    })

  /// Each layer's arguments in their positional order (`parallel` takes networks instead).
  public static let layers: [(name: String, arguments: [String])] = [
    ("dense", ["width", "w_std", "b_std", "parameterization"]),
    ("conv", ["width", "window", "stride", "padding", "w_std", "b_std", "parameterization"]),
    ("avg_pool", ["window", "stride", "padding"]),
    ("sum_pool", ["window", "stride", "padding"]),
    ("global_avg_pool", []), ("global_sum_pool", []), ("flatten", []), ("layer_norm", []),
    ("dropout", ["rate"]), ("identity", []),
    ("parallel", []), ("fan_in_sum", []), ("fan_in_concat", []),
    ("residual", ["body"]), ("repeat", ["count", "body"]),
  ]

  /// Every name a layer may have: the layers above and the activations.
  public static var layerNames: [String] { layers.map(\.name) + ActivationOption.specs.map(\.name) }

  /// The checked value: the normalized network as a typed value, or the first problem.
  public static func check(_ node: OptionNode, option: String) -> Result<TypedValue, OptionSyntaxError> {
    do {
      let network = normalized(try parse(node, option: option))
      let count = layerCount(network)
      guard count <= maxLayers else {
        return .failure(
          OptionSyntaxError(
            at: node,
            "option '\(option)' has \(count > maxLayers ? "more than \(maxLayers)" : "\(count)") layers once its repeats are expanded; at most \(maxLayers) are allowed"
          ))
      }
      return .success(encode(network))
    } catch {
      return .failure(error)
    }
  }

  /// The network a value writes (not normalized).
  public static func parse(_ node: OptionNode, option: String = "network") throws(OptionSyntaxError) -> Network {
    let parser = NetworkParser(option: option)
    return try parser.network(node)
  }

  // MARK: - Normal form, encoding, spelling

  /// One form per network: nested lists flattened into their list, a list of one layer is that
  /// layer, `repeat(1, X)` is X, and `b_std=0` of the 'ntk' parameterization is no bias (a
  /// bias of variance 0 is zero: the kernels and the finite networks are the same).
  public static func normalized(_ n: Network) -> Network {
    switch n {
    case .dense(var d):
      if d.parameterization == .ntk, d.bStd == 0 { d.bStd = nil }
      return .dense(d)
    case .conv(var c):
      if c.parameterization == .ntk, c.bStd == 0 { c.bStd = nil }
      return .conv(c)
    case .serial(let xs):
      let flat = xs.map(normalized).flatMap { x -> [Network] in
        if case .serial(let inner) = x { return inner }
        return [x]
      }
      return flat.count == 1 ? flat[0] : .serial(flat)
    case .parallel(let xs, let f): return .parallel(xs.map(normalized), fanIn: f)
    case .repeated(let x, let k): return k == 1 ? normalized(x) : .repeated(normalized(x), count: k)
    default: return n
    }
  }

  /// The typed value of a network: its `Codable` form as JSON with sorted keys, which is exact
  /// (doubles in their shortest round-tripping form) and one text per network.
  public static func encode(_ n: Network) -> TypedValue {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let json = (try? encoder.encode(n)).flatMap { String(data: $0, encoding: .utf8) } ?? ""
    return .record(name: "network", fields: ["json": .string(json)])
  }

  public static func decode(_ typed: TypedValue) -> Network? {
    guard case .record("network", let fields) = typed, case .string(let json)? = fields["json"] else { return nil }
    return try? JSONDecoder().decode(Network.self, from: Data(json.utf8))
  }

  /// The network as a report writes it, defaults left out; `parse` reads it back to the same
  /// normalized network.
  public static func spelling(_ n: Network) -> String {
    switch n {
    case .serial(let xs): return "[" + xs.map(inlineSpelling).joined(separator: ", ") + "]"
    case .dense(let d):
      return call("dense", width: d.width, [("w_std", d.wStd == 1 ? nil : fmt(d.wStd))], d.bStd, d.parameterization)
    case .activation(let a): return activationSpelling(a)
    case .conv(let c):
      let window = c.window == [3] ? nil : axes(c.window)
      let stride = c.strides.allSatisfy { $0 == 1 } ? nil : strideSpelling(c.strides)
      let args = [("window", window), ("stride", stride), ("padding", c.padding == .same ? nil : c.padding.rawValue)]
      return call("conv", width: c.width, args + [("w_std", c.wStd == 1 ? nil : fmt(c.wStd))], c.bStd, c.parameterization)
    case .pool(let p):
      let stride = p.strides == p.window ? nil : strideSpelling(p.strides)
      let args = [("window", axes(p.window)), ("stride", stride), ("padding", p.padding == .valid ? nil : p.padding.rawValue)]
      return call(p.mode == .average ? "avg_pool" : "sum_pool", width: nil, args, nil, .ntk)
    case .globalPool(let m): return m == .average ? "global_avg_pool" : "global_sum_pool"
    case .flatten: return "flatten"
    case .layerNorm: return "layer_norm"
    case .dropout(let rate): return "dropout(rate=\(fmt(rate)))"
    case .identity: return "identity"
    case .parallel(let xs, let f):
      if f == .sum, xs.count == 2, xs[1] == .identity { return "residual(\(spelling(xs[0])))" }
      return "[" + inlineSpelling(n) + "]"
    case .repeated(let x, let k): return "repeat(\(k), \(spelling(x)))"
    }
  }

  /// A layer as an item of a list: a parallel is two items, `parallel(…)` and its fan-in.
  static func inlineSpelling(_ n: Network) -> String {
    guard case .parallel(let xs, let f) = n, !(f == .sum && xs.count == 2 && xs[1] == .identity) else { return spelling(n) }
    return "parallel(" + xs.map(spelling).joined(separator: ", ") + "), fan_in_" + f.rawValue
  }

  static func call(
    _ name: String, width: Int?, _ args: [(String, String?)], _ bStd: Double?, _ p: ParameterizationName
  ) -> String {
    var parts = width.map { ["width=\($0)"] } ?? []
    parts += args.compactMap { a in a.1.map { "\(a.0)=\($0)" } }
    if let bStd { parts.append("b_std=\(fmt(bStd))") }
    if p == .standard { parts.append("parameterization=standard") }
    return parts.isEmpty ? name : name + "(" + parts.joined(separator: ", ") + ")"
  }

  /// Equal strides as one number (it stands for every axis of the window).
  static func strideSpelling(_ xs: [Int]) -> String { Set(xs).count == 1 ? String(xs[0]) : axes(xs) }

  static func axes(_ xs: [Int]) -> String { xs.count == 1 ? String(xs[0]) : "[" + xs.map(String.init).joined(separator: ", ") + "]" }
  static func fmt(_ x: Double) -> String { x.description.hasSuffix(".0") ? String(x.description.dropLast(2)) : x.description }

  /// An activation as `ActivationOption` reads it back (its description, but `exp` takes one
  /// parameter `a`).
  static func activationSpelling(_ a: Activation) -> String {
    if case .exp(_, let b) = a { return "exp(\(fmt(b)))" }
    return a.description
  }

  /// The network on inputs with `axes` spatial axes: a window or stride written as one number
  /// (`conv(window=3)`, stored as one entry) stands for every axis, as the contract's "1-D or
  /// 2-D by the input's shape" says. The spatial rank stays until a flatten or a global pool,
  /// after which no window may follow, so one rank serves the whole network.
  public static func broadcast(_ n: Network, toSpatialAxes axes: Int) -> Network {
    guard axes > 1 else { return n }
    func spread(_ xs: [Int]) -> [Int] { xs.count == 1 ? Array(repeating: xs[0], count: axes) : xs }
    switch n {
    case .conv(var c):
      (c.window, c.strides) = (spread(c.window), spread(c.strides))
      return .conv(c)
    case .pool(var p):
      (p.window, p.strides) = (spread(p.window), spread(p.strides))
      return .pool(p)
    case .serial(let xs): return .serial(xs.map { broadcast($0, toSpatialAxes: axes) })
    case .parallel(let xs, let f): return .parallel(xs.map { broadcast($0, toSpatialAxes: axes) }, fanIn: f)
    case .repeated(let x, let k): return .repeated(broadcast(x, toSpatialAxes: axes), count: k)
    default: return n
    }
  }

  /// The activations of a network (cost estimates ask whether they all have closed forms).
  public static func activations(_ n: Network) -> [Activation] {
    switch n {
    case .activation(let a): return [a]
    case .serial(let xs), .parallel(let xs, _): return xs.flatMap(activations)
    case .repeated(let x, _): return activations(x)
    default: return []
    }
  }

  /// Layers once repeats are expanded (a parallel counts its fan-out and fan-in as one), capped
  /// just above `maxLayers` so that no product overflows.
  public static func layerCount(_ n: Network) -> Int {
    let cap = maxLayers + 1
    switch n {
    case .serial(let xs): return min(cap, xs.reduce(0) { min(cap, $0 + layerCount($1)) })
    case .parallel(let xs, _): return min(cap, xs.reduce(1) { min(cap, $0 + layerCount($1)) })
    case .repeated(let x, let k):
      let (p, overflow) = layerCount(x).multipliedReportingOverflow(by: k)
      return overflow ? cap : min(cap, p)
    default: return 1
    }
  }
}
