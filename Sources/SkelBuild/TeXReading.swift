import SkelPlot

/// A formula's TeX read as text, for the search index and its snippets: `\kappa_v = \hat\sigma_v`
/// → `κ_v = σ̂_v`, `\frac{a+b}{c}` → `(a+b)/c`, a matrix `(1, ρ; ρ, 1)`, the report's macros
/// expanded, relations spaced. The reading is `MathText`'s (the figures' labels), after a
/// rewrite of what it does not read (fractions, environments, alignment, sizes, spacing, `\tag`).
/// Groups nest at most `maxDepth` deep: a deeper formula is left as its TeX.
enum TeXReading {
  static let maxDepth = 32

  static func text(_ tex: String, macros: [String: String] = [:]) -> String {
    var rewriter = Rewriter(chars: Array(expand(tex, macros: macros)))
    let rewritten = rewriter.sequence(until: nil, depth: 0)
    guard !rewriter.tooDeep else { return tex }
    // `$` would end MathText's math: a dollar in a formula is the full-width one
    let reading = MathText.unicode(fromTeX: "$" + rewritten.replacingOccurrences(of: "$", with: "\u{FF04}") + "$")
    return reading.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
  }

  /// The report's macros without parameters (`\E: \mathbb{E}`) replaced by their definitions,
  /// twice (a macro may use another), each name only where no letter follows it.
  static func expand(_ tex: String, macros: [String: String]) -> String {
    let simple = macros.filter { !$0.value.contains("#") && $0.key.hasPrefix("\\") && $0.key.count > 1 }
    guard !simple.isEmpty, tex.contains("\\") else { return tex }
    var text = tex
    for _ in 0..<2 {
      var out = "", i = text.startIndex
      while i < text.endIndex {
        guard text[i] == "\\" else {
          out.append(text[i])
          i = text.index(after: i)
          continue
        }
        var j = text.index(after: i)
        while j < text.endIndex, text[j].isLetter { j = text.index(after: j) }
        if j == text.index(after: i), j < text.endIndex { j = text.index(after: j) }  // a control symbol
        let name = String(text[i..<j])
        out += simple[name].map { "{" + $0 + "}" } ?? name
        i = j
      }
      text = out
    }
    return text
  }

  static let relations: Set<String> = [
    "le", "leq", "ge", "geq", "ne", "neq", "approx", "sim", "simeq", "to", "rightarrow", "leftarrow", "mapsto", "in", "equiv",
    "propto", "lesssim", "gtrsim", "ll", "gg", "Rightarrow", "implies", "iff",
  ]
  static let operators: Set<String> = [
    "log", "exp", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arccos", "arcsin", "arctan", "max", "min", "det", "ln", "erf",
    "lim", "sup", "inf",
  ]
  /// Commands that only size, space or style (their argument, if any, stays).
  static let dropped: Set<String> = [
    "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm", "middle",
    "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits", "!", "quad", "qquad", "label", "nonumber",
  ]
  static let openers = ["pmatrix": "(", "bmatrix": "[", "vmatrix": "|", "Vmatrix": "‖", "Bmatrix": "\\{", "cases": "\\{"]
  static let closers = ["pmatrix": ")", "bmatrix": "]", "vmatrix": "|", "Vmatrix": "‖", "Bmatrix": "\\}"]

  /// The rewrite into the TeX `MathText` reads.
  struct Rewriter {
    let chars: [Character]
    var i = 0
    var tooDeep = false

    mutating func sequence(until close: Character?, depth: Int) -> String {
      var out = ""
      while i < chars.count {
        if let close, chars[i] == close {
          i += 1
          return out
        }
        out += atom(depth: depth)
      }
      return out
    }

    /// An argument as TeX reads one: a group or a single token, rewritten.
    mutating func argument(depth: Int) -> String {
      while i < chars.count, chars[i] == " " { i += 1 }
      guard i < chars.count else { return "" }
      if chars[i] == "{" {
        guard depth < TeXReading.maxDepth else { return giveUp() }
        i += 1
        return sequence(until: "}", depth: depth + 1)
      }
      return atom(depth: depth)
    }

    /// A group's characters as written (an environment's name).
    mutating func rawGroup() -> String {
      while i < chars.count, chars[i] == " " { i += 1 }
      guard i < chars.count, chars[i] == "{" else { return "" }
      var name = ""
      i += 1
      while i < chars.count, chars[i] != "}" {
        name.append(chars[i])
        i += 1
      }
      i += 1
      return name
    }

    mutating func giveUp() -> String {
      tooDeep = true
      i = chars.count
      return ""
    }

    mutating func atom(depth: Int) -> String {
      guard depth < TeXReading.maxDepth else { return giveUp() }
      let c = chars[i]
      switch c {
      case "{":
        i += 1
        return "{" + sequence(until: "}", depth: depth + 1) + "}"
      case "&":
        i += 1
        return ",\\;"
      case ",":
        i += 1
        return ",\\,"  // TeX's thin space after a comma
      case "=", "<", ">":
        i += 1
        return "\\;" + String(c) + "\\;"
      case "_", "^":
        // a script of several characters that Unicode cannot raise or lower is bracketed
        // (`∑_(u ∈ in(v))`, `ρ^(k−1)`), as a reader writes it in plain text
        i += 1
        let arg = argument(depth: depth + 1)
        let reading = MathText.plain(fromTeX: "$" + arg + "$")
        let raisable = c == "^" ? Self.superscripts : Self.subscripts
        let bracketed = reading.count > 1 && !reading.allSatisfy { raisable.contains($0) }
        return String(c) + (bracketed ? "{(" + arg + ")}" : "{" + arg + "}")
      case "\\":
        return command(depth: depth)
      default:
        i += 1
        return String(c)
      }
    }

    /// The characters Unicode has as superscripts and subscripts (`TextRun.unicodeText`).
    static let superscripts = Set("0123456789+-−=()n")
    static let subscripts = Set("0123456789+-−=()")

    /// `a` in parentheses unless it is one character or a number (`(a+b)/c`, `1/2`).
    static func parenthesized(_ a: String) -> String {
      let reading = MathText.plain(fromTeX: "$" + a + "$")
      let bare = reading.count <= 1 || reading.allSatisfy { $0.isNumber || $0 == "." }
      return bare ? "{" + a + "}" : "(" + a + ")"
    }

    mutating func command(depth: Int) -> String {
      i += 1  // the backslash
      guard i < chars.count else { return "" }
      let name = MathText.commandName(chars, at: &i)
      switch name {
      case "frac", "dfrac", "tfrac", "cfrac":
        let a = argument(depth: depth + 1), b = argument(depth: depth + 1)
        return "{" + Self.parenthesized(a) + "/" + Self.parenthesized(b) + "}"
      case "begin":
        let env = rawGroup()
        if env == "array" { _ = rawGroup() }  // its column spec
        return TeXReading.openers[env] ?? ""
      case "end":
        return TeXReading.closers[rawGroup()] ?? ""
      case "\\":
        return ";\\;"
      case "left", "right":
        if i < chars.count, chars[i] == "." { i += 1 }  // an empty delimiter
        return ""
      case "widehat": return "\\hat"
      case "widetilde": return "\\tilde"
      case "overline": return "\\bar"
      case "text", "textrm", "textit", "textbf", "mathit", "mathsf", "mathtt", "texttt", "operatorname":
        return "\\mathrm{" + rawGroup() + "}"
      case "tag":
        return "\\quad(" + argument(depth: depth + 1) + ")"
      case "mathbb", "mathcal", "mathbf", "boldsymbol", "hat", "bar", "tilde", "sqrt":
        return "\\" + name + "{" + argument(depth: depth + 1) + "}"
      default:
        if TeXReading.dropped.contains(name) { return name == "quad" || name == "qquad" ? "\\;" : "" }
        if TeXReading.relations.contains(name) { return "\\;\\" + name + "\\;" }
        if TeXReading.operators.contains(name) { return "\\" + name + "\\," }
        return "\\" + name
      }
    }
  }
}
