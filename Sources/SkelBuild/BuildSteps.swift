import Foundation
import SkelDocument
import SkelExperiments
import SkelPlot

// The bodies of the steps of `Pipeline.site` that are not a single call (`BuildPipeline.swift`).

extension SiteBuilder {
  /// Takes the output's lock (`SiteWriter.lock`) and removes what interrupted builds left. The
  /// writer's warnings (a leftover it could not remove) reach the summary, even with --quiet.
  func lockOutput(_ run: BuildRun) throws {
    guard let output = run.output else { throw BuildError.stage(name: "", message: "no output folder was checked") }
    let log = self.log, context = run.context
    let writer = SiteWriter(
      output: output,
      log: { line in
        if line.hasPrefix("warning: ") { context.warn(line) } else { log(line) }
      })
    run.lock = try writer.lock()
    writer.recover()
    run.writer = writer
  }

  /// Computes (or loads) every directive's result, then evaluates the inline values that read
  /// them: errors at their positions.
  func runExperiments(_ run: BuildRun) throws {
    run.results = []
    for report in run.plans {
      var rs: [SiteBuilder.ExperimentResultWithTime] = []
      for d in report.directives {
        let (r, hit) = try compute(d, report: report, context: run.context)
        if hit { run.hits += 1 }
        rs.append(r)
      }
      run.results.append(rs)
    }
    var problems: [Diagnostic] = []
    run.valueTexts = []
    for (r, report) in run.plans.enumerated() {
      let (texts, p) = ReportLinks.values(report, results: run.results[r].map(\.result))
      run.valueTexts.append(texts)
      problems += p
    }
    if !problems.isEmpty { throw BuildError.diagnostics(problems.sorted(), sources: run.sourceTable) }
  }

  /// Typesets the math of pages, captions and result tables (tables are Markdown, so their
  /// cells may hold math).
  func typesetMath(_ run: BuildRun) throws {
    run.tables = run.plans.enumerated().map { (r, report) in
      report.directives.indices.map { k in
        run.results[r][k].result.table.map { MathProtection(TableMarkdown.markdown($0), path: report.document.source.path) }
      }
    }
    run.math = try typeset(run.plans, tables: run.tables, sources: run.sources, context: run.context)
  }

  /// Builds each directive's figure from its result and draws every image not in the cache.
  func drawFigures(_ run: BuildRun) throws {
    run.figures = run.plans.enumerated().map { (r, report) in
      report.directives.enumerated().map { (k, d) in d.configured.figure(for: run.results[r][k].result) }
    }
    run.images = try drawImages(run.plans, figures: run.figures, context: run.context)
  }

  /// Every report's page (figures, tables and data files beside it) and the index.
  func renderPages(_ run: BuildRun) throws {
    guard let math = run.math else { throw BuildError.stage(name: "", message: "math was not typeset") }
    var pages: [PageRenderer.ReportPage] = []
    let renderer = try PageRenderer(templates: configuration.templateSource)
    for (r, report) in run.plans.enumerated() {
      var figureHTML: [Int: String] = [:]
      var thumbnail: String?
      var figureNumber = 0, tableNumber = 0
      for (k, d) in report.directives.enumerated() {
        let result = run.results[r][k]
        let written = try writeFigure(d, figure: run.figures[r][k], result: result, report: report, images: run.images, into: &run.files)
        thumbnail = thumbnail ?? written.thumbnail
        let caption = math.captionHTML(report: r, directive: k, values: run.valueTexts[r][k + 1])
        let tableHTML = run.tables[r][k].map { math.tableHTML(report: r, $0) }
        switch d.configured.presentation {
        case .figure:
          guard written.hasImage else {
            throw BuildError.stage(
              name: "",
              message:
                "\(d.directive.location): directive '\(d.label)' (\(d.directive.kind)) is declared a figure but its kind drew none from this result; please report this"
            )
          }
          run.figureCount += 1
          figureNumber += 1
          figureHTML[k] = PageRenderer.figureHTML(
            label: d.label, number: figureNumber, caption: caption, alt: written.alt, width: written.width,
            height: written.height, formats: written.formats, dark: written.dark, table: tableHTML)
        case .table:
          tableNumber += 1
          figureHTML[k] = PageRenderer.tableHTML(label: d.label, number: tableNumber, caption: caption, table: tableHTML ?? "")
        }
      }
      let body = math.bodyHTML(report: r, figures: figureHTML, values: run.valueTexts[r][0])
      let page = PageRenderer.ReportPage(document: report.document, body: body, thumbnail: thumbnail)
      pages.append(page)
      run.files[report.document.name + "/index.html"] = Array(renderer.page(page).utf8)
    }
    run.files["index.html"] = Array(renderer.index(pages).utf8)
  }

  /// Publishes the pages, data files, images and assets atomically (`SiteWriter.publish`).
  func writeSite(_ run: BuildRun) throws {
    guard let writer = run.writer else { throw BuildError.stage(name: "", message: "the output was not locked") }
    var copies = try assetCopies()
    var files = run.files
    try configuration.templateSource.publish("style.css", as: "assets/style.css", files: &files, copies: &copies, stage: "Write site")
    try writer.publish(files: files, copies: copies)
    run.fileCount = files.count + copies.count
  }
}
