import Foundation
import SkelDocument
import SkelExperiments
import SkelMath
import SkelPlot

// The bodies of the steps of `Pipeline.site` that are not a single call (`BuildPipeline.swift`).

extension SiteBuilder {
  /// Takes the output's lock (`SiteWriter.lock`) and removes what interrupted builds left. The
  /// writer's warnings (a leftover it could not remove) reach the summary, even with --quiet.
  /// With `upToDateCheck`, it then reads the last build's manifest and finds which files of the
  /// site are still as that build wrote them (`BuildRun.intact`).
  func lockOutput(_ run: BuildRun) throws {
    if run.lock == nil { try takeLock(run) }  // else taken by the up-to-date check
    guard configuration.upToDateCheck, memory == nil, let output = run.output else { return }
    if run.manifest == nil { run.manifest = BuildManifest.load(manifestURL(output)) }
    // identities made from keys (images, data files, arrays) hold for the binary that made them
    let binary = BuildManifest.executable.flatMap { FileStamp.of($0) }
    run.intact = run.manifest.flatMap { $0.binary == binary ? $0.intactFiles(output: output.path) : nil } ?? [:]
    if !run.intact.isEmpty {
      run.context.previousCoverings = run.manifest?.coverings ?? [:]
      run.context.previousSizes = run.manifest?.sizes ?? [:]
    }
  }

  func takeLock(_ run: BuildRun) throws {
    guard let output = run.output else { throw BuildError.stage(name: "", message: "no output folder was checked") }
    let log = self.log, context = run.context
    var writer = SiteWriter(
      output: output,
      log: { line in
        if line.hasPrefix("warning: ") { context.warnOnce(line) } else { log(line) }
      })
    if configuration.updateInPlace { writer.sync = .none }
    run.lock = try writer.lock()
    writer.recover()
    run.writer = writer
  }

  /// Computes (or loads) every directive's result, then evaluates the inline values that read
  /// them: errors at their positions. Directives of all reports run side by side on the
  /// configured threads, the longest (by estimate) first; one that fails does not stop the
  /// others, and every failure is reported. Each result depends only on its directive, so the
  /// bytes do not depend on the thread count or the order.
  func runExperiments(_ run: BuildRun) throws {
    // one job per unit: a directive, or one point of a sweep; a directive after its `:from:`
    let plans = UncheckedSendable(run.plans), context = run.context, builder = UncheckedSendable(self)
    let scheduler = UnitScheduler(plans: run.plans) { index, units in
      let d = plans.value[index.report].directives[index.directive]
      return d.points.isEmpty ? units[0].result : try builder.value.mergeSweep(d, units, report: plans.value[index.report]).result
    }
    // the build's own threads (`Compute.onThreads`), not GCD's pool, which may run them one
    // after another on a busy process
    let workers = max(1, min(configuration.compute.threads, scheduler.jobs.count))
    let writes = CacheWrites()  // the computed results, stored together when all have run
    Compute.onThreads(workers) { _ in
      while let (j, upstream) = scheduler.next() {
        let job = scheduler.jobs[j], report = plans.value[job.index.report]
        let unit = report.directives[job.index.directive].units[job.unit]
        let compute = Compute(threads: scheduler.threads(total: builder.value.configuration.compute.threads, workers: workers))
        scheduler.finish(
          j,
          Result {
            try builder.value.compute(unit, report: report, context: context, upstream: upstream, writes: writes, compute: compute)
          })
      }
    }
    writes.flush(in: run.background)
    let jobs = scheduler.jobs.map { ($0.index.report, $0.index.directive, $0.unit) }
    try collect(scheduler.outcomes, jobs: jobs, into: run)
    // what each key was made of, for `skelreport why` after the next edit
    var records: [String: KeyRecord] = [:]
    for report in run.plans {
      for d in report.directives {
        records["\(report.document.name)/\(d.label)"] = KeyRecord(
          d, engine: configuration.engine, upstream: Self.upstreamName(d, plans: run.plans))
      }
    }
    KeyRecords(cache: configuration.cache).store(records)
    var problems: [Diagnostic] = []
    run.valueTexts = []
    for (r, report) in run.plans.enumerated() {
      let (texts, p) = ReportLinks.values(report, results: run.results[r].map(\.result))
      run.valueTexts.append(texts)
      problems += p
    }
    if !problems.isEmpty { throw BuildError.diagnostics(problems.sorted(), sources: run.sourceTable) }
  }

  /// Results in report and directive order, or every failure at once.
  func collect(_ outcomes: [Int: Result<(ExperimentResultWithTime, Bool), Error>], jobs: [(Int, Int, Int)], into run: BuildRun) throws {
    var units = run.plans.map { $0.directives.map { d in d.units.map { _ in ExperimentResultWithTime?.none } } }
    var problems: [Diagnostic] = [], other: Error?
    var recomputed = Set<[Int]>()
    for (j, (r, k, u)) in jobs.enumerated() {
      switch outcomes[j] {
      case .success(let (result, hit))?:
        units[r][k][u] = result
        if !hit { recomputed.insert([r, k]) }
      case .failure(BuildError.diagnostics(let ds, _))?: problems += ds
      case .failure(let e)?: other = other ?? e
      case nil: other = other ?? BuildError.stage(name: "", message: "a directive was not run")
      }
    }
    if !problems.isEmpty { throw BuildError.diagnostics(Array(Set(problems)).sorted(), sources: run.sourceTable) }
    if let other { throw other }
    var results: [[ExperimentResultWithTime]] = []
    for (r, report) in run.plans.enumerated() {
      results.append([])
      for (k, d) in report.directives.enumerated() {
        let done = units[r][k].compactMap { $0 }
        guard done.count == units[r][k].count else { throw BuildError.stage(name: "", message: "a directive was not run") }
        var result = d.points.isEmpty ? done[0] : try mergeSweep(d, done, report: report)
        if let check = d.checks.first, done.count == 2 {
          if let failed = Self.evaluate(check, &result.result, twin: done[1].result, path: report.document.source.path) {
            problems.append(failed)
          }
        }
        results[r].append(result)
        if !recomputed.contains([r, k]) { run.hits += 1 }
      }
    }
    if !problems.isEmpty { throw BuildError.diagnostics(problems.sorted(), sources: run.sourceTable) }
    run.results = results
    run.recomputed = recomputed.sorted { $0.lexicographicallyPrecedes($1) }.map {
      "\(run.plans[$0[0]].document.name)/\(run.plans[$0[0]].directives[$0[1]].label)"
    }
  }

  /// Typesets the math of pages and captions before any experiment runs, so a TeX error is
  /// reported with the other problems of the reports, not after minutes of computing.
  func typesetMath(_ run: BuildRun) throws {
    let none = run.plans.map { $0.directives.map { _ in MathProtection?.none } }
    run.math = try typeset(run.plans, tables: none, sources: run.sources, context: run.context)
  }

  /// Typesets the math of the result tables (tables are Markdown, so their cells may hold
  /// math; they exist only once the experiments ran), added to the pages' math.
  func typesetTables(_ run: BuildRun) throws {
    run.tables = run.plans.enumerated().map { (r, report) in
      report.directives.indices.map { k in
        let d = report.directives[k]
        return run.results[r][k].result.table.flatMap { t in
          let shown = TableMarkdown.markdown(
            t, d.configured.common.table.resolved(rows: t.rows.count, presentation: d.configured.presentation))
          // a shown column title or cell that reads as code (`kappa(t=1)`), said as the figures' are
          if shown != nil {
            for f in LabelAudit.findings(t) { run.context.warn("\(d.directive.location): warning: table of '\(d.label)': \(f)") }
          }
          return shown.map { MathProtection($0, path: report.document.source.path) }
        }
      }
    }
    let tables = try typeset(run.plans, tables: run.tables, sources: run.sources, context: run.context, document: false)
    run.math = run.math.map { TypesetMath(plans: run.plans, rendered: $0.rendered.merging(tables.rendered) { a, _ in a }) } ?? tables
  }

  /// Builds each directive's figure from its result and draws every image not in the cache.
  /// A figure whose every image the site holds unchanged, with its size and coverings known from
  /// the last build, is not made from its result (a Gram heat map's block means took 5–15 ms of
  /// a prose edit's build): its images are kept and its size is all the page needs.
  func drawFigures(_ run: BuildRun) throws {
    run.knownSizes = run.plans.map { report in report.directives.map { knownSize($0, run) } }
    // made on all cores (a Gram heat map's block means, a phase diagram's grid)
    let shared = UncheckedSendable(run)
    run.figures = mapDirectives(run.plans) { r, k -> Figure? in
      let run = shared.value
      return run.knownSizes[r][k] != nil ? nil : run.plans[r].directives[k].configured.figure(for: run.results[r][k].result)
    }
    run.figuresMade = run.plans.enumerated().flatMap { (r, report) in
      report.directives.indices.filter { run.figures[r][$0] != nil }.map { report.document.name + "/" + report.directives[$0].label }
    }
    run.images = try drawImages(
      run.plans, figures: run.figures, known: run.knownSizes, context: run.context, intact: run.intact, background: run.background)
  }

  /// The last build's size of a figure whose images are all intact and whose coverings it
  /// recorded, or nil (the figure is made).
  func knownSize(_ d: PlannedDirective, _ run: BuildRun) -> FigureSize? {
    guard memory == nil, !run.intact.isEmpty else { return nil }
    let all = renders(d)
    guard let first = all.first, all.allSatisfy({ run.intact[Self.imageIdentity(figureKey(d, $0))] != nil }) else { return nil }
    let key = figureKey(d, first)
    guard run.context.previousCoverings[key] != nil, let size = run.context.previousSizes[key], size.isPlausible else { return nil }
    return size
  }

  /// Every report's page (figures, tables and data files beside it) and the index.
  func renderPages(_ run: BuildRun) throws {
    guard let math = run.math else { throw BuildError.stage(name: "", message: "math was not typeset") }
    var pages: [PageRenderer.ReportPage] = []
    let renderer = try PageRenderer(templates: configuration.templateSource)
    let data = try madeDataFiles(run)
    let order = SiteChrome.readingOrder(run.plans.map(\.document))
    var sections: [SiteChrome.Section] = []
    for (r, report) in run.plans.enumerated() {
      var figureHTML: [Int: String] = [:]
      var thumbnail: String?, thumbnailDark: String?
      for (k, d) in report.directives.enumerated() {
        let number = report.links.labels.targets[d.label]?.number ?? 0  // one numbering rule: ReportLinks.numberTargets
        let result = run.results[r][k]
        let written = try writeFigure(
          d, figure: run.figures[r][k], known: run.knownSizes[r][k], data: data[r][k], result: result, report: report, into: run)
        if thumbnail == nil, let t = written.thumbnail { (thumbnail, thumbnailDark) = (t, written.thumbnailDark) }
        let caption =
          math.captionHTML(report: r, directive: k, values: run.valueTexts[r][k + 1].map(\.html)) + Self.checkBadges(result.result)
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
          figureHTML[k] = PageRenderer.figureHTML(
            label: d.label, number: number, caption: caption, alt: written.alt, width: written.width,
            height: written.height, formats: written.formats, dark: written.dark, table: tableHTML, arrays: written.arrays,
            phone: written.phone)
        case .table:
          figureHTML[k] = PageRenderer.tableHTML(label: d.label, number: number, caption: caption, table: tableHTML ?? "")
        }
      }
      let doc = report.document
      let macros = doc.frontMatter.macros
      let (body, headings) = SiteChrome.identifyHeadings(
        SiteChrome.cleanMathML(SiteChrome.wrapTables(pageBody(math, report: r, run, figures: figureHTML))), macros: macros)
      var page = PageRenderer.ReportPage(document: doc, body: body, thumbnail: thumbnail, thumbnailDark: thumbnailDark, headings: headings)
      // the abstract's inline values come after the body's and the captions' (`ReportLinks.protections`)
      let abstractValues =
        run.valueTexts[r].indices.contains(report.directives.count + 1) ? run.valueTexts[r][report.directives.count + 1] : []
      page.abstract = math.abstractHTML(report: r, values: abstractValues.map(\.html)).map(SiteChrome.cleanMathML)
      pages.append(page)
      run.files[doc.name + "/index.html"] = .bytes(Array(renderer.page(page, order: order).utf8))
      if !doc.frontMatter.draft {
        sections += SiteChrome.sections(
          body: body, headings: headings, page: doc.frontMatter.title, title: doc.frontMatter.title, href: doc.name + "/index.html",
          abstract: page.abstract, macros: macros)
      }
    }
    run.files["index.html"] = .bytes(Array(renderer.index(pages, order: order).utf8))
    run.files["assets/search-index.js"] = .bytes(SiteChrome.searchScript(sections))
    run.files["build.html"] = .bytes(Array(buildPage(run).utf8))
  }

  /// Each directive's JSON and CSV as the site gets them (`dataSiteFiles`), made on all cores (a
  /// figure's data is encoded by Foundation's JSONEncoder: 60 ms of one thread for the 12 figures
  /// of a three-page report).
  func madeDataFiles(_ run: BuildRun) throws -> [[DataSiteFiles]] {
    let shared = UncheckedSendable((run, self))
    return try mapDirectives(run.plans) { r, k in
      let (run, builder) = shared.value
      return Result {
        try builder.dataSiteFiles(run.plans[r].directives[k], result: run.results[r][k], report: run.plans[r].document.name, run: run)
      }
    }.map { try $0.map { try $0.get() } }
  }

  /// `body(r, k)` for directive k of report r, for every directive of `plans`, on the configured
  /// threads; the results as `plans` holds the directives.
  func mapDirectives<T: Sendable>(_ plans: [PlannedReport], _ body: @Sendable (Int, Int) -> T) -> [[T]] {
    let flat = plans.indices.flatMap { r in plans[r].directives.indices.map { (r, $0) } }
    let made = configuration.compute.map(flat.count) { body(flat[$0].0, flat[$0].1) }
    var out: [[T]] = [], start = 0
    for report in plans {
      out.append(Array(made[start..<(start + report.directives.count)]))
      start += report.directives.count
    }
    return out
  }

  /// The page's badge of each check a result passed (the build fails on one it did not): the
  /// method and the error it measured against the tolerance.
  static func checkBadges(_ result: ExperimentResult) -> String {
    result.checks.map { c in
      let text = String(format: "check ✓ %@: max |Δ| = %.2g ≤ %g", HTMLEscape.text(c.method), c.maxAbsError, c.tolerance)
      return " <span class=\"check-badge \(c.passed ? "pass" : "fail")\">\(text)</span>"
    }.joined()
  }

  /// A page's body HTML, from the builder's memory when everything it is made of is unchanged:
  /// the report's text, its links (labels, numbers, bibliography), its figures' and tables' HTML
  /// and its inline values (the key is all of them, as text, so a hit is never stale). Rendered
  /// bodies are listed in `run.rendered`.
  func pageBody(_ math: TypesetMath, report r: Int, _ run: BuildRun, figures: [Int: String]) -> String {
    let plan = run.plans[r], values = run.valueTexts[r][0].map(\.html)
    let parts =
      [plan.document.source.path, plan.document.source.text, "\(plan.document.trustsHTML)", Self.fingerprint(plan.links)]
      + figures.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" } + values
    let key = parts.joined(separator: "\u{1F}")
    if let held = memory?.body(key) { return held }
    let body = math.bodyHTML(report: r, figures: figures, values: values)
    memory?.keep(body: body, key: key)
    run.rendered.append(plan.document.name)
    return body
  }

  /// Everything a page takes from its links, as text in a fixed order (dictionaries sorted; a
  /// `Dictionary`'s own order differs between equal values).
  static func fingerprint(_ links: ReportLinks) -> String {
    func sorted(_ d: [String: String]) -> String {
      d.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\u{1E}")
    }
    var parts = ["\(links.authorYear)", links.citationOrder.joined(separator: ","), sorted(links.equationNumbers.mapValues { "\($0)" })]
    parts.append(sorted(links.labels.targets.mapValues { "\($0.text)#\($0.anchor)" }))
    for (key, e) in (links.bibliography?.entries ?? [:]).sorted(by: { $0.key < $1.key }) {
      parts.append("\(key):\(e.type):\(sorted(e.fields)):\(sorted(e.texts.mapValues(\.signature)))")
    }
    return parts.joined(separator: "\u{1D}")
  }

  /// The build page (`BuildPage`) of this run.
  func buildPage(_ run: BuildRun) -> String {
    var rows: [BuildPage.Row] = []
    let recomputed = Set(run.recomputed)
    for (r, report) in run.plans.enumerated() {
      for (k, d) in report.directives.enumerated() {
        let name = report.document.name
        rows.append(
          BuildPage.Row(
            report: name, label: d.label, kind: d.directive.kind, cached: !recomputed.contains("\(name)/\(d.label)"),
            seconds: run.results[r][k].seconds))
      }
    }
    return BuildPage.html(
      rows: rows, steps: run.context.timings, reproducible: configuration.reproducible, generator: "skelreport \(Engine.version)")
  }

  /// Publishes the pages, data files, images and assets atomically (`SiteWriter.publish`); with
  /// `upToDateCheck`, the files the current site holds unchanged are kept (linked, not written)
  /// and the build is recorded in its manifest.
  func writeSite(_ run: BuildRun) throws {
    guard let writer = run.writer else { throw BuildError.stage(name: "", message: "the output was not locked") }
    var copies = try assetCopies()
    var assets: [String: [UInt8]] = [:]
    try configuration.templateSource.publish("style.css", as: "assets/style.css", files: &assets, copies: &copies, stage: "Write site")
    try configuration.templateSource.publish("site.js", as: "assets/site.js", files: &assets, copies: &copies, stage: "Write site")
    var files = run.files.merging(assets.mapValues { SiteFile.bytes($0) }) { a, _ in a }
    run.fileCount = files.count + copies.count
    if configuration.updateInPlace, let memory {
      let previous = memory.published
      memory.published = nil  // a failed update leaves the site unknown: the next one publishes it whole
      memory.published = try writer.update(files: files, copies: copies, previous: previous)
      return
    }
    guard configuration.upToDateCheck, memory == nil else { return try writer.publish(files: files, copies: copies) }
    let identities = keepUnchanged(&files, &copies, run)
    try writer.publish(files: files, copies: copies)
    storeManifest(run, identities: identities)
  }

  /// Every site file's identity (`BuildManifest.site`), and each file the current site holds with
  /// that identity, intact, turned into `SiteFile.kept` (a copy's identity is its source's path and
  /// stamp).
  func keepUnchanged(_ files: inout [String: SiteFile], _ copies: inout [String: URL], _ run: BuildRun) -> [String: String] {
    var identities: [String: String] = [:]
    for (path, file) in files {
      guard let identity = run.identities[path] ?? file.contentIdentity else { continue }
      identities[path] = identity
      if let old = run.intact[identity] { files[path] = .kept(old) }
    }
    for (path, url) in copies {
      guard let stamp = FileStamp.of(url.path) else { continue }
      let identity = "copy:\(url.standardizedFileURL.path):\(stamp.inode):\(stamp.size):\(stamp.mtime):\(stamp.ctime)"
      identities[path] = identity
      if let old = run.intact[identity] {
        files[path] = .kept(old)
        copies[path] = nil
      }
    }
    return identities
  }
}

/// A value handed to the threads of one step that only read it (the plans, the builder).
struct UncheckedSendable<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
