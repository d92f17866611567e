/* A plain SGD epoch in C: what this machine allows for W1-W3 (squared error, constant eta,
 * one sample an update, no penalty), to read gdfast's numbers against.
 *
 * The loop DESIGN.md's "What the hardware allows" describes: for each sample of the order,
 * p = x . w + b; g = p - y; w -= eta g x; b -= eta g; with an optional software prefetch of
 * the row `ahead` positions later in the order. float64 and float32 versions. Built by
 * bench/report.py as a shared library (gcc -O3 -march=x86-64-v3 -fopenmp-simd, the
 * instruction set of gdfast's x86-64-v3 kernels) and called through ctypes on the same
 * arrays and permutations as gdfast.
 */
#include <stdint.h>

#define DEFINE_EPOCH(NAME, T)                                                               \
  double NAME(const T *X, const T *y, const int64_t *order, int64_t n, int64_t d, T *w,    \
              T *b, T eta, int64_t ahead) {                                                 \
    double loss = 0.0;                                                                      \
    for (int64_t pos = 0; pos < n; ++pos) {                                                 \
      if (ahead > 0 && pos + ahead < n) {                                                   \
        const char *next = (const char *)(X + (order ? order[pos + ahead] : pos + ahead) * d); \
        for (int64_t off = 0; off < d * (int64_t)sizeof(T); off += 64)                      \
          __builtin_prefetch(next + off, 0, 3);                                             \
      }                                                                                     \
      const int64_t i = order ? order[pos] : pos;                                           \
      const T *x = X + i * d;                                                               \
      T p = *b;                                                                             \
      _Pragma("omp simd reduction(+ : p)") for (int64_t j = 0; j < d; ++j) p += x[j] * w[j]; \
      const T g = p - y[i];                                                                 \
      loss += 0.5 * (double)g * (double)g;                                                  \
      const T step = eta * g;                                                               \
      _Pragma("omp simd") for (int64_t j = 0; j < d; ++j) w[j] -= step * x[j];              \
      *b -= step;                                                                           \
    }                                                                                       \
    return loss;                                                                            \
  }

DEFINE_EPOCH(sgd_epoch_f64, double)
DEFINE_EPOCH(sgd_epoch_f32, float)
