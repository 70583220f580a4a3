import CFastKernels
import SkelMath

/// The tile path of a network with the diagonal covariance (a `flatten` readout: one entry per
/// position) on rectangles of input pairs: rows i0..<i0+bi of one batch against columns
/// j0..<j0+bj of the other, a block's kernels laid out [position][i][j]. Each side's per-position
/// values (the self runs' variances, their roots and reciprocal roots; the first conv's patches)
/// are tables [position][input] made once per Gram matrix, and the kernels read them in place: the
/// left side broadcast, the right side a vector over j. Nothing is copied per pair (the pair-list
/// blocks of `TileKernel.values` gather 6 × positions doubles a pair and activation).
///
/// A Gram matrix computes the rectangles that hold a pair i < j (those on the diagonal also
/// compute pairs i ≥ j, whose values are dropped: the diagonal is the self runs'); a cross-Gram
/// every rectangle. Memory: the tables, (3 × the tape's positions + the patch doubles) × inputs,
/// and per thread the workspace of `TileProgram.maxEntries × bi × bj` doubles.
extension TileKernel {
  /// Rows and columns of one rectangle for `program`, or nil when it runs on pair lists (the full
  /// covariance: one pair a block).
  static func rectangle(_ program: TileProgram) -> (rows: Int, columns: Int)? {
    guard !program.full, program.blockPairs >= 4 else { return nil }
    let columns = program.blockPairs >= 8 ? 8 : 4
    return (program.blockPairs / columns, columns)
  }

  /// Every side's tape as tables: for each tape entry c (P_c positions), the clamped variances,
  /// their square roots and reciprocal square roots, each [position][input] with `ld` columns
  /// (inputs past the batch repeat its last input, so padded rectangles stay finite).
  struct Columns: Sendable {
    let table: [Double]
    /// Where entry c's three tables start (raw, then roots, then reciprocal roots, each P_c × ld).
    let offsets: [Int]
    let positions: [Int]
    let ld: Int

    /// From the self runs' tapes, clamped and rooted as `Side` does (which is not kept: the
    /// tables are the only copy besides the tapes).
    init(tapes: [[[Double]]], ld: Int) {
      let entries = tapes.first?.count ?? 0
      let positions = (0..<entries).map { tapes[0][$0].count }
      var offsets: [Int] = [], total = 0
      for p in positions {
        offsets.append(total)
        total += 3 * p * ld
      }
      var table = [Double](repeating: 0, count: total)
      table.withUnsafeMutableBufferPointer { out in
        for c in 0..<entries {
          let p = positions[c], o = offsets[c]
          for n in 0..<ld {
            let values = tapes[min(n, tapes.count - 1)][c]
            for pos in 0..<p {
              let v = max(values[pos], 0), r = v.squareRoot()
              out[o + pos * ld + n] = v
              out[o + (p + pos) * ld + n] = r
              out[o + (2 * p + pos) * ld + n] = r > 0 ? 1 / r : 0
            }
          }
        }
      }
      self.table = table
      self.positions = positions
      self.offsets = offsets
      self.ld = ld
    }
  }

  /// A batch's first-layer patches as one table [position][tap·channel][input] with `ld` columns
  /// (the last input repeated past the batch): the first conv's windows (0 where `same` padding
  /// reads outside), or without a first conv each position's channels (a window of one tap).
  struct PatchColumns: Sendable {
    let values: [Double]
    let width: Int
    let positions: Int
    let ld: Int

    init(_ x: InputBatch, _ win: Window2?, ld: Int) {
      let c = x.shape.channels, size = x.size, sp = x.shape.spatial
      let inW = sp.last ?? 1
      let kh = win?.h.window ?? 1, kw = win?.w.window ?? 1
      let mh = win?.h.outSize ?? (sp.count == 2 ? sp[0] : 1), mw = win?.w.outSize ?? inW
      let width = kh * kw * c, positions = mh * mw
      // the window's input index per output position and tap (−1: padding), as AxisWindow.index
      let hIndex = win?.h.index ?? Array(0..<mh), wIndex = win?.w.index ?? Array(0..<mw)
      var v = [Double](repeating: 0, count: positions * width * ld)
      x.storage.withUnsafeBufferPointer { xs in
        v.withUnsafeMutableBufferPointer { out in
          for oh in 0..<mh {
            for ow in 0..<mw {
              for dh in 0..<kh {
                let ih = hIndex[oh * kh + dh]
                guard ih >= 0 else { continue }
                for dw in 0..<kw {
                  let iw = wIndex[ow * kw + dw]
                  guard iw >= 0 else { continue }
                  for ch in 0..<c {
                    let row = (((oh * mw + ow) * kh + dh) * kw + dw) * c + ch, at = (ih * inW + iw) * c + ch
                    for n in 0..<ld { out[row * ld + n] = xs[min(n, x.count - 1) * size + at] }
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
      self.ld = ld
    }
  }

  /// One rectangle as `TileRun` reads it: the two sides' tables and the rectangle's corner.
  struct Rectangle: Sendable {
    let left: Columns
    let right: Columns
    let leftPatches: PatchColumns
    let rightPatches: PatchColumns
    var i0 = 0
    var j0 = 0
    let rows: Int
    let columns: Int
  }

  /// NNGP and NTK of every pair (i, j) of `x` × `other` (n1 × n2, row-major), or of the pairs i < j
  /// only when `symmetric` (`other` is `x`; the rest of the arrays stays 0), with the self runs'
  /// tapes of both batches; nil when the program runs on pair lists.
  static func rectangles(
    _ program: TileProgram, _ x: InputBatch, _ other: InputBatch, left: [[[Double]]], right: [[[Double]]], symmetric: Bool,
    computeNTK: Bool,
    compute: Compute
  ) -> (nngp: [Double], ntk: [Double]?)? {
    guard let (bi, bj) = rectangle(program) else { return nil }
    let n1 = x.count, n2 = other.count
    guard n1 > 0, n2 > 0 else { return ([Double](repeating: 0, count: n1 * n2), computeNTK ? [Double](repeating: 0, count: n1 * n2) : nil) }
    let ld1 = (n1 + bi - 1) / bi * bi, ld2 = (n2 + bj - 1) / bj * bj
    let cl = Columns(tapes: left, ld: ld1), pl = PatchColumns(x, program.firstConv, ld: ld1)
    let share = symmetric && ld1 == ld2
    let cr = share ? cl : Columns(tapes: right, ld: ld2), pr = share ? pl : PatchColumns(other, program.firstConv, ld: ld2)
    let shape = Rectangle(left: cl, right: cr, leftPatches: pl, rightPatches: pr, rows: bi, columns: bj)
    let blocks: [(Int, Int)] = (0..<(ld1 / bi)).flatMap { r in
      (0..<(ld2 / bj)).filter { c in !symmetric || r * bi < min((c + 1) * bj, n2) - 1 }.map { (r, $0) }
    }
    var nngp = [Double](repeating: 0, count: n1 * n2)
    var ntk = [Double](repeating: 0, count: computeNTK ? n1 * n2 : 0)
    let tasks = min(blocks.count, compute.threads * 8)
    nngp.withUnsafeMutableBufferPointer { kb in
      ntk.withUnsafeMutableBufferPointer { tb in
        guard let kBase = kb.baseAddress else { return }
        let kOut = SendablePointer(kBase), tOut = tb.baseAddress.map(SendablePointer.init)
        compute.forEach(tasks) { task in
          let ws = TileWorkspace(capacity: program.maxEntries * bi * bj)
          var block = task
          while block < blocks.count {
            var rect = shape
            rect.i0 = blocks[block].0 * bi
            rect.j0 = blocks[block].1 * bj
            var run = TileRun(ws: ws, nk: bi * bj, pairs: [], left: [], right: [], rect: rect)
            var s = run.rectangleInputs(x, program: program, ntk: computeNTK)
            run.run(program.rest, &s)
            for i in 0..<bi where rect.i0 + i < n1 {
              for j in 0..<bj where rect.j0 + j < n2 && (!symmetric || rect.i0 + i < rect.j0 + j) {
                let e = (rect.i0 + i) * n2 + rect.j0 + j
                kOut.pointer[e] = s.k[i * bj + j]
                if let tOut, let t = s.t { tOut.pointer[e] = t[i * bj + j] }
              }
            }
            ws.give(s.k)
            if let t = s.t { ws.give(t) }
            block += tasks
          }
        }
      }
    }
    return (nngp, computeNTK ? ntk : nil)
  }
}

extension TileRun {
  /// The input kernel of the rectangle: each position's patches of row i against column j, over
  /// the channel count C (`skel_rect_inputs`); Θ = 0.
  func rectangleInputs(_ x: InputBatch, program: TileProgram, ntk: Bool) -> TileState {
    guard let r = rect else { preconditionFailure("a rectangle run") }
    let sp = x.shape.spatial
    var shape = TileShape(h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, full: false)
    if let win = program.firstConv {
      shape.h = win.h.outSize
      shape.w = win.w.outSize
    }
    let k = ws.take()
    let pl = r.leftPatches, pr = r.rightPatches
    pl.values.withUnsafeBufferPointer { a in
      pr.values.withUnsafeBufferPointer { b in
        guard let la = a.baseAddress, let rb = b.baseAddress else { return }
        skel_rect_inputs(
          k, pl.positions, pl.width, r.rows, r.columns, la + r.i0, pl.ld, rb + r.j0, pr.ld, 1 / Double(x.shape.channels))
      }
    }
    return inputState(shape, k: k, ntk: ntk)
  }

  /// Runs `body` with tape entry `c`'s tables of both sides (variances, roots, reciprocal roots)
  /// at the rectangle's corner, and the tables' row strides.
  func withSides(_ c: Int, _ body: ([UnsafePointer<Double>], Int, Int) -> Void) {
    guard let r = rect else { return }
    r.left.table.withUnsafeBufferPointer { a in
      r.right.table.withUnsafeBufferPointer { b in
        guard let la = a.baseAddress, let rb = b.baseAddress else { return }
        let p1 = r.left.positions[c] * r.left.ld, p2 = r.right.positions[c] * r.right.ld
        let l = la + r.left.offsets[c] + r.i0, rr = rb + r.right.offsets[c] + r.j0
        body([l, l + p1, l + 2 * p1, rr, rr + p2, rr + 2 * p2], r.left.ld, r.right.ld)
      }
    }
  }

  /// `activate` on a rectangle: the ab-ReLU kernel with the affine map before it, reading the
  /// sides' tables in place (`skel_abrelu_rect_roots`).
  mutating func activateRectangle(_ s: TileState, _ sa: Double, _ sb: Double, affine: [Double]?) {
    guard let r = rect else { return }
    let p = s.shape.positions
    withSides(cursor) { g, ld1, ld2 in
      skel_abrelu_rect_roots(s.k, s.t, p, r.rows, r.columns, g[0], g[1], g[2], ld1, g[3], g[4], g[5], ld2, sa, sb, affine)
    }
    cursor += 1
  }

  /// `layerNorm` on a rectangle: Σ(a, a) / √((ε + Σ₁(a, a))(ε + Σ₂(a, a))), Θ alike.
  mutating func layerNormRectangle(_ s: TileState) {
    guard let r = rect else { return }
    let p = s.shape.positions, eps = 1e-12
    withSides(cursor) { g, ld1, ld2 in
      for a in 0..<p {
        for i in 0..<r.rows {
          let e0 = (a * r.rows + i) * r.columns, v1 = g[0][a * ld1 + i]
          for j in 0..<r.columns {
            let root = ((eps + v1) * (eps + g[3][a * ld2 + j])).squareRoot()
            s.k[e0 + j] /= root
            s.t?[e0 + j] /= root
          }
        }
      }
    }
    cursor += 1
  }
}
