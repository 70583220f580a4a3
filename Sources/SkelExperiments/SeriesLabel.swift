import Foundation
import SkelPlot

/// Legend labels typeset from the series names the kinds write (`rho0=-0.5`, `L=16`,
/// `student_t(nu=5)`, `ntk d=1`, `angle map L=2`): each `key=value` becomes math with the key's
/// symbol and the value through `NumberText` (`$\rho_0 = -0.5$`), each call a named family with
/// its parameters (`Student-t ($\nu = 5$)`), known words their usual spelling (`NTK`). A name
/// that already holds math (`$`) is the kind's own label and is kept. The published names (CSV,
/// JSON, inline-value selectors) are unchanged: only the figure's legend is typeset.
public enum SeriesLabel {
  /// Parameter keys → TeX symbols.
  static let symbols: [String: String] = [
    "rho0": "\\rho_0", "rho": "\\rho", "c0": "c_0", "q0": "q_0", "c": "c", "q": "q", "L": "L", "l": "l", "d": "d",
    "depth": "L", "layer": "l", "t": "t", "nu": "\\nu", "alpha": "\\alpha", "beta": "\\beta", "gamma": "\\gamma",
    "sigma_w2": "\\sigma_w^2", "sigma_b2": "\\sigma_b^2", "sigma_w": "\\sigma_w", "sigma_b": "\\sigma_b", "w": "w", "b": "b",
    "a": "a", "s": "s", "r": "r", "n": "n", "m": "m", "k": "k", "p": "p", "scale": "s", "kappa": "\\kappa", "theta": "\\theta",
  ]
  /// Family and word spellings.
  static let words: [String: String] = [
    "student_t": "Student-t", "gaussian": "Gaussian", "rademacher": "Rademacher", "laplace": "Laplace", "uniform": "uniform",
    "sphere": "sphere", "relu": "ReLU", "leaky_relu": "leaky ReLU", "ntk": "NTK", "nngp": "NNGP", "erf": "erf", "gelu": "GELU",
    "kappa": "$\\kappa$", "iid_uniform": "i.i.d. uniform", "exact": "exact", "orthogonal": "orthogonal",
    "glorot_normal": "Glorot normal", "glorot_uniform": "Glorot uniform", "he_normal": "He normal", "he_uniform": "He uniform",
    "lecun_normal": "LeCun normal", "lecun_uniform": "LeCun uniform", "marchenko-pastur": "Marchenko–Pastur",
    "monte": "Monte", "carlo": "Carlo",
  ]

  /// The legend label of a series named `name`.
  public static func tex(_ name: String) -> String {
    guard !name.contains("$"), !name.isEmpty else { return name }
    return tokens(name).map(word).joined(separator: " ")
  }

  /// `name` split at spaces outside parentheses.
  static func tokens(_ name: String) -> [String] {
    var out: [String] = [], current = "", depth = 0
    for c in name {
      if c == "(" { depth += 1 }
      if c == ")" { depth = max(0, depth - 1) }
      if c == " ", depth == 0 {
        if !current.isEmpty { out.append(current) }
        current = ""
      } else {
        current.append(c)
      }
    }
    if !current.isEmpty { out.append(current) }
    return out
  }

  static func word(_ token: String) -> String {
    if let open = token.firstIndex(of: "("), token.last == ")" {
      let family = String(token[..<open])
      let inner = token[token.index(after: open)..<token.index(before: token.endIndex)]
      let args = inner.split(separator: ",").map { String($0).trimmedForValue() }.filter { !$0.isEmpty }
      let typeset = args.map { assignment($0) ?? $0 }
      let head = words[family] ?? family
      return args.isEmpty ? head : head + " (" + typeset.joined(separator: ", ") + ")"
    }
    if let a = assignment(token) { return a }
    return words[token] ?? words[token.lowercased()].map { token.first?.isUppercase == true ? capitalized($0) : $0 } ?? token
  }

  /// `key=value` as math (`$\rho_0 = -0.5$`), or `nil` when `token` is not one.
  static func assignment(_ token: String) -> String? {
    let parts = token.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2, !parts[0].isEmpty, let v = NumberText.number(in: parts[1]) else { return nil }
    let key = parts[0]
    let symbol = symbols[key] ?? (key.count == 1 ? key : "\\mathrm{\(key.replacingOccurrences(of: "_", with: "\\_"))}")
    return math(symbol, v)
  }

  /// `symbol = value` as math, the value through `NumberText` (6 digits), spaced as TeX spaces a
  /// relation (`\;`: the figure's math text drops plain spaces, as TeX does).
  public static func math(_ symbol: String, _ value: Double) -> String {
    "$" + symbol + " \\;=\\; " + NumberText(value, significant: 6).tex + "$"
  }

  static func capitalized(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

  /// Every legend name of `figure` that is a series name, typeset (`tex(_:)`).
  public static func typeset(_ figure: Figure) -> Figure {
    var f = figure
    for p in f.panels.indices {
      f.panels[p].marks = f.panels[p].marks.map { mark in
        switch mark {
        case .line(var s):
          s.name = tex(s.name)
          return .line(s)
        case .errorBars(var s):
          s.name = tex(s.name)
          return .errorBars(s)
        case .band(var s):
          s.name = tex(s.name)
          return .band(s)
        case .histogram(var h):
          h.name = tex(h.name)
          return .histogram(h)
        default: return mark
        }
      }
    }
    return f
  }
}
