import SkelDocument
import SkelKernels

/// The shapes of a `network` option's layers on inputs of a given shape, walked over the value
/// as written so that a shape error (a `conv` after `flatten`, a global pool on vectors, a window
/// larger than its input) is reported at its layer, before anything runs.
///
/// FOR THE LEAD: this is the surface's own shape inference, written before net-engine published
/// one; when the engine has a shape inference over `Network`, check that the two agree (or call
/// the engine's here per layer). Channels are not tracked (widths are optional), spatial sizes are.
struct NetworkShapeChecker {
  let parser: NetworkParser

  /// A shape and, for a vector, why it is one (for messages).
  struct Shape: Equatable {
    var spatial: [Int]
    var why: String
    init(_ s: InputShape, why: String) {
      spatial = s.spatial
      self.why = why
    }
    init(spatial: [Int], why: String) {
      self.spatial = spatial
      self.why = why
    }
    var text: String { spatial.isEmpty ? "a vector" : spatial.map(String.init).joined(separator: "×") }
    static func == (a: Shape, b: Shape) -> Bool { a.spatial == b.spatial }
  }

  /// The shape after the network `node` (a list in series or one layer).
  func shape(of node: OptionNode, input: Shape) throws(OptionSyntaxError) -> Shape {
    let items: [OptionNode]
    if case .list(let xs) = node.value { items = xs } else { items = [node] }
    var s = input
    var k = 0
    while k < items.count {
      let item = items[k]
      if NetworkParser.name(item) == "parallel", case .call(_, let args) = item.value {
        let outs = try args.map { (a: OptionArgument) throws(OptionSyntaxError) -> Shape in try shape(of: a.value, input: s) }
        let fanIn = k + 1 < items.count ? NetworkParser.name(items[k + 1]) ?? "" : ""
        if let first = outs.first, let other = outs.first(where: { $0 != first }) {
          throw OptionSyntaxError(at: item, "\(fanIn) joins branches of different shapes: \(first.text) and \(other.text)")
        }
        s = outs.first ?? s
        k += 2
        continue
      }
      s = try layerShape(item, input: s)
      k += 1
    }
    return s
  }

  func layerShape(_ item: OptionNode, input s: Shape) throws(OptionSyntaxError) -> Shape {
    if case .list = item.value { return try shape(of: item, input: s) }
    let name = NetworkParser.name(item) ?? ""
    if name == "residual" || name == "repeat", case .call(_, let args) = item.value, let body = args.last?.value {
      let out = try shape(of: body, input: s)
      if name == "residual" {
        guard out == s else {
          throw OptionSyntaxError(at: item, "residual(…) adds its branch to its input, but the branch maps \(s.text) to \(out.text)")
        }
        return s
      }
      guard out != s else { return s }
      // A repeated body that changes the shape: walk the repeats (each shrinks or keeps it).
      let layer = try parser.layer(item)
      guard case .repeated(_, let count) = layer else { return out }
      var t = out
      for _ in 1..<count {
        let next = try shape(of: body, input: t)
        if next == t { break }
        t = next
      }
      return t
    }
    return try Self.apply(parser.layer(item), to: s, at: item)
  }

  /// One layer's output shape.
  static func apply(_ layer: Network, to s: Shape, at item: OptionNode) throws(OptionSyntaxError) -> Shape {
    let name = NetworkParser.name(item) ?? item.text
    switch layer {
    case .conv(let c): return try windowed(name, c.window, c.strides, c.padding, s, at: item)
    case .pool(let p): return try windowed(name, p.window, p.strides, p.padding, s, at: item)
    case .globalPool, .flatten:
      if case .globalPool = layer, s.spatial.isEmpty {
        throw OptionSyntaxError(at: item, "'\(name)' pools over spatial axes, but its input is a vector (\(s.why))")
      }
      return Shape(spatial: [], why: "'\(name)' before it made it one")
    default: return s
    }
  }

  static func windowed(_ name: String, _ window: [Int], _ strides: [Int], _ padding: PaddingMode, _ s: Shape, at item: OptionNode)
    throws(OptionSyntaxError) -> Shape
  {
    guard !s.spatial.isEmpty else {
      throw OptionSyntaxError(
        at: item, "'\(name)' needs an input with spatial axes (an image or a sequence), but its input is a vector (\(s.why))")
    }
    let w = window.count == 1 ? s.spatial.map { _ in window[0] } : window
    let st = strides.count == 1 ? s.spatial.map { _ in strides[0] } : strides
    guard w.count == s.spatial.count else {
      throw OptionSyntaxError(
        at: item,
        "'\(name)' has a \(w.count)-D window but its input \(s.text) has \(s.spatial.count) spatial ax\(s.spatial.count == 1 ? "is" : "es")"
      )
    }
    var out: [Int] = []
    for (n, (k, stride)) in zip(s.spatial, zip(w, st)) {
      if padding == .valid {
        guard k <= n else {
          throw OptionSyntaxError(
            at: item,
            "the window \(w.map(String.init).joined(separator: "×")) of '\(name)' is larger than its input \(s.text) (padding 'valid')")
        }
        out.append((n - k) / stride + 1)
      } else {
        out.append((n + stride - 1) / stride)
      }
    }
    return Shape(spatial: out, why: s.why)
  }
}
