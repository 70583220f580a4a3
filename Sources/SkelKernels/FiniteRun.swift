import SkelMath

/// Runs a compiled network on finite values, taking the parameters in the order `draw` made them.
struct FiniteRun {
  let parameters: [Matrix]
  var rng: SeededGenerator
  var cursor = 0

  init(parameters: [Matrix], rng: SeededGenerator) {
    self.parameters = parameters
    self.rng = rng
  }

  mutating func run(_ node: KernelNode, _ v: inout FiniteValues) {
    switch node {
    case .affine(let w2, let b2, _, let window, let c, _):
      let weights = parameters[cursor]
      cursor += 1
      var bias: Matrix? = nil
      if b2 != nil {
        bias = parameters[cursor]
        cursor += 1
      }
      let x = window.map { FiniteOps.patches(v, $0) } ?? Matrix(rows: v.rows, columns: c, storage: v.data)
      var y = x * weights
      let scale = w2.squareRoot() / Double(weights.rows).squareRoot(), bStd = (b2 ?? 0).squareRoot()
      let width = weights.columns
      for r in 0..<y.rows {
        for j in 0..<width { y.storage[r * width + j] = scale * y.storage[r * width + j] + bStd * (bias?.storage[j] ?? 0) }
      }
      v = FiniteValues(n: v.n, h: window?.h.outSize ?? v.h, w: window?.w.outSize ?? v.w, c: width, data: y.storage)
    case .activation(let a):
      for i in v.data.indices { v.data[i] = a(v.data[i]) }
    case .layerNorm:
      FiniteOps.layerNorm(&v)
    case .dropout(let factor):
      let keep = 1 / factor
      for i in v.data.indices { v.data[i] = rng.nextUniform() < keep ? v.data[i] * factor : 0 }
    case .pool(let window, let average):
      v = FiniteOps.pool(v, window, average: average)
    case .globalPool(let average):
      v = FiniteOps.globalPool(v, average: average)
    case .flatten:
      v = FiniteValues(n: v.n, h: 1, w: 1, c: v.h * v.w * v.c, data: v.data)
    case .serial(let xs):
      for x in xs { run(x, &v) }
    case .repeated(let x, let k):
      for _ in 0..<k { run(x, &v) }
    case .parallel(let xs, let weights):
      var outs: [FiniteValues] = []
      for x in xs {
        var b = v
        run(x, &b)
        outs.append(b)
      }
      v = weights == nil ? FiniteOps.sum(outs) : FiniteOps.concat(outs)
    }
  }
}

enum FiniteOps {
  /// im2col: one row per (input, output position), columns (offset h, offset w, channel); a
  /// padded position reads 0.
  static func patches(_ v: FiniteValues, _ win: Window2) -> Matrix {
    let mh = win.h.outSize, mw = win.w.outSize, kh = win.h.window, kw = win.w.window, c = v.c
    let cols = kh * kw * c
    var p = Matrix(rows: v.n * mh * mw, columns: cols)
    for i in 0..<v.n {
      for oh in 0..<mh {
        for ow in 0..<mw {
          let row = ((i * mh + oh) * mw + ow) * cols
          for dh in 0..<kh {
            let ih = win.h.index[oh * kh + dh]
            if ih < 0 { continue }
            for dw in 0..<kw {
              let iw = win.w.index[ow * kw + dw]
              if iw < 0 { continue }
              let src = ((i * v.h + ih) * v.w + iw) * c, dst = row + (dh * kw + dw) * c
              for ch in 0..<c { p.storage[dst + ch] = v.data[src + ch] }
            }
          }
        }
      }
    }
    return p
  }

  /// NT's LayerNorm over channels: (x − mean)/√(ε + var) at every position, ε = 1e-12.
  static func layerNorm(_ v: inout FiniteValues) {
    let c = v.c
    for r in 0..<v.rows {
      var mean = 0.0, sq = 0.0
      for j in 0..<c { mean += v.data[r * c + j] }
      mean /= Double(c)
      for j in 0..<c { sq += (v.data[r * c + j] - mean) * (v.data[r * c + j] - mean) }
      let s = (1e-12 + sq / Double(c)).squareRoot()
      for j in 0..<c { v.data[r * c + j] = (v.data[r * c + j] - mean) / s }
    }
  }

  /// Average (divided by the window size, padding included: NT's `normalize_edges=False`) or sum.
  static func pool(_ v: FiniteValues, _ win: Window2, average: Bool) -> FiniteValues {
    let mh = win.h.outSize, mw = win.w.outSize, kh = win.h.window, kw = win.w.window, c = v.c
    let scale = average ? 1 / Double(win.size) : 1
    var out = [Double](repeating: 0, count: v.n * mh * mw * c)
    for i in 0..<v.n {
      for oh in 0..<mh {
        for ow in 0..<mw {
          let dst = ((i * mh + oh) * mw + ow) * c
          for dh in 0..<kh {
            let ih = win.h.index[oh * kh + dh]
            if ih < 0 { continue }
            for dw in 0..<kw {
              let iw = win.w.index[ow * kw + dw]
              if iw < 0 { continue }
              let src = ((i * v.h + ih) * v.w + iw) * c
              for ch in 0..<c { out[dst + ch] += scale * v.data[src + ch] }
            }
          }
        }
      }
    }
    return FiniteValues(n: v.n, h: mh, w: mw, c: c, data: out)
  }

  static func globalPool(_ v: FiniteValues, average: Bool) -> FiniteValues {
    let p = v.h * v.w, c = v.c
    let scale = average ? 1 / Double(p) : 1
    var out = [Double](repeating: 0, count: v.n * c)
    for i in 0..<v.n {
      for q in 0..<p { for ch in 0..<c { out[i * c + ch] += scale * v.data[(i * p + q) * c + ch] } }
    }
    return FiniteValues(n: v.n, h: 1, w: 1, c: c, data: out)
  }

  static func sum(_ outs: [FiniteValues]) -> FiniteValues {
    var s = outs[0]
    for o in outs.dropFirst() { for i in s.data.indices { s.data[i] += o.data[i] } }
    return s
  }

  /// Channels of every branch side by side at every position.
  static func concat(_ outs: [FiniteValues]) -> FiniteValues {
    let first = outs[0], total = outs.reduce(0) { $0 + $1.c }
    var data: [Double] = []
    data.reserveCapacity(first.rows * total)
    for r in 0..<first.rows {
      for o in outs { data.append(contentsOf: o.data[(r * o.c)..<((r + 1) * o.c)]) }
    }
    return FiniteValues(n: first.n, h: first.h, w: first.w, c: total, data: data)
  }
}
