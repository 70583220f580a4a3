import Foundation
import SkelStampHashing

// SkelStampTool <package root> <output .swift file> <relative source path>...
// Run by Plugins/EngineStampPlugin on every build whose engine sources changed: writes
// `engineSourceHash` (SourceStamp.hash of the paths) into the output file.
let arguments = CommandLine.arguments
guard arguments.count >= 4 else {
  FileHandle.standardError.write(Data("usage: SkelStampTool <package root> <output.swift> <relative path>...\n".utf8))
  exit(2)
}
let root = URL(fileURLWithPath: arguments[1], isDirectory: true)
let paths = Array(arguments.dropFirst(3))
do {
  let hash = try SourceStamp.hash(root: root, paths: paths)
  let source = SourceStamp.swiftSource(hash: hash, paths: paths)
  // Rewritten only when it changes, so an unchanged stamp does not recompile SkelEngineStamp.
  let output = URL(fileURLWithPath: arguments[2])
  if (try? String(contentsOf: output, encoding: .utf8)) != source {
    try source.write(to: output, atomically: true, encoding: .utf8)
  }
} catch {
  FileHandle.standardError.write(Data("SkelStampTool: error: \(error)\n".utf8))
  exit(1)
}
