import CCairo
import CXXHash
import Foundation
import SkelPlot

/// Errors the Cairo backend reports.
public enum CairoError: Error, CustomStringConvertible {
  case surface(String)
  public var description: String {
    switch self {
    case .surface(let why): return "cairo: \(why)"
    }
  }
}

/// The Cairo/Pango implementation of `FigureBackend`.
///
/// Text is laid out by Pango at 72 dpi (one Pango point = one scene point) with hinted metrics
/// off, so a layout measured here is the same on every surface (PNG at any scale, SVG, PDF).
public final class CairoBackend: FigureBackend, @unchecked Sendable {
  private let measureSurface: OpaquePointer
  private let measureContext: OpaquePointer
  private let lock = NSLock()
  /// Bitmaps as SVG embeds them (reduced to the device and PNG-encoded), by their content and
  /// device size: a figure's light, dark and phone SVGs share one heat map, which is reduced and
  /// encoded once (it was once per image: a third of a cold build's PNG encoding).
  private var embedded: [EmbeddedKey: (image: RasterImage, png: [UInt8])] = [:]
  private var embeddedBytes = 0
  private let embeddedLock = NSLock()
  /// What `embedded` may hold before it is emptied.
  static let embeddedLimit = 64 << 20

  struct EmbeddedKey: Hashable {
    var low: UInt64, high: UInt64
    var width: Int, height: Int
    var rect: [Double]
  }

  /// Whether dense polylines are reduced to what the device shows (`Scene.simplified`); off only
  /// to compare against the full drawing.
  public let simplifiesPaths: Bool

  /// Whether dense polylines (at least `denseStrokeVertices` vertices, after the reduction) are
  /// rasterized with cairo's fast antialiasing (a 4 × 4 grid of samples per pixel, instead of
  /// 256 × 15): 2.6× faster on such strokes, and on the 8 × 10⁴-point benchmark figure 2.4 % of
  /// pixels change, by 0.27 levels of 255 on average and 25 of 691 200 by more than 64
  /// (`PNGEncoderTests`; zoomed crops look the same). Text, axes and sparse curves keep the
  /// default. Off only to compare.
  public let fastDenseStrokes: Bool

  /// The vertex count from which a stroke counts as dense.
  public static let denseStrokeVertices = 1000

  public init(simplifiesPaths: Bool = true, fastDenseStrokes: Bool = true) {
    self.simplifiesPaths = simplifiesPaths
    self.fastDenseStrokes = fastDenseStrokes
    measureSurface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 4, 4)
    measureContext = cairo_create(measureSurface)
  }

  deinit {
    cairo_destroy(measureContext)
    cairo_surface_destroy(measureSurface)
  }

  // MARK: - TextMeasurer

  /// Text measured by Pango, remembered by runs and font: a figure's light, dark and phone
  /// layouts measure the same labels (1680 measurements for the 48 layouts of a 12-figure build,
  /// which were all of the layouts' time, one at a time under the lock), and a tick label
  /// recurs in every panel. Pango's answer depends on nothing else (72 dpi, metrics unhinted).
  public func measure(runs: [TextRun], font: FontSpec) -> TextExtent {
    let key = MeasureKey(runs: runs, font: font)
    lock.lock()
    defer { lock.unlock() }
    if let known = measured[key] { return known }
    // Pango makes no layout only when out of memory; the text then measures as empty.
    guard let layout = Self.makeLayout(measureContext, runs: runs, font: font) else { return TextExtent(width: 0, height: 0, baseline: 0) }
    defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
    let extent = Self.extent(of: layout)
    if measured.count >= Self.measuredLimit { measured = [:] }
    measured[key] = extent
    return extent
  }

  /// How many measurements are remembered (for tests).
  var measuredCount: Int {
    lock.lock()
    defer { lock.unlock() }
    return measured.count
  }

  struct MeasureKey: Hashable {
    var runs: [TextRun]
    var font: FontSpec
  }
  private var measured: [MeasureKey: TextExtent] = [:]
  private var spellings: [SkelPlot.Color: [UInt8]] = [:]
  private let spellingLock = NSLock()
  /// How many measurements `measured` keeps before it starts again (a long preview session).
  static let measuredLimit = 50_000

  // MARK: - Rendering

  public func render(_ scene: Scene, as format: ImageFormat, pixelsPerPoint: Double) throws -> [UInt8] {
    // Dense polylines keep what the device can show: PNG at its pixel size, SVG and PDF at the
    // density their bitmaps keep.
    let scene = simplifiesPaths ? scene.simplified(columnsPerPoint: format == .png ? pixelsPerPoint : Self.vectorImageDensity) : scene
    let sink = ByteSink()
    let closure = Unmanaged.passUnretained(sink).toOpaque()
    switch format {
    case .png:
      let w = Int32((scene.width * pixelsPerPoint).rounded()), h = Int32((scene.height * pixelsPerPoint).rounded())
      guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h) else {
        throw CairoError.surface("cannot create image surface")
      }
      defer { cairo_surface_destroy(surface) }
      try draw(scene, on: surface, scale: pixelsPerPoint)
      cairo_surface_flush(surface)
      guard let data = cairo_image_surface_get_data(surface) else { throw CairoError.surface("image surface has no data") }
      return try PNGEncoder.encode(
        argb32: data, width: Int(w), height: Int(h), stride: Int(cairo_image_surface_get_stride(surface)), pixelsPerPoint: pixelsPerPoint)
    case .svg:
      guard let surface = cairo_svg_surface_create_for_stream(writeToSink, closure, scene.width, scene.height) else {
        throw CairoError.surface("cannot create SVG surface")
      }
      cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT)
      try draw(scene, on: surface, scale: 1, imageDensity: Self.vectorImageDensity, embedsPNG: true)
      cairo_surface_finish(surface)
      cairo_surface_destroy(surface)
      return Self.normalizeSVG(sink.bytes)
    case .pdf:
      guard let surface = cairo_pdf_surface_create_for_stream(writeToSink, closure, scene.width, scene.height) else {
        throw CairoError.surface("cannot create PDF surface")
      }
      // Fixed dates make the PDF byte-identical across runs (cairo 1.16 ignores SOURCE_DATE_EPOCH).
      cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATE_DATE, "2020-01-01T00:00:00Z")
      cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "skelreport")
      try draw(scene, on: surface, scale: 1, imageDensity: Self.vectorImageDensity)
      cairo_surface_finish(surface)
      cairo_surface_destroy(surface)
      return sink.bytes
    }
  }

  // MARK: - A dark SVG from the light one

  /// The SVG of `other` made from `image`, the SVG of `scene`, when the two differ in colours
  /// alone (`Scene.colorMap`): cairo writes every solid colour as `rgb(R%,G%,B%)` (its opacity
  /// apart, the same in both scenes), so each colour's spelling is replaced by its counterpart's,
  /// the spellings cairo's own (from `rgbSpellings`). Nil — and the caller draws `other` — when
  /// the map is not a function on spellings or the SVG holds a colour the scenes do not.
  /// `DarkSVGTests` checks the bytes against `render(other, as: .svg)`.
  public func recolored(_ image: [UInt8], of scene: Scene, to other: Scene, as format: ImageFormat) -> [UInt8]? {
    guard format == .svg, let map = scene.colorMap(to: other) else { return nil }
    let colors = Array(Set(map.keys).union(map.values)).sorted {
      ($0.red, $0.green, $0.blue, $0.alpha) < ($1.red, $1.green, $1.blue, $1.alpha)
    }
    guard let spelled = rgbSpellings(colors) else { return nil }
    var replacement: [[UInt8]: [UInt8]] = [:]
    for (a, b) in map {
      guard let from = spelled[a], let to = spelled[b] else { return nil }
      if let known = replacement[from], known != to { return nil }
      replacement[from] = to
    }
    return Self.replacingColors(image, replacement)
  }

  /// `svg` with each `rgb(…)` replaced by `replacement`'s; nil if one is not there.
  static func replacingColors(_ svg: [UInt8], _ replacement: [[UInt8]: [UInt8]]) -> [UInt8]? {
    let open: [UInt8] = Array("rgb(".utf8), close = UInt8(ascii: ")")
    var out: [UInt8] = []
    out.reserveCapacity(svg.count)
    var i = 0, copied = 0
    let n = svg.count
    return svg.withUnsafeBufferPointer { b -> [UInt8]? in
      while i + open.count <= n {
        guard b[i] == open[0], b[i + 1] == open[1], b[i + 2] == open[2], b[i + 3] == open[3] else {
          i += 1
          continue
        }
        var end = i + open.count
        while end < n, b[end] != close, end - i < 64 { end += 1 }
        guard end < n, b[end] == close, let to = replacement[Array(b[i...end])] else { return nil }
        out.append(contentsOf: b[copied..<i])
        out.append(contentsOf: to)
        i = end + 1
        copied = i
      }
      out.append(contentsOf: b[copied..<n])
      return out
    }
  }

  /// cairo's spelling (`rgb(R%,G%,B%)`) of each colour, from a probe SVG that fills one square
  /// with each in turn; remembered. Nil if the probe does not show every colour once.
  func rgbSpellings(_ colors: [SkelPlot.Color]) -> [SkelPlot.Color: [UInt8]]? {
    spellingLock.lock()
    var out = [SkelPlot.Color: [UInt8]]()
    for c in colors { out[c] = spellings[c] }
    spellingLock.unlock()
    let missing = colors.filter { out[$0] == nil }
    guard !missing.isEmpty else { return out }
    let square: [PathElement] = [.move(Point(0, 0)), .line(Point(1, 0)), .line(Point(1, 1)), .close]
    let probe = Scene(width: 4, height: 4, background: nil, items: missing.map { .path(square, stroke: nil, fill: $0) })
    guard let svg = try? render(probe, as: .svg, pixelsPerPoint: 1) else { return nil }
    let text = String(decoding: svg, as: UTF8.self)
    let found = text.components(separatedBy: "fill:rgb(").dropFirst().map {
      "rgb(" + ($0.split(separator: ")").first.map(String.init) ?? "") + ")"
    }
    guard found.count == missing.count else { return nil }
    spellingLock.lock()
    for (c, f) in zip(missing, found) {
      spellings[c] = Array(f.utf8)
      out[c] = Array(f.utf8)
    }
    spellingLock.unlock()
    return out
  }

  /// cairo numbers surfaces, images, sources and patterns with process-wide counters
  /// (`<g id="surface172">`, `<image id="image6">`), so the same figure would differ between
  /// runs. Renumber them in order of first appearance, in ids and in `#` references only.
  static func normalizeSVG(_ bytes: [UInt8]) -> [UInt8] {
    // A byte scan (an SVG of 10⁵ path vertices is 600 KB; a regular expression took 10 ms).
    let kinds: [[UInt8]] = ["surface", "image", "source", "pattern"].map { Array($0.utf8) }
    let quote = UInt8(ascii: "\""), hash = UInt8(ascii: "#"), paren = UInt8(ascii: ")")
    let idPrefix: [UInt8] = Array("id=\"".utf8)
    var mapping: [[UInt8]: [UInt8]] = [:]
    var counters: [Int: Int] = [:]
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count)
    var i = 0
    let n = bytes.count
    bytes.withUnsafeBufferPointer { b in
      func starts(_ word: [UInt8], at k: Int) -> Bool {
        guard k + word.count <= n else { return false }
        for (j, c) in word.enumerated() where b[k + j] != c { return false }
        return true
      }
      while i < n {
        let c = b[i]
        out.append(c)
        i += 1
        // after `id="` or `#`: a kind, digits, then `"` or `)`
        guard c == hash || (c == quote && i >= 4 && starts(idPrefix, at: i - 4)) else { continue }
        guard let k = kinds.indices.first(where: { starts(kinds[$0], at: i) }) else { continue }
        var end = i + kinds[k].count
        let digits = end
        while end < n, b[end] >= 0x30, b[end] <= 0x39 { end += 1 }
        guard end > digits, end < n, b[end] == quote || b[end] == paren else { continue }
        let old = Array(b[i..<end])
        if let renamed = mapping[old] {
          out += renamed
        } else {
          let number = counters[k, default: 0] + 1
          counters[k] = number
          let renamed = kinds[k] + Array(String(number).utf8)
          mapping[old] = renamed
          out += renamed
        }
        i = end
      }
    }
    return out
  }

  /// `embedsPNG`: the surface writes bitmaps as PNG (SVG); each gets its PNG from `PNGEncoder`
  /// as mime data, which cairo embeds as it is instead of encoding the pixels again with libpng's
  /// defaults (every filter on every row, zlib level 6: most of a cold build's time with heat maps).
  private func draw(_ scene: Scene, on surface: OpaquePointer, scale: Double, imageDensity: Double? = nil, embedsPNG: Bool = false) throws {
    guard let cr = cairo_create(surface) else { throw CairoError.surface("cannot create context") }
    defer { cairo_destroy(cr) }
    cairo_scale(cr, scale, scale)
    if let bg = scene.background {
      setColor(cr, bg)
      cairo_paint(cr)
    }
    for item in scene.items {
      switch item {
      case .path(let elements, let stroke, let fill):
        drawPath(cr, elements, stroke: stroke, fill: fill, raster: imageDensity == nil)
      case .text(let t):
        try drawText(cr, t)
      case .image(let image, let rect):
        if embedsPNG {
          let (fitted, png) = try embeddedImage(image, in: rect, pixelsPerPoint: imageDensity ?? scale)
          try drawImage(cr, fitted, in: rect, png: png)
        } else {
          try drawImage(cr, Self.fit(image, to: rect, pixelsPerPoint: imageDensity ?? scale), in: rect)
        }
      case .pushClip(let r):
        cairo_save(cr)
        cairo_rectangle(cr, r.x, r.y, r.width, r.height)
        cairo_clip(cr)
      case .popClip:
        cairo_restore(cr)
      }
    }
  }

  /// One path: filled, then stroked (dense polylines on rasters with fast antialiasing).
  private func drawPath(_ cr: OpaquePointer, _ elements: [PathElement], stroke: StrokeStyle?, fill: SkelPlot.Color?, raster: Bool) {
    cairo_new_path(cr)
    for e in elements {
      switch e {
      case .move(let p): cairo_move_to(cr, p.x, p.y)
      case .line(let p): cairo_line_to(cr, p.x, p.y)
      case .circle(let c, let r):
        cairo_new_sub_path(cr)
        cairo_arc(cr, c.x, c.y, r, 0, 2 * Double.pi)
        cairo_close_path(cr)
      case .close: cairo_close_path(cr)
      }
    }
    if let fill {
      setColor(cr, fill)
      if stroke != nil { cairo_fill_preserve(cr) } else { cairo_fill(cr) }
    }
    if let stroke {
      setColor(cr, stroke.color)
      cairo_set_line_width(cr, stroke.width)
      cairo_set_line_cap(
        cr, stroke.cap == .round ? CAIRO_LINE_CAP_ROUND : stroke.cap == .square ? CAIRO_LINE_CAP_SQUARE : CAIRO_LINE_CAP_BUTT)
      cairo_set_line_join(
        cr, stroke.join == .round ? CAIRO_LINE_JOIN_ROUND : stroke.join == .bevel ? CAIRO_LINE_JOIN_BEVEL : CAIRO_LINE_JOIN_MITER)
      stroke.dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
      let fast = fastDenseStrokes && raster && elements.count >= Self.denseStrokeVertices  // rasters only
      if fast { cairo_set_antialias(cr, CAIRO_ANTIALIAS_FAST) }
      cairo_stroke(cr)
      if fast { cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT) }
    }
  }

  /// One text item, anchored and rotated about its position.
  private func drawText(_ cr: OpaquePointer, _ t: TextItem) throws {
    guard let layout = Self.makeLayout(cr, runs: t.runs, font: t.font) else { throw CairoError.surface("cannot create a Pango layout") }
    defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
    let e = Self.extent(of: layout)
    let dx: Double = t.horizontal == .left ? 0 : (t.horizontal == .center ? -e.width / 2 : -e.width)
    let dy: Double
    switch t.vertical {
    case .top: dy = 0
    case .center: dy = -e.height / 2
    case .baseline: dy = -e.baseline
    case .bottom: dy = -e.height
    }
    cairo_save(cr)
    cairo_translate(cr, t.position.x, t.position.y)
    if t.rotation != 0 { cairo_rotate(cr, -t.rotation * Double.pi / 180) }
    cairo_move_to(cr, dx, dy)
    setColor(cr, t.color)
    pango_cairo_update_layout(cr, layout)
    pango_cairo_show_layout(cr, layout)
    cairo_restore(cr)
  }

  /// Bitmaps in SVG and PDF are kept at up to 2 pixels per point (144 dpi, as matplotlib keeps
  /// them at the figure's dpi), and dense polylines at 2 columns per point (`Scene.simplified`).
  static let vectorImageDensity = 2.0

  /// A bitmap with more cells than the device pixels it covers (by 30 % or more) is reduced by
  /// area averaging, as matplotlib's antialiased `imshow`: each output pixel is the alpha-weighted
  /// mean of the cells whose indices fall in it. Smaller bitmaps are returned as they are and
  /// drawn with nearest-neighbour scaling.
  static func fit(_ image: RasterImage, to rect: Rect, pixelsPerPoint: Double) -> RasterImage {
    let tw = min(image.width, max(1, Int((rect.width * pixelsPerPoint).rounded(.up))))
    let th = min(image.height, max(1, Int((rect.height * pixelsPerPoint).rounded(.up))))
    guard Double(image.width) > 1.3 * Double(tw) || Double(image.height) > 1.3 * Double(th) else { return image }
    var out = [UInt8](repeating: 0, count: tw * th * 4)
    let W = image.width, H = image.height
    image.rgba.withUnsafeBufferPointer { src in
      out.withUnsafeMutableBufferPointer { dst in
        for y in 0..<th {
          let y0 = y * H / th, y1 = max(y0 + 1, (y + 1) * H / th)
          for x in 0..<tw {
            let x0 = x * W / tw, x1 = max(x0 + 1, (x + 1) * W / tw)
            var r = 0, g = 0, b = 0, a = 0
            for sy in y0..<y1 {
              var i = 4 * (sy * W + x0)
              for _ in x0..<x1 {
                let alpha = Int(src[i + 3])
                r &+= Int(src[i]) &* alpha
                g &+= Int(src[i + 1]) &* alpha
                b &+= Int(src[i + 2]) &* alpha
                a &+= alpha
                i += 4
              }
            }
            let o = 4 * (y * tw + x)
            if a > 0 {
              dst[o] = UInt8(r / a)
              dst[o + 1] = UInt8(g / a)
              dst[o + 2] = UInt8(b / a)
              dst[o + 3] = UInt8(a / ((y1 - y0) * (x1 - x0)))
            }
          }
        }
      }
    }
    return RasterImage(width: tw, height: th, rgba: out)
  }

  /// The bitmap reduced to the device (`fit`) and its PNG (`PNGEncoder`), made once for each
  /// content and device size.
  func embeddedImage(_ image: RasterImage, in rect: Rect, pixelsPerPoint: Double) throws -> (RasterImage, [UInt8]) {
    let h = image.rgba.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
    let key = EmbeddedKey(
      low: h.low64, high: h.high64, width: image.width, height: image.height, rect: [rect.width, rect.height, pixelsPerPoint])
    embeddedLock.lock()
    let held = embedded[key]
    embeddedLock.unlock()
    if let held { return held }
    let fitted = Self.fit(image, to: rect, pixelsPerPoint: pixelsPerPoint)
    let png = try Self.argb32(fitted) { data, stride in
      try PNGEncoder.encode(
        argb32: data, width: fitted.width, height: fitted.height, stride: stride, pixelsPerPoint: Self.vectorImageDensity)
    }
    embeddedLock.lock()
    if embeddedBytes + png.count + fitted.rgba.count > Self.embeddedLimit {
      embedded = [:]
      embeddedBytes = 0
    }
    embedded[key] = (fitted, png)
    embeddedBytes += png.count + fitted.rgba.count
    embeddedLock.unlock()
    return (fitted, png)
  }

  /// How many bitmaps `embedded` holds (for tests).
  var embeddedCount: Int {
    embeddedLock.lock()
    defer { embeddedLock.unlock() }
    return embedded.count
  }

  /// `body` with the bitmap as cairo's premultiplied ARGB32 rows and their stride.
  static func argb32<T>(_ image: RasterImage, _ body: (UnsafePointer<UInt8>, Int) throws -> T) throws -> T {
    let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, Int32(image.width)))
    let count = max(1, stride * image.height)  // never empty: the buffer has an address
    let rows = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
    rows.initialize(repeating: 0, count: count)
    defer { rows.deallocate() }
    fillARGB32(image, into: rows, stride: stride)
    return try body(rows, stride)
  }

  /// RGBA → premultiplied native-endian ARGB32, row by row.
  static func fillARGB32(_ image: RasterImage, into data: UnsafeMutablePointer<UInt8>, stride: Int) {
    image.rgba.withUnsafeBufferPointer { src in
      for y in 0..<image.height {
        let row = data.advanced(by: y * stride).withMemoryRebound(to: UInt32.self, capacity: image.width) { $0 }
        for x in 0..<image.width {
          let i = 4 * (y * image.width + x)
          let a = UInt32(src[i + 3])
          let r = UInt32(src[i]) * a / 255, g = UInt32(src[i + 1]) * a / 255, b = UInt32(src[i + 2]) * a / 255
          row[x] = a << 24 | r << 16 | g << 8 | b
        }
      }
    }
  }

  /// Paints an RGBA bitmap into `rect` with nearest-neighbour scaling (cairo wants premultiplied
  /// BGRA in native byte order, i.e. ARGB32); with `png`, the surface carries it as its PNG.
  private func drawImage(_ cr: OpaquePointer, _ image: RasterImage, in rect: Rect, png: [UInt8]? = nil) throws {
    guard image.width > 0, image.height > 0, rect.width > 0, rect.height > 0 else { return }
    let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_ARGB32, Int32(image.width)))
    guard let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(image.width), Int32(image.height)) else {
      throw CairoError.surface("cannot create an image of \(image.width)×\(image.height)")
    }
    defer { cairo_surface_destroy(surface) }
    cairo_surface_flush(surface)
    guard let data = cairo_image_surface_get_data(surface) else { throw CairoError.surface("image surface has no data") }
    Self.fillARGB32(image, into: data, stride: stride)
    cairo_surface_mark_dirty(surface)  // (drops mime data: attached after it)
    if let png { Self.attachPNG(surface, png) }
    cairo_save(cr)
    cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
    cairo_clip(cr)
    cairo_translate(cr, rect.x, rect.y)
    cairo_scale(cr, rect.width / Double(image.width), rect.height / Double(image.height))
    cairo_set_source_surface(cr, surface, 0, 0)
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
    cairo_paint(cr)
    cairo_restore(cr)
  }

  /// Gives an image surface its PNG (`PNGEncoder`) as `CAIRO_MIME_TYPE_PNG`, owned by cairo.
  static func attachPNG(_ surface: OpaquePointer, _ png: [UInt8]) {
    guard let copy = malloc(max(1, png.count))?.assumingMemoryBound(to: UInt8.self) else { return }
    png.withUnsafeBufferPointer { b in if let base = b.baseAddress { copy.update(from: base, count: png.count) } }
    let status = cairo_surface_set_mime_data(surface, CAIRO_MIME_TYPE_PNG, copy, UInt(png.count), { free($0) }, copy)
    if status != CAIRO_STATUS_SUCCESS { free(copy) }
  }

  private func setColor(_ cr: OpaquePointer, _ c: SkelPlot.Color) {
    cairo_set_source_rgba(cr, c.red, c.green, c.blue, c.alpha)
  }

  // MARK: - Pango

  /// A Pango layout of `runs` (`PangoMarkup`) in `font`, with the metrics every surface shares.
  static func makeLayout(_ cr: OpaquePointer, runs: [TextRun], font: FontSpec) -> OpaquePointer? {
    guard let layout = pango_cairo_create_layout(cr) else { return nil }
    let context = pango_layout_get_context(layout)
    pango_cairo_context_set_resolution(context, 72)
    pango_context_set_round_glyph_positions(context, 0)  // fractional advances: same layout at every scale
    let options = cairo_font_options_create()
    cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
    cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
    pango_cairo_context_set_font_options(context, options)
    cairo_font_options_destroy(options)
    pango_layout_context_changed(layout)
    // "Family, size": the comma keeps words like "Roman" from being parsed as a style (stack.md §1).
    let desc = pango_font_description_from_string("\(font.family), \(font.bold ? "Bold " : "")\(font.size)")
    pango_layout_set_font_description(layout, desc)
    pango_font_description_free(desc)
    // The size is also given in the markup: Pango sizes <sub>/<sup> relative to the markup's
    // own font attributes and would otherwise blow them up (seen with pango 1.50).
    let family = font.family.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
    let markup = PangoMarkup.markup(runs)
    let wrapped = "<span font_family=\"\(family)\" size=\"\(Int((font.size * 1024).rounded()))\">\(scripts(markup, size: font.size))</span>"
    if pango_parse_markup(wrapped, -1, 0, nil, nil, nil, nil) != 0 {
      pango_layout_set_markup(layout, wrapped, -1)
    } else {
      pango_layout_set_text(layout, runs.plainText, -1)  // a character GMarkup refuses (a control character)
    }
    return layout
  }

  /// `<sup>`/`<sub>` as explicit spans sized and raised from the base size (70 %, ±35 % / 20 %
  /// of an em), because pango 1.50's own sup/sub scale against the wrong size here.
  static func scripts(_ markup: String, size: Double) -> String {
    guard markup.contains("<su") else { return markup }
    let small = Int((size * 0.7 * 1024).rounded())
    let up = Int((size * 0.38 * 1024).rounded()), down = Int((size * 0.2 * 1024).rounded())
    return
      markup
      .replacingOccurrences(of: "<sup>", with: "<span size=\"\(small)\" rise=\"\(up)\">")
      .replacingOccurrences(of: "<sub>", with: "<span size=\"\(small)\" rise=\"-\(down)\">")
      .replacingOccurrences(of: "</sup>", with: "</span>").replacingOccurrences(of: "</sub>", with: "</span>")
  }

  static func extent(of layout: OpaquePointer) -> TextExtent {
    var ink = PangoRectangle(), logical = PangoRectangle()
    pango_layout_get_extents(layout, &ink, &logical)
    let scale = Double(PANGO_SCALE)
    return TextExtent(
      width: Double(logical.width) / scale, height: Double(logical.height) / scale,
      baseline: Double(pango_layout_get_baseline(layout)) / scale)
  }
}

/// Collects bytes from cairo's stream callbacks.
final class ByteSink {
  var bytes: [UInt8] = []
}

private func writeToSink(_ closure: UnsafeMutableRawPointer?, _ data: UnsafePointer<UInt8>?, _ length: UInt32) -> cairo_status_t {
  guard let closure, let data else { return CAIRO_STATUS_WRITE_ERROR }
  let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
  sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
  return CAIRO_STATUS_SUCCESS
}
