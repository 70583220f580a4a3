import CBLAS
import Dispatch
import SkelMath

/// Monte-Carlo empirical kernels of finite random networks, as BLAS calls.
///
/// A layer's pre-activations H_{l−1} W_l · √(2/fan_in) with W_l ~ N(0, 1) (fan_in × r) have, given
/// H_{l−1}, r i.i.d. columns N(0, Σ) with Σ = (2/fan_in) H_{l−1} H_{l−1}ᵀ (N × N). So a layer can be
/// drawn either by the forward product (`dgemm`, 2·N·fan_in·r flops) or, exactly in law, as L·Z
/// with L Lᵀ = Σ (`dsyrk`, `dpotrf`) and Z an N × r matrix of standard normals (`dtrmm`):
/// N²·fan_in + N³/3 + N²·r flops. The second is the one `Realization` uses for two inputs
/// (science.md §9 note); for N = 1000 inputs at width 4096 it does a quarter of the flops (each
/// layer's Gram H Hᵀ is computed once: as the next layer's Σ, or as the kernel). `reluMLP` takes
/// the cheaper route per layer; a singular Σ (fan_in < N, repeated inputs) takes the forward
/// product. Either way the result is a draw of the
/// same random kernel, not of the same weights. Normals come from per-layer, per-chunk streams
/// derived from the seed, so the result is the same for any number of threads.
public enum MonteCarloKernel {
  /// How a layer is drawn.
  public enum Route: Sendable { case cheaper, forward, gram }

  /// One draw of the empirical NNGP K = H Hᵀ / r of a depth-`depth` ReLU MLP of width r,
  /// H_l = relu(H_{l−1} W_l · √(2/fan_in)), on inputs X (N × d); normals and OpenBLAS on
  /// `compute`'s threads.
  public static func reluMLP(_ x: Matrix, width r: Int, depth: Int, seed: UInt64, route: Route = .cheaper, compute: Compute) -> Matrix {
    compute.blas { reluMLPLayers(x, width: r, depth: depth, seed: seed, route: route, compute: compute) }
  }

  static func reluMLPLayers(_ x: Matrix, width r: Int, depth: Int, seed: UInt64, route: Route, compute: Compute) -> Matrix {
    let n = x.rows
    var h = x
    for l in 0..<depth {
      let fanIn = h.columns
      let forwardFlops = 2 * Double(n) * Double(fanIn) * Double(r)
      let gramFlops = Double(n * n) * Double(fanIn) + Double(n * n * n) / 3 + Double(n * n) * Double(r)
      let tryGram = route == .gram || (route == .cheaper && gramFlops < forwardFlops)
      if tryGram, fanIn >= n {
        if let pre = choleskyPreactivations(
          h.gram(), scale: 2 / Double(fanIn), width: r, seed: seed, label: "layer \(l) gram", compute: compute)
        {
          h = pre
          h.storage.withUnsafeMutableBufferPointer { p in for i in 0..<p.count where p[i] < 0 { p[i] = 0 } }
          continue
        }
      }
      let w = gaussianMatrix(rows: fanIn, columns: r, seed: seed, label: "layer \(l)", compute: compute)
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

  /// L·Z with L Lᵀ = scale · G (G symmetric N × N) and Z ~ N(0, 1)^{N × r}: r i.i.d. columns
  /// N(0, scale · G). Nil when `dpotrf` finds G not positive definite.
  static func choleskyPreactivations(_ g: Matrix, scale: Double, width r: Int, seed: UInt64, label: String, compute: Compute) -> Matrix? {
    let n = g.rows
    var a = g.storage
    for i in a.indices { a[i] *= scale }
    var order = Int32(n), lda = Int32(n), info: Int32 = 0
    // Row-major storage of a symmetric matrix is its column-major storage. LAPACK's lower factor L
    // (column-major) is, read row-major, Lᵀ in the upper triangle.
    var uplo = CChar(UInt8(ascii: "L"))
    Compute.singleThreadedBLAS { dpotrf_(&uplo, &order, &a, &lda, &info) }
    guard info == 0 else { return nil }
    var z = gaussianMatrix(rows: n, columns: r, seed: seed, label: label, compute: compute)
    a.withUnsafeBufferPointer { pa in
      z.storage.withUnsafeMutableBufferPointer { pz in
        // Z ← (Lᵀ)ᵀ Z = L Z
        cblas_dtrmm(
          CblasRowMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, Int32(n), Int32(r), 1, pa.baseAddress, Int32(n), pz.baseAddress,
          Int32(r))
      }
    }
    return z
  }

  /// A rows × columns matrix of standard normals, filled in parallel: each chunk of rows has its
  /// own stream (seed, label, chunk), so the bytes do not depend on the number of threads.
  public static func gaussianMatrix(rows: Int, columns: Int, seed: UInt64, label: String, compute: Compute = .allCores) -> Matrix {
    var m = Matrix(rows: rows, columns: columns)
    let chunk = 64
    let chunks = (rows + chunk - 1) / chunk
    m.storage.withUnsafeMutableBufferPointer { p in
      guard let base = p.baseAddress else { return }  // an empty matrix
      let out = SendablePointer(base)
      compute.forEach(chunks) { c in
        var g = SeededGenerator(seed: seed, label: "\(label) rows \(c)")
        let start = c * chunk * columns, end = min(rows, (c + 1) * chunk) * columns
        for i in start..<end { out.pointer[i] = g.nextNormal() }
      }
    }
    return m
  }
}
