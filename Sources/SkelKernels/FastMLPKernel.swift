import CBLAS
import CFastKernels
import SkelMath

/// The fast path for the commonest network of the field: `serial([Dense(w, b), abReLU] × L,
/// Dense(w_out, b_out))` on a symmetric Gram matrix. The upper triangle is cut into tiles; each
/// tile runs all L layers while it sits in cache (AVX2 with libmvec's vector arccos, or scalar),
/// and tiles run on all cores. The diagonal is recomputed exactly (c = 1, θ = 0), where a
/// vector arccos of 1 − ε would give θ ≈ √(2ε).
public enum FastMLPKernel {
  /// The network's parameters, when a layer spec has this shape.
  public struct Shape: Sendable, Equatable {
    public var depth: Int
    public var w2: Double, b2: Double, wOut2: Double, bOut2: Double
    public var a: Double, b: Double
    public init(depth: Int, w2: Double, b2: Double, wOut2: Double, bOut2: Double, a: Double, b: Double) {
      self.depth = depth
      self.w2 = w2
      self.b2 = b2
      self.wOut2 = wOut2
      self.bOut2 = bOut2
      self.a = a
      self.b = b
    }
  }

  /// Recognises serial([Dense, abReLU] × L, Dense) in NT parameterization, however nested.
  public static func shape(of spec: LayerSpec) -> Shape? {
    var flat: [LayerSpec] = []
    func walk(_ s: LayerSpec) -> Bool {
      switch s {
      case .serial(let xs): return xs.allSatisfy(walk)
      case .repeated(let x, let n):
        for _ in 0..<n { if !walk(x) { return false } }
        return true
      case .identity: return true
      default:
        flat.append(s)
        return flat.count <= 200_003
      }
    }
    guard walk(spec), flat.count >= 3, flat.count % 2 == 1 else { return nil }
    guard case .dense(let w, let b, .ntk) = flat[0], case .activation(.abRelu(let sa, let sb)) = flat[1] else { return nil }
    for k in stride(from: 0, to: flat.count - 1, by: 2) {
      guard flat[k] == .dense(wStd: w, bStd: b, parameterization: .ntk), flat[k + 1] == .activation(.abRelu(a: sa, b: sb)) else {
        return nil
      }
    }
    guard case .dense(let wo, let bo, .ntk) = flat[flat.count - 1] else { return nil }
    return Shape(depth: flat.count / 2, w2: w * w, b2: (b ?? 0) * (b ?? 0), wOut2: wo * wo, bOut2: (bo ?? 0) * (bo ?? 0), a: sa, b: sb)
  }

  /// NNGP (and NTK) Gram matrices from the input Gram `k0` (symmetric n × n, NT's ⟨x, x′⟩/d),
  /// tiles on `compute`'s threads.
  public static func run(
    _ shape: Shape, inputGram k0: Matrix, computeNTK: Bool, tile: Int = 64, forceScalar: Bool = false, compute: Compute
  ) -> (nngp: Matrix, ntk: Matrix?) {
    let n = k0.rows
    let q = (0..<n).map { k0[$0, $0] }
    let (vb, ivb) = variances(shape, diagonal: q, tile: tile)
    let blocks = (n + tile - 1) / tile
    let pairs: [(Int, Int)] = (0..<blocks).flatMap { bi in (bi..<blocks).map { (bi, $0) } }
    // Every tile reads its block of k0 and writes its blocks of the outputs; the mirror and the
    // diagonal below write the rest, so the outputs are never cleared or copied whole.
    func tiles(_ kp: SendablePointer<Double>, _ tp: SendablePointer<Double>?) {
      k0.storage.withUnsafeBufferPointer { inb in
        guard let base = inb.baseAddress else { return }  // n = 0: no tiles
        let ip = SendablePointer(UnsafeMutablePointer(mutating: base))
        compute.forEach(pairs.count) { p in
          let (bi, bj) = pairs[p]
          runTile(
            shape, bi, bj, n: n, tile: tile, input: ip.pointer + bi * tile * n + bj * tile, inputStride: n, nngp: kp, ntk: tp,
            vb: vb, ivb: ivb, forceScalar: forceScalar)
        }
      }
    }
    // tiles write their mirror images too; then the exact diagonal
    var ntk: Matrix? = nil
    var nngp = Matrix(rows: n, columns: n) { kb in
      guard let kBase = kb.baseAddress else { return }  // n = 0: nothing to write
      let kp = SendablePointer(kBase)
      if computeNTK {
        ntk = Matrix(rows: n, columns: n) { tb in tb.baseAddress.map { tiles(kp, SendablePointer($0)) } }
      } else {
        tiles(kp, nil)
      }
    }
    exactDiagonal(shape, q, nngp: &nngp, ntk: &ntk)
    return (nngp, ntk)
  }

  /// ⟨xᵢ, xᵢ⟩/d for every row of X: the diagonal of the input Gram matrix.
  static func meanSquares(_ x: Matrix) -> [Double] {
    let n = x.rows, d = x.columns
    var q = [Double](repeating: 0, count: n)
    for i in 0..<n {
      var acc = 0.0
      for k in 0..<d { acc += x.storage[i * d + k] * x.storage[i * d + k] }
      q[i] = acc / Double(max(1, d))
    }
    return q
  }

  /// NNGP (and NTK) Gram matrices straight from the inputs X (n × d): the input Gram ⟨x, x′⟩/d is
  /// never stored whole. The upper triangle is cut into blocks of `block` × `block` (320: 800 KB,
  /// about one core's L2). Each block is one single-threaded `dgemm` into a scratch buffer (so the
  /// bytes do not depend on the thread count; diagonal blocks by `dsyrk`, half the flops); its
  /// tiles then run all layers while they sit in cache and write their results and mirror images
  /// into the outputs, which are written once (non-temporal stores) and never read. Blocks run on
  /// `compute`'s threads. At L = 1 the whole job costs little more than the Gram: at N = 4000 blocks of
  /// 256–512 measured within noise of each other, 320 the fastest median, and the fresh outputs
  /// are on huge pages (`HugePages`).
  public static func run(
    _ shape: Shape, inputs x: Matrix, computeNTK: Bool, tile: Int = 64, block: Int = 320, compute: Compute
  ) -> (nngp: Matrix, ntk: Matrix?) {
    let n = x.rows, d = x.columns
    precondition(block % tile == 0, "blocks are whole tiles")
    let q = meanSquares(x)
    let (vb, ivb) = variances(shape, diagonal: q, tile: tile)
    let tilesPerBlock = block / tile, blocks = (n + block - 1) / block
    let pairs: [(Int, Int)] = (0..<blocks).flatMap { bi in (bi..<blocks).map { (bi, $0) } }
    var ntk: Matrix? = nil
    var nngp = Matrix(rows: n, columns: n) { kb in
      func work(_ tp: SendablePointer<Double>?) {
        guard let kBase = kb.baseAddress else { return }  // n = 0: nothing to write
        let kp = SendablePointer(kBase)
        x.storage.withUnsafeBufferPointer { xb in
          guard let xBase = xb.baseAddress else { return }  // no inputs
          let xp = SendablePointer(UnsafeMutablePointer(mutating: xBase))
          Compute.singleThreadedBLAS {
            compute.forEach(pairs.count) { p in
              let (bi, bj) = pairs[p]
              let r0 = bi * block, c0 = bj * block
              let rows = min(block, n - r0), cols = min(block, n - c0)
              let scratch = UnsafeMutablePointer<Double>.allocate(capacity: rows * cols)
              defer { scratch.deallocate() }
              if bi == bj {
                // a diagonal block is symmetric: half the flops by dsyrk, then its lower half by mirror
                cblas_dsyrk(
                  CblasRowMajor, CblasUpper, CblasNoTrans, Int32(rows), Int32(d), 1 / Double(max(1, d)),
                  xp.pointer + r0 * d, Int32(d), 0, scratch, Int32(cols))
                Matrix.mirrorUpperTriangle(scratch, n: rows)
              } else {
                cblas_dgemm(
                  CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(cols), Int32(d), 1 / Double(max(1, d)),
                  xp.pointer + r0 * d, Int32(d), xp.pointer + c0 * d, Int32(d), 0, scratch, Int32(cols))
              }
              let tileRows = (n - r0 + tile - 1) / tile, tileCols = (n - c0 + tile - 1) / tile
              for ti in 0..<min(tilesPerBlock, tileRows) {
                for tj in 0..<min(tilesPerBlock, tileCols) where bj > bi || tj >= ti {
                  runTile(
                    shape, bi * tilesPerBlock + ti, bj * tilesPerBlock + tj, n: n, tile: tile,
                    input: scratch + ti * tile * cols + tj * tile, inputStride: cols, nngp: kp, ntk: tp, vb: vb, ivb: ivb,
                    forceScalar: false)
                }
              }
            }
          }
        }
      }
      if computeNTK {
        ntk = Matrix(rows: n, columns: n) { tb in tb.baseAddress.map { work(SendablePointer($0)) } }
      } else {
        work(nil)
      }
    }
    exactDiagonal(shape, q, nngp: &nngp, ntk: &ntk)
    return (nngp, ntk)
  }

  /// √ of the pre-activation variances per layer for each tile block (layer-major) and their
  /// reciprocals: the diagonal evolves on its own.
  static func variances(_ shape: Shape, diagonal q: [Double], tile: Int) -> (vb: [[Double]], ivb: [[Double]]) {
    let n = q.count, L = shape.depth
    let half = (shape.a * shape.a + shape.b * shape.b) / 2
    var v = [Double](repeating: 0, count: L * n)
    for i in 0..<n {
      var k = q[i]
      for l in 0..<L {
        let pre = shape.w2 * k + shape.b2
        v[l * n + i] = pre.squareRoot()
        k = half * pre
      }
    }
    let blocks = (n + tile - 1) / tile
    let vb: [[Double]] = (0..<blocks).map { bk in
      let r0 = bk * tile, size = min(tile, n - r0)
      var out = [Double](repeating: 0, count: L * size)
      for l in 0..<L { for r in 0..<size { out[l * size + r] = v[l * n + r0 + r] } }
      return out
    }
    return (vb, vb.map { $0.map { $0 > 0 ? 1 / $0 : 0 } })
  }

  /// All layers on tile (bi, bj) of the upper triangle (outputs n × n, row-major; the tile's input
  /// kernel at `input`, rows `inputStride` apart); off the diagonal the tile also writes its
  /// transpose onto tile (bj, bi).
  static func runTile(
    _ shape: Shape, _ bi: Int, _ bj: Int, n: Int, tile: Int, input: UnsafePointer<Double>, inputStride: Int, nngp: SendablePointer<Double>,
    ntk: SendablePointer<Double>?, vb: [[Double]], ivb: [[Double]], forceScalar: Bool
  ) {
    let r0 = bi * tile, c0 = bj * tile
    let rows = min(tile, n - r0), cols = min(tile, n - c0)
    let mirrored = bj > bi
    vb[bi].withUnsafeBufferPointer { v1 in
      vb[bj].withUnsafeBufferPointer { v2 in
        ivb[bi].withUnsafeBufferPointer { iv1 in
          ivb[bj].withUnsafeBufferPointer { iv2 in
            skel_abrelu_mlp_tile(
              input, inputStride, nngp.pointer + r0 * n + c0, ntk.map { $0.pointer + r0 * n + c0 }, rows, cols, n,
              Int32(shape.depth), shape.w2, shape.b2, shape.wOut2, shape.bOut2, shape.a, shape.b, v1.baseAddress, v2.baseAddress,
              iv1.baseAddress, iv2.baseAddress, mirrored ? nngp.pointer + c0 * n + r0 : nil,
              mirrored ? ntk.map { $0.pointer + c0 * n + r0 } : nil, forceScalar ? 1 : 0)
          }
        }
      }
    }
  }

  /// The diagonal by the scalar recursion (c = 1, θ = 0 exactly), where a vector arccos of 1 − ε
  /// would give θ ≈ √(2ε).
  static func exactDiagonal(_ shape: Shape, _ q: [Double], nngp: inout Matrix, ntk: inout Matrix?) {
    let n = q.count
    let (k, t) = exactDiagonal(shape, q)
    for i in 0..<n {
      nngp.storage[i * n + i] = k[i]
      ntk?.storage[i * n + i] = t[i]
    }
  }

  /// Whether this CPU takes the vector path.
  public static var usesAVX2: Bool { skel_fast_has_avx2() != 0 }

  /// The arccos implementations the benchmark compares (the tile kernel uses `.polynomial`).
  public enum Arccos: Int32, Sendable, CaseIterable {
    /// glibc's scalar `acos`.
    case scalar = 0
    /// glibc's libmvec `_ZGVdN4v_acos`, 4 doubles per call.
    case libmvec = 1
    /// Ours: one square root and a degree-11 polynomial per 4 doubles, ≤ 1.3e-16 relative error
    /// in asin (CFastKernels).
    case polynomial = 2
  }

  /// arccos of every value (in [-1, 1]) by one implementation; scalar without AVX2.
  public static func arccos(_ x: [Double], using implementation: Arccos) -> [Double] {
    [Double](unsafeUninitializedCapacity: x.count) { y, count in
      x.withUnsafeBufferPointer { skel_acos_array($0.baseAddress, y.baseAddress, x.count, implementation.rawValue) }
      count = x.count
    }
  }

  /// The benchmark's probe of the square-root or divide unit: `repeats` sweeps of AVX2 square
  /// roots (or reciprocals) over `x` (keep it in cache) on 8 independent chains, so the time per
  /// element is the unit's throughput; returns their sum (to be kept observable).
  public static func probe(squareRoots: Bool, over x: [Double], repeats: Int) -> Double {
    x.withUnsafeBufferPointer { skel_probe_sqrt_div($0.baseAddress, x.count, squareRoots ? 0 : 1, Int32(repeats)) }
  }
}

#if canImport(Glibc)
  import Glibc
#endif

// MARK: - Storage tiles

extension FastMLPKernel {
  /// The NNGP (and NTK) Gram matrices of inputs X (n × d) as storage tiles of side `tileSize` (a
  /// multiple of `block`), one at a time: tile (bi, bj), bi ≤ bj, row-major, handed to `sink` and
  /// then overwritten by the next, so memory is two tiles plus the threads' scratch whatever n is.
  /// Inside a tile the work is the fused path's: `block` × `block` strips of ⟨x, x′⟩/d by one
  /// single-threaded `dgemm` (`dsyrk` on the diagonal), all layers per 64 × 64 tile while it sits
  /// in cache, strips on `compute`'s threads; diagonal entries by the exact scalar recursion. The
  /// values are the in-memory path's bit for bit (the same strips, tiles and order of sums).
  public static func forEachTile(
    _ shape: Shape, inputs x: Matrix, computeNTK: Bool, tileSize: Int, tile: Int = 64, block: Int = 320, compute: Compute,
    where wanted: (_ bi: Int, _ bj: Int) -> Bool = { _, _ in true },
    sink: (_ bi: Int, _ bj: Int, _ nngp: UnsafeBufferPointer<Double>, _ ntk: UnsafeBufferPointer<Double>?) throws -> Void
  ) rethrows {
    let capacity = max(1, min(tileSize, x.rows) * min(tileSize, x.rows))
    let kBuf = UnsafeMutablePointer<Double>.allocate(capacity: capacity)
    let tBuf = computeNTK ? UnsafeMutablePointer<Double>.allocate(capacity: capacity) : nil
    for b in [kBuf, tBuf].compactMap({ $0 }) { HugePages.advise(UnsafeMutableRawBufferPointer(start: b, count: capacity * 8)) }
    defer {
      kBuf.deallocate()
      tBuf?.deallocate()
    }
    try forEachTile(
      shape, inputs: x, computeNTK: computeNTK, tileSize: tileSize, tile: tile, block: block, compute: compute, where: wanted,
      destination: { _, _, _ in (kBuf, tBuf) },
      filled: { bi, bj, count in
        try sink(bi, bj, UnsafeBufferPointer(start: kBuf, count: count), tBuf.map { UnsafeBufferPointer(start: $0, count: count) })
      })
  }

  /// `forEachTile` into buffers the caller hands out: `destination(bi, bj, count)` gives where
  /// tile (bi, bj)'s `count` NNGP (and NTK) entries go, `filled(bi, bj, count)` says they are
  /// there. A writer that owns the buffers (`SkelTiles.TileWritePipeline`) so never copies a
  /// tile. Only the tiles `wanted` are computed (a shard's share, or those not stored yet).
  public static func forEachTile(
    _ shape: Shape, inputs x: Matrix, computeNTK: Bool, tileSize: Int, tile: Int = 64, block: Int = 320, compute: Compute,
    where wanted: (_ bi: Int, _ bj: Int) -> Bool = { _, _ in true },
    destination: (_ bi: Int, _ bj: Int, _ count: Int) throws -> (nngp: UnsafeMutablePointer<Double>, ntk: UnsafeMutablePointer<Double>?),
    filled: (_ bi: Int, _ bj: Int, _ count: Int) throws -> Void
  ) rethrows {
    let n = x.rows
    precondition(block % tile == 0 && tileSize % block == 0 && tileSize > 0, "storage tiles are whole blocks, blocks whole tiles")
    let q = meanSquares(x)
    let (vb, ivb) = variances(shape, diagonal: q, tile: tile)
    let diagonal = exactDiagonal(shape, q)
    let tiles = (n + tileSize - 1) / tileSize
    // one scratch strip per strip of a tile, allocated once: fresh pages per strip cost their
    // zeroing (a tenth of the run at N = 12 000)
    let perSide = (min(tileSize, n) + block - 1) / block
    let pool = UnsafeMutablePointer<Double>.allocate(capacity: max(1, perSide * perSide * block * block))
    HugePages.advise(UnsafeMutableRawBufferPointer(start: pool, count: max(1, perSide * perSide * block * block) * 8))
    defer { pool.deallocate() }
    for bi in 0..<tiles {
      for bj in bi..<tiles where wanted(bi, bj) {
        let r0 = bi * tileSize, c0 = bj * tileSize
        let rows = min(tileSize, n - r0), cols = min(tileSize, n - c0)
        let (kBuf, tBuf) = try destination(bi, bj, rows * cols)
        fillTile(
          shape, x: x, r0: r0, c0: c0, rows: rows, cols: cols, symmetric: bi == bj, tile: tile, block: block,
          out: SendablePointer(kBuf), ntk: tBuf.map(SendablePointer.init), vb: vb, ivb: ivb, scratch: SendablePointer(pool),
          compute: compute)
        if bi == bj {
          for i in 0..<rows {
            kBuf[i * cols + i] = diagonal.nngp[r0 + i]
            tBuf?[i * cols + i] = diagonal.ntk[r0 + i]
          }
        }
        try filled(bi, bj, rows * cols)
      }
    }
  }

  /// One storage tile (rows r0 ..< r0 + rows, columns c0 ..< c0 + cols) into `out` (row-major,
  /// `cols` apart): its strips on `compute`'s threads; a diagonal tile computes its upper strips
  /// and mirrors them.
  static func fillTile(
    _ shape: Shape, x: Matrix, r0: Int, c0: Int, rows: Int, cols: Int, symmetric: Bool, tile: Int, block: Int,
    out: SendablePointer<Double>, ntk: SendablePointer<Double>?, vb: [[Double]], ivb: [[Double]], scratch pool: SendablePointer<Double>,
    compute: Compute
  ) {
    let d = x.columns
    let rb = (rows + block - 1) / block, cb = (cols + block - 1) / block
    let strips: [(Int, Int)] = (0..<rb).flatMap { i in ((symmetric ? i : 0)..<cb).map { (i, $0) } }
    x.storage.withUnsafeBufferPointer { xb in
      guard let xBase = xb.baseAddress else { return }
      let xp = SendablePointer(UnsafeMutablePointer(mutating: xBase))
      Compute.singleThreadedBLAS {
        compute.forEach(strips.count) { s in
          let (si, sj) = strips[s]
          let gr = r0 + si * block, gc = c0 + sj * block
          let sr = min(block, rows - si * block), sc = min(block, cols - sj * block)
          let scratch = pool.pointer + s * block * block  // this strip's own, reused from tile to tile
          let diagonalStrip = symmetric && si == sj
          if diagonalStrip {
            cblas_dsyrk(
              CblasRowMajor, CblasUpper, CblasNoTrans, Int32(sr), Int32(d), 1 / Double(max(1, d)), xp.pointer + gr * d, Int32(d), 0,
              scratch, Int32(sc))
            Matrix.mirrorUpperTriangle(scratch, n: sr)
          } else {
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasTrans, Int32(sr), Int32(sc), Int32(d), 1 / Double(max(1, d)), xp.pointer + gr * d,
              Int32(d), xp.pointer + gc * d, Int32(d), 0, scratch, Int32(sc))
          }
          let tr = (sr + tile - 1) / tile, tc = (sc + tile - 1) / tile
          for ti in 0..<tr {
            for tj in 0..<tc where !diagonalStrip || tj >= ti {
              let lr = si * block + ti * tile, lc = sj * block + tj * tile
              let mirrored = symmetric && (si != sj || tj > ti)
              subTile(
                shape, globalRow: r0 + lr, globalColumn: c0 + lc, rows: min(tile, rows - lr), cols: min(tile, cols - lc), tile: tile,
                input: scratch + ti * tile * sc + tj * tile, inputStride: sc, out: out.pointer + lr * cols + lc,
                ntk: ntk.map { $0.pointer + lr * cols + lc }, ld: cols,
                mirror: mirrored ? (out.pointer + lc * cols + lr, ntk.map { $0.pointer + lc * cols + lr }) : nil, vb: vb, ivb: ivb)
            }
          }
        }
      }
    }
  }

  /// The C kernel on one 64 × 64 tile whose first entry is (globalRow, globalColumn) of the matrix.
  static func subTile(
    _ shape: Shape, globalRow: Int, globalColumn: Int, rows: Int, cols: Int, tile: Int, input: UnsafePointer<Double>,
    inputStride: Int, out: UnsafeMutablePointer<Double>, ntk: UnsafeMutablePointer<Double>?, ld: Int,
    mirror: (UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>?)?, vb: [[Double]], ivb: [[Double]]
  ) {
    let ti = globalRow / tile, tj = globalColumn / tile
    vb[ti].withUnsafeBufferPointer { v1 in
      vb[tj].withUnsafeBufferPointer { v2 in
        ivb[ti].withUnsafeBufferPointer { iv1 in
          ivb[tj].withUnsafeBufferPointer { iv2 in
            skel_abrelu_mlp_tile(
              input, inputStride, out, ntk, rows, cols, ld, Int32(shape.depth), shape.w2, shape.b2, shape.wOut2, shape.bOut2, shape.a,
              shape.b, v1.baseAddress, v2.baseAddress, iv1.baseAddress, iv2.baseAddress, mirror?.0, mirror?.1 ?? nil, 0)
          }
        }
      }
    }
  }

  /// The exact diagonal (c = 1) of NNGP and NTK for inputs of mean squares q.
  static func exactDiagonal(_ shape: Shape, _ q: [Double]) -> (nngp: [Double], ntk: [Double]) {
    let half = (shape.a * shape.a + shape.b * shape.b) / 2
    var kk = [Double](repeating: 0, count: q.count), tt = kk
    for i in q.indices {
      var k = q[i], t = 0.0
      for _ in 0..<shape.depth {
        let s = shape.w2 * k + shape.b2
        t = s + shape.w2 * t
        k = half * s
        t *= half
      }
      kk[i] = shape.wOut2 * k + shape.bOut2
      tt[i] = kk[i] + shape.wOut2 * t
    }
    return (kk, tt)
  }
}
