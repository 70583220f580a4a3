// The hot loop of deep ReLU-family kernels: all layers per tile, vectorized arccos.
// AVX2 path: our polynomial arccos (skel_acos4, below; glibc's libmvec _ZGVdN4v_acos is kept for
// the benchmark's comparison), chosen at run time; the scalar path is the reference and the fallback.
#include "fastkernels.h"
#include <math.h>
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#define SKEL_PI 3.14159265358979323846

int skel_fast_has_avx2(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

__attribute__((target("avx2,fma"))) __m256d _ZGVdN4v_acos(__m256d);

// arccos of 4 doubles in [-1, 1] by one polynomial: asin(w) = w + w·z·P(z) on w ∈ [0, 1/2], z = w²,
// with P of degree 11 fitted to asin in 50-digit arithmetic (least squares on 400 Chebyshev nodes,
// relative weight); measured in double with Horner: ≤ 1.3e-16 relative error of asin on [0, 1/2].
//   |x| ≤ 1/2: acos x = π/2 − asin x
//   |x| > 1/2: acos |x| = 2 asin √((1 − |x|)/2)  (1 − |x| is exact there), acos(−|x|) = π − acos |x|
// One square root and 14 FMAs/multiplies per vector, no table and no branch.
__attribute__((target("avx2,fma"))) static inline __m256d skel_acos4(__m256d x) {
  const __m256d ABS = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  const __m256d ONE = _mm256_set1_pd(1.0), HALF = _mm256_set1_pd(0.5);
  __m256d ax = _mm256_and_pd(x, ABS);
  __m256d small = _mm256_cmp_pd(ax, HALF, _CMP_LE_OQ);
  __m256d zbig = _mm256_mul_pd(_mm256_sub_pd(ONE, ax), HALF);
  __m256d z = _mm256_blendv_pd(zbig, _mm256_mul_pd(x, x), small);
  __m256d w = _mm256_blendv_pd(_mm256_sqrt_pd(zbig), ax, small);
  // P(z) = c0 + c1 z + … + c11 z¹¹ by Estrin's scheme: 4 dependent FMAs instead of Horner's 11, so
  // more of the tile's independent vectors fit in the out-of-order window (the loop is bound by
  // the latency of this chain, not by the FMA ports).
  const __m256d z2 = _mm256_mul_pd(z, z), z4 = _mm256_mul_pd(z2, z2), z8 = _mm256_mul_pd(z4, z4);
  __m256d q0 = _mm256_fmadd_pd(_mm256_set1_pd(0.07500000000334901), z, _mm256_set1_pd(0.16666666666665406));
  __m256d q1 = _mm256_fmadd_pd(_mm256_set1_pd(0.030381958992268913), z, _mm256_set1_pd(0.04464285683119154));
  __m256d q2 = _mm256_fmadd_pd(_mm256_set1_pd(0.01735964294164298), z, _mm256_set1_pd(0.022371761908616495));
  __m256d q3 = _mm256_fmadd_pd(_mm256_set1_pd(0.012164970640893122), z, _mm256_set1_pd(0.013885868265586491));
  __m256d q4 = _mm256_fmadd_pd(_mm256_set1_pd(0.019477305521095438), z, _mm256_set1_pd(0.00654651661791214));
  __m256d q5 = _mm256_fmadd_pd(_mm256_set1_pd(0.031857655432785674), z, _mm256_set1_pd(-0.016144303807402175));
  __m256d r0 = _mm256_fmadd_pd(q1, z2, q0), r1 = _mm256_fmadd_pd(q3, z2, q2), r2 = _mm256_fmadd_pd(q5, z2, q4);
  __m256d p = _mm256_fmadd_pd(r2, z8, _mm256_fmadd_pd(r1, z4, r0));
  // θ = A + M·P(z), with A and M chosen while P is evaluated (one FMA after P, not five steps):
  //   |x| ≤ 1/2: θ = π/2 − asin x = (π/2 − x) − x·z·P
  //   x > 1/2:   θ = 2 asin w = 2w + 2w·z·P
  //   x < −1/2:  θ = π − 2 asin w = (π − 2w) − 2w·z·P
  __m256d sign = _mm256_andnot_pd(ABS, x);
  __m256d wz = _mm256_mul_pd(w, z), w2 = _mm256_add_pd(w, w);
  __m256d ms = _mm256_xor_pd(_mm256_xor_pd(wz, sign), _mm256_set1_pd(-0.0));  // −x·z (w = |x| here)
  __m256d as = _mm256_sub_pd(_mm256_set1_pd(SKEL_PI / 2), x);
  __m256d mb = _mm256_xor_pd(_mm256_add_pd(wz, wz), sign);
  __m256d ab = _mm256_blendv_pd(w2, _mm256_sub_pd(_mm256_set1_pd(SKEL_PI), w2), x);
  return _mm256_fmadd_pd(_mm256_blendv_pd(mb, ms, small), p, _mm256_blendv_pd(ab, as, small));
}

__attribute__((target("avx2,fma"))) static void acos_array_avx2(const double *x, double *y, size_t n, int own) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    __m256d v = _mm256_loadu_pd(x + i);
    _mm256_storeu_pd(y + i, own ? skel_acos4(v) : _ZGVdN4v_acos(v));
  }
  for (; i < n; i++) y[i] = acos(x[i]);
}

void skel_acos_array(const double *x, double *y, size_t n, int impl) {
  if (impl == 0 || !skel_fast_has_avx2()) {
    for (size_t i = 0; i < n; i++) y[i] = acos(x[i]);
  } else {
    acos_array_avx2(x, y, n, impl == 2);
  }
}

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
        __m256d theta = skel_acos4(cc);
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

// Outputs that are written once and not read again go around the cache (non-temporal stores:
// no read for ownership of the destination line), when they are 16-byte aligned.
__attribute__((target("avx2,fma"))) static inline void store4(double *p, __m256d v, int nt) {
  if (nt) {
    _mm_stream_pd(p, _mm256_castpd256_pd128(v));
    _mm_stream_pd(p + 2, _mm256_extractf128_pd(v, 1));
  } else {
    _mm256_storeu_pd(p, v);
  }
}

__attribute__((target("avx2,fma"))) static void copy_rows_avx2(const double *src, size_t sld, double *dst, size_t ld,
                                                               size_t rows, size_t cols, int nt) {
  size_t c4 = cols & ~(size_t)3;
  for (size_t r = 0; r < rows; r++) {
    for (size_t c = 0; c < c4; c += 4) store4(dst + r * ld + c, _mm256_loadu_pd(src + r * sld + c), nt);
    for (size_t c = c4; c < cols; c++) dst[r * ld + c] = src[r * sld + c];
  }
}

// dst[c*ld + r] = src[r*sld + c] for a rows × cols block: 4 × 4 blocks transposed in registers,
// so every store writes 32 contiguous bytes of a destination row (a scalar transpose writes one
// double into each of `cols` rows per step).
__attribute__((target("avx2,fma"))) static void transpose_avx2(const double *src, size_t sld, double *dst, size_t ld,
                                                               size_t rows, size_t cols, int nt) {
  size_t r4 = rows & ~(size_t)3, c4 = cols & ~(size_t)3;
  for (size_t c = 0; c < c4; c += 4) {
    for (size_t r = 0; r < r4; r += 4) {
      __m256d a = _mm256_loadu_pd(src + r * sld + c), b = _mm256_loadu_pd(src + (r + 1) * sld + c);
      __m256d e = _mm256_loadu_pd(src + (r + 2) * sld + c), f = _mm256_loadu_pd(src + (r + 3) * sld + c);
      __m256d ab0 = _mm256_unpacklo_pd(a, b), ab1 = _mm256_unpackhi_pd(a, b);  // a0 b0 a2 b2 | a1 b1 a3 b3
      __m256d ef0 = _mm256_unpacklo_pd(e, f), ef1 = _mm256_unpackhi_pd(e, f);
      store4(dst + c * ld + r, _mm256_permute2f128_pd(ab0, ef0, 0x20), nt);
      store4(dst + (c + 1) * ld + r, _mm256_permute2f128_pd(ab1, ef1, 0x20), nt);
      store4(dst + (c + 2) * ld + r, _mm256_permute2f128_pd(ab0, ef0, 0x31), nt);
      store4(dst + (c + 3) * ld + r, _mm256_permute2f128_pd(ab1, ef1, 0x31), nt);
    }
    for (size_t r = r4; r < rows; r++)
      for (size_t k = c; k < c + 4; k++) dst[k * ld + r] = src[r * sld + k];
  }
  for (size_t c = c4; c < cols; c++)
    for (size_t r = 0; r < rows; r++) dst[c * ld + r] = src[r * sld + c];
}

static int aligned16(const void *p, size_t ld) { return ((uintptr_t)p & 15) == 0 && ld % 2 == 0; }

static void copy_rows(const double *src, size_t sld, double *dst, size_t ld, size_t rows, size_t cols, int nt) {
  if (skel_fast_has_avx2()) {
    copy_rows_avx2(src, sld, dst, ld, rows, cols, nt && aligned16(dst, ld));
  } else {
    for (size_t r = 0; r < rows; r++) memcpy(dst + r * ld, src + r * sld, cols * sizeof(double));
  }
}

static void transpose(const double *src, size_t sld, double *dst, size_t ld, size_t rows, size_t cols, int nt) {
  if (skel_fast_has_avx2()) {
    transpose_avx2(src, sld, dst, ld, rows, cols, nt && aligned16(dst, ld));
  } else {
    for (size_t c = 0; c < cols; c++)
      for (size_t r = 0; r < rows; r++) dst[c * ld + r] = src[r * sld + c];
  }
}

void skel_abrelu_mlp_tile(const double *input, size_t input_ld, double *nngp, double *ntk, size_t rows, size_t cols, size_t ld, int layers,
                          double w2, double b2, double wo2, double bo2, double slope_a, double slope_b,
                          const double *v1, const double *v2, const double *iv1, const double *iv2,
                          double *nngp_mirror, double *ntk_mirror, int force_scalar) {
  // The layers run on a contiguous copy of the tile: rows of the matrix lie ld doubles apart
  // (32 KB at N = 4000), so in place every row of a tile would fall into the same few cache sets
  // and the tile would not stay in cache across layers (measured 4.8 ns per entry-layer in place
  // vs 3 ns contiguous). If the buffer cannot be had, the tile runs in place.
  // (on the heap: 64 KB of stack arrays would be a hazard on small worker stacks)
  double *buf = malloc(2 * rows * cols * sizeof(double));
  int local = buf != 0;
  double *k = local ? buf : nngp, *t = ntk ? (local ? buf + rows * cols : ntk) : 0;
  size_t kld = local ? cols : ld;
  // The input kernel comes in; the NTK starts at 0.
  for (size_t r = 0; r < rows; r++) {
    if (k + r * kld != input + r * input_ld) memcpy(k + r * kld, input + r * input_ld, cols * sizeof(double));  // in place: no copy
    if (t) memset(t + r * kld, 0, cols * sizeof(double));
  }
  // rs = 0 (a zero-variance input) has no correlation: the vector path would divide by zero.
  int zero = 0;
  for (int l = 0; l < layers && !zero; l++) {
    for (size_t r = 0; r < rows; r++) if (v1[(size_t)l * rows + r] == 0) { zero = 1; break; }
    for (size_t c = 0; c < cols; c++) if (v2[(size_t)l * cols + c] == 0) { zero = 1; break; }
  }
  if (!force_scalar && !zero && skel_fast_has_avx2())
    tile_avx2(k, t, rows, cols, kld, layers, w2, b2, wo2, bo2, slope_a, slope_b, v1, v2, iv1, iv2);
  else
    tile_scalar(k, t, rows, cols, kld, layers, w2, b2, wo2, bo2, slope_a, slope_b, v1, v2, 0);
  if (local) {
    copy_rows(k, kld, nngp, ld, rows, cols, 1);
    if (ntk) copy_rows(t, kld, ntk, ld, rows, cols, 1);
  }
  // the mirror image, from the tile while it is still in cache
  if (nngp_mirror) transpose(k, kld, nngp_mirror, ld, rows, cols, 1);
  if (ntk_mirror && t) transpose(t, kld, ntk_mirror, ld, rows, cols, 1);
  _mm_sfence();  // the non-temporal stores are visible before the tile counts as done
  if (local) free(buf);
}

// ---- The tile path of spatial networks (see fastkernels.h).

__attribute__((target("avx2,fma"))) static void add_avx2(double *restrict o, const double *restrict s, size_t n) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) _mm256_storeu_pd(o + i, _mm256_add_pd(_mm256_loadu_pd(o + i), _mm256_loadu_pd(s + i)));
  for (; i < n; i++) o[i] += s[i];
}

static void add_scalar(double *restrict o, const double *restrict s, size_t n) {
  for (size_t i = 0; i < n; i++) o[i] += s[i];
}

static inline void add_run(double *restrict o, const double *restrict s, size_t n, int avx) {
  if (avx) add_avx2(o, s, n); else add_scalar(o, s, n);
}

void skel_window_runs(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t inner,
                      const int *runs, size_t nruns) {
  memset(out, 0, outer * len_out * inner * sizeof(double));
  const int avx = skel_fast_has_avx2();
  for (size_t o = 0; o < outer; o++) {
    for (size_t r = 0; r < nruns; r++) {
      const int *q = runs + 4 * r;
      add_run(out + (o * len_out + (size_t)q[1]) * inner, x + (o * len_in + (size_t)q[2]) * inner, (size_t)q[3] * inner, avx);
    }
  }
}

// Each output row once: 0 + the taps' input rows in d order (the bits of skel_window_runs' memset
// and runs sorted by d), with no read-modify-write of the output per tap.
__attribute__((target("avx2,fma"))) static void window_taps_avx2(double *restrict y, const double *const *src, size_t n,
                                                                 size_t inner) {
  const __m256d Z = _mm256_setzero_pd();
  size_t c = 0;
  for (; c + 4 <= inner; c += 4) {
    __m256d v = _mm256_add_pd(Z, _mm256_loadu_pd(src[0] + c));
    for (size_t t = 1; t < n; t++) v = _mm256_add_pd(v, _mm256_loadu_pd(src[t] + c));
    _mm256_storeu_pd(y + c, v);
  }
  for (; c < inner; c++) {
    double v = 0.0 + src[0][c];
    for (size_t t = 1; t < n; t++) v += src[t][c];
    y[c] = v;
  }
}

void skel_window_taps(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t inner,
                      const int *index, size_t window) {
  const int avx = skel_fast_has_avx2();
  const double *src[window > 0 ? window : 1];
  for (size_t o = 0; o < outer; o++) {
    for (size_t j = 0; j < len_out; j++) {
      double *y = out + (o * len_out + j) * inner;
      size_t n = 0;
      for (size_t d = 0; d < window; d++) {
        const int s = index[j * window + d];
        if (s >= 0) src[n++] = x + (o * len_in + (size_t)s) * inner;
      }
      if (n == 0) {
        memset(y, 0, inner * sizeof(double));
      } else if (avx) {
        window_taps_avx2(y, src, n, inner);
      } else {
        for (size_t c = 0; c < inner; c++) {
          double v = 0.0 + src[0][c];
          for (size_t t = 1; t < n; t++) v += src[t][c];
          y[c] = v;
        }
      }
    }
  }
}

void skel_paired_window_runs(double *out, const double *x, size_t outer, size_t len_in, size_t len_out, size_t mid,
                             size_t inner, const int *runs, size_t nruns) {
  memset(out, 0, outer * len_out * mid * len_out * inner * sizeof(double));
  const int avx = skel_fast_has_avx2();
  const size_t in_row = mid * len_in * inner, out_row = mid * len_out * inner;
  for (size_t o = 0; o < outer; o++) {
    const double *xo = x + o * len_in * in_row;
    double *yo = out + o * len_out * out_row;
    size_t g = 0;
    while (g < nruns) {
      // the group of runs with one offset d
      size_t e = g;
      while (e < nruns && runs[4 * e] == runs[4 * g]) e++;
      for (size_t a = g; a < e; a++) {
        const int *ra = runs + 4 * a;
        for (int t = 0; t < ra[3]; t++) {
          const double *xs = xo + (size_t)(ra[2] + t) * in_row;
          double *ys = yo + (size_t)(ra[1] + t) * out_row;
          for (size_t c = 0; c < mid; c++) {
            for (size_t b = g; b < e; b++) {
              const int *rb = runs + 4 * b;
              add_run(ys + (c * len_out + (size_t)rb[1]) * inner, xs + (c * len_in + (size_t)rb[2]) * inner, (size_t)rb[3] * inner, avx);
            }
          }
        }
      }
      g = e;
    }
  }
}

static inline void abrelu_one(double *k, double *t, double r1, double r2, double amb, double apb) {
  double s = *k, rs = sqrt(r1 * r2);
  double cc = rs > 0 ? s / rs : 0;
  cc = cc > 1 ? 1 : (cc < -1 ? -1 : cc);
  double theta = rs > 0 ? acos(cc) : SKEL_PI / 2;
  double dot = apb - amb * theta;
  *k = amb * rs * sqrt((1 - cc) * (1 + cc)) + dot * s;
  if (t) *t *= dot;
}

__attribute__((target("avx2,fma"))) static inline void abrelu4(double *k, double *t, __m256d r1, __m256d r2, __m256d i1,
                                                               __m256d i2, __m256d AMB, __m256d APB) {
  const __m256d ONE = _mm256_set1_pd(1.0), MONE = _mm256_set1_pd(-1.0);
  // rs = √(q11·q22) as the pair engine: at x′ = x it is q11 exactly, so the same-position
  // correlation is 1 exactly (√q11·√q22 is 1 ulp off, and arccos' slope there turns it into 1e-8)
  __m256d s = _mm256_loadu_pd(k), rs = _mm256_sqrt_pd(_mm256_mul_pd(r1, r2));
  // a divide, not a product of reciprocals, for the same reason
  (void)i1;
  (void)i2;
  __m256d cc = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_div_pd(s, rs)));
  __m256d dot = _mm256_fnmadd_pd(AMB, skel_acos4(cc), APB);
  __m256d root = _mm256_sqrt_pd(_mm256_mul_pd(_mm256_sub_pd(ONE, cc), _mm256_add_pd(ONE, cc)));
  _mm256_storeu_pd(k, _mm256_fmadd_pd(_mm256_mul_pd(AMB, rs), root, _mm256_mul_pd(dot, s)));
  if (t) _mm256_storeu_pd(t, _mm256_mul_pd(_mm256_loadu_pd(t), dot));
}

__attribute__((target("avx2,fma"))) static void abrelu_grid_avx2(double *k, double *t, size_t na, size_t nb, size_t nk,
                                                                 const double *v1, const double *iv1, const double *v2,
                                                                 const double *iv2, size_t s2a, size_t s2b, double amb,
                                                                 double apb) {
  const __m256d AMB = _mm256_set1_pd(amb), APB = _mm256_set1_pd(apb);
  for (size_t a = 0; a < na; a++) {
    if (nk % 4 == 0) {
      // vectors over the pairs of the block
      for (size_t b = 0; b < nb; b++) {
        size_t e = (a * nb + b) * nk, o2 = a * s2a + b * s2b;
        for (size_t q = 0; q < nk; q += 4)
          abrelu4(k + e + q, t ? t + e + q : 0, _mm256_loadu_pd(v1 + a * nk + q), _mm256_loadu_pd(v2 + o2 + q),
                  _mm256_loadu_pd(iv1 + a * nk + q), _mm256_loadu_pd(iv2 + o2 + q), AMB, APB);
      }
    } else {
      // one pair (nk == 1, s2b == 1): vectors over the second position
      const __m256d R1 = _mm256_set1_pd(v1[a]), I1 = _mm256_set1_pd(iv1[a]);
      size_t b = 0, e = a * nb;
      for (; b + 4 <= nb; b += 4)
        abrelu4(k + e + b, t ? t + e + b : 0, R1, _mm256_loadu_pd(v2 + a * s2a + b), I1, _mm256_loadu_pd(iv2 + a * s2a + b), AMB,
                APB);
      for (; b < nb; b++) abrelu_one(k + e + b, t ? t + e + b : 0, v1[a], v2[a * s2a + b], amb, apb);
    }
  }
}

void skel_abrelu_grid(double *k, double *t, size_t na, size_t nb, size_t nk, const double *v1, const double *iv1,
                      const double *v2, const double *iv2, size_t s2a, size_t s2b, double sa, double sb,
                      int force_scalar) {
  const double amb = (sa - sb) * (sa - sb) / (2 * SKEL_PI), apb = (sa * sa + sb * sb) / 2;
  int vector_ok = nk % 4 == 0 || (nk == 1 && s2b == 1);
  if (!force_scalar && vector_ok && skel_fast_has_avx2()) {
    abrelu_grid_avx2(k, t, na, nb, nk, v1, iv1, v2, iv2, s2a, s2b, amb, apb);
    return;
  }
  for (size_t a = 0; a < na; a++)
    for (size_t b = 0; b < nb; b++)
      for (size_t q = 0; q < nk; q++) {
        size_t e = (a * nb + b) * nk + q;
        abrelu_one(k + e, t ? t + e : 0, v1[a * nk + q], v2[a * s2a + b * s2b + q], amb, apb);
      }
}

// ---- The ab-ReLU kernel with per-position roots (see fastkernels.h).

// The affine map of skel_affine / skel_abrelu_grid_roots on one entry, by correctly rounded fma
// (the vector path's bits exactly: an input's self run and its pair with a copy of itself must see
// the same pre-activation diagonal, or c = 1 becomes 1 − ulp and arccos turns that into 1e-8).
static inline void affine_one(double *k, double *t, const double *af) {
  double x = *k, v = fma(af[0], x, af[1]);
  *k = v;
  if (t) *t = fma(af[2], x, fma(af[0], *t, fma(af[3], v, af[4])));
}

static inline void abrelu_affine_one(double *k, double *t, double q1, double q2, double amb, double apb, const double *af) {
  affine_one(k, t, af);
  abrelu_one(k, t, q1, q2, amb, apb);
}

void skel_affine(double *k, double *t, size_t n, const double *af) {
  for (size_t i = 0; i < n; i++) affine_one(k + i, t ? t + i : 0, af);
}

__attribute__((target("avx2,fma"))) static inline void abrelu4_roots(double *k, double *t, __m256d q1, __m256d r1, __m256d u1,
                                                                     __m256d q2, __m256d r2, __m256d u2, __m256d AMB,
                                                                     __m256d APB, const __m256d *AF) {
  const __m256d ONE = _mm256_set1_pd(1.0), MONE = _mm256_set1_pd(-1.0), NEAR = _mm256_set1_pd(0.9);
  const __m256d ABS = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  // the affine map before the activation: Σ ← w²·Σ + b², Θ ← A·Σ_old + w²·Θ + B·Σ + C
  __m256d x = _mm256_loadu_pd(k);
  __m256d s = _mm256_fmadd_pd(AF[0], x, AF[1]), rs = _mm256_mul_pd(r1, r2);
  __m256d cc = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_mul_pd(s, _mm256_mul_pd(u1, u2))));
  __m256d near = _mm256_cmp_pd(_mm256_and_pd(cc, ABS), NEAR, _CMP_GT_OQ);
  if (!_mm256_testz_pd(near, near)) {
    // c = q12/√(q11 q22) as the pair engine where arccos is steep (1 exactly on an input's own diagonal)
    __m256d re = _mm256_sqrt_pd(_mm256_mul_pd(q1, q2));
    __m256d ce = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_div_pd(s, re)));
    cc = _mm256_blendv_pd(cc, ce, near);
    rs = _mm256_blendv_pd(rs, re, near);
  }
  __m256d dot = _mm256_fnmadd_pd(AMB, skel_acos4(cc), APB);
  __m256d root = _mm256_sqrt_pd(_mm256_fnmadd_pd(cc, cc, ONE));
  _mm256_storeu_pd(k, _mm256_fmadd_pd(_mm256_mul_pd(AMB, rs), root, _mm256_mul_pd(dot, s)));
  if (t) {
    __m256d tt = _mm256_fmadd_pd(AF[2], x, _mm256_fmadd_pd(AF[0], _mm256_loadu_pd(t), _mm256_fmadd_pd(AF[3], s, AF[4])));
    _mm256_storeu_pd(t, _mm256_mul_pd(tt, dot));
  }
}

__attribute__((target("avx2,fma"))) static void abrelu_grid_roots_avx2(double *k, double *t, size_t na, size_t nb, size_t nk,
                                                                       const double *q1, const double *r1, const double *u1,
                                                                       const double *q2, const double *r2, const double *u2,
                                                                       size_t s2a, size_t s2b, double amb, double apb,
                                                                       const double *af) {
  const __m256d AMB = _mm256_set1_pd(amb), APB = _mm256_set1_pd(apb);
  __m256d AF[5];
  for (int i = 0; i < 5; i++) AF[i] = _mm256_set1_pd(af[i]);
  for (size_t a = 0; a < na; a++) {
    if (nk % 4 == 0) {
      for (size_t b = 0; b < nb; b++) {
        size_t e = (a * nb + b) * nk, o1 = a * nk, o2 = a * s2a + b * s2b;
        for (size_t q = 0; q < nk; q += 4)
          abrelu4_roots(k + e + q, t ? t + e + q : 0, _mm256_loadu_pd(q1 + o1 + q), _mm256_loadu_pd(r1 + o1 + q),
                        _mm256_loadu_pd(u1 + o1 + q), _mm256_loadu_pd(q2 + o2 + q), _mm256_loadu_pd(r2 + o2 + q),
                        _mm256_loadu_pd(u2 + o2 + q), AMB, APB, AF);
      }
    } else {
      const __m256d Q1 = _mm256_set1_pd(q1[a]), R1 = _mm256_set1_pd(r1[a]), U1 = _mm256_set1_pd(u1[a]);
      size_t b = 0, e = a * nb, o2 = a * s2a;
      for (; b + 4 <= nb; b += 4)
        abrelu4_roots(k + e + b, t ? t + e + b : 0, Q1, R1, U1, _mm256_loadu_pd(q2 + o2 + b), _mm256_loadu_pd(r2 + o2 + b),
                      _mm256_loadu_pd(u2 + o2 + b), AMB, APB, AF);
      for (; b < nb; b++) abrelu_affine_one(k + e + b, t ? t + e + b : 0, q1[a], q2[o2 + b], amb, apb, af);
    }
  }
}

void skel_abrelu_grid_roots(double *k, double *t, size_t na, size_t nb, size_t nk, const double *q1, const double *r1,
                            const double *u1, const double *q2, const double *r2, const double *u2, size_t s2a,
                            size_t s2b, double sa, double sb, const double *affine) {
  const double amb = (sa - sb) * (sa - sb) / (2 * SKEL_PI), apb = (sa * sa + sb * sb) / 2;
  const double identity[5] = {1, 0, 0, 0, 0};
  const double *af = affine ? affine : identity;
  int vector_ok = nk % 4 == 0 || (nk == 1 && s2b == 1);
  if (vector_ok && skel_fast_has_avx2()) {
    abrelu_grid_roots_avx2(k, t, na, nb, nk, q1, r1, u1, q2, r2, u2, s2a, s2b, amb, apb, af);
    return;
  }
  for (size_t a = 0; a < na; a++)
    for (size_t b = 0; b < nb; b++)
      for (size_t q = 0; q < nk; q++) {
        size_t e = (a * nb + b) * nk + q;
        abrelu_affine_one(k + e, t ? t + e : 0, q1[a * nk + q], q2[a * s2a + b * s2b + q], amb, apb, af);
      }
}

// ---- Rectangles of input pairs (see fastkernels.h): rows i < bi of one batch, columns j < bj of
// the other, k[(pos·bi + i)·bj + j]; the sides' per-position values are read in place from
// [pos][input] columns (ld1, ld2), the left one broadcast, the right one a vector over j.

// Per position, in two sweeps over its bi·bj entries: the affine map, c and √(q11 q22) (with the
// exact c = q12/√(q11 q22) where |c| > 0.9, one test per position, not per vector), then arccos
// and the kernel with no branch, so the out-of-order core overlaps the vectors' square-root chains.
// The arithmetic of each entry is abrelu4_roots' exactly.
__attribute__((target("avx2,fma"))) static void abrelu_rect_avx2(double *k, double *t, size_t p, size_t bi, size_t bj,
                                                                 const double *q1, const double *r1, const double *u1,
                                                                 size_t ld1, const double *q2, const double *r2,
                                                                 const double *u2, size_t ld2, double amb, double apb,
                                                                 const double *af) {
  const __m256d AMB = _mm256_set1_pd(amb), APB = _mm256_set1_pd(apb);
  const __m256d ONE = _mm256_set1_pd(1.0), MONE = _mm256_set1_pd(-1.0), NEAR = _mm256_set1_pd(0.9);
  const __m256d ABS = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
  const __m256d A0 = _mm256_set1_pd(af[0]), A1 = _mm256_set1_pd(af[1]), A2 = _mm256_set1_pd(af[2]);
  const __m256d A3 = _mm256_set1_pd(af[3]), A4 = _mm256_set1_pd(af[4]);
  const size_t n = bi * bj;
  double sv[n], cv[n], rv[n];
  for (size_t a = 0; a < p; a++) {
    const size_t o1 = a * ld1, o2 = a * ld2;
    double *ka = k + a * n, *ta = t ? t + a * n : 0;
    __m256d any = _mm256_setzero_pd();
    for (size_t i = 0; i < bi; i++) {
      const __m256d R1 = _mm256_set1_pd(r1[o1 + i]), U1 = _mm256_set1_pd(u1[o1 + i]);
      for (size_t j = 0; j < bj; j += 4) {
        const size_t e = i * bj + j;
        __m256d x = _mm256_loadu_pd(ka + e);
        __m256d s = _mm256_fmadd_pd(A0, x, A1);
        __m256d cc = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_mul_pd(s, _mm256_mul_pd(U1, _mm256_loadu_pd(u2 + o2 + j)))));
        any = _mm256_or_pd(any, _mm256_cmp_pd(_mm256_and_pd(cc, ABS), NEAR, _CMP_GT_OQ));
        _mm256_storeu_pd(sv + e, s);
        _mm256_storeu_pd(cv + e, cc);
        _mm256_storeu_pd(rv + e, _mm256_mul_pd(R1, _mm256_loadu_pd(r2 + o2 + j)));
        if (ta) {
          __m256d tt = _mm256_fmadd_pd(A2, x, _mm256_fmadd_pd(A0, _mm256_loadu_pd(ta + e), _mm256_fmadd_pd(A3, s, A4)));
          _mm256_storeu_pd(ta + e, tt);
        }
      }
    }
    if (!_mm256_testz_pd(any, any)) {
      // c = q12/√(q11 q22) as the pair engine where arccos is steep (1 exactly on an input's own diagonal)
      for (size_t i = 0; i < bi; i++) {
        const __m256d Q1 = _mm256_set1_pd(q1[o1 + i]);
        for (size_t j = 0; j < bj; j += 4) {
          const size_t e = i * bj + j;
          __m256d cc = _mm256_loadu_pd(cv + e);
          __m256d near = _mm256_cmp_pd(_mm256_and_pd(cc, ABS), NEAR, _CMP_GT_OQ);
          if (_mm256_testz_pd(near, near)) continue;
          __m256d s = _mm256_loadu_pd(sv + e), re = _mm256_sqrt_pd(_mm256_mul_pd(Q1, _mm256_loadu_pd(q2 + o2 + j)));
          __m256d ce = _mm256_min_pd(ONE, _mm256_max_pd(MONE, _mm256_div_pd(s, re)));
          _mm256_storeu_pd(cv + e, _mm256_blendv_pd(cc, ce, near));
          _mm256_storeu_pd(rv + e, _mm256_blendv_pd(_mm256_loadu_pd(rv + e), re, near));
        }
      }
    }
    for (size_t e = 0; e < n; e += 4) {
      __m256d s = _mm256_loadu_pd(sv + e), cc = _mm256_loadu_pd(cv + e), rs = _mm256_loadu_pd(rv + e);
      __m256d dot = _mm256_fnmadd_pd(AMB, skel_acos4(cc), APB);
      __m256d root = _mm256_sqrt_pd(_mm256_fnmadd_pd(cc, cc, ONE));
      _mm256_storeu_pd(ka + e, _mm256_fmadd_pd(_mm256_mul_pd(AMB, rs), root, _mm256_mul_pd(dot, s)));
      if (ta) _mm256_storeu_pd(ta + e, _mm256_mul_pd(_mm256_loadu_pd(ta + e), dot));
    }
  }
}

void skel_abrelu_rect_roots(double *k, double *t, size_t p, size_t bi, size_t bj, const double *q1, const double *r1,
                            const double *u1, size_t ld1, const double *q2, const double *r2, const double *u2,
                            size_t ld2, double sa, double sb, const double *affine) {
  const double amb = (sa - sb) * (sa - sb) / (2 * SKEL_PI), apb = (sa * sa + sb * sb) / 2;
  const double identity[5] = {1, 0, 0, 0, 0};
  const double *af = affine ? affine : identity;
  if (bj % 4 == 0 && skel_fast_has_avx2()) {
    abrelu_rect_avx2(k, t, p, bi, bj, q1, r1, u1, ld1, q2, r2, u2, ld2, amb, apb, af);
    return;
  }
  for (size_t a = 0; a < p; a++)
    for (size_t i = 0; i < bi; i++)
      for (size_t j = 0; j < bj; j++) {
        size_t e = (a * bi + i) * bj + j;
        abrelu_affine_one(k + e, t ? t + e : 0, q1[a * ld1 + i], q2[a * ld2 + j], amb, apb, af);
      }
}

// Σ_e pl·pr in e order, a product then a sum (no fma: the self runs' Swift loop, bit for bit), 4
// rows × 8 columns at once: 8 independent sums in flight instead of one chain of adds.
__attribute__((target("avx2,fma"))) static void rect_inputs_avx2(double *k, size_t p, size_t width, size_t bi, size_t bj,
                                                                 const double *pl, size_t ldl, const double *pr,
                                                                 size_t ldr, double scale) {
  const __m256d S = _mm256_set1_pd(scale), Z = _mm256_setzero_pd();
  for (size_t a = 0; a < p; a++) {
    const double *l = pl + a * width * ldl, *r = pr + a * width * ldr;
    for (size_t i = 0; i < bi; i += 4) {
      size_t row[4];
      for (int u = 0; u < 4; u++) row[u] = i + u < bi ? i + u : bi - 1;
      for (size_t j = 0; j < bj; j += 8) {
        const int two = j + 8 <= bj;
        __m256d acc[4][2] = {{Z, Z}, {Z, Z}, {Z, Z}, {Z, Z}};
        for (size_t e = 0; e < width; e++) {
          const double *re = r + e * ldr + j, *le = l + e * ldl;
          __m256d v0 = _mm256_loadu_pd(re), v1 = two ? _mm256_loadu_pd(re + 4) : Z;
          for (int u = 0; u < 4; u++) {
            __m256d b = _mm256_set1_pd(le[row[u]]);
            acc[u][0] = _mm256_add_pd(acc[u][0], _mm256_mul_pd(b, v0));
            acc[u][1] = _mm256_add_pd(acc[u][1], _mm256_mul_pd(b, v1));
          }
        }
        for (int u = 0; u < 4 && i + u < bi; u++) {
          double *out = k + (a * bi + i + u) * bj + j;
          _mm256_storeu_pd(out, _mm256_mul_pd(acc[u][0], S));
          if (two) _mm256_storeu_pd(out + 4, _mm256_mul_pd(acc[u][1], S));
        }
      }
    }
  }
}

void skel_rect_inputs(double *k, size_t p, size_t width, size_t bi, size_t bj, const double *pl, size_t ldl,
                      const double *pr, size_t ldr, double scale) {
  if (bj % 4 == 0 && skel_fast_has_avx2()) {
    rect_inputs_avx2(k, p, width, bi, bj, pl, ldl, pr, ldr, scale);
    return;
  }
  for (size_t a = 0; a < p; a++)
    for (size_t i = 0; i < bi; i++)
      for (size_t j = 0; j < bj; j++) {
        double acc = 0;
        for (size_t e = 0; e < width; e++) {
          double prod = pl[(a * width + e) * ldl + i] * pr[(a * width + e) * ldr + j];
          acc += prod;
        }
        k[(a * bi + i) * bj + j] = acc * scale;
      }
}

__attribute__((target("avx2,fma"))) static double probe_avx2(const double *x, size_t n, int op, int repeats) {
  // 8 independent accumulator chains: the unit's throughput, not its latency
  __m256d acc[8];
  for (int i = 0; i < 8; i++) acc[i] = _mm256_setzero_pd();
  const __m256d ONE = _mm256_set1_pd(1.0);
  for (int rep = 0; rep < repeats; rep++) {
    for (size_t i = 0; i + 32 <= n; i += 32) {
      for (int j = 0; j < 8; j++) {
        __m256d v = _mm256_loadu_pd(x + i + 4 * j);
        acc[j] = _mm256_add_pd(acc[j], op == 0 ? _mm256_sqrt_pd(v) : _mm256_div_pd(ONE, v));
      }
    }
  }
  double out[4], sum = 0;
  for (int j = 0; j < 8; j++) {
    _mm256_storeu_pd(out, acc[j]);
    sum += out[0] + out[1] + out[2] + out[3];
  }
  return sum;
}

double skel_probe_sqrt_div(const double *x, size_t n, int op, int repeats) {
  if (skel_fast_has_avx2()) return probe_avx2(x, n, op, repeats);
  double sum = 0;
  for (int rep = 0; rep < repeats; rep++)
    for (size_t i = 0; i < n; i++) sum += op == 0 ? sqrt(x[i]) : 1 / x[i];
  return sum;
}
