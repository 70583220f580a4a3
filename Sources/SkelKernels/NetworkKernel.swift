import SkelMath

extension Network {
  /// The infinite-width NNGP and NTK of the network as NT 0.6.5's `kernel_fn(x1, x2, ('nngp', 'ntk'))`
  /// in float64: the Gram matrix of `x` (`x2` nil) or the cross-Gram between `x` and `x2`.
  ///
  /// The output must be a vector (end a spatial network with `flatten` or a global pool). An MLP
  /// on vectors (dense, activations, serial, repeat, fan_in_sum) runs on `LayerSpec`, whose deep
  /// ab-ReLU case is `FastMLPKernel`'s fused path; anything else runs pair by pair (`PairState`),
  /// keeping the full spatial covariance only when a later pool or global pool reads it.
  public func kernel(
    _ x: InputBatch, _ x2: InputBatch? = nil, computeNTK: Bool = true, defaultWidth: Int = Network.defaultWidth,
    compute: Compute = .allCores
  ) throws(NetworkShapeError) -> (nngp: Matrix, ntk: Matrix?) {
    if let x2, x2.shape != x.shape {
      throw NetworkShapeError(path: [], reason: "the two batches have different input shapes (\(x.shape) and \(x2.shape))")
    }
    try Self.check(input: x.shape)
    // NT's x1_is_x2: a second batch equal to the first within 1e-12 is the Gram matrix (dropout's
    // same-input factor applies on its diagonal)
    let x2 = x2.flatMap { b in b.count == x.count && zip(b.storage, x.storage).allSatisfy { abs($0 - $1) < 1e-12 } ? nil : b }
    let (node, out) = try compile(x.shape, defaultWidth: defaultWidth)
    guard out.spatial.isEmpty else {
      throw NetworkShapeError(path: [], reason: "the network's output \(out) has spatial axes: end it with flatten or a global pool")
    }
    if x.shape.spatial.isEmpty, let spec = node.layerSpec {
      return Self.layerSpecKernel(spec, x, x2, computeNTK: computeNTK, compute: compute)
    }
    return PairKernel.gram(node, x, x2, computeNTK: computeNTK, compute: compute)
  }

  /// The fused ReLU-MLP shape `kernel(_:_:)` runs this network with on vector inputs of
  /// `input`'s shape (`FastMLPKernel`, for batches of 32 or more), or `nil` when the network
  /// takes another path: a Gram matrix computed tile by tile with `FastMLPKernel.forEachTile`
  /// and this shape has the in-memory matrix's bits.
  public func fusedMLPShape(on input: InputShape, defaultWidth: Int = Network.defaultWidth) -> FastMLPKernel.Shape? {
    guard input.spatial.isEmpty, (try? Self.check(input: input)) != nil,
      let (node, out) = try? compile(input, defaultWidth: defaultWidth), out.spatial.isEmpty, let spec = node.layerSpec
    else { return nil }
    return FastMLPKernel.shape(of: spec)
  }

  /// The kernels of pairs of vector inputs with variances q₁ = ⟨x, x⟩/d, q₂ = ⟨x′, x′⟩/d and
  /// correlations ρ (covariance ρ√(q₁q₂)), one value per ρ: the curves of the `nngp`/`ntk` kinds.
  public func pairs(
    rho: [Double], q1: Double = 1, q2: Double = 1, computeNTK: Bool = true, defaultWidth: Int = Network.defaultWidth, dimension: Int = 1
  ) throws(NetworkShapeError) -> (nngp: [Double], ntk: [Double]?) {
    guard q1 >= 0, q2 >= 0, q1.isFinite, q2.isFinite else {
      throw NetworkShapeError(path: [], reason: "the input variances q1, q2 must be finite and ≥ 0 (got \(q1), \(q2))")
    }
    guard rho.allSatisfy({ abs($0) <= 1 }) else {
      throw NetworkShapeError(path: [], reason: "correlations must lie in [-1, 1]")
    }
    let (node, out) = try compile(InputShape(channels: dimension), defaultWidth: defaultWidth)
    guard out.spatial.isEmpty else { throw NetworkShapeError(path: [], reason: "pairs are for vector inputs") }
    if let spec = node.layerSpec,
      let k = try? spec.generic(.pairs(correlations: rho, q11: q1, q22: q2, computeNTK: computeNTK))
    {
      return (k.nngp.storage, k.ntk?.storage)
    }
    var self1 = PairRun.selfRun(), self2 = PairRun.selfRun()
    var s1 = PairState(h: 1, w: 1, full: false, nngp: [q1], ntk: [0])
    var s2 = PairState(h: 1, w: 1, full: false, nngp: [q2], ntk: [0])
    self1.run(node, &s1)
    self2.run(node, &s2)
    let root = (q1 * q2).squareRoot()
    var nngp: [Double] = [], ntk: [Double] = []
    for r in rho {
      var run = PairRun.pair(self1.tape, self2.tape)
      var s = PairState(h: 1, w: 1, full: false, nngp: [r * root], ntk: computeNTK ? [0] : nil)
      run.run(node, &s)
      nngp.append(s.nngp[0])
      ntk.append(s.ntk?[0] ?? 0)
    }
    return (nngp, computeNTK ? ntk : nil)
  }

  static func layerSpecKernel(_ spec: LayerSpec, _ x: InputBatch, _ x2: InputBatch?, computeNTK: Bool, compute: Compute) -> (
    nngp: Matrix, ntk: Matrix?
  ) {
    let d = x.shape.channels
    let m1 = Matrix(rows: x.count, columns: d, storage: x.storage)
    // the layer spec's errors (an activation on non-Gaussian inputs) were refused by shape inference
    guard let x2 else {
      let k = try? spec.kernel(inputs: m1, computeNTK: computeNTK, compute: compute)
      return (k?.nngp ?? Matrix(rows: 0, columns: 0), k?.ntk)
    }
    var cross = Matrix(rows: x.count, columns: x2.count)
    for i in 0..<x.count {
      for j in 0..<x2.count {
        var acc = 0.0
        for c in 0..<d { acc += x.storage[i * d + c] * x2.storage[j * d + c] }
        cross[i, j] = acc / Double(d)
      }
    }
    let q1 = FastMLPKernel.meanSquares(m1)
    let q2 = FastMLPKernel.meanSquares(Matrix(rows: x2.count, columns: d, storage: x2.storage))
    let state = KernelState(
      nngp: cross, ntk: computeNTK ? Matrix(rows: x.count, columns: x2.count) : nil, cov1: q1, cov2: q2, isGaussian: false)
    let k = try? spec.generic(state)
    return (k?.nngp ?? cross, k?.ntk)
  }
}

/// Gram and cross-Gram matrices pair by pair: each input's self run first (its same-position
/// variances at every activation and layer norm, and the Gram diagonal), then every pair of
/// distinct inputs on `compute`'s threads.
enum PairKernel {
  /// One input's self run: its tape and its Gram diagonal entries.
  typealias SelfRun = (tape: [[Double]], nngp: Double, ntk: Double)

  /// `tiles: false` keeps the pair engine for tileable networks too (the tile path's reference).
  static func gram(_ node: KernelNode, _ x: InputBatch, _ x2: InputBatch?, computeNTK: Bool, compute: Compute, tiles: Bool = true) -> (
    nngp: Matrix, ntk: Matrix?
  ) {
    let full = node.needsFullInput(after: false)
    let sp = x.shape.spatial
    let h = sp.count == 2 ? sp[0] : 1, w = sp.last ?? 1, c = x.shape.channels, size = x.size
    func selfRuns(_ b: InputBatch) -> [SelfRun] {
      compute.map(b.count) { i in
        b.storage.withUnsafeBufferPointer { p in
          let xi = UnsafeBufferPointer(rebasing: p[(i * size)..<((i + 1) * size)])
          var s = PairState.inputs(xi, xi, h: h, w: w, channels: c, full: full, ntk: computeNTK)
          var run = PairRun.selfRun()
          run.run(node, &s)
          return (run.tape, s.nngp[0], s.ntk?[0] ?? 0)
        }
      }
    }
    let program = tiles ? TileProgram(node, input: x.shape, computeNTK: computeNTK) : nil
    // the self runs on the tile path too where it can (no dropout), else pair by pair
    func selfRunsOf(_ b: InputBatch) -> [SelfRun] {
      program.flatMap { TileKernel.selfRuns($0, b, computeNTK: computeNTK, compute: compute) } ?? selfRuns(b)
    }
    let a = selfRunsOf(x), b = x2.map(selfRunsOf) ?? a
    let other = x2 ?? x
    let n1 = x.count, n2 = other.count
    if let program, TileKernel.rectangle(program) != nil {
      if let grid = TileKernel.rectangles(
        program, x, other, left: a.map(\.tape), right: b.map(\.tape), symmetric: x2 == nil, computeNTK: computeNTK,
        compute: compute)
      {
        return assemble(grid, a, n1, n2, symmetric: x2 == nil)
      }
    }
    let entries: [(Int, Int)] =
      x2 == nil ? (0..<n1).flatMap { i in ((i + 1)..<n1).map { (i, $0) } } : (0..<n1).flatMap { i in (0..<n2).map { (i, $0) } }
    let values: [(Double, Double)]
    if let program {
      let left = a.map { TileKernel.Side(tape: $0.tape) }
      let right = x2 == nil ? left : b.map { TileKernel.Side(tape: $0.tape) }
      values = TileKernel.values(program, x, other, left: left, right: right, entries: entries, computeNTK: computeNTK, compute: compute)
    } else {
      values = pairByPair(node, x, other, a, b, entries: entries, full: full, computeNTK: computeNTK, compute: compute)
    }
    var nngp = Matrix(rows: n1, columns: n2), ntk = Matrix(rows: n1, columns: n2)
    for (e, (i, j)) in entries.enumerated() {
      nngp[i, j] = values[e].0
      ntk[i, j] = values[e].1
      if x2 == nil {
        nngp[j, i] = values[e].0
        ntk[j, i] = values[e].1
      }
    }
    if x2 == nil {
      for i in 0..<n1 {
        nngp[i, i] = a[i].nngp
        ntk[i, i] = a[i].ntk
      }
    }
    return (nngp, computeNTK ? ntk : nil)
  }

  /// The Gram or cross-Gram matrices from the rectangles' n1 × n2 values (a Gram's: the pairs
  /// i < j, mirrored, and the self runs' diagonal).
  static func assemble(_ grid: (nngp: [Double], ntk: [Double]?), _ a: [SelfRun], _ n1: Int, _ n2: Int, symmetric: Bool) -> (
    nngp: Matrix, ntk: Matrix?
  ) {
    var nngp = Matrix(rows: n1, columns: n2, storage: grid.nngp)
    var ntk = grid.ntk.map { Matrix(rows: n1, columns: n2, storage: $0) }
    if symmetric {
      for i in 0..<n1 {
        nngp[i, i] = a[i].nngp
        ntk?[i, i] = a[i].ntk
        for j in 0..<i {
          nngp[i, j] = nngp[j, i]
          if let t = ntk?[j, i] { ntk?[i, j] = t }
        }
      }
    }
    return (nngp, ntk)
  }

  /// The pair engine on `entries`: every pair runs the layers with its sides' tapes.
  static func pairByPair(
    _ node: KernelNode, _ x: InputBatch, _ other: InputBatch, _ a: [SelfRun], _ b: [SelfRun], entries: [(Int, Int)], full: Bool,
    computeNTK: Bool, compute: Compute
  ) -> [(Double, Double)] {
    let sp = x.shape.spatial
    let h = sp.count == 2 ? sp[0] : 1, w = sp.last ?? 1, c = x.shape.channels, size = x.size
    return compute.map(entries.count) { e -> (Double, Double) in
      let (i, j) = entries[e]
      return x.storage.withUnsafeBufferPointer { p in
        other.storage.withUnsafeBufferPointer { q in
          let xi = UnsafeBufferPointer(rebasing: p[(i * size)..<((i + 1) * size)])
          let xj = UnsafeBufferPointer(rebasing: q[(j * size)..<((j + 1) * size)])
          var s = PairState.inputs(xi, xj, h: h, w: w, channels: c, full: full, ntk: computeNTK)
          var run = PairRun.pair(a[i].tape, b[j].tape)
          run.run(node, &s)
          return (s.nngp[0], s.ntk?[0] ?? 0)
        }
      }
    }
  }
}
