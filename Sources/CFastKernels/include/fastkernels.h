#ifndef SKEL_FASTKERNELS_H
#define SKEL_FASTKERNELS_H
#include <stddef.h>

/// Whether the AVX2+FMA path (with glibc's libmvec acos) is used on this CPU.
int skel_fast_has_avx2(void);

/// Runs a deep ab-ReLU MLP's NNGP (and NTK) recursion on one tile of the Gram matrix.
///
/// input[r*input_ld + c] holds the input kernel; nngp[r*ld + c] receives the output kernel and ntk (or
/// NULL) the NTK (whose input is 0). Both are written, never read before; input may be nngp itself.
/// Per layer l: Dense (Σ ← w2·K + b2, Θ ← Σ + w2·Θ), then the ab-ReLU
/// kernel with q11 = v1[l*rows + r]², q22 = v2[l*cols + c]² (v = √ of the pre-activation
/// variances, precomputed). After `layers` blocks a readout Dense (wo2, bo2).
/// iv1, iv2: their reciprocals (the vector path multiplies instead of dividing).
/// slope_a, slope_b: the ab-ReLU slopes (ReLU: 0, 1).
/// nngp_mirror, ntk_mirror (or NULL): receive the transposed tile, mirror[c*ld + r] = out[r*ld + c]
/// (the tile's image across the diagonal of a symmetric matrix), written while the tile is in cache.
void skel_abrelu_mlp_tile(const double *input, size_t input_ld, double *nngp, double *ntk, size_t rows, size_t cols, size_t ld, int layers,
                          double w2, double b2, double wo2, double bo2, double slope_a, double slope_b,
                          const double *v1, const double *v2, const double *iv1, const double *iv2,
                          double *nngp_mirror, double *ntk_mirror, int force_scalar);

/// y[i] = arccos(x[i]) for x in [-1, 1]: impl 0 glibc scalar, 1 glibc libmvec (AVX2), 2 ours
/// (AVX2 polynomial, the one the tile kernel uses). Without AVX2, always scalar.
void skel_acos_array(const double *x, double *y, size_t n, int impl);


// ---- The tile path of spatial networks (TileKernel): a block of nk input pairs at once, each
// kernel laid out [positions…][nk] (the pairs innermost), so every loop below is contiguous.

/// out = Σ over the runs of x, along the middle axis of x viewed as [outer][len_in][inner] (out:
/// [outer][len_out][inner], overwritten). runs: nruns quadruples (d, j0, s0, n): out[o][j0 + t] +=
/// x[o][s0 + t] for t < n (d, the window offset, is not read here). A window sum along one axis.
void skel_window_runs(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t inner,
                      const int *runs, size_t nruns);

/// skel_window_runs' window sum by taps: out[o][j] = 0 + Σ_d x[o][index[j·window + d]] over the
/// taps d in order whose index is ≥ 0 (−1: padding), each output row written once (the same bits
/// as skel_window_runs with runs sorted by d, without the memset and a read-modify-write per tap).
void skel_window_taps(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t inner,
                      const int *index, size_t window);

/// The window sum of a conv on pairs of positions along two axes at once (both positions shifted by
/// the same offset d): x viewed as [outer][len_in][mid][len_in][inner], out as
/// [outer][len_out][mid][len_out][inner] (overwritten); for every run A and every run B with the
/// same d, out[o][jA][c][jB] += x[o][sA][c][sB]. runs as skel_window_runs, sorted by d.
void skel_paired_window_runs(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t mid,
                             size_t inner, const int *runs, size_t nruns);

/// The ab-ReLU kernel in place on entries (a, b, k), a < na, b < nb, k < nk, laid out [a][b][k]:
/// q12 = k[.], q11 = v1[a·nk + k], q22 = v2[a·s2a + b·s2b + k] (iv1, iv2: not read; kept for the ABI).
/// nngp ← (sa − sb)²/(2π)·√(q11 q22 − q12²) + dot·q12, ntk (or NULL) ← ntk·dot with
/// dot = (sa² + sb²)/2 − (sa − sb)²·θ/(2π), θ = arccos(q12/√(q11 q22)) (clamped to [−1, 1]).
/// Zero variances must go to force_scalar (θ = π/2 there, as the pair engine).
void skel_abrelu_grid(double *k, double *t, size_t na, size_t nb, size_t nk, const double *v1, const double *iv1,
                      const double *v2, const double *iv2, size_t s2a, size_t s2b, double sa, double sb,
                      int force_scalar);

/// The ab-ReLU kernel as skel_abrelu_grid, with each side's variances q, their square roots r and
/// reciprocal square roots u (0 where q = 0) given per position (one square root per position and
/// input, not per pair of positions): c = q12·u1·u2 and √(q11 q22) = r1·r2 cost two multiplies.
/// Where |c| > 0.9 (arccos' slope grows; the same-position entries of one input with itself, c = 1
/// exactly) the vector is recomputed as skel_abrelu_grid does, c = q12/√(q11 q22). A zero variance
/// gives c = 0, θ = π/2, as the pair engine. Per entry: one square root (sin θ) plus one in the
/// arccos polynomial's outer range, no divide. Indexing of (q, r, u) as v1, v2 of skel_abrelu_grid.
/// affine (or NULL: none) = {w2, b2, A, B, C}: the affine map before the activation, fused into
/// the same sweep: Σ ← w2·Σ + b2, Θ ← A·Σ_old + w2·Θ + B·Σ_new + C (the dense/conv NTK recursion).
void skel_abrelu_grid_roots(double *k, double *t, size_t na, size_t nb, size_t nk, const double *q1, const double *r1,
                            const double *u1, const double *q2, const double *r2, const double *u2, size_t s2a,
                            size_t s2b, double sa, double sb, const double *affine);

/// The affine map of skel_abrelu_grid_roots alone on n entries (same bits: correctly rounded fma):
/// a self run applies it before reading its variances off the kernel.
void skel_affine(double *k, double *t, size_t n, const double *affine);

/// The ab-ReLU kernel of skel_abrelu_grid_roots on a rectangle of input pairs: rows i < bi of one
/// batch against columns j < bj of the other, entries k[(a·bi + i)·bj + j] for positions a < p
/// (one same-position entry per position: the diagonal covariance). The sides' values are read in
/// place: q1[a·ld1 + i] (r1, u1 alike) and q2[a·ld2 + j] (r2, u2), columns of [position][input]
/// tables, so nothing is gathered per pair. Vectors over j when bj is a multiple of 4.
void skel_abrelu_rect_roots(double *k, double *t, size_t p, size_t bi, size_t bj, const double *q1, const double *r1,
                            const double *u1, size_t ld1, const double *q2, const double *r2, const double *u2,
                            size_t ld2, double sa, double sb, const double *affine);

/// The input kernel of a rectangle of pairs: k[(a·bi + i)·bj + j] = scale·Σ_e pl[(a·width + e)·ldl + i]
/// · pr[(a·width + e)·ldr + j] for positions a < p, the sum over e < width in order, each product
/// rounded before it is added (no fma: the same bits as the self runs' loop). pl, pr: patch
/// tables [position][tap·channel][input].
void skel_rect_inputs(double *k, size_t p, size_t width, size_t bi, size_t bj, const double *pl, size_t ldl,
                      const double *pr, size_t ldr, double scale);

/// Throughput probes for the benchmark's machine limit: n independent square roots (op 0) or
/// divides (op 1) of AVX2 vectors over x (in cache), summed into the result so they are not elided.
double skel_probe_sqrt_div(const double *x, size_t n, int op, int repeats);

#endif
