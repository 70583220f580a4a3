import SkelExperiments
import SkelKernels
import SkelTestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 16 at the kind level: what a page prints.
@Suite struct ScienceKindTests {
  /// F2: the ReLU table at the edge (2, 0) and off it says c* = 1, not "c* undefined".
  @Test(arguments: ["2", "1.5"])
  func reluMeanFieldTable(w: String) throws {
    let r = try run("fixed-point", ":activation: relu\n:mode: mean-field\n:sigma_w2: \(w)\n:sigma_b2: 0\n:starts: [0.5]\n:depth: 3")
    let row = try #require(r.table?.rows.first)
    #expect(row[2] == "1" && row[4] == "1" && row[5] == "inf", "\(row)")
    #expect(!row[7].contains("undefined"))
    // the map is the normalized arc-cosine dual whatever σ_w²: 𝒞(0.5) = (√0.75 + (π − π/3)/2)/π
    expectClose(r.series[0].y[1], (0.75.squareRoot() + Double.pi / 3) / Double.pi, absolute: 1e-14)
  }

  /// F3: tanh's fixed points once each, ρ* = 0 printed as 0.
  @Test func tanhFixedPointTable() throws {
    let r = try run("fixed-point", ":activation: tanh\n:starts: [0.5]\n:depth: 2")
    #expect(r.table?.rows.map { $0[0] } == ["-1", "0", "1"])
  }

  /// F4: `method: hermite` duals reach σ̂(±1) (step 0.9716 and sign 0.9432 before) and agree with
  /// the arc-sine forms inside to the stated bound (≤ 1.2e-3 at ρ = 0.9 for 80 terms).
  @Test func hermiteDualsEndAtOne() throws {
    let r = try run("dual", ":activations: [step, sign]\n:rho: [-1, -0.5, 0.5, 0.9, 1]\n:method: hermite")
    let rho = [-1, -0.5, 0.5, 0.9, 1.0]
    let exact: [[Double]] = [rho.map { 0.5 + asin($0) / Double.pi }, rho.map { 2 * asin($0) / Double.pi }]
    for s in 0..<2 {
      expectClose(r.series[s].y[0], exact[s][0], absolute: 1e-10, "\(r.series[s].name) at −1")
      expectClose(r.series[s].y[4], 1, absolute: 1e-10, "\(r.series[s].name) at 1")
      expectClose(r.series[s].y, exact[s], absolute: 2e-3, r.series[s].name)
    }
  }

  /// Claim 7: the colored spectrum's "outside" fraction counts the planted directions, not the bulk.
  @Test func rainbowOutsideFraction() throws {
    let r = try run("rainbow", ":mode: spectrum\n:atoms: 1024\n:dimension: 128\n:rank: 4\n:networks: 4")
    let table = try #require(r.table)
    #expect(table.columns[1] == "fraction outside the MP bulk (±2 %)")
    let colored = try #require(Double(table.rows[0][1].replacingOccurrences(of: "%", with: "")))
    // 4 of 128 eigenvalues are the planted ones: 3.1 %; a few bulk ones may sit past the margins
    #expect(colored >= 3.1 && colored <= 6, "\(colored) %")
  }

  /// Claim 3: the concentration error bars are bootstrap standard errors, wider than
  /// std/√(2(n−1)) where k_w is heavy-tailed (depth 5, r = 16).
  @Test func concentrationBootstrapBars() throws {
    let r = try run("concentration", ":depths: [5]\n:widths: [16, 256]\n:seeds: 40")
    let s = r.series[0]
    let errors = try #require(s.yerr)
    #expect(errors.allSatisfy { $0 > 0 })
    #expect(
      errors[0] > s.y[0] / (2 * 39.0).squareRoot(), "heavy tail: bootstrap bar \(errors[0]) vs normal \(s.y[0] / (78.0).squareRoot())")
  }
}
