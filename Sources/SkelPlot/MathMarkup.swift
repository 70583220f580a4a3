import Foundation

/// A small TeX-subset → Pango-markup converter for labels and legends.
///
/// Handles `$…$` spans: Greek letters and common symbols, `\hat`, `\bar`, `\tilde` (combining
/// marks), `_x`/`^x` and braced groups (sub/superscripts), `\mathrm{…}`, `\mathbb{R}`; letters in
/// math are set in italics as TeX does. Text outside `$…$` is escaped and kept as it is.
public enum MathMarkup {
  static let symbols: [String: String] = [
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "infty": "∞", "cdot": "·", "times": "×", "le": "≤",
    "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼",
    "to": "→", "rightarrow": "→", "in": "∈", "sum": "∑", "prod": "∏", "int": "∫", "circ": "∘",
    "partial": "∂", "nabla": "∇", "pm": "±", "ell": "ℓ", "langle": "⟨", "rangle": "⟩",
    "|": "‖", ",": "\u{2009}", ";": " ", "quad": "\u{2003}", "log": "log", "exp": "exp",
    "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh", "cosh": "cosh",
    "arccos": "arccos", "arcsin": "arcsin", "arctan": "arctan", "max": "max", "min": "min", "det": "det",
    "ln": "ln", "erf": "erf", "lim": "lim", "sup": "sup", "inf": "inf", "dots": "…", "ldots": "…",
    "cdots": "⋯", "mid": "|", "lvert": "|", "rvert": "|", "infty ": "∞", "propto": "∝", "perp": "⊥",
    "star": "⋆", "top": "⊤", "prime": "′", "leftarrow": "←", "mapsto": "↦", "equiv": "≡",
  ]
  /// Script capitals for `\mathcal{…}` (Unicode mathematical script).
  static let script: [Character: String] = [
    "A": "𝒜", "B": "ℬ", "C": "𝒞", "D": "𝒟", "E": "ℰ", "F": "ℱ", "G": "𝒢", "H": "ℋ", "I": "ℐ", "J": "𝒥",
    "K": "𝒦", "L": "ℒ", "M": "ℳ", "N": "𝒩", "O": "𝒪", "P": "𝒫", "Q": "𝒬", "R": "ℛ", "S": "𝒮", "T": "𝒯",
    "U": "𝒰", "V": "𝒱", "W": "𝒲", "X": "𝒳", "Y": "𝒴", "Z": "𝒵",
  ]
  static let accents: [String: String] = ["hat": "\u{0302}", "bar": "\u{0304}", "tilde": "\u{0303}"]
  static let blackboard: [Character: String] = ["R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼"]

  /// Converts a label with optional `$…$` math into Pango markup.
  public static func pango(fromTeX text: String) -> String {
    var out = ""
    var inMath = false
    var buffer = ""
    for ch in text {
      if ch == "$" {
        out += inMath ? convertMath(buffer) : escape(buffer)
        buffer = ""
        inMath.toggle()
      } else {
        buffer.append(ch)
      }
    }
    out += inMath ? convertMath("$" + buffer) : escape(buffer)
    return out
  }

  /// Plain text of a label (for alt text and CSV headers): the markup without tags.
  public static func plain(fromTeX text: String) -> String {
    var s = pango(fromTeX: text)
    while let open = s.firstIndex(of: "<"), let close = s[open...].firstIndex(of: ">") {
      s.removeSubrange(open...close)
    }
    return s.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
      .replacingOccurrences(of: "&amp;", with: "&")
  }

  public static func escape(_ s: String) -> String {
    var r = ""
    for c in s {
      switch c {
      case "&": r += "&amp;"
      case "<": r += "&lt;"
      case ">": r += "&gt;"
      default: r.append(c)
      }
    }
    return r
  }

  static func convertMath(_ tex: String) -> String {
    var p = Parser(chars: Array(tex))
    return p.parseSequence(until: nil)
  }

  struct Parser {
    var chars: [Character]
    var i = 0

    mutating func parseSequence(until terminator: Character?) -> String {
      var out = ""
      while i < chars.count {
        let c = chars[i]
        if let t = terminator, c == t {
          i += 1
          return out
        }
        out += parseAtom()
      }
      return out
    }

    /// One atom: a group, a command, a script, or a character.
    mutating func parseAtom() -> String {
      let c = chars[i]
      switch c {
      case "{":
        i += 1
        return parseSequence(until: "}")
      case "\\":
        return parseCommand()
      case "_", "^":
        i += 1
        guard i < chars.count else { return "" }
        let arg = parseAtom()
        return c == "_" ? "<sub>\(arg)</sub>" : "<sup>\(arg)</sup>"
      case " ":
        i += 1
        return ""
      default:
        i += 1
        if c.isLetter { return "<i>\(escape(String(c)))</i>" }
        if c == "-" { return "\u{2212}" }
        return escape(String(c))
      }
    }

    mutating func parseCommand() -> String {
      i += 1  // backslash
      guard i < chars.count else { return "\\" }
      var name = ""
      if chars[i].isLetter {
        while i < chars.count, chars[i].isLetter {
          name.append(chars[i])
          i += 1
        }
      } else {
        name = String(chars[i])
        i += 1
      }
      if let mark = MathMarkup.accents[name] {
        skipSpaces()
        guard i < chars.count else { return "" }
        let base = parseAtom()
        return insertMark(mark, into: base)
      }
      if name == "mathrm" || name == "text" || name == "operatorname" {
        skipSpaces()
        return escape(readGroupText())
      }
      if name == "mathbb" {
        skipSpaces()
        let t = readGroupText()
        return t.map { MathMarkup.blackboard[$0] ?? String($0) }.joined()
      }
      if name == "mathcal" {
        skipSpaces()
        let t = readGroupText()
        return t.map { MathMarkup.script[$0] ?? String($0) }.joined()
      }
      if name == "mathbf" || name == "boldsymbol" {
        skipSpaces()
        return "<b>" + escape(readGroupText()) + "</b>"
      }
      if name == "sqrt" {
        skipSpaces()
        let inner = parseAtom()
        return "√" + (inner.count > 12 ? "(" + inner + ")" : inner)
      }
      if name == "left" || name == "right" { return "" }
      if let sym = MathMarkup.symbols[name] {
        let isGreekLower = sym.unicodeScalars.first.map { $0.value >= 0x3B1 && $0.value <= 0x3C9 } ?? false
        return isGreekLower ? "<i>\(sym)</i>" : sym
      }
      return escape(name)  // unknown command: its name, upright (better than a stray backslash)
    }

    mutating func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }

    mutating func readGroupText() -> String {
      guard i < chars.count else { return "" }
      if chars[i] != "{" {
        i += 1
        return String(chars[i - 1])
      }
      i += 1
      var depth = 1, s = ""
      while i < chars.count {
        let c = chars[i]
        i += 1
        if c == "{" { depth += 1 } else if c == "}" {
          depth -= 1
          if depth == 0 { break }
        }
        s.append(c)
      }
      return s
    }

    /// Puts a combining mark after the first visible character of `markup` (inside its tags).
    func insertMark(_ mark: String, into markup: String) -> String {
      var out = "", inTag = false, done = false
      for c in markup {
        out.append(c)
        if c == "<" { inTag = true } else if c == ">" { inTag = false } else if !inTag && !done {
          out += mark
          done = true
        }
      }
      return out
    }
  }
}

