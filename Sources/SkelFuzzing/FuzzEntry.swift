import SkelDocument
import SkelExperiments
import SkelKernels

/// One fuzzing input through the parsers a report reaches before anything runs. The first byte
/// picks the target, the rest is its text:
/// - 0: a whole report (front matter, prose scanner, directives, math, references), every
///   directive validated against the standard kinds with their science checks;
/// - 1: one option value, put into a directive of the kind and option picked by the second byte;
/// - 2: an activation expression, parsed and evaluated with its derivative;
/// - 3: a BibTeX database.
/// Every target must return (an error is fine); a trap, a stack overflow or a hang is a finding.
public enum FuzzEntry {
  static let schemas = ExperimentRegistry.standard.schemas
  /// The standard kinds' option lists, by kind name in order.
  static let kinds = schemas.sorted { $0.key < $1.key }.map { (name: $0.key, options: $0.value.options) }

  public static func run(_ bytes: [UInt8]) {
    guard let first = bytes.first else { return }
    switch first % 4 {
    case 0: report(String(decoding: bytes.dropFirst(), as: UTF8.self))
    case 1:
      guard bytes.count >= 2, !kinds.isEmpty else { return }
      let (kind, options) = kinds[Int(bytes[1]) % kinds.count]
      guard !options.isEmpty else { return }
      let option = options[Int(bytes[1] / UInt8(kinds.count)) % options.count].name
      let value = String(decoding: bytes.dropFirst(2), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
      report("---\ntitle: F\n---\n\n```{kernel} \(kind)\n:\(option): \(value)\n\nCaption.\n```\n")
    case 2:
      if let e = try? ActivationExpression(String(decoding: bytes.dropFirst(), as: UTF8.self)) {
        _ = e.value(0.3) + e.derivative(-1.7)
      }
    default:
      _ = try? Bibliography(parsing: String(decoding: bytes.dropFirst(), as: UTF8.self))
    }
  }

  static func report(_ text: String) {
    let (doc, _) = DocumentParser.parse(SourceFile(path: "fuzz.md", text: text), name: "fuzz")
    for d in doc.directives where !d.kind.isEmpty {
      let (options, _) = DirectiveValidator.validate(d, schemas: schemas)
      if let schema = schemas[d.kind] { _ = ActivationChecks.check(d, schema: schema) }
      // typed options, the kind's own checks and its cost estimate (all run before any experiment)
      if let options, let kind = ExperimentRegistry.standard.kinds[d.kind], case (let typed?, _) = kind.configure(options, directive: d) {
        _ = typed.cost()
      }
    }
  }
}
