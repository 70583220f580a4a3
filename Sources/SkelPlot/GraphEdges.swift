/// Where a graph drawing's edges run (`FigureLayout.drawGraph`): straight from circle to circle
/// unless the segment passes over another node (a skip edge of a residual or two-branch
/// skeleton, from level l to level l + 2 or more, crosses the nodes of the levels between); such
/// an edge bows around them as a quadratic Bézier curve (drawn as a polyline), the least bow that
/// keeps half a radius of space to every other node and stays inside the panel, on the side away
/// from the panel's centre first.
enum GraphEdges {
  /// Segments of a bowed edge's polyline.
  static let samples = 32
  /// Tried bows (each side) before an edge is drawn straight after all.
  static let maxBows = 12
  /// Distance checks (point × node) one drawing may spend on routing; past it, edges are straight.
  static let budget = 20_000_000

  /// The node centres of a drawing, sorted by x (for the nodes in an edge's x range).
  struct Nodes {
    let centres: [Point]
    let order: [Int]
    let xs: [Double]

    init(_ centres: [Point]) {
      self.centres = centres
      order = centres.indices.sorted { centres[$0].x < centres[$1].x }
      xs = order.map { centres[$0].x }
    }

    /// The centres with x in (lo, hi), without nodes a and b.
    func within(_ lo: Double, _ hi: Double, except a: Int, _ b: Int) -> [Point] {
      var first = 0, last = xs.count
      while first < last {
        let m = (first + last) / 2
        if xs[m] <= lo { first = m + 1 } else { last = m }
      }
      var out: [Point] = []
      var k = first
      while k < xs.count, xs[k] < hi {
        if order[k] != a, order[k] != b { out.append(centres[order[k]]) }
        k += 1
      }
      return out
    }
  }

  /// The polyline of the edge from node a to node b (radius `radius`), trimmed at the two
  /// circles, inside `frame`. An edge is straight unless a node of a column strictly between its
  /// ends is within 1.5 radii of it; a bow keeps 1.5 radii from every node but its ends. `spent`
  /// counts the distance checks against `budget`.
  static func route(_ a: Int, _ b: Int, nodes: Nodes, radius: Double, frame: Rect, spent: inout Int) -> [Point] {
    let p = nodes.centres[a], q = nodes.centres[b], clearance = 1.5 * radius
    let straight = [p, q]
    guard spent < budget else { return trim(straight, p, q, radius) }
    func isClear(_ line: [Point], _ near: [Point]) -> Bool {
      spent += near.count * (line.count - 1) + 1
      for c in near {
        for k in 1..<line.count where distance(c, line[k - 1], line[k]) < clearance { return false }
      }
      return true
    }
    let between = nodes.within(min(p.x, q.x) + radius, max(p.x, q.x) - radius, except: a, b)
    if between.isEmpty || isClear(straight, between) { return trim(straight, p, q, radius) }
    let near = nodes.within(min(p.x, q.x) - clearance, max(p.x, q.x) + clearance, except: a, b)
    let dx = q.x - p.x, dy = q.y - p.y, d = (dx * dx + dy * dy).squareRoot()
    let normal = Point(-dy / d, dx / d), mid = Point((p.x + q.x) / 2, (p.y + q.y) / 2)
    let centre = Point(frame.x + frame.width / 2, frame.y + frame.height / 2)
    let away: Double = (mid.x - centre.x) * normal.x + (mid.y - centre.y) * normal.y >= 0 ? 1 : -1
    for k in 1...maxBows {
      for side in [away, -away] {
        guard spent < budget else { return trim(straight, p, q, radius) }
        // the curve's apex is half the control point's offset from the chord
        let offset = side * Double(k) * 1.2 * radius
        let control = Point(mid.x + normal.x * offset, mid.y + normal.y * offset)
        let curve = (0...samples).map { i -> Point in
          let t = Double(i) / Double(samples), s = 1 - t
          return Point(s * s * p.x + 2 * s * t * control.x + t * t * q.x, s * s * p.y + 2 * s * t * control.y + t * t * q.y)
        }
        if curve.allSatisfy(frame.contains), isClear(curve, near) { return trim(curve, p, q, radius) }
      }
    }
    return trim(straight, p, q, radius)
  }

  /// The distance from `c` to the segment a–b.
  static func distance(_ c: Point, _ a: Point, _ b: Point) -> Double {
    let vx = b.x - a.x, vy = b.y - a.y, len2 = vx * vx + vy * vy
    let t = len2 > 0 ? max(0, min(1, ((c.x - a.x) * vx + (c.y - a.y) * vy) / len2)) : 0
    let x = a.x + t * vx - c.x, y = a.y + t * vy - c.y
    return (x * x + y * y).squareRoot()
  }

  /// The polyline from the rim of p's circle to the rim of q's: the points inside either circle
  /// are dropped and the first and last outside are joined to the rim along the ray from the
  /// centre. Empty when nothing is outside both circles.
  static func trim(_ line: [Point], _ p: Point, _ q: Point, _ radius: Double) -> [Point] {
    func dist(_ a: Point, _ b: Point) -> Double { ((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)).squareRoot() }
    func rim(_ c: Point, toward a: Point) -> Point {
      let d = dist(a, c)
      return Point(c.x + (a.x - c.x) / d * radius, c.y + (a.y - c.y) / d * radius)
    }
    if line.count == 2 {
      guard dist(p, q) > 2 * radius else { return [] }
      return [rim(p, toward: q), rim(q, toward: p)]
    }
    let inner = line.filter { dist($0, p) > radius && dist($0, q) > radius }
    guard let first = inner.first, let last = inner.last else { return [] }
    return [rim(p, toward: first)] + inner + [rim(q, toward: last)]
  }
}
