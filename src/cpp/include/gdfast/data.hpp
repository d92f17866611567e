// Views of the training data: pointers and shapes only, never owning.
#pragma once

#include <cstdint>

namespace gdfast {

using index_t = std::int64_t;

// One dense row: the engine only ever asks a row for a dot product with a
// weight vector and for an axpy into one, so dense and sparse rows are
// interchangeable in every loop.
template <class T>
struct DenseRow {
  const T* values;
  index_t size;

  T dot(const T* w) const {
    T s = T(0);
    // A fixed-order SIMD reduction: vectorised, yet the same bits on every run.
#pragma omp simd reduction(+ : s)
    for (index_t j = 0; j < size; ++j) s += values[j] * w[j];
    return s;
  }

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

  // Touch the row a few samples ahead so the random gather of shuffled SGD
  // overlaps with the arithmetic of the current sample.
  void prefetch(index_t i) const {
#if defined(__GNUC__)
    const char* p = reinterpret_cast<const char*>(data + i * row_stride);
    const index_t bytes = n_cols * static_cast<index_t>(sizeof(T));
    for (index_t off = 0; off < bytes; off += 64) __builtin_prefetch(p + off, 0, 3);
#else
    (void)i;
#endif
  }
};

}  // namespace gdfast
