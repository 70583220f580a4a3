/// The kernel of one pair of inputs (x, x′) at one layer, as NT's `Kernel` restricted to one
/// batch entry: Σ and Θ over pairs of positions (`full`, laid out [h][w][h′][w′]) or over the same
/// position only (`full == false`, [h][w]). Vectors are 1 × 1. Networks run pair by pair, so the
/// memory per pair is 2·(H·W)² doubles (full) or 2·H·W (diagonal), never N²·(H·W)².
struct PairState: Sendable {
  var h: Int
  var w: Int
  var full: Bool
  var nngp: [Double]
  var ntk: [Double]?

  var positions: Int { h * w }

  /// NT's input kernel Σ(x_p, x′_q) = ⟨x_p, x′_q⟩/C over channels, Θ = 0.
  static func inputs(
    _ x1: UnsafeBufferPointer<Double>, _ x2: UnsafeBufferPointer<Double>, h: Int, w: Int, channels c: Int, full: Bool, ntk: Bool
  ) -> PairState {
    let p = h * w
    let scale = 1 / Double(c)
    var k = [Double](repeating: 0, count: full ? p * p : p)
    for a in 0..<p {
      for b in (full ? 0..<p : a..<(a + 1)) {
        var acc = 0.0
        for ch in 0..<c { acc += x1[a * c + ch] * x2[b * c + ch] }
        k[full ? a * p + b : a] = acc * scale
      }
    }
    return PairState(h: h, w: w, full: full, nngp: k, ntk: ntk ? [Double](repeating: 0, count: k.count) : nil)
  }

  /// The same-position entries Σ(x_p, x′_p).
  var diagonal: [Double] {
    let p = positions
    return full ? (0..<p).map { nngp[$0 * p + $0] } : nngp
  }
}

/// How a pair runs: one input with itself (`isSelf`: NT's x1 is x2 at this entry, variances read
/// off the state and recorded on `tape`, dropout's factor applies) or two inputs, whose
/// same-position variances at every activation and layer norm come from their own self runs.
struct PairRun {
  let isSelf: Bool
  var tape: [[Double]]
  let tape2: [[Double]]
  var cursor = 0

  static func selfRun() -> PairRun { PairRun(isSelf: true, tape: [], tape2: []) }
  static func pair(_ t1: [[Double]], _ t2: [[Double]]) -> PairRun { PairRun(isSelf: false, tape: t1, tape2: t2) }

  /// The same-position variances of both sides at the next activation or layer norm.
  mutating func variances(_ s: PairState) -> ([Double], [Double]) {
    if isSelf {
      let d = s.diagonal
      tape.append(d)
      return (d, d)
    }
    defer { cursor += 1 }
    return (tape[cursor], tape2[cursor])
  }

  mutating func run(_ node: KernelNode, _ s: inout PairState) {
    switch node {
    case .affine(let w2, let b2, let fanIn, let window, _, _):
      PairOps.affine(&s, w2: w2, b2: b2, fanIn: fanIn, window: window)
    case .activation(let a):
      let (v1, v2) = variances(s)
      PairOps.activate(&s, a, v1, v2)
    case .layerNorm:
      let (v1, v2) = variances(s)
      PairOps.layerNorm(&s, v1, v2)
    case .dropout(let factor):
      if isSelf { PairOps.scaleDiagonal(&s, factor) }
    case .pool(let window, let average):
      PairOps.pool(&s, window, average: average)
    case .globalPool(let average):
      PairOps.globalPool(&s, average: average)
    case .flatten:
      PairOps.flatten(&s)
    case .serial(let xs):
      for x in xs { run(x, &s) }
    case .repeated(let x, let n):
      for _ in 0..<n { run(x, &s) }
    case .parallel(let xs, let weights):
      var outs: [PairState] = []
      for x in xs {
        var b = s
        run(x, &b)
        outs.append(b)
      }
      s = PairOps.combine(outs, weights: weights)
    }
  }
}
