// The hot loop of deep ReLU-family kernels: all layers per tile, vectorized arccos.
// AVX2 path: glibc's libmvec _ZGVdN4v_acos (≤ 2 ulp; stack.md §2 measured 2.5 ns/element),
// chosen at run time; the scalar path is the reference and the fallback.
#include "fastkernels.h"
#include <math.h>
#include <immintrin.h>

#define SKEL_PI 3.14159265358979323846

int skel_fast_has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_acos(__m256d);

static void tile_scalar(double *nngp, double *ntk, size_t rows, size_t cols, size_t ld, int layers,
                        double w2, double b2, double wo2, double bo2, double sa, double sb,
                        const double *v1, const double *v2, size_t c0) {
  const double amb = (sa - sb) * (sa - sb) / (2 * SKEL_PI), apb = (sa * sa + sb * sb) / 2;
  for (size_t r = 0; r < rows; r++) {
    double *k = nngp + r * ld;
    double *t = ntk ? ntk + r * ld : 0;
    for (size_t c = c0; c < cols; c++) {
      double q = k[c], th = t ? t[c] : 0;
      for (int l = 0; l < layers; l++) {
        double s = w2 * q + b2;
        th = s + w2 * th;
        double rs = v1[(size_t)l * rows + r] * v2[(size_t)l * cols + c];
        double cc = rs > 0 ? s / rs : 0;
        cc = cc > 1 ? 1 : (cc < -1 ? -1 : cc);
        double theta = rs > 0 ? acos(cc) : SKEL_PI / 2;
        double dot = apb - amb * theta;
        double root = sqrt((1 - cc) * (1 + cc));
        q = amb * rs * root + dot * s;
        th *= dot;
      }
      double s = wo2 * q + bo2;
      k[c] = s;
      if (t) t[c] = s + wo2 * th;
    }
  }
}

// Layer-outer order inside the tile: consecutive vectors are independent, so the long latency
// chain of one element (divide, arccos, square root) overlaps with its neighbours'. The tile
// (≤ 64 × 64 doubles per matrix) stays in L1/L2 across all layers.
__attribute__((target("avx2,fma"))) static void tile_avx2(double *nngp, double *ntk, size_t rows, size_t cols,
                                                          size_t ld, int layers, double w2, double b2, double wo2,
                                                          double bo2, double sa, double sb, const double *v1,
                                                          const double *v2, const double *iv1, const double *iv2) {
  const double amb = (sa - sb) * (sa - sb) / (2 * SKEL_PI), apb = (sa * sa + sb * sb) / 2;
  const __m256d W2 = _mm256_set1_pd(w2), B2 = _mm256_set1_pd(b2), ONE = _mm256_set1_pd(1.0),
                MONE = _mm256_set1_pd(-1.0), AMB = _mm256_set1_pd(amb), APB = _mm256_set1_pd(apb),
                WO2 = _mm256_set1_pd(wo2), BO2 = _mm256_set1_pd(bo2);
  size_t vec = cols & ~(size_t)3;
  for (int l = 0; l < layers; l++) {
    const double *v2l = v2 + (size_t)l * cols;
    const double *iv2l = iv2 + (size_t)l * cols;
    for (size_t r = 0; r < rows; r++) {
      double *k = nngp + r * ld;
      double *t = ntk ? ntk + r * ld : 0;
      const __m256d V1 = _mm256_set1_pd(v1[(size_t)l * rows + r]);
      const __m256d IV1 = _mm256_set1_pd(iv1[(size_t)l * rows + r]);
      for (size_t c = 0; c < vec; c += 4) {
        __m256d s = _mm256_fmadd_pd(W2, _mm256_loadu_pd(k + c), B2);
        __m256d rs = _mm256_mul_pd(V1, _mm256_loadu_pd(v2l + c));
        // c = s/(v1 v2) by multiplying with precomputed reciprocals (a divide costs 4× a multiply)
        __m256d inv = _mm256_mul_pd(IV1, _mm256_loadu_pd(iv2l + c));
        __m256d cc = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_mul_pd(s, inv)));
        __m256d theta = _ZGVdN4v_acos(cc);
        __m256d dot = _mm256_fnmadd_pd(AMB, theta, APB);
        __m256d root = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_sub_pd(ONE, cc), _mm256_add_pd(ONE, cc)));
        _mm256_storeu_pd(k + c, _mm256_fmadd_pd(_mm256_mul_pd(AMB, rs), root, _mm256_mul_pd(dot, s)));
        if (t) _mm256_storeu_pd(t + c, _mm256_mul_pd(_mm256_fmadd_pd(W2, _mm256_loadu_pd(t + c), s), dot));
      }
    }
  }
  for (size_t r = 0; r < rows; r++) {
    double *k = nngp + r * ld;
    double *t = ntk ? ntk + r * ld : 0;
    for (size_t c = 0; c < vec; c += 4) {
      __m256d s = _mm256_fmadd_pd(WO2, _mm256_loadu_pd(k + c), BO2);
      _mm256_storeu_pd(k + c, s);
      if (t) _mm256_storeu_pd(t + c, _mm256_fmadd_pd(WO2, _mm256_loadu_pd(t + c), s));
    }
  }
  if (vec < cols) tile_scalar(nngp, ntk, rows, cols, ld, layers, w2, b2, wo2, bo2, sa, sb, v1, v2, vec);
}

void skel_abrelu_mlp_tile(double *nngp, double *ntk, size_t rows, size_t cols, size_t ld, int layers,
                          double w2, double b2, double wo2, double bo2, double slope_a, double slope_b,
                          const double *v1, const double *v2, const double *iv1, const double *iv2,
                          int force_scalar) {
  // rs = 0 (a zero-variance input) has no correlation: the vector path would divide by zero.
  int zero = 0;
  for (int l = 0; l < layers && !zero; l++) {
    for (size_t r = 0; r < rows; r++) if (v1[(size_t)l * rows + r] == 0) { zero = 1; break; }
    for (size_t c = 0; c < cols; c++) if (v2[(size_t)l * cols + c] == 0) { zero = 1; break; }
  }
  if (!force_scalar && !zero && skel_fast_has_avx2())
    tile_avx2(nngp, ntk, rows, cols, ld, layers, w2, b2, wo2, bo2, slope_a, slope_b, v1, v2, iv1, iv2);
  else
    tile_scalar(nngp, ntk, rows, cols, ld, layers, w2, b2, wo2, bo2, slope_a, slope_b, v1, v2, 0);
}
