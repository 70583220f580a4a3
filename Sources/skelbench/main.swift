// skelbench: times the hot paths and prints one JSON line per workload, then a table.
// Long sweeps belong here, not in the tests. Peer comparisons (`--peers`) come with issue 8.
import Foundation
import SkelCairo
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelMath
import SkelPlot

struct Measurement {
  var name: String
  var seconds: Double
  var detail: String
}

/// Best of `repeats` wall-clock runs.
func best(_ repeats: Int, _ body: () throws -> Void) rethrows -> Double {
  var b = Double.infinity
  for _ in 0..<repeats {
    let t0 = DispatchTime.now().uptimeNanoseconds
    try body()
    b = min(b, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
  }
  return b
}

/// A standard normal by Box–Muller (benchmark data only).
func normal(_ g: inout SeededGenerator) -> Double {
  let u = max(g.nextUniform(), 1e-300), v = g.nextUniform()
  return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
}

@main
struct SkelBench {
  static func main() throws {
    var results: [Measurement] = []
    var sink = 0.0

    // Closed-form ReLU dual over 10^6 correlations.
    let rho = Grid.linspace(-1, 1, count: 1_000_000)
    let tDual = best(5) { sink += Dual.normalized(.relu, on: rho).reduce(0, +) }
    results.append(Measurement(name: "dual_relu_1e6", seconds: tDual, detail: String(format: "%.1f ns/point", tDual * 1e9 / 1e6)))

    // Gauss–Hermite rule of order 200 (Golub–Welsch + Newton).
    let tGH = best(5) { sink += GaussHermite(order: 200).weights[100] }
    results.append(Measurement(name: "gauss_hermite_200", seconds: tGH, detail: "nodes + weights"))

    // 2-D quadrature of the exp dual at order 64, 101 correlations.
    let quad = DualQuadrature(order: 64)
    let grid = Grid.linspace(-1, 1, count: 101)
    let tQuad = best(3) { for r in grid { sink += quad.dual(Activation.exponential(scale: 1), at: r) } }
    results.append(Measurement(name: "dual_quadrature_64x64_101", seconds: tQuad, detail: "101 correlations"))

    // One line plot (3 series × 401 points) in PNG + SVG + PDF.
    let backend = CairoBackend()
    let xs = Grid.linspace(-1, 1, count: 401)
    let figure = Figure(
      width: 360, height: 245,
      panels: [Axes(x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\hat\\sigma(\\rho)$"), lines: [
        LineSeries(name: "relu", x: xs, y: Dual.normalized(.relu, on: xs)),
        LineSeries(name: "step", x: xs, y: Dual.normalized(.step, on: xs)),
        LineSeries(name: "exp", x: xs, y: Dual.normalized(Activation.exponential(scale: 1), on: xs)),
      ])])
    let tPlot = try best(5) {
      let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
      for f in ImageFormat.allCases { sink += Double(try backend.render(scene, as: f, pixelsPerPoint: 2).count) }
    }
    results.append(Measurement(name: "line_plot_png_svg_pdf", seconds: tPlot, detail: "layout + 3 formats"))

    // The matplotlib peer's workloads (../shared/bench/e_plot_mpl.py): 6.4 × 4.8 in at 150 dpi.
    // lines: 8 noisy power laws × 10⁴ points, log-log, legend ("best"), title.
    var rng = SeededGenerator(seed: 0)
    let lx = Grid.logspace(-3, 3, count: 10_000)
    let powerLaws = (0..<8).map { k in
      LineSeries(name: "series \(k)", x: lx, y: lx.map { pow($0, 0.25 * Double(k + 1)) * (1 + 0.05 * normal(&rng)) + 1e-3 }, lineWidth: 1)
    }
    let linesFigure = Figure(width: 6.4 * 72, height: 4.8 * 72, panels: [
      Axes(title: "8 series x 10^4 points, log-log", x: AxisSpec(label: "x", scale: .log), y: AxisSpec(label: "k(x)", scale: .log), lines: powerLaws)
    ])
    // heat map: 1000 × 1000 cumulative sums of normals, viridis, colorbar.
    var z = [Double](repeating: 0, count: 1_000_000)
    for i in 0..<1000 { for j in 0..<1000 { z[i * 1000 + j] = normal(&rng) } }
    for i in 1..<1000 { for j in 0..<1000 { z[i * 1000 + j] += z[(i - 1) * 1000 + j] } }
    for i in 0..<1000 { for j in 1..<1000 { z[i * 1000 + j] += z[i * 1000 + j - 1] } }
    let heatFigure = Figure(width: 6.4 * 72, height: 4.8 * 72, panels: [
      Axes(title: "1000 x 1000 heatmap", marks: [.heatmap(Heatmap(values: z, rows: 1000, columns: 1000))])
    ])
    for (name, figure) in [("lines", linesFigure), ("heatmap", heatFigure)] {
      let tLayout = best(3) { sink += Double(FigureLayout(theme: .light, measurer: backend).scene(for: figure).items.count) }
      results.append(Measurement(name: "plot_\(name)_layout", seconds: tLayout, detail: "figure → scene only"))
      for format in [ImageFormat.png, .svg, .pdf] {
        var bytes = 0
        let t = try best(5) {
          let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
          bytes = try backend.render(scene, as: format, pixelsPerPoint: 150.0 / 72).count
        }
        results.append(Measurement(name: "plot_\(name)_\(format.rawValue)", seconds: t, detail: "\(bytes / 1024) KiB, layout included"))
      }
    }

    // Mean field: the 101 × 101 tanh phase diagram (χ₁, q*, c*, ξ_c at every point), 2 threads.
    let phase = PhaseDiagramKind()
    for quantity in ["chi1", "xi_c"] {
      let (phaseOptions, _) = DirectiveValidator.validate(
        DocumentParser.parse(SourceFile(path: "bench.md", text: "```{kernel} phase-diagram\n:eoc_points: 0\n:quantity: \(quantity)\n```\n"), name: "bench").0.directives[0],
        schemas: ["phase-diagram": phase.schema])
      let tPhase = try best(3) { sink += Double(try phase.run(phaseOptions!, context: RunContext(seed: 0)).grid!.values.count) }
      results.append(Measurement(name: "phase_diagram_101x101_tanh_\(quantity)", seconds: tPhase, detail: quantity == "chi1" ? "q*, chi1 at 10201 points" : "q*, chi1, c*, chi_c at 10201 points"))
    }
    let tEOC = best(3) { for b in Grid.linspace(0.01, 0.3, count: 30) { sink += MeanField(.tanh).edgeOfChaos(sigmaB2: b) ?? 0 } }
    results.append(Measurement(name: "edge_of_chaos_30_tanh", seconds: tEOC, detail: "30 root solves of chi1 = 1"))

    for m in results {
      print("{\"workload\": \"\(m.name)\", \"seconds\": \(m.seconds), \"detail\": \"\(m.detail)\"}")
    }
    print("")
    print("workload".padding(toLength: 30, withPad: " ", startingAt: 0) + "  seconds     detail")
    for m in results {
      print(m.name.padding(toLength: 30, withPad: " ", startingAt: 0) + "  " + String(format: "%9.6f", m.seconds) + "  " + m.detail)
    }
    if sink.isNaN { print("") }  // keep the work observable
  }
}
