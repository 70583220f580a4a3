import SkelMath
import SkelPlot

/// Draws many images of many figures on the caller's threads (`Compute`): one layout per figure and
/// theme, then one task per image, the slowest formats first (a PDF costs the most, an SVG the
/// least), so that one figure's PNG, SVG and PDF are written side by side and a build's figures
/// keep both cores busy. Each image's bytes depend on nothing but its request: the results are
/// the same for any thread count.
public enum FigureDrawing {
  public struct Request: Sendable {
    public var figure: Figure
    public var theme: Theme
    public var formats: [ImageFormat]
    public init(figure: Figure, theme: Theme, formats: [ImageFormat]) {
      self.figure = figure
      self.theme = theme
      self.formats = formats
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
    let drawn = compute.map(jobs.count) { k in
      let job = jobs[k]
      return Result {
        try backend.render(scenes[job.request], as: requests[job.request].formats[job.format], pixelsPerPoint: pixelsPerPoint)
      }
    }
    var out = requests.map { r in [Result<[UInt8], Error>](repeating: .success([]), count: r.formats.count) }
    for (job, result) in zip(jobs, drawn) { out[job.request][job.format] = result }
    return out
  }
}
