import SkelPlot
import SkelTestSupport
import Testing

/// Edges of graph drawings (computation skeletons) against the nodes they do not join, in the
/// scene's coordinates: a skip edge bows around the nodes between its ends; edges between
/// neighbouring levels stay straight.
@Suite struct GraphEdgeTests {
  let layout = FigureLayout(theme: .light, measurer: FixedMeasurer())

  /// The drawing's node circles (centre, radius) and edge polylines, read off the scene.
  func drawn(_ g: GraphDrawing, width: Double = 260, height: Double = 180) -> (circles: [(Point, Double)], edges: [[Point]]) {
    let scene = layout.scene(for: Figure(width: width, height: height, panels: [Axes(marks: [.graph(g)])]))
    var circles: [(Point, Double)] = [], edges: [[Point]] = []
    for item in scene.items {
      guard case .path(let elements, _, let fill) = item else { continue }
      if fill != nil, case .circle(let c, let r) = elements.first {
        circles.append((c, r))
      } else if fill == nil {
        let points = elements.compactMap { e -> Point? in
          switch e {
          case .move(let p), .line(let p): return p
          default: return nil
          }
        }
        if points.count >= 2 { edges.append(points) }
      }
    }
    return (circles, edges)
  }

  static func distance(_ c: Point, _ a: Point, _ b: Point) -> Double {
    let vx = b.x - a.x, vy = b.y - a.y, len2 = vx * vx + vy * vy
    let t = len2 > 0 ? max(0, min(1, ((c.x - a.x) * vx + (c.y - a.y) * vy) / len2)) : 0
    let x = a.x + t * vx - c.x, y = a.y + t * vy - c.y
    return (x * x + y * y).squareRoot()
  }

  /// The closest an edge comes to a circle's centre.
  static func closest(_ line: [Point], _ c: Point) -> Double {
    zip(line, line.dropFirst()).map { distance(c, $0, $1) }.min() ?? .infinity
  }

  /// A residual chain x → h₁ → h₂ → out with skips x → h₂ and h₁ → out: every node in one row, so
  /// each skip's chord runs through the middle node. The skips bow (more than 2 vertices) and keep
  /// 1.5 radii from every node they do not join; the chain's edges are single straight segments.
  @Test func skipEdgesGoAroundTheNodesBetween() throws {
    let g = GraphDrawing.layered(
      levels: [0, 1, 2, 3], labels: ["$x$", "", "", ""], styles: [.input, .hidden, .hidden, .output],
      edges: [(0, 1), (1, 2), (2, 3), (0, 2), (1, 3)])
    let (circles, edges) = drawn(g)
    try #require(circles.count == 4 && edges.count == 5)
    let radius = circles[0].1
    for (k, (a, b)) in g.edges.enumerated() {
      let line = edges[k]
      if b == a + 1 {
        #expect(line.count == 2, "edge \(a)→\(b) is straight")
      } else {
        #expect(line.count > 2, "skip \(a)→\(b) bows")
      }
      for (n, (c, _)) in circles.enumerated() where n != a && n != b {
        #expect(Self.closest(line, c) >= 1.5 * radius - 1e-9, "edge \(a)→\(b) against node \(n)")
      }
      // it starts and ends on the rims of its own nodes
      let dStart = Self.distance(circles[a].0, line[0], line[0]),
        dEnd = Self.distance(circles[b].0, line[line.count - 1], line[line.count - 1])
      #expect(abs(dStart - radius) < 1e-9 && abs(dEnd - radius) < 1e-9)
    }
  }

  /// A drawing without skips (Daniely's conv skeleton of the gallery) keeps every edge one
  /// straight segment from rim to rim.
  @Test func neighbouringLevelsStayStraight() {
    let g = GraphDrawing.layered(
      levels: [0, 0, 0, 0, 1, 1, 1, 2], labels: Array(repeating: "", count: 8),
      styles: [.input, .input, .input, .input, .hidden, .hidden, .hidden, .pooling],
      edges: [(0, 4), (1, 4), (1, 5), (2, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)])
    let (_, edges) = drawn(g)
    #expect(edges.count == 9)
    #expect(edges.allSatisfy { $0.count == 2 })
  }
}
