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

  /// Markup in titles: italics and bold (nested \emph upright again), dashes, ties, formulas
  /// kept as TeX for KaTeX, `\$` a dollar; the plain text drops the markup.
  @Test func markupInTitles() throws {
    let text = #"""
      @article{a, title = {The \emph{Gaussian} limit --- of {\em wide} networks, pp.~1--10 \textbf{bold \textit{both}}},
        journal = {J.~\emph{Stat} \emph{Mech. \emph{upright}}}}
      @article{b, title = {Kernels $k(x, x') = \sigma_w^2\,\mathbb{E}[\phi]$ at \$5 and $ $ \textendash{} end}}
      """#
    let bib = try Bibliography(parsing: text)
    let a = try #require(bib.text("a", "title"))
    #expect(
      a.segments == [
        .init(text: "The "), .init(text: "Gaussian", italic: true), .init(text: " limit \u{2014} of "), .init(text: "wide", italic: true),
        .init(text: " networks, pp.\u{00A0}1\u{2013}10 "), .init(text: "bold ", bold: true), .init(text: "both", italic: true, bold: true),
      ])
    #expect(bib.formatted("a").title == "The Gaussian limit \u{2014} of wide networks, pp.\u{00A0}1\u{2013}10 bold both")
    let html = a.html(escape: { $0 }, math: { "[\($0)]" })
    #expect(
      html
        == "The <em>Gaussian</em> limit — of <em>wide</em> networks, pp.\u{00A0}1–10 <strong>bold </strong><em><strong>both</strong></em>")
    let journal = try #require(bib.text("a", "journal"))
    #expect(journal.html(escape: { $0 }, math: { $0 }) == "J.\u{00A0}<em>Stat</em> <em>Mech. </em>upright")
    let b = try #require(bib.text("b", "title"))
    #expect(b.formulas == [#"k(x, x') = \sigma_w^2\,\mathbb{E}[\phi]"#])
    #expect(
      b.html(escape: { $0 }, math: { "<m>\($0)</m>" }) == #"Kernels <m>k(x, x') = \sigma_w^2\,\mathbb{E}[\phi]</m> at $5 and $ $ – end"#)
  }

  /// Markup nested deeper than the reader follows is read as text, not recursed into.
  @Test func deepNestingIsBounded() throws {
    let deep = String(repeating: #"\emph{"#, count: 5000) + "x" + String(repeating: "}", count: 5000)
    let bib = try Bibliography(parsing: "@article{a, title = {\(deep)}}")
    #expect(bib.formatted("a").title.hasSuffix("x"))
  }

  /// Accent arguments nested without end (`\"{\"{\"{…`: each level used to recurse and copy the
  /// rest of the value) are refused at the first brace beyond `TeXAccents.maxDepth` (16), at its
  /// line and column in the .bib file; 16 levels still decode.
  @Test func deepAccentsAreRefusedAtTheirBrace() throws {
    let levels = 100_000
    let deep = String(repeating: #"\"{"#, count: levels) + "o" + String(repeating: "}", count: levels)
    do {
      _ = try Bibliography(parsing: "@article{a,\n  title = {x " + deep + "}}\n")
      Issue.record("100 000 nested accents accepted")
    } catch {
      // line 2: `  title = {x ` is 13 columns, the first brace at column 16, brace n at 16 + 3n
      #expect(error.line == 2 && error.column == 16 + 3 * 16, "\(error.line):\(error.column)")
      #expect(error.message == "TeX accents nested more than 16 levels deep in field 'title' of 'a'")
    }
    let sixteen = String(repeating: #"\"{"#, count: 16) + "o" + String(repeating: "}", count: 16)
    let bib = try Bibliography(parsing: "@article{a, title = {\(sixteen)}}")
    #expect(bib.formatted("a").title == "o" + String(repeating: "\u{0308}", count: 16))
  }

  /// A macro keeps its markup until it is used.
  @Test func macrosKeepMarkup() throws {
    let bib = try Bibliography(parsing: "@string{j = {\\emph{Phys.}~Rev.}}\n@article{a, journal = j # { E}}")
    #expect(bib.text("a", "journal")?.html(escape: { $0 }, math: { $0 }) == "<em>Phys.</em>\u{00A0}Rev. E")
  }
}
