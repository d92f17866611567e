// Views of the training data: pointers and shapes only, never owning.
#pragma once

#include <algorithm>
#include <cstdint>

// For the few helpers of the innermost loops that the compiler would rather
// call than inline: on W1 a called prefetch helper costs 30% of the speed.
#if defined(__GNUC__) || defined(__clang__)
#define GDFAST_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define GDFAST_ALWAYS_INLINE __forceinline
#else
#define GDFAST_ALWAYS_INLINE inline
#endif

// Each instruction set's build of the kernels (GDFAST_KERNEL_ISA) compiles
// these headers into an inline namespace of its own. Without it every inline
// function and template instance the builds share has one name, the linker
// keeps the first object's copy, and the dispatch is void: the baseline build
// called the AVX2 build's epochs, the AVX-512 one the AVX2 products. The
// binding, built without it, sees the same types in gdfast itself: the
// requests between them are plain data of identical layout.
#define GDFAST_ISA_NAME_(isa) isa_##isa
#define GDFAST_ISA_NAME(isa) GDFAST_ISA_NAME_(isa)
#if defined(GDFAST_KERNEL_ISA)
#define GDFAST_ISA_BEGIN inline namespace GDFAST_ISA_NAME(GDFAST_KERNEL_ISA) {
#define GDFAST_ISA_END }
#else
#define GDFAST_ISA_BEGIN
#define GDFAST_ISA_END
#endif

namespace gdfast {
GDFAST_ISA_BEGIN

using index_t = std::int64_t;

namespace detail {
// Every cache line of [begin, begin + bytes), from the line of the first byte to
// that of the last: stepping 64 bytes from `begin` misses the last line of a row
// that starts late in its first line (a 40-byte row at byte 56 spans two).
template <int Locality>
GDFAST_ALWAYS_INLINE void prefetch_lines(const void* begin, index_t bytes) {
#if defined(__GNUC__)
  const auto first = reinterpret_cast<std::uintptr_t>(begin);
  const std::uintptr_t end = first + static_cast<std::uintptr_t>(bytes);
  for (std::uintptr_t line = first & ~std::uintptr_t(63); line < end; line += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(line), 0, Locality);
#else
  (void)begin;
  (void)bytes;
#endif
}

// The sum of a value of every cache line of values[0, n) (64 bytes apart, and
// the last, which an array starting late in a line ends in): loads that bring
// the lines into this core's caches, for a thread that reads rows ahead.
template <class V>
GDFAST_ALWAYS_INLINE V sum_lines(const V* values, index_t n) {
  constexpr index_t per_line = 64 / static_cast<index_t>(sizeof(V));
  V sum = n > 0 ? values[n - 1] : V(0);
  for (index_t j = 0; j < n; j += per_line) sum += values[j];
  return sum;
}

// sum over k < n of values[k] * w_at(k), in four running sums in a fixed order:
// one sum would chain every multiply-add on the last (W4: the dot product was
// 62% of the epoch, four sums run it ~3x faster).
template <class T, class WeightAt>
GDFAST_ALWAYS_INLINE T four_sum_dot(const T* values, index_t n, WeightAt w_at) {
  T s0 = T(0), s1 = T(0), s2 = T(0), s3 = T(0);
  index_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += values[k] * w_at(k);
    s1 += values[k + 1] * w_at(k + 1);
    s2 += values[k + 2] * w_at(k + 2);
    s3 += values[k + 3] * w_at(k + 3);
  }
  for (; k < n; ++k) s0 += values[k] * w_at(k);
  return (s0 + s1) + (s2 + s3);
}
}  // namespace detail

// One dense row: the engine only ever asks a row for a dot product with a
// weight vector and for an axpy into one, so dense and sparse rows are
// interchangeable in every loop.
template <class T>
struct DenseRow {
  const T* values;
  index_t size;

  // Independent running sums, 128 bytes of them (four AVX2 registers), folded
  // in a fixed tree: one vector sum would chain every multiply-add on the last
  // (rows in order: W1 runs ~25% faster), and the order is the same on every run.
  // Each fold level is a loop of constant length, so it unrolls into vector adds
  // (a loop over the levels compiled to shifts and a memset: ~15% of W6).
  // The sums start from the first products, not from zero: zeroing them compiled
  // to a `rep stos` that cost 5% of W2 and W3 (bench/PROFILES.md).
  T dot(const T* w) const {
    constexpr index_t kSums = 128 / static_cast<index_t>(sizeof(T));
    if (size < kSums) return short_dot(w);
    T s[kSums];
    for (index_t l = 0; l < kSums; ++l) s[l] = values[l] * w[l];
    index_t j = kSums;
    for (; j + kSums <= size; j += kSums)
      for (index_t l = 0; l < kSums; ++l) s[l] += values[j + l] * w[j + l];
    T tail = T(0);
    for (; j < size; ++j) tail += values[j] * w[j];
    return fold<kSums / 2>(s) + tail;
  }

 private:
  // Rows narrower than the sums (W3: 10 features): four sums, as for a sparse row.
  T short_dot(const T* w) const {
    return detail::four_sum_dot(values, size, [w](index_t j) { return w[j]; });
  }

  // The sums folded in halves, each level a loop of constant length.
  template <index_t Width>
  static GDFAST_ALWAYS_INLINE T fold(T* s) {
    for (index_t l = 0; l < Width; ++l) s[l] += s[l + Width];
    if constexpr (Width > 1) {
      return fold<Width / 2>(s);
    } else {
      return s[0];
    }
  }

 public:

  void axpy(T a, T* w) const {
#pragma omp simd
    for (index_t j = 0; j < size; ++j) w[j] += a * values[j];
  }
};

template <class T>
struct DenseView {
  using value_type = T;
  using row_type = DenseRow<T>;

  const T* data = nullptr;
  index_t n_rows = 0;
  index_t n_cols = 0;
  index_t row_stride = 0;  // elements from one row start to the next

  row_type row(index_t i) const { return {data + i * row_stride, n_cols}; }

  // Rows the engine fetches ahead of a shuffled order, into the L1. Raced in one
  // process against 4, 12, 16, 24 and 32 rows and against prefetches into the L2
  // only (prefetcht1/t2): 4 lost 20% on W3, the L2 prefetches 5-15% on W1, the
  // rest lost or tied on W1, W2 and W5.
  static constexpr index_t kPrefetchAhead = 8;

  // A dense row's address needs no load: nothing to fetch before the row.
  void prefetch_offsets(index_t /*i*/) const {}

  GDFAST_ALWAYS_INLINE void prefetch(index_t i) const {
    detail::prefetch_lines<3>(data + i * row_stride, n_cols * static_cast<index_t>(sizeof(T)));
  }

  // Rows further ahead, into the L2 only (prefetcht1), for rows that come from
  // memory: the L1 prefetches alone leave a core at the number of misses its
  // L1 tracks at once, the L2 tracks more. bench/sgd_pipeline.cpp (issue 14):
  // one thread's W1 epoch 1.4-1.7x (float64) and 1.4-1.55x (float32), W3
  // 1.2-1.7x, with 16 to 64 rows alike; rows in the L3 (W2) lost 8-11%, hence
  // only beyond the cache (detail::kOutOfCacheBytes).
  static constexpr index_t kPrefetchFar = 32;

  GDFAST_ALWAYS_INLINE void prefetch_far(index_t i) const {
    detail::prefetch_lines<2>(data + i * row_stride, n_cols * static_cast<index_t>(sizeof(T)));
  }

  // Loads every cache line of row i (detail::sum_lines).
  GDFAST_ALWAYS_INLINE T read_lines(index_t i) const { return detail::sum_lines(data + i * row_stride, n_cols); }

  // The bytes of the rows an epoch of n_order samples can reach.
  index_t bytes_reached(index_t n_order) const {
    return std::min(n_order, n_rows) * n_cols * static_cast<index_t>(sizeof(T));
  }
};

// One CSR row: the same two operations in O(non-zeros). I is the stored
// index type: scipy keeps int32 while the indices fit, and reading them as
// they are saves converting them and half of their memory traffic.
template <class T, class I = index_t>
struct SparseRow {
  const T* values;
  const I* indices;
  index_t nnz;

  T dot(const T* w) const {
    const I* at = indices;
    return detail::four_sum_dot(values, nnz, [w, at](index_t k) { return w[at[k]]; });
  }

  void axpy(T a, T* w) const {
    for (index_t k = 0; k < nnz; ++k) w[indices[k]] += a * values[k];
  }
};

// Compressed sparse rows, scipy's layout; offsets and indices of type I.
template <class T, class I = index_t>
struct CsrView {
  using value_type = T;
  using row_type = SparseRow<T, I>;

  const T* data = nullptr;
  const I* indices = nullptr;
  const I* indptr = nullptr;  // n_rows + 1 entries
  index_t n_rows = 0;
  index_t n_cols = 0;

  row_type row(index_t i) const {
    const index_t begin = indptr[i];
    return {data + begin, indices + begin, static_cast<index_t>(indptr[i + 1]) - begin};
  }

  GDFAST_ALWAYS_INLINE void prefetch_offsets(index_t i) const {
#if defined(__GNUC__)
    __builtin_prefetch(indptr + i, 0, 3);
#else
    (void)i;
#endif
  }

  // Rows fetched 16 ahead into the L2 cache only (prefetcht2), not 8 ahead into
  // the L1, whose fill buffers the row's random weight gathers need too: W4 runs
  // 4.15 against 3.65 M samples/s (medians of 5 alternating runs).
  static constexpr index_t kPrefetchAhead = 16;
  // The far level fetches only the targets and weights (engine.hpp,
  // prefetch_ahead): a row's values need its offsets, fetched 32 ahead already,
  // and its prefetch above goes to the L2 anyway.
  static constexpr index_t kPrefetchFar = 32;
  void prefetch_far(index_t /*i*/) const {}

  // The whole row, values and indices.
  GDFAST_ALWAYS_INLINE void prefetch(index_t i) const {
    const index_t begin = indptr[i];
    const index_t count = indptr[i + 1] - begin;
    detail::prefetch_lines<1>(data + begin, count * static_cast<index_t>(sizeof(T)));
    detail::prefetch_lines<1>(indices + begin, count * static_cast<index_t>(sizeof(I)));
  }

  // Loads every cache line of row i's values and indices (detail::sum_lines).
  GDFAST_ALWAYS_INLINE T read_lines(index_t i) const {
    const index_t begin = indptr[i];
    const index_t count = indptr[i + 1] - begin;
    return detail::sum_lines(data + begin, count) + static_cast<T>(detail::sum_lines(indices + begin, count));
  }

  // The bytes of values and indices an epoch of n_order samples reaches (in
  // proportion when it uses fewer samples than there are rows).
  index_t bytes_reached(index_t n_order) const {
    if (n_rows == 0) return 0;
    const index_t nnz = static_cast<index_t>(indptr[n_rows] - indptr[0]);
    const index_t bytes = nnz * static_cast<index_t>(sizeof(T) + sizeof(I));
    return n_order >= n_rows ? bytes : bytes / n_rows * n_order;
  }
};

GDFAST_ISA_END
}  // namespace gdfast
