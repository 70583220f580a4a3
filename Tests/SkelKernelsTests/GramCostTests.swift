import Testing

@testable import SkelKernels

/// `Network.gramCost`: the counts a conv network's estimate reads, against the recursion counted by
/// hand (TileProgram's rule: a window pass one add per tap and entry, an affine map 2 flops an
/// entry, an ab-ReLU entry 40, a readout one add an entry, the input kernel 2·C an entry).
@Suite struct GramCostTests {
  static let conv2 = Network.conv(ConvLayer(window: [3, 3], padding: .same))
  static func net(_ readout: Network) -> Network {
    .serial([conv2, .activation(.relu), conv2, .activation(.relu), readout, .dense(DenseLayer())])
  }
  static let image = InputShape(spatial: [16, 16], channels: 1)

  /// flatten: the diagonal covariance, 256 entries a pair.
  @Test func flattenKeepsTheDiagonal() throws {
    let g = try Self.net(.flatten).gramCost(input: Self.image, computeNTK: false)
    #expect(!g.full && g.tiled)
    #expect(g.positions == 256 && g.maxEntries == 256)
    // input 2·256; each conv: w pass 3·256 + h pass 3·256 + affine 2·256; each relu 40·256; flatten 256; dense 2
    let conv: Double = 3 * 256 + 3 * 256 + 2 * 256
    let want: Double = 512 + 2 * (conv + 40 * 256) + 256 + 2
    #expect(g.flopsPerPair == want)
    #expect(g.tapeDoublesPerInput == 2 * 256)
    // blocks of 64 pairs, 4 kernels each
    #expect(g.workingDoublesPerThread == 4 * 256 * 64)
    #expect(g.closedEntries == 0 && g.quadratureEntries == 0)
  }

  /// global_avg_pool: the full covariance, 256² entries a pair, one pair a block.
  @Test func globalPoolCarriesTheFullCovariance() throws {
    let g = try Self.net(.globalPool(.average)).gramCost(input: Self.image, computeNTK: false)
    let e = 65536.0
    #expect(g.full && g.maxEntries == 65536)
    let conv: Double = 8 * e
    let want: Double = 2 * e + 2 * (conv + 40 * e) + e + 2
    #expect(g.flopsPerPair == want)
    #expect(g.workingDoublesPerThread == 4 * 65536)
    // the same count as the tile path's plan (NNGP and NTK)
    for ntk in [false, true] {
      let plan = try #require(try Self.net(.globalPool(.average)).tilePlan(input: Self.image, computeNTK: ntk))
      #expect(try Self.net(.globalPool(.average)).gramCost(input: Self.image, computeNTK: ntk).flopsPerPair == plan.flopsPerPair)
    }
  }

  /// The square roots among the flops (what the benchmark's limit charges at the square-root
  /// unit's rate): two an ab-ReLU entry (sin θ and the arccos polynomial's outer range), NNGP or NTK.
  @Test(arguments: [false, true])
  func squareRootsAreTwoAReluEntry(globalPool: Bool) throws {
    for ntk in [false, true] {
      let plan = try #require(try Self.net(globalPool ? .globalPool(.average) : .flatten).tilePlan(input: Self.image, computeNTK: ntk))
      let entries: Double = globalPool ? 65536 : 256
      #expect(plan.sqrtsPerPair == 2 * 2 * entries)
    }
  }

  /// A repeat whose shape is fixed counts each repetition once; one whose strides shrink the shape
  /// counts each shape: 16 → 8 → 4 → 2 positions, tapes 8 + 4 + 2.
  @Test func repeatsCountEveryShape() throws {
    let same = try Network.serial([.repeated(.serial([Self.conv2, .activation(.relu)]), count: 5), .flatten, .dense(DenseLayer())])
      .gramCost(input: Self.image, computeNTK: false)
    let block: Double = 8 * 256 + 40 * 256
    let want: Double = 512 + 5 * block + 256 + 2
    #expect(same.flopsPerPair == want)
    #expect(same.tapeDoublesPerInput == 5 * 256)
    let strided = Network.conv(ConvLayer(window: [3], strides: [2], padding: .same))
    let shrink = try Network.serial([.repeated(.serial([strided, .activation(.relu)]), count: 3), .flatten, .dense(DenseLayer())])
      .gramCost(input: InputShape(spatial: [16], channels: 1), computeNTK: false)
    #expect(shrink.tapeDoublesPerInput == 8 + 4 + 2)
    #expect(shrink.maxEntries == 16)
  }

  /// Activations outside the ab-ReLU family run pair by pair: their entries are counted by kind.
  @Test func otherActivationsCountTheirEntries() throws {
    let conv = Network.conv(ConvLayer(window: [3], padding: .same))
    let shape = InputShape(spatial: [8], channels: 1)
    let tanh = try Network.serial([conv, .activation(.tanh), conv, .activation(.tanh), .globalPool(.average), .dense(DenseLayer())])
      .gramCost(input: shape, computeNTK: true)
    #expect(!tanh.tiled && tanh.full)
    #expect(tanh.quadratureEntries == 2 * 64 && tanh.closedEntries == 0)
    let erf = try Network.serial([conv, .activation(.erf(a: 1, b: 1, c: 0)), .flatten, .dense(DenseLayer())])
      .gramCost(input: shape, computeNTK: true)
    #expect(!erf.tiled && erf.closedEntries == 8 && erf.quadratureEntries == 0)
  }
}
