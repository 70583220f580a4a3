import Foundation
import SkelKernels
import SkelMath
import SkelTestSupport
import Testing

/// neural-tangents 0.6.5 (float64) on small networks: `Fixtures/nt_networks.json`, written by
/// `Fixtures/nt_networks.py` (its docstring has the set-up; not run in CI). Each case's layers are
/// in the script's small JSON vocabulary, translated here to a `Network`.
struct NTNetworkFixture: Decodable, Sendable {
  struct Inputs: Decodable, Sendable {
    var shape: [Int]
    var x1: [Double]
    var x2: [Double]
  }
  struct Kernels: Decodable, Sendable {
    var nngp: [Double]
    var ntk: [Double]
  }
  struct Case: Decodable, Sendable, CustomTestStringConvertible {
    var name: String
    var inputs: String
    var network: [NTLayer]
    var gram: Kernels
    var cross: Kernels
    var testDescription: String { name }
  }
  var inputs: [String: Inputs]
  var cases: [Case]

  static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nt_networks.json")
  static let shared: NTNetworkFixture = {
    // a missing or malformed fixture fails every test that reads it, loudly
    guard let data = try? Data(contentsOf: url), let f = try? JSONDecoder().decode(NTNetworkFixture.self, from: data) else {
      return NTNetworkFixture(inputs: [:], cases: [])
    }
    return f
  }()
}

/// One layer of the fixture: `[name]` or `[name, {arguments}]`.
struct NTLayer: Decodable, Sendable {
  var name: String
  var args: [String: NTValue]

  init(from decoder: Decoder) throws {
    var c = try decoder.unkeyedContainer()
    name = try c.decode(String.self)
    args = c.isAtEnd ? [:] : try c.decode([String: NTValue].self)
  }

  func number(_ k: String, _ fallback: Double = 0) -> Double { args[k]?.number ?? fallback }
  func ints(_ k: String) -> [Int] { (args[k]?.list ?? []).map { Int($0.number ?? 0) } }

  var network: Network {
    get throws {
      let p = ParameterizationName(rawValue: args["parameterization"]?.text ?? "ntk") ?? .ntk
      let width = args["width"]?.number.map { Int($0) }
      let bStd = args["b_std"]?.number
      switch name {
      case "dense": return .dense(DenseLayer(width: width, wStd: number("w_std", 1), bStd: bStd, parameterization: p))
      case "conv":
        let padding = PaddingMode(rawValue: args["padding"]?.text ?? "same") ?? .same
        return .conv(
          ConvLayer(
            width: width, window: ints("window"), strides: ints("strides"), padding: padding, wStd: number("w_std", 1), bStd: bStd,
            parameterization: p))
      case "avg_pool", "sum_pool":
        let padding = PaddingMode(rawValue: args["padding"]?.text ?? "valid") ?? .valid
        return .pool(
          PoolLayer(mode: name == "avg_pool" ? .average : .sum, window: ints("window"), strides: ints("strides"), padding: padding))
      case "global_avg_pool": return .globalPool(.average)
      case "global_sum_pool": return .globalPool(.sum)
      case "flatten": return .flatten
      case "layer_norm": return .layerNorm
      case "dropout": return .dropout(rate: number("rate"))
      case "identity": return .identity
      case "fan_in_sum", "fan_in_concat":
        let branches = try (args["branches"]?.list ?? []).map { b in try Network.serial((b.layers ?? []).map { try $0.network }) }
        return .parallel(branches, fanIn: name == "fan_in_sum" ? .sum : .concat)
      default: return .activation(try activation)
      }
    }
  }

  var activation: Activation {
    get throws {
      switch name {
      case "relu": return .abRelu(a: 0, b: 1)
      case "leaky_relu": return .abRelu(a: number("alpha"), b: 1)
      case "ab_relu": return .abRelu(a: number("a"), b: number("b"))
      case "abs": return .abRelu(a: -1, b: 1)
      case "erf": return .erf(a: number("a"), b: number("b"), c: number("c"))
      case "gelu": return .gelu
      case "sign": return .sign
      case "exp": return .exp(a: number("a"), b: number("b"))
      case "gaussian": return .gaussian(a: number("a"), b: number("b"))
      case "sin": return .sin(a: number("a"), b: number("b"), c: number("c"))
      case "rbf": return .rbf(gamma: number("gamma"))
      case "monomial": return .monomial(degree: Int(number("k")))
      case "polynomial": return .polynomial(coefficients: (args["coef"]?.list ?? []).map { $0.number ?? 0 })
      case "gabor": return .gabor
      default: throw KernelError.invalid("unknown fixture layer \(name)")
      }
    }
  }
}

/// A JSON value of the fixture's layer arguments.
indirect enum NTValue: Decodable, Sendable {
  case number(Double)
  case text(String)
  case list([NTValue])
  case layer(NTLayer)

  init(from decoder: Decoder) throws {
    let c = try decoder.singleValueContainer()
    if let d = try? c.decode(Double.self) {
      self = .number(d)
    } else if let s = try? c.decode(String.self) {
      self = .text(s)
    } else if let l = try? c.decode(NTLayer.self) {
      self = .layer(l)
    } else {
      self = .list(try c.decode([NTValue].self))
    }
  }

  var number: Double? { if case .number(let d) = self { d } else { nil } }
  var text: String? { if case .text(let s) = self { s } else { nil } }
  var list: [NTValue]? {
    switch self {
    case .list(let l): return l
    case .layer(let l): return [.text(l.name)]
    default: return nil
    }
  }
  /// A branch: a list of layers (a one-layer branch decodes as a layer whose name is its first item).
  var layers: [NTLayer]? {
    switch self {
    case .list(let l): return l.compactMap { if case .layer(let x) = $0 { x } else { nil } }
    default: return nil
    }
  }
}

@Suite struct NetworkParityTests {
  static let cases = NTNetworkFixture.shared.cases

  @Test func fixtureIsThere() {
    #expect(Self.cases.count >= 50, "\(NTNetworkFixture.url.path) holds \(Self.cases.count) cases")
  }

  /// Every entry within 1e-12 of the largest |entry| of its matrix (NT's closed forms; no case
  /// here uses NT's quadrature), Gram and cross-Gram, NNGP and NTK — except the Gram NTK's
  /// diagonal, where NT takes arccos of a correlation that rounding puts a few ulps δ below 1:
  /// θ̂ = arccos(1 − δ) ≈ √(2δ) ≈ 3·10⁻⁸ instead of 0, and the ReLU derivative kernel
  /// 1/2 − θ/(2π) is off by θ̂/π ≈ 10⁻⁸ relative per layer (seen: ≤ 3.4·10⁻⁹). There we allow
  /// 2·10⁻⁸ relative to NT and check our exact value (θ = 0) against our own pair path instead:
  /// the self run and the cross-Gram of x with itself agree within 1e-13.
  @Test(arguments: cases)
  func matchesNeuralTangents(_ c: NTNetworkFixture.Case) throws {
    let f = NTNetworkFixture.shared
    let inputs = try #require(f.inputs[c.inputs])
    let shape = InputShape(spatial: Array(inputs.shape.dropLast()), channels: inputs.shape.last ?? 1)
    let size = inputs.shape.reduce(1, *)
    let x1 = try #require(InputBatch(shape: shape, count: inputs.x1.count / size, storage: inputs.x1))
    let x2 = try #require(InputBatch(shape: shape, count: inputs.x2.count / size, storage: inputs.x2))
    let network = Network.serial(try c.network.map { try $0.network })
    for compute in [Compute.serial, Compute(threads: 2)] {
      let gram = try network.kernel(x1, computeNTK: true, compute: compute)
      let cross = try network.kernel(x1, x2, computeNTK: true, compute: compute)
      expectMatrixClose(gram.nngp.storage, c.gram.nngp, "\(c.name) gram nngp")
      expectMatrixClose(gram.ntk?.storage ?? [], c.gram.ntk, "\(c.name) gram ntk", diagonalOf: x1.count)
      // (dropout's kernel differs on purpose between x with itself and x with a copy in another batch)
      for i in 0..<x1.count where !c.name.contains("dropout") {
        let xi = try #require(InputBatch(shape: shape, count: 1, storage: Array(inputs.x1[(i * size)..<((i + 1) * size)])))
        let same = try network.kernel(x1, xi, computeNTK: true, compute: compute)
        expectClose(same.ntk?[i, 0] ?? .nan, gram.ntk?[i, i] ?? .nan, relative: 1e-13, "\(c.name) NTK(x\(i), x\(i)): pair path vs self run")
        expectClose(same.nngp[i, 0], gram.nngp[i, i], relative: 1e-13, "\(c.name) NNGP(x\(i), x\(i)): pair path vs self run")
      }
      expectMatrixClose(cross.nngp.storage, c.cross.nngp, "\(c.name) cross nngp")
      expectMatrixClose(cross.ntk?.storage ?? [], c.cross.ntk, "\(c.name) cross ntk")
    }
  }

  func expectMatrixClose(
    _ got: [Double], _ want: [Double], _ what: String, diagonalOf n: Int? = nil, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    #expect(got.count == want.count, "\(what): \(got.count) entries, NT has \(want.count)", sourceLocation: sourceLocation)
    let scale = want.map(abs).max() ?? 0
    for (i, (g, w)) in zip(got, want).enumerated() {
      let onDiagonal = n.map { i % ($0 + 1) == 0 } ?? false
      expectClose(g, w, relative: onDiagonal ? 2e-8 : 0, absolute: 1e-12 * scale, "\(what)[\(i)]", sourceLocation: sourceLocation)
    }
  }
}
