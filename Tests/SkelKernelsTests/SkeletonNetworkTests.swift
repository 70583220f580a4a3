import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Skeletons written as networks (`Skeleton.init(network:coordinates:)`): Daniely et al.'s
/// recursion over the DAG against the dual composition by hand (arc-cosine closed forms) and
/// against an independent nested Gauss–Kronrod quadrature of E[σ(X)σ(Y)].
@Suite struct SkeletonNetworkTests {
  static let dense = Network.dense(DenseLayer())
  static let relu = Network.activation(.relu)
  static func conv(_ w: Int, stride s: Int = 1, _ padding: PaddingMode = .valid) -> Network {
    .conv(ConvLayer(window: [w], strides: [s], padding: padding))
  }

  /// The normalized ReLU dual by hand (Daniely et al. Table 1).
  static func reluDual(_ rho: Double) -> Double { ((1 - rho * rho).squareRoot() + (Double.pi - acos(rho)) * rho) / Double.pi }
  static func stepDual(_ rho: Double) -> Double { (Double.pi - acos(rho)) / Double.pi }

  /// E[√2 relu(X) · √2 relu(Y)], (X, Y) standard normal with correlation ρ, by nested adaptive
  /// Gauss–Kronrod over X = z₁, Y = ρ z₁ + √(1−ρ²) z₂ on the region where both are positive.
  static func reluDualByQuadrature(_ rho: Double) -> Double {
    let s = (1 - rho * rho).squareRoot(), phi = { (z: Double) in exp(-z * z / 2) / (2 * Double.pi).squareRoot() }
    let outer = GaussKronrod.integrate(
      { z1 in
        let lo = -rho * z1 / s
        let inner = GaussKronrod.integrate({ z2 in phi(z2) * (rho * z1 + s * z2) }, from: lo, to: max(lo, 0) + 14)
        return phi(z1) * z1 * inner.value
      }, from: 0, to: 14)
    return 2 * outer.value
  }

  @Test func quadratureAgreesWithTheClosedForm() {
    for rho in [-0.5, 0, 0.3, 0.75] {
      expectClose(Self.reluDualByQuadrature(rho), Self.reluDual(rho), relative: 1e-11, absolute: 1e-13, "rho \(rho)")
    }
  }

  /// Two ReLU branches of different depth joined by fan_in_sum, then one more ReLU node:
  /// κ = σ̂((σ̂(σ̂(ρ)) + σ̂(ρ))/2), the node of the fan-in averaging its two in-nodes.
  @Test func twoBranchesAverageTheirDuals() throws {
    let d = Self.dense, r = Self.relu
    let net = Network.serial([.parallel([.serial([d, r, d, r]), .serial([d, r])], fanIn: .sum), d, r])
    let s = try Skeleton(network: net, coordinates: 1)
    for rho in [-0.5, 0, 0.3, 0.75] {
      let byHand = Self.reluDual((Self.reluDual(Self.reluDual(rho)) + Self.reluDual(rho)) / 2)
      let q = Self.reluDualByQuadrature
      let byQuadrature = q((q(q(rho)) + q(rho)) / 2)
      expectClose(try s.kernel(inputCorrelations: [rho]), byHand, relative: 1e-14, "rho \(rho)")
      expectClose(try s.kernel(inputCorrelations: [rho]), byQuadrature, relative: 1e-10, "rho \(rho)")
    }
    // nodes: the two branches (2 + 1 ReLU nodes), the fan-in's identity node, the last ReLU
    #expect(s.size == 5 && s.depth == 4)
    // fan_in_sum of a ReLU and a step branch, nothing after: the mean of the two duals
    let mixed = try Skeleton(network: .parallel([.serial([d, r]), .serial([d, .activation(.step)])], fanIn: .sum), coordinates: 1)
    expectClose(try mixed.kernel(inputCorrelations: [0.3]), (Self.reluDual(0.3) + Self.stepDual(0.3)) / 2, relative: 1e-14)
  }

  /// One layer read by two branches is one node of the DAG: parallel(relu, relu) after a dense
  /// is one ReLU node read twice; parallel(relu, identity) two nodes (ReLU and identity) with
  /// the same in-node, averaged: (σ̂(ρ) + ρ)/2.
  @Test func sharedNodes() throws {
    let twice = try Skeleton(network: .serial([Self.dense, .parallel([Self.relu, Self.relu], fanIn: .sum)]), coordinates: 1)
    #expect(twice.size == 2)
    expectClose(try twice.kernel(inputCorrelations: [0.3]), Self.reluDual(0.3), relative: 1e-15)
    let skip = try Skeleton(network: .serial([Self.dense, .parallel([Self.relu, .identity], fanIn: .sum)]), coordinates: 1)
    #expect(skip.size == 3)
    expectClose(try skip.kernel(inputCorrelations: [0.3]), (Self.reluDual(0.3) + 0.3) / 2, relative: 1e-15)
  }

  /// Daniely's convolutional skeleton (science.md §2(c)) and the fully connected one, written as
  /// networks, are the skeletons of the builders, node for node.
  @Test func danielySkeletonsAsNetworks() throws {
    let convNet = Network.serial([Self.conv(2), Self.relu, .globalPool(.average)])
    let conv = try Skeleton(network: convNet, coordinates: 4)
    #expect(conv == (try Skeleton.convolutional(coordinates: 4, layers: [(2, 1, .relu)])))
    expectClose(try conv.kernel(inputCorrelations: [1, 0.5, 0, -0.5]), 0.4815406211, absolute: 6e-11)
    let nested = Network.serial([Self.conv(3), Self.relu, Self.conv(2, stride: 2), Self.relu, .globalPool(.average)])
    #expect(
      (try Skeleton(network: nested, coordinates: 8))
        == (try Skeleton.convolutional(coordinates: 8, layers: [(3, 1, .relu), (2, 2, .relu)])))
    let fcNet = Network.serial([.flatten, .repeated(.serial([Self.dense, Self.relu]), count: 3)])
    let fc = try Skeleton(network: fcNet, coordinates: 3)
    #expect(fc == (try Skeleton.fullyConnected(activations: [.relu, .relu, .relu], coordinates: 3)))
    #expect(fc.fullyConnectedReference == fc)
    // the conv skeleton's reference: one ReLU node over the 4 inputs
    #expect(conv.fullyConnectedReference == (try Skeleton.fullyConnected(activations: [.relu], coordinates: 4)))
  }

  /// A residual convolution with circular padding, then global pooling: at each position the
  /// fan-in averages the ReLU node of the window (p−1, p, p+1) and the input node p;
  /// κ = (1/n) Σ_p (σ̂(mean of the window) + ρ_p)/2.
  @Test func residualConvolution() throws {
    let net = Network.serial([.residual(.serial([Self.conv(3, .circular), Self.relu])), .globalPool(.average)])
    let rho = [1, 0.5, 0, -0.5, 0.25]
    let s = try Skeleton(network: net, coordinates: 5)
    let n = rho.count
    var byHand = 0.0
    for p in 0..<n {
      let window = (rho[(p + n - 1) % n] + rho[p] + rho[(p + 1) % n]) / 3
      byHand += (Self.reluDual(window) + rho[p]) / 2 / Double(n)
    }
    expectClose(try s.kernel(inputCorrelations: rho), byHand, relative: 1e-15)
    // 5 ReLU nodes, 5 fan-in nodes, the pooling node
    #expect(s.size == 11 && s.depth == 3)
    #expect(s.fullyConnectedReference == (try Skeleton.fullyConnected(activations: [.relu], coordinates: 5)))
  }

  /// fan_in_concat makes no node: the next dense reads the nodes of both branches.
  @Test func concatenatedBranches() throws {
    let d = Self.dense
    let net = Network.serial([.parallel([.serial([d, Self.relu]), .serial([d, .activation(.step)])], fanIn: .concat), d, Self.relu])
    let s = try Skeleton(network: net, coordinates: 1)
    #expect(s.size == 3)
    expectClose(try s.kernel(inputCorrelations: [0.3]), Self.reluDual((Self.reluDual(0.3) + Self.stepDual(0.3)) / 2), relative: 1e-14)
  }

  /// What a skeleton cannot take, each refused at its layer with the reason.
  @Test(arguments: [
    (Network.serial([relu, dense]), [0], "reads the input nodes"),
    (Network.serial([dense, relu, relu]), [2], "made already"),
    (Network.serial([conv(2, .same), relu, .globalPool(.average)]), [0], "padding 'same'"),
    (Network.serial([.dense(DenseLayer(wStd: 2)), relu]), [0], "w_std=2.0"),
    (Network.serial([.dense(DenseLayer(bStd: 0.1)), relu]), [0], "no biases"),
    (Network.serial([.flatten, dense, relu, .repeated(.serial([dense, .layerNorm]), count: 2)]), [3, 0, 1], "layer_norm"),
    (Network.serial([dense, relu, .dropout(rate: 0.5)]), [2], "dropout"),
    (Network.serial([conv(2), relu, .globalPool(.sum)]), [2], "global_avg_pool"),
    (Network.serial([conv(2), relu]), [], "ends in 3 skeleton nodes"),
    (Network.serial([.flatten, conv(2)]), [1], "is a vector"),
    (Network.serial([conv(5), relu]), [0], "larger than the 4 positions"),
    (Network.serial([.conv(ConvLayer(window: [2, 2], padding: .valid)), relu]), [0], "2-D window"),
    (
      Network.parallel([.serial([conv(2), relu]), .serial([dense, relu])], fanIn: .sum), [], "different shapes: 3 positions and 4 positions"
    ),
  ])
  func refusals(_ net: Network, _ path: [Int], _ reason: String) {
    do {
      _ = try Skeleton(network: net, coordinates: 4)
      Issue.record("accepted \(net)")
    } catch {
      #expect(error.path == path, "\(error)")
      #expect(error.reason.contains(reason), "\(error.reason)")
    }
  }

  /// A network with no node besides its input is no skeleton.
  @Test func inputsAlone() {
    #expect(throws: NetworkShapeError.self) { try Skeleton(network: .identity, coordinates: 1) }
    do {
      _ = try Skeleton(network: .flatten, coordinates: 1)
    } catch {
      #expect(error.reason.contains("a node besides its inputs"), "\(error)")
    }
  }

  /// A network whose skeleton would be too large is refused at the layer where it grows.
  @Test func bombsAreRefused() {
    // fan_in_concat of a layer with itself doubles the items each position holds: 2^40 of them
    let doubling = Network.repeated(.parallel([.identity, .identity], fanIn: .concat), count: 40)
    do {
      _ = try Skeleton(network: .serial([doubling, Self.dense, Self.relu, .globalPool(.average)]), coordinates: 4)
      Issue.record("accepted the doubling network")
    } catch {
      // at the repeated concatenation, where the items double (not later at the dense layer)
      #expect(error.path.first == 0 && error.reason.contains("fan_in_concat") && error.reason.contains("edges"), "\(error)")
    }
    do {
      _ = try Skeleton(
        network: .serial([.repeated(.serial([Self.dense, Self.relu]), count: 60_000), .globalPool(.average)]), coordinates: 4)
      Issue.record("accepted 240 000 nodes")
    } catch {
      #expect(error.reason.contains("nodes"), "\(error)")
    }
  }

  /// The realization of a DAG skeleton (the residual convolution above): over 300 seeds the
  /// mean empirical kernel is within 4 standard errors (plus the O(1/r) bias, bounded by 1/r) of
  /// κ_S, and the spread falls like r^(-1/2): from r = 64 to r = 1024 the standard deviation
  /// falls by √16 = 4, within [3.3, 4.8] (the ratio of two 300-sample s.d.s is 4 ± 0.24 (1 s.e.)).
  @Test func realizationConverges() throws {
    let net = Network.serial([.residual(.serial([Self.conv(3, .circular), Self.relu])), .globalPool(.average)])
    let rho = [1, 0.5, 0, -0.5, 0.25]
    let s = try Skeleton(network: net, coordinates: 5)
    let kappa = try s.kernel(inputCorrelations: rho)
    var g = SeededGenerator(seed: 11, label: "skeleton dag")
    var spread: [Double] = []
    for r in [64, 1024] {
      let ks = (0..<300).map { _ in Realization.empiricalKernel(s, inputCorrelations: rho, width: r, generator: &g) }
      let mean = ks.reduce(0, +) / Double(ks.count)
      let sd = (ks.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ks.count - 1)).squareRoot()
      #expect(abs(mean - kappa) <= 4 * sd / Double(ks.count).squareRoot() + 1 / Double(r), "r \(r): mean \(mean), κ \(kappa), sd \(sd)")
      spread.append(sd)
    }
    let ratio = spread[0] / spread[1]
    #expect(ratio > 3.3 && ratio < 4.8, "sd ratio \(ratio)")
  }
}
