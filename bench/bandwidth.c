/* Streaming read bandwidth: the ceiling of a pass over dense data (W6 batch).
 *
 * Sums a 1 GiB array of doubles with N OpenMP threads (static schedule, each thread
 * first-touches the part it later reads), several times, and prints one line per thread
 * count: "threads=N best_gbs=X median_gbs=Y". Four independent accumulators per thread so
 * the adds do not serialise on latency; the compiler vectorises the loop at -O3.
 *
 *     gcc -O3 -march=native -fopenmp bench/bandwidth.c -o build/bench/bandwidth
 *     build/bench/bandwidth [MiB=1024] [repeats=7] [threads...]
 *
 * bench/report.py compiles and runs it (and falls back to NumPy's X.sum() without gcc).
 * Built with -DBANDWIDTH_LIBRARY -shared it is a library instead: read_passes() reads W6's own
 * X in the same rounds as gdfast's W6 fits, which is the bandwidth W6's target is against.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double sum_all(const double *x, long n, int threads) {
  double total = 0.0;
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : total)
  for (long block = 0; block < n / 4; ++block) {
    total += (x[4 * block] + x[4 * block + 1]) + (x[4 * block + 2] + x[4 * block + 3]);
  }
  return total;
}

/* `passes` read passes over x[0:n] with `threads` threads; returns the sum (keep it live). */
double read_passes(const double *x, long n, int threads, int passes) {
  double total = 0.0;
  for (int p = 0; p < passes; ++p) total += sum_all(x, n, threads);
  return total;
}

#ifndef BANDWIDTH_LIBRARY
int main(int argc, char **argv) {
  const long mib = argc > 1 ? atol(argv[1]) : 1024;
  const int repeats = argc > 2 ? atoi(argv[2]) : 7;
  const long n = mib * 1024L * 1024L / (long)sizeof(double);
  double *x = aligned_alloc(64, (size_t)n * sizeof(double));
  if (x == NULL || repeats < 1) {
    fprintf(stderr, "bandwidth: cannot allocate %ld MiB\n", mib);
    return 1;
  }
  int max_threads = 1;
#ifdef _OPENMP
  max_threads = omp_get_max_threads();
#endif
#pragma omp parallel for num_threads(max_threads) schedule(static)
  for (long i = 0; i < n; ++i) x[i] = (double)(i & 1023) * 1e-3;

  int counts[16];
  int n_counts = 0;
  for (int a = 3; a < argc && n_counts < 16; ++a) counts[n_counts++] = atoi(argv[a]);
  if (n_counts == 0) counts[n_counts++] = max_threads;

  double sink = 0.0;
  double *gbs = malloc((size_t)repeats * sizeof(double));
  for (int c = 0; c < n_counts; ++c) {
    const int threads = counts[c] < 1 ? 1 : counts[c];
    sink += sum_all(x, n, threads); /* warm up: page tables, thread pool */
    for (int r = 0; r < repeats; ++r) {
      const double start = now();
      sink += sum_all(x, n, threads);
      gbs[r] = (double)n * sizeof(double) / (now() - start) / 1e9;
    }
    qsort(gbs, (size_t)repeats, sizeof(double), cmp_double);
    printf("threads=%d best_gbs=%.3f median_gbs=%.3f\n", threads, gbs[repeats - 1],
           gbs[repeats / 2]);
  }
  fprintf(stderr, "checksum %g\n", sink);
  free(gbs);
  free(x);
  return 0;
}
#endif
