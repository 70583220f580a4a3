import Foundation
import SkelPlot
import Testing

@testable import SkelCairo

/// A dual-like figure used by the determinism and golden tests.
func sampleFigure() -> Figure {
  let xs = (0...100).map { Double($0) / 50 - 1 }
  let relu = xs.map { x in ((1 - x * x).squareRoot() + (Double.pi - acos(x)) * x) / Double.pi }
  return Figure(
    width: 288, height: 200,
    panels: [
      Axes(
        x: AxisSpec(label: "$\\rho$"), y: AxisSpec(label: "$\\hat\\sigma(\\rho)$"),
        lines: [LineSeries(name: "relu", x: xs, y: relu), LineSeries(name: "$e^{\\rho-1}$", x: xs, y: xs.map { exp($0 - 1) })])
    ])
}

let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

@Suite(.serialized) struct CairoBackendTests {
  let backend = CairoBackend()

  func scene() -> Scene { FigureLayout(theme: .light, measurer: backend).scene(for: sampleFigure()) }

  /// PNG and SVG are byte-identical across renders (SVG surface ids normalized); the PDF has fixed dates.
  @Test(arguments: ImageFormat.allCases)
  func deterministic(format: ImageFormat) throws {
    let a = try backend.render(scene(), as: format, pixelsPerPoint: 2)
    let b = try backend.render(scene(), as: format, pixelsPerPoint: 2)
    #expect(a == b, "\(format) differs between two renders")
    #expect(a.count > 1000)
  }

  @Test func formatsHaveTheirSignatures() throws {
    let png = try backend.render(scene(), as: .png, pixelsPerPoint: 2)
    #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    // PNG IHDR: width and height at 2 pixels per point
    let w = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(w == 576 && h == 400)
    let svg = String(decoding: try backend.render(scene(), as: .svg, pixelsPerPoint: 1), as: UTF8.self)
    #expect(svg.contains("<svg") && svg.contains("width=\"288pt\""))
    #expect(svg.contains("id=\"surface1\"") && !svg.contains("id=\"surface2"), "surface ids renumbered from 1")
    let pdf = try backend.render(scene(), as: .pdf, pixelsPerPoint: 1)
    #expect(String(decoding: pdf.prefix(5), as: UTF8.self) == "%PDF-")
  }

  /// pdftoppm (poppler) opens the PDF and rasterizes it at the right size.
  @Test func pdfOpensInPoppler() throws {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftoppm") else {
      Issue.record("pdftoppm missing: 'make test' installs poppler-utils")
      return
    }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("skel-pdf-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let pdf = dir.appendingPathComponent("f.pdf")
    try Data(try backend.render(scene(), as: .pdf, pixelsPerPoint: 1)).write(to: pdf)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/pdftoppm")
    p.arguments = ["-png", "-r", "72", pdf.path, dir.appendingPathComponent("page").path]
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    let page = try Data(contentsOf: dir.appendingPathComponent("page-1.png"))
    let w = page[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = page[20..<24].reduce(0) { $0 << 8 | Int($1) }
    #expect(w == 288 && h == 200)
  }

  /// Golden PNG, looked at by a person (Snapshots/sample-figure.png). Re-record with
  /// RECORD_SNAPSHOTS=1 and look at the new file before committing it; a missing baseline fails.
  @Test func goldenPNG() throws {
    try expectGolden(Data(try backend.render(scene(), as: .png, pixelsPerPoint: 2)), named: "sample-figure.png")
  }

  /// Pango measures real text: a wider string is wider, sizes scale linearly.
  @Test func pangoMeasures() {
    let f = FontSpec(family: "DejaVu Sans", size: 10)
    let a = backend.measure(runs: .plain("0.5"), font: f), b = backend.measure(runs: .plain("0.555"), font: f)
    #expect(b.width > a.width && a.width > 5)
    let big = backend.measure(runs: .plain("0.5"), font: FontSpec(family: "DejaVu Sans", size: 20))
    #expect(abs(big.width - 2 * a.width) < 0.5)
    #expect(a.height > 10 && a.height < 14, "DejaVu Sans at 10 pt has a line height of about 11.6 pt")
  }

  /// Remembered measurements are Pango's: a label measured again (and in the other order, by
  /// another backend that never measured anything before) has the extent Pango gave the first
  /// time, and a figure laid out in both themes measures each label once.
  @Test func rememberedMeasurementsArePangos() {
    let f = FontSpec(family: "DejaVu Sans", size: 10), g = FontSpec(family: "DejaVu Sans", size: 10, bold: true)
    let texts: [[TextRun]] = [.plain("0.5"), .plain("−1.25"), .plain("ρ"), .plain("input j (sorted by class)")]
    let first = texts.flatMap { [backend.measure(runs: $0, font: f), backend.measure(runs: $0, font: g)] }
    let again = texts.flatMap { [backend.measure(runs: $0, font: f), backend.measure(runs: $0, font: g)] }
    let fresh = CairoBackend()
    let reversed = Array(texts.reversed().flatMap { [fresh.measure(runs: $0, font: g), fresh.measure(runs: $0, font: f)] }.reversed())
    #expect(first == again)
    #expect(first == reversed, "measured in the other order, by a backend that remembered nothing")
    #expect(first[0] != first[1], "bold is another measurement")
    let counter = CairoBackend()
    _ = FigureLayout(theme: .light, measurer: counter).scene(for: sampleFigure())
    let afterLight = counter.measuredCount
    _ = FigureLayout(theme: .dark, measurer: counter).scene(for: sampleFigure())
    #expect(afterLight > 5 && counter.measuredCount == afterLight, "\(afterLight) then \(counter.measuredCount)")
  }
}

/// Compares with `Snapshots/<name>`: a PNG by its pixels (the encoder may change, what a person
/// looked at may not), anything else by its bytes. RECORD_SNAPSHOTS=1 records (and fails, so that
/// a person looks at the new file); a missing baseline fails.
func expectGolden(_ data: Data, named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
  let golden = snapshots.appendingPathComponent(name)
  if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
    try data.write(to: golden)
    Issue.record(
      "recorded a new baseline at \(golden.path); look at it, then run again without RECORD_SNAPSHOTS", sourceLocation: sourceLocation)
    return
  }
  guard let expected = try? Data(contentsOf: golden) else {
    Issue.record("no baseline at \(golden.path); run with RECORD_SNAPSHOTS=1", sourceLocation: sourceLocation)
    return
  }
  if name.hasSuffix(".png") {
    let ours = DecodedPNG(Array(data)), theirs = DecodedPNG(Array(expected))
    #expect(ours != nil && theirs != nil, "\(name): not a PNG", sourceLocation: sourceLocation)
    #expect(
      ours == theirs, "\(name): pixels differ from the golden file (fonts or cairo/pango versions changed?)", sourceLocation: sourceLocation
    )
  } else {
    #expect(
      data == expected, "\(name) differs from the golden file (fonts or cairo/pango versions changed?)", sourceLocation: sourceLocation)
  }
}
