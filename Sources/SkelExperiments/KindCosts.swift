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

extension ParityKind {
  /// Fixed work: 17 single-layer activations (a few by quadrature) or 4 deep ReLU depths.
  public func cost(_ o: ResolvedOptions) -> Cost {
    var c = CostBuilder()
    c.doubles([17, 8], "the parity table", options: ["table"])
    c.work(17 * 3, each: UnitCost.quadratureKernel, "17 activations × 3 kernels", options: ["table"])
    return c.cost
  }
}
