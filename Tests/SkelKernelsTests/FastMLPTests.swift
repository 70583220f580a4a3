import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct FastMLPTests {
  func inputs(n: Int, d: Int, seed: UInt64) -> Matrix {
    var g = SeededGenerator(seed: seed)
    var x = Matrix(rows: n, columns: d, storage: (0..<(n * d)).map { _ in g.nextUniform() * 2 - 1 })
    // rows 0 and 1: unit variance (x·x/d = 1) at correlation 0.5
    for j in 0..<d {
      x[0, j] = 0
      x[1, j] = 0
    }
    x[0, 0] = Double(d).squareRoot()
    x[1, 0] = 0.5 * Double(d).squareRoot()
    x[1, 1] = 0.75.squareRoot() * Double(d).squareRoot()
    return x
  }

  func generic(_ spec: LayerSpec, _ k: KernelState) throws -> KernelState {
    // the generic path: the same layers applied one by one
    guard case .serial(let layers) = spec else { return try spec.kernel(k) }
    var s = k
    for l in layers { s = try l.kernel(s) }
    return s
  }

  /// Tiled AVX2 and scalar paths against the layer-by-layer path: relative 1e-12 off and on the diagonal.
  @Test(arguments: [(1, 0.0, 0.0, 1.0), (3, 0.1, 0.0, 1.0), (10, 0.0, 0.2, 1.0), (10, 0.3, -1.0, 1.0)])
  func agreesWithGeneric(depth: Int, bias: Double, a: Double, b: Double) throws {
    let x = inputs(n: 70, d: 30, seed: 5)
    let hidden = LayerSpec.serial([.dense(1.4, bias: bias == 0 ? nil : bias), .activation(.abRelu(a: a, b: b))])
    let spec = LayerSpec.serial([.repeated(hidden, count: depth), .dense(1.1, bias: bias == 0 ? nil : bias)])
    let shape = try #require(FastMLPKernel.shape(of: spec))
    #expect(shape.depth == depth)
    let fast = try spec.kernel(.inputs(x))
    var slow = KernelState.inputs(x)
    for _ in 0..<depth { slow = try hidden.generic(slow) }
    slow = try LayerSpec.dense(1.1, bias: bias == 0 ? nil : bias).generic(slow)
    let scalar = FastMLPKernel.run(
      shape, inputGram: KernelState.inputs(x).nngp, computeNTK: true, tile: 16, forceScalar: true, compute: .allCores)
    for i in 0..<70 {
      for j in 0..<70 {
        expectClose(fast.nngp[i, j], slow.nngp[i, j], relative: 1e-12, absolute: 1e-14, "nngp[\(i),\(j)]")
        expectClose(fast.ntk![i, j], slow.ntk![i, j], relative: 1e-12, absolute: 1e-14, "ntk[\(i),\(j)]")
        expectClose(scalar.nngp[i, j], slow.nngp[i, j], relative: 1e-12, absolute: 1e-14, "scalar nngp[\(i),\(j)]")
      }
    }
  }

  /// The fused path (Gram blocks by dgemm/dsyrk, layers, mirror from the tile) against the
  /// Gram-first path: 1e-12 relative on every entry, several blocks, a ragged last block and tile
  /// (203 = 3·64 + 11, not a multiple of the 4 × 4 transpose); the same bytes for 1 and 2 threads.
  @Test(arguments: [(1, 0.0, 0.0), (4, 0.2, 0.0), (7, 0.0, -0.5)])
  func fusedPathAgreesWithGramPath(depth: Int, bias: Double, a: Double) throws {
    let x = inputs(n: 203, d: 37, seed: 11)
    let hidden = LayerSpec.serial([.dense(1.3, bias: bias == 0 ? nil : bias), .activation(.abRelu(a: a, b: 1))])
    let spec = LayerSpec.serial([.repeated(hidden, count: depth), .dense(0.9, bias: bias == 0 ? nil : bias)])
    let shape = try #require(FastMLPKernel.shape(of: spec))
    let gram = try spec.kernel(.inputs(x))
    let fused = try spec.kernel(inputs: x)
    let small = FastMLPKernel.run(shape, inputs: x, computeNTK: true, tile: 32, block: 64, compute: Compute(threads: 2))
    for i in 0..<203 {
      for j in 0..<203 {
        expectClose(fused.nngp[i, j], gram.nngp[i, j], relative: 1e-12, absolute: 1e-14, "nngp[\(i),\(j)]")
        expectClose(fused.ntk![i, j], gram.ntk![i, j], relative: 1e-12, absolute: 1e-14, "ntk[\(i),\(j)]")
        expectClose(small.nngp[i, j], gram.nngp[i, j], relative: 1e-12, absolute: 1e-14, "small blocks nngp[\(i),\(j)]")
      }
    }
    for (u, v) in zip(fused.cov1, gram.cov1) { expectClose(u, v, relative: 1e-14, "variances (a dot product vs dsyrk's)") }
    let nngpOnly = try spec.kernel(inputs: x, computeNTK: false)
    #expect(nngpOnly.nngp == fused.nngp && nngpOnly.ntk == nil)
    let one = FastMLPKernel.run(shape, inputs: x, computeNTK: true, tile: 32, block: 64, compute: .serial)
    #expect(one.nngp == small.nngp && one.ntk == small.ntk, "same bytes for any thread count")
  }

  /// science.md §7.3 deep ReLU (L = 2, ρ = 0.5) through the Gram route.
  @Test func neuralTangentsValueThroughGram() throws {
    let x = inputs(n: 40, d: 16, seed: 2)
    let spec = LayerSpec.serial([.repeated(.serial([.dense(2.0.squareRoot()), .activation(.relu)]), count: 2), .dense(1)])
    let k = try spec.kernel(.inputs(x))
    expectClose(k.nngp[0, 1], 0.683905650899, relative: 1e-12, absolute: 6e-13)
    expectClose(k.ntk![0, 1], 1.351479561123, relative: 1e-12, absolute: 6e-13)
    expectClose(k.ntk![0, 0], 3, relative: 1e-14, "exact diagonal")
  }

  /// The polynomial arccos of the tile kernel against glibc's acos: within 2 units in the last
  /// place of the result on 10⁶ uniform points and near the branch points ±1/2, ±1 and 0 (and
  /// exact at ±1, 0). libmvec is held to the same bound, as a check of the harness.
  @Test func polynomialArccosIsAccurate() throws {
    try #require(FastMLPKernel.usesAVX2, "the polynomial needs AVX2")
    var g = SeededGenerator(seed: 9)
    var x = (0..<1_000_000).map { _ in g.nextUniform() * 2 - 1 }
    for c in [-1.0, -0.5, 0, 0.5, 1] {
      var v = c
      for _ in 0..<2000 {
        v = v.nextUp
        if v <= 1 { x.append(v) }
      }
      v = c
      for _ in 0..<2000 {
        v = v.nextDown
        if v >= -1 { x.append(v) }
      }
      x.append(c)
    }
    x.append(contentsOf: [1e-300, -1e-300, 1 - 1e-12, -1 + 1e-12])
    for impl in [FastMLPKernel.Arccos.polynomial, .libmvec] {
      let y = FastMLPKernel.arccos(x, using: impl)
      var worst = 0.0
      for (xi, yi) in zip(x, y) {
        let exact = acos(xi)
        worst = max(worst, abs(yi - exact) / exact.ulp)
      }
      #expect(worst <= 2, "\(impl): \(worst) ulp")
    }
    #expect(FastMLPKernel.arccos([1, -1, 0], using: .polynomial) == [0, Double.pi, Double.pi / 2])
  }

  @Test func otherShapesAreNotTaken() {
    #expect(FastMLPKernel.shape(of: .serial([.dense(1), .activation(.tanh), .dense(1)])) == nil)
    #expect(FastMLPKernel.shape(of: .serial([.dense(1), .activation(.relu), .dense(2), .activation(.relu), .dense(1)])) == nil)
  }
}
