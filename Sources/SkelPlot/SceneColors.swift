/// Two scenes that differ in their colours alone: a figure laid out in its light and its dark
/// theme. A backend can then make the second image from the first by its colours
/// (`FigureBackend.recolored`) instead of drawing it again.
extension Scene {
  /// The colours that turn `self` into `other` when the two differ in colours alone — the same
  /// size and items, each item the same but for its stroke, fill or text colour — and each colour
  /// of `self` always becomes one colour of `other` with the same alpha; nil otherwise.
  public func colorMap(to other: Scene) -> [Color: Color]? {
    guard width == other.width, height == other.height, items.count == other.items.count else { return nil }
    var map: [Color: Color] = [:]
    func pair(_ a: Color?, _ b: Color?) -> Bool {
      switch (a, b) {
      case (nil, nil): return true
      case (let a?, let b?):
        guard a.alpha == b.alpha else { return false }
        if let known = map[a] { return known == b }
        map[a] = b
        return true
      default: return false
      }
    }
    guard pair(background, other.background) else { return nil }
    for (x, y) in zip(items, other.items) {
      switch (x, y) {
      case (.path(let e1, let s1, let f1), .path(let e2, let s2, let f2)):
        guard pair(f1, f2), pair(s1?.color, s2?.color), e1 == e2 else { return nil }
        if var s = s1, let s2 {
          s.color = s2.color
          guard s == s2 else { return nil }
        }
      case (.text(let t1), .text(let t2)):
        var t = t1
        t.color = t2.color
        guard t == t2, pair(t1.color, t2.color) else { return nil }
      default:
        guard x == y else { return nil }
      }
    }
    return map
  }
}
