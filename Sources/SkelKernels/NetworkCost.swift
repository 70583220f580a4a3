/// What one entry of a network's Gram matrix costs on inputs of a given shape, counted from the
/// compiled kernel recursion before anything runs (the `gram` kind's estimate and its refusals
/// read it).
///
/// The spatial covariance is full (P² entries a pair, P = H·W positions) when a later pool or
/// global pool reads pairs of positions, and diagonal (P entries) when a `flatten` ends the
/// network: `full` says which, `maxEntries` is the largest kernel one pair holds at any layer.
public struct GramCost: Sendable, Hashable {
  /// Whether the kernel carries pairs of positions (P²) rather than positions (P).
  public let full: Bool
  /// Positions of the input (H·W; 1 for vectors).
  public let positions: Int
  /// The most kernel entries one pair holds at any layer.
  public let maxEntries: Int
  /// Arithmetic of one pair's recursion, NNGP and NTK when asked (`TileProgram`'s count: window
  /// sums one add per tap and entry, affine maps, 40 flops an ab-ReLU entry, pools).
  public let flopsPerPair: Double
  /// Kernel entries per pair that go through an activation outside the ab-ReLU family: the pair
  /// engine evaluates each by its closed form (`closedEntries`) or by quadrature.
  public let closedEntries: Double
  public let quadratureEntries: Double
  /// Whether the network runs on the tile path (every activation in the ab-ReLU family).
  public let tiled: Bool
  /// Doubles one thread holds while it evaluates pairs: NNGP, NTK and their scratch for a block
  /// of pairs (the tile path) or one pair (the pair engine).
  public let workingDoublesPerThread: Int
  /// Doubles each input keeps for its pairs: its same-position variances at every activation
  /// and layer norm (the self run's tape).
  public let tapeDoublesPerInput: Double
}

extension Network {
  /// The cost of one Gram entry on inputs of `input`'s shape (see `GramCost`).
  public func gramCost(input: InputShape, computeNTK: Bool, defaultWidth: Int = Network.defaultWidth) throws(NetworkShapeError)
    -> GramCost
  {
    let (node, _) = try compile(input, defaultWidth: defaultWidth)
    let full = node.needsFullInput(after: false)
    let sp = input.spatial
    var shape = TileShape(h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, full: full)
    let positions = shape.positions
    var flops = 2.0 * Double(input.channels) * Double(shape.entries)
    var most = shape.entries, sqrts = 0.0
    node.walk(&shape, flops: &flops, sqrts: &sqrts, most: &most, ntk: computeNTK)
    var count = GramCostCount()
    shape = TileShape(h: sp.count == 2 ? sp[0] : 1, w: sp.last ?? 1, full: full)
    node.countActivations(&shape, into: &count, ntk: computeNTK)
    let program = TileProgram(node, input: input, computeNTK: computeNTK)
    let block = program?.blockPairs ?? 1
    return GramCost(
      full: full, positions: positions, maxEntries: most, flopsPerPair: flops, closedEntries: count.closed,
      quadratureEntries: count.quadrature, tiled: program != nil,
      workingDoublesPerThread: 4 * most * block, tapeDoublesPerInput: count.tape)
  }
}

/// Running counts of `KernelNode.countActivations`.
struct GramCostCount {
  var closed = 0.0
  var quadrature = 0.0
  var tape = 0.0
}

extension KernelNode {
  /// Follows the shape through the node as `walk` does (the leaves advance it by `walk`), counting
  /// the entries each activation outside the ab-ReLU family evaluates and each input's tape.
  func countActivations(_ s: inout TileShape, into c: inout GramCostCount, ntk: Bool) {
    switch self {
    case .serial(let xs):
      for x in xs { x.countActivations(&s, into: &c, ntk: ntk) }
    case .repeated(let x, let n):
      for done in 0..<n {
        let before = s, was = c
        x.countActivations(&s, into: &c, ntk: ntk)
        if s == before {
          // a fixed shape: every further repetition counts the same
          let k = Double(n - done - 1)
          c.closed += (c.closed - was.closed) * k
          c.quadrature += (c.quadrature - was.quadrature) * k
          c.tape += (c.tape - was.tape) * k
          break
        }
      }
    case .parallel(let xs, _):
      var out = s
      for x in xs {
        var b = s
        x.countActivations(&b, into: &c, ntk: ntk)
        out = b
      }
      s = out
    default:
      if case .activation(let a) = self {
        c.tape += Double(s.positions)
        if !isTileable, a.hasClosedForm {
          c.closed += Double(s.entries)
        } else if !isTileable {
          c.quadrature += Double(s.entries)
        }
      }
      if case .layerNorm = self { c.tape += Double(s.positions) }
      var flops = 0.0, sqrts = 0.0, most = 0
      walk(&s, flops: &flops, sqrts: &sqrts, most: &most, ntk: ntk)
    }
  }
}
