/* Peak multiply-add throughput of the cores: the ceiling of W7's matrix products.
 *
 * Each thread runs ACC independent chains acc = acc * a + b for a fixed number of
 * iterations, in float64 and in float32, and the program prints one line per type and thread
 * count: "dtype=float64 threads=N best_gflops=X median_gflops=Y isa=avx2-fma". A multiply-add
 * counts 2 FLOP. Twelve chains hide the FMA latency on every x86-64 core with two FMA pipes
 * (latency 4-5 cycles x 2 issued a cycle = 8-10 chains in flight); the values converge to
 * b / (1 - a) = 0.1, so no denormal or overflow slows them.
 *
 * Compiled with AVX-512 (-march=native on such a machine) the chains are 512-bit FMA
 * intrinsics, the width of gdfast's x86-64-v4 network kernels (isa=avx512); with AVX2 and
 * FMA (-mavx2 -mfma) 256-bit ones, the width of its x86-64-v3 kernels (isa=avx2-fma).
 * Otherwise a portable scalar loop of separate multiplies and adds runs instead, and
 * isa=scalar says it is no FMA peak.
 *
 *     gcc -O2 -march=native -fopenmp bench/fma_peak.c -o build/bench/fma_peak
 *     build/bench/fma_peak [million iterations=20] [repeats=5] [threads...]
 *
 * bench/report.py compiles it (workloads._compile) and quotes the peak beside W7's GFLOP/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__AVX512F__)
#include <immintrin.h>
#define ISA "avx512"
#define LANES_F64 8
#define LANES_F32 16
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define ISA "avx2-fma"
#define LANES_F64 4
#define LANES_F32 8
#else
#define ISA "scalar"
#define LANES_F64 1
#define LANES_F32 1
#endif

/* Twelve chains in named variables, written out: a loop over an array of accumulators
 * leaves them in memory at -O2, and the store-to-load latency then bounds the chains. */
#define ACC 12
#define EACH(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *x, const void *y) {
  const double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* chains_f64 / chains_f32: ACC chains of `iterations` multiply-adds each; they return the
 * sum of the chains, so that the compiler keeps them. The vector type and its intrinsics
 * are those of the widest ISA compiled for. */
#if defined(__AVX512F__)
#define VEC_F64 __m512d
#define VEC_F32 __m512
#define OP_F64(name) _mm512_##name##_pd
#define OP_F32(name) _mm512_##name##_ps
#elif defined(__AVX2__) && defined(__FMA__)
#define VEC_F64 __m256d
#define VEC_F32 __m256
#define OP_F64(name) _mm256_##name##_pd
#define OP_F32(name) _mm256_##name##_ps
#endif
#ifdef VEC_F64
static double chains_f64(long iterations) {
  const VEC_F64 a = OP_F64(set1)(0.999999), b = OP_F64(set1)(1e-7);
#define DECLARE(k) VEC_F64 acc##k = OP_F64(set1)((double)(k));
#define STEP(k) acc##k = OP_F64(fmadd)(acc##k, a, b);
#define SUM(k) total = OP_F64(add)(total, acc##k);
  EACH(DECLARE)
  for (long i = 0; i < iterations; ++i) {
    EACH(STEP)
  }
  VEC_F64 total = OP_F64(setzero)();
  EACH(SUM)
#undef DECLARE
#undef STEP
#undef SUM
  double lanes[LANES_F64];
  OP_F64(storeu)(lanes, total);
  double sum = 0.0;
  for (int k = 0; k < LANES_F64; ++k) sum += lanes[k];
  return sum;
}

static double chains_f32(long iterations) {
  const VEC_F32 a = OP_F32(set1)(0.9999f), b = OP_F32(set1)(1e-5f);
#define DECLARE(k) VEC_F32 acc##k = OP_F32(set1)((float)(k));
#define STEP(k) acc##k = OP_F32(fmadd)(acc##k, a, b);
#define SUM(k) total = OP_F32(add)(total, acc##k);
  EACH(DECLARE)
  for (long i = 0; i < iterations; ++i) {
    EACH(STEP)
  }
  VEC_F32 total = OP_F32(setzero)();
  EACH(SUM)
#undef DECLARE
#undef STEP
#undef SUM
  float lanes[LANES_F32];
  OP_F32(storeu)(lanes, total);
  double sum = 0.0;
  for (int k = 0; k < LANES_F32; ++k) sum += lanes[k];
  return sum;
}
#else
#define DECLARE(k) real acc##k = (real)(k);
#define STEP(k) acc##k = acc##k * a + b;
#define SUM(k) total += (double)acc##k;
#define DEFINE_CHAINS(NAME, T, A, B)                                                       \
  static double NAME(long iterations) {                                                   \
    typedef T real;                                                                        \
    const volatile real va = A, vb = B; /* not constants the compiler could fold */        \
    const real a = va, b = vb;                                                             \
    EACH(DECLARE)                                                                          \
    for (long i = 0; i < iterations; ++i) {                                                \
      EACH(STEP)                                                                           \
    }                                                                                      \
    double total = 0.0;                                                                    \
    EACH(SUM)                                                                              \
    return total;                                                                          \
  }
DEFINE_CHAINS(chains_f64, double, 0.999999, 1e-7)
DEFINE_CHAINS(chains_f32, float, 0.9999f, 1e-5f)
#endif

/* GFLOP/s of `threads` threads each running the chains; adds the chains' sums to *sink. */
static double run(int f64, long iterations, int threads, double *sink) {
  double total = 0.0;
  const double start = now();
#ifdef _OPENMP
#pragma omp parallel num_threads(threads) reduction(+ : total)
#endif
  total += f64 ? chains_f64(iterations) : chains_f32(iterations);
  const double seconds = now() - start;
  *sink += total;
  const double lanes = f64 ? LANES_F64 : LANES_F32;
  return 2.0 * ACC * lanes * (double)iterations * threads / seconds / 1e9;
}

int main(int argc, char **argv) {
  const long iterations = (argc > 1 ? atol(argv[1]) : 20) * 1000000L;
  const int repeats = argc > 2 ? atoi(argv[2]) : 5;
  if (iterations < 1 || repeats < 1) {
    fprintf(stderr, "fma_peak: expected positive iterations and repeats\n");
    return 1;
  }
  int counts[16];
  int n_counts = 0;
  for (int a = 3; a < argc && n_counts < 16; ++a) counts[n_counts++] = atoi(argv[a]);
  if (n_counts == 0) counts[n_counts++] = 1;
#ifndef _OPENMP
  n_counts = 1; /* without OpenMP only one thread runs */
  counts[0] = 1;
#endif

  double sink = 0.0;
  double *gflops = malloc((size_t)repeats * sizeof(double));
  if (gflops == NULL) return 1;
  for (int f64 = 1; f64 >= 0; --f64) {
    for (int c = 0; c < n_counts; ++c) {
      const int threads = counts[c] < 1 ? 1 : counts[c];
      run(f64, iterations / 10, threads, &sink); /* warm up: clocks, thread pool */
      for (int r = 0; r < repeats; ++r) gflops[r] = run(f64, iterations, threads, &sink);
      qsort(gflops, (size_t)repeats, sizeof(double), cmp_double);
      printf("dtype=%s threads=%d best_gflops=%.2f median_gflops=%.2f isa=%s\n",
             f64 ? "float64" : "float32", threads, gflops[repeats - 1], gflops[repeats / 2], ISA);
    }
  }
  free(gflops);
  fprintf(stderr, "(checksum %g)\n", sink);
  return 0;
}
