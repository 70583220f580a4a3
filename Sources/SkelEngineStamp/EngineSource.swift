// The stamp itself, `engineSourceHash` and `engineSourceFiles`, is generated at build time into
// EngineStamp.swift by Plugins/EngineStampPlugin (see README.md); this file only keeps the
// target non-empty for SwiftPM, which drops a target without a source file of its own.

/// What `engineSourceHash` covers: the targets whose sources determine cached results and images.
public let engineSourceTargets = [
  "SkelMath", "SkelData", "SkelKernels", "SkelExperiments", "SkelDocument", "CFastKernels", "SkelPlot", "SkelCairo",
]
