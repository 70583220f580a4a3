import Foundation
import SkelBuild
import SkelCairo
import SkelData
import SkelExperiments
import Testing

/// `{kernel} gram` (directives.md, "Kinds on data"): the Gram matrices of a network on a file's
/// inputs against the arc-cosine recursion computed here, the `.npy` file read back by SkelData's
/// reader, the sort order and class boundaries in the JSON, and positioned errors.
@Suite struct GramKindTests {
  /// 40 points in 3 dimensions (≥ 32, so the ReLU MLP takes FastMLPKernel's fused path), labels
  /// b, a, c in turn (so sorting by class reorders them), first coordinates not sorted.
  static let points: [(x: [Double], label: String)] = (0..<40).map { i in
    let t = Double(i)
    return ([sin(1.3 * t + 0.2) * 2, cos(0.7 * t) + 0.1 * t, sin(0.31 * t * t) - 0.5], ["b", "a", "c"][i % 3])
  }

  static var csv: String {
    "x0,x1,x2,y\n" + points.map { p in p.x.map { "\($0)" }.joined(separator: ",") + "," + p.label }.joined(separator: "\n") + "\n"
  }

  /// NNGP and NTK of L hidden ReLU layers [dense(w, b), relu] and a readout dense(wOut, b), NT
  /// 'ntk' parameterization, by the arc-cosine recursion (Cho & Saul; Jacot et al.), entry by entry.
  static func arcCosine(_ x: [Double], _ y: [Double], depth: Int, w: Double, b: Double, wOut: Double) -> (nngp: Double, ntk: Double) {
    let d = Double(x.count)
    func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } / d }
    var sxy = dot(x, y), sxx = dot(x, x), syy = dot(y, y), theta = 0.0
    // first dense layer
    sxy = w * w * sxy + b * b
    sxx = w * w * sxx + b * b
    syy = w * w * syy + b * b
    theta = sxy
    for layer in 0..<depth {
      // an input with itself has correlation exactly 1 (the ratio may round below it, and
      // (π − θ)/2π is not Lipschitz at θ = 0)
      let c = x == y ? 1 : max(-1, min(1, sxy / (sxx * syy).squareRoot())), angle = acos(c)
      let k = (sxx * syy).squareRoot() / (2 * Double.pi) * (sin(angle) + (Double.pi - angle) * c)
      let kdot = (Double.pi - angle) / (2 * Double.pi)
      let ww = layer == depth - 1 ? wOut : w
      let next = ww * ww * k + b * b
      theta = next + ww * ww * kdot * theta
      sxy = next
      sxx = ww * ww * sxx / 2 + b * b
      syy = ww * ww * syy / 2 + b * b
    }
    return (sxy, theta)
  }

  static func report(_ body: String) -> String {
    "---\ntitle: G\n---\n\nSee @fig-g.\n\n```{kernel} gram\n:label: fig-g\n:alt: g\n\(body)\n\nGram.\n```\n"
  }

  func build(_ body: String) throws -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gram-\(UUID().uuidString)")
    let reports = dir.appendingPathComponent("reports")
    try FileManager.default.createDirectory(at: reports.appendingPathComponent("data"), withIntermediateDirectories: true)
    try Data(Self.report(body).utf8).write(to: reports.appendingPathComponent("g.md"))
    try Data(Self.csv.utf8).write(to: reports.appendingPathComponent("data/p.csv"))
    let config = BuildConfiguration(
      reports: reports, output: dir.appendingPathComponent("_site"), templates: packageRoot.appendingPathComponent("templates"),
      cache: dir.appendingPathComponent(".skelcache/results"))
    _ = try SiteBuilder(configuration: config, registry: .standard, backend: CairoBackend()).build()
    return dir
  }

  static func npy(_ dir: URL, _ name: String) throws -> DataSet {
    try NPY.read(Array(try Data(contentsOf: dir.appendingPathComponent("_site/g/\(name)"))))
  }

  static func json(_ dir: URL) throws -> [String: Any] {
    let data = try Data(contentsOf: dir.appendingPathComponent("_site/g/fig-g.json"))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// Depth 1 and 2 ReLU MLPs, with and without bias: every entry of the NNGP and NTK `.npy`
  /// files (input order) agrees with the arc-cosine recursion to 1e-12 relative.
  @Test(arguments: [(1, 0.0), (2, 0.1)])
  func gramEntriesAreTheArcCosineKernels(_ depth: Int, _ b: Double) throws {
    let w = 2.0.squareRoot(), wOut = 1.3
    let bias = b == 0 ? "" : ", b_std=\(b)"
    let hidden = Array(repeating: "dense(w_std=\(w)\(bias)), relu", count: depth).joined(separator: ", ")
    let dir = try build(":inputs: data/p.csv(labels=y)\n:network: [\(hidden), dense(w_std=\(wOut)\(bias))]\n:kernel: [nngp, ntk]")
    defer { try? FileManager.default.removeItem(at: dir) }
    let nngp = try Self.npy(dir, "fig-g.nngp.npy"), ntk = try Self.npy(dir, "fig-g.ntk.npy")
    #expect(nngp.shape == [40, 40] && ntk.shape == [40, 40])
    var worst = 0.0, worstDiagonal = 0.0
    for i in 0..<40 {
      for j in 0..<40 {
        let want = Self.arcCosine(Self.points[i].x, Self.points[j].x, depth: depth, w: w, b: b, wOut: wOut)
        let e = max(abs(nngp.values[i * 40 + j] - want.nngp) / abs(want.nngp), abs(ntk.values[i * 40 + j] - want.ntk) / abs(want.ntk))
        if i == j { worstDiagonal = max(worstDiagonal, e) } else { worst = max(worst, e) }
      }
    }
    print("gram depth \(depth) b \(b): worst off-diagonal \(worst), diagonal \(worstDiagonal)")
    #expect(worst < 1e-12, "worst relative error \(worst)")
    #expect(worstDiagonal < 1e-12, "worst relative error on the diagonal \(worstDiagonal)")
    // the .npy is little-endian float64, version 1.0, its header padded to 64 bytes (numpy.save's layout)
    let bytes = Array(try Data(contentsOf: dir.appendingPathComponent("_site/g/fig-g.nngp.npy")))
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect(bytes[6] == 1 && (10 + headerLength) % 64 == 0 && bytes.count == 10 + headerLength + 40 * 40 * 8)
    #expect(
      String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self).hasPrefix(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (40, 40), }"))
    // the page links both files under the figure, for download
    let page = try String(contentsOf: dir.appendingPathComponent("_site/g/index.html"), encoding: .utf8)
    #expect(
      page.contains("<a href=\"fig-g.nngp.npy\" download>NNGP .npy</a>") && page.contains("<a href=\"fig-g.ntk.npy\" download>NTK .npy</a>")
    )
  }

  /// `:sort: class`: the JSON's order lists the inputs of class a, then b, then c, each in input
  /// order; the class series give the boundaries; the grid (40 ≤ 100: no averaging) is the
  /// matrix read in that order; one kernel is `<label>.npy`.
  @Test func sortByClassOrdersTheInputsAndGivesTheBoundaries() throws {
    let dir = try build(":inputs: data/p.csv(labels=y)\n:network: [dense(w_std=1.5), relu, dense]\n:sort: class")
    defer { try? FileManager.default.removeItem(at: dir) }
    let full = try Self.npy(dir, "fig-g.npy")
    let page = try String(contentsOf: dir.appendingPathComponent("_site/g/index.html"), encoding: .utf8)
    #expect(page.contains("<a href=\"fig-g.npy\" download>NPY</a>"))
    let json = try Self.json(dir)
    let series = try #require(json["series"] as? [[String: Any]])
    let order = try #require(series.first { $0["name"] as? String == "order" }?["y"] as? [Double]).map { Int($0) }
    let want = [1, 0, 2].flatMap { r in (0..<40).filter { $0 % 3 == r } }  // a = 1 mod 3, b = 0 mod 3, c = 2 mod 3
    #expect(order == want)
    let classes = series.compactMap { s -> (String, [Double])? in
      guard let n = s["name"] as? String, n.hasPrefix("class="), let x = s["x"] as? [Double] else { return nil }
      return (n, x)
    }
    #expect(classes.map(\.0) == ["class=a", "class=b", "class=c"])
    #expect(classes.map(\.1) == [[0, 13], [13, 27], [27, 40]])
    let grid = try #require(json["grid"] as? [String: Any])
    let values = try #require(grid["values"] as? [[Double]])
    #expect(values.count == 40 && values.allSatisfy { $0.count == 40 })
    // JSON numbers round-trip to the last bit or so (Foundation's parser): 1e-15 relative
    var worst = 0.0
    for a in 0..<40 { for b in 0..<40 { worst = max(worst, abs(values[a][b] / full.values[order[a] * 40 + order[b]] - 1)) } }
    #expect(worst < 1e-15, "\(worst)")
    #expect(grid["name"] as? String == "nngp" && json["grids"] == nil)
    for f in ["svg", "png", "pdf"] {
      #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("_site/g/fig-g.\(f)").path))
    }
  }

  /// `:sort: x0` orders by the first coordinate; `none` keeps input order.
  @Test func sortByFirstCoordinate() throws {
    let dir = try build(":inputs: data/p.csv(columns=[x0, x1, x2])\n:network: [dense, erf, dense]\n:sort: x0")
    defer { try? FileManager.default.removeItem(at: dir) }
    let series = try #require(try Self.json(dir)["series"] as? [[String: Any]])
    let order = try #require(series.first { $0["name"] as? String == "order" }?["y"] as? [Double]).map { Int($0) }
    #expect(order == (0..<40).sorted { Self.points[$0].x[0] < Self.points[$1].x[0] })
    #expect(series.count == 1)
  }

  static func errors(_ body: String, files: [String: [UInt8]] = [:]) throws -> [String]? {
    var all = files
    all["e.md"] = Array("```{kernel} gram\n:label: fig-e\n:alt: e\n\(body)\n```\n\nSee @fig-e.\n".utf8)
    return try buildErrors(all, registry: .standard)
  }

  /// Problems are errors at the option's value, before anything runs.
  @Test func problemsAreErrorsAtTheirPositions() throws {
    #expect(
      try Self.errors(":inputs: gaussian(n=10, d=3)\n:sort: class") == [
        "e.md:5:8: error: ':sort: class' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN); these inputs have none"
      ])
    #expect(
      try Self.errors(":inputs: pairs(rho=[0, 0.5])") == [
        "e.md:4:10: error: gram takes a batch of inputs (gaussian(n, d), a file, fashion-mnist(…), …), not pairs(…)"
      ])
    #expect(
      try Self.errors(":kernel: [ntk, ntk]") == ["e.md:4:10: error: option 'kernel' names a kernel twice; give nngp, ntk or [nngp, ntk]"])
    let conv = try #require(try Self.errors(":inputs: images(n=4, height=6, width=6)\n:network: [conv(window=3), relu]"))
    #expect(conv.count == 1 && conv[0].hasPrefix("e.md:5:11: error: the network's output on these inputs has spatial axes"), "\(conv)")
    let big = "a,b\n" + String(repeating: "1,2\n", count: GramKind.maxFileRows + 1)
    #expect(
      try Self.errors(":inputs: big.csv", files: ["big.csv": Array(big.utf8)]) == [
        "e.md:4:10: error: option 'inputs': the file has 5001 inputs; gram computes at most 5000 from a file (its cost is estimated for that many before the file is read)"
      ])
    let vectorConv = try #require(
      try Self.errors(":inputs: data.csv\n:network: [conv(window=3), flatten, dense]", files: ["data.csv": Array("a,b\n1,2\n".utf8)]))
    #expect(
      vectorConv.count == 1 && vectorConv[0].hasPrefix("e.md:4:10: error: option 'inputs': network on the file's inputs (vectors of 2)"),
      "\(vectorConv)")
  }

  /// `spectrum` with `inputs`: replacing `points`/`dimensions`, and `labels` without labels, are
  /// errors at their values.
  @Test func spectrumOnInputsErrors() throws {
    func errors(_ body: String) throws -> [String]? {
      try buildErrors(
        ["e.md": Array("```{kernel} spectrum\n:label: fig-e\n:alt: e\n\(body)\n```\n\nSee @fig-e.\n".utf8)], registry: .standard)
    }
    #expect(
      try errors(":inputs: gaussian(n=30, d=3)\n:points: 40") == ["e.md:4:10: error: 'inputs' replaces 'points'; give one of them"])
    #expect(
      try errors(":quantity: tail_sums\n:inputs: gaussian(n=30, d=3)\n:targets: [labels]\n:fit: [2, 10]") == [
        "e.md:6:11: error: the target 'labels' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN)"
      ])
  }
}
