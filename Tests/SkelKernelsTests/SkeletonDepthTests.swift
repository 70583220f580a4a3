import SkelKernels
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct SkeletonTests {
  /// science.md §2(c): n = 4 patches with ⟨xⁱ, yⁱ⟩ = (1, 0.5, 0, −0.5), window 2, stride 1,
  /// normalized ReLU, average pooling → κ_S = 0.4815406211.
  @Test func convolutionalExample() throws {
    let s = try Skeleton.convolutional(coordinates: 4, layers: [(2, 1, .relu)])
    let rho = [1, 0.5, 0, -0.5]
    let kappa = try s.kernel(inputCorrelations: rho)
    expectClose(kappa, 0.4815406211, absolute: 6e-11, "printed to 10 decimals")
    // and exactly: the mean of the three hidden duals at the window means 0.75, 0.25, −0.25
    let exact = [0.75, 0.25, -0.25].map { Dual.normalized(.relu, at: $0) }.reduce(0, +) / 3
    expectClose(kappa, exact, relative: 1e-15)
    expectClose([0.75, 0.25, -0.25].map { Dual.normalized(.relu, at: $0) }, [0.7880021076, 0.4533098778, 0.2033098778], absolute: 6e-11)
    #expect(s.size == 4 && s.depth == 2)
  }

  /// A chain of L ReLU nodes is the L-fold composition of the dual.
  @Test func fullyConnectedChainComposes() throws {
    let s = try Skeleton.fullyConnected(activations: Array(repeating: .relu, count: 3))
    expectClose(try s.kernel(inputCorrelations: [0.5]), 0.7381281923, absolute: 6e-11)
    #expect(s.depth == 3 && s.size == 3)
  }

  /// Fully connected over a sequence: one node reads all n inputs, κ = σ̂(mean ⟨xⁱ, yⁱ⟩).
  @Test func fullyConnectedOverSequence() throws {
    let s = try Skeleton.fullyConnected(activations: [.step], coordinates: 3)
    expectClose(try s.kernel(inputCorrelations: [0.2, 0.5, 0.8]), Dual.normalized(.step, at: 0.5), relative: 1e-15)
  }

  /// Nested convolutions: depth and size follow the layer counts.
  @Test func nestedConvolution() throws {
    let s = try Skeleton.convolutional(coordinates: 8, layers: [(3, 1, .relu), (2, 2, .relu)])
    // 6 nodes, then 3 nodes, then a pooling node
    #expect(s.size == 10 && s.depth == 3)
    let k = try s.kernel(inputCorrelations: Array(repeating: 1, count: 8))
    expectClose(k, 1, relative: 1e-14, "identical inputs stay at correlation 1")
  }

  @Test func invalidSkeletonsAreRejected() {
    #expect(throws: KernelError.self) { try Skeleton(nodes: [.input(coordinate: 0), .hidden(activation: .relu, inputs: [2])]) }
    #expect(throws: KernelError.self) { try Skeleton.convolutional(coordinates: 2, layers: [(3, 1, .relu)]) }
  }
}

@Suite struct DepthTests {
  /// science.md §2(c): the ReLU dual iterated from 0 and from 0.5.
  @Test func reluIterates() {
    expectClose(
      DepthMap.iterate(.relu, from: 0, depth: 10),
      [
        0.3183098862, 0.4937310902, 0.6048257201, 0.6809535334, 0.7359463506, 0.7772286992, 0.8091480515, 0.8344163026, 0.8548092375,
        0.8715355160,
      ], absolute: 6e-11)
    expectClose(
      DepthMap.iterate(.relu, from: 0.5, depth: 5), [0.6089977810, 0.6839056509, 0.7381281923, 0.7788951374, 0.8104542010], absolute: 6e-11)
  }

  /// science.md §3(c): cos θ^(l) at l = 1, 2, 4, 8, 16, 32 (printed to 6 decimals).
  @Test(arguments: [
    (0.0, Double.pi / 2, [0.318310, 0.493731, 0.680954, 0.834416, 0.929456, 0.974720]),
    (0.0, Double.pi, [0, 0.318310, 0.604826, 0.809148, 0.923022, 0.973418]),
    (0.2, Double.pi / 2, [0.195883, 0.335265, 0.519086, 0.709873, 0.858140, 0.943436]),
    (0.5, Double.pi, [-0.8, -0.634576, -0.373124, -0.019592, 0.363506, 0.677761]),
  ])
  func angleMapTable(a: Double, theta0: Double, expected: [Double]) {
    let thetas = AngleMap.angles(from: theta0, a: a, depth: 32)
    let got = [1, 2, 4, 8, 16, 32].map { cos(thetas[$0 - 1]) }
    expectClose(got, expected, absolute: 6e-7)
    // the angle map agrees with the leaky-ReLU normalized dual
    let duals = DepthMap.iterate(.leakyRelu(a), from: cos(theta0), depth: 8)
    expectClose(cos(thetas[7]), duals[7], absolute: 1e-13, "angle map = dual map")
  }

  /// l·θ_l at l = 10⁵ (science.md §3(a), exact to 8 digits): within 1e-6 relative, well inside
  /// the stated 1e-4 (plain float64 iteration of cos θ would drift in the 5th digit).
  @Test(arguments: [
    (0.0, Double.pi / 2, 9.42273704), (0.2, Double.pi / 2, 15.31140124), (0.5, Double.pi / 2, 47.10169040),
    (0.0, Double.pi, 9.42283125), (0.2, Double.pi, 15.31174198), (0.5, Double.pi, 47.10559248),
  ])
  func rateAtDepth1e5(a: Double, theta0: Double, expected: Double) {
    let l = 100_000
    let theta = AngleMap.angles(from: theta0, a: a, depth: l).last!
    expectClose(Double(l) * theta, expected, relative: 1e-6, "a=\(a)")
    #expect(abs(Double(l) * theta / AngleMap.asymptote(a: a) - 1) < 5e-3, "approaches 3π(1+a²)/(1−a)²")
  }

  /// Fixed points: ReLU has only ρ = 1, neutral (σ̂′(1) = 1); sign's are −1, 0, 1 with 0 stable? No:
  /// (2/π) arcsin has slope 2/π < 1 at 0 (stable) and infinite slope at ±1 (unstable).
  @Test func fixedPoints() {
    let relu = DepthMap.fixedPoints(.relu)
    #expect(relu.count == 1)
    expectClose(relu[0].rho, 1, absolute: 0)
    expectClose(relu[0].slope, 1, absolute: 1e-14)
    #expect(relu[0].stability == "neutral")
    let tanhPoints = DepthMap.fixedPoints(.tanh, gridPoints: 41)
    // odd activation: ρ = 0 is a fixed point with slope E[tanh′]²/E[tanh²] > 1? E[tanh'(Z)]² = 0.3670, /0.3943 ≈ 0.93
    #expect(tanhPoints.contains { abs($0.rho) < 1e-12 && $0.stability == "stable" })
    #expect(tanhPoints.contains { $0.rho == 1 && $0.stability == "unstable" })
  }
}
