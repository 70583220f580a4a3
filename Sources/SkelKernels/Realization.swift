import SkelMath

/// Width-r random realizations N(S, r) of a computation skeleton (Daniely et al. 2016), sampled
/// exactly through Gram matrices: with Gaussian weights, given the previous layers, the r
/// pre-activations of node v at the two inputs are i.i.d. N(0, Σ̂_v), Σ̂_v = (1/δ(v)) Σ_{u∈in(v)} K̂_u,
/// where K̂_u is the empirical 2×2 kernel of node u (⟨xⁱ, yⁱ⟩ for an input node). So each node costs
/// O(r), not O(r²) weights (science.md §9 note). Activations are normalized (divided by √E[σ²]).
public enum Realization {
  /// The empirical kernel k_w(x, y) = ⟨R(x), R(y)⟩/r of one random realization.
  public static func empiricalKernel(
    _ s: Skeleton, inputCorrelations rho: [Double], width r: Int, generator g: inout SeededGenerator
  ) -> Double {
    // per node: (k11, k22, k12)
    var k = [(Double, Double, Double)](repeating: (1, 1, 0), count: s.nodes.count)
    var scale: [Activation: Double] = [:]
    for (idx, node) in s.nodes.enumerated() {
      switch node {
      case .input(let c):
        k[idx] = (1, 1, rho[c])
      case .hidden(let a, let inputs):
        let d = Double(inputs.count)
        var c11 = 0.0, c22 = 0.0, c12 = 0.0
        for u in inputs {
          c11 += k[u].0 / d
          c22 += k[u].1 / d
          c12 += k[u].2 / d
        }
        // identity (pooling) nodes are realized too: r random linear combinations, as in N(S, r)
        let norm = scale[a] ?? (1 / Dual.variance(a).squareRoot())
        scale[a] = norm
        // Cholesky of [[c11, c12], [c12, c22]]
        let l11 = c11.squareRoot(), l21 = l11 > 0 ? c12 / l11 : 0, l22 = max(0, c22 - l21 * l21).squareRoot()
        var s11 = 0.0, s22 = 0.0, s12 = 0.0
        for _ in 0..<r {
          let z1 = g.nextNormal(), z2 = g.nextNormal()
          let hu = a(l11 * z1) * norm, hv = a(l21 * z1 + l22 * z2) * norm
          s11 += hu * hu
          s22 += hv * hv
          s12 += hu * hv
        }
        k[idx] = (s11 / Double(r), s22 / Double(r), s12 / Double(r))
      }
    }
    return k[s.output].2
  }
}

/// Finite-width deep (leaky) ReLU networks with explicit weight matrices of any law (Tsuchida et
/// al. 2018, science.md §3(b) D2.2): every neuron's weight vector is drawn from the law and scaled
/// to the norm-preserving variance 2/(n_l(1 + a²)) per entry, so the normalized kernel cos θ^(l)
/// follows the weight-independent angle map as the width grows.
public enum ExplicitRealization {
  /// cos θ^(l) between x₀ = (1, 0) and each input (cos θ₀, sin θ₀) after each layer l = 1…depth,
  /// for one random network of width r: `result[l − 1][i]`.
  public static func normalizedKernels(
    thetas: [Double], width r: Int, depth: Int, slope a: Double, law: WeightLaw, generator g: inout SeededGenerator
  ) throws(AllocationGuard.Refusal) -> [[Double]] {
    let n = thetas.count + 1
    // the weights (fan-in × r) and the hidden values before and after a layer (n × r each)
    try AllocationGuard.check(doubles: Double(max(2, r)) * Double(r) + 3 * Double(n) * Double(r), "a width-\(r) realization on \(n) inputs")
    var h = Matrix(rows: n, columns: 2)
    h[0, 0] = 1
    for (i, t) in thetas.enumerated() {
      h[i + 1, 0] = cos(t)
      h[i + 1, 1] = sin(t)
    }
    var out: [[Double]] = []
    for _ in 0..<depth {
      let fanIn = h.columns
      let scale = (2 / (Double(fanIn) * (1 + a * a) * law.secondMomentFactor)).squareRoot()
      var w = Matrix(rows: fanIn, columns: r)
      for j in 0..<r {  // neuron j's weight vector: one draw of the law in R^{fan-in}
        let v = law.sample(fanIn, &g)
        for i in 0..<fanIn { w.storage[i * r + j] = scale * v[i] }
      }
      h = h * w
      for i in h.storage.indices where h.storage[i] < 0 { h.storage[i] *= a }
      var norms = [Double](repeating: 0, count: n), dots = [Double](repeating: 0, count: n)
      for i in 0..<n {
        for j in 0..<r {
          norms[i] += h[i, j] * h[i, j]
          dots[i] += h[0, j] * h[i, j]
        }
      }
      out.append((1..<n).map { dots[$0] / (norms[0] * norms[$0]).squareRoot() })
    }
    return out
  }
}

#if canImport(Glibc)
  import Glibc
#endif
