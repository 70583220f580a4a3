import SkelMath
import SkelPlot

/// Draws many images of many figures on the caller's threads (`Compute`): one layout per figure and
/// theme, then one task per image, the slowest formats first (a PDF costs the most, an SVG the
/// least), so that one figure's PNG, SVG and PDF are written side by side and a build's figures
/// keep both cores busy. Each image's bytes depend on nothing but its request: the results are
/// the same for any thread count. A dark SVG whose layout differs from the light one's in colours
/// alone is made from the light SVG (`Request.recolors`), with the bytes drawing it would give.
public enum FigureDrawing {
  public struct Request: Sendable {
    public var figure: Figure
    public var theme: Theme
    public var formats: [ImageFormat]
    /// An earlier request of the same figure in another theme whose SVG this one's may be made
    /// from (`FigureBackend.recolored`: a dark SVG is the light one in other colours, when the
    /// two layouts differ in colours alone); drawn as any other when it cannot.
    public var recolors: Int?
    public init(figure: Figure, theme: Theme, formats: [ImageFormat], recolors: Int? = nil) {
      self.figure = figure
      self.theme = theme
      self.formats = formats
      self.recolors = recolors
    }
  }

  /// `result[i][j]`: request i drawn in its format j.
  public static func draw(_ requests: [Request], backend: FigureBackend, pixelsPerPoint: Double, compute: Compute) -> [[Result<
    [UInt8], Error
  >]] {
    func cost(_ f: ImageFormat) -> Int {
      switch f {
      case .pdf: return 0
      case .png: return 1
      case .svg: return 2
      }
    }
    let jobs = requests.indices.flatMap { i in requests[i].formats.indices.map { (request: i, format: $0) } }
      .sorted { (cost(requests[$0.request].formats[$0.format]), $0.request) < (cost(requests[$1.request].formats[$1.format]), $1.request) }
    let scenes = compute.map(requests.count) { i in FigureLayout(theme: requests[i].theme, measurer: backend).scene(for: requests[i].figure)
    }
    // an SVG that may be made from its twin's waits for the twin's to be drawn
    func twin(_ job: (request: Int, format: Int)) -> (request: Int, format: Int)? {
      guard requests[job.request].formats[job.format] == .svg, let t = requests[job.request].recolors, t < job.request,
        let f = requests[t].formats.firstIndex(of: .svg)
      else { return nil }
      return (t, f)
    }
    let first = jobs.filter { twin($0) == nil }
    let second = jobs.compactMap { job in twin(job).map { (job: job, twin: $0) } }
    let drawn = compute.map(first.count) { k in
      let job = first[k]
      return Result {
        try backend.render(scenes[job.request], as: requests[job.request].formats[job.format], pixelsPerPoint: pixelsPerPoint)
      }
    }
    var out = requests.map { r in [Result<[UInt8], Error>](repeating: .success([]), count: r.formats.count) }
    for (job, result) in zip(first, drawn) { out[job.request][job.format] = result }
    let light = out
    let made = compute.map(second.count) { k -> Result<[UInt8], Error> in
      let (job, t) = second[k]
      if case .success(let svg) = light[t.request][t.format],
        let bytes = backend.recolored(svg, of: scenes[t.request], to: scenes[job.request], as: .svg)
      {
        return .success(bytes)
      }
      return Result { try backend.render(scenes[job.request], as: .svg, pixelsPerPoint: pixelsPerPoint) }
    }
    for ((job, _), result) in zip(second, made) { out[job.request][job.format] = result }
    return out
  }
}
