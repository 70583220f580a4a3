import Foundation
import SkelExperiments

/// The cache key of a directive's result: the SHA-256 of what determines it and nothing else —
/// the kind, the engine (`Engine.identity`), the seed, the compute options in canonical form
/// (`ConfiguredDirective.canonicalOptions`: typed values, so spacing, option order and equivalent
/// spellings give one key; presentation options are not in it by construction) and the content
/// hashes of the input files the directive reads.
struct CacheKey: Hashable, Sendable, CustomStringConvertible {
  let hex: String

  init(kind: String, engine: String, seed: UInt64, options: String, inputs: [(path: String, sha256: String)] = []) {
    var text = "skelreport-result-key 1\nkind=\(kind)\nengine=\(engine)\nseed=\(seed)\n\(options)\n"
    for input in inputs.sorted(by: { $0.path < $1.path }) { text += "input \(input.path) \(input.sha256)\n" }
    hex = SHA256Hash.hex(text)
  }

  init(_ d: ConfiguredDirective, seed: UInt64, engine: String = Engine.identity, inputs: [(path: String, sha256: String)] = []) {
    self.init(kind: d.kind, engine: engine, seed: seed, options: d.canonicalOptions, inputs: inputs)
  }

  var description: String { hex }
}
