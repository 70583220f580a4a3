import Foundation
import SkelDocument
import SkelExperiments
import SkelMath
import Testing

/// `spectrum` with `inputs` (issue 19): eigenvalues of the NTK/NNGP Gram matrices of a file's
/// inputs against the arc-cosine Gram matrix computed here (LAPACK on both), and the tail sums of
/// the labels (T₁ = 1 exactly for one-hot labels, non-increasing).
@Suite struct SpectrumDataTests {
  /// 50 points in 2 dimensions with labels p/q/r.
  static let rows: [(x: [Double], label: String)] = (0..<50).map { i in
    let t = Double(i)
    return ([cos(0.9 * t) + 0.05 * t, sin(1.7 * t + 0.3)], ["p", "q", "r"][(i * 7) % 3])
  }
  static let csv = Array(("a,b,y\n" + rows.map { "\($0.x[0]),\($0.x[1]),\($0.label)" }.joined(separator: "\n") + "\n").utf8)

  /// The NNGP and NTK of [dense(w, b), relu, dense(wOut, b)] between two inputs (Cho & Saul's
  /// arc-cosine kernel; NT 'ntk' parameterization).
  static func kernel(_ x: [Double], _ y: [Double], w: Double, b: Double, wOut: Double) -> (Double, Double) {
    let d = Double(x.count)
    func dot(_ u: [Double], _ v: [Double]) -> Double { zip(u, v).reduce(0) { $0 + $1.0 * $1.1 } / d }
    let sxy = w * w * dot(x, y) + b * b, sxx = w * w * dot(x, x) + b * b, syy = w * w * dot(y, y) + b * b
    let c = x == y ? 1 : max(-1, min(1, sxy / (sxx * syy).squareRoot())), angle = acos(c)
    let k = (sxx * syy).squareRoot() / (2 * Double.pi) * (sin(angle) + (Double.pi - angle) * c)
    let nngp = wOut * wOut * k + b * b
    return (nngp, nngp + wOut * wOut * (Double.pi - angle) / (2 * Double.pi) * sxy)
  }

  func run(_ options: String) throws -> ExperimentResult {
    let o = resolved("spectrum", options)
    var context = RunContext(seed: 5)
    context.files = InputFiles(["p.csv": Self.csv])
    return try #require(ExperimentRegistry.standard.kinds["spectrum"]).run(o, context: context)
  }

  @Test func eigenvaluesOfAFilesInputsAreTheArcCosineGramsEigenvalues() throws {
    let r = try run(":inputs: p.csv(columns=[a, b])\n:kernels: [ntk, nngp]\n:fit: [2, 20]")
    #expect(r.series.map(\.name) == ["ntk", "nngp"])
    let n = Self.rows.count, w = 2.0.squareRoot(), b = 1.0, wOut = 2.0.squareRoot()  // the shorthand's defaults
    var nngp = Matrix(rows: n, columns: n), ntk = Matrix(rows: n, columns: n)
    for i in 0..<n {
      for j in 0..<n { (nngp[i, j], ntk[i, j]) = Self.kernel(Self.rows[i].x, Self.rows[j].x, w: w, b: b, wOut: wOut) }
    }
    for (s, m) in zip(r.series, [ntk, nngp]) {
      let want = try m.symmetricEigenvalues().reversed().map { $0 / Double(n) }
      #expect(s.y.count == n)
      let top = want[0]
      let worst = zip(s.y, want).map { abs($0 - $1) / top }.max() ?? 1
      #expect(worst < 1e-12, "\(s.name): worst difference \(worst) of λ₁")
    }
  }

  @Test func tailSumsOfTheLabels() throws {
    let r = try run(":quantity: tail_sums\n:inputs: p.csv(labels=y)\n:targets: [labels]\n:fit: [2, 20]")
    let t = try #require(r.series.first).y
    #expect(r.series.map(\.name) == ["labels"] && t.count == 50)
    #expect(abs(t[0] - 1) < 1e-12, "T₁ = \(t[0])")
    #expect(zip(t, t.dropFirst()).allSatisfy { $0 >= $1 - 1e-15 })
  }
}
