/// The layer transforms of one pair's kernel (`PairState`), NT's `kernel_fn`s on one batch entry.
enum PairOps {
  /// Σ_δ x[o][index(m, δ)][i] along the middle axis of x viewed as [outer][len][inner].
  static func windowSum(_ x: [Double], outer: Int, inner: Int, _ t: AxisWindow) -> [Double] {
    let len = t.inSize, m = t.outSize, w = t.window
    var out = [Double](repeating: 0, count: outer * m * inner)
    for o in 0..<outer {
      for j in 0..<m {
        let dst = (o * m + j) * inner
        for d in 0..<w {
          let src = t.index[j * w + d]
          if src < 0 { continue }
          let base = (o * len + src) * inner
          for i in 0..<inner { out[dst + i] += x[base + i] }
        }
      }
    }
    return out
  }

  /// Σ_δ x[o][index(m₁, δ)][c][index(m₂, δ)][i]: one window offset on two axes at once (a conv on
  /// pairs of positions: both positions see the same weight), x viewed as [outer][len][mid][len][inner].
  static func pairedWindowSum(_ x: [Double], outer: Int, mid: Int, inner: Int, _ t: AxisWindow) -> [Double] {
    let len = t.inSize, m = t.outSize, w = t.window
    var out = [Double](repeating: 0, count: outer * m * mid * m * inner)
    for o in 0..<outer {
      for j1 in 0..<m {
        for c in 0..<mid {
          for j2 in 0..<m {
            let dst = (((o * m + j1) * mid + c) * m + j2) * inner
            for d in 0..<w {
              let s1 = t.index[j1 * w + d], s2 = t.index[j2 * w + d]
              if s1 < 0 || s2 < 0 { continue }
              let base = (((o * len + s1) * mid + c) * len + s2) * inner
              for i in 0..<inner { out[dst + i] += x[base + i] }
            }
          }
        }
      }
    }
    return out
  }

  /// The conv's window mean of a kernel (full or diagonal) of spatial shape h × w.
  static func convolve(_ x: [Double], full: Bool, h: Int, w: Int, _ win: Window2) -> [Double] {
    let scale = 1 / Double(win.size)
    var y: [Double]
    if full {
      // [h][w][h′][w′]: the w axes (1, 3) then the h axes (0, 2)
      y = pairedWindowSum(x, outer: h, mid: h, inner: 1, win.w)
      y = pairedWindowSum(y, outer: 1, mid: win.w.outSize, inner: win.w.outSize, win.h)
    } else {
      y = windowSum(x, outer: h, inner: 1, win.w)
      y = windowSum(y, outer: 1, inner: win.w.outSize, win.h)
    }
    for i in y.indices { y[i] *= scale }
    return y
  }

  static func affine(_ s: inout PairState, w2: Double, b2: Double?, fanIn: Double?, window: Window2?) {
    let full = s.full, h = s.h, w = s.w
    func conv(_ x: [Double]) -> [Double] { window.map { convolve(x, full: full, h: h, w: w, $0) } ?? x }
    let k = conv(s.nngp)
    var nngp = k
    for i in nngp.indices { nngp[i] = w2 * k[i] + (b2 ?? 0) }
    if let t = s.ntk {
      var ntk = conv(t)
      for i in ntk.indices {
        if let n = fanIn {
          ntk[i] = n * k[i] + w2 * ntk[i] + (b2 == nil ? 0 : 1)
        } else {
          ntk[i] = w2 * ntk[i] + nngp[i]
        }
      }
      s.ntk = ntk
    }
    s.nngp = nngp
    if let window {
      s.h = window.h.outSize
      s.w = window.w.outSize
    }
  }

  /// Visits (entry, position on side 1, position on side 2) of a full or diagonal kernel.
  @inline(__always) static func forEachEntry(_ s: PairState, _ body: (Int, Int, Int) -> Void) {
    let p = s.positions
    if s.full {
      for a in 0..<p { for b in 0..<p { body(a * p + b, a, b) } }
    } else {
      for a in 0..<p { body(a, a, a) }
    }
  }

  static func activate(_ s: inout PairState, _ act: Activation, _ v1: [Double], _ v2: [Double]) {
    var nngp = s.nngp, ntk = s.ntk
    forEachEntry(s) { e, a, b in
      let v = act.kernel(q11: v1[a], q22: v2[b], q12: nngp[e])
      nngp[e] = v.nngp
      ntk?[e] *= v.dot
    }
    s.nngp = nngp
    s.ntk = ntk
  }

  /// NT's LayerNorm over channels (eps = 1e-12): Σ(p, q) / √((ε + Σ₁(p, p))(ε + Σ₂(q, q))), Θ alike.
  static func layerNorm(_ s: inout PairState, _ v1: [Double], _ v2: [Double]) {
    let eps = 1e-12
    var nngp = s.nngp, ntk = s.ntk
    forEachEntry(s) { e, a, b in
      let root = ((eps + v1[a]) * (eps + v2[b])).squareRoot()
      nngp[e] /= root
      ntk?[e] /= root
    }
    s.nngp = nngp
    s.ntk = ntk
  }

  /// Same-position entries times `factor` (dropout on one input with itself).
  static func scaleDiagonal(_ s: inout PairState, _ factor: Double) {
    let p = s.positions
    for a in 0..<p {
      let e = s.full ? a * p + a : a
      s.nngp[e] *= factor
      s.ntk?[e] *= factor
    }
  }

  /// Average or sum pooling: independent windows on both positions, over every spatial axis;
  /// the average divides by the window size squared (NT's `normalize_edges=False`).
  static func pool(_ s: inout PairState, _ win: Window2, average: Bool) {
    precondition(s.full, "pooling reads pairs of positions")
    let h = s.h, w = s.w, mh = win.h.outSize, mw = win.w.outSize
    let scale = average ? 1 / Double(win.size * win.size) : 1
    func apply(_ x: [Double]) -> [Double] {
      var y = windowSum(x, outer: h * w * h, inner: 1, win.w)  // w′
      y = windowSum(y, outer: h * w, inner: mw, win.h)  // h′
      y = windowSum(y, outer: h, inner: mh * mw, win.w)  // w
      y = windowSum(y, outer: 1, inner: mw * mh * mw, win.h)  // h
      return y.map { $0 * scale }
    }
    s.nngp = apply(s.nngp)
    s.ntk = s.ntk.map(apply)
    s.h = mh
    s.w = mw
  }

  static func globalPool(_ s: inout PairState, average: Bool) {
    precondition(s.full, "global pooling reads pairs of positions")
    let p = Double(s.positions)
    let scale = average ? 1 / (p * p) : 1
    s.nngp = [s.nngp.reduce(0, +) * scale]
    s.ntk = s.ntk.map { [$0.reduce(0, +) * scale] }
    s.h = 1
    s.w = 1
    s.full = false
  }

  /// NT's Flatten: the mean over same-position entries (the dense after it has fan-in C·H·W).
  static func flatten(_ s: inout PairState) {
    let p = s.positions
    func trace(_ x: [Double]) -> [Double] {
      var acc = 0.0
      for a in 0..<p { acc += x[s.full ? a * p + a : a] }
      return [acc / Double(p)]
    }
    s.nngp = trace(s.nngp)
    s.ntk = s.ntk.map(trace)
    s.h = 1
    s.w = 1
    s.full = false
  }

  /// FanInSum (weights nil) or FanInConcat over channels (the width-weighted mean).
  static func combine(_ outs: [PairState], weights: [Double]?) -> PairState {
    var s = outs[0]
    let ws = weights ?? [Double](repeating: 1, count: outs.count)
    for i in s.nngp.indices {
      var acc = 0.0
      for (b, o) in outs.enumerated() { acc += ws[b] * o.nngp[i] }
      s.nngp[i] = acc
    }
    if s.ntk != nil {
      for i in s.nngp.indices {
        var acc = 0.0
        for (b, o) in outs.enumerated() { acc += ws[b] * (o.ntk?[i] ?? 0) }
        s.ntk?[i] = acc
      }
    }
    return s
  }
}
