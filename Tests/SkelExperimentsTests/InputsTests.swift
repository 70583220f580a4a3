import Foundation
import SkelDocument
import SkelExperiments
import SkelKernels
import SkelTestSupport
import Testing

/// The `inputs` option: what each spelling means, its errors at their columns, the laws of the
/// generated inputs (Monte Carlo, 5 standard errors), normalization (closed forms), files and
/// Fashion-MNIST subsets, and nngp/ntk on pairs with unequal norms against the arc-cosine kernel.
@Suite struct InputsOptionTests {
  /// The problems of a one-directive report, as `line:column: message`.
  static func problems(_ kind: String, _ options: String) -> [String] {
    let source = SourceFile(path: "c.md", text: "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n")
    let (doc, _) = DocumentParser.parse(source, name: "c")
    let (resolved, problems) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    var all = problems
    if let resolved, let kind = ExperimentRegistry.standard.kinds[kind] { all += kind.configure(resolved, directive: doc.directives[0]).1 }
    return all.map { "\($0.location.line):\($0.location.column): \($0.message)" }
  }

  /// The validated options, or a test failure naming the problems (never a crash).
  static func checked(_ kind: String, _ options: String) throws -> ResolvedOptions {
    let source = SourceFile(path: "c.md", text: "```{kernel} \(kind)\n\(options)\n\nCaption.\n```\n")
    let (doc, _) = DocumentParser.parse(source, name: "c")
    let (o, problems) = DirectiveValidator.validate(doc.directives[0], schemas: ExperimentRegistry.standard.schemas)
    return try #require(o, "\(problems.map(\.message))")
  }

  static func value(_ text: String) throws -> InputsValue {
    let o = try checked("nngp", ":inputs: \(text)")
    let typed = try #require(o.values["inputs"])
    return try #require(InputsValue(typed: typed))
  }

  static func batch(_ text: String, seed: UInt64 = 7, files: InputFiles = InputFiles()) throws -> InputBatch {
    guard case .batch(let b) = try value(text).inputs(seed: seed, files: files) else { throw ExperimentError("not a batch") }
    return b
  }

  @Test func spellingsAndTheirMeaning() throws {
    #expect(try Self.value("pairs(rho=[0, 0.5], q=2)").source == .pairs(rho: [0, 0.5], q1: 2, q2: 2))
    #expect(try Self.value("pairs(rho=[0.5], q1=0.5, q2=3)").source == .pairs(rho: [0.5], q1: 0.5, q2: 3))
    #expect(try Self.value("pairs(rho=[0.5], q=4, q2=3)").source == .pairs(rho: [0.5], q1: 4, q2: 3))
    #expect(try Self.value("gaussian(100, 3)") == InputsValue(.generated(law: .gaussian, n: 100, d: 3)))
    #expect(try Self.value("sphere(n=10, d=4, normalize=center)") == InputsValue(.generated(law: .sphere, n: 10, d: 4), normalize: .center))
    #expect(try Self.value("images(5, 8, 6)").source == .images(n: 5, height: 8, width: 6, channels: 1))
    #expect(try Self.value("data/points.csv").source == .csv(path: "data/points.csv", columns: nil, labels: nil))
    #expect(
      try Self.value("data/points.csv(labels=y, columns=[a, b])").source == .csv(path: "data/points.csv", columns: ["a", "b"], labels: "y"))
    #expect(try Self.value("npy(x.npy, normalize=sphere)") == InputsValue(.npy(path: "x.npy"), normalize: .sphere))
    let fm = try Self.value("fashion-mnist(n=30, classes=[0, 7, 9], split=test)")
    #expect(fm.source == .fashionMNIST(n: 30, classes: [0, 7, 9], split: "test", seed: nil))
    #expect(
      fm.files.map(\.path) == [
        "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
      ])
    // one value, one canonical text, whatever the spelling
    let a = try Self.checked("nngp", ":inputs: pairs(rho=linspace(0, 1, 3), q=1)")
    let b = try Self.checked("nngp", ":inputs: pairs(q1=1, rho=[0, 0.5, 1], q2=1)")
    #expect(a.values["inputs"]?.canonical == b.values["inputs"]?.canonical)
    for text in [
      "pairs(rho=[0, 0.5], q1=0.5, q2=3)", "cube(n=3, d=2)", "fashion-mnist(n=30, classes=[1, 2], split=test, seed=4, normalize=sphere)",
    ] {
      let v = try Self.value(text)
      #expect(try Self.value(v.spelling) == v, "\(text) spelt \(v.spelling)")
    }
  }

  @Test func errorsAtTheirColumns() {
    #expect(Self.problems("nngp", ":inputs: pairs(rho=[2])") == ["2:20: option 'inputs' parameter 'rho' has a point 2.0 outside [-1, 1]"])
    #expect(Self.problems("nngp", ":inputs: gaussian(n=10)") == ["2:10: option 'inputs': gaussian needs parameter 'd'"])
    #expect(
      Self.problems("nngp", ":inputs: gaussian(n=10, d=3, k=2)") == [
        "2:30: option 'inputs': gaussian has no parameter 'k'; it takes n, d, normalize"
      ])
    #expect(
      Self.problems("nngp", ":inputs: wavelets(3)") == [
        "2:10: option 'inputs': unknown inputs 'wavelets'; expected one of circle, csv, cube, fashion-mnist, gaussian, images, npy, pairs, sphere or a .csv/.npy path"
      ])
    #expect(
      Self.problems("nngp", ":inputs: /etc/passwd.csv") == [
        "2:10: option 'inputs': '/etc/passwd.csv' is an absolute path; write a path relative to the report"
      ])
    #expect(
      Self.problems("nngp", ":inputs: points.txt") == [
        "2:10: option 'inputs' expects inputs such as pairs(rho=linspace(-1, 1, 201), q=1), gaussian(n=200, d=10), data/points.csv or fashion-mnist(n=300), got 'points.txt' (a path must end in .csv or .npy)"
      ])
    #expect(
      Self.problems("nngp", ":inputs: fashion-mnist(n=5000, classes=[3, 4], split=test)") == [
        "2:26: option 'inputs': n = 5000 but the test split has 2000 images of these classes"
      ])
    #expect(Self.problems("nngp", ":inputs: fashion-mnist(n=50, classes=[3, 3])") == ["2:38: option 'inputs': a class is listed twice"])
    #expect(
      Self.problems("nngp", ":inputs: gaussian(n=2000000, d=3)") == [
        "2:21: option 'inputs' parameter 'n' must be an integer in [1, 1000000], got 2000000"
      ])
    #expect(
      Self.problems("nngp", ":inputs: pairs(rho=[0], normalize=center)") == [
        "2:35: option 'inputs': normalize=center is not defined for pairs (a centred pair is x and −x); use none or sphere"
      ])
    #expect(
      Self.problems("nngp", ":inputs: data/p.csv(labels=y, colour=red)") == [
        "2:31: option 'inputs': csv has no parameter 'colour'; it takes path, columns, labels, normalize"
      ])
    #expect(
      Self.problems("ntk", ":inputs: gaussian(n=10, d=3)") == [
        "2:10: ntk takes inputs: pairs(rho=GRID, q=Q) (the kernel at correlations ρ)"
      ])
    #expect(Self.problems("ntk", ":q: 2\n:inputs: pairs(rho=[0])") == ["3:10: 'inputs' replaces 'q'; give one of them"])
  }
}

@Suite struct InputsValueTests {
  static func batch(_ text: String, seed: UInt64 = 7, files: InputFiles = InputFiles()) throws -> InputBatch {
    try InputsOptionTests.batch(text, seed: seed, files: files)
  }

  /// Sample mean of `f` over the rows and its 5-standard-error tolerance.
  static func mean(_ xs: [Double]) -> (mean: Double, tol: Double) {
    let n = Double(xs.count), m = xs.reduce(0, +) / n
    let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
    return (m, 5 * (v / n).squareRoot())
  }

  static func expectMean(_ xs: [Double], _ expected: Double, _ what: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let (m, tol) = mean(xs)
    #expect(abs(m - expected) <= tol, "\(what): \(m) vs \(expected) ± \(tol)", sourceLocation: sourceLocation)
  }

  @Test func gaussianCubeSphereCircleImagesLaws() throws {
    let g = try Self.batch("gaussian(n=4000, d=5)")
    #expect(g.count == 4000 && g.size == 5 && g.storage.count == 20_000)
    Self.expectMean(g.storage, 0, "gaussian mean")
    Self.expectMean(g.storage.map { $0 * $0 }, 1, "gaussian E x²")
    Self.expectMean(g.storage.map { $0 * $0 * $0 * $0 }, 3, "gaussian E x⁴")
    let c = try Self.batch("cube(n=4000, d=3)")
    #expect(c.storage.allSatisfy { abs($0) <= 1 })
    Self.expectMean(c.storage, 0, "cube mean")
    Self.expectMean(c.storage.map { $0 * $0 }, 1.0 / 3, "cube E x²")
    let s = try Self.batch("sphere(n=20000, d=7)")
    for i in 0..<s.count { expectClose(s.row(i).reduce(0) { $0 + $1 * $1 }, 7, relative: 1e-13, "‖x‖² = d") }
    let first = (0..<s.count).map { s.storage[$0 * 7] }
    Self.expectMean(first, 0, "sphere mean")
    Self.expectMean(first.map { $0 * $0 * $0 * $0 }, 3.0 * 7 / 9, "sphere E x₁⁴ = 3d/(d+2)")
    let circle = try Self.batch("circle(3000)")
    for i in 0..<circle.count { expectClose(circle.row(i).reduce(0) { $0 + $1 * $1 }, 1, relative: 1e-14, "on the circle") }
    let cosines = (0..<circle.count).map { circle.storage[2 * $0] }
    Self.expectMean(cosines, 0, "E cos θ")
    Self.expectMean(cosines.map { $0 * $0 }, 0.5, "E cos² θ")
    let im = try Self.batch("images(n=40, height=6, width=5, channels=3)")
    #expect(im.shape.spatial == [6, 5] && im.shape.channels == 3 && im.storage.count == 40 * 90)
    Self.expectMean(im.storage.map { $0 * $0 }, 1, "pixel variance")
  }

  @Test func seededFromTheDirectiveSeed() throws {
    #expect(try Self.batch("gaussian(n=5, d=2)", seed: 3) == Self.batch("gaussian(n=5, d=2)", seed: 3))
    #expect(try Self.batch("gaussian(n=5, d=2)", seed: 3) != Self.batch("gaussian(n=5, d=2)", seed: 4))
  }

  @Test func normalizeModes() throws {
    let files = InputFiles(["p.csv": Array("a,b,name\n3,4,u\n1,2,v\n-1,0,w\n".utf8)])
    let raw = try Self.batch("p.csv(labels=name)", files: files)
    #expect(raw.storage == [3, 4, 1, 2, -1, 0] && raw.labels == ["u", "v", "w"])
    let centred = try Self.batch("csv(p.csv, labels=name, normalize=center)", files: files)
    #expect(centred.storage == [2, 2, 0, 0, -2, -2], "a = [3, 1, −1] − 1, b = [4, 2, 0] − 2")
    let sphere = try Self.batch("csv(p.csv, columns=[a, b], normalize=sphere)", files: files)
    let r2 = 2.0.squareRoot()
    let r4 = 0.4.squareRoot()
    expectClose(sphere.storage, [3 * r2 / 5, 4 * r2 / 5, r4, 2 * r4, -r2, 0], relative: 1e-15, absolute: 1e-15, "rows × √(d/‖x‖²)")
    let zero = InputFiles(["z.csv": Array("a,b\n0,0\n1,1\n".utf8)])
    #expect {
      try Self.batch("csv(z.csv, normalize=sphere)", files: zero)
    } throws: {
      ($0 as? ExperimentError)?.message == "input 1 is zero; normalize=sphere cannot scale it to ‖x‖² = d"
    }
    let g = try Self.batch("gaussian(n=50, d=4, normalize=center)")
    for j in 0..<4 { #expect(abs((0..<50).reduce(0) { $0 + g.storage[$1 * 4 + j] }) < 1e-12, "column \(j) has mean 0") }
    guard
      case .pairs(_, let q1, let q2) = try InputsOptionTests.value("pairs(rho=[0.5], q1=3, q2=5, normalize=sphere)").inputs(
        seed: 1, files: InputFiles())
    else {
      Issue.record("not pairs")
      return
    }
    #expect(q1 == 1 && q2 == 1)
  }

  @Test func aBadFileNamesItsPosition() {
    let files = InputFiles(["p.csv": Array("a,b\n1,2\n3\n".utf8)])
    #expect {
      try Self.batch("p.csv", files: files)
    } throws: {
      ($0 as? ExperimentError)?.message == "p.csv: line 3, column 2: row has 1 fields; the header has 2"
    }
  }

  /// A class-stratified subset of Debian's test split: 10 of each class, in class order, each
  /// the file's own image scaled to [0, 1]; another seed draws another subset.
  @Test func fashionMNISTSubset() throws {
    let v = try InputsOptionTests.value("fashion-mnist(n=31, classes=[7, 0, 9], split=test)")
    var files = InputFiles()
    for f in v.files {
      guard let data = FileManager.default.contents(atPath: f.path) else {
        Issue.record("dataset-fashion-mnist is not installed (make test installs it)")
        return
      }
      files.bytes[f.path] = Array(data)
    }
    guard case .batch(let b) = try v.inputs(seed: 11, files: files), case .batch(let other) = try v.inputs(seed: 12, files: files) else {
      Issue.record("not a batch")
      return
    }
    #expect(b.count == 31 && b.shape.spatial == [28, 28] && b.shape.channels == 1)
    #expect(b.labels == Array(repeating: "7", count: 11) + Array(repeating: "0", count: 10) + Array(repeating: "9", count: 10))
    #expect(b.storage.allSatisfy { $0 >= 0 && $0 <= 1 } && b.storage.contains { $0 > 0.5 })
    #expect(b.storage.allSatisfy { ($0 * 255).rounded() == $0 * 255 }, "pixels are bytes / 255")
    #expect(b != other)
    #expect(try v.inputs(seed: 11, files: files) == .batch(b))
  }
}

/// nngp and ntk on pairs of unequal norms against the arc-cosine kernel of degree 1 (Cho and
/// Saul), one hidden ReLU layer in NT's 'ntk' parameterization, written out here.
@Suite struct UnequalNormTests {
  static func reference(rho: Double, q1: Double, q2: Double, w: Double, b: Double, wOut: Double) -> (nngp: Double, ntk: Double) {
    let k11 = w * w * q1 + b * b, k22 = w * w * q2 + b * b, k12 = w * w * rho * (q1 * q2).squareRoot() + b * b
    let theta = acos(max(-1, min(1, k12 / (k11 * k22).squareRoot())))
    let relu = (k11 * k22).squareRoot() / (2 * Double.pi) * (sin(theta) + (Double.pi - theta) * cos(theta))
    let derivative = (Double.pi - theta) / (2 * Double.pi)
    let nngp = wOut * wOut * relu + b * b
    return (nngp, wOut * wOut * k12 * derivative + nngp)
  }

  @Test(arguments: ["nngp", "ntk"]) func oneHiddenLayer(kind: String) throws {
    let rho = [-0.7, 0, 0.4, 0.95, 1]
    let options = ":depths: [1]\n:w_std: 1.5\n:b_std: 0.3\n:w_std_out: 1.2\n:inputs: pairs(rho=[-0.7, 0, 0.4, 0.95, 1], q1=0.5, q2=2)"
    let r = try ExperimentRegistry.standard.kinds[kind]!.run(try InputsOptionTests.checked(kind, options), context: RunContext(seed: 1))
    let expected = rho.map { Self.reference(rho: $0, q1: 0.5, q2: 2, w: 1.5, b: 0.3, wOut: 1.2) }.map { kind == "ntk" ? $0.ntk : $0.nngp }
    #expect(r.series[0].x == rho)
    expectClose(r.series[0].y, expected, relative: 1e-12, absolute: 1e-14)
  }

  /// `inputs: pairs(rho, q)` is today's `rho` and `q`: the same numbers.
  @Test func pairsAtOneNormAreTodaysOptions() throws {
    let k = ExperimentRegistry.standard.kinds["ntk"]!
    let a = try k.run(try InputsOptionTests.checked("ntk", ":depths: [1, 3]\n:rho: [0, 0.5]\n:q: 2"), context: RunContext(seed: 1))
    let b = try k.run(
      try InputsOptionTests.checked("ntk", ":depths: [1, 3]\n:inputs: pairs(rho=[0, 0.5], q=2)"), context: RunContext(seed: 1))
    #expect(a.series.map(\.y) == b.series.map(\.y))
  }
}
