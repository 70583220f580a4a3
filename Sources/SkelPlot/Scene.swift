/// A resolved figure: primitives in points, ready for any backend. Nothing in it needs layout.
public struct Scene: Sendable, Equatable {
  public var width: Double
  public var height: Double
  public var background: Color?
  public var items: [SceneItem]
  public init(width: Double, height: Double, background: Color?, items: [SceneItem] = []) {
    self.width = width
    self.height = height
    self.background = background
    self.items = items
  }
}

/// One path segment.
public enum PathElement: Hashable, Sendable {
  case move(Point)
  case line(Point)
  /// A full circle (a closed sub-path of its own).
  case circle(center: Point, radius: Double)
  case close
}

/// An RGBA bitmap (8 bits per channel, row-major, top row first), scaled into a rectangle
/// without smoothing, as matplotlib's `imshow(interpolation="nearest")`.
public struct RasterImage: Hashable, Sendable {
  public var width: Int
  public var height: Int
  public var rgba: [UInt8]
  public init(width: Int, height: Int, rgba: [UInt8]) {
    precondition(rgba.count == width * height * 4, "image: \(rgba.count) bytes for \(width)×\(height)")
    self.width = width
    self.height = height
    self.rgba = rgba
  }
}

public enum LineCap: Sendable, Hashable { case butt, round, square }
public enum LineJoin: Sendable, Hashable { case miter, round, bevel }

public struct StrokeStyle: Hashable, Sendable {
  public var color: Color
  public var width: Double
  public var dash: [Double]
  public var cap: LineCap
  public var join: LineJoin
  public init(
    color: Color, width: Double, dash: [Double] = [], cap: LineCap = .butt, join: LineJoin = .round
  ) {
    self.color = color
    self.width = width
    self.dash = dash
    self.cap = cap
    self.join = join
  }
}

/// Where a text's anchor point sits on its box.
public enum HorizontalAnchor: Sendable, Hashable { case left, center, right }
public enum VerticalAnchor: Sendable, Hashable { case top, center, baseline, bottom }

/// A font request by family name (pinned so output is deterministic).
public struct FontSpec: Hashable, Sendable {
  public var family: String
  public var size: Double
  public var bold: Bool
  public init(family: String, size: Double, bold: Bool = false) {
    self.family = family
    self.size = size
    self.bold = bold
  }
}

/// Text as runs (`TextRun`: style, script, characters), anchored at a point.
public struct TextItem: Hashable, Sendable {
  public var runs: [TextRun]
  public var position: Point
  public var font: FontSpec
  public var color: Color
  public var horizontal: HorizontalAnchor
  public var vertical: VerticalAnchor
  /// Rotation in degrees, counter-clockwise (90 for a vertical y label).
  public var rotation: Double
  public init(
    runs: [TextRun], position: Point, font: FontSpec, color: Color,
    horizontal: HorizontalAnchor = .left, vertical: VerticalAnchor = .baseline, rotation: Double = 0
  ) {
    self.runs = runs
    self.position = position
    self.font = font
    self.color = color
    self.horizontal = horizontal
    self.vertical = vertical
    self.rotation = rotation
  }
}

public enum SceneItem: Hashable, Sendable {
  case path([PathElement], stroke: StrokeStyle?, fill: Color?)
  case text(TextItem)
  case image(RasterImage, in: Rect)
  /// Restrict later items to a rectangle, until `.popClip`.
  case pushClip(Rect)
  case popClip
}

/// Text extents as a backend measures them, in points.
public struct TextExtent: Hashable, Sendable {
  public var width: Double
  public var height: Double
  /// Distance from the top of the box to the baseline.
  public var baseline: Double
  public init(width: Double, height: Double, baseline: Double) {
    self.width = width
    self.height = height
    self.baseline = baseline
  }
}

/// Measures text for layout. Only a backend knows real glyph metrics.
public protocol TextMeasurer {
  func measure(runs: [TextRun], font: FontSpec) -> TextExtent
}

/// Raster and vector formats a figure is written in.
public enum ImageFormat: String, CaseIterable, Sendable, Codable, Hashable {
  case svg, png, pdf
}

/// A backend that writes a scene to files: the whole contract the build needs from Cairo.
/// `render` may be called from several threads at once (the build draws figures on all cores).
public protocol FigureBackend: TextMeasurer, Sendable {
  /// Returns the bytes of `scene` in `format`. `pixelsPerPoint` matters for PNG only.
  func render(_ scene: Scene, as format: ImageFormat, pixelsPerPoint: Double) throws -> [UInt8]
  /// The bytes `render(other, as: format, …)` returns, made from `image` (what `render(scene,
  /// as: format, …)` returned) when the two scenes differ in colours alone (`Scene.colorMap`),
  /// or nil where the backend cannot (it then draws `other`).
  func recolored(_ image: [UInt8], of scene: Scene, to other: Scene, as format: ImageFormat) -> [UInt8]?
}

extension FigureBackend {
  public func recolored(_ image: [UInt8], of scene: Scene, to other: Scene, as format: ImageFormat) -> [UInt8]? { nil }
}
