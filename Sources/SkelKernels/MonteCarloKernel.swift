import CBLAS
import Dispatch
import SkelMath

/// Monte-Carlo empirical kernels of finite random networks, as BLAS calls: the forward pass
/// H_l = relu(H_{l−1} W_l · √(2/fan_in)) through `dgemm`, then K = H Hᵀ / r through `dsyrk`.
/// Weights are drawn from per-layer, per-thread streams derived from the seed, so the result is
/// the same for any number of threads.
public enum MonteCarloKernel {
  /// One draw of the empirical NNGP of a depth-`depth` ReLU MLP of width r on inputs X (N × d).
  public static func reluMLP(_ x: Matrix, width r: Int, depth: Int, seed: UInt64) -> Matrix {
    var h = x
    for l in 0..<depth {
      let fanIn = h.columns
      let w = gaussianMatrix(rows: fanIn, columns: r, seed: seed, label: "layer \(l)")
      var next = Matrix(rows: h.rows, columns: r)
      let scale = (2 / Double(fanIn)).squareRoot()
      h.storage.withUnsafeBufferPointer { ph in
        w.storage.withUnsafeBufferPointer { pw in
          next.storage.withUnsafeMutableBufferPointer { pn in
            cblas_dgemm(
              CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(h.rows), Int32(r), Int32(fanIn), scale,
              ph.baseAddress, Int32(fanIn), pw.baseAddress, Int32(r), 0, pn.baseAddress, Int32(r))
            for i in 0..<pn.count where pn[i] < 0 { pn[i] = 0 }
          }
        }
      }
      h = next
    }
    return h.gram(dividedBy: Double(r))
  }

  /// A rows × columns matrix of standard normals, filled in parallel: each chunk of rows has its
  /// own stream (seed, label, chunk), so the bytes do not depend on the number of threads.
  public static func gaussianMatrix(rows: Int, columns: Int, seed: UInt64, label: String) -> Matrix {
    var m = Matrix(rows: rows, columns: columns)
    let chunk = 64
    let chunks = (rows + chunk - 1) / chunk
    m.storage.withUnsafeMutableBufferPointer { p in
      let out = SendablePointer(p.baseAddress!)
      Parallel.forEach(chunks) { c in
        var g = SeededGenerator(seed: seed, label: "\(label) rows \(c)")
        let start = c * chunk * columns, end = min(rows, (c + 1) * chunk) * columns
        for i in start..<end { out.pointer[i] = g.nextNormal() }
      }
    }
    return m
  }
}
