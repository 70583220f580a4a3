import SkelDocument
import SkelKernels

/// Reads a `network` option value (a parsed `OptionNode` tree) into a `Network`, with every
/// problem at the layer or argument that causes it. Recursion follows the value's nesting,
/// which the option parser bounds (`OptionLimits.maxNesting`).
struct NetworkParser {
  let option: String

  /// A network: a list of layers (serial) or one layer.
  func network(_ node: OptionNode) throws(OptionSyntaxError) -> Network {
    guard case .list(let items) = node.value else { return try sequence([node], whole: node) }
    guard !items.isEmpty else { throw OptionSyntaxError(at: node, "a network needs at least one layer, as in [dense, relu, dense]") }
    return try sequence(items, whole: node)
  }

  /// Layers in series; `parallel(…)` takes the next item, its fan-in.
  func sequence(_ items: [OptionNode], whole: OptionNode) throws(OptionSyntaxError) -> Network {
    var out: [Network] = []
    var k = 0
    while k < items.count {
      let item = items[k]
      if Self.name(item) == "parallel" {
        let branches = try parallelBranches(item)
        guard k + 1 < items.count, let fan = try fanIn(items[k + 1]) else {
          throw OptionSyntaxError(
            at: item,
            "'parallel(…)' must be followed by fan_in_sum or fan_in_concat (the next layer in the list), which joins its branches")
        }
        out.append(.parallel(branches, fanIn: fan))
        k += 2
        continue
      }
      if let f = try fanIn(item) {
        throw OptionSyntaxError(at: item, "'fan_in_\(f.rawValue)' joins the branches of a parallel(…) right before it, but there is none")
      }
      out.append(try layer(item))
      k += 1
    }
    return out.count == 1 ? out[0] : .serial(out)
  }

  static func name(_ node: OptionNode) -> String? {
    switch node.value {
    case .string(let s): return s
    case .call(let n, _): return n
    default: return nil
    }
  }

  /// The fan-in a node names, or `nil` when it names none.
  func fanIn(_ node: OptionNode) throws(OptionSyntaxError) -> NetworkFanIn? {
    guard let name = Self.name(node), name == "fan_in_sum" || name == "fan_in_concat" else { return nil }
    _ = try arguments(node, of: name)
    return name == "fan_in_sum" ? .sum : .concat
  }

  func parallelBranches(_ node: OptionNode) throws(OptionSyntaxError) -> [Network] {
    guard case .call(_, let args) = node.value, args.count >= 2 else {
      throw OptionSyntaxError(at: node, "parallel(…) takes two or more networks, as in parallel([dense, relu], dense), fan_in_sum")
    }
    var branches: [Network] = []
    for arg in args {
      if arg.name != nil { throw OptionSyntaxError(at: arg.nameNode, "parallel(…) takes networks, not named arguments") }
      branches.append(try network(arg.value))
    }
    return branches
  }

  /// One layer (a nested list is a network in series).
  func layer(_ node: OptionNode) throws(OptionSyntaxError) -> Network {
    if case .list = node.value { return try network(node) }
    guard let name = Self.name(node) else {
      throw OptionSyntaxError(
        at: node, "expected a layer (a name such as relu or a call such as dense(w_std=1.4)) in option '\(option)', got '\(node.text)'")
    }
    if NetworkOption.layers.contains(where: { $0.name == name }) { return try namedLayer(name, node) }
    if ActivationOption.specs.contains(where: { $0.name == name }) { return .activation(try activation(node)) }
    throw OptionSyntaxError(
      at: node, "unknown layer '\(name)' in option '\(option)'\(Suggestion.didYouMean(name, among: NetworkOption.layerNames))")
  }

  func namedLayer(_ name: String, _ node: OptionNode) throws(OptionSyntaxError) -> Network {
    let a = try arguments(node, of: name)
    switch name {
    case "dense":
      return .dense(
        DenseLayer(
          width: try a["width"].map { n throws(OptionSyntaxError) in try width(n, name) },
          wStd: try a["w_std"].map { n throws(OptionSyntaxError) in try std(n, "w_std", name) } ?? 1,
          bStd: try a["b_std"].map { n throws(OptionSyntaxError) in try std(n, "b_std", name) },
          parameterization: try a["parameterization"].map { n throws(OptionSyntaxError) in try choice(n, "parameterization", name) } ?? .ntk
        ))
    case "conv": return .conv(try conv(a))
    case "avg_pool", "sum_pool": return .pool(try pool(name, node, a))
    case "global_avg_pool": return .globalPool(.average)
    case "global_sum_pool": return .globalPool(.sum)
    case "flatten": return .flatten
    case "layer_norm": return .layerNorm
    case "identity": return .identity
    case "dropout":
      guard let rate = a["rate"] else {
        throw OptionSyntaxError(at: node, "dropout needs its rate (the keep probability), as in dropout(0.9)")
      }
      return .dropout(rate: try number(rate, "rate", name, above: 0, through: 1))
    case "residual":
      guard let body = a["body"] else {
        throw OptionSyntaxError(at: node, "residual(…) takes the network of its branch, as in residual([dense, relu])")
      }
      return .residual(try network(body))
    default:  // repeat
      guard let count = a["count"], let body = a["body"] else {
        throw OptionSyntaxError(at: node, "repeat(…) takes a count and a network, as in repeat(3, [dense, relu])")
      }
      return .repeated(try network(body), count: try integer(count, "count", name, 1, NetworkOption.maxRepeat))
    }
  }

  func conv(_ a: [String: OptionNode]) throws(OptionSyntaxError) -> ConvLayer {
    let (window, stride) = try windowAndStride(a, "conv", defaultWindow: [3])
    return ConvLayer(
      width: try a["width"].map { n throws(OptionSyntaxError) in try width(n, "conv") }, window: window,
      strides: stride ?? window.map { _ in 1 },
      padding: try a["padding"].map { n throws(OptionSyntaxError) in try choice(n, "padding", "conv") } ?? .same,
      wStd: try a["w_std"].map { n throws(OptionSyntaxError) in try std(n, "w_std", "conv") } ?? 1,
      bStd: try a["b_std"].map { n throws(OptionSyntaxError) in try std(n, "b_std", "conv") },
      parameterization: try a["parameterization"].map { n throws(OptionSyntaxError) in try choice(n, "parameterization", "conv") } ?? .ntk)
  }

  func pool(_ name: String, _ node: OptionNode, _ a: [String: OptionNode]) throws(OptionSyntaxError) -> PoolLayer {
    guard a["window"] != nil else { throw OptionSyntaxError(at: node, "\(name) needs its window, as in \(name)(window=2)") }
    let (window, stride) = try windowAndStride(a, name, defaultWindow: [])
    return PoolLayer(
      mode: name == "avg_pool" ? .average : .sum, window: window, strides: stride,
      padding: try a["padding"].map { n throws(OptionSyntaxError) in try choice(n, "padding", name) } ?? .valid)
  }

  /// The window and the strides, one entry per spatial axis: a single number stands for every
  /// axis of the other (`window=[3, 3], stride=2` is stride [2, 2]).
  func windowAndStride(_ a: [String: OptionNode], _ layer: String, defaultWindow: [Int]) throws(OptionSyntaxError) -> ([Int], [Int]?) {
    var window = try a["window"].map { n throws(OptionSyntaxError) in try axes(n, "window", layer) } ?? defaultWindow
    guard var stride = try a["stride"].map({ n throws(OptionSyntaxError) in try axes(n, "stride", layer) }) else { return (window, nil) }
    if window.count == 1, stride.count > 1 { window = stride.map { _ in window[0] } }
    if stride.count == 1, window.count > 1 { stride = window.map { _ in stride[0] } }
    if let node = a["stride"], stride.count != window.count {
      throw OptionSyntaxError(at: node, "argument 'stride' of \(layer) has \(stride.count) entries but its window has \(window.count)")
    }
    return (window, stride)
  }

  // MARK: - Arguments

  /// A layer's arguments by name (positional ones take the names in order), each checked to
  /// be one of the layer's, and given once.
  func arguments(_ node: OptionNode, of layer: String) throws(OptionSyntaxError) -> [String: OptionNode] {
    guard case .call(_, let args) = node.value else { return [:] }
    let names = NetworkOption.layers.first { $0.name == layer }?.arguments ?? []
    if names.isEmpty, !args.isEmpty { throw OptionSyntaxError(at: node, "layer '\(layer)' takes no arguments") }
    var out: [String: OptionNode] = [:]
    for (k, arg) in args.enumerated() {
      let key: String
      if let n = arg.name {
        guard names.contains(n) else {
          throw OptionSyntaxError(
            at: arg.nameNode,
            "layer '\(layer)' has no argument '\(n)'\(Self.suggestion(n, among: names)) it takes \(names.joined(separator: ", "))")
        }
        key = n
      } else {
        guard k < names.count else {
          throw OptionSyntaxError(
            at: arg.value,
            "layer '\(layer)' takes at most \(names.count) argument\(names.count == 1 ? "" : "s"): \(layer)(\(names.joined(separator: ", ")))"
          )
        }
        key = names[k]
      }
      if out[key] != nil { throw OptionSyntaxError(at: arg.nameNode, "argument '\(key)' of \(layer) is given twice") }
      out[key] = arg.value
    }
    return out
  }

  /// `; did you mean 'x'?` or `;` (the list of names follows).
  static func suggestion(_ word: String, among names: [String]) -> String {
    let d = Suggestion.didYouMean(word, among: names)
    return d.isEmpty ? ";" : d
  }

  func width(_ n: OptionNode, _ layer: String) throws(OptionSyntaxError) -> Int {
    try integer(n, "width", layer, 1, NetworkOption.maxWidth)
  }

  func std(_ n: OptionNode, _ arg: String, _ layer: String) throws(OptionSyntaxError) -> Double {
    try number(n, arg, layer, from: 0, through: 100)
  }

  func integer(_ n: OptionNode, _ arg: String, _ layer: String, _ lo: Int, _ hi: Int) throws(OptionSyntaxError) -> Int {
    guard case .number(let x) = n.value, x == x.rounded(), x >= Double(lo), x <= Double(hi) else {
      throw OptionSyntaxError(at: n, "argument '\(arg)' of \(layer) must be an integer in [\(lo), \(hi)], got '\(n.text)'")
    }
    return Int(x)
  }

  /// A number in [lo, hi], or in (lo, hi] when `above` is given.
  func number(_ n: OptionNode, _ arg: String, _ layer: String, from lo: Double? = nil, above: Double? = nil, through hi: Double)
    throws(OptionSyntaxError) -> Double
  {
    let range =
      above.map { "in (\(OptionType.fmt($0)), \(OptionType.fmt(hi))]" } ?? "in [\(OptionType.fmt(lo ?? 0)), \(OptionType.fmt(hi))]"
    guard case .number(let x) = n.value, x.isFinite, x <= hi, lo.map({ x >= $0 }) ?? true, above.map({ x > $0 }) ?? true else {
      throw OptionSyntaxError(at: n, "argument '\(arg)' of \(layer) must be a number \(range), got '\(n.text)'")
    }
    return x
  }

  /// Sizes along the spatial axes: one integer, or a list of one or two, each in [1, maxWindow].
  func axes(_ n: OptionNode, _ arg: String, _ layer: String) throws(OptionSyntaxError) -> [Int] {
    let items: [OptionNode]
    if case .list(let xs) = n.value { items = xs } else { items = [n] }
    guard (1...NetworkOption.maxSpatialAxes).contains(items.count) else {
      throw OptionSyntaxError(at: n, "argument '\(arg)' of \(layer) is one integer or a list of one or two (1-D or 2-D), got '\(n.text)'")
    }
    var out: [Int] = []
    for item in items { out.append(try integer(item, arg, layer, 1, NetworkOption.maxWindow)) }
    return out
  }

  func choice<C: OptionChoice>(_ n: OptionNode, _ arg: String, _ layer: String) throws(OptionSyntaxError) -> C {
    let names = C.allCases.map(\.rawValue)
    guard case .string(let s) = n.value, let c = C(rawValue: s) else {
      let word = Self.name(n) ?? n.text
      throw OptionSyntaxError(
        at: n,
        "argument '\(arg)' of \(layer) must be one of \(names.map { "'\($0)'" }.joined(separator: ", ")), got '\(n.text)'\(Suggestion.didYouMean(word, among: names))"
      )
    }
    return c
  }

  /// An activation layer, checked as the `activation` option checks it.
  func activation(_ node: OptionNode) throws(OptionSyntaxError) -> Activation {
    let typed: TypedValue
    switch OptionTypeChecker.check(node, as: ActivationOption.type, option: option) {
    case .success(let v): typed = v
    case .failure(let e): throw e
    }
    if let problem = ActivationChecks.problem(in: node) { throw problem }
    guard let call = CallValue(typed: typed), let a = try? ActivationOption.activation(call) else {
      throw OptionSyntaxError(at: node, "activation '\(node.text)' cannot be computed")
    }
    return a
  }
}

extension ParameterizationName: OptionChoice {}
extension PaddingMode: OptionChoice {}

// MARK: - Positions of layers

extension NetworkParser {
  /// The node of the layer at an index path of the parsed (not normalized) network, as the
  /// engine's `NetworkShapeError.path` names it: a serial item, a parallel branch (for
  /// `residual`, 0 its body and 1 the identity), 0 for the body of a repeat.
  static func node(at path: [Int], in node: OptionNode) -> OptionNode { locate(path[...], node) }

  static func locate(_ path: ArraySlice<Int>, _ node: OptionNode) -> OptionNode {
    guard case .list(let items) = node.value else { return locateLayer(path, node) }
    // the layers of the list: `parallel(…)` and its fan-in are one
    var layers: [OptionNode] = []
    var skip = false
    for item in items {
      if skip {
        skip = false
        continue
      }
      layers.append(item)
      skip = name(item) == "parallel"
    }
    guard layers.count > 1 else { return layers.first.map { locateLayer(path, $0) } ?? node }
    guard let first = path.first, first < layers.count else { return node }
    return locateLayer(path.dropFirst(), layers[first])
  }

  static func locateLayer(_ path: ArraySlice<Int>, _ layer: OptionNode) -> OptionNode {
    guard let first = path.first else { return layer }
    if case .list = layer.value { return locate(path, layer) }
    guard case .call(let name, let args) = layer.value else { return layer }
    switch name {
    case "parallel" where first < args.count: return locate(path.dropFirst(), args[first].value)
    case "residual" where first == 0 && !args.isEmpty: return locate(path.dropFirst(), args[0].value)
    case "repeat" where first == 0 && args.count == 2: return locate(path.dropFirst(), args[1].value)
    default: return layer
    }
  }
}
