import SkelDocument
import SkelExperiments
import SkelKernels
import SkelTestSupport
import Testing

/// The `skeleton` kind's `network` option: the shorthand options are the networks they write
/// (same numbers, same key), any DAG goes through Daniely's recursion, and what a skeleton
/// cannot take is an error at its layer.
@Suite struct SkeletonNetworkKindTests {
  /// The default (convolutional, window 2) and its network spelling: one key, one result, the
  /// value of science.md §2(c).
  @Test(arguments: [
    ("", ":network: [conv(window=2, padding=valid), relu, global_avg_pool]"),
    (":architecture: fully-connected\n:layers: 2", ":network: [flatten, repeat(2, [dense, relu])]"),
    (
      ":window: 3\n:stride: 2\n:layers: 2\n:activation: step",
      ":network: [repeat(2, [conv(window=3, stride=2, padding=valid), step]), global_avg_pool]"
    ),
  ])
  func shorthandIsItsNetwork(_ shorthand: String, _ written: String) throws {
    let common = ":correlations: [1, 0.5, 0, -0.5, 0.25, 0.75, 1, 0.5]\n:t: [0, 0.5, 1]\n"
    let (a, pa) = configure("skeleton", common + shorthand)
    let (b, pb) = configure("skeleton", common + written)
    #expect(pa.isEmpty && pb.isEmpty, "\(pa) \(pb)")
    #expect(a?.canonicalOptions == b?.canonicalOptions)
    let ra = try run("skeleton", common + shorthand), rb = try run("skeleton", common + written)
    #expect(ra.series == rb.series && ra.table == rb.table)
  }

  /// `repeat(2, X)` and X written twice are two spellings of one skeleton: the same numbers
  /// (the key is the network's, which keeps the repeat).
  @Test func unrolledRepeatComputesTheSame() throws {
    let common = ":correlations: [1, 0.5, 0, -0.5]\n:t: [0, 0.5, 1]\n"
    let a = try run("skeleton", common + ":network: [flatten, repeat(2, [dense, relu])]")
    let b = try run("skeleton", common + ":network: [flatten, dense, relu, dense, relu]")
    #expect(a.series == b.series && a.table == b.table)
  }

  @Test func convolutionalValue() throws {
    let r = try run(
      "skeleton", ":correlations: [1, 0.5, 0, -0.5]\n:t: [1]\n:network: [conv(window=2, padding=valid), relu, global_avg_pool]")
    #expect(r.series.map(\.name) == ["convolutional", "fully-connected"])
    expectClose(r.series[0].y[0], 0.4815406211, absolute: 6e-11)
    #expect(r.table?.rows[0] == ["convolutional", "2", "4", "0.4815406211"])
  }

  /// A DAG: two ReLU branches of different depth joined by fan_in_sum, on one input node:
  /// κ = (σ̂(σ̂(ρ)) + σ̂(ρ))/2 at ρ = t·c; its reference is the chain of its deepest path (2 ReLU).
  @Test func branchesThroughTheKind() throws {
    let r = try run(
      "skeleton", ":correlations: [0.5]\n:t: [1]\n:network: [parallel([dense, relu, dense, relu], [dense, relu]), fan_in_sum]")
    let relu = { (x: Double) in Dual.normalized(.relu, at: x) }
    #expect(r.series.map(\.name) == ["network", "fully-connected"])
    expectClose(r.series[0].y[0], (relu(relu(0.5)) + relu(0.5)) / 2, relative: 1e-14)
    expectClose(r.series[1].y[0], relu(relu(0.5)), relative: 1e-14)
    #expect(r.table?.rows.map { $0[0] } == ["network", "fully-connected"])
  }

  @Test(arguments: [
    (
      ":network: [conv(window=2), relu, global_avg_pool]",
      "3:12: 'conv' has padding 'same' (the default): its border windows would read zeros, which are not skeleton nodes; write padding=valid (windows inside the sequence) or padding=circular (the skeleton's 4 input nodes are the 4 correlations)"
    ),
    (
      ":network: [flatten, dense, relu, repeat(2, [dense, layer_norm])]",
      "3:52: layer_norm is not a node of a computation skeleton (its kernels are normalized already: κ_v(x, x) = 1) (the skeleton's 4 input nodes are the 4 correlations)"
    ),
    (
      ":network: [conv(window=2, padding=valid), relu]",
      "3:11: the network ends in 3 skeleton nodes (3 positions); a skeleton's kernel κ_S is that of one output node: end it with global_avg_pool, or with flatten and dense (the skeleton's 4 input nodes are the 4 correlations)"
    ),
    (
      ":network: [relu, global_avg_pool]",
      "3:12: the activation 'relu' reads the input nodes, which have no activation; a skeleton node applies its activation to the mean of its in-nodes: put a dense or conv (or a pool) right before it (the skeleton's 4 input nodes are the 4 correlations)"
    ),
    (
      ":network: [dense(w_std=2), relu, global_avg_pool]",
      "3:12: dense has w_std=2.0; a skeleton's weights are fixed (variance 1/δ(v) for the δ(v) in-nodes of a node, Daniely et al.), so w_std is not a skeleton parameter (the skeleton's 4 input nodes are the 4 correlations)"
    ),
    (
      ":network: [conv(window=2, padding=valid), relu]\n:window: 3",
      "3:2: option 'network' and the shorthand option 'window' are both given; the shorthand options are a way to write the network [flatten, repeat(layers, [dense, ACTIVATION])] (fully-connected) or [repeat(layers, [conv(window, stride, padding=valid), ACTIVATION]), global_avg_pool] (convolutional), so give one or the other"
    ),
    (
      ":window: 5",
      "3:2: the convolutional skeleton of 1 layer (window 5, stride 1) does not fit 4 input nodes: the window 5 of 'conv' is larger than the 4 positions before it"
    ),
  ])
  func errorsAtTheLayer(_ options: String, _ expected: String) {
    let (_, problems) = configure("skeleton", ":correlations: [1, 0.5, 0, -0.5]\n" + options)
    #expect(problems == [expected], "\(options)")
  }

  /// The estimate counts the nodes and edges of the network's own skeleton.
  @Test func costCountsTheSkeleton() throws {
    let (small, _) = configure("skeleton", ":correlations: [1, 0.5]\n:network: [flatten, dense, relu]")
    let (large, _) = configure(
      "skeleton",
      ":correlations: [1, 0.5, 0, -0.5, 1, 0.5, 0, -0.5]\n:network: [repeat(400, [conv(window=1, padding=valid), relu]), global_avg_pool]")
    let s = try #require(small).cost(), l = try #require(large).cost()
    #expect(l.seconds > 100 * s.seconds, "\(s.seconds) \(l.seconds)")
  }
}
