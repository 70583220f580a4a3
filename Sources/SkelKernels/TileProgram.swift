/// A spatial network compiled for the tile path (`TileKernel`): blocks of input pairs at once,
/// every kernel laid out [positions…][pair of the block], the layers run per block while the block
/// is in cache, with the window sums and the ab-ReLU kernel in `CFastKernels`.
///
/// A network is tileable when its activations are all of the arc-cosine/ab-ReLU family (ReLU,
/// leaky ReLU, abs, `ab_relu(a, b)`); any other activation (whose kernel is a quadrature or another
/// closed form) leaves the whole network to the pair-by-pair engine (`PairKernel`).
struct TileProgram: Sendable {
  let node: KernelNode
  /// The kernel carries the full spatial covariance (pairs of positions) until a pool reads it.
  let full: Bool
  /// The most kernel entries one pair holds at any layer (P² full, P diagonal, P = H·W).
  let maxEntries: Int
  /// The pairs evaluated together (a multiple of 4 when above 1, so the pair axis is a vector).
  let blockPairs: Int
  /// The arithmetic of one pair's recursion (NNGP and NTK), `TileProgram.flops`.
  let flopsPerPair: Double
  /// The square roots among those flops (two an ab-ReLU entry), which the benchmark's machine
  /// limit charges at the measured square-root rate rather than the FMA rate.
  let sqrtsPerPair: Double

  /// Doubles of one block's working set the tile sizes aim at (4 kernels of maxEntries × block:
  /// NNGP, NTK and their scratch), about half the 1 MiB L2 of this machine.
  static let cacheDoubles = 1 << 16

  /// The first layer's window when the network starts with a conv and carries the full
  /// covariance (im2col): its window sums of
  /// the input kernel are one product of the two inputs' patch matrices (`TileKernel.Patches`), and
  /// `rest` is the network after them (that conv's affine map with the 1/window factor folded in).
  let firstConv: Window2?
  let rest: KernelNode

  init?(_ node: KernelNode, input: InputShape, computeNTK: Bool) {
    guard !input.spatial.isEmpty, node.isTileable else { return nil }
    let full = node.needsFullInput(after: false)
    let sp = input.spatial
    var shape = TileShape(h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, full: full)
    var flops = 2.0 * Double(input.channels) * Double(shape.entries)
    var most = shape.entries, sqrts = 0.0
    node.walk(&shape, flops: &flops, sqrts: &sqrts, most: &most, ntk: computeNTK)
    self.node = node
    sqrtsPerPair = sqrts
    // im2col for the full covariance only (a pair's first layer is one dgemm there); on the
    // diagonal a patch table is taps × the input's bytes, read per rectangle, where the window
    // passes over the input kernel read the input itself (measured: 19 % of a profiled flatten
    // benchmark run's samples in the patch products, against 4 % in all window passes)
    if full, let (window, rest) = node.splitFirstConv() {
      firstConv = window
      self.rest = rest
    } else {
      firstConv = nil
      rest = node
    }
    self.full = full
    maxEntries = most
    flopsPerPair = flops
    let b = Self.cacheDoubles / (4 * most)
    blockPairs = b >= 4 ? min(64, b / 4 * 4) : 1
  }
}

/// The spatial shape of a pair's kernel inside the tile path.
struct TileShape: Equatable {
  var h: Int
  var w: Int
  var full: Bool

  var positions: Int { h * w }
  var entries: Int { full ? positions * positions : positions }
}

extension KernelNode {
  /// Whether every activation has the ab-ReLU closed form the tile kernel vectorizes.
  var isTileable: Bool {
    switch self {
    case .activation(.abRelu): return true
    case .activation: return false
    case .affine, .pool, .globalPool, .flatten, .layerNorm, .dropout: return true
    case .serial(let xs): return xs.allSatisfy(\.isTileable)
    case .parallel(let xs, _): return xs.allSatisfy(\.isTileable)
    case .repeated(let x, _): return x.isTileable
    }
  }

  /// The first conv's window and the node after its window sums (its affine map, 1/size folded
  /// into w² and the NTK's fan-in factor), or nil when the node does not start with a conv.
  func splitFirstConv() -> (Window2, KernelNode)? {
    switch self {
    case .affine(let w2, let b2, let fanIn, let window?, let channels, let width):
      let scale = 1 / Double(window.size)
      return (window, .affine(w2: w2 * scale, b2: b2, fanIn: fanIn.map { $0 * scale }, window: nil, channels: channels, width: width))
    case .serial(let xs):
      guard let first = xs.first, let (window, head) = first.splitFirstConv() else { return nil }
      return (window, .serial([head] + xs.dropFirst()))
    default:
      return nil
    }
  }

  /// Whether a dropout layer is inside (its factor applies to same-input entries only).
  var hasDropout: Bool {
    switch self {
    case .dropout: return true
    case .affine, .activation, .pool, .globalPool, .flatten, .layerNorm: return false
    case .serial(let xs), .parallel(let xs, _): return xs.contains(where: \.hasDropout)
    case .repeated(let x, let n): return n > 0 && x.hasDropout
    }
  }

  /// Follows the shape through the node, counting the recursion's arithmetic per pair: a window
  /// pass one add per tap and entry, an affine map 2 (NNGP) + 3 (NTK) per entry, the ab-ReLU
  /// kernel 40 flops per entry (the arccos polynomial 24, the rest 16; a square root counted as
  /// one) + 1 for the NTK, of which 2 are square roots (`sqrts`: sin θ and the arccos polynomial's
  /// outer range; c and √(q₁q₂) come from per-position roots), a pool or a readout one add per entry; the NTK doubles the window sums.
  func walk(_ s: inout TileShape, flops: inout Double, sqrts: inout Double, most: inout Int, ntk: Bool) {
    let kernels = ntk ? 2.0 : 1.0
    switch self {
    case .affine(_, _, _, let window, _, _):
      if let window {
        // the w pass on the input entries, the h pass on its output (full: both positions per pass)
        let taps = Double(window.w.window), hTaps = Double(window.h.window)
        let mid = s.full ? Double(s.h * window.w.outSize * s.h * window.w.outSize) : Double(s.h * window.w.outSize)
        s.h = window.h.outSize
        s.w = window.w.outSize
        flops += kernels * (taps * mid + hTaps * Double(s.entries))
      }
      flops += Double(s.entries) * (ntk ? 5 : 2)
    case .activation:
      flops += Double(s.entries) * (ntk ? 41 : 40)
      sqrts += Double(s.entries) * 2
    case .layerNorm:
      flops += Double(s.entries) * 3 * kernels
    case .dropout:
      break
    case .pool(let window, _):
      let e = Double(s.entries)
      s.h = window.h.outSize
      s.w = window.w.outSize
      flops += kernels * (e + 3 * Double(s.entries)) * Double(max(window.h.window, window.w.window))
    case .globalPool, .flatten:
      flops += kernels * Double(s.entries)
      s = TileShape(h: 1, w: 1, full: false)
    case .serial(let xs):
      for x in xs { x.walk(&s, flops: &flops, sqrts: &sqrts, most: &most, ntk: ntk) }
    case .repeated(let x, let n):
      var done = 0
      while done < n {
        let before = s
        var once = 0.0, onceRoots = 0.0
        x.walk(&s, flops: &once, sqrts: &onceRoots, most: &most, ntk: ntk)
        done += 1
        flops += once
        sqrts += onceRoots
        // a fixed shape: every further repetition counts the same
        if s == before {
          flops += once * Double(n - done)
          sqrts += onceRoots * Double(n - done)
          break
        }
      }
    case .parallel(let xs, _):
      var out = s
      for x in xs {
        var b = s
        x.walk(&b, flops: &flops, sqrts: &sqrts, most: &most, ntk: ntk)
        out = b
      }
      flops += Double(out.entries) * Double(xs.count) * kernels
      s = out
    }
    most = max(most, s.entries)
  }
}

extension AxisWindow {
  /// The window as runs (d, j0, s0, n) sorted by the offset d: outputs j0..<j0+n read inputs
  /// s0..<s0+n at offset d (`same` padding's zeros are no run; a stride above 1 gives runs of 1).
  var runs: [Int32] {
    var out: [Int32] = []
    for d in 0..<window {
      var j = 0
      while j < outSize {
        let s = index[j * window + d]
        if s < 0 {
          j += 1
          continue
        }
        var n = 1
        while j + n < outSize, index[(j + n) * window + d] == s + n { n += 1 }
        out += [Int32(d), Int32(j), Int32(s), Int32(n)]
        j += n
      }
    }
    return out
  }

  /// Whether the window leaves its axis as it is (window 1, stride 1: the axes a 1-D input lacks).
  var isIdentity: Bool { window == 1 && outSize == inSize && index == Array(0..<inSize) }
}

extension Network {
  /// The tile path's plan for inputs of `input`'s shape: pairs per block and the arithmetic of one
  /// pair's recursion (the benchmark's machine limit and cost estimates read it); nil when the
  /// network runs pair by pair (vector inputs, activations outside the ab-ReLU family).
  public func tilePlan(input: InputShape, computeNTK: Bool, defaultWidth: Int = Network.defaultWidth) throws(NetworkShapeError) -> (
    blockPairs: Int, flopsPerPair: Double, sqrtsPerPair: Double, full: Bool
  )? {
    let (node, _) = try compile(input, defaultWidth: defaultWidth)
    return TileProgram(node, input: input, computeNTK: computeNTK).map { ($0.blockPairs, $0.flopsPerPair, $0.sqrtsPerPair, $0.full) }
  }
}
