import CBLAS
import CFastKernels
import Foundation
import SkelMath

/// The tile path of spatial networks' Gram matrices (`TileProgram`): the input pairs in blocks of
/// `blockPairs`, each block's kernels laid out [positions…][pair] and run through every layer
/// while they are in cache; window sums (conv, pool) and the ab-ReLU kernel in `CFastKernels`
/// (AVX2 vectors over the pairs of a block, or over the second position when a block is one pair
/// of full covariances). The variances at each activation come from the inputs' self runs, as in
/// `PairKernel`, so the values are the pair engine's up to rounding.
///
/// Memory: per thread a pool of kernels of `maxEntries × blockPairs` doubles (4 to 6 of them, more
/// inside `parallel`), reused from block to block: nothing is allocated per pair.
enum TileKernel {
  /// One input's self-run tape as the tile kernel reads it: the same-position variances at each
  /// activation and layer norm (clamped at 0), their square roots and reciprocal square roots (0
  /// where the variance is 0), computed once per input rather than once per pair of positions.
  struct Side: Sendable {
    let raw: [[Double]]
    let root: [[Double]]
    let inverseRoot: [[Double]]

    init(tape: [[Double]]) {
      raw = tape.map { $0.map { max($0, 0) } }
      root = raw.map { $0.map { $0.squareRoot() } }
      inverseRoot = root.map { $0.map { $0 > 0 ? 1 / $0 : 0 } }
    }
  }

  /// Every input's patches for the first conv (im2col): for each output position, the window's
  /// taps × channels of the input (0 where `same` padding reads outside), laid out
  /// [input][position][tap·channel]. The first layer's window sums of a pair are then
  /// Σ(a, b) = ⟨patch_a(x), patch_b(x′)⟩/C: a product (dgemm) for the full covariance, one dot per
  /// position for the diagonal. Memory: positions × taps × channels doubles per input.
  struct Patches: Sendable {
    let values: [Double]
    /// Doubles of one patch (taps × channels) and patches per input (the conv's output positions).
    let width: Int
    let positions: Int

    init(_ x: InputBatch, _ win: Window2) {
      let c = x.shape.channels, size = x.size
      let inW = win.w.inSize, kh = win.h.window, kw = win.w.window
      let mh = win.h.outSize, mw = win.w.outSize
      let width = kh * kw * c, positions = mh * mw
      var v = [Double](repeating: 0, count: x.count * positions * width)
      x.storage.withUnsafeBufferPointer { xs in
        v.withUnsafeMutableBufferPointer { out in
          for i in 0..<x.count {
            for oh in 0..<mh {
              for ow in 0..<mw {
                let base = (i * positions + oh * mw + ow) * width
                for dh in 0..<kh {
                  let ih = win.h.index[oh * kh + dh]
                  guard ih >= 0 else { continue }
                  for dw in 0..<kw {
                    let iw = win.w.index[ow * kw + dw]
                    guard iw >= 0 else { continue }
                    for ch in 0..<c { out[base + (dh * kw + dw) * c + ch] = xs[i * size + (ih * inW + iw) * c + ch] }
                  }
                }
              }
            }
          }
        }
      }
      values = v
      self.width = width
      self.positions = positions
    }
  }

  /// The self runs of `x` on the tile path (NT's x1 is x2: every input with itself, blocks of
  /// inputs): each input's tape (the same-position variances read off its own kernel at each
  /// activation and layer norm, as `PairRun.selfRun`) and its Gram diagonal. Nil for a network
  /// with dropout, whose same-input factor the tile path does not apply (the pair engine does).
  static func selfRuns(_ program: TileProgram, _ x: InputBatch, computeNTK: Bool, compute: Compute) -> [PairKernel.SelfRun]? {
    guard !program.node.hasDropout else { return nil }
    let nk = program.blockPairs, n = x.count
    let blocks = (n + nk - 1) / nk
    guard blocks > 0 else { return [] }
    let tasks = min(blocks, compute.threads * 8)
    let patches = program.firstConv.map { Patches(x, $0) }
    let parts = Compute.singleThreadedBLAS {
      compute.map(tasks) { task -> [(Int, [PairKernel.SelfRun])] in
        let ws = TileWorkspace(capacity: program.maxEntries * nk)
        var done: [(Int, [PairKernel.SelfRun])] = []
        var block = task
        while block < blocks {
          let range = (block * nk)..<min(n, (block + 1) * nk)
          var pairs = range.map { ($0, $0) }
          while pairs.count < nk { pairs.append(pairs[pairs.count - 1]) }
          var run = TileRun(ws: ws, nk: nk, pairs: pairs, left: [], right: [], selfTapes: Array(repeating: [], count: nk))
          var s = run.inputs(x, x, program: program, patches: patches.map { ($0, $0) }, ntk: computeNTK)
          run.run(program.rest, &s)
          var out: [PairKernel.SelfRun] = []
          for q in 0..<range.count { out.append((run.selfTapes?[q] ?? [], s.k[q], s.t?[q] ?? 0)) }
          ws.give(s.k)
          if let t = s.t { ws.give(t) }
          done.append((block, out))
          block += tasks
        }
        return done
      }
    }
    var runs = [PairKernel.SelfRun](repeating: ([], 0, 0), count: n)
    for part in parts {
      for (block, out) in part {
        for (q, r) in out.enumerated() { runs[block * nk + q] = r }
      }
    }
    return runs
  }

  /// NNGP and NTK of `entries` (pairs (i, j) of `x` and `other`) with the self-run tapes of both.
  static func values(
    _ program: TileProgram, _ x: InputBatch, _ other: InputBatch, left: [Side], right: [Side], entries: [(Int, Int)],
    computeNTK: Bool, compute: Compute
  ) -> [(Double, Double)] {
    let nk = program.blockPairs
    let blocks = (entries.count + nk - 1) / nk
    guard blocks > 0 else { return [] }
    let tasks = min(blocks, compute.threads * 8)
    let patches = program.firstConv.map { (Patches(x, $0), other == x ? nil : Patches(other, $0)) }
    let parts = Compute.singleThreadedBLAS {
      compute.map(tasks) { task -> [(Int, [(Double, Double)])] in
        let ws = TileWorkspace(capacity: program.maxEntries * nk)
        var done: [(Int, [(Double, Double)])] = []
        var block = task
        while block < blocks {
          let range = (block * nk)..<min(entries.count, (block + 1) * nk)
          var pairs = Array(entries[range])
          // a short last block repeats its last pair, so the vectors stay whole
          while pairs.count < nk { pairs.append(pairs[pairs.count - 1]) }
          var run = TileRun(ws: ws, nk: nk, pairs: pairs, left: left, right: right)
          var s = run.inputs(x, other, program: program, patches: patches.map { ($0.0, $0.1 ?? $0.0) }, ntk: computeNTK)
          run.run(program.rest, &s)
          var out: [(Double, Double)] = []
          for q in 0..<range.count { out.append((s.k[q], s.t?[q] ?? 0)) }
          ws.give(s.k)
          if let t = s.t { ws.give(t) }
          done.append((block, out))
          block += tasks
        }
        return done
      }
    }
    var values = [(Double, Double)](repeating: (0, 0), count: entries.count)
    for part in parts {
      for (block, out) in part {
        for (q, v) in out.enumerated() { values[block * nk + q] = v }
      }
    }
    return values
  }
}

/// Kernels of `capacity` doubles, reused (one pool per thread).
final class TileWorkspace {
  let capacity: Int
  private var free: [UnsafeMutablePointer<Double>] = []
  private var all: [UnsafeMutablePointer<Double>] = []

  init(capacity: Int) { self.capacity = capacity }

  func take() -> UnsafeMutablePointer<Double> {
    if let p = free.popLast() { return p }
    let p = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
    all.append(p)
    return p
  }

  func give(_ p: UnsafeMutablePointer<Double>) { free.append(p) }

  deinit { for p in all { p.deallocate() } }
}

/// One block's kernels: NNGP `k` and NTK `t` (nil without the NTK), [entries][pair].
struct TileState {
  var shape: TileShape
  var k: UnsafeMutablePointer<Double>
  var t: UnsafeMutablePointer<Double>?
}

/// The layers on one block, in the pair engine's order (so the tapes' cursor is the same).
struct TileRun {
  let ws: TileWorkspace
  let nk: Int
  let pairs: [(Int, Int)]
  let left: [TileKernel.Side]
  let right: [TileKernel.Side]
  /// Self runs (pairs (i, i), no sides): each pair's tape, recorded at every activation and layer norm.
  var selfTapes: [[[Double]]]? = nil
  var cursor = 0
  /// A rectangle of pairs (`TileKernel.rectangles`): the sides' tables are read in place, and
  /// `pairs`, `left` and `right` are not used.
  var rect: TileKernel.Rectangle? = nil

  /// Σ(x_p, x′_q) = ⟨x_p, x′_q⟩/C for every pair of the block, Θ = 0; with the first conv's
  /// patches, its window sums ⟨patch_p(x), patch_q(x′)⟩/C instead (`program.rest` follows).
  func inputs(_ x: InputBatch, _ other: InputBatch, program: TileProgram, patches: (TileKernel.Patches, TileKernel.Patches)?, ntk: Bool)
    -> TileState
  {
    let sp = x.shape.spatial
    var shape = TileShape(h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, full: program.full)
    if let win = program.firstConv {
      shape.h = win.h.outSize
      shape.w = win.w.outSize
    }
    let k = ws.take()
    let p = shape.positions, c = x.shape.channels, size = x.size, nk = nk
    let scale = 1 / Double(c)
    if let (pa, pb) = patches {
      let width = pa.width
      pa.values.withUnsafeBufferPointer { xs in
        pb.values.withUnsafeBufferPointer { os in
          guard let xb = xs.baseAddress, let ob = os.baseAddress else { return }
          for (q, (i, j)) in pairs.enumerated() {
            let xi = xb + i * p * width, xj = ob + j * p * width
            if shape.full, nk == 1 {
              // all pairs of positions: one product of the two patch matrices
              cblas_dgemm(
                CblasRowMajor, CblasNoTrans, CblasTrans, Int32(p), Int32(p), Int32(width), scale, xi, Int32(width), xj, Int32(width), 0,
                k, Int32(p))
            } else {
              for a in 0..<p {
                for b in (shape.full ? 0..<p : a..<(a + 1)) {
                  var acc = 0.0
                  for e in 0..<width { acc += xi[a * width + e] * xj[b * width + e] }
                  k[(shape.full ? a * p + b : a) * nk + q] = acc * scale
                }
              }
            }
          }
        }
      }
    } else {
      x.storage.withUnsafeBufferPointer { xs in
        other.storage.withUnsafeBufferPointer { os in
          for (q, (i, j)) in pairs.enumerated() {
            let xi = i * size, xj = j * size
            for a in 0..<p {
              for b in (shape.full ? 0..<p : a..<(a + 1)) {
                var acc = 0.0
                for ch in 0..<c { acc += xs[xi + a * c + ch] * os[xj + b * c + ch] }
                k[((shape.full ? a * p + b : a)) * nk + q] = acc * scale
              }
            }
          }
        }
      }
    }
    return inputState(shape, k: k, ntk: ntk)
  }

  /// The state after the input layer: its kernel `k` and, for the NTK, Θ = 0 (a zeroed buffer).
  func inputState(_ shape: TileShape, k: UnsafeMutablePointer<Double>, ntk: Bool) -> TileState {
    var t: UnsafeMutablePointer<Double>? = nil
    if ntk {
      let z = ws.take()
      z.initialize(repeating: 0, count: shape.entries * nk)
      t = z
    }
    return TileState(shape: shape, k: k, t: t)
  }

  mutating func run(_ node: KernelNode, _ s: inout TileState) {
    switch node {
    case .affine(let w2, let b2, let fanIn, let window, _, _):
      // the window mean's 1/size goes into the affine map's factors (one sweep fewer)
      var scale = 1.0
      if let window {
        convolve(&s, window)
        scale = 1 / Double(window.size)
      }
      Self.affine(s, count: s.shape.entries * nk, w2: w2 * scale, b2: b2, fanIn: fanIn.map { $0 * scale })
    case .activation(let act):
      guard case .abRelu(let sa, let sb) = act else { preconditionFailure("TileProgram admits ab-ReLU activations only") }
      activate(s, sa, sb)
    case .layerNorm:
      layerNorm(s)
    case .dropout:
      break  // its factor is on same-input entries only, and the tile path has none
    case .pool(let window, let average):
      pool(&s, window, average: average)
    case .globalPool(let average):
      let p = Double(s.shape.positions)
      reduce(&s, diagonalOnly: false, scale: average ? 1 / (p * p) : 1)
    case .flatten:
      reduce(&s, diagonalOnly: true, scale: 1 / Double(s.shape.positions))
    case .serial(let xs):
      var i = 0
      while i < xs.count {
        // an affine map (a dense or conv layer's) and the ab-ReLU after it: one sweep
        if i + 1 < xs.count, case .affine(var w2, let b2, var fanIn, let window, _, _) = xs[i],
          case .activation(.abRelu(let sa, let sb)) = xs[i + 1]
        {
          if let window {
            convolve(&s, window)
            let scale = 1 / Double(window.size)
            w2 *= scale
            fanIn = fanIn.map { $0 * scale }
          }
          let ntk: [Double] = fanIn.map { [$0, 0, b2 == nil ? 0 : 1] } ?? [0, 1, 0]
          activate(s, sa, sb, affine: [w2, b2 ?? 0] + ntk)
          i += 2
        } else {
          run(xs[i], &s)
          i += 1
        }
      }
    case .repeated(let x, let n):
      for _ in 0..<n { run(x, &s) }
    case .parallel(let xs, let weights):
      parallel(&s, xs, weights: weights)
    }
  }

  /// Σ ↦ w2·Σ + b2 (and the NTK's recursion) on every entry; a conv's window sums arrive unscaled,
  /// its 1/size folded into `w2` and `fanIn`.
  static func affine(_ s: TileState, count: Int, w2: Double, b2: Double?, fanIn: Double?) {
    let k = s.k, bias = b2 ?? 0
    if let t = s.t {
      if let n = fanIn {
        let one = b2 == nil ? 0.0 : 1
        for e in 0..<count {
          let x = k[e]
          t[e] = n * x + w2 * t[e] + one
          k[e] = w2 * x + bias
        }
      } else {
        for e in 0..<count {
          let v = w2 * k[e] + bias
          t[e] = w2 * t[e] + v
          k[e] = v
        }
      }
    } else {
      for e in 0..<count { k[e] = w2 * k[e] + bias }
    }
  }

  /// One window pass: `x` viewed [outer][len][inner] → a new kernel (x goes back to the pool).
  func pass(_ x: UnsafeMutablePointer<Double>, outer: Int, inner: Int, _ axis: AxisWindow) -> UnsafeMutablePointer<Double> {
    let out = ws.take()
    // by taps: each output row written once (skel_window_runs' bits; measured: the runs' memset
    // and read-modify-write per tap were 12 % of a profiled flatten benchmark run's samples)
    let taps = axis.index.map { Int32($0) }
    skel_window_taps(out, x, outer, axis.inSize, axis.outSize, inner, taps, axis.window)
    ws.give(x)
    return out
  }

  /// One paired window pass (a conv on pairs of positions): x viewed [outer][len][mid][len][inner].
  func pairedPass(_ x: UnsafeMutablePointer<Double>, outer: Int, mid: Int, inner: Int, _ axis: AxisWindow) -> UnsafeMutablePointer<
    Double
  > {
    let out = ws.take()
    let runs = axis.runs
    skel_paired_window_runs(out, x, outer, axis.inSize, axis.outSize, mid, inner, runs, runs.count / 4)
    ws.give(x)
    return out
  }

  /// The conv's window sums on NNGP and NTK (w axes, then h axes; an axis of window 1 is skipped),
  /// unscaled: the caller's affine map applies 1/size.
  func convolve(_ s: inout TileState, _ win: Window2) {
    let h = s.shape.h, mw = win.w.outSize, nk = nk
    func apply(_ x: UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<Double> {
      var y = x
      if s.shape.full {
        if !win.w.isIdentity { y = pairedPass(y, outer: h, mid: h, inner: nk, win.w) }
        if !win.h.isIdentity { y = pairedPass(y, outer: 1, mid: mw, inner: mw * nk, win.h) }
      } else {
        if !win.w.isIdentity { y = pass(y, outer: h, inner: nk, win.w) }
        if !win.h.isIdentity { y = pass(y, outer: 1, inner: mw * nk, win.h) }
      }
      return y
    }
    s.k = apply(s.k)
    s.t = s.t.map(apply)
    s.shape.h = win.h.outSize
    s.shape.w = mw
  }

  /// The next tape entry of both sides gathered for the block, [position][pair]: the variances and
  /// (with `roots`) their square roots and reciprocal square roots (v1, r1, u1, v2, r2, u2; the
  /// roots nil without `roots`). A self run reads them off the block's own kernel (its
  /// same-position entries) and records them on the pairs' tapes.
  mutating func gather(_ s: TileState, roots: Bool) -> [UnsafeMutablePointer<Double>?] {
    let p = s.shape.positions, nk = nk, c = cursor, full = s.shape.full
    let v1 = ws.take(), r1 = roots ? ws.take() : nil, u1 = roots ? ws.take() : nil
    if selfTapes != nil {
      for q in 0..<nk {
        var d = [Double](repeating: 0, count: p)
        for pos in 0..<p {
          let v = s.k[(full ? pos * p + pos : pos) * nk + q]
          d[pos] = v
          let m = max(v, 0), r = m.squareRoot()
          v1[pos * nk + q] = m
          r1?[pos * nk + q] = r
          u1?[pos * nk + q] = r > 0 ? 1 / r : 0
        }
        selfTapes?[q].append(d)
      }
      return [v1, r1, u1, v1, r1, u1]
    }
    let v2 = ws.take(), r2 = roots ? ws.take() : nil, u2 = roots ? ws.take() : nil
    for (q, (i, j)) in pairs.enumerated() {
      func put(
        _ side: TileKernel.Side, _ v: UnsafeMutablePointer<Double>, _ r: UnsafeMutablePointer<Double>?, _ u: UnsafeMutablePointer<Double>?
      ) {
        side.raw[c].withUnsafeBufferPointer { a in for pos in 0..<p { v[pos * nk + q] = a[pos] } }
        if let r, let u {
          side.root[c].withUnsafeBufferPointer { a in for pos in 0..<p { r[pos * nk + q] = a[pos] } }
          side.inverseRoot[c].withUnsafeBufferPointer { a in for pos in 0..<p { u[pos * nk + q] = a[pos] } }
        }
      }
      put(left[i], v1, r1, u1)
      put(right[j], v2, r2, u2)
    }
    return [v1, r1, u1, v2, r2, u2]
  }

  /// Returns gathered arrays to the pool (a self run's two sides are one set).
  func release(_ g: [UnsafeMutablePointer<Double>?]) {
    for (n, p) in g.enumerated() where n < 3 || g[n] != g[n - 3] {
      if let p { ws.give(p) }
    }
  }

  /// The ab-ReLU kernel on the block, after the affine map `affine` = [w², b², A, B, C] when given
  /// (Σ ← w²Σ + b², Θ ← A·Σ_old + w²Θ + B·Σ + C: `affine(_:count:…)`, fused into the same sweep).
  /// A self run reads the variances after that map, so it applies the map first.
  mutating func activate(_ s: TileState, _ sa: Double, _ sb: Double, affine: [Double]? = nil) {
    if rect != nil { return activateRectangle(s, sa, sb, affine: affine) }
    let p = s.shape.positions, nk = nk
    var affine = affine
    if selfTapes != nil, let a = affine {
      skel_affine(s.k, s.t, s.shape.entries * nk, a)
      affine = nil
    }
    let g = gather(s, roots: true)
    cursor += 1
    let (nb, s2a, s2b) = s.shape.full ? (p, 0, nk) : (1, nk, 0)
    skel_abrelu_grid_roots(s.k, s.t, p, nb, nk, g[0], g[1], g[2], g[3], g[4], g[5], s2a, s2b, sa, sb, affine)
    release(g)
  }

  /// NT's LayerNorm (eps = 1e-12): Σ(p, q) / √((ε + Σ₁(p, p))(ε + Σ₂(q, q))), Θ alike.
  mutating func layerNorm(_ s: TileState) {
    if rect != nil { return layerNormRectangle(s) }
    let p = s.shape.positions, nk = nk, eps = 1e-12
    let g = gather(s, roots: false)
    cursor += 1
    guard let v1 = g[0], let v2 = g[3] else { return }
    for a in 0..<p {
      for b in (s.shape.full ? 0..<p : a..<(a + 1)) {
        let e0 = (s.shape.full ? a * p + b : a) * nk
        for q in 0..<nk {
          let root = ((eps + v1[a * nk + q]) * (eps + v2[b * nk + q])).squareRoot()
          s.k[e0 + q] /= root
          s.t?[e0 + q] /= root
        }
      }
    }
    release(g)
  }

  /// Average or sum pooling on both positions (full covariance only, as `PairOps.pool`).
  func pool(_ s: inout TileState, _ win: Window2, average: Bool) {
    precondition(s.shape.full, "pooling reads pairs of positions")
    let h = s.shape.h, w = s.shape.w, mh = win.h.outSize, mw = win.w.outSize, nk = nk
    let scale = average ? 1 / Double(win.size * win.size) : 1
    func apply(_ x: UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<Double> {
      var y = pass(x, outer: h * w * h, inner: nk, win.w)  // w′
      y = pass(y, outer: h * w, inner: mw * nk, win.h)  // h′
      y = pass(y, outer: h, inner: mh * mw * nk, win.w)  // w
      y = pass(y, outer: 1, inner: mw * mh * mw * nk, win.h)  // h
      let count = mh * mw * mh * mw * nk
      for e in 0..<count { y[e] *= scale }
      return y
    }
    s.k = apply(s.k)
    s.t = s.t.map(apply)
    s.shape.h = mh
    s.shape.w = mw
  }

  /// Flatten (the mean of same-position entries) or a global pool (every entry), to one entry.
  func reduce(_ s: inout TileState, diagonalOnly: Bool, scale: Double) {
    let p = s.shape.positions, nk = nk, full = s.shape.full
    func apply(_ x: UnsafeMutablePointer<Double>) -> UnsafeMutablePointer<Double> {
      let out = ws.take()
      out.initialize(repeating: 0, count: nk)
      if diagonalOnly || !full {
        for a in 0..<p {
          let e0 = (full ? a * p + a : a) * nk
          for q in 0..<nk { out[q] += x[e0 + q] }
        }
      } else {
        for e in 0..<(p * p) { for q in 0..<nk { out[q] += x[e * nk + q] } }
      }
      for q in 0..<nk { out[q] *= scale }
      ws.give(x)
      return out
    }
    s.k = apply(s.k)
    s.t = s.t.map(apply)
    s.shape = TileShape(h: 1, w: 1, full: false)
  }

  /// Branches from copies of the input, then their sum or width-weighted mean (`PairOps.combine`).
  mutating func parallel(_ s: inout TileState, _ xs: [KernelNode], weights: [Double]?) {
    let inCount = s.shape.entries * nk
    let saved = TileState(shape: s.shape, k: ws.take(), t: s.t.map { _ in ws.take() })
    saved.k.update(from: s.k, count: inCount)
    if let t = s.t, let st = saved.t { st.update(from: t, count: inCount) }
    var acc: TileState? = nil
    for (i, x) in xs.enumerated() {
      var b = TileState(shape: saved.shape, k: ws.take(), t: saved.t.map { _ in ws.take() })
      b.k.update(from: saved.k, count: inCount)
      if let t = b.t, let st = saved.t { t.update(from: st, count: inCount) }
      run(x, &b)
      let wgt = weights?[i] ?? 1, count = b.shape.entries * nk
      if let a = acc {
        for e in 0..<count { a.k[e] += wgt * b.k[e] }
        if let at = a.t, let bt = b.t { for e in 0..<count { at[e] += wgt * bt[e] } }
        ws.give(b.k)
        if let t = b.t { ws.give(t) }
        acc = a
      } else {
        if wgt != 1 {
          for e in 0..<count { b.k[e] *= wgt }
          if let t = b.t { for e in 0..<count { t[e] *= wgt } }
        }
        acc = b
      }
    }
    ws.give(saved.k)
    if let t = saved.t { ws.give(t) }
    ws.give(s.k)
    if let t = s.t { ws.give(t) }
    if let acc { s = acc }
  }
}
