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
    "w_std": "\\sigma_w", "b_std": "\\sigma_b", "sigma": "\\sigma", "lambda": "\\lambda", "mu": "\\mu", "tau": "\\tau",
  ]
  /// Family and word spellings.
  static let words: [String: String] = [
    "student_t": "Student-t", "gaussian": "Gaussian", "rademacher": "Rademacher", "laplace": "Laplace", "uniform": "uniform",
    "sphere": "sphere", "relu": "ReLU", "leaky_relu": "leaky ReLU", "ntk": "NTK", "nngp": "NNGP", "erf": "erf", "gelu": "GELU",
    "kappa": "$\\kappa$", "iid_uniform": "i.i.d. uniform", "exact": "exact", "orthogonal": "orthogonal",
    "glorot_normal": "Glorot normal", "glorot_uniform": "Glorot uniform", "he_normal": "He normal", "he_uniform": "He uniform",
    "lecun_normal": "LeCun normal", "lecun_uniform": "LeCun uniform", "marchenko-pastur": "Marchenko–Pastur",
    "monte": "Monte", "carlo": "Carlo", "q*": "$q^*$", "c*": "$c^*$", "fully_connected": "fully connected",
    "hermite": "Hermite",
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
    // a comma between a point's variables (`L=4, relu`) stays after the word it ends
    if token.count > 1, token.hasSuffix(",") { return word(String(token.dropLast())) + "," }
    if let a = assignment(token) { return a }
    if let open = token.firstIndex(of: "("), token.last == ")" {
      let family = String(token[..<open])
      let inner = token[token.index(after: open)..<token.index(before: token.endIndex)]
      let args = inner.split(separator: ",").map { String($0).trimmedForValue() }.filter { !$0.isEmpty }
      let typeset = args.map { assignment($0) ?? $0 }
      let head = words[family] ?? family
      return args.isEmpty ? head : head + " (" + typeset.joined(separator: ", ") + ")"
    }
    return words[token] ?? words[token.lowercased()].map { token.first?.isUppercase == true ? capitalized($0) : $0 } ?? token
  }

  /// `key=value` as math (`$\rho_0 = -0.5$`; a word value after the relation, in its spelling:
  /// `$k =$ NNGP`), or `nil` when `token` is not one (a call `f(a=1)` is a word with arguments).
  static func assignment(_ token: String) -> String? {
    guard let eq = token.firstIndex(of: "=") else { return nil }
    if let open = token.firstIndex(of: "("), open < eq { return nil }
    let key = String(token[..<eq]), value = String(token[token.index(after: eq)...])
    guard !key.isEmpty, !value.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return nil }
    let symbol = symbol(ofKey: key)
    if let v = NumberText.number(in: value) { return math(symbol, v) }
    return "$" + symbol + " \\;=$ " + word(value)
  }

  /// The TeX symbol of a parameter key (`rho0` → `\\rho_0`, `w_std` → `\\sigma_w`).
  public static func symbol(ofKey key: String) -> String { symbols[key] ?? symbol(ofName: key) }

  /// A key without a symbol: one letter as it is, `q_1` with its subscript, a longer name
  /// upright with its underscores as spaces (`input width`).
  static func symbol(ofName key: String) -> String {
    if key.count == 1 { return key }
    let parts = key.split(separator: "_", omittingEmptySubsequences: true).map(String.init)
    if parts.count == 2, parts[0].count == 1, parts[0].allSatisfy(\.isLetter) { return parts[0] + "_{" + parts[1] + "}" }
    return "\\text{" + parts.joined(separator: " ") + "}"
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
