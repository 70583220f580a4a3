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

#endif
