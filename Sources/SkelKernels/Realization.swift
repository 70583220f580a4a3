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
