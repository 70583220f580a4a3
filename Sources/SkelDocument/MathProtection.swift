/// A TeX formula found in prose.
public struct MathSpan: Sendable, Hashable {
  public var tex: String
  public var display: Bool
  public var location: SourceLocation
}

/// Hides `$…$` and `$$…$$` from cmark, which would otherwise eat backslashes and turn `*` and
/// `_` into emphasis (stack.md §3), and records where each formula was.
///
/// Rules follow pandoc's `tex_math_dollars`: an opening `$` must be followed by a non-space, a
/// closing `$` preceded by a non-space and not followed by a digit; `\$` is a literal dollar;
/// fenced code blocks and inline code spans are left alone; inline math does not cross a blank line.
public struct MathProtection: Sendable {
  /// The text with each formula replaced by a placeholder token.
  public var text: String
  public var spans: [MathSpan]
  /// `lineMap[k]` is the source line of line `k + 1` of `text` (multi-line formulas shrink to one line).
  public var lineMap: [Int]

  public static func placeholder(_ index: Int) -> String { "SKMATH\(index)Q" }

  public init(_ body: String, path: String, firstLine: Int = 1) {
    let chars = Array(body)
    var out = ""
    var spans: [MathSpan] = []
    var lineMap: [Int] = [firstLine]
    var line = firstLine, col = 1
    var i = 0
    var fence: (char: Character, count: Int)?
    var atLineStart = true

    func advance(_ c: Character, emit: Bool) {
      if c == "\n" {
        line += 1
        col = 1
        if emit { lineMap.append(line) }
      } else {
        col += 1
      }
      if emit { out.append(c) }
    }

    while i < chars.count {
      let c = chars[i]
      if atLineStart {
        // fence detection on the line's first non-space characters
        var j = i
        while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
        if j < chars.count, chars[j] == "`" || chars[j] == "~" {
          let fc = chars[j]
          var k = j
          while k < chars.count, chars[k] == fc { k += 1 }
          let n = k - j
          if n >= 3 {
            if let f = fence {
              if f.char == fc && n >= f.count { fence = nil }
            } else {
              fence = (fc, n)
            }
            // a fence line is copied verbatim (its backticks are not an inline code span)
            while i < chars.count, chars[i] != "\n" {
              advance(chars[i], emit: true)
              i += 1
            }
            atLineStart = false
            continue
          }
        }
        atLineStart = false
      }
      if c == "\n" {
        atLineStart = true
        advance(c, emit: true)
        i += 1
        continue
      }
      if fence != nil {
        advance(c, emit: true)
        i += 1
        continue
      }
      if c == "\\", i + 1 < chars.count, chars[i + 1] == "$" {
        advance(c, emit: true)
        advance("$", emit: true)
        i += 2
        continue
      }
      if c == "`" {  // inline code span: copy through the matching backtick run
        var k = i
        while k < chars.count, chars[k] == "`" { k += 1 }
        let run = k - i
        var m = k, close: Int?
        while m < chars.count {
          if chars[m] == "`" {
            var e = m
            while e < chars.count, chars[e] == "`" { e += 1 }
            if e - m == run {
              close = e
              break
            }
            m = e
          } else {
            m += 1
          }
        }
        let end = close ?? k
        for q in i..<end { advance(chars[q], emit: true) }
        i = end
        continue
      }
      if c == "$" {
        let display = i + 1 < chars.count && chars[i + 1] == "$"
        if let (end, tex) = Self.findClose(chars, from: i, display: display) {
          let location = SourceLocation(path: path, line: line, column: col)
          out += Self.placeholder(spans.count)
          spans.append(MathSpan(tex: tex, display: display, location: location))
          for q in i..<end { advance(chars[q], emit: false) }
          i = end
          continue
        }
      }
      advance(c, emit: true)
      i += 1
    }
    text = out
    self.spans = spans
    self.lineMap = lineMap
  }

  /// The index just past the closing delimiter, and the TeX between the delimiters.
  static func findClose(_ s: [Character], from start: Int, display: Bool) -> (Int, String)? {
    if display {
      var k = start + 2
      while k + 1 < s.count {
        if s[k] == "\\" {
          k += 2
          continue
        }
        if s[k] == "$" && s[k + 1] == "$" {
          let tex = String(s[(start + 2)..<k]).trimmingCharacters()
          return tex.isEmpty ? nil : (k + 2, tex)
        }
        k += 1
      }
      return nil
    }
    let first = start + 1
    guard first < s.count, !s[first].isWhitespace else { return nil }
    var k = first
    while k < s.count {
      let c = s[k]
      if c == "\\" {
        k += 2
        continue
      }
      if c == "\n", k + 1 < s.count, s[k + 1] == "\n" { return nil }  // blank line
      if c == "$" {
        if s[k - 1].isWhitespace { return nil }
        if k + 1 < s.count, s[k + 1].isNumber { return nil }
        return (k + 1, String(s[first..<k]))
      }
      k += 1
    }
    return nil
  }
}

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let f = s.first, f.isWhitespace { s = s.dropFirst() }
    while let l = s.last, l.isWhitespace { s = s.dropLast() }
    return String(s)
  }
}
