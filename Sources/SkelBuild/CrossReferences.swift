import Foundation
import SkelDocument
import SkelExperiments

/// What `@label` can point at in a report, numbered per report.
struct LabelTable {
  struct Target {
    var text: String
    var anchor: String
    var location: SourceLocation
    /// A figure's or table's number (the page's captions write it; `text` says "Figure 3").
    var number = 0
  }
  var targets: [String: Target] = [:]
  var duplicates: [Diagnostic] = []

  mutating func add(_ label: String, _ text: String, at location: SourceLocation, number: Int = 0) {
    if let first = targets[label] {
      duplicates.append(Diagnostic(at: location, length: label.count, "label '\(label)' is already used on line \(first.location.line)"))
    } else {
      targets[label] = Target(text: text, anchor: label, location: location, number: number)
    }
  }
}

/// The report-level language beyond Markdown: cross-references, citations, inline values,
/// numbered equations. Checked before anything runs (labels, keys, value syntax) and resolved
/// after (values need results).
struct ReportLinks {
  var labels = LabelTable()
  var bibliography: Bibliography?
  /// The `.bib` file as diagnostics name it (where a formula in a title is reported).
  var bibliographyPath = ""
  /// Citation keys in order of first citation (numbered style).
  var citationOrder: [String] = []
  /// Equation label → number.
  var equationNumbers: [String: Int] = [:]
  var authorYear = false

  /// All protections of a report: the body first, then each caption, then the abstract (when
  /// there is one).
  static func protections(_ report: PlannedReport) -> [MathProtection] {
    [report.document.protected] + report.directives.map(\.captionMath) + (report.document.abstract.map { [$0] } ?? [])
  }

  /// Builds the label table and checks every reference, citation and value: problems, warnings.
  static func check(_ report: PlannedReport, reportsFolder: URL, root: URL, display: (URL) -> String) -> (
    ReportLinks, [Diagnostic], [Diagnostic]
  ) {
    var links = ReportLinks()
    var problems: [Diagnostic] = [], warnings: [Diagnostic] = []
    links.authorYear = report.document.frontMatter.citationStyle == "author-year"
    links.numberTargets(report)
    problems += links.labels.duplicates
    let referenced = links.checkReferences(report, &problems)
    if let file = report.document.frontMatter.bibliography {
      links.readBibliography(file, report, reportsFolder: reportsFolder, root: root, display: display, &problems, &warnings)
    }
    links.checkCitations(report, &problems)
    // Warnings: figures without alt text, labels nobody references.
    for d in report.directives {
      if d.configured.common.alt.isEmpty, d.configured.presentation == .figure {
        warnings.append(
          Diagnostic(
            .warning, at: d.directive.kindLocation, length: d.directive.kind.count,
            "figure '\(d.label)' has no :alt: text; a description is generated from its data"))
      }
      if d.options.explicit.contains("label"), !referenced.contains(d.label) {
        let at = links.labels.targets[d.label]?.location ?? d.directive.location
        warnings.append(Diagnostic(.warning, at: at, length: d.label.count, "label '\(d.label)' is never referenced"))
      }
    }
    return (links, problems, warnings)
  }

  /// Figures and tables, equations and sections. Figures and tables are numbered by one rule,
  /// in the order they stand in the report: a directive by its kind's presentation, and a
  /// Markdown table with a caption line (`: Caption {#tbl-x}`) as a table. The page's captions
  /// read these numbers (`LabelTable.Target.number`), so a caption and a reference never differ.
  mutating func numberTargets(_ report: PlannedReport) {
    let doc = report.document
    let captions = doc.protected.tableCaptions
    let order =
      (report.directives.indices.map { (line: report.directives[$0].directive.location.line, directive: $0 as Int?, caption: nil as Int?) }
      + captions.indices.map { (line: captions[$0].lineLocation.line, directive: nil, caption: $0) }).sorted { $0.line < $1.line }
    var figure = 0, table = 0, captionNumbers: [(Int, Int)] = []
    for item in order {
      if let k = item.caption {
        table += 1
        captionNumbers.append((k, table))
        continue
      }
      guard let k = item.directive else { continue }
      let d = report.directives[k]
      let isTable = d.configured.presentation == .table
      if isTable { table += 1 } else { figure += 1 }
      let at =
        d.directive.options.first { $0.key == "label" }.map {
          $0.location(of: $0.value, path: doc.source.path)
        } ?? d.directive.location
      labels.add(d.label, isTable ? "Table \(table)" : "Figure \(figure)", at: at, number: isTable ? table : figure)
    }
    for label in report.failedLabels.sorted() where labels.targets[label] == nil {
      labels.add(label, "Figure ?", at: SourceLocation(path: doc.source.path, line: 1, column: 1))  // not shown: the build fails
    }
    labels.duplicates = []  // duplicate directive labels are reported by the parser
    for (k, number) in captionNumbers { labels.add(captions[k].label, "Table \(number)", at: captions[k].location, number: number) }
    var equation = 0
    for span in Self.protections(report).flatMap(\.spans) {
      guard let label = span.label else { continue }
      equation += 1
      equationNumbers[label] = equation
      labels.add(label, "Equation (\(equation))", at: span.location)
    }
    for s in doc.protected.sections {
      labels.add(s.label, s.number.isEmpty ? s.title : "Section \(s.number)", at: s.location)
    }
  }

  /// Every `@label` and inline value names a target: the labels referenced.
  func checkReferences(_ report: PlannedReport, _ problems: inout [Diagnostic]) -> Set<String> {
    let known = labels.targets.keys.sorted()
    var referenced = Set<String>()
    for p in Self.protections(report) {
      problems += p.calloutProblems
      for r in p.references {
        referenced.insert(r.label)
        if labels.targets[r.label] == nil {
          let suggestion = Suggestion.didYouMean(r.label, among: known).replacingOccurrences(of: "'", with: "'@").replacingOccurrences(
            of: "'@?", with: "'?")
          problems.append(Diagnostic(at: r.location, length: r.label.count + 1, "unknown reference '@\(r.label)'\(suggestion)"))
        }
      }
      for v in p.values {
        do {
          let value = try InlineValue(parsing: v.expression)
          referenced.insert(value.label)
          if !report.directives.contains(where: { $0.label == value.label }), !report.failedLabels.contains(value.label) {
            let labels = report.directives.map(\.label)
            problems.append(
              Diagnostic(
                at: v.location, length: value.label.count,
                "inline value: no directive labelled '\(value.label)'\(Suggestion.didYouMean(value.label, among: labels))"))
          }
        } catch {
          problems.append(
            Diagnostic(
              at: SourceLocation(path: v.location.path, line: v.location.line, column: v.location.column + error.offset),
              "inline value: \(error.message)"))
        }
      }
    }
    return referenced
  }

  /// The front matter's bibliography: inside the reports folder, UTF-8, valid BibTeX; dropped
  /// `url`/`doi` fields are warnings at their lines in the `.bib` file.
  mutating func readBibliography(
    _ file: String, _ report: PlannedReport, reportsFolder: URL, root: URL, display: (URL) -> String,
    _ problems: inout [Diagnostic], _ warnings: inout [Diagnostic]
  ) {
    let doc = report.document
    let url = URL(fileURLWithPath: doc.source.path, relativeTo: root).deletingLastPathComponent().appendingPathComponent(file)
    let at = doc.frontMatter.bibliographyLocation ?? SourceLocation(path: doc.source.path, line: 1, column: 1)
    if let outside = SiteBuilder.outside(url, folder: SiteBuilder.folder(of: reportsFolder)) {
      problems.append(
        Diagnostic(
          at: at, length: file.count,
          "bibliography '\(file)' resolves to \(outside), outside the reports folder \(display(reportsFolder)); only files inside it are read"
        ))
    } else if let data = try? Data(contentsOf: url), case .failure(let notUTF8) = SourceDecoding.decode(data, path: display(url)) {
      problems.append(notUTF8)  // at the first byte that is not UTF-8, in the .bib file
    } else if let text = (try? String(contentsOf: url, encoding: .utf8)).map(SourceFile.normalized) {  // CRLF, no sentinel
      do {
        let bib = try Bibliography(parsing: text)
        bibliography = bib
        let bibPath = display(url)
        bibliographyPath = bibPath
        for e in bib.entries.values.sorted(by: { $0.line < $1.line }) {
          for d in bib.link(e).dropped {
            warnings.append(
              Diagnostic(
                .warning, at: SourceLocation(path: bibPath, line: d.position.line, column: d.position.column), length: d.field.count,
                d.message))
          }
        }
      } catch {
        problems.append(
          Diagnostic(at: SourceLocation(path: display(url), line: error.line, column: error.column), "BibTeX: \(error.message)"))
      }
    } else {
      problems.append(Diagnostic(at: at, length: file.count, "bibliography '\(file)' not found (looked for \(display(url)))"))
    }
  }

  /// Every citation key is in the bibliography; the order of first citation (numbered style).
  mutating func checkCitations(_ report: PlannedReport, _ problems: inout [Diagnostic]) {
    for c in Self.protections(report).flatMap(\.citations) {
      for (key, location) in zip(c.keys, c.locations) {
        guard let bib = bibliography else {
          if report.document.frontMatter.bibliography == nil {
            problems.append(
              Diagnostic(
                at: location, length: key.count,
                "citation '@\(key)' but the report has no bibliography: add 'bibliography: refs.bib' to the front matter"))
          }
          continue
        }
        if bib.entries[key] == nil {
          problems.append(
            Diagnostic(
              at: location, length: key.count,
              "unknown citation key '\(key)'\(Suggestion.didYouMean(key, among: bib.entries.keys.sorted()))"))
        } else if !citationOrder.contains(key) {
          citationOrder.append(key)
        }
      }
    }
  }

  /// Inline values of a report, evaluated on its results: placeholder index → text, or problems.
  static func values(_ report: PlannedReport, results: [ExperimentResult]) -> ([[InlineText]], [Diagnostic]) {
    var problems: [Diagnostic] = []
    let texts = protections(report).map { p in
      p.values.map { v -> InlineText in
        guard let value = try? InlineValue(parsing: v.expression), let k = report.directives.firstIndex(where: { $0.label == value.label })
        else { return InlineText(text: "?") }
        do { return try value.evaluateText(results[k]) } catch let error as InlineValue.EvaluationError {
          problems.append(Diagnostic(at: v.location, length: v.expression.count, "inline value '\(v.expression)': \(error.message)"))
          return InlineText(text: "?")
        } catch {
          return InlineText(text: "?")
        }
      }
    }
    return (texts, problems)
  }

  /// `@label`: a link to its target, or the text as written when the label is unknown.
  func referenceHTML(_ r: ReferenceSpan) -> String {
    guard let t = labels.targets[r.label] else { return "@" + r.label }
    return
      "<a class=\"xref\" href=\"#\(HTMLText.escape(t.anchor))\">\(HTMLText.escape(Self.referenceText(t.text, after: r.precedingWord)))</a>"
  }

  /// A target's text after the word before the reference: "Section 2" after "Section" is "2"
  /// (any case: "see section @sec-x" reads "section 2"), so no word is written twice.
  static func referenceText(_ text: String, after word: String) -> String {
    guard !word.isEmpty, text.count > word.count, text.lowercased().hasPrefix(word.lowercased() + " ") else { return text }
    return String(text.dropFirst(word.count + 1))
  }

  /// `[@a; @b]`: numbered `[1, 2]` or author-year `(A 2020; B 2021)`, each linked to its entry.
  func citationHTML(_ c: CitationSpan) -> String {
    let parts = c.keys.map { key -> String in
      let text = authorYear ? (bibliography?.authorYear(key) ?? key) : String((citationOrder.firstIndex(of: key) ?? 0) + 1)
      return "<a class=\"citation\" href=\"#ref-\(HTMLText.escape(key))\">\(HTMLText.escape(text))</a>"
    }
    return authorYear ? "(" + parts.joined(separator: "; ") + ")" : "[" + parts.joined(separator: ", ") + "]"
  }

  /// The fields of a reference shown with their markup: the title and the venue.
  static let richFields = ["title", "journal", "booktitle", "publisher"]

  /// The formulas (`$…$`) in the cited references' titles and venues, at their fields in the
  /// `.bib` file: typeset with the page's formulas.
  var referenceMath: [MathSpan] {
    guard let bib = bibliography else { return [] }
    return citationOrder.flatMap { key -> [MathSpan] in
      guard let e = bib.entries[key] else { return [] }
      return Self.richFields.flatMap { field -> [MathSpan] in
        let p = e.positions[field] ?? Bibliography.Position(line: e.line, column: 1)
        return (e.texts[field]?.formulas ?? []).map {
          MathSpan(tex: $0, display: false, location: SourceLocation(path: bibliographyPath, line: p.line, column: p.column))
        }
      }
    }
  }

  /// The reference list, in citation order: titles and venues with their italics, bold and
  /// formulas (`math` renders a formula, as the page's inline math).
  func referenceList(math: (MathSpan) -> String = { HTMLText.escape($0.tex) }) -> String {
    guard let bib = bibliography, !citationOrder.isEmpty else { return "" }
    let list = authorYear ? "ul" : "ol"
    var html = "<section class=\"references\" id=\"references\">\n<h2>References</h2>\n<\(list)>\n"
    for key in citationOrder {
      let f = bib.formatted(key)
      func rich(_ field: String?, _ plain: String) -> String {
        guard let field, let t = bib.text(key, field) else { return HTMLText.escape(plain) }
        let at = SourceLocation(path: bibliographyPath, line: 1, column: 1)
        return t.html(escape: HTMLText.escape, math: { math(MathSpan(tex: $0, display: false, location: at)) })
      }
      var item = ""
      if !f.authors.isEmpty { item += HTMLText.escape(f.authors) + ". " }
      let title = rich("title", f.title)
      item += f.url.map { "<a href=\"\(HTMLText.escape($0))\">\(title)</a>" } ?? title
      item += "."
      if !f.venue.isEmpty { item += " <em>" + rich(bib.venueField(key), f.venue) + "</em>" + (f.year.isEmpty ? "." : ",") }
      if !f.year.isEmpty { item += " " + HTMLText.escape(f.year) + "." }
      html += "<li id=\"ref-\(HTMLText.escape(key))\">\(item)</li>\n"
    }
    return html + "</\(list)>\n</section>\n"
  }
}
