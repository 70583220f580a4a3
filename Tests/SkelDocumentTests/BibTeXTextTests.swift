import SkelDocument
import Testing

/// BibTeX values as text: TeX accents, special letters, @string macros and `#`.
@Suite struct BibTeXTextTests {
  @Test func accentsBecomeUnicode() throws {
    let text = #"""
      @article{a, author = {Kot{\l}owski, Wojciech and M\'enard, Pierre and G{\"o}del, Kurt and Erd\H{o}s, Paul},
        title = {Na\"{\i}ve \v{S}koda fa\c{c}ade {\AA}ngstr\"om Stra\ss e \& co}}
      """#
    let bib = try Bibliography(parsing: text)
    let f = bib.formatted("a")
    #expect(f.authors == "Wojciech Kotłowski, Pierre Ménard, Kurt Gödel and Paul Erdős")
    #expect(f.title == "Naïve Škoda façade Ångström Straße & co")
    #expect(f.title.unicodeScalars.count == f.title.count, "precomposed (NFC)")
    #expect(bib.authorYear("a") == "Kotłowski et al.")
  }

  @Test func stringMacrosAndConcatenation() throws {
    let text = """
      @string{jmlr = {Journal of Machine Learning Research}}
      @STRING(nips = "Advances in Neural Information Processing Systems")
      @article{a, title = {T}, journal = jmlr, year = 2016, month = jun}
      @inproceedings{b, title = "Part " # {two}, booktitle = nips # { 29}}
      """
    let bib = try Bibliography(parsing: text)
    #expect(bib.formatted("a").venue == "Journal of Machine Learning Research")
    #expect(bib.entries["a"]?.fields["month"] == "June")
    #expect(bib.formatted("a").year == "2016")
    #expect(bib.formatted("b").title == "Part two")
    #expect(bib.formatted("b").venue == "Advances in Neural Information Processing Systems 29")
  }

  @Test func unknownMacroIsAnErrorAtIt() {
    do {
      _ = try Bibliography(parsing: "@article{a,\n  journal = jmrl}\n")
      Issue.record("unknown macro accepted")
    } catch {
      #expect(error.line == 2 && error.column == 13, "\(error.line):\(error.column)")
      #expect(error.message.hasPrefix("unknown @string macro 'jmrl'"))
    }
  }
}
