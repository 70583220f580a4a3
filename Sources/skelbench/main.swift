// skelbench: times the hot paths and prints one JSON line per workload, then a table.
// Long sweeps belong here, not in the tests. Peer comparisons (`--peers`) come with issue 8.
import Foundation
import SkelBuild
import SkelCairo
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelMath
import SkelPlot
import SkelTiles

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

/// Peer workloads from ../shared/bench: (our workloads compared with it, script, arguments).
let peerRuns: [([String], String, [String])] = [
  (["nngp_N4000_L1"], "a_nngp.py", ["--impl", "nt", "--N", "4000", "--L", "1", "--repeats", "3"]),
  (["nngp_N4000_L1"], "a_nngp.py", ["--impl", "numpy_blocked_sym", "--threads", "2", "--N", "4000", "--L", "1", "--repeats", "3"]),
  (["nngp_N4000_L1"], "a_nngp.py", ["--impl", "numpy", "--N", "4000", "--L", "1", "--repeats", "3"]),
  (["nngp_N4000_L10"], "a_nngp.py", ["--impl", "nt", "--N", "4000", "--L", "10", "--repeats", "3"]),
  (["nngp_N4000_L10"], "a_nngp.py", ["--impl", "numpy_blocked_sym", "--threads", "2", "--N", "4000", "--L", "10", "--repeats", "3"]),
  (["nngp_N4000_L100"], "a_nngp.py", ["--impl", "nt", "--N", "4000", "--L", "100", "--repeats", "1", "--warmup", "0"]),
  (
    ["nngp_N4000_L100"], "a_nngp.py",
    ["--impl", "numpy_blocked_sym", "--threads", "2", "--N", "4000", "--L", "100", "--repeats", "1", "--warmup", "0"]
  ),
  (["ntk_N1000_L100"], "b_ntk.py", ["--impl", "nt", "--N", "1000", "--L", "100", "--repeats", "3"]),
  (["ntk_N1000_L100"], "b_ntk.py", ["--impl", "numpy_blocked_sym", "--threads", "2", "--N", "1000", "--L", "100", "--repeats", "3"]),
  (["ntk_N1000_L100"], "b_ntk.py", ["--impl", "numpy", "--N", "1000", "--L", "100", "--repeats", "3"]),
  (["mc_kernel_r4096", "mc_kernel_r4096_forward"], "c_mc_kernel.py", ["--backend", "numpy", "--r", "4096", "--repeats", "3"]),
  (["mc_kernel_r4096", "mc_kernel_r4096_forward"], "c_mc_kernel.py", ["--backend", "jax", "--r", "4096", "--repeats", "3"]),
  (["dual_tanh_M1e4"], "d_dual_tanh.py", ["--threads", "1"]),
  (["dual_tanh_M1e4"], "d_dual_tanh.py", ["--threads", "2"]),
  // the plot target: our three formats against matplotlib's PNG alone
  (["plot_lines_png_svg_pdf", "plot_lines_png_svg_pdf_1thread", "plot_lines_png"], "e_plot_mpl.py", ["--kind", "lines", "--fmt", "png"]),
  (["plot_lines_svg"], "e_plot_mpl.py", ["--kind", "lines", "--fmt", "svg"]),
  (["plot_lines_png"], "e_plot_cairo.py", ["--fmt", "png", "--decimate"]),
  (["plot_heatmap_png"], "e_plot_mpl.py", ["--kind", "heatmap", "--fmt", "png"]),
  (["plot_heatmap_svg"], "e_plot_mpl.py", ["--kind", "heatmap", "--fmt", "svg"]),
  // issue 18's CNNs: the script is this repository's (scripts/peers), run with the bench dir's _bench.py
  (["conv_flatten_N256"], "g_conv_nngp.py", ["--readout", "flatten", "--N", "256", "--repeats", "3"]),
  // NT needs nt.batch blocks here (N² (HW)² doubles whole) and ~10 min per run on this machine
  (["conv_gap_N256"], "g_conv_nngp.py", ["--readout", "gap", "--N", "256", "--repeats", "1", "--batch", "32"]),
]

/// Runs a peer script and returns its implementation and its best and median seconds. Ratios use
/// the best of the peer's repeats, as ours are the best of ours: like against like.
func runPeer(python: String, directory: String, script: String, arguments: [String]) -> (impl: String, best: Double, median: Double)? {
  let p = Process()
  p.executableURL = URL(fileURLWithPath: python)
  let cwd = FileManager.default.currentDirectoryPath
  let ours = cwd + "/scripts/peers/" + script
  let benchDir = directory.hasPrefix("/") ? directory : cwd + "/" + directory
  p.arguments = FileManager.default.fileExists(atPath: ours) ? [ours, "--bench-dir", benchDir] + arguments : [script] + arguments
  p.currentDirectoryURL = URL(fileURLWithPath: directory)
  var env = ProcessInfo.processInfo.environment
  env["TF_CPP_MIN_LOG_LEVEL"] = "3"
  p.environment = env
  let out = Pipe()
  p.standardOutput = out
  p.standardError = FileHandle.nullDevice
  guard (try? p.run()) != nil else { return nil }
  let data = out.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  guard let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
    let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
  else { return nil }
  let impl = (obj["impl"] as? String) ?? script
  func field(_ key: String) -> Double? { (obj[key] as? Double) ?? ((obj["result"] as? [String: Any])?[key] as? Double) }
  let median = field("median_s") ?? .nan
  let threads = arguments.firstIndex(of: "--threads").map { "+\(arguments[$0 + 1])threads" } ?? ""
  return (impl + threads, field("min_s") ?? median, median)
}

/// The verify step: neural-tangents' kernels on the peers' verify inputs (67 × 784, numpy seed 1,
/// L = 1, 3, 10, 100) against ours, max relative error off the diagonal.
let verifyScript = #"""
  import json, math, sys
  import jax
  jax.config.update("jax_enable_x64", True)
  import numpy as np
  from neural_tangents import stax
  X = np.random.default_rng(1).standard_normal((67, 784))
  X.tofile(sys.argv[1] + "/x.bin")
  for L in (1, 3, 10, 100):
      layers = []
      for _ in range(L):
          layers += [stax.Dense(1, W_std=math.sqrt(2), b_std=0.0), stax.Relu()]
      _, _, kfn = stax.serial(*layers, stax.Dense(1))
      ref = kfn(X, None, ("nngp", "ntk"))
      np.asarray(ref.nngp).tofile(sys.argv[1] + f"/nngp{L}.bin")
      np.asarray(ref.ntk).tofile(sys.argv[1] + f"/ntk{L}.bin")
  """#

func verifyAgainstNeuralTangents(python: String, compute: Compute) throws -> [(String, Double)] {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skelbench-verify-\(getpid())")
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: dir) }
  let p = Process()
  p.executableURL = URL(fileURLWithPath: python)
  p.arguments = ["-c", verifyScript, dir.path]
  p.standardError = FileHandle.nullDevice
  try p.run()
  p.waitUntilExit()
  guard p.terminationStatus == 0 else {
    throw BenchError(
      description:
        "the neural-tangents check failed in \(python) (exit \(p.terminationStatus)): are jax and neural-tangents installed there?")
  }
  func load(_ name: String) throws -> [Double] {
    let data = try Data(contentsOf: dir.appendingPathComponent(name))
    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
  }
  let x = Matrix(rows: 67, columns: 784, storage: try load("x.bin"))
  var out: [(String, Double)] = []
  for L in [1, 3, 10, 100] {
    let spec = LayerSpec.serial([.repeated(.serial([.dense(2.0.squareRoot()), .activation(.relu)]), count: L), .dense(1)])
    let k = try spec.kernel(inputs: x, compute: compute)
    guard let ntk = k.ntk else { throw BenchError(description: "the kernel at L = \(L) came back without its NTK") }
    for (name, ours) in [("nngp", k.nngp.storage), ("ntk", ntk.storage)] {
      let ref = try load("\(name)\(L).bin")
      let scale = ref.map(abs).max() ?? 1
      var worst = 0.0
      for i in 0..<67 { for j in 0..<67 where i != j { worst = max(worst, abs(ours[i * 67 + j] - ref[i * 67 + j]) / scale) } }
      out.append(("\(name)_L\(L)", worst))
    }
  }
  return out
}

/// Gram-matrix workloads (a, b): N inputs in R^784, standard normal, W_std = √2, no bias.
func gramWorkload(n: Int, layers: Int, ntk: Bool, repeats: Int, compute: Compute) throws -> Double {
  var rng = SeededGenerator(seed: 0)
  let x = Matrix(rows: n, columns: 784, storage: (0..<(n * 784)).map { _ in normal(&rng) })
  let spec = LayerSpec.serial([.repeated(.serial([.dense(2.0.squareRoot()), .activation(.relu)]), count: layers), .dense(1)])
  var sink = 0.0
  let t = try best(repeats) {
    let k = try spec.kernel(inputs: x, computeNTK: ntk, compute: compute)
    if ntk {
      guard let t = k.ntk else { throw BenchError(description: "the kernel came back without its NTK") }
      sink += t[1, 2]
    } else {
      sink += k.nngp[1, 2]
    }
  }
  if sink.isNaN { print("") }
  return t
}

/// A benchmark failed in a way that makes its timing meaningless.
struct BenchError: Error, CustomStringConvertible {
  var description: String
}

/// The command line: `--peers PYTHON`, `--bench-dir DIR`, `--only GROUP`, `--workload NAME`,
/// `--repeats K`, `--threads N`.
struct BenchOptions {
  var python: String?
  var benchDir: String
  var only: String?
  /// `--workload NAME` keeps one workload of the gram or conv group (for profiling one path alone;
  /// `conv_flatten_N256` runs without the global-pool network and its 5-minute NT peer)
  var workload: String?
  /// `--repeats K`: best of K for the Gram workloads instead of their defaults (2–3)
  var repeats: Int?
  /// `--threads N`: threads for the engine and OpenBLAS (default: every core)
  var compute: Compute
  /// `--tiles-n N`: the tiles group computes one store of order N and reports its time and peak RSS
  var tilesOrder: Int?
  /// `--tiles-dir DIR`: where the tiles group writes its stores (default: a folder under /tmp)
  var tilesDirectory: String
  /// `--tiles-io buffered|direct|both`: how the tiles group writes its stores (default direct)
  var tilesIO: [TileIO]
  /// `--tiles-size T,T,…`: the tile sides of the throughput workload (default 960,1920)
  var tilesSizes: [Int]
  /// `--gram-n N,N,…`: the orders of the gramkind group (default 2000,10000,20000)
  var gramOrders: [Int]

  init(_ args: [String]) {
    func value(_ flag: String) -> String? { args.firstIndex(of: flag).flatMap { $0 + 1 < args.count ? args[$0 + 1] : nil } }
    python = value("--peers")
    benchDir = value("--bench-dir") ?? "../shared/bench"
    only = value("--only")
    workload = value("--workload")
    repeats = value("--repeats").flatMap { Int($0) }
    compute = value("--threads").flatMap { Int($0) }.map { Compute(threads: $0) } ?? .allCores
    tilesOrder = value("--tiles-n").flatMap { Int($0) }
    tilesDirectory = value("--tiles-dir") ?? NSTemporaryDirectory() + "skelbench-tiles-\(getpid())"
    tilesIO = value("--tiles-io").map { $0 == "both" ? [.buffered, .direct] : [TileIO(rawValue: $0) ?? .buffered] } ?? [.direct]
    tilesSizes =
      value("--tiles-size").map { $0.split(separator: ",").compactMap { Int($0) }.filter { $0 > 0 && $0 % 320 == 0 } }
      ?? [960, 1920]
    gramOrders = value("--gram-n").map { $0.split(separator: ",").compactMap { Int($0) } } ?? [2000, 10_000, 20_000]
  }

  /// Whether `--only` selects one of these groups (or none was named).
  func runs(_ groups: String...) -> Bool { only.map(groups.contains) ?? true }
}

/// One run of the benchmarks: the groups in order, each appending its measurements.
struct Bench {
  let options: BenchOptions
  var results: [Measurement] = []
  var sink = 0.0
  var compute: Compute { options.compute }

  /// Machine limits in the same run: GEMM and arccos.
  mutating func limits() {
    var rng0 = SeededGenerator(seed: 0)
    let g = Matrix(rows: 4000, columns: 784, storage: (0..<(4000 * 784)).map { _ in normal(&rng0) })
    let compute = compute
    let tGemm = best(3) { sink += compute.blas { g.gram() }[1, 2] }
    results.append(
      Measurement(
        name: "limit_syrk_4000x784", seconds: tGemm,
        detail: String(format: "%.1f GFLOP/s effective (dsyrk, 2·N²·d flops counted)", 2 * 4000.0 * 4000 * 784 / tGemm / 1e9)))
    // 10⁷ arccos in chunks of 4096 (in cache: the rate of the function, not of memory)
    let cs = (0..<4096).map { _ in rng0.nextUniform() * 2 - 1 }
    for impl in FastMLPKernel.Arccos.allCases {
      let tAcos = best(3) { for _ in 0..<2441 { sink += FastMLPKernel.arccos(cs, using: impl)[7] } }
      results.append(
        Measurement(
          name: "limit_acos_\(impl)_1e7", seconds: tAcos,
          detail: String(
            format: "%.2f ns/element, 1 core (%@)", tAcos * 1e9 / 1e7,
            impl == .scalar ? "glibc acos" : impl == .libmvec ? "glibc libmvec AVX2" : "ours: AVX2 polynomial, the tile kernel's")))
    }
  }

  /// The Gram workloads (a, b).
  mutating func grams() throws {
    for (name, n, layers, ntk, reps) in [
      ("nngp_N4000_L1", 4000, 1, false, 3), ("nngp_N4000_L10", 4000, 10, false, 3), ("nngp_N4000_L100", 4000, 100, false, 2),
      ("ntk_N1000_L100", 1000, 100, true, 3),
    ] where options.workload == nil || options.workload == name {
      let t = try gramWorkload(n: n, layers: layers, ntk: ntk, repeats: options.repeats ?? reps, compute: compute)
      results.append(
        Measurement(
          name: name, seconds: t,
          detail: String(
            format: "%.2f ns per entry-layer (N², %@)", t * 1e9 / Double(n * n * layers),
            FastMLPKernel.usesAVX2 ? "AVX2, polynomial arccos" : "scalar")))
    }
  }

  /// Issue 18's CNNs: NNGP of [conv(3, same), relu, conv(3, same), relu, flatten | global_avg_pool,
  /// dense] on N = 256 inputs of 16 × 16 × 1 (standard normal, seed 0), the tile path, with the
  /// machine limit measured in this run: the recursion's arithmetic (`tilePlan`'s flops and square
  /// roots per pair × the N(N−1)/2 pairs and N self runs) at the rates of this machine: the square
  /// roots at the AVX2 square-root unit's throughput (probe on in-cache data, per core), every
  /// other flop at the dgemm rate (2000², 2·n³ flops, all threads). The limit adds the two (no
  /// overlap of the square-root unit with the FMA pipes assumed); the overlapped bound (the larger
  /// of the two) is printed beside it.
  mutating func conv() throws {
    var rng = SeededGenerator(seed: 0)
    let n = 256, shape = InputShape(spatial: [16, 16], channels: 1)
    let storage = (0..<(n * 256)).map { _ in normal(&rng) }
    guard let x = InputBatch(shape: shape, count: n, storage: storage) else { throw BenchError(description: "the conv inputs") }
    let a = Matrix(rows: 2000, columns: 2000, storage: (0..<4_000_000).map { _ in normal(&rng) })
    let compute = compute
    let tGemm = best(3) { sink += compute.blas { a * a }[1, 2] }
    let gflops = 2 * 8e9 / tGemm / 1e9
    results.append(Measurement(name: "limit_dgemm_2000", seconds: tGemm, detail: String(format: "%.1f GFLOP/s (2·n³ flops)", gflops)))
    // square roots and divides: 4096 doubles in cache, 2441 sweeps ≈ 10⁷ per probe, one core
    let probeInput = (0..<4096).map { _ in 0.5 + rng.nextUniform() }
    var unit: [Bool: Double] = [:]
    for squareRoots in [true, false] {
      let t = best(3) { sink += FastMLPKernel.probe(squareRoots: squareRoots, over: probeInput, repeats: 2441) } / (4096 * 2441)
      unit[squareRoots] = t
      results.append(
        Measurement(
          name: squareRoots ? "limit_sqrt_1e7" : "limit_divide_1e7", seconds: t * 1e7,
          detail: String(format: "%.3f ns per element, 1 core (AVX2 vsqrtpd/vdivpd, 8 independent chains)", t * 1e9)))
    }
    let cores = Double(min(compute.threads, ProcessInfo.processInfo.activeProcessorCount))
    let tSqrt = (unit[true] ?? 0) / cores
    let convLayer = Network.conv(ConvLayer(window: [3, 3], padding: .same))
    for (name, readout) in [("conv_flatten_N256", Network.flatten), ("conv_gap_N256", .globalPool(.average))]
    where options.workload == nil || options.workload == name {
      let net = Network.serial([convLayer, .activation(.relu), convLayer, .activation(.relu), readout, .dense(DenseLayer())])
      guard let program = try net.tilePlan(input: shape, computeNTK: false) else { throw BenchError(description: "not tileable") }
      let t = try best(options.repeats ?? 3) { sink += try net.kernel(x, computeNTK: false, compute: compute).nngp[1, 2] }
      // the N(N−1)/2 pairs and the N self runs
      let runs = Double(n * (n - 1) / 2 + n)
      let flops = program.flopsPerPair * runs, sqrts = program.sqrtsPerPair * runs
      let tFlops = (flops - sqrts) / (gflops * 1e9), tRoots = sqrts * tSqrt
      let limit = tFlops + tRoots
      results.append(
        Measurement(
          name: name, seconds: t,
          detail: String(
            format:
              "tile path, %d pairs per block; %.3g flops of which %.3g square roots: limit %.4f s = %.4f s of flops at the dgemm rate + %.4f s of square roots (overlapped bound %.4f s); %.2f× the limit (%.2f× the flops-only limit %.4f s)",
            program.blockPairs, flops, sqrts, limit, tFlops, tRoots, max(tFlops, tRoots), t / limit, t / (flops / (gflops * 1e9)),
            flops / (gflops * 1e9))))
    }
  }

  /// Workload c: one Monte-Carlo draw of a width-4096, depth-3 ReLU MLP's kernel on 1000 inputs
  /// in R^784, by the cheaper route per layer (as the library draws it) and by the forward
  /// product alone (the peers' algorithm: sample the weights, dgemm, dsyrk).
  mutating func monteCarlo() {
    var rngX = SeededGenerator(seed: 0)
    let xs = Matrix(rows: 1000, columns: 784, storage: (0..<(1000 * 784)).map { _ in rngX.nextNormal() })
    var draw = 0
    let compute = compute
    for (name, route, detail) in [
      (
        "mc_kernel_r4096", MonteCarloKernel.Route.cheaper,
        "layer 1 by dgemm; layers 2–3 as L·Z with L Lᵀ = Σ (dsyrk, dpotrf, dtrmm), the same law"
      ),
      ("mc_kernel_r4096_forward", .forward, "every layer by dgemm, as the peers"),
    ] {
      let t = best(3) {
        draw += 1
        sink += MonteCarloKernel.reluMLP(xs, width: 4096, depth: 3, seed: UInt64(draw), route: route, compute: compute)[1, 2]
      }
      results.append(Measurement(name: name, seconds: t, detail: "N=1000, d=784, depth 3, one draw: " + detail))
    }
  }

  /// Closed-form and quadrature duals, and one line plot (3 series × 401 points) in PNG + SVG + PDF.
  mutating func dualsAndLinePlot(_ backend: CairoBackend) throws {
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

    let xs = Grid.linspace(-1, 1, count: 401)
    let figure = Figure(
      width: 360, height: 245,
      panels: [
        Axes(
          x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\hat\\sigma(\\rho)$"),
          lines: [
            LineSeries(name: "relu", x: xs, y: Dual.normalized(.relu, on: xs)),
            LineSeries(name: "step", x: xs, y: Dual.normalized(.step, on: xs)),
            LineSeries(name: "exp", x: xs, y: Dual.normalized(Activation.exponential(scale: 1), on: xs)),
          ])
      ])
    let tPlot = try best(5) {
      let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
      for f in ImageFormat.allCases { sink += Double(try backend.render(scene, as: f, pixelsPerPoint: 2).count) }
    }
    results.append(Measurement(name: "line_plot_png_svg_pdf", seconds: tPlot, detail: "layout + 3 formats"))
  }

  /// The matplotlib peer's figures (../shared/bench/e_plot_mpl.py): 6.4 × 4.8 in at 150 dpi.
  /// lines: 8 noisy power laws × 10⁴ points, log-log, legend ("best"), title; heat map: 1000 × 1000
  /// cumulative sums of normals, viridis, colorbar.
  static func matplotlibFigures() -> (lines: Figure, heatmap: Figure) {
    var rng = SeededGenerator(seed: 0)
    let lx = Grid.logspace(-3, 3, count: 10_000)
    let powerLaws = (0..<8).map { k in
      LineSeries(name: "series \(k)", x: lx, y: lx.map { pow($0, 0.25 * Double(k + 1)) * (1 + 0.05 * normal(&rng)) + 1e-3 }, lineWidth: 1)
    }
    let linesFigure = Figure(
      width: 6.4 * 72, height: 4.8 * 72,
      panels: [
        Axes(
          title: "8 series x 10^4 points, log-log", x: AxisSpec(label: "x", scale: .log), y: AxisSpec(label: "k(x)", scale: .log),
          lines: powerLaws)
      ])
    var z = [Double](repeating: 0, count: 1_000_000)
    for i in 0..<1000 { for j in 0..<1000 { z[i * 1000 + j] = normal(&rng) } }
    for i in 1..<1000 { for j in 0..<1000 { z[i * 1000 + j] += z[(i - 1) * 1000 + j] } }
    for i in 0..<1000 { for j in 1..<1000 { z[i * 1000 + j] += z[i * 1000 + j - 1] } }
    let heatFigure = Figure(
      width: 6.4 * 72, height: 4.8 * 72,
      panels: [
        Axes(title: "1000 x 1000 heatmap", marks: [.heatmap(Heatmap(values: z, rows: 1000, columns: 1000))])
      ])
    return (linesFigure, heatFigure)
  }

  /// The matplotlib peer's workloads: layout alone, then each format with its layout, one thread.
  mutating func matplotlibPlots(_ figures: (lines: Figure, heatmap: Figure), backend: CairoBackend) throws {
    for (name, figure) in [("lines", figures.lines), ("heatmap", figures.heatmap)] where options.only != "lines" || name == "lines" {
      let tLayout = best(3) { sink += Double(FigureLayout(theme: .light, measurer: backend).scene(for: figure).items.count) }
      results.append(Measurement(name: "plot_\(name)_layout", seconds: tLayout, detail: "figure → scene only"))
      for format in [ImageFormat.png, .svg, .pdf] {
        var bytes = 0
        let t = try best(5) {
          let scene = FigureLayout(theme: .light, measurer: backend).scene(for: figure)
          bytes = try backend.render(scene, as: format, pixelsPerPoint: 150.0 / 72).count
        }
        results.append(
          Measurement(name: "plot_\(name)_\(format.rawValue)", seconds: t, detail: "\(bytes / 1024) KiB, layout included, 1 thread"))
      }
    }
  }

  /// The three files of the lines figure as a build writes them (FigureDrawing: one layout, the
  /// formats side by side on all threads), and on one thread.
  mutating func figureDrawing(_ linesFigure: Figure, backend: CairoBackend) {
    for threads in [compute.threads, 1] {
      let t = best(5) {
        let requests = [FigureDrawing.Request(figure: linesFigure, theme: .light, formats: [.png, .svg, .pdf])]
        for r in FigureDrawing.draw(requests, backend: backend, pixelsPerPoint: 150.0 / 72, compute: Compute(threads: threads))[0] {
          sink += Double((try? r.get().count) ?? 0)
        }
      }
      results.append(
        Measurement(
          name: "plot_lines_png_svg_pdf" + (threads == 1 ? "_1thread" : ""), seconds: t,
          detail: "layout once + PNG, SVG, PDF, \(threads) thread(s), as the build draws"))
    }
  }

  /// Mean field: the 101 × 101 tanh phase diagram (χ₁, q*, c*, ξ_c at every point), 2 threads.
  mutating func meanField() throws {
    let phase = AnyKind(PhaseDiagramKind())
    var context = RunContext(seed: 0)
    context.compute = compute
    for quantity in ["chi1", "xi_c"] {
      let (phaseOptions, _) = DirectiveValidator.validate(
        DocumentParser.parse(
          SourceFile(path: "bench.md", text: "```{kernel} phase-diagram\n:eoc_points: 0\n:quantity: \(quantity)\n```\n"), name: "bench"
        ).0.directives[0],
        schemas: ["phase-diagram": phase.schema])
      guard let phaseOptions else { throw BenchError(description: "the phase-diagram directive (\(quantity)) does not validate") }
      let tPhase = try best(3) {
        guard let grid = try phase.run(phaseOptions, context: context).grid else {
          throw BenchError(description: "the phase diagram has no grid")
        }
        sink += Double(grid.values.count)
      }
      results.append(
        Measurement(
          name: "phase_diagram_101x101_tanh_\(quantity)", seconds: tPhase,
          detail: quantity == "chi1" ? "q*, chi1 at 10201 points" : "q*, chi1, c*, chi_c at 10201 points"))
    }
    let tEOC = best(3) { for b in Grid.linspace(0.01, 0.3, count: 30) { sink += MeanField(.tanh).edgeOfChaos(sigmaB2: b) ?? 0 } }
    results.append(Measurement(name: "edge_of_chaos_30_tanh", seconds: tEOC, detail: "30 root solves of chi1 = 1"))
  }

  /// Workload d: the tanh dual at 10⁴ correlations (the peer: 2-D Gauss–Hermite 64², numpy).
  /// Ours: 1-D Gauss–Hermite Mehler coefficients, then a polynomial per correlation; the series'
  /// truncation is bounded by its tail (EqualVarianceKernel). Error: against 2-D adaptive quadrature.
  mutating func tanhDual() {
    let rhos = Grid.linspace(-1, 1, count: 10_000)
    var values: [Double] = []
    let tDual = best(5) {
      let k = EqualVarianceKernel(.tanh, q: 1)
      values = rhos.map { k.value(correlation: $0) }
    }
    var worst = 0.0
    for i in stride(from: 0, to: rhos.count, by: 100) {
      let exact = AdaptiveDualQuadrature.shared.kernel(.tanh, q11: 1, q22: 1, q12: rhos[i]).value.nngp
      worst = max(worst, abs(values[i] - exact))
    }
    results.append(
      Measurement(
        name: "dual_tanh_M1e4", seconds: tDual,
        detail: String(format: "max error %.1e vs 2-D adaptive quadrature at 100 correlations", worst)))
  }

  /// Site builds of the bundled reports: cold (no cache) and warm (cache, no change).
  mutating func siteBuilds() {
    let exe = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("skelreport").path
    guard FileManager.default.isExecutableFile(atPath: exe) else { return }
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("skelbench-site-\(getpid())")
    defer { try? FileManager.default.removeItem(at: out) }
    let threads = compute.threads
    func build(_ extra: [String]) -> Double {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: exe)
      p.arguments =
        [
          "build", "reports", "--out", out.appendingPathComponent("site").path, "--cache-dir", out.appendingPathComponent("cache").path,
          "--quiet", "--threads", "\(threads)",
        ] + extra
      p.standardOutput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      let t0 = DispatchTime.now().uptimeNanoseconds
      try? p.run()
      p.waitUntilExit()
      return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }
    let cold = build(["--no-cache"])
    _ = build([])  // fills the cache
    let warm = (0..<3).map { _ in build([]) }.min() ?? .nan
    results.append(Measurement(name: "site_cold_build", seconds: cold, detail: "bundled reports, no cache, whole process"))
    results.append(Measurement(name: "site_warm_rebuild", seconds: warm, detail: "bundled reports, no change, whole process"))
  }

  /// The peers' timings of the workloads measured in this run, as ratios, and the check of our
  /// kernels against neural-tangents.
  mutating func peers(python: String) throws {
    print("peers (\(python), \(options.benchDir)), ratios measured in this run:")
    var byWorkload: [String: [(impl: String, best: Double, median: Double)]] = [:]
    let measured = Set(results.map(\.name))
    for (workloads, script, arguments) in peerRuns where workloads.contains(where: measured.contains) {
      if let r = runPeer(python: python, directory: options.benchDir, script: script, arguments: arguments) {
        for w in workloads { byWorkload[w, default: []].append(r) }
        print("  \(workloads[0]) \(r.impl): best \(String(format: "%.3f", r.best)) s, median \(String(format: "%.3f", r.median)) s")
      } else {
        print("  \(workloads[0]) \(script) \(arguments.joined(separator: " ")): failed")
      }
    }
    for m in results {
      for (impl, t, median) in byWorkload[m.name] ?? [] {
        results.append(
          Measurement(
            name: "ratio_\(m.name)_vs_\(impl)", seconds: t / m.seconds,
            detail: String(format: "%.2f× (peer best %.3f s / ours best %.3f s; peer median %.3f s)", t / m.seconds, t, m.seconds, median)))
      }
    }
    // the NT check of the kernels, when they were measured (it needs neural-tangents in PYTHON)
    guard measured.contains("nngp_N4000_L1") else { return }
    for (name, err) in try verifyAgainstNeuralTangents(python: python, compute: compute) {
      results.append(Measurement(name: "verify_nt_\(name)", seconds: err, detail: "max relative error off the diagonal vs neural-tangents"))
    }
  }
}

@main
struct SkelBench {
  static func main() {
    do { try run() } catch {
      FileHandle.standardError.write(Data("skelbench: error: \(error)\n".utf8))
      exit(1)
    }
  }

  static func run() throws {
    let options = BenchOptions(CommandLine.arguments)
    var bench = Bench(options: options)
    if options.runs("gram"), options.workload == nil { bench.limits() }
    if options.runs("gram") { try bench.grams() }
    if options.runs("gram", "mc"), options.workload == nil { bench.monteCarlo() }
    if options.runs("plots", "lines") {
      let backend = CairoBackend()
      if options.only != "lines" { try bench.dualsAndLinePlot(backend) }
      let figures = Bench.matplotlibFigures()
      try bench.matplotlibPlots(figures, backend: backend)
      bench.figureDrawing(figures.lines, backend: backend)
    }
    if options.runs("meanfield") { try bench.meanField() }
    if options.runs("conv") { try bench.conv() }
    if options.runs("dual") { bench.tanhDual() }
    if options.runs("site") { bench.siteBuilds() }
    if options.runs("tiles") { try bench.tiles(storeDirectory: options.tilesDirectory) }
    if options.only == "gramkind" { try bench.gramKind(storeDirectory: options.tilesDirectory) }
    if let python = options.python { try bench.peers(python: python) }
    printTable(bench.results)
    if bench.sink.isNaN { print("") }  // keep the work observable
  }
}

func printTable(_ results: [Measurement]) {
  for m in results {
    print("{\"workload\": \"\(m.name)\", \"seconds\": \(m.seconds), \"detail\": \"\(m.detail)\"}")
  }
  print("")
  print("workload".padding(toLength: 44, withPad: " ", startingAt: 0) + "  value       detail")
  for m in results {
    print(m.name.padding(toLength: 44, withPad: " ", startingAt: 0) + "  " + String(format: "%10.6g", m.seconds) + "  " + m.detail)
  }
}

// MARK: - Tiled Gram matrices

/// Peak resident memory of this process so far, in bytes (getrusage's ru_maxrss is KiB on Linux).
func peakRSS() -> Int {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return u.ru_maxrss * 1024
}

extension Bench {
  /// The `gram` kind end to end (issue 19) against the fused MLP path at the same N: the NNGP of
  /// [dense(w_std=√2), relu, dense] on gaussian(n=N, d=784) through `GramKind.run` (drawing the
  /// inputs, the matrix in memory up to 5000 inputs and in tiles above, as `:storage: auto`; the
  /// block means of the JSON and the heat map), then `FastMLPKernel.run` on the same inputs
  /// (the matrix alone). Both count N² entries. The peak RSS is read right after the kind's run,
  /// before the fused path allocates anything (run one N per process for a clean peak). Only with
  /// `--only gramkind`.
  mutating func gramKind(storeDirectory: String) throws {
    let compute = compute
    for n in options.gramOrders {
      var o = GramKind.Options()
      o.inputs = InputsValue(.generated(law: .gaussian, n: n, d: 784))
      o.network = NetworkValue(
        .serial([.dense(DenseLayer(wStd: 2.0.squareRoot())), .activation(.abRelu(a: 0, b: 1)), .dense(DenseLayer())]))
      var context = RunContext(seed: 1)
      context.compute = compute
      context.tileDirectory = storeDirectory + "/gramkind-\(n)"
      let rssBefore = peakRSS()
      let t0 = DispatchTime.now().uptimeNanoseconds
      let r = try GramKind().run(o, context: context)
      var t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
      let rss = peakRSS()
      sink += r.grid?.values[0][0] ?? 0
      let tiled = GramKind.isTiled(o.storage, n: n)
      // the fused path on the inputs the kind drew; in memory (short runs) each side twice,
      // alternating, best of two (the first run of a process pays page faults the second does not)
      let t1 = DispatchTime.now().uptimeNanoseconds
      guard case .batch(let b) = try o.inputs.inputs(seed: context.seed, files: InputFiles()) else { return }
      let tInputs = Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9
      let x = Matrix(rows: n, columns: 784, storage: b.storage)
      let shape = FastMLPKernel.Shape(depth: 1, w2: 2, b2: 0, wOut2: 1, bOut2: 0, a: 0, b: 1)
      var tFused = best(1) { sink += FastMLPKernel.run(shape, inputs: x, computeNTK: false, compute: compute).nngp[1, 2] }
      if !tiled {
        t = min(t, try best(1) { sink += try GramKind().run(o, context: context).grid?.values[0][0] ?? 0 })
        tFused = min(tFused, best(1) { sink += FastMLPKernel.run(shape, inputs: x, computeNTK: false, compute: compute).nngp[1, 2] })
      }
      let entries = Double(n) * Double(n)
      results.append(
        Measurement(
          name: "gramkind_N\(n)", seconds: t,
          detail: String(
            format:
              "%.3g entries/s, %.2f× the fused path's time (%.3g entries/s, %.2f s; drawing the inputs %.2f s); %@; peak RSS %.2f GiB (before %.2f), matrix %.2f GiB",
            entries / t, t / tFused, entries / tFused, tFused, tInputs, tiled ? "tiled (storage auto)" : "in memory, best of 2",
            Double(rss) / Double(1 << 30), Double(rssBefore) / Double(1 << 30), entries * 8 / Double(1 << 30))))
      try? FileManager.default.removeItem(atPath: storeDirectory + "/gramkind-\(n)")
    }
    try? FileManager.default.removeItem(atPath: storeDirectory)
  }

  /// Tiled Gram matrices (issue 22): the NNGP of a ReLU MLP (d = 784, L = 3) at N = 4000 by the
  /// in-memory fused path and tile by tile into a store on disk (throughput in entries per
  /// second; both count all N² entries), and the top 20 eigenvalues at N = 8000 from the store by
  /// block Lanczos against dense `dsyevd`. `--tiles-n N` instead computes one store of order N
  /// (e.g. 100 000) and reports its time and the process's peak RSS (run it alone: the peak is
  /// the whole process's).
  mutating func tiles(storeDirectory: String) throws {
    let shape = FastMLPKernel.Shape(depth: 3, w2: 2, b2: 0, wOut2: 1, bOut2: 0, a: 0, b: 1)
    let compute = compute
    func inputs(_ n: Int) -> Matrix {
      var rng = SeededGenerator(seed: 0)
      return Matrix(rows: n, columns: 784, storage: (0..<(n * 784)).map { _ in normal(&rng) })
    }
    func store(_ x: Matrix, _ tileSize: Int, _ name: String, _ io: TileIO = .direct) throws -> GramTileStore {
      let dir = storeDirectory + "/" + name
      try? FileManager.default.removeItem(atPath: dir)
      let w = TileWritePipeline(try GramTileWriter(directory: dir, name: "nngp", order: x.rows, tileSize: tileSize, io: io))
      try FastMLPKernel.forEachTile(
        shape, inputs: x, computeNTK: false, tileSize: tileSize, compute: compute, destination: { _, _, _ in (try w.buffer(), nil) },
        filled: { bi, bj, count in w.submit(bi, bj, count: count) })
      return try w.finish()
    }
    if let n = options.tilesOrder, options.workload != "eigen" {
      try tilesLarge(n, storeDirectory: storeDirectory, shape: shape, inputs: inputs, store: store)
      try? FileManager.default.removeItem(atPath: storeDirectory)
      return
    }
    if options.workload != "eigen" { try tilesThroughput(inputs(4000), shape: shape, store: store) }
    if options.workload != "throughput" { try tilesEigen(inputs(options.tilesOrder ?? 8000), store: store) }
    try? FileManager.default.removeItem(atPath: storeDirectory)
  }

  /// One store of order n (`--tiles-n`): its time, throughput against the in-memory peer run just
  /// before it, peak RSS and the heat map read back from it.
  mutating func tilesLarge(
    _ n: Int, storeDirectory: String, shape: FastMLPKernel.Shape, inputs: (Int) -> Matrix,
    store: (Matrix, Int, String, TileIO) throws -> GramTileStore
  ) throws {
    let compute = compute
    // the peer, in the same run and just before each store (the machine's load drifts): the
    // in-memory fused path at N = 4000, best of 3
    let x4 = inputs(4000)
    func peer() -> Double {
      let tMem = best(3) { sink += FastMLPKernel.run(shape, inputs: x4, computeNTK: false, compute: compute).nngp[1, 2] }
      results.append(Measurement(name: "tiles_inmemory_N4000_L3", seconds: tMem, detail: String(format: "%.3g entries/s", 16e6 / tMem)))
      return 16e6 / tMem
    }
    let x = inputs(n)
    if n <= 20000 {
      let memRate = peer()
      // the same tiles handed to a sink that keeps nothing: the compute alone
      let tc = best(1) {
        FastMLPKernel.forEachTile(shape, inputs: x, computeNTK: false, tileSize: 1920, compute: compute) { _, _, k, _ in sink += k[0] }
      }
      results.append(
        Measurement(
          name: "tiles_compute_only_N\(n)_L3", seconds: tc,
          detail: String(format: "%.3g entries/s, no store, %.2f of in-memory N=4000", Double(n * n) / tc, Double(n * n) / tc / memRate)))
    }
    for io in options.tilesIO {
      let memRate = peer()
      let t0 = DispatchTime.now().uptimeNanoseconds
      let s = try store(x, 1920, "large", io)
      let t = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
      let rss = peakRSS()
      results.append(
        Measurement(
          name: "tiles_store_N\(n)_L3_\(io.rawValue)", seconds: t,
          detail: String(
            format: "%.3g entries/s = %.2f of in-memory N=4000, %d tiles of 1920, batched fsync, peak RSS %.2f GiB (inputs %.2f GiB)",
            Double(n) * Double(n) / t, Double(n) * Double(n) / t / memRate, s.tilePairs.count, Double(rss) / Double(1 << 30),
            Double(n * 784 * 8) / Double(1 << 30))))
      if io == options.tilesIO.last {
        let t1 = DispatchTime.now().uptimeNanoseconds
        let image = try s.blockAverage(cells: 200)
        sink += image[1, 2]
        results.append(
          Measurement(
            name: "tiles_heatmap_N\(n)", seconds: Double(DispatchTime.now().uptimeNanoseconds - t1) / 1e9,
            detail: String(format: "200×200 block average from the store, peak RSS now %.2f GiB", Double(peakRSS()) / Double(1 << 30))))
      }
      GramTileStore.remove(directory: storeDirectory + "/large", name: "nngp", order: n, tileSize: 1920)
    }
  }

  /// The store's throughput against the in-memory fused path (N = 4000), wall and CPU time
  /// (user + system of the whole process): the in-memory path, the same tiles into a sink that
  /// keeps nothing (the compute alone), and the store (its compute loop and its final sync and
  /// manifest apart), interleaved in `--repeats` rounds (default 5) so that all see the same
  /// load; the best of each, and the median over the rounds of each round's own ratio (on a
  /// loaded machine a run's wall time is mostly waiting for a core; its CPU time is its own).
  mutating func tilesThroughput(_ x4: Matrix, shape: FastMLPKernel.Shape, store: (Matrix, Int, String, TileIO) throws -> GramTileStore)
    throws
  {
    for tileSize in options.tilesSizes {
      for io in options.tilesIO {
        var rounds: [ThroughputRound] = []
        for _ in 0..<(options.repeats ?? 5) { rounds.append(try throughputRound(x4, shape: shape, tileSize: tileSize, io: io)) }
        func best(_ f: (ThroughputRound) -> Timed) -> Timed { (rounds.map { f($0).wall }.min() ?? 0, rounds.map { f($0).cpu }.min() ?? 0) }
        func median(_ f: (ThroughputRound) -> Double) -> Double { rounds.map(f).sorted()[rounds.count / 2] }
        let mem = best(\.memory), only = best(\.computeOnly), stored = best(\.store), loop = best(\.loop), finish = best(\.finish)
        func rate(_ t: Timed) -> String {
          String(format: "%.3g entries/s, least CPU %.2f s (%.3g entries/CPU-s)", 16e6 / t.wall, t.cpu, 16e6 / t.cpu)
        }
        results.append(Measurement(name: "tiles_inmemory_N4000_L3", seconds: mem.wall, detail: rate(mem)))
        results.append(
          Measurement(
            name: "tiles_compute_only_N4000_L3_t\(tileSize)", seconds: only.wall,
            detail: rate(only)
              + String(
                format: ", %.2f of in-memory (median of %d rounds' ratios; %.2f by CPU time)",
                median { $0.memory.wall / $0.computeOnly.wall },
                rounds.count, median { $0.memory.cpu / $0.computeOnly.cpu })))
        results.append(
          Measurement(
            name: "tiles_store_N4000_L3_t\(tileSize)_\(io.rawValue)", seconds: stored.wall,
            detail: rate(stored)
              + String(
                format:
                  ", %.2f of the in-memory path's throughput (median of %d interleaved rounds' ratios, %.2f–%.2f; %.2f by CPU time); compute loop %.2f s (CPU %.2f), sync + manifest %.3f s (CPU %.3f)",
                median { $0.memory.wall / $0.store.wall }, rounds.count, rounds.map { $0.memory.wall / $0.store.wall }.min() ?? 0,
                rounds.map { $0.memory.wall / $0.store.wall }.max() ?? 0, median { $0.memory.cpu / $0.store.cpu }, loop.wall, loop.cpu,
                finish.wall, finish.cpu)))
      }
    }
    try? FileManager.default.removeItem(atPath: options.tilesDirectory + "/n4000")
  }

  typealias Timed = (wall: Double, cpu: Double)
  struct ThroughputRound {
    var memory: Timed, computeOnly: Timed, store: Timed, loop: Timed, finish: Timed
  }

  /// One round of `tilesThroughput`: the in-memory path, the compute alone, the store.
  mutating func throughputRound(_ x4: Matrix, shape: FastMLPKernel.Shape, tileSize: Int, io: TileIO) throws -> ThroughputRound {
    let compute = compute, dir = options.tilesDirectory + "/n4000"
    func timed(_ body: () throws -> Void) rethrows -> Timed {
      let c0 = cpuSeconds(), t0 = DispatchTime.now().uptimeNanoseconds
      try body()
      return (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, cpuSeconds() - c0)
    }
    var sink = 0.0
    let mem = timed { sink += FastMLPKernel.run(shape, inputs: x4, computeNTK: false, compute: compute).nngp[1, 2] }
    let only = timed {
      FastMLPKernel.forEachTile(shape, inputs: x4, computeNTK: false, tileSize: tileSize, compute: compute) { _, _, k, _ in sink += k[0] }
    }
    try? FileManager.default.removeItem(atPath: dir)
    var l: Timed = (0, 0), f = l
    let all = try timed {
      let w = TileWritePipeline(try GramTileWriter(directory: dir, name: "nngp", order: 4000, tileSize: tileSize, io: io))
      l = try timed {
        try FastMLPKernel.forEachTile(
          shape, inputs: x4, computeNTK: false, tileSize: tileSize, compute: compute, destination: { _, _, _ in (try w.buffer(), nil) },
          filled: { bi, bj, count in w.submit(bi, bj, count: count) })
      }
      f = try timed { sink += try w.finish().withTile(0, 0) { $0[1] } }
    }
    self.sink += sink
    return ThroughputRound(memory: mem, computeOnly: only, store: all, loop: l, finish: f)
  }

  /// The store's top 20 eigenvalues by block Lanczos against dense dsyevd (N = 8000): the
  /// gram kind's budget and tolerance (`GramKind.lanczosBudget`, thick restarts within its basis),
  /// and the same with twice the basis; each with its products, restarts, whether it certified
  /// (every Kato–Temple bound ≤ `lanczosRequired` relative) and the true largest relative error.
  /// `--tiles-n N` with `--workload eigen` picks the order (default 8000).
  mutating func tilesEigen(_ x8: Matrix, store: (Matrix, Int, String, TileIO) throws -> GramTileStore) throws {
    let compute = compute, n = x8.rows
    let s8 = try store(x8, 1920, "n\(n)", .buffered)
    let budget = GramKind.lanczosBudget(n: n, k: 20)
    // Lanczos first (the peak RSS after it is the store's and the basis', before dsyevd's matrix)
    var runs: [(basis: Int, result: BlockLanczos.Result, wall: Double, cpu: Double, rss: Int)] = []
    for maxBasis in [budget.maxBasis, 2 * budget.maxBasis] {
      var lanczos: BlockLanczos.Result? = nil
      let cpu0 = cpuSeconds()
      let t = try best(1) {
        lanczos = try compute.blas {
          try BlockLanczos.largestEigenvalues(
            order: n, count: 20, block: budget.block, maxBasis: maxBasis, maxProducts: budget.maxProducts,
            tolerance: GramKind.lanczosTolerance
          ) { try s8.multiply($0) }
        }
      }
      guard let r = lanczos else { throw BenchError(description: "block Lanczos did not run") }
      runs.append((maxBasis, r, t, cpuSeconds() - cpu0, peakRSS()))
    }
    let dense = try s8.dense()
    var all: [Double] = []
    let tDense = try best(1) { all = try compute.blas { try dense.symmetricEigenvalues() } }
    let top = Array(all.reversed().prefix(20))
    for (maxBasis, r, t, cpu, rss) in runs {
      let err = zip(r.values, top).map { abs($0 - $1) / abs($1) }.max() ?? .infinity
      let bound = zip(zip(r.residuals, r.errorBounds), r.values).map { min($0.0, $0.1) / abs($1) }.max() ?? .infinity
      let held = zip(zip(r.values, top), r.errorBounds).allSatisfy { abs($0.0 - $0.1) <= $1 + 1e-13 * top[0] }
      results.append(
        Measurement(
          name: "tiles_top20_N\(n)_lanczos_basis\(maxBasis)", seconds: t,
          detail: String(
            format:
              "block %d, %d products, %d restarts, CPU %.1f s; max relative difference %.2e vs dsyevd, largest relative bound %.2e (bounds hold: %@), certified to %.0e: %@; basis+images %.0f MB, peak RSS %.2f GiB",
            budget.block, r.products, r.restarts, cpu, err, bound, held ? "yes" : "NO", GramKind.lanczosRequired,
            bound <= GramKind.lanczosRequired ? "yes" : "no", Double(2 * n * maxBasis * 8) / 1e6, Double(rss) / Double(1 << 30))))
    }
    results.append(
      Measurement(name: "tiles_top20_N\(n)_dsyevd", seconds: tDense, detail: "dense eigenvalues of the same matrix (all \(n))"))
  }
}

/// User plus system CPU seconds of this process so far (every thread).
func cpuSeconds() -> Double {
  var u = rusage()
  getrusage(RUSAGE_SELF.rawValue, &u)
  return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
