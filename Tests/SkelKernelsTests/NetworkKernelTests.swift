import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

/// Kernels of whole networks: science.md §7.3 (deep ReLU), §4(c) (bias, two architectures).
@Suite struct NetworkKernelTests {
  static let sqrt2 = 2.0.squareRoot()

  /// (nngp, ntk) at ρ and at the diagonal for unit-variance inputs.
  func pair(_ net: LayerSpec, rho: Double) throws -> (nngp: Double, ntk: Double, nngpDiag: Double, ntkDiag: Double) {
    let k = try net.kernel(.pairs(correlations: [rho, 1]))
    return (k.nngp[0, 0], k.ntk![0, 0], k.nngp[0, 1], k.ntk![0, 1])
  }

  /// `serial([Dense(√2), Relu] × L, Dense(1))`, no bias, ρ = 0.5.
  @Test(arguments: [
    (1, 0.608997781044, 0.942331114378, 2.0), (2, 0.683905650899, 1.351479561123, 3), (3, 0.738128192301, 1.737844679215, 4),
    (5, 0.810454201005, 2.462893132458, 6),
  ])
  func deepRelu(depth: Int, nngp: Double, ntk: Double, ntkDiag: Double) throws {
    let net = LayerSpec.serial([.repeated(.serial([.dense(Self.sqrt2), .activation(.relu)]), count: depth), .dense(1)])
    let k = try pair(net, rho: 0.5)
    expectClose(k.nngp, nngp, relative: 1e-12, absolute: 6e-13, "NNGP L=\(depth)")
    expectClose(k.ntk, ntk, relative: 1e-12, absolute: 6e-13, "NTK L=\(depth)")
    expectClose(k.ntkDiag, ntkDiag, relative: 1e-12, "NTK diag L=\(depth)")
    expectClose(k.nngpDiag, 1, relative: 1e-12, "NNGP diag preserved")
  }

  /// NT reference with bias: W_std = √2 in every hidden layer, b_std = 1, readout (1, 1).
  @Test(arguments: [
    (1, 2.088160798907, 2.820440326106, 2.5, 4.0), (2, 2.644843804710, 4.482741902138, 3.0, 6.5),
    (3, 3.185308774538, 6.484032251021, 3.5, 9.5),
  ])
  func biasedRelu(depth: Int, nngp: Double, ntk: Double, nngpDiag: Double, ntkDiag: Double) throws {
    let hidden = LayerSpec.serial([.dense(Self.sqrt2, bias: 1), .activation(.relu)])
    let net = LayerSpec.serial([.repeated(hidden, count: depth), .dense(1, bias: 1)])
    let k = try pair(net, rho: 0.5)
    expectClose(k.nngp, nngp, relative: 1e-12, absolute: 6e-13)
    expectClose(k.ntk, ntk, relative: 1e-12, absolute: 6e-13)
    expectClose(k.nngpDiag, nngpDiag, relative: 1e-12)
    expectClose(k.ntkDiag, ntkDiag, relative: 1e-12)
  }

  /// Chen, Li, Lin's architecture (§4(a)): unit-norm inputs with ⟨x, x′⟩ = 0.5; first layer
  /// W_std = √d (here the pair state is already ⟨x, x′⟩, so W_std = 1), then [Dense(√2, 1), Relu].
  @Test(arguments: [
    (1, 2.576004215104, 3.730924030860, 5.0), (2, 3.624186269131, 6.716031231423, 9), (3, 4.658921451003, 10.440850083168, 14),
  ])
  func chenArchitecture(depth: Int, sigma: Double, ntk: Double, ntkDiag: Double) throws {
    let net = LayerSpec.serial([
      .dense(1, bias: 1), .activation(.relu),
      .repeated(.serial([.dense(Self.sqrt2, bias: 1), .activation(.relu)]), count: depth - 1),
      .dense(Self.sqrt2, bias: 1),
    ])
    let k = try pair(net, rho: 0.5)
    expectClose(k.nngp, sigma, relative: 1e-12, absolute: 6e-13, "Σ^(L+1), L=\(depth)")
    expectClose(k.ntk, ntk, relative: 1e-12, absolute: 6e-13, "K^(L+1), L=\(depth)")
    expectClose(k.ntkDiag, ntkDiag, relative: 1e-12, "K(x,x), L=\(depth)")
  }

  /// Gram-matrix route (BLAS) = pair route, entry by entry, on random inputs.
  @Test func gramRouteMatchesPairs() throws {
    var g = SeededGenerator(seed: 3)
    let n = 6, d = 20
    let x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in g.nextUniform() - 0.5 })
    let net = LayerSpec.serial([
      .dense(1.3, bias: 0.2), .activation(.erf(a: 1, b: 1, c: 0)), .dense(1.5, bias: 0.1), .activation(.relu), .dense(1),
    ])
    let k = try net.kernel(.inputs(x))
    let input = KernelState.inputs(x)
    for i in 0..<n {
      for j in 0..<n {
        let pairState = KernelState(
          nngp: Matrix(rows: 1, columns: 1, storage: [input.nngp[i, j]]), ntk: Matrix(rows: 1, columns: 1),
          cov1: [input.cov1[i]], cov2: [input.cov2[j]], isGaussian: false)
        let p = try net.kernel(pairState)
        expectClose(k.nngp[i, j], p.nngp[0, 0], relative: 1e-14, absolute: 1e-15)
        expectClose(k.ntk![i, j], p.ntk![0, 0], relative: 1e-14, absolute: 1e-15)
      }
    }
  }

  /// Standard parameterization: Θ ← N·K + 1 + W²Θ with N the fan-in (NT's 'standard').
  @Test func standardParameterization() throws {
    let net = LayerSpec.serial([
      .dense(wStd: 1, bStd: 0.5, parameterization: .standard(fanIn: 3)), .activation(.relu),
      .dense(wStd: 2, bStd: nil, parameterization: .standard(fanIn: 10)),
    ])
    let k = try net.kernel(.pairs(correlations: [0.5]))
    // layer 1: Σ = 0.5 + 0.25 = 0.75, Θ = 3·0.5 + 1 = 2.5; relu at q = 1.25, c = 0.6
    let q = 1.25, c = 0.6, theta = acos(c)
    let relu = q * ((1 - c * c).squareRoot() + (Double.pi - theta) * c) / (2 * Double.pi)
    let dot = (Double.pi - theta) / (2 * Double.pi)
    expectClose(k.nngp[0, 0], 4 * relu, relative: 1e-14)
    expectClose(k.ntk![0, 0], 10 * relu + 4 * 2.5 * dot, relative: 1e-14)
  }

  /// An activation needs a Gaussian input: the error names the layer and the fix.
  @Test func activationNeedsAffineInput() {
    #expect(throws: KernelError.notGaussian(layer: "relu")) { try LayerSpec.activation(.relu).kernel(.pairs(correlations: [0.5])) }
  }

  /// Parallel branches: sum doubles a kernel, mean keeps it (Daniely's in-node averaging).
  @Test func parallelCombines() throws {
    let branch = LayerSpec.serial([.dense(1), .activation(.relu)])
    let one = try branch.kernel(.pairs(correlations: [0.3]))
    let sum = try LayerSpec.parallel([branch, branch], combine: .sum).kernel(.pairs(correlations: [0.3]))
    let mean = try LayerSpec.parallel([branch, branch], combine: .mean).kernel(.pairs(correlations: [0.3]))
    expectClose(sum.nngp[0, 0], 2 * one.nngp[0, 0], relative: 1e-15)
    expectClose(mean.ntk![0, 0], one.ntk![0, 0], relative: 1e-15)
  }
}

#if canImport(Glibc)
  import Glibc
#endif
