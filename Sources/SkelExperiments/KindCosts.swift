import SkelDocument
import SkelKernels

// Each kind's estimate, read off the loops of its `run` (see Cost). Counts are Doubles for work
// (a product of option values may exceed Int) and overflow-checked Ints for memory.

extension ResolvedOptions {
  /// Whether every activation named by `name` has a closed-form kernel.
  func closedForm(_ name: String) -> Bool {
    calls(name).allSatisfy { ActivationOption.activation($0).hasClosedForm }
  }
}

extension HermiteTableKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let acts = o.calls("activations").count, terms = o.integer("terms")
    c.doubles([acts, terms + 4], "\(acts) rows", options: ["activations"])
    c.work(Double(acts) * Double(terms + 2), each: UnitCost.integral, "\(acts) activations × \(terms) coefficients", options: ["activations", "terms"])
    return c.cost
  }
}

extension FixedPointKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let starts = o.grid("starts").count, depth = o.integer("depth")
    // mean field: one set of curves per σ_w²; the length outputs iterate q_starts, the maps are drawn on q or c
    let widths = o.string("mode") == "mean-field" ? o.grid("sigma_w2").count : 1
    let lengths = max(starts, o.grid("q_starts").count), mapPoints = max(o.grid("q").count, o.grid("c").count)
    c.doubles([widths, lengths, depth + 1, 2], "\(widths) × \(lengths) trajectories × depth \(depth)", options: ["starts", "q_starts", "sigma_w2", "depth"])
    let each = o.string("mode") == "mean-field" ? 4 * UnitCost.integral : UnitCost.kernel(closedForm: o.closedForm("activation"))
    c.work(Double(widths) * Double(lengths) * Double(depth), each: each, "\(widths) × \(lengths) trajectories × depth \(depth)", options: ["starts", "q_starts", "sigma_w2", "depth"])
    c.work(Double(widths) * Double(mapPoints), each: each, "\(widths) × \(mapPoints) map points", options: ["q", "c", "sigma_w2"])
    c.work(Double(widths), each: UnitCost.meanFieldPoint * 10, "fixed points", options: ["sigma_w2"])
    return c.cost
  }
}

extension SkeletonKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let coords = o.numbers("correlations").count, layers = o.integer("layers"), t = o.grid("t").count
    let window = o.string("architecture") == "fully-connected" ? coords : o.integer("window")
    // nodes ≤ coordinates per layer; edges ≤ window per node
    let nodes = Double(coords) * Double(layers + 1) + 1, edges = Double(coords) * Double(layers) * Double(window) + Double(coords)
    c.doubles([coords, layers + 1, 8], "skeleton of \(coords) inputs × \(layers) layers", options: ["correlations", "layers"])
    c.doubles([coords, layers, min(window, coords)], "edges", options: ["correlations", "window"])
    c.work(2 * Double(t + 2) * nodes, each: UnitCost.kernel(closedForm: o.closedForm("activation")), "\(t) points × \(Int(nodes)) nodes", options: ["t", "correlations", "layers"])
    c.work(2 * Double(t + 2) * edges, each: 1e-8, "\(t) points × \(Int(edges)) edges", options: ["t", "correlations", "window"])
    return c.cost
  }
}

extension PhaseDiagramKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let w = o.grid("sigma_w2").count, b = o.grid("sigma_b2").count, eoc = o.integer("eoc_points")
    c.doubles([w, b, 2], "grid \(w) × \(b)", options: ["sigma_w2", "sigma_b2"])
    c.work(Double(w) * Double(b), each: UnitCost.meanFieldPoint, "grid \(w) × \(b)", options: ["sigma_w2", "sigma_b2"])
    c.work(Double(eoc), each: UnitCost.edgeOfChaos, "\(eoc) edge-of-chaos roots", options: ["eoc_points"])
    return c.cost
  }
}

extension DepthScalesKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let w = o.grid("sigma_w2").count
    c.doubles([w, 8], "\(w) weight variances", options: ["sigma_w2"])
    c.work(Double(w), each: UnitCost.meanFieldPoint, "\(w) weight variances", options: ["sigma_w2"])
    c.work(1, each: UnitCost.edgeOfChaos, "edge of chaos", options: [])
    return c.cost
  }
}

extension RealizationKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    let depths = o.integers("depths"), deepest = depths.max() ?? 1, r = o.integer("width"), t = o.grid("theta").count
    // h (inputs × r) and its product, the weights (fan-in × r), the kernels per layer
    c.doubles([t + 1, r, 2], "activations \(t + 1) × width \(r)", options: ["theta", "width"])
    c.doubles([r, r], "weights \(r) × \(r)", options: ["width"])
    c.doubles([deepest, t, 3], "depth \(deepest) × \(t) angles", options: ["depths", "theta"])
    c.work(Double(deepest) * Double(t + 1) * Double(r) * Double(r), each: UnitCost.flop,
      "depth \(deepest) × \(t + 1) inputs × width \(r)²", options: ["width", "theta", "depths"])
    c.work(Double(deepest) * Double(r) * Double(r), each: UnitCost.draw, "depth \(deepest) × width \(r)² weights", options: ["width", "depths"])
    c.work(Double(deepest) * Double(t) * Double(deepest), each: UnitCost.closedKernel, "exact angle maps", options: ["theta", "depths"])
    return c.cost
  }
}

extension RainbowKind {
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    switch o.string("mode") {
    case "kernel":
      let s = o.grid("anisotropy").count, m = o.integer("samples")
      c.doubles([s, 4], "\(s) anisotropies", options: ["anisotropy"])
      c.work(Double(s) * Double(m) * 2, each: UnitCost.draw, "\(s) anisotropies × \(m) samples", options: ["samples", "anisotropy"])
    case "spectrum":
      let n = o.integer("atoms"), d = o.integer("dimension"), rank = min(o.integer("rank"), d), nets = o.integer("networks")
      c.doubles([4, n, d], "4 atom matrices \(n) × \(d)", options: ["atoms", "dimension"])
      c.doubles([10, d, d], "10 covariance matrices \(d) × \(d)", options: ["dimension"])
      let dd = Double(d) * Double(d)
      c.work(Double(max(1, rank)) * dd * 2, each: 2e-9, "covariance of rank \(rank) in dimension \(d)", options: ["rank", "dimension"])
      c.work(Double(nets + 1) * Double(n) * Double(d) * (2 * Double(d) + 1), each: UnitCost.flop, "\(nets + 1) draws of \(n) × \(d) atoms", options: ["networks", "atoms", "dimension"])
      c.work(Double(nets + 1) * Double(n) * Double(d), each: UnitCost.draw, "\(nets + 1) × \(n) × \(d) normals", options: ["networks", "atoms", "dimension"])
      c.work(40 * dd * Double(d) + 4 * Double(n) * dd, each: UnitCost.flop, "eigendecompositions in dimension \(d)", options: ["dimension"])
    default:
      let widths = o.grid("widths").map { max(1, $0.rounded()) }, depth = o.integer("depth"), n = o.integer("points"), d = o.integer("dimension")
      let rMax = Int(widths.max() ?? 1)
      c.doubles([n, rMax, 4], "activations \(n) × width \(rMax)", options: ["points", "widths"])
      c.doubles([max(d, rMax), rMax, 2], "weights \(max(d, rMax)) × \(rMax)", options: ["widths", "dimension"])
      c.doubles([2 * depth + 4, n, n], "\(2 * depth) Gram matrices \(n) × \(n)", options: ["depth", "points"])
      var flops = 0.0, draws = 0.0
      for r in widths {
        flops += 2 * (Double(n) * Double(d) * r + Double(depth - 1) * Double(n) * r * r + Double(depth) * Double(n) * Double(n) * r)
        draws += 2 * (Double(d) * r + Double(depth - 1) * r * r)
      }
      let nnn = Double(n) * Double(n) * Double(n)
      c.work(flops * 2, each: UnitCost.flop, "\(widths.count) widths up to \(rMax) × depth \(depth) on \(n) points", options: ["widths", "depth", "points"])
      c.work(draws, each: UnitCost.draw, "weights of \(widths.count) widths up to \(rMax)", options: ["widths", "depth"])
      c.work(Double(widths.count) * Double(depth) * 30 * nnn, each: UnitCost.flop, "\(widths.count * depth) alignments of \(n) points", options: ["points", "widths", "depth"])
    }
    return c.cost
  }
}

extension ParityKind {
  /// Fixed work: 17 single-layer activations (a few by quadrature) or 4 deep ReLU depths.
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    c.doubles([17, 8], "the parity table", options: ["table"])
    c.work(17 * 3, each: UnitCost.quadratureKernel, "17 activations × 3 kernels", options: ["table"])
    return c.cost
  }
}
