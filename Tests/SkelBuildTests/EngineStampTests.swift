import Foundation
import SkelBuild
import SkelEngineStamp
import SkelStampHashing
import Testing

/// The engine stamp (`Engine.identity`), made at build time by Plugins/EngineStampPlugin.
@Suite struct EngineStampTests {
  /// The targets that compute results and draw figures (an independent copy of the plugin's list).
  static let engineTargets = [
    "SkelMath", "SkelData", "SkelKernels", "SkelExperiments", "SkelDocument", "CFastKernels", "SkelPlot", "SkelCairo",
  ]

  /// Every `.swift`, `.c` and `.h` file of the engine targets, and Package.swift, found by `find`.
  static func engineFiles() throws -> [String] {
    let dirs = engineTargets.map { "Sources/\($0)" }.joined(separator: " ")
    let out = try shell(
      "{ echo Package.swift; find \(dirs) -type f \\( -name '*.swift' -o -name '*.c' -o -name '*.h' \\); } | LC_ALL=C sort")
    return out.split(separator: "\n").map(String.init)
  }

  static func shell(_ script: String) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = packageRoot
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(script)")
    return String(decoding: data, as: UTF8.self)
  }

  @Test func identityIsTheVersionAndTheSourceHash() {
    #expect(Engine.identity == Engine.version + "+" + engineSourceHash)
    #expect(engineSourceHash.count == 64 && engineSourceHash.allSatisfy { "0123456789abcdef".contains($0) })
  }

  /// The stamp covers exactly the engine's sources, in byte order of their paths.
  @Test func stampCoversTheEngineSources() throws {
    let files = try Self.engineFiles()
    #expect(files.count > 50)
    #expect(engineSourceFiles == files)
    #expect(files.contains("Sources/CFastKernels/include/fastkernels.h") && files.contains("Sources/CFastKernels/fastkernels.c"))
  }

  /// The stamp compiled into this binary is `sha256sum` of the sources piped through `sha256sum`.
  @Test func stampIsTheSha256sumOfTheSources() throws {
    let out = try Self.shell(
      "{ echo Package.swift; find \(Self.engineTargets.map { "Sources/\($0)" }.joined(separator: " ")) -type f \\( -name '*.swift' -o -name '*.c' -o -name '*.h' \\); } | LC_ALL=C sort | xargs sha256sum | sha256sum"
    )
    #expect(out.split(separator: " ").first.map(String.init) == engineSourceHash)
  }

  /// One byte changed in any engine source (on a copy) changes the stamp; the copy unchanged
  /// hashes to the compiled stamp.
  @Test func oneChangedByteChangesTheStamp() throws {
    let copy = FileManager.default.temporaryDirectory.appendingPathComponent("stamp-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: copy) }
    for f in engineSourceFiles {
      let target = copy.appendingPathComponent(f)
      try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
      try FileManager.default.copyItem(at: packageRoot.appendingPathComponent(f), to: target)
    }
    #expect(try SourceStamp.hash(root: copy, paths: engineSourceFiles) == engineSourceHash)
    var seen: Set<String> = [engineSourceHash]
    for f in ["Package.swift", "Sources/CFastKernels/fastkernels.c", "Sources/SkelDocument/Directive.swift"] {
      let url = copy.appendingPathComponent(f)
      let original = try Data(contentsOf: url)
      var changed = original
      changed[changed.count / 2] ^= 0x01
      try changed.write(to: url)
      let hash = try SourceStamp.hash(root: copy, paths: engineSourceFiles)
      #expect(!seen.contains(hash), "\(f)")
      seen.insert(hash)
      try original.write(to: url)
    }
    #expect(try SourceStamp.hash(root: copy, paths: engineSourceFiles) == engineSourceHash)
  }

  /// The tool's SHA-256 against FIPS 180-4 examples and against OpenSSL at every padding boundary.
  @Test func sha256MatchesKnownAnswersAndOpenSSL() {
    #expect(SHA256Digest.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256Digest.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(
      SHA256Digest.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    #expect(
      SHA256Digest.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    for n in 0...200 {
      let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
      #expect(SHA256Digest.hex(bytes) == SHA256Hash.hex(Data(bytes)), "\(n) bytes")
    }
  }
}
