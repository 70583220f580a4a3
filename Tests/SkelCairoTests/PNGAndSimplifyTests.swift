import Foundation
import SkelPlot
import Testing

@testable import SkelCairo

@Suite struct PNGEncoderTests {
  let backend = CairoBackend()

  /// An opaque figure is written as RGB and decodes to the pixels cairo drew; a translucent one
  /// as RGBA, whose straight colours premultiply back to within one level.
  @Test func roundTrip() throws {
    let opaque = FigureLayout(theme: .light, measurer: backend).scene(for: sampleFigure())
    let png = try backend.render(opaque, as: .png, pixelsPerPoint: 2)
    #expect(png[25] == 2, "colour type RGB for an opaque image")
    let decoded = try #require(DecodedPNG(png))
    #expect(decoded.width == 576 && decoded.height == 400)
    #expect(decoded.argb.allSatisfy { $0 >> 24 == 0xFF })
    // resolution chunk: 2 px/pt = 144 dpi = 5669 px/m
    let phys = try #require(findChunk("pHYs", in: png))
    #expect(phys.prefix(4).reduce(0) { $0 << 8 | Int($1) } == 5669)

    var translucent = opaque
    translucent.background = nil
    translucent.items.append(
      .path(
        [.move(Point(10, 10)), .line(Point(200, 150))],
        stroke: StrokeStyle(color: Color(red: 0.2, green: 0.6, blue: 0.9, alpha: 0.35), width: 9), fill: nil))
    let png2 = try backend.render(translucent, as: .png, pixelsPerPoint: 2)
    #expect(png2[25] == 6, "colour type RGBA with transparency")
    let d2 = try #require(DecodedPNG(png2))
    #expect(
      d2.argb.contains {
        let a = $0 >> 24
        return a > 0 && a < 255
      })
    #expect(d2.argb.contains { $0 >> 24 == 0 })
  }

  /// An SVG embeds a bitmap as this encoder's PNG (cairo's mime data, not libpng's slow default
  /// encoding): the embedded PNG has this encoder's resolution chunk and decodes to the bitmap's
  /// pixels exactly.
  @Test func svgEmbedsThisEncodersPNG() throws {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func byte() -> UInt8 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 56)
    }
    let (w, h) = (40, 30)
    var rgba: [UInt8] = []
    for _ in 0..<(w * h) { rgba += [byte(), byte(), byte(), 255] }
    let scene = Scene(
      width: 60, height: 40, background: .white,
      items: [.image(RasterImage(width: w, height: h, rgba: rgba), in: Rect(x: 10, y: 10, width: 20, height: 15))])
    let svg = String(decoding: try backend.render(scene, as: .svg, pixelsPerPoint: 2), as: UTF8.self)
    let start = try #require(svg.range(of: "data:image/png;base64,"))
    let b64 = svg[start.upperBound...].prefix { $0 != "\"" && $0 != "'" }
    let png = [UInt8](try #require(Data(base64Encoded: String(b64))))
    #expect(findChunk("pHYs", in: png) != nil, "the encoder's PNG (cairo's own has no pHYs)")
    let decoded = try #require(DecodedPNG(png))
    #expect(decoded.width == w && decoded.height == h)
    let expected = (0..<(w * h)).map { i in
      0xFF00_0000 | UInt32(rgba[4 * i]) << 16 | UInt32(rgba[4 * i + 1]) << 8 | UInt32(rgba[4 * i + 2])
    }
    #expect(decoded.argb == expected)
  }

  /// Two encodings of the same pixels are the same bytes (the site is byte-identical run to run).
  @Test func deterministic() throws {
    let scene = FigureLayout(theme: .dark, measurer: backend).scene(for: sampleFigure())
    #expect(try backend.render(scene, as: .png, pixelsPerPoint: 3) == backend.render(scene, as: .png, pixelsPerPoint: 3))
  }

  func findChunk(_ type: String, in png: [UInt8]) -> [UInt8]? {
    var i = 8
    while i + 8 <= png.count {
      let n = png[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) }
      if String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self) == type { return Array(png[(i + 8)..<(i + 8 + n)]) }
      i += 12 + n
    }
    return nil
  }
}

@Suite struct PathSimplificationTests {
  /// 8 noisy power laws × 10⁴ points on log axes (the matplotlib benchmark's figure), drawn with
  /// and without the column reduction: the reduced drawing keeps under half of the vertices (a
  /// third here), and its pixels match the full drawing's but for antialiasing at the line's edges
  /// (measured: 1.5 % of pixels differ, by 0.1 levels of 255 on average; zoomed, the two look the same).
  @Test func reducedDrawingMatchesFullDrawing() throws {
    var state: UInt64 = 12345
    func uniform() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 11) / Double(1 << 53)
    }
    let x = (0..<10_000).map { pow(10, -3 + 6 * Double($0) / 9999) }
    let lines = (0..<8).map { k in
      LineSeries(name: "s\(k)", x: x, y: x.map { pow($0, 0.25 * Double(k + 1)) * (1 + 0.1 * (uniform() - 0.5)) + 1e-3 }, lineWidth: 1)
    }
    let figure = Figure(
      width: 460.8, height: 345.6, panels: [Axes(x: AxisSpec(label: "x", scale: .log), y: AxisSpec(label: "y", scale: .log), lines: lines)])
    let full = CairoBackend(simplifiesPaths: false, fastDenseStrokes: false), reduced = CairoBackend(fastDenseStrokes: false)
    let scene = FigureLayout(theme: .light, measurer: full).scene(for: figure)
    let ppp = 150.0 / 72

    func vertices(_ s: Scene) -> Int {
      s.items.reduce(0) { n, item in if case .path(let e, _, _) = item, e.count > 1000 { return n + e.count } else { return n } }
    }
    let kept = vertices(scene.simplified(columnsPerPoint: ppp))
    #expect(vertices(scene) == 80_000)
    #expect(kept < 80_000 / 2, "kept \(kept) of 80000 vertices")

    let fullPNG = try full.render(scene, as: .png, pixelsPerPoint: ppp),
      reducedPNG = try reduced.render(scene, as: .png, pixelsPerPoint: ppp)
    if let dir = ProcessInfo.processInfo.environment["GALLERY_DIR"] {
      try Data(fullPNG).write(to: URL(fileURLWithPath: dir).appendingPathComponent("dense-full.png"))
      try Data(reducedPNG).write(to: URL(fileURLWithPath: dir).appendingPathComponent("dense-reduced.png"))
    }
    let a = try #require(DecodedPNG(fullPNG)), b = try #require(DecodedPNG(reducedPNG))
    #expect(a.width == b.width && a.height == b.height)
    var differing = 0, total = 0, worst: UInt32 = 0, large = 0
    for (p, q) in zip(a.argb, b.argb) where p != q {
      differing += 1
      var pixelWorst: UInt32 = 0
      defer { if pixelWorst > 64 { large += 1 } }
      for shift in stride(from: 0, to: 24, by: 8) {
        let u = (p >> UInt32(shift)) & 0xFF, v = (q >> UInt32(shift)) & 0xFF
        let d = u > v ? u - v : v - u
        total += Int(d)
        worst = max(worst, d)
        pixelWorst = max(pixelWorst, d)
      }
    }
    let mean = Double(total) / Double(a.argb.count * 3)
    print(
      "simplification: kept \(kept) of 80000 vertices; \(differing) of \(a.argb.count) pixels differ, mean |Δ| \(mean) levels, worst \(worst), \(large) by more than 64 levels"
    )
    #expect(Double(differing) < 0.02 * Double(a.argb.count), "\(differing) pixels differ")
    #expect(mean < 0.5, "mean channel difference \(mean) levels of 255")
    // edge pixels of the antialiased line only: at most 1 in 2000 changes by a quarter of the range (measured 1 in 5000)
    #expect(large * 2000 < a.argb.count, "\(large) pixels differ by more than 64 levels")

    // Fast antialiasing of the dense strokes (4 × 4 samples per pixel) against the default, both
    // reduced: measured 2.5 % of pixels, mean 0.29 levels, 54 by more than 64 (these 1-point
    // lines; 25 at the default width). Vector formats are not affected.
    let fast = CairoBackend()
    let fastPNG = try fast.render(scene, as: .png, pixelsPerPoint: ppp)
    if let dir = ProcessInfo.processInfo.environment["GALLERY_DIR"] {
      try Data(fastPNG).write(to: URL(fileURLWithPath: dir).appendingPathComponent("dense-fast-antialias.png"))
    }
    let c = try #require(DecodedPNG(fastPNG))
    var changed = 0, sum = 0, far = 0
    for (p, q) in zip(b.argb, c.argb) where p != q {
      changed += 1
      var pixelWorst: UInt32 = 0
      for shift in stride(from: 0, to: 24, by: 8) {
        let u = (p >> UInt32(shift)) & 0xFF, v = (q >> UInt32(shift)) & 0xFF
        let d = u > v ? u - v : v - u
        sum += Int(d)
        pixelWorst = max(pixelWorst, d)
      }
      if pixelWorst > 64 { far += 1 }
    }
    let fastMean = Double(sum) / Double(c.argb.count * 3)
    print("fast antialiasing: \(changed) of \(c.argb.count) pixels differ, mean |Δ| \(fastMean) levels, \(far) by more than 64 levels")
    #expect(changed > 0, "the dense strokes take the fast path")
    #expect(Double(changed) < 0.04 * Double(c.argb.count), "\(changed) pixels differ")
    #expect(fastMean < 0.5, "mean channel difference \(fastMean) levels of 255")
    #expect(far * 10_000 < c.argb.count, "\(far) pixels differ by more than 64 levels")
    for format in [ImageFormat.svg, .pdf] {
      #expect(
        try fast.render(scene, as: format, pixelsPerPoint: ppp) == reduced.render(scene, as: format, pixelsPerPoint: ppp),
        "\(format) unchanged")
    }
  }

  /// The reduction keeps the first, lowest, highest and last vertex of each column run, in order,
  /// and starts every sub-path where it started.
  @Test func keepsExtremesOfEachColumnRun() {
    // column 0: x in [0, 1), column 1: [1, 2); then a new sub-path
    let path: [PathElement] = [
      .move(Point(0.1, 5)), .line(Point(0.2, 9)), .line(Point(0.3, 1)), .line(Point(0.4, 7)), .line(Point(0.5, 6)), .line(Point(0.6, 4)),
      .line(Point(1.1, 3)), .line(Point(1.2, 3.5)), .line(Point(1.3, 2)),
      .move(Point(0.7, 8)), .line(Point(0.8, 8.5)), .line(Point(0.9, 0)), .line(Point(1.5, 1)), .line(Point(1.6, 2)), .line(Point(1.7, 3)),
      .line(Point(1.8, 4)),
    ]
    let scene = Scene(width: 10, height: 10, background: nil, items: [.path(path, stroke: StrokeStyle(color: .black, width: 1), fill: nil)])
    guard case .path(let reduced, _, _) = scene.simplified(columnsPerPoint: 1).items[0] else {
      Issue.record("not a path")
      return
    }
    #expect(
      reduced == [
        .move(Point(0.1, 5)), .line(Point(0.2, 9)), .line(Point(0.3, 1)), .line(Point(0.6, 4)),
        .line(Point(1.1, 3)), .line(Point(1.2, 3.5)), .line(Point(1.3, 2)),
        .move(Point(0.7, 8)), .line(Point(0.8, 8.5)), .line(Point(0.9, 0)), .line(Point(1.5, 1)), .line(Point(1.8, 4)),
      ])
    // filled and dashed paths keep every vertex
    let filled = Scene(width: 10, height: 10, background: nil, items: [.path(path, stroke: nil, fill: .black)])
    #expect(filled.simplified(columnsPerPoint: 1) == filled)
    let dashed = Scene(
      width: 10, height: 10, background: nil, items: [.path(path, stroke: StrokeStyle(color: .black, width: 1, dash: [2, 2]), fill: nil)])
    #expect(dashed.simplified(columnsPerPoint: 1) == dashed)
  }
}

@Suite struct SVGNormalizationTests {
  /// The byte scan renumbers exactly what the regular expression `(id="|#)(surface|image|source|
  /// pattern)([0-9]+)(?=["\)])` finds, in order of first appearance (the scan replaced it for speed).
  @Test func matchesTheRegularExpression() throws {
    let backend = CairoBackend()
    let heat = Figure(
      width: 200, height: 150, panels: [Axes(marks: [.heatmap(Heatmap(values: (0..<400).map { Double($0 % 37) }, rows: 20, columns: 20))])])
    for figure in [sampleFigure(), heat] {
      let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
      let normalized = try backend.render(scene, as: .svg, pixelsPerPoint: 1)
      // render again: cairo's counters have moved on, the normalized bytes have not
      #expect(try backend.render(scene, as: .svg, pixelsPerPoint: 1) == normalized)
      let text = String(decoding: normalized, as: UTF8.self)
      #expect(text.contains("id=\"surface1\""))
      // a raw SVG with arbitrary numbers, through both
      let raw = text.replacingOccurrences(of: "surface1\"", with: "surface917\"").replacingOccurrences(
        of: "#surface1)", with: "#surface917)"
      )
      .replacingOccurrences(of: "image1\"", with: "image44\"").replacingOccurrences(of: "#image1\"", with: "#image44\"")
      #expect(CairoBackend.normalizeSVG(Array(raw.utf8)) == reference(Array(raw.utf8)))
      #expect(CairoBackend.normalizeSVG(Array(raw.utf8)) == normalized)
    }
  }

  func reference(_ bytes: [UInt8]) -> [UInt8] {
    let text = String(decoding: bytes, as: UTF8.self)
    let regex = try! NSRegularExpression(pattern: #"(id="|#)(surface|image|source|pattern)([0-9]+)(?=["\)])"#)
    let ns = text as NSString
    var mapping: [String: String] = [:], counters: [String: Int] = [:]
    var out = "", last = 0
    for m in regex.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
      let kind = ns.substring(with: m.range(at: 2)), old = kind + ns.substring(with: m.range(at: 3))
      if mapping[old] == nil {
        counters[kind, default: 0] += 1
        mapping[old] = kind + String(counters[kind]!)
      }
      out += ns.substring(with: NSRange(location: last, length: m.range(at: 2).location - last)) + mapping[old]!
      last = m.range.location + m.range.length
    }
    return Array((out + ns.substring(from: last)).utf8)
  }
}

@Suite struct EmbeddedBitmapTests {
  /// A heat map's bitmap is reduced and PNG-encoded once for all of a figure's SVGs that show it
  /// at one device size (the light and the dark theme: a colormap does not change with the
  /// theme): both SVGs carry the same PNG bytes, the backend holds one bitmap, and the PNG is the
  /// one `PNGEncoder` makes of the reduced bitmap. Another size is another bitmap.
  @Test func oneBitmapForBothThemes() throws {
    let backend = CairoBackend()
    let values = (0..<(600 * 600)).map { Double(($0 * 7919) % 1009) }
    let figure = Figure(width: 200, height: 150, panels: [Axes(marks: [.heatmap(Heatmap(values: values, rows: 600, columns: 600))])])
    func embedded(_ svg: [UInt8]) -> [String] {
      let text = String(decoding: svg, as: UTF8.self)
      return text.components(separatedBy: "data:image/png;base64,").dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }
    let light = try backend.render(FigureLayout(theme: .light, measurer: backend).scene(for: figure), as: .svg, pixelsPerPoint: 1)
    let dark = try backend.render(FigureLayout(theme: .dark, measurer: backend).scene(for: figure), as: .svg, pixelsPerPoint: 1)
    #expect(light != dark)
    let (a, b) = (embedded(light), embedded(dark))
    #expect(a.count == b.count && a.count >= 2, "heat map and colour bar: \(a.count), \(b.count)")
    #expect(a.first == b.first && a.first.map(\.count) ?? 0 > 1000)
    #expect(backend.embeddedCount == a.count, "one bitmap each, not one per image: \(backend.embeddedCount)")
    // the PNG is the encoder's of the bitmap reduced to 2 pixels per point
    let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
    guard case .image(let image, let rect)? = scene.items.first(where: { if case .image = $0 { true } else { false } }) else {
      Issue.record("no bitmap in the scene")
      return
    }
    let fitted = CairoBackend.fit(image, to: rect, pixelsPerPoint: CairoBackend.vectorImageDensity)
    #expect(fitted.width < 600, "reduced: \(fitted.width)")
    let png = try CairoBackend.argb32(fitted) { data, stride in
      try PNGEncoder.encode(argb32: data, width: fitted.width, height: fitted.height, stride: stride, pixelsPerPoint: 2)
    }
    #expect(a.first == Data(png).base64EncodedString())
    var wide = figure
    wide.width = 400
    _ = try backend.render(FigureLayout(theme: .light, measurer: backend).scene(for: wide), as: .svg, pixelsPerPoint: 1)
    #expect(backend.embeddedCount > a.count)
  }
}
