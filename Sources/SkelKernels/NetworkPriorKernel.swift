import SkelMath

/// The neural-network prior kernel of any `Network` value (Amid et al. 2022; neural-tangents'
/// `monte_carlo_kernel_fn(init_fn, apply_fn, key, n_samples)(x, x, 'nngp')`):
/// K_m = (1/m) Σ_s f_s(X) f_s(X)ᵀ / k over m finite random networks f_s of the value's law
/// (`Network.initialize`), k the output width. Its mean is the NNPK of that finite width; as the
/// widths grow it tends to the value's infinite-width NNGP (`Network.kernel`).
extension PriorKernel {
  /// Runs m random networks of `net` (widths left out: `defaultWidth`) on the batch and calls
  /// `checkpoint(m′, K_{m′})` after each m′ in `checkpoints` (ascending). Network s draws its
  /// weights and its dropout masks from (seed, label, s), so the result is the same for any number
  /// of threads; networks run on `compute`'s threads.
  public static func estimate(
    _ net: Network, inputs x: InputBatch, defaultWidth: Int, checkpoints: [Int], seed: UInt64, label: String,
    compute: Compute = .allCores, checkpoint: (Int, Matrix) throws -> Void
  ) throws {
    // shape errors before any network is drawn (the same as each draw would throw)
    _ = try net.initializationCost(inputShape: x.shape, defaultWidth: defaultWidth)
    try accumulate(count: x.count, checkpoints: checkpoints, compute: compute, checkpoint: checkpoint) { s, part in
      var g = SeededGenerator(seed: seed, label: "\(label) network \(s)")
      let f = try net.initialize(inputShape: x.shape, defaultWidth: defaultWidth, seed: g.next())
      let y = f.apply(x, dropoutSeed: g.next())
      let k = y.shape.spatial.reduce(y.shape.channels, *)
      accumulateGram(Matrix(rows: x.count, columns: k, storage: y.storage), scale: 1 / Double(k), into: &part)
    }
  }

  /// The running sum of `add(s, &part)` over networks s, in fixed chunks of `chunk` each summed
  /// from zero on one thread (BLAS single-threaded inside), then added to the running sum in chunk
  /// order: the same additions in the same order for any number of threads. At each checkpoint
  /// m′ the mirrored sum / m′ is handed on.
  static func accumulate(
    count n: Int, checkpoints: [Int], compute: Compute, checkpoint: (Int, Matrix) throws -> Void,
    add: @Sendable (Int, inout Matrix) throws -> Void
  ) throws {
    var sum = Matrix(rows: n, columns: n)
    let chunk = 4
    let batch = 4 * max(1, compute.threads)
    var s = 0
    try Compute.singleThreadedBLAS {
      for target in checkpoints {
        while s < target {
          let starts = Array(stride(from: s, to: target, by: chunk).prefix(batch))
          let partials = compute.map(starts.count) { c -> Result<Matrix, any Error> in
            Result {
              var part = Matrix(rows: n, columns: n)
              for net0 in starts[c]..<min(starts[c] + chunk, target) { try add(net0, &part) }
              return part
            }
          }
          for p in partials {
            let part = try p.get()
            for i in sum.storage.indices { sum.storage[i] += part.storage[i] }
          }
          s = min(target, (starts.last ?? s) + chunk)
        }
        var k = sum
        k.mirrorUpperTriangle()
        for i in k.storage.indices { k.storage[i] /= Double(target) }
        try checkpoint(target, k)
      }
    }
  }
}

/// What drawing and running one finite network costs, known from the shapes alone.
public struct FiniteNetworkCost: Sendable, Hashable {
  /// Weights and biases drawn.
  public var parameters: Double
  /// Multiply-adds ×2 of one input's forward pass (the dense and conv layers; im2col rows ×
  /// fan-in × width for a conv).
  public var flopsPerInput: Double
  /// The largest number of values one input holds inside the network (its widest layer).
  public var valuesPerInput: Double
  /// The output's values per input (k).
  public var outputs: Int

  public init(parameters: Double, flopsPerInput: Double, valuesPerInput: Double, outputs: Int) {
    self.parameters = parameters
    self.flopsPerInput = flopsPerInput
    self.valuesPerInput = valuesPerInput
    self.outputs = outputs
  }
}

extension Network {
  /// The size of a finite network of this law on inputs of `inputShape`, without drawing it; it
  /// refuses what `initialize` refuses.
  public func initializationCost(inputShape: InputShape, defaultWidth: Int = Network.defaultWidth) throws(NetworkShapeError)
    -> FiniteNetworkCost
  {
    let (node, out) = try compileFinite(inputShape, defaultWidth: defaultWidth)
    var positions = Double(inputShape.spatial.reduce(1, *))
    var widest = Double(inputShape.spatial.reduce(inputShape.channels, *))
    let flops = node.forwardFlops(positions: &positions, widest: &widest)
    return FiniteNetworkCost(
      parameters: node.parameterCount, flopsPerInput: flops, valuesPerInput: widest,
      outputs: out.spatial.reduce(out.channels, *))
  }
}

extension KernelNode {
  /// Forward flops per input from here on, with `positions` the spatial positions of the values
  /// coming in (updated to those going out) and `widest` the most values one input held so far.
  func forwardFlops(positions: inout Double, widest: inout Double) -> Double {
    switch self {
    case .affine(_, _, _, let window, let c, let width):
      if let window { positions = Double(window.h.outSize * window.w.outSize) }
      let fanIn = Double(c * (window?.size ?? 1))
      widest = max(widest, positions * Double(width), window == nil ? 0 : positions * fanIn)
      return 2 * positions * fanIn * Double(width)
    case .pool(let window, _):
      positions = Double(window.h.outSize * window.w.outSize)
      return 0
    case .globalPool, .flatten:
      positions = 1
      return 0
    case .activation, .layerNorm, .dropout: return 0
    case .serial(let xs): return xs.reduce(0) { $0 + $1.forwardFlops(positions: &positions, widest: &widest) }
    case .repeated(let x, let n): return (0..<n).reduce(0) { a, _ in a + x.forwardFlops(positions: &positions, widest: &widest) }
    case .parallel(let xs, _):
      let start = positions
      var total = 0.0, out = start
      for (i, x) in xs.enumerated() {
        var p = start
        total += x.forwardFlops(positions: &p, widest: &widest)
        if i == 0 { out = p }
      }
      positions = out
      return total
    }
  }
}
