import SkelKernels

/// The kernels of a `Network` on vector inputs through the engine's `LayerSpec`, for the layers
/// `LayerSpec` has: dense ('ntk' parameterization), elementwise layers, identity, series,
/// repeats and parallel branches joined by `fan_in_sum` (`residual` included).
///
/// FOR THE LEAD: a stand-in written before net-engine's compiler of `Network` existed; when it
/// is merged, `NetworkKernelKind` and the regression kinds should call the engine instead, and
/// this file goes. The layers it does not have are refused before anything runs (`unsupported`).
enum NetworkLowering {
  /// The layer spec of `n`, or the first layer it cannot compute and why.
  static func layerSpec(_ n: Network) -> Result<LayerSpec, LoweringError> {
    switch n {
    case .dense(let d):
      guard d.parameterization == .ntk else { return .failure(LoweringError(layer: "dense(parameterization=standard)")) }
      return .success(.dense(d.wStd, bias: d.bStd))
    case .activation(let a): return .success(.activation(a))
    case .identity: return .success(.identity)
    case .serial(let xs): return all(xs).map { .serial($0) }
    case .repeated(let x, let k): return layerSpec(x).map { .repeated($0, count: k) }
    case .parallel(let xs, let fan):
      guard fan == .sum else { return .failure(LoweringError(layer: "fan_in_concat")) }
      return all(xs).map { .parallel($0, combine: .sum) }
    case .conv: return .failure(LoweringError(layer: "conv"))
    case .pool(let p): return .failure(LoweringError(layer: p.mode == .average ? "avg_pool" : "sum_pool"))
    case .globalPool(let m): return .failure(LoweringError(layer: m == .average ? "global_avg_pool" : "global_sum_pool"))
    case .flatten: return .success(.identity)  // Flatten of a vector is the vector
    case .layerNorm: return .failure(LoweringError(layer: "layer_norm"))
    case .dropout: return .failure(LoweringError(layer: "dropout"))
    }
  }

  static func all(_ xs: [Network]) -> Result<[LayerSpec], LoweringError> {
    var out: [LayerSpec] = []
    for x in xs {
      switch layerSpec(x) {
      case .success(let l): out.append(l)
      case .failure(let e): return .failure(e)
      }
    }
    return .success(out)
  }

  struct LoweringError: Error, Hashable {
    var layer: String
    var message: String {
      "the layer '\(layer)' is not computed on these inputs yet (the network engine of issue 18 computes it); this kind computes dense ('ntk' parameterization), elementwise layers, identity, flatten, repeat, residual and parallel … fan_in_sum"
    }
  }
}
