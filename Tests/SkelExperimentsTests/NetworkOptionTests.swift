import Foundation
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelTestSupport
import Testing

/// Parses, validates and configures one directive (the kind's own checks included); returns the
/// configured directive or every problem as `line:col: message`.
func configure(_ kind: String, _ options: String) -> (ConfiguredDirective?, [String]) {
  let text = "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n"
  let (doc, problems) = DocumentParser.parse(SourceFile(path: "k.md", text: text), name: "k")
  let format = { (ds: [Diagnostic]) in ds.map { "\($0.location.line):\($0.location.column): \($0.message)" } }
  guard problems.isEmpty, let d = doc.directives.first else { return (nil, format(problems)) }
  let registry = ExperimentRegistry.standard
  let (resolved, vp) = DirectiveValidator.validate(d, schemas: registry.schemas)
  guard let resolved else { return (nil, format(vp)) }
  let (configured, checks) = registry.kinds[kind]!.configure(resolved, directive: d)
  return (checks.isEmpty ? configured : nil, format(checks))
}

/// The network a value text parses to (normalized), or its error as `col: message`.
func network(_ text: String) -> Result<Network, OptionSyntaxError> {
  do {
    let node = try OptionValueParser.parse(text, column: 1)
    switch NetworkOption.check(node, option: "network") {
    case .success(let v):
      return NetworkValue(typed: v)?.network.map { .success($0) } ?? .failure(OptionSyntaxError(column: 0, length: 0, message: "nil"))
    case .failure(let e): return .failure(e)
    }
  } catch {
    return .failure(error)
  }
}

@Suite struct NetworkOptionTests {
  let relu = Activation.abRelu(a: 0, b: 1)

  @Test func theDirectivesExampleParsesToItsLayers() throws {
    let n = try network(
      "[conv(window=3, padding=same, w_std=1.4, b_std=0.1), relu, repeat(2, residual([conv(window=3, padding=same), relu])), global_avg_pool, dense(w_std=1, b_std=0)]"
    ).get()
    let block = Network.residual(.serial([.conv(ConvLayer(window: [3])), .activation(relu)]))
    let expected = Network.serial([
      .conv(ConvLayer(window: [3], padding: .same, wStd: 1.4, bStd: 0.1)), .activation(relu), .repeated(block, count: 2),
      .globalPool(.average), .dense(DenseLayer(wStd: 1, bStd: nil)),
    ])
    #expect(n == expected)
  }

  @Test func defaultsAndPositionalArgumentsAreNTs() throws {
    #expect(try network("dense").get() == .dense(DenseLayer(width: nil, wStd: 1, bStd: nil, parameterization: .ntk)))
    #expect(
      try network("dense(512, 2, 0.5, standard)").get() == .dense(DenseLayer(width: 512, wStd: 2, bStd: 0.5, parameterization: .standard)))
    #expect(
      try network("conv(8, [3, 3], 2, valid)").get() == .conv(ConvLayer(width: 8, window: [3, 3], strides: [2, 2], padding: .valid)))
    #expect(try network("conv(stride=[1, 2])").get() == .conv(ConvLayer(window: [3, 3], strides: [1, 2])))
    #expect(try network("avg_pool(2)").get() == .pool(PoolLayer(mode: .average, window: [2], strides: [2], padding: .valid)))
    #expect(
      try network("sum_pool([2, 2], stride=1, padding=same)").get()
        == .pool(PoolLayer(mode: .sum, window: [2, 2], strides: [1, 1], padding: .same)))
    #expect(
      try network("[flatten, layer_norm, dropout(0.9), identity, global_sum_pool]").get()
        == .serial([.flatten, .layerNorm, .dropout(rate: 0.9), .identity, .globalPool(.sum)]))
    #expect(
      try network("[parallel(dense, [dense, relu]), fan_in_concat]").get()
        == .parallel([.dense(DenseLayer()), .serial([.dense(DenseLayer()), .activation(relu)])], fanIn: .concat))
    #expect(try network("leaky_relu(alpha=0.1)").get() == .activation(.abRelu(a: 0.1, b: 1)))
  }

  /// One value per network however it is written: nested lists, a list of one layer,
  /// repeat(1, …), b_std=0 (no bias) and ab_relu(0, 1) = relu.
  @Test func equalNetworksHaveOneValue() throws {
    let a = try network("[dense(w_std=2), relu, dense]").get()
    for text in [
      "[[dense(w_std=2), [relu]], [dense]]", "[repeat(1, [dense(w_std=2), ab_relu(0, 1)]), dense(b_std=0)]", "dense(w_std=2), relu, dense",
    ] {
      #expect(try network(text).get() == a, "\(text)")
      #expect(NetworkOption.encode(try network(text).get()).canonical == NetworkOption.encode(a).canonical)
    }
  }

  @Test func spellingReadsBackToTheSameNetwork() throws {
    let texts = [
      "[conv(window=[3, 3], stride=2, padding=circular, w_std=1.5, b_std=0.1), relu, avg_pool(window=2, stride=1), flatten, dense(width=10)]",
      "[dense(parameterization=standard, b_std=0), erf(1, 2, 0.5), repeat(3, [dense, tanh]), dense]",
      "[dense, residual([dense, relu]), parallel([dense, relu], identity, dense(w_std=3)), fan_in_sum, layer_norm, dropout(0.5)]",
      "repeat(2, [parallel(dense, dense), fan_in_concat])", "exp(0.6)", "[expr(x*tanh(x)), global_sum_pool, sum_pool([2, 2])]",
      "[dense, cos(1, 2, 0), dense]",
    ]
    for text in texts {
      let n = try network(text).get()
      let spelled = NetworkOption.spelling(n)
      #expect(try network(spelled).get() == n, "\(text) → \(spelled)")
    }
    let first = NetworkOption.spelling(try network(texts[0]).get())
    #expect(first == texts[0], "\(first)")
  }

  /// Every error, word for word, at its position (the value starts at column 11 of line 2).
  @Test(arguments: [
    (":network: [dense, rleu, dense]", "2:19: unknown layer 'rleu' in option 'network'; did you mean 'relu'?"),
    (
      ":network: [dense(widht=3), relu]",
      "2:18: layer 'dense' has no argument 'widht'; did you mean 'width'? it takes width, w_std, b_std, parameterization"
    ),
    (":network: [conv(window=0)]", "2:24: argument 'window' of conv must be an integer in [1, 1024], got '0'"),
    (":network: [conv(stride=[1, 0])]", "2:28: argument 'stride' of conv must be an integer in [1, 1024], got '0'"),
    (
      ":network: [conv(window=[3, 3, 3])]",
      "2:24: argument 'window' of conv is one integer or a list of one or two (1-D or 2-D), got '[3, 3, 3]'"
    ),
    (
      ":network: [conv(window=[3, 3], stride=[1, 1, 1])]",
      "2:39: argument 'stride' of conv is one integer or a list of one or two (1-D or 2-D), got '[1, 1, 1]'"
    ),
    (":network: [dense, dropout(0)]", "2:27: argument 'rate' of dropout must be a number in (0, 1], got '0'"),
    (":network: [dense, dropout(1.5)]", "2:27: argument 'rate' of dropout must be a number in (0, 1], got '1.5'"),
    (":network: [dense, dropout]", "2:19: dropout needs its rate (the keep probability), as in dropout(0.9)"),
    (":network: [dense(w_std=-1)]", "2:24: argument 'w_std' of dense must be a number in [0, 100], got '-1'"),
    (":network: [dense(b_std=x)]", "2:24: argument 'b_std' of dense must be a number in [0, 100], got 'x'"),
    (
      ":network: [dense(parameterization=ntc)]",
      "2:35: argument 'parameterization' of dense must be one of 'ntk', 'standard', got 'ntc'; did you mean 'ntk'?"
    ),
    (
      ":network: [conv(padding=sam)]",
      "2:25: argument 'padding' of conv must be one of 'same', 'valid', 'circular', got 'sam'; did you mean 'same'?"
    ),
    (":network: [dense(1, 2, 3, ntk, 5)]", "2:32: layer 'dense' takes at most 4 arguments: dense(width, w_std, b_std, parameterization)"),
    (":network: [dense(1.5)]\n:rho: [0]", "2:18: argument 'width' of dense must be an integer in [1, 65536], got '1.5'"),
    (":network: [dense(w_std=1, w_std=2)]", "2:27: argument 'w_std' of dense is given twice"),
    (":network: [flatten(2)]", "2:12: layer 'flatten' takes no arguments"),
    (":network: [repeat(0, dense)]", "2:19: argument 'count' of repeat must be an integer in [1, 10000], got '0'"),
    (":network: [repeat(2.5, dense)]", "2:19: argument 'count' of repeat must be an integer in [1, 10000], got '2.5'"),
    (":network: [repeat(dense)]", "2:12: repeat(…) takes a count and a network, as in repeat(3, [dense, relu])"),
    (":network: [avg_pool]", "2:12: avg_pool needs its window, as in avg_pool(window=2)"),
    (
      ":network: [dense, parallel(dense, dense), relu]",
      "2:19: 'parallel(…)' must be followed by fan_in_sum or fan_in_concat (the next layer in the list), which joins its branches"
    ),
    (":network: [dense, fan_in_sum]", "2:19: 'fan_in_sum' joins the branches of a parallel(…) right before it, but there is none"),
    (
      ":network: [parallel(dense), fan_in_sum]",
      "2:12: parallel(…) takes two or more networks, as in parallel([dense, relu], dense), fan_in_sum"
    ),
    (":network: []", "2:11: a network needs at least one layer, as in [dense, relu, dense]"),
    (
      ":network: [dense, 3]", "2:19: expected a layer (a name such as relu or a call such as dense(w_std=1.4)) in option 'network', got '3'"
    ),
    (":network: [dense, hermite(k=80)]", "2:29: the degree k of hermite(k) must be an integer from 0 to 60, got 80"),
    (":network: [dense, erf(d=1)]", "2:25: activation 'erf' has no parameter 'd'; it takes a, b, c"),
    (
      ":network: [dense, expr(log(x))]",
      "2:19: activation 'expr(log(x))' is not defined at x = -0.25 (it gives NaN there), but a Gaussian input takes every real value"
    ),
    (
      ":network: repeat(10000, repeat(11, dense))",
      "2:11: option 'network' has more than 100000 layers once its repeats are expanded; at most 100000 are allowed"
    ),
    (
      ":network: [dense, conv]",
      "2:19: 'conv' needs an input with spatial axes (an image or a sequence), but its input is a vector (the inputs of 'nngp' are vectors)"
    ),
    (
      ":network: [dense, relu, global_avg_pool, dense]",
      "2:25: 'global_avg_pool' pools over spatial axes, but its input is a vector (the inputs of 'nngp' are vectors)"
    ),
    (
      ":network: [dense, relu, dense]\n:depths: [2]\n:b_std: 0.1",
      "2:2: option 'network' and the shorthand options 'depths', 'b_std' are both given; the shorthand options are a way to write the network [repeat(L, [dense(w_std, b_std), ACTIVATION]), dense(w_std_out, b_std)], so give one or the other"
    ),
    (":network: [dense, relu, relu]", "2:25: the input to the activation 'relu' must be Gaussian: put a dense or conv layer before it"),
    (
      ":network: [dense, residual([dense, relu]), dense]",
      "2:28: fan_in_sum needs every branch to end Gaussian (as NT: after a dense or conv layer); branch 0 does not"
    ),
  ])
  func errorsAtTheirPosition(_ options: String, _ expected: String) {
    let (_, problems) = configure("nngp", options)
    #expect(problems == [expected], "\(options)")
  }

  @Test func errorsInABlockSequencePointAtTheirLine() {
    let (_, problems) = configure(
      "ntk", ":network:\n  - dense(w_std=1.4)\n  - rleu\n  - repeat(2,\n      [dense(b_sd=1), relu])\n  - dense")
    #expect(problems == ["4:5: unknown layer 'rleu' in option 'network'; did you mean 'relu'?"])
    let (_, second) = configure("ntk", ":network:\n  - dense(w_std=1.4)\n  - repeat(2,\n      [dense(b_sd=1), relu])\n  - dense")
    #expect(second == ["5:14: layer 'dense' has no argument 'b_sd'; did you mean 'b_std'? it takes width, w_std, b_std, parameterization"])
  }

  /// Shapes on image inputs: a conv after flatten, a window larger than its input, and
  /// branches of different shapes, each at its layer.
  @Test func shapeErrorsOnImages() throws {
    func shapeProblems(_ value: String) -> [String] {
      let text = "```{kernel} nngp\n:network: \(value)\n```\n"
      let (doc, _) = DocumentParser.parse(SourceFile(path: "k.md", text: text), name: "k")
      return NetworkShorthandChecks.shapes(doc.directives[0], input: InputShape(spatial: [4, 4], channels: 1), inputsAre: "images")
        .map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }
    #expect(
      shapeProblems("[conv, relu, flatten, conv]") == [
        "2:33: 'conv' needs an input with spatial axes (an image or a sequence), but its input is a vector ('flatten' before it made it one)"
      ])
    #expect(
      shapeProblems("[conv(padding=valid), avg_pool(3)]") == [
        "2:33: the window 3×3 of 'avg_pool' is larger than its input 2×2 (padding 'valid')"
      ])
    #expect(shapeProblems("[conv(window=[3])]") == [])
    #expect(
      shapeProblems("[parallel(conv(stride=2), conv), fan_in_sum]") == ["2:12: fan_in_sum joins branches of different shapes: 2×2 and 4×4"])
    #expect(
      shapeProblems("[residual(avg_pool(2)), global_avg_pool]") == [
        "2:12: residual(…) adds its branch to its input, but the branch maps 4×4 to 2×2"
      ])
    #expect(
      shapeProblems("[repeat(3, [conv(padding=valid), relu])]") == [
        "2:23: the window 3×3 of 'conv' is larger than its input 2×2 (padding 'valid')"
      ])
    #expect(shapeProblems("[conv(window=[3, 3]), repeat(2, avg_pool(2)), global_avg_pool, dense]") == [])
  }

  /// The shorthand and the network it stands for: one cache key and the same values, bit for bit.
  @Test func shorthandIsTheExplicitNetwork() throws {
    let shorthand = ":depths: [3]\n:w_std: 1.5\n:b_std: 0.2\n:w_std_out: 0.8\n:activation: erf\n:rho: [-0.5, 0, 0.9]"
    let explicit = ":network: [repeat(3, [dense(w_std=1.5, b_std=0.2), erf]), dense(w_std=0.8, b_std=0.2)]\n:rho: -0.5, 0, 0.9"
    let block =
      ":network:\n  - repeat(3,\n      [dense(w_std=1.5, b_std=0.2), erf(1, 1, 0)])\n  - dense(w_std=0.8, b_std=0.2)\n:rho: [-0.5, 0, 0.9]"
    for kind in ["nngp", "ntk"] {
      let (a, pa) = configure(kind, shorthand)
      let (b, pb) = configure(kind, explicit)
      let (c, pc) = configure(kind, block)
      #expect(pa.isEmpty && pb.isEmpty && pc.isEmpty, "\(pa) \(pb) \(pc)")
      let x = try #require(a), y = try #require(b), z = try #require(c)
      #expect(x.canonicalOptions == y.canonicalOptions)
      #expect(x.canonicalOptions == z.canonicalOptions)
      let rx = try x.run(context: RunContext(seed: 1)), ry = try y.run(context: RunContext(seed: 1))
      #expect(rx.series.map(\.name) == ["L=3"])
      #expect(ry.series.map(\.name) == ["L=3"])
      #expect(rx.series[0].y == ry.series[0].y)  // the same computation: equal doubles
    }
    // a different network is a different key
    let (d, _) = configure("nngp", ":depths: [2]\n:w_std: 1.5\n:b_std: 0.2\n:w_std_out: 0.8\n:activation: erf\n:rho: [-0.5, 0, 0.9]")
    #expect(d?.canonicalOptions != configure("nngp", shorthand).0?.canonicalOptions)
  }

  /// A network that is no MLP: two dense branches (W_std 1 and 2) summed, then ReLU and a
  /// readout. On inputs of variance q at correlation ρ the sum has covariance 5qρ and variance
  /// 5q, so Σ = (5q/2π)(sin θ + (π − θ) cos θ) with cos θ = ρ (Cho–Saul, NT's Relu), and the
  /// residual spelling [dense, residual(dense(w_std=2)), …] gives the same.
  @Test func parallelAndResidualNetworksAgainstTheClosedForm() throws {
    let rho = [-0.9, -0.3, 0, 0.4, 0.95]
    let grid = ":rho: [" + rho.map { String($0) }.joined(separator: ", ") + "]\n:q: 2"
    let expected = rho.map { r -> Double in
      let t = acos(r)
      return 5 * 2 / (2 * Double.pi) * (sin(t) + (Double.pi - t) * cos(t))
    }
    for net in [
      "[parallel(dense, dense(w_std=2)), fan_in_sum, relu, dense]", "[dense, residual(dense(w_std=2)), relu, dense]",
      // layer_norm scales each input to variance 1, so W_std = √(5q) after it gives 5qρ again
      "[dense(w_std=3), layer_norm, dense(w_std=3.1622776601683795), relu, dense]",
    ] {
      let (c, problems) = configure("nngp", ":network: \(net)\n" + grid)
      #expect(problems.isEmpty, "\(problems)")
      let r = try #require(c).run(context: RunContext(seed: 1))
      #expect(r.series.map(\.name) == ["network"])
      // closed forms on both sides; acos near ρ = 0.95 loses a few ulps
      expectClose(r.series[0].y, expected, relative: 1e-13, absolute: 1e-14, net)
    }
  }

  /// The kinds of Chen et al. take a network too: the default shorthand (one hidden ReLU layer,
  /// W_std = √2, b_std = 1) written out is the same key and the same eigenvalues.
  @Test func spectrumShorthandIsTheExplicitNetwork() throws {
    let common = ":points: 40\n:dimensions: [2]\n:fit: [2, 20]"
    let root2 = "1.4142135623730951"  // the shortest text of √2
    let (a, pa) = configure("spectrum", common)
    let (b, pb) = configure("spectrum", common + "\n:network: [dense(w_std=\(root2), b_std=1), relu, dense(w_std=\(root2), b_std=1)]")
    #expect(pa.isEmpty && pb.isEmpty, "\(pa) \(pb)")
    let x = try #require(a), y = try #require(b)
    #expect(x.canonicalOptions == y.canonicalOptions)
    let rx = try x.run(context: RunContext(seed: 3)), ry = try y.run(context: RunContext(seed: 3))
    #expect(rx.series.map(\.name) == ry.series.map(\.name))
    #expect(rx.series.map(\.y) == ry.series.map(\.y))
    let (_, lowering) = configure("regression", ":network: [dense, layer_norm, dense]")
    #expect(
      lowering == [
        "2:11: the layer 'layer_norm' is not computed on these inputs yet (the network engine of issue 18 computes it); this kind computes dense ('ntk' parameterization), elementwise layers, identity, flatten, repeat, residual and parallel … fan_in_sum"
      ])
    let (_, problems) = configure("regression", ":network: [dense, relu, dense]\n:depth: 2")
    #expect(
      problems == [
        "2:2: option 'network' and the shorthand option 'depth' are both given; the shorthand options are a way to write the network [repeat(L, [dense(w_std, b_std), ACTIVATION]), dense(w_std_out, b_std)], so give one or the other"
      ])
  }
}
