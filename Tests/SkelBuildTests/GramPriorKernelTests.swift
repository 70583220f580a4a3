import Foundation
import SkelBuild
import SkelCairo
import SkelData
import SkelExperiments
import SkelKernels
import SkelMath
import Testing

/// `{kernel} gram` with `:kernel: [nngp, nnpk]`: the prior kernel of m random networks of the
/// directive's own network value (Amid et al., D4.3) beside its infinite-width NNGP, through a
/// real build of the 40-point CSV of `GramKindTests`.
@Suite struct GramPriorKernelTests {
  /// One hidden ReLU layer: E[K_m] is the NNGP exactly at any width (the pre-activations are
  /// Gaussian), so the published K_m is checked against the published NNGP — which
  /// GramKindTests checks against the arc-cosine recursion — within 5.5 standard errors of
  /// its mean over m = 1000 networks (the worst of 1600 entries, correlated: a Gaussian tail
  /// bound of 4·10⁻⁸ per entry). The spread of one network's mean product is measured here
  /// from 200 networks the test draws itself (FiniteNetwork, seeds of its own). The `distance` series is ‖K_m − K‖_F/‖K‖_F of the two `.npy` files.
  @Test func priorKernelBesideTheNNGP() throws {
    let t = GramKindTests()
    let net = "[dense(w_std=1.4, b_std=0.1), relu, dense(w_std=1.1, b_std=0.2)]"
    let dir = try t.build(":inputs: data/p.csv(labels=y)\n:network: \(net)\n:kernel: [nngp, nnpk]\n:networks: 1000\n:width: 32")
    defer { try? FileManager.default.removeItem(at: dir) }
    let k = try GramKindTests.npy(dir, "fig-g.nngp.npy"), km = try GramKindTests.npy(dir, "fig-g.nnpk.npy")
    #expect(k.shape == [40, 40] && km.shape == [40, 40])
    // the spread of one network's mean product f(x_i)·f(x_j)/k (the readout has the default width k = 32)
    let batch = SkelKernels.InputBatch(shape: InputShape(channels: 3), count: 40, storage: GramKindTests.points.flatMap(\.x))
    let x = try #require(batch)
    let network = Network.serial([
      .dense(DenseLayer(wStd: 1.4, bStd: 0.1)), .activation(.relu), .dense(DenseLayer(wStd: 1.1, bStd: 0.2)),
    ])
    var sums = [Double](repeating: 0, count: 1600), squares = [Double](repeating: 0, count: 1600)
    for s in 0..<200 {
      let f = try network.initialize(inputShape: x.shape, defaultWidth: 32, seed: UInt64(5000 + s)).apply(x)
      let k = f.shape.channels
      #expect(k == 32)
      for e in 0..<1600 {
        let p = (0..<k).reduce(0) { $0 + f.storage[(e / 40) * k + $1] * f.storage[(e % 40) * k + $1] } / Double(k)
        sums[e] += p
        squares[e] += p * p
      }
    }
    var worst = 0.0
    for e in 0..<1600 {
      let mean = sums[e] / 200, sd = ((squares[e] / 200 - mean * mean) * 200 / 199).squareRoot()
      let z = abs(km.values[e] - k.values[e]) / (sd / 1000.0.squareRoot())
      worst = max(worst, z)
    }
    print("gram nnpk vs nngp: worst \(worst) standard errors over 1600 entries")
    #expect(worst < 5.5, "worst entry \(worst) standard errors")
    let json = try GramKindTests.json(dir)
    let series = try #require(json["series"] as? [[String: Any]])
    let distance = try #require(series.first { $0["name"] as? String == "distance" })
    let published = try #require((distance["y"] as? [Double])?.first)
    var d2 = 0.0, n2 = 0.0
    for e in 0..<1600 {
      d2 += (km.values[e] - k.values[e]) * (km.values[e] - k.values[e])
      n2 += k.values[e] * k.values[e]
    }
    #expect(abs(published - (d2 / n2).squareRoot()) <= 1e-14 * published)
    #expect(published > 0 && published < 0.1)
    let page = try String(contentsOf: dir.appendingPathComponent("_site/g/index.html"), encoding: .utf8)
    #expect(page.contains("<a href=\"fig-g.nnpk.npy\" download>NNPK .npy</a>"))
  }

  /// The finite-width options without nnpk, and random networks above the parameter cap, are
  /// errors at their options before anything runs.
  @Test func refusals() throws {
    let t = GramKindTests()
    for (body, line, message) in [
      (
        ":inputs: gaussian(n=10, d=3)\n:network: [dense, relu, dense]\n:networks: 50", 12,
        "option 'networks' is read only by the nnpk kernel"
      ),
      (
        ":inputs: gaussian(n=10, d=3)\n:network: [dense(width=16384), relu, dense(width=16384)]\n:kernel: [nngp, nnpk]", 11,
        "the nnpk's random networks: the finite network has 268484608 parameters, above 30000000"
      ),
    ] {
      do {
        _ = try t.build(body)
        Issue.record("built: \(body)")
      } catch BuildError.diagnostics(let list, _) {
        #expect(list.count == 1)
        #expect(list.first?.location.line == line)
        #expect(list.first?.message.contains(message) == true, "\(list.map(\.message))")
      }
    }
  }
}
