// The fuzzer's driver. Built by `make fuzz` with `-sanitize=fuzzer -DFUZZING`, it hands
// `FuzzEntry.run` to libFuzzer (LLVMFuzzerRunDriver; our `main` keeps libFuzzer's out of the
// link). Built plainly (`swift build`), it replays the files or folders given as arguments.
import Foundation
import SkelFuzzing

#if FUZZING
  @_silgen_name("LLVMFuzzerRunDriver")
  func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  var argc = CommandLine.argc
  var argv = Optional(CommandLine.unsafeArgv)
  exit(
    LLVMFuzzerRunDriver(&argc, &argv) { data, size in
      FuzzEntry.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
      return 0
    })
#else
  var count = 0
  for arg in CommandLine.arguments.dropFirst() {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else { continue }
    let files =
      isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []).sorted().map { arg + "/" + $0 } : [arg]
    for f in files {
      guard let data = FileManager.default.contents(atPath: f) else { continue }
      FuzzEntry.run(Array(data))
      count += 1
    }
  }
  print("replayed \(count) input\(count == 1 ? "" : "s")")
#endif
