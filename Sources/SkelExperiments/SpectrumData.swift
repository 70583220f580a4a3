import SkelDocument
import SkelKernels
import SkelMath

/// An `inputs` option that may be absent (`value` nil: the kind's own inputs); written `none` in
/// the docs, as `NetworkValue` is.
public struct OptionalInputs: OptionConvertible {
  public var value: InputsValue?
  public init(_ value: InputsValue? = nil) { self.value = value }
  public init?(typed: TypedValue) {
    if case .list(let items) = typed, items.isEmpty {
      self.init()
      return
    }
    guard let v = InputsValue(typed: typed) else { return nil }
    self.init(v)
  }
  public var typed: TypedValue { value?.typed ?? .list([]) }
  public var spelling: String { value?.spelling ?? "none" }
}

/// `spectrum` on a batch of inputs (issue 19): the Gram matrices of the network on the inputs
/// read as vectors (H×W×C images flattened), and the tail sums of their labels.
extension SpectrumKind {
  /// The inputs as vectors, or nil for the generated Unif[-1, 1]^d.
  static func batch(_ o: Options, context: RunContext) throws -> InputBatch? {
    guard let v = o.inputs.value else { return nil }
    guard case .batch(var b) = try v.inputs(seed: context.seed, files: context.files) else {
      throw ExperimentError("spectrum takes a batch of inputs, not pairs(…)")
    }
    b.shape = InputShape(channels: b.size)
    return b
  }

  /// Σ over classes of the tail sums of the class indicator (one-hot labels) in the eigenbasis of
  /// `kernel`: T₁ = 1 exactly (each input is in one class).
  static func labelTailSums(_ batch: InputBatch?, kernel: Matrix) throws -> [Double] {
    guard let labels = batch?.labels else { throw ExperimentError("the target 'labels' needs inputs with labels") }
    var total = [Double](repeating: 0, count: labels.count)
    for c in Set(labels).sorted() {
      let t = try KernelRegression.tailSums(labels.map { $0 == c ? 1 : 0 }, kernel: kernel)
      for i in total.indices { total[i] += t[i] }
    }
    return total
  }

  /// `inputs` replaces `dimensions` and `points`; `labels` needs inputs with labels.
  func inputsProblems(_ o: Options, directive: Directive) -> [Diagnostic] {
    var out: [Diagnostic] = []
    func at(_ key: String, _ message: String) {
      guard let raw = directive.options.first(where: { $0.key == key }) else { return }
      let loc = SourceLocation(path: raw.keyLocation.path, line: raw.line, column: raw.value.column)
      out.append(Diagnostic(at: loc, length: raw.value.length, message))
    }
    if let v = o.inputs.value {
      if case .pairs = v.source {
        at("inputs", "spectrum takes a batch of inputs (a file, fashion-mnist(…), gaussian(n, d), …), not pairs(…)")
      }
      let both = directive.options.filter { $0.key == "dimensions" || $0.key == "points" }.map { "'\($0.key)'" }
      if !both.isEmpty { at("inputs", "'inputs' replaces \(both.joined(separator: " and ")); give one of them") }
    }
    if o.quantity == .tailSums, o.targets.contains(.labels), !(o.inputs.value.map(GramKind.hasLabels) ?? false) {
      at("targets", "the target 'labels' needs inputs with labels (fashion-mnist(…) or a CSV file with labels=COLUMN)")
    }
    return out
  }
}
