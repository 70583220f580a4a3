import Foundation

/// A small TeX subset → text runs, for labels and legends.
///
/// Handles `$…$` spans: Greek letters and common symbols, `\hat`, `\bar`, `\tilde` (combining
/// marks), `_x`/`^x` and braced groups (sub/superscripts), `\mathrm{…}`, `\mathbb{R}`; letters in
/// math are set in italics as TeX does, each letter its own run. Text outside `$…$` is kept as it
/// is: runs carry characters, never markup, so nothing here escapes anything.
public enum MathText {
  /// The name of the TeX command whose first character is at `i` (a run of letters, or one other
  /// character), `i` moved past it; `i` must be inside `chars`.
  public static func commandName(_ chars: [Character], at i: inout Int) -> String {
    guard chars[i].isLetter else {
      i += 1
      return String(chars[i - 1])
    }
    var name = ""
    while i < chars.count, chars[i].isLetter {
      name.append(chars[i])
      i += 1
    }
    return name
  }

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
    "simeq": "≃", "lesssim": "≲", "gtrsim": "≳", "ll": "≪", "gg": "≫", "Rightarrow": "⇒", "implies": "⟹", "iff": "⟺",
    "forall": "∀", "exists": "∃", "emptyset": "∅", "varnothing": "∅", "cup": "∪", "cap": "∩", "subset": "⊂", "subseteq": "⊆",
    "otimes": "⊗", "oplus": "⊕", "setminus": "∖", "ast": "∗", "bullet": "•", "hbar": "ℏ", "dagger": "†", "wedge": "∧",
    "vee": "∨", "neg": "¬", "Vert": "‖", "lVert": "‖", "rVert": "‖", "vert": "|", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈",
    "rceil": "⌉", "colon": ":", "vdots": "⋮", "ddots": "⋱", "varrho": "ϱ", "varsigma": "ς", "varpi": "ϖ",
  ]
  /// Script capitals for `\mathcal{…}` (Unicode mathematical script).
  static let script: [Character: String] = [
    "A": "𝒜", "B": "ℬ", "C": "𝒞", "D": "𝒟", "E": "ℰ", "F": "ℱ", "G": "𝒢", "H": "ℋ", "I": "ℐ", "J": "𝒥",
    "K": "𝒦", "L": "ℒ", "M": "ℳ", "N": "𝒩", "O": "𝒪", "P": "𝒫", "Q": "𝒬", "R": "ℛ", "S": "𝒮", "T": "𝒯",
    "U": "𝒰", "V": "𝒱", "W": "𝒲", "X": "𝒳", "Y": "𝒴", "Z": "𝒵",
  ]
  static let accents: [String: String] = ["hat": "\u{0302}", "bar": "\u{0304}", "tilde": "\u{0303}"]
  static let blackboard: [Character: String] = ["R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼"]

  /// The runs of a label with optional `$…$` math.
  public static func runs(fromTeX text: String) -> [TextRun] {
    var out: [TextRun] = []
    var inMath = false
    var buffer = ""
    for ch in text {
      if ch == "$" {
        out.appendRuns(inMath ? convertMath(buffer) : .plain(buffer))
        buffer = ""
        inMath.toggle()
      } else {
        buffer.append(ch)
      }
    }
    out.appendRuns(inMath ? convertMath("$" + buffer) : .plain(buffer))
    return out
  }

  /// Plain text of a label (for alt text and CSV headers): the characters of its runs.
  public static func plain(fromTeX text: String) -> String {
    runs(fromTeX: text).plainText
  }

  /// `plain(fromTeX:)` with simple scripts as Unicode sub- and superscripts (`unicodeText`).
  public static func unicode(fromTeX text: String) -> String {
    runs(fromTeX: text).unicodeText
  }

  static func convertMath(_ tex: String) -> [TextRun] {
    var p = Parser(chars: Array(tex))
    return p.parseSequence(until: nil)
  }

  struct Parser {
    var chars: [Character]
    var i = 0

    mutating func parseSequence(until terminator: Character?) -> [TextRun] {
      var out: [TextRun] = []
      while i < chars.count {
        let c = chars[i]
        if let t = terminator, c == t {
          i += 1
          return out
        }
        out.appendRuns(parseAtom())
      }
      return out
    }

    /// One atom: a group, a command, a script, or a character.
    mutating func parseAtom() -> [TextRun] {
      let c = chars[i]
      switch c {
      case "{":
        i += 1
        return parseSequence(until: "}")
      case "\\":
        return parseCommand()
      case "_", "^":
        i += 1
        guard i < chars.count else { return [] }
        return parseAtom().inScript(c == "_" ? .subscript : .superscript)
      case " ":
        i += 1
        return []
      default:
        i += 1
        if c.isLetter { return [TextRun(String(c), style: .italic)] }
        return .plain(c == "-" ? "\u{2212}" : String(c))
      }
    }

    mutating func parseCommand() -> [TextRun] {
      i += 1  // backslash
      guard i < chars.count else { return .plain("\\") }
      let name = MathText.commandName(chars, at: &i)
      if let mark = MathText.accents[name] {
        skipSpaces()
        guard i < chars.count else { return [] }
        return Self.insertMark(mark, into: parseAtom())
      }
      switch name {
      case "mathrm", "text", "operatorname":
        skipSpaces()
        return .plain(readGroupText())
      case "mathbb":
        skipSpaces()
        return .plain(readGroupText().map { MathText.blackboard[$0] ?? String($0) }.joined())
      case "mathcal":
        skipSpaces()
        return .plain(readGroupText().map { MathText.script[$0] ?? String($0) }.joined())
      case "mathbf", "boldsymbol":
        skipSpaces()
        let t = readGroupText()
        return t.isEmpty ? [] : [TextRun(t, style: .bold)]
      case "sqrt":
        skipSpaces()
        return Self.root(of: parseAtom())
      case "left", "right":
        return []
      default:
        break
      }
      if let sym = MathText.symbols[name] {
        let isGreekLower = sym.unicodeScalars.first.map { $0.value >= 0x3B1 && $0.value <= 0x3C9 } ?? false
        return isGreekLower ? [TextRun(sym, style: .italic)] : .plain(sym)
      }
      return .plain(name)  // unknown command: its name, upright (better than a stray backslash)
    }

    /// √ and its radicand, in parentheses unless it is one character or a number (√2, √x, √(xy),
    /// √(1 − ρ²)): without a vinculum the parentheses say how far the root reaches.
    static func root(of inner: [TextRun]) -> [TextRun] {
      let text = inner.plainText
      let bare = text.count <= 1 || text.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
      var out: [TextRun] = .plain("√")
      if !bare { out.appendRun(TextRun("(")) }
      out.appendRuns(inner)
      if !bare { out.appendRun(TextRun(")")) }
      return out
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
        if c == "{" {
          depth += 1
        } else if c == "}" {
          depth -= 1
          if depth == 0 { break }
        }
        s.append(c)
      }
      return s
    }

    /// Puts a combining mark after the first character of the first non-empty run.
    static func insertMark(_ mark: String, into runs: [TextRun]) -> [TextRun] {
      var out = runs
      guard let k = out.firstIndex(where: { !$0.text.isEmpty }), let first = out[k].text.first else { return out }
      out[k].text = String(first) + mark + out[k].text.dropFirst()
      return out
    }
  }
}
