import Foundation
import SkelCairo
import SkelPlot
import Testing

/// Every figure kind the plotting layer offers, on data with known shape.
enum Gallery {
  static func logLog() -> Figure {
    let r = (4...12).map { pow(2, Double($0)) }
    let std = r.map { 1.6 / $0.squareRoot() }
    let err = std.map { $0 * 0.12 }
    let band = BandSeries(name: "±2 s.e.", x: r, lower: zip(std, err).map { $0 - 2 * $1 }, upper: zip(std, err).map { $0 + 2 * $1 })
    return Figure(
      width: 340, height: 240,
      panels: [
        Axes(
          title: "Concentration of $k_w$", x: AxisSpec(label: "width $r$", scale: .log),
          y: AxisSpec(label: "std of $k_w - \\kappa$", scale: .log),
          marks: [
            .band(band), .errorBars(ErrorBarSeries(name: "depth 3", x: r, y: std, error: err)),
            .line(LineSeries(name: "depth 1", x: r, y: std.map { $0 / 2 }, marker: .square)),
            .reference(.slope(-0.5, throughX: 16, y: 0.7, label: "slope $-1/2$")),
          ])
      ])
  }

  static func histogram() -> Figure {
    var g = SystemRandomNumberGenerator()
    _ = g.next()
    // deterministic "normal" samples: inverse-CDF on a regular grid of quantiles (no RNG)
    let samples = (1..<4000).map { k -> Double in
      let p = Double(k) / 4000
      return 2.0.squareRoot() * erfinvApprox(2 * p - 1)
    }
    let xs = (0...200).map { -4 + 8 * Double($0) / 200 }
    return Figure(
      width: 340, height: 230,
      panels: [
        Axes(
          x: AxisSpec(label: "whitened weight"), y: AxisSpec(label: "density"),
          marks: [
            .histogram(Histogram(name: "weights", values: samples, bins: 40, lower: -4, upper: 4)),
            .line(
              LineSeries(
                name: "$\\mathcal{N}(0,1)$", x: xs, y: xs.map { exp(-$0 * $0 / 2) / (2 * Double.pi).squareRoot() },
                color: Color(hex: 0xD55E00))),
            .reference(.vertical(x: 0, label: "")),
          ])
      ])
  }

  static func heatmaps() -> Figure {
    let n = 60
    var v: [Double] = [], s: [Double] = []
    for i in 0..<n {
      for j in 0..<n {
        let x = Double(j) / Double(n - 1) * 2 - 1, y = 1 - Double(i) / Double(n - 1) * 2
        v.append(exp(-(x * x + y * y) * 2) + 0.3 * x)
        s.append(sin(3 * x) * cos(2 * y))
      }
    }
    return Figure(
      width: 520, height: 220,
      panels: [
        Axes(
          title: "viridis", x: AxisSpec(label: "$\\sigma_w^2$"), y: AxisSpec(label: "$\\sigma_b^2$"),
          marks: [.heatmap(Heatmap(values: v, rows: n, columns: n, x: 0...4, y: 0...0.5, colorbarLabel: "$\\xi_c$"))]),
        Axes(
          title: "diverging",
          marks: [.heatmap(Heatmap(values: s, rows: n, columns: n, x: -1...1, y: -1...1, colormap: .diverging, limits: -1...1))]),
      ], columns: 2)
  }

  static func grid() -> Figure {
    let xs = (0...100).map { Double($0) / 50 - 1 }
    func panel(_ k: Double) -> Axes {
      Axes(
        x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\kappa$"),
        lines: [
          LineSeries(name: "a", x: xs, y: xs.map { pow(($0 + 1) / 2, k) }),
          LineSeries(name: "b", x: xs, y: xs.map { pow(($0 + 1) / 2, k + 1) }, dash: [4, 2]),
        ], legend: k == 1 ? .best : .none)
    }
    return Figure(width: 420, height: 320, panels: [panel(1), panel(2), panel(3), panel(4)], columns: 2, sharedX: true, sharedY: true)
  }

  static func symlog() -> Figure {
    let xs = (0...400).map { -1000 + 5 * Double($0) }
    return Figure(
      width: 340, height: 220,
      panels: [
        Axes(
          x: AxisSpec(label: "$x$", scale: .symlog), y: AxisSpec(label: "$\\tanh(x/100)$"),
          lines: [LineSeries(name: "", x: xs, y: xs.map { tanh($0 / 100) })])
      ])
  }

  static func skeleton() -> Figure {
    // conv skeleton: 4 inputs, window 2 stride 1, pooling
    let levels = [0, 0, 0, 0, 1, 1, 1, 2]
    let labels = ["$x^1$", "$x^2$", "$x^3$", "$x^4$", "", "", "", ""]
    let styles: [GraphDrawing.Style] = [.input, .input, .input, .input, .hidden, .hidden, .hidden, .pooling]
    let edges = [(0, 4), (1, 4), (1, 5), (2, 5), (2, 6), (3, 6), (4, 7), (5, 7), (6, 7)]
    return Figure(
      width: 260, height: 180, panels: [Axes(marks: [.graph(.layered(levels: levels, labels: labels, styles: styles, edges: edges))])])
  }

  static func table() -> Figure {
    Figure(
      width: 300, height: 120,
      panels: [
        Axes(marks: [
          .table(
            TableFigure(
              columns: ["activation", "$\\hat\\sigma(0)$", "$a_1^2$", "kernel"],
              rows: [
                ["ReLU", "0.3183", "0.5", "arc-cosine 1"], ["step", "0.5", "0.3183", "arc-cosine 0"],
                ["exp", "0.3679", "0.3679", "Gaussian RBF"],
              ],
              highlight: [[1, 1]]))
        ])
      ])
  }

  static let all: [(String, Figure)] = [
    ("table", table()),
    ("loglog", logLog()), ("histogram", histogram()), ("heatmaps", heatmaps()), ("grid", grid()), ("symlog", symlog()),
    ("skeleton", skeleton()),
  ]

  /// erf⁻¹ by Newton on erf (for deterministic normal quantiles).
  static func erfinvApprox(_ y: Double) -> Double {
    var x = 0.0
    for _ in 0..<60 { x -= (erf(x) - y) / (2 / Double.pi.squareRoot() * exp(-x * x)) }
    return x
  }
}

@Suite(.serialized) struct GalleryTests {
  let backend = CairoBackend()

  /// Golden PNGs of four kinds, each looked at by a person (re-record with RECORD_SNAPSHOTS=1).
  @Test(arguments: ["loglog", "heatmaps", "grid", "skeleton"])
  func golden(name: String) throws {
    let figure = Gallery.all.first { $0.0 == name }!.1
    try expectGolden(
      Data(try backend.render(FigureLayout(theme: .light, measurer: backend).scene(for: figure), as: .png, pixelsPerPoint: 2)),
      named: "gallery-\(name).png")
  }

  /// Every kind renders in all three formats, deterministically; `GALLERY_DIR` keeps the PNGs to look at.
  @Test(arguments: Gallery.all.map(\.0))
  func rendersEverywhere(name: String) throws {
    let figure = Gallery.all.first { $0.0 == name }!.1
    for theme in [Theme.light, .dark, .print] {
      let scene = FigureLayout(theme: theme, measurer: backend).scene(for: figure)
      for f in ImageFormat.allCases {
        let a = try backend.render(scene, as: f, pixelsPerPoint: 2), b = try backend.render(scene, as: f, pixelsPerPoint: 2)
        #expect(a == b && a.count > 500, "\(name) \(f)")
      }
      if let dir = ProcessInfo.processInfo.environment["GALLERY_DIR"] {
        let suffix = theme == .light ? "" : theme == .dark ? "-dark" : "-print"
        try Data(try backend.render(scene, as: .png, pixelsPerPoint: 2)).write(
          to: URL(fileURLWithPath: dir).appendingPathComponent("\(name)\(suffix).png"))
      }
    }
  }
}

/// A dark SVG made from the light one by its colours (`CairoBackend.recolored`) is byte for byte
/// the SVG drawing the dark layout gives, for every figure of the gallery and its phone stacking
/// (log axes, histograms, heat maps with colour bars, grids of panels, skeleton graphs, tables,
/// legends with their backing patches); a dark layout that differs in more than colours is not
/// recoloured.
@Suite struct DarkSVGTests {
  let backend = CairoBackend()

  @Test(arguments: Gallery.all.map(\.0)) func recolouredIsDrawn(_ name: String) throws {
    let base = try #require(Gallery.all.first { $0.0 == name }?.1)
    for figure in [base, base.stacked(width: 340)] {
      let light = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
      let dark = FigureLayout(theme: .dark, measurer: backend).scene(for: figure)
      let svg = try backend.render(light, as: .svg, pixelsPerPoint: 1)
      let drawn = try backend.render(dark, as: .svg, pixelsPerPoint: 1)
      let made = try #require(backend.recolored(svg, of: light, to: dark, as: .svg), "\(name): not recoloured")
      #expect(made == drawn, "\(name): \(made.count) bytes made, \(drawn.count) drawn")
      #expect(made != svg)
      #expect(backend.recolored(svg, of: light, to: dark, as: .png) == nil)
    }
  }

  /// Scenes that differ in more than colours, or whose colours do not map one to one, are not.
  @Test func onlyColoursDiffer() throws {
    let light = FigureLayout(theme: .light, measurer: backend).scene(for: Gallery.logLog())
    var moved = FigureLayout(theme: .dark, measurer: backend).scene(for: Gallery.logLog())
    #expect(light.colorMap(to: moved) != nil)
    if case .text(var t)? = moved.items.first(where: { if case .text = $0 { true } else { false } }),
      let k = moved.items.firstIndex(of: .text(t))
    {
      t.position.x += 1
      moved.items[k] = .text(t)
    }
    #expect(light.colorMap(to: moved) == nil, "a text moved by 1 pt")
    // one light colour that would become two dark ones
    let square: [PathElement] = [.move(Point(0, 0)), .line(Point(1, 0)), .line(Point(1, 1)), .close]
    let red = Color(red: 1, green: 0, blue: 0), a = Color(red: 0, green: 1, blue: 0), b = Color(red: 0, green: 0, blue: 1)
    let one = Scene(
      width: 2, height: 2, background: nil, items: [.path(square, stroke: nil, fill: red), .path(square, stroke: nil, fill: red)])
    let two = Scene(
      width: 2, height: 2, background: nil, items: [.path(square, stroke: nil, fill: a), .path(square, stroke: nil, fill: b)])
    #expect(one.colorMap(to: two) == nil)
    let svg = try backend.render(one, as: .svg, pixelsPerPoint: 1)
    #expect(backend.recolored(svg, of: one, to: two, as: .svg) == nil)
    let same = Scene(
      width: 2, height: 2, background: nil, items: [.path(square, stroke: nil, fill: a), .path(square, stroke: nil, fill: a)])
    #expect(try backend.recolored(svg, of: one, to: same, as: .svg) == backend.render(same, as: .svg, pixelsPerPoint: 1))
  }
}
