import Foundation
import SkelBuild
import SkelCairo
import SkelData
import SkelExperiments
import Testing

/// `{kernel} predict` and `{kernel} fit` (directives.md, "Kinds on data") through a build: on a
/// one-layer linear network, K(x, x') = w²⟨x, x'⟩/d + b² is both the NNGP and the NTK, so the
/// published predictions and likelihoods have closed forms; estimates count a file's rows;
/// problems are errors at their options.
@Suite struct PredictKindTests {
  static func build(_ report: String, files: [String: String]) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("predict-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports.appendingPathComponent("data"), withIntermediateDirectories: true)
    try Data(report.utf8).write(to: reports.appendingPathComponent("p.md"))
    for (name, text) in files { try Data(text.utf8).write(to: reports.appendingPathComponent(name)) }
    let config = BuildConfiguration(
      reports: reports, output: dir.appendingPathComponent("_site"), templates: packageRoot.appendingPathComponent("templates"),
      cache: dir.appendingPathComponent(".skelcache/results"))
    _ = try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).build()
    return dir
  }

  static func json(_ dir: URL, _ label: String) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/p/\(label).json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// A float64 `.npy` file's shape and values, read here from its header (SkelData's reader
  /// takes inputs, N×d or N×H×W×C, not the 1-D variances).
  static func npy(_ dir: URL, _ name: String) throws -> (shape: [Int], values: [Double]) {
    let bytes = Array(try Data(contentsOf: dir.appendingPathComponent("_site/p/\(name)")))
    #expect(Array(bytes[0..<6]) == [0x93] + Array("NUMPY".utf8))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.contains("'descr': '<f8'") && header.contains("'fortran_order': False"), "\(header)")
    let shapeText = try #require(header.split(separator: "(").last?.split(separator: ")").first)
    let shape = shapeText.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    let values = stride(from: 10 + headerLength, to: bytes.count, by: 8).map { o in
      Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) })
    }
    return (shape, values)
  }

  func close(_ x: Double, _ y: Double, _ tol: Double, _ what: String) {
    #expect(abs(x - y) <= tol * max(1, abs(y)), "\(what): \(x) vs \(y)")
  }

  /// Two training points, two test points of a linear network dense(w_std=1.5, b_std=0.5) in
  /// d = 2: the posterior mean K_td K⁻¹ y and variance K_tt − K_td K⁻¹ K_dt with the 2 × 2
  /// inverse written out (NNGP = NTK here, so the NTK's mean and variance are the same numbers),
  /// the test MSE in the table, and the mean at t = 0 (zero: the MSE is the targets' mean square).
  @Test func linearNetworkPredictionsAreTheClosedForm() throws {
    let train: [[Double]] = [[1.0, 0.5], [-0.3, 1.2]], test: [[Double]] = [[0.4, -0.7], [2.0, 0.1]]
    let yTrain = [0.9, -0.4], yTest = [0.2, 1.1]
    func csv(_ x: [[Double]], _ y: [Double]) -> String {
      "x0,x1,y\n" + zip(x, y).map { "\($0[0]),\($0[1]),\($1)" }.joined(separator: "\n") + "\n"
    }
    let (w, b) = (1.5, 0.5)
    func k(_ u: [Double], _ v: [Double]) -> Double { w * w * (u[0] * v[0] + u[1] * v[1]) / 2 + b * b }
    let report = """
      # P

      ```{kernel} predict
      :label: fig-p
      :alt: p
      :inputs: data/train.csv(columns=[x0, x1])
      :test: data/test.csv(columns=[x0, x1])
      :targets: y
      :network: [dense(w_std=1.5, b_std=0.5)]
      :times: [0, 1, 10]

      Predictions.
      ```
      """
    let dir = try Self.build(report, files: ["data/train.csv": csv(train, yTrain), "data/test.csv": csv(test, yTest)])
    defer { try? FileManager.default.removeItem(at: dir) }
    let (p, q, r) = (k(train[0], train[0]), k(train[0], train[1]), k(train[1], train[1])), det = p * r - q * q
    func solve(_ u: [Double]) -> [Double] { [(r * u[0] - q * u[1]) / det, (-q * u[0] + p * u[1]) / det] }
    let alpha = solve(yTrain)
    var mse = 0.0
    for kernel in ["nngp", "ntk"] {
      let mean = try Self.npy(dir, "fig-p.\(kernel).mean.npy"), variance = try Self.npy(dir, "fig-p.\(kernel).variance.npy")
      #expect(mean.shape == [2, 1] && variance.shape == [2])
      mse = 0
      for (i, x) in test.enumerated() {
        let ktd = [k(x, train[0]), k(x, train[1])]
        let m = ktd[0] * alpha[0] + ktd[1] * alpha[1]
        let s = solve(ktd)
        close(mean.values[i], m, 1e-12, "\(kernel) mean \(i)")
        close(variance.values[i], k(x, x) - (ktd[0] * s[0] + ktd[1] * s[1]), 1e-12, "\(kernel) variance \(i)")
        mse += (m - yTest[i]) * (m - yTest[i]) / 2
      }
    }
    let table = try #require((try Self.json(dir, "fig-p"))["table"] as? [String: Any])
    let rows = try #require(table["rows"] as? [[Any]])
    #expect(rows.map { $0[0] as? String } == ["nngp", "ntk"])
    for row in rows { close(try #require(row[1] as? Double), mse, 1e-12, "MSE at t = ∞") }
    let series = try #require((try Self.json(dir, "fig-p"))["series"] as? [[String: Any]])
    let atZero = try #require(series.first?["y"] as? [Double]).first
    close(try #require(atZero), (yTest[0] * yTest[0] + yTest[1] * yTest[1]) / 2, 1e-15, "MSE at t = 0 (mean 0)")
  }

  /// `fit` on three points of a linear network: every heat-map cell is log N(y; 0, K + σ²I) with
  /// K = w²XXᵀ/d + b² computed here (a 3 × 3 Cholesky in the test), the optimum is the largest cell
  /// and reads as an inline value.
  @Test func fitCellsAreTheGaussianLikelihood() throws {
    let x: [[Double]] = [[1.0, 0.5], [-0.3, 1.2], [0.4, -0.7]], y = [0.9, -0.4, 0.3]
    let csvText = "x0,x1,y\n" + zip(x, y).map { "\($0[0]),\($0[1]),\($1)" }.joined(separator: "\n") + "\n"
    let report = """
      # P

      The optimum is at w_std = {val}`fig-f.table[optimum, w_std]:.3f`.

      ```{kernel} fit
      :label: fig-f
      :alt: f
      :inputs: data/x.csv(columns=[x0, x1])
      :targets: y
      :network: [dense]
      :w_std: linspace(0.2, 2, 10)
      :b_std: [0, 0.5, 1]
      :noise: 0.05

      Likelihood.
      ```
      """
    let dir = try Self.build(report, files: ["data/x.csv": csvText])
    defer { try? FileManager.default.removeItem(at: dir) }
    func lml(_ w: Double, _ b: Double) -> Double {
      var a = (0..<3).map { i in (0..<3).map { j in w * w * (x[i][0] * x[j][0] + x[i][1] * x[j][1]) / 2 + b * b + (i == j ? 0.05 : 0) } }
      // Cholesky in place, then forward substitution
      for j in 0..<3 {
        for kk in 0..<j { a[j][j] -= a[j][kk] * a[j][kk] }
        a[j][j] = a[j][j].squareRoot()
        for i in (j + 1)..<3 {
          for kk in 0..<j { a[i][j] -= a[i][kk] * a[j][kk] }
          a[i][j] /= a[j][j]
        }
      }
      var z = y
      for i in 0..<3 {
        for kk in 0..<i { z[i] -= a[i][kk] * z[kk] }
        z[i] /= a[i][i]
      }
      let logDet = 2 * (0..<3).reduce(0) { $0 + log(a[$1][$1]) }
      return -0.5 * z.reduce(0) { $0 + $1 * $1 } - 0.5 * logDet - 1.5 * log(2 * Double.pi)
    }
    let json = try Self.json(dir, "fig-f")
    let grid = try #require(json["grid"] as? [String: Any])
    let ws = try #require(grid["x"] as? [Double]), bs = try #require(grid["y"] as? [Double])
    let values = try #require(grid["values"] as? [[Double]])
    #expect(ws.count == 10 && bs == [0, 0.5, 1])
    var best = (-Double.infinity, 0.0, 0.0)
    for (j, b) in bs.enumerated() {
      for (i, w) in ws.enumerated() {
        close(values[j][i], lml(w, b), 1e-12, "cell w=\(w) b=\(b)")
        if lml(w, b) > best.0 { best = (lml(w, b), w, b) }
      }
    }
    let rows = try #require((json["table"] as? [String: Any])?["rows"] as? [[Any]])
    #expect(rows[0][0] as? String == "optimum")
    close(try #require(rows[0][1] as? Double), best.1, 1e-15, "optimum w_std")
    close(try #require(rows[0][2] as? Double), best.2, 1e-15, "optimum b_std")
    close(try #require(rows[0][4] as? Double), best.0, 1e-12, "optimum likelihood")
    let page = try String(contentsOf: dir.appendingPathComponent("_site/p/index.html"), encoding: .utf8)
    #expect(page.contains("The optimum is at w_std = <span class=\"value\">\(String(format: "%.3f", best.1))</span>"))
  }

  /// `regression` on a file's inputs with `targets`: a network whose kernel is the constant 1
  /// (dense(w_std=0, b_std=1)) predicts n·c/(n + nℓ) = c/(1 + ℓ) for a constant target c under
  /// ridge ℓ from the mirrored start (f₀ = 0), whatever the random split, so every test MSE is
  /// (cℓ/(1 + ℓ))²: the CSV column c = 0.7, and one-hot labels of a single class (c = 1).
  @Test func regressionOnInputsWithTargets() throws {
    let rows = (0..<30).map { i in "\(sin(Double(i))),\(cos(0.3 * Double(i))),0.7,a" }
    let csv = "x0,x1,y,label\n" + rows.joined(separator: "\n") + "\n"
    func directive(_ label: String, _ targets: String) -> String {
      """
      ```{kernel} regression
      :label: \(label)
      :alt: r
      :inputs: data/x.csv(columns=[x0, x1], labels=label)
      :targets: \(targets)
      :network: [dense(w_std=0, b_std=1)]
      :initializations: [mirrored]
      :noise: 0
      :sizes: [5, 10, 20]
      :test_points: 10
      :repetitions: 2
      :ridges: [0.25]

      R.
      ```

      """
    }
    let dir = try Self.build(
      "# P\n\nSee @fig-c and @fig-l.\n\n" + directive("fig-c", "y") + directive("fig-l", "labels"), files: ["data/x.csv": csv])
    defer { try? FileManager.default.removeItem(at: dir) }
    for (label, c) in [("fig-c", 0.7), ("fig-l", 1.0)] {
      let series = try #require((try Self.json(dir, label))["series"] as? [[String: Any]])
      let y = try #require(series.first?["y"] as? [Double])
      #expect(y.count == 3)
      for v in y { close(v, pow(c * 0.25 / 1.25, 2), 1e-12, "\(label) test MSE") }
    }
  }

  static func errors(_ kind: String, _ body: String, files: [String: [UInt8]] = [:]) throws -> [String]? {
    var all = files
    all["e.md"] = Array("```{kernel} \(kind)\n:label: fig-e\n:alt: e\n\(body)\n```\n\nSee @fig-e.\n".utf8)
    return try buildErrors(all, registry: .standard)
  }

  @Test func problemsAreErrorsAtTheirPositions() throws {
    #expect(
      try Self.errors("predict", ":metric: accuracy") == [
        "e.md:4:10: error: ':metric: accuracy' compares the argmax of one-hot classes: it needs ':targets: labels'"
      ])
    #expect(
      try Self.errors("predict", ":targets: labels") == [
        "e.md:4:11: error: the target 'labels' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN); these inputs have none"
      ])
    #expect(
      try Self.errors("predict", ":sizes: [10, 20]") == [
        "e.md:4:9: error: against training time one training set size is used; several sizes need ':against: size'"
      ])
    #expect(
      try Self.errors("predict", ":inputs: gaussian(n=30, d=3)\n:test_points: 30") == [
        "e.md:5:15: error: test_points = 30 leaves none of the 30 inputs to train on"
      ])
    #expect(
      try Self.errors("predict", ":inputs: gaussian(n=30, d=3)\n:test_points: 10\n:against: size\n:sizes: [10, 25]") == [
        "e.md:7:9: error: a training set of 25 points was asked for; the inputs leave 20 to draw from"
      ])
    let csv = Array("a,b,y\n1,2,3\n4,5,6\n".utf8)
    #expect(
      try Self.errors("predict", ":inputs: d.csv\n:targets: y\n:test_points: 1", files: ["d.csv": csv]) == [
        "e.md:5:11: error: the target column 'y' would also be read as an input: list the input columns, as in file.csv(columns=[x0, x1])"
      ])
    #expect(
      try Self.errors("predict", ":inputs: d.csv(columns=[a, b])\n:targets: z\n:test_points: 1", files: ["d.csv": csv]) == [
        "e.md:4:10: error: option 'inputs': targets: d.csv: line 1, column 1: the header has no column 'z'; it has 'a', 'b', 'y'"
      ])
    #expect(
      try Self.errors("fit", ":w_std: [1, 2]\n:b_std: [0, 1]\n:noise: [0.1, 0.2]") == [
        "e.md:6:9: error: w_std, b_std and noise all have several points; a heat map has two axes: give one of them a single value"
      ])
    #expect(
      try Self.errors("fit", ":w_std: [1, 2, 5]") == [
        "e.md:4:9: error: the heat map draws evenly spaced or geometric grids (linspace, logspace or equal steps); these points are neither"
      ])
    #expect(
      try Self.errors("fit", ":inputs: gaussian(n=10, d=2)\n:noise: 0\n:w_std: [0]\n:b_std: [0]")?.first?.contains(
        "at w_std = 0.0, b_std = 0.0, noise = 0.0 the NNGP Gram matrix is not positive definite") == true)
  }

  @Test func regressionOnInputsErrors() throws {
    #expect(
      try Self.errors("regression", ":inputs: gaussian(n=30, d=3)\n:dimension: 3\n:sizes: [10]\n:test_points: 10") == [
        "e.md:4:10: error: 'inputs' replaces 'dimension'; give one of them"
      ])
    #expect(
      try Self.errors("regression", ":target: step\n:targets: smooth") == [
        "e.md:5:11: error: 'targets' replaces 'target'; give one of them"
      ])
    #expect(try Self.errors("regression", ":targets: labels") == ["e.md:4:11: error: the target 'labels' needs ':inputs:' with labels"])
    #expect(
      try Self.errors("regression", ":inputs: gaussian(n=30, d=3)\n:sizes: [25]\n:test_points: 10") == [
        "e.md:5:9: error: n = 25 training and test_points = 10 test inputs need 35 inputs; there are 30"
      ])
  }

  /// Layers after a `flatten` see one number per pair, not every position: gram, predict and fit
  /// of [flatten, MLP] on 8×8 images are estimated as the MLP on 64-dimensional vectors (one layer
  /// more: the flatten), not 64 × 9 times that.
  @Test(arguments: ["gram", "predict", "fit"]) func flattenFirstIsEstimatedAsVectors(_ kind: String) throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flatten-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir.appendingPathComponent("reports"), withIntermediateDirectories: true)
    func directive(_ label: String, _ inputs: String, _ network: String) -> String {
      "```{kernel} \(kind)\n:label: \(label)\n:alt: g\n:inputs: \(inputs)\n:network: \(network)\n\nG.\n```\n\n"
    }
    let report =
      "# G\n\n" + directive("fig-img", "images(n=400, height=8, width=8)", "[flatten, dense(w_std=1.5), relu, dense]")
      + directive("fig-vec", "gaussian(n=400, d=64)", "[dense(w_std=1.5), relu, dense]")
    try Data(report.utf8).write(to: dir.appendingPathComponent("reports/r.md"))
    let config = BuildConfiguration(
      reports: dir.appendingPathComponent("reports"), output: dir.appendingPathComponent("_site"),
      templates: packageRoot.appendingPathComponent("templates"), cache: dir.appendingPathComponent(".skelcache/results"))
    let units = try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).workPlan().units
    let image = try #require(units.first { $0.label == "fig-img" }), vector = try #require(units.first { $0.label == "fig-vec" })
    #expect(image.seconds / vector.seconds > 0.9 && image.seconds / vector.seconds < 1.5, "\(image) vs \(vector)")
  }
}
