import SkelDocument

/// `InputsValue` ↔ the checked record.
extension InputsValue {
  public init?(typed: TypedValue) {
    guard case .record(let name, let f) = typed, case .string(let norm)? = f["normalize"], let normalize = Normalize(rawValue: norm)
    else { return nil }
    func int(_ k: String) -> Int? { if case .integer(let n)? = f[k] { return n } else { return nil } }
    func num(_ k: String) -> Double? { Double(typed: f[k] ?? .boolean(false)) }
    func str(_ k: String) -> String? { if case .string(let s)? = f[k] { return s } else { return nil } }
    let source: Source
    switch name {
    case "pairs":
      guard case .grid(let rho)? = f["rho"], let q1 = num("q1"), let q2 = num("q2") else { return nil }
      source = .pairs(rho: rho, q1: q1, q2: q2)
    case "gaussian", "sphere", "cube":
      guard let law = GeneratedLaw(rawValue: name), let n = int("n"), let d = int("d") else { return nil }
      source = .generated(law: law, n: n, d: d)
    case "circle":
      guard let n = int("n") else { return nil }
      source = .circle(n: n)
    case "images":
      guard let n = int("n"), let h = int("height"), let w = int("width"), let c = int("channels") else { return nil }
      source = .images(n: n, height: h, width: w, channels: c)
    case "csv":
      guard let path = str("path"), let columns = [String](typed: f["columns"] ?? .boolean(false)), let labels = str("labels") else {
        return nil
      }
      source = .csv(path: path, columns: columns.isEmpty ? nil : columns, labels: labels.isEmpty ? nil : labels)
    case "npy":
      guard let path = str("path") else { return nil }
      source = .npy(path: path)
    case "fashion-mnist":
      guard let n = int("n"), let classes = [Int](typed: f["classes"] ?? .boolean(false)), let split = str("split"), let seed = int("seed")
      else { return nil }
      source = .fashionMNIST(n: n, classes: classes, split: split, seed: seed < 0 ? nil : seed)
    default: return nil
    }
    self.init(source, normalize: normalize)
  }

  public var typed: TypedValue {
    var f: [String: TypedValue] = ["normalize": .string(normalize.rawValue)]
    let name: String
    switch source {
    case .pairs(let rho, let q1, let q2): (name, f["rho"], f["q1"], f["q2"]) = ("pairs", .grid(rho), .number(q1), .number(q2))
    case .generated(let law, let n, let d): (name, f["n"], f["d"]) = (law.rawValue, .integer(n), .integer(d))
    case .circle(let n): (name, f["n"]) = ("circle", .integer(n))
    case .images(let n, let h, let w, let c):
      (name, f["n"], f["height"], f["width"], f["channels"]) = ("images", .integer(n), .integer(h), .integer(w), .integer(c))
    case .csv(let path, let columns, let labels):
      (name, f["path"], f["columns"], f["labels"]) = (
        "csv", .string(path), .list((columns ?? []).map { .string($0) }), .string(labels ?? "")
      )
    case .npy(let path): (name, f["path"]) = ("npy", .string(path))
    case .fashionMNIST(let n, let classes, let split, let seed):
      (name, f["n"], f["classes"], f["split"], f["seed"]) = (
        "fashion-mnist", .integer(n), classes.typed, .string(split), .integer(seed ?? -1)
      )
    }
    return .record(name: name, fields: f)
  }

  public var spelling: String {
    let norm = normalize == .none ? "" : ", normalize=\(normalize.rawValue)"
    switch source {
    case .pairs(let rho, let q1, let q2):
      let r = Self.gridSpelling(rho)
      return q1 == q2
        ? "pairs(rho=\(r), q=\(OptionType.fmt(q1))\(norm))" : "pairs(rho=\(r), q1=\(OptionType.fmt(q1)), q2=\(OptionType.fmt(q2))\(norm))"
    case .generated(let law, let n, let d): return "\(law.rawValue)(n=\(n), d=\(d)\(norm))"
    case .circle(let n): return "circle(n=\(n)\(norm))"
    case .images(let n, let h, let w, let c): return "images(n=\(n), height=\(h), width=\(w), channels=\(c)\(norm))"
    case .csv(let path, let columns, let labels):
      let c = columns.map { ", columns=[\($0.joined(separator: ", "))]" } ?? "", l = labels.map { ", labels=\($0)" } ?? ""
      return "csv(\(path)\(c)\(l)\(norm))"
    case .npy(let path): return "npy(\(path)\(norm))"
    case .fashionMNIST(let n, let classes, let split, let seed):
      return "fashion-mnist(n=\(n), classes=\(classes.spelling), split=\(split)\(seed.map { ", seed=\($0)" } ?? "")\(norm))"
    }
  }

  /// `linspace(a, b, n)` for an evenly spaced grid (as `Grid.linspace` makes it), else the list.
  static func gridSpelling(_ points: [Double]) -> String {
    if points.count >= 3, let a = points.first, let b = points.last, GridPoints.linspace(a, b, points.count).points == points {
      return "linspace(\(OptionType.fmt(a)), \(OptionType.fmt(b)), \(points.count))"
    }
    return GridPoints(points).spelling
  }
}
