import SkelMath

/// How a dense layer scales its weights (neural-tangents' `parameterization`).
public enum Parameterization: Hashable, Sendable, Codable {
  /// z = (W_std/√N) W x + b_std b with W, b ~ N(0, 1): Σ ← W²Σ + b², Θ ← Σ_new + W²Θ.
  case ntk
  /// W ~ N(0, W_std²/N), b ~ N(0, b_std²): Σ ← W²Σ + b², Θ ← N·K + 𝟙[bias] + W²Θ, with N the fan-in.
  case standard(fanIn: Int)
}

/// A layer as data: hashable, printable and `Codable`, so a network is a cache key (the closure
/// NT keeps instead cannot be hashed). `kernel(_:)` compiles it into a state transform.
public indirect enum LayerSpec: Hashable, Sendable, Codable, CustomStringConvertible {
  case dense(wStd: Double, bStd: Double?, parameterization: Parameterization)
  case activation(Activation)
  case serial([LayerSpec])
  /// Fan-out to every branch, then combine (sum as NT's `FanInSum`, mean as Daniely's in-node averaging).
  case parallel([LayerSpec], combine: FanIn)
  case repeated(LayerSpec, count: Int)
  case identity

  public enum FanIn: String, Hashable, Sendable, Codable { case sum, mean }

  public static func dense(_ wStd: Double, bias bStd: Double? = nil) -> LayerSpec {
    .dense(wStd: wStd, bStd: bStd, parameterization: .ntk)
  }

  public var description: String {
    switch self {
    case .dense(let w, let b, let p):
      let bias = b.map { ", b_std=\($0)" } ?? ""
      if case .standard(let n) = p { return "Dense(W_std=\(w)\(bias), standard, fan_in=\(n))" }
      return "Dense(W_std=\(w)\(bias))"
    case .activation(let a): return a.description
    case .serial(let xs): return "serial(" + xs.map(\.description).joined(separator: ", ") + ")"
    case .parallel(let xs, let c): return "parallel[\(c.rawValue)](" + xs.map(\.description).joined(separator: ", ") + ")"
    case .repeated(let x, let n): return "repeat(\(x), \(n))"
    case .identity: return "Identity"
    }
  }

  /// The layer's kernel on the inputs X (rows), from NT's input kernel ⟨x, x′⟩/d. A deep ab-ReLU
  /// MLP takes the fused path of `FastMLPKernel` (Gram strips and layers in one pass); anything
  /// else starts from `KernelState.inputs`. The fast path runs on `compute`'s threads.
  public func kernel(inputs x: Matrix, computeNTK: Bool = true, compute: Compute = .allCores) throws(KernelError) -> KernelState {
    guard x.rows >= 32, let shape = FastMLPKernel.shape(of: self) else {
      return try kernel(.inputs(x, computeNTK: computeNTK), compute: compute)
    }
    let (nngp, ntk) = FastMLPKernel.run(shape, inputs: x, computeNTK: computeNTK, compute: compute)
    let variances = (0..<x.rows).map { nngp[$0, $0] }
    return KernelState(nngp: nngp, ntk: ntk, cov1: variances, cov2: variances, isGaussian: true)
  }

  /// Applies the layer to a kernel state. Pure: returns a new state.
  ///
  /// A deep ab-ReLU MLP on a symmetric input state (one batch with itself, larger than a few
  /// entries) takes the tiled, vectorized path of `FastMLPKernel` on `compute`'s threads;
  /// everything else the generic one.
  public func kernel(_ k: KernelState, compute: Compute = .allCores) throws(KernelError) -> KernelState {
    if k.nngp.rows == k.nngp.columns, k.nngp.rows >= 32, !k.isGaussian, k.cov1 == k.cov2,
      k.ntk.map({ $0.storage.allSatisfy { $0 == 0 } }) ?? true, let shape = FastMLPKernel.shape(of: self)
    {
      let (nngp, ntk) = FastMLPKernel.run(shape, inputGram: k.nngp, computeNTK: k.ntk != nil, compute: compute)
      let half = (shape.a * shape.a + shape.b * shape.b) / 2
      var variances = k.cov1
      for i in variances.indices {
        var q = variances[i]
        for _ in 0..<shape.depth { q = half * (shape.w2 * q + shape.b2) }
        variances[i] = shape.wOut2 * q + shape.bOut2
      }
      return KernelState(nngp: nngp, ntk: ntk, cov1: variances, cov2: variances, isGaussian: true)
    }
    return try generic(k)
  }

  /// The layer-by-layer path (no fast path at the top), for checking the fast one.
  public func generic(_ k: KernelState) throws(KernelError) -> KernelState {
    switch self {
    case .identity:
      return k
    case .dense(let w, let b, let p):
      return Self.dense(k, w: w, b: b ?? 0, hasBias: b != nil, parameterization: p)
    case .activation(let a):
      guard k.isGaussian else { throw .notGaussian(layer: a.description) }
      return Self.activate(k, a)
    case .serial(let layers):
      var state = k
      for l in layers { state = try l.generic(state) }
      return state
    case .repeated(let l, let n):
      var state = k
      for _ in 0..<n { state = try l.generic(state) }
      return state
    case .parallel(let branches, let combine):
      guard !branches.isEmpty else { return k }
      let outs = try branches.map { (l: LayerSpec) throws(KernelError) -> KernelState in try l.generic(k) }
      return Self.fanIn(outs, combine: combine)
    }
  }

  static func dense(_ k: KernelState, w: Double, b: Double, hasBias: Bool, parameterization: Parameterization) -> KernelState {
    let w2 = w * w, b2 = b * b
    var out = k
    for i in out.nngp.storage.indices { out.nngp.storage[i] = w2 * k.nngp.storage[i] + b2 }
    out.cov1 = k.cov1.map { w2 * $0 + b2 }
    out.cov2 = k.cov2.map { w2 * $0 + b2 }
    if var ntk = k.ntk {
      for i in ntk.storage.indices {
        switch parameterization {
        case .ntk: ntk.storage[i] = out.nngp.storage[i] + w2 * ntk.storage[i]
        case .standard(let n):
          ntk.storage[i] = Double(n) * k.nngp.storage[i] + (hasBias ? 1 : 0) + w2 * ntk.storage[i]
        }
      }
      out.ntk = ntk
    }
    out.isGaussian = true
    return out
  }

  static func activate(_ k: KernelState, _ a: Activation) -> KernelState {
    var out = k
    let n = k.nngp.columns
    for i in 0..<k.nngp.rows {
      for j in 0..<n {
        let v = a.kernel(q11: k.cov1[i], q22: k.cov2[j], q12: k.nngp[i, j])
        out.nngp[i, j] = v.nngp
        out.ntk?[i, j] *= v.dot
      }
    }
    out.cov1 = k.cov1.map { a.kernel(q11: $0, q22: $0, q12: $0).nngp }
    out.cov2 = k.cov2.map { a.kernel(q11: $0, q22: $0, q12: $0).nngp }
    out.isGaussian = false
    return out
  }

  static func fanIn(_ states: [KernelState], combine: FanIn) -> KernelState {
    var out = states[0]
    let scale = combine == .mean ? 1 / Double(states.count) : 1
    func add(_ xs: [[Double]]) -> [Double] { (0..<xs[0].count).map { i in xs.reduce(0) { $0 + $1[i] } * scale } }
    out.nngp.storage = add(states.map(\.nngp.storage))
    out.cov1 = add(states.map(\.cov1))
    out.cov2 = add(states.map(\.cov2))
    let ntks = states.compactMap(\.ntk)
    if ntks.count == states.count { out.ntk?.storage = add(ntks.map(\.storage)) }
    out.isGaussian = states.allSatisfy(\.isGaussian)
    return out
  }
}
