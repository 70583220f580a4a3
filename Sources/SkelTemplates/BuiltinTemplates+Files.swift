import Foundation

// `builtinTemplateFiles` is generated at build time into BuiltinTemplates.swift by
// Plugins/BuiltinTemplatesPlugin (see README.md); this file decodes it.

/// The package's `templates/` folder as built into the binary: the defaults a project's own
/// templates folder overrides file by file.
public enum BuiltinTemplates {
  /// Relative path (`page.mustache`, `style.css`, `assets/…`) → the file's bytes.
  public static let files: [String: [UInt8]] = builtinTemplateFiles.mapValues { Array(Data(base64Encoded: $0) ?? Data()) }
}
