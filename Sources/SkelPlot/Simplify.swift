/// Path simplification for dense polylines: what a device can show of 10⁴ vertices across a few
/// hundred pixel columns.
///
/// In every run of consecutive vertices that fall into one device column, only the first, the
/// lowest, the highest and the last are kept, in their original order (the M4 reduction of
/// Jugel et al., 2014; matplotlib's `path.simplify` and plotters' sampling do the same job by
/// other rules). The stroke of the reduced polyline covers the same vertical extent in each column
/// and joins the neighbouring columns at the same vertices, so the rasterized line differs from the
/// full one only in antialiasing inside a column. Filled, dashed, closed and curved paths are kept
/// as they are: their area or dash phase depends on every vertex.
extension Scene {
  /// The scene with every plain stroked polyline reduced to at most four vertices per run in a
  /// column of width `1 / columnsPerPoint` points.
  public func simplified(columnsPerPoint: Double) -> Scene {
    guard columnsPerPoint > 0, columnsPerPoint.isFinite else { return self }
    var out = self
    out.items = items.map { item in
      guard case .path(let elements, let stroke?, nil) = item, stroke.dash.isEmpty, elements.count > 8 else { return item }
      guard let reduced = Self.reducedPolyline(elements, columnsPerPoint: columnsPerPoint) else { return item }
      return .path(reduced, stroke: stroke, fill: nil)
    }
    return out
  }

  /// The M4 reduction of a path made of `.move` and `.line` only (nil for any other element).
  static func reducedPolyline(_ elements: [PathElement], columnsPerPoint k: Double) -> [PathElement]? {
    var out: [PathElement] = []
    out.reserveCapacity(min(elements.count, 1024))
    // The current run: its column and the indices of its first, lowest, highest and last vertex.
    var column = Double.nan
    var first = 0, low = 0, high = 0, last = 0
    var lowY = 0.0, highY = 0.0
    func point(_ i: Int) -> Point {
      switch elements[i] {
      case .move(let p), .line(let p): return p
      default: return Point(0, 0)
      }
    }
    func flush() {
      guard !column.isNaN else { return }
      var kept = [first, low, high, last]
      kept.sort()
      var previous = -1
      for i in kept where i != previous {
        // a run never spans a .move: the first vertex keeps its own pen state, the rest are lines
        out.append(i == first ? elements[i] : .line(point(i)))
        previous = i
      }
    }
    for (i, e) in elements.enumerated() {
      let p: Point
      let pen: Bool
      switch e {
      case .move(let q): (p, pen) = (q, false)
      case .line(let q): (p, pen) = (q, true)
      default: return nil
      }
      let c = (p.x * k).rounded(.down)
      if !pen || c != column {
        flush()
        column = c
        (first, low, high, last) = (i, i, i, i)
        (lowY, highY) = (p.y, p.y)
      } else {
        last = i
        if p.y < lowY { (low, lowY) = (i, p.y) }
        if p.y > highY { (high, highY) = (i, p.y) }
      }
    }
    flush()
    return out
  }
}
