// A dense multi-layer perceptron as a Model of the engine. Its parameters are
// one flat vector
//   [W_1 | W_2 | ... | W_L | b_1 | ... | b_L],  W_l of shape (fan_in, fan_out), row-major
// (scikit-learn's coefs_ and intercepts_ laid end to end, weights first), so
// every update rule and schedule applies unchanged and the penalty's prefix
// covers exactly the weights. The model trains a batch at a time: the batch's
// rows are gathered into one block, and the forward and backward passes are
// matrix products over it (row by row a network is bound by its weights'
// memory traffic, not by arithmetic).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "data.hpp"
#include "model.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

// Hidden-layer activations: the value, and the derivative expressed through the
// value (every backward pass then needs only the stored activations).
struct Identity {
  template <class T> static T value(T z) { return z; }
  template <class T> static T derivative_from_value(T /*a*/) { return T(1); }
};

struct Relu {
  template <class T> static T value(T z) { return z > T(0) ? z : T(0); }
  template <class T> static T derivative_from_value(T a) { return a > T(0) ? T(1) : T(0); }
};

struct Tanh {
  template <class T> static T value(T z) { return std::tanh(z); }
  template <class T> static T derivative_from_value(T a) { return T(1) - a * a; }
};

struct Logistic {
  // 1 / (1 + exp(-z)) on the side where exp cannot overflow
  template <class T> static T value(T z) {
    if (z >= T(0)) return T(1) / (T(1) + std::exp(-z));
    const T e = std::exp(z);
    return e / (T(1) + e);
  }
  template <class T> static T derivative_from_value(T a) { return a * (T(1) - a); }
};

// An output head over k outputs with a target per output (multi-output
// regression, binary and multilabel classification with +-1 targets): a
// per-sample loss struct of loss.hpp applied to each output.
template <class Loss>
struct ElementwiseHead {
  Loss loss_fn;
  // scikit-learn's MLP reports the squared error as the mean over the outputs
  // (its gradient stays that of the sum); 1 / k there, 1 elsewhere.
  double value_scale = 1.0;

  template <class T>
  T loss(const T* p, const T* y, T* dp, index_t k) const {
    T total = T(0);
    for (index_t c = 0; c < k; ++c) {
      dp[c] = loss_fn.derivative(p[c], y[c]);
      total += loss_fn.value(p[c], y[c]);
    }
    return total * static_cast<T>(value_scale);
  }
};

// The multinomial head on a class index: model.hpp's softmax.
struct SoftmaxClassHead {
  SoftmaxHead softmax;
  template <class T>
  T loss(const T* p, const T* y, T* dp, index_t k) const {
    return softmax.loss(p, *y, dp, k);
  }
};

namespace detail {

// The register block of the products: Mr rows x Nr columns of C, two vectors
// wide (zmm in the AVX-512 build, ymm in the AVX2 one, xmm in the baseline).
// AVX2's 16 registers hold 4 rows (6 ran no faster on W7: the loop is bound by
// its loads); AVX-512's 32 hold 8, which the W7 network's products ran best
// with (bench/gemm_block.cpp, best of 3, batch 32 float64: 4 rows 39.8 GFLOP/s,
// 6 rows 41.3, 8 rows 46.0, 10 rows 41.5, 12 rows 37.9; AVX2 4 rows 25.1).
// GDFAST_GEMM_MR overrides the rows for that benchmark only.
template <class T>
struct GemmBlock {
#if defined(__AVX512F__)
  static constexpr index_t vector_bytes = 64;
  static constexpr index_t default_rows = 8;
#elif defined(__AVX__)
  static constexpr index_t vector_bytes = 32;
  static constexpr index_t default_rows = 4;
#else
  static constexpr index_t vector_bytes = 16;
  static constexpr index_t default_rows = 4;
#endif
#if defined(GDFAST_GEMM_MR)
  static constexpr index_t Mr = GDFAST_GEMM_MR;
#else
  static constexpr index_t Mr = default_rows;
#endif
  static constexpr index_t Nr = 2 * vector_bytes / static_cast<index_t>(sizeof(T));
};

// acc (Mr x Nr) += A (Mr x k) * B (k x Nr). A's element (i, p) is at
// a[i * a_row + p * a_col], so A is read in place either as stored (a_row = ld,
// a_col = 1) or transposed (a_row = 1, a_col = ld). Every element is summed
// over p in order, whatever the blocking, so the bits do not depend on it.
template <class T, index_t Mr, index_t Nr>
GDFAST_ALWAYS_INLINE void multiply_tile(index_t k, const T* a, index_t a_row, index_t a_col, const T* b,
                                        index_t ldb, T (&acc)[Mr][Nr]) {
  for (index_t p = 0; p < k; ++p) {
    const T* ap = a + p * a_col;
    const T* bp = b + p * ldb;
    for (index_t r = 0; r < Mr; ++r) {
      const T ar = ap[r * a_row];
#pragma omp simd
      for (index_t j = 0; j < Nr; ++j) acc[r][j] += ar * bp[j];
    }
  }
}

// One block of C: rows [i, i + Mr), columns [0, width) of B's panel b and of
// c (leading dimension ldc), summed onto C when accumulate. A partial block
// (width < Nr) goes through a buffer: indexing the accumulators by a run time
// bound would keep them out of registers.
template <class T, index_t Mr, index_t Nr>
GDFAST_ALWAYS_INLINE void gemm_block(index_t width, index_t k, const T* a, index_t a_row, index_t a_col,
                                     const T* b, index_t ldb, T* c, index_t ldc, bool accumulate) {
  T acc[Mr][Nr];
  if (width == Nr) {
    for (index_t r = 0; r < Mr; ++r)
#pragma omp simd
      for (index_t j = 0; j < Nr; ++j) acc[r][j] = accumulate ? c[r * ldc + j] : T(0);
  } else {
    for (index_t r = 0; r < Mr; ++r) {
      T row[Nr] = {};
      if (accumulate) std::copy(c + r * ldc, c + r * ldc + width, row);
      for (index_t j = 0; j < Nr; ++j) acc[r][j] = row[j];
    }
  }
  multiply_tile<T, Mr, Nr>(k, a, a_row, a_col, b, ldb, acc);
  if (width == Nr) {
    for (index_t r = 0; r < Mr; ++r)
#pragma omp simd
      for (index_t j = 0; j < Nr; ++j) c[r * ldc + j] = acc[r][j];
  } else {
    for (index_t r = 0; r < Mr; ++r) {
      T row[Nr];
      for (index_t j = 0; j < Nr; ++j) row[j] = acc[r][j];
      std::copy(row, row + width, c + r * ldc);
    }
  }
}

// Columns [0, width) of C over all m rows: blocks of Mr rows, the rest in
// blocks of 4, 2 and 1.
template <class T, index_t Nr>
void gemm_columns(index_t m, index_t width, index_t k, const T* a, index_t a_row, index_t a_col, const T* b,
                  index_t ldb, T* c, index_t ldc, bool accumulate) {
  constexpr index_t Mr = GemmBlock<T>::Mr;
  index_t i = 0;
  for (; i + Mr <= m; i += Mr)
    gemm_block<T, Mr, Nr>(width, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate);
  if constexpr (Mr > 4)
    for (; i + 4 <= m; i += 4)
      gemm_block<T, 4, Nr>(width, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate);
  for (; i + 2 <= m; i += 2)
    gemm_block<T, 2, Nr>(width, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate);
  if (i < m) gemm_block<T, 1, Nr>(width, k, a + i * a_row, a_row, a_col, b, ldb, c + i * ldc, ldc, accumulate);
}

// C (m x n) = A (m x k) * B (k x n) (+ C when accumulate); B and C row-major,
// A strided as in multiply_tile. The columns past the last full block are
// copied into `panel`, zero-padded to a block (an output layer of 3 is one).
template <class T>
void gemm(index_t m, index_t n, index_t k, const T* a, index_t a_row, index_t a_col, const T* b, index_t ldb,
          T* c, index_t ldc, bool accumulate, std::vector<T>& panel) {
  constexpr index_t Nr = GemmBlock<T>::Nr;
  const index_t n_full = n - n % Nr;
  for (index_t j = 0; j < n_full; j += Nr)
    gemm_columns<T, Nr>(m, Nr, k, a, a_row, a_col, b + j, ldb, c + j, ldc, accumulate);
  if (n_full == n) return;
  panel.assign(static_cast<std::size_t>(k * Nr), T(0));
  for (index_t p = 0; p < k; ++p) std::copy(b + p * ldb + n_full, b + p * ldb + n, panel.data() + p * Nr);
  gemm_columns<T, Nr>(m, n - n_full, k, a, a_row, a_col, panel.data(), Nr, c + n_full, ldc, accumulate);
}

}  // namespace detail

// The network. `sizes` = (n_features, hidden..., n_outputs); y holds y_stride
// values per sample (1: a value or a class index; k: one target per output).
template <class T, class Activation, class Head>
struct NetworkModel {
  using value_type = T;
  static constexpr bool direct_step = false;
  static constexpr bool batch_level = true;
  // A network's row is ~50,000 multiply-adds (W7) to a linear model's ~100:
  // the engine splits its batches into blocks of 64 rows, one thread a block
  // (W7 batch 200, 2 threads: 1.4x one thread; splitting each product's
  // columns between the threads instead ran slower than one thread on the
  // AVX-512 kernels, seven barriers a batch).
  static constexpr index_t min_block_rows = 64;

  struct Workspace {
    std::vector<T> input;                    // the batch's rows, m x n_features
    std::vector<std::vector<T>> activations;  // per layer, m x fan_out
    std::vector<T> deltas[2];                 // m x widest layer: this layer's, the one below
    std::vector<T> transposed;                // W_l^T for the backward product
    std::vector<T> panel;                     // the zero-padded last columns of a product
  };

  T* params = nullptr;
  Head head;
  std::vector<index_t> sizes;
  index_t y_stride = 1;

  index_t n_layers() const { return static_cast<index_t>(sizes.size()) - 1; }
  index_t n_outputs() const { return sizes.back(); }
  index_t n_penalized() const {
    index_t n = 0;
    for (index_t l = 0; l < n_layers(); ++l) n += sizes[l] * sizes[l + 1];
    return n;
  }
  index_t n_params() const {
    index_t n = n_penalized();
    for (index_t l = 0; l < n_layers(); ++l) n += sizes[l + 1];
    return n;
  }
  // Offsets of layer l's weights and biases in the flat vector.
  index_t weight_offset(index_t l) const {
    index_t at = 0;
    for (index_t j = 0; j < l; ++j) at += sizes[j] * sizes[j + 1];
    return at;
  }
  index_t bias_offset(index_t l) const {
    index_t at = n_penalized();
    for (index_t j = 0; j < l; ++j) at += sizes[j + 1];
    return at;
  }

  Workspace make_workspace() const {
    Workspace ws;
    ws.activations.resize(static_cast<std::size_t>(n_layers()));
    return ws;
  }

  // grad += the sum over rows [first, first + count) of the order of the
  // sample-weighted gradients; returns the sum of the sample-weighted losses.
  template <class Data>
  double accumulate_batch(const Data& X, const T* y, const T* sample_weight, const index_t* order,
                          index_t first, index_t count, T* grad, Workspace& ws) const {
    size_workspace(count, ws);
    gather(X, order, first, count, ws);
    return backprop(y, sample_weight, order ? order + first : nullptr, first, count, grad, ws);
  }

 private:
  using Block = detail::GemmBlock<T>;

  void size_workspace(index_t m, Workspace& ws) const {
    index_t widest = 0;
    for (const index_t size : sizes) widest = std::max(widest, size);
    ws.input.resize(static_cast<std::size_t>(m * sizes[0]));
    for (index_t l = 0; l < n_layers(); ++l)
      ws.activations[l].resize(static_cast<std::size_t>(m * sizes[l + 1]));
    for (std::vector<T>& delta : ws.deltas) delta.resize(static_cast<std::size_t>(m * widest));
    ws.transposed.resize(static_cast<std::size_t>(widest * widest));
  }

  // The batch's rows into ws.input. Only the gather depends on the data's
  // layout, so the products are compiled once per network, not once per layout.
  template <class Data>
  void gather(const Data& X, const index_t* order, index_t first, index_t m, Workspace& ws) const {
    const index_t d = sizes[0];
    for (index_t r = 0; r < m; ++r) {
      const index_t i = order ? order[first + r] : first + r;
      T* row = ws.input.data() + r * d;
      if constexpr (std::is_same_v<Data, DenseView<T>>) {
        std::copy_n(X.data + i * X.row_stride, d, row);
      } else {
        std::fill(row, row + d, T(0));
        X.row(i).axpy(T(1), row);
      }
    }
  }

  // Forward over the m rows in ws.input: every layer's activations; the last
  // layer holds the decision values (before the output head).
  void forward(index_t m, Workspace& ws) const {
    const T* in = ws.input.data();
    for (index_t l = 0; l < n_layers(); ++l) {
      const index_t fan_in = sizes[l], fan_out = sizes[l + 1];
      T* out = ws.activations[l].data();
      const T* b = params + bias_offset(l);
      for (index_t i = 0; i < m; ++i) std::copy(b, b + fan_out, out + i * fan_out);
      detail::gemm(m, fan_out, fan_in, in, fan_in, 1, params + weight_offset(l), fan_out, out, fan_out, true,
                   ws.panel);
      if (l + 1 < n_layers())
        for (index_t i = 0; i < m * fan_out; ++i) out[i] = Activation::value(out[i]);
      in = out;
    }
  }

  // The batch in ws.input: samples rows[r] (or first + r without rows); returns
  // the sum of their sample-weighted losses.
  double backprop(const T* y, const T* sample_weight, const index_t* rows, index_t first, index_t m, T* grad,
                  Workspace& ws) const {
    const index_t k = n_outputs();
    forward(m, ws);

    double loss = 0.0;
    T* delta = ws.deltas[0].data();
    T* delta_below = ws.deltas[1].data();
    const T* out = ws.activations.back().data();
    for (index_t r = 0; r < m; ++r) {
      const index_t i = rows ? rows[r] : first + r;
      const T w = sample_weight ? sample_weight[i] : T(1);
      T* dr = delta + r * k;
      loss += static_cast<double>(w * head.loss(out + r * k, y + i * y_stride, dr, k));
      if (sample_weight)
        for (index_t c = 0; c < k; ++c) dr[c] *= w;
    }

    for (index_t l = n_layers() - 1; l >= 0; --l) {
      const index_t fan_in = sizes[l], fan_out = sizes[l + 1];
      const T* below = l > 0 ? ws.activations[l - 1].data() : ws.input.data();
      const T* W = params + weight_offset(l);
      // dW_l += below^T (fan_in x m) * delta (m x fan_out), below read transposed in place
      detail::gemm(fan_in, fan_out, m, below, 1, fan_in, delta, fan_out, grad + weight_offset(l), fan_out, true,
                   ws.panel);
      T* grad_b = grad + bias_offset(l);
      for (index_t r = 0; r < m; ++r)
        for (index_t c = 0; c < fan_out; ++c) grad_b[c] += delta[r * fan_out + c];
      if (l == 0) break;
      // delta_below = (delta (m x fan_out) * W_l^T (fan_out x fan_in)) * act'(below)
      T* transposed = ws.transposed.data();
      for (index_t c = 0; c < fan_out; ++c)
        for (index_t j = 0; j < fan_in; ++j) transposed[c * fan_in + j] = W[j * fan_out + c];
      detail::gemm(m, fan_in, fan_out, delta, fan_out, 1, transposed, fan_in, delta_below, fan_in, false,
                   ws.panel);
      for (index_t i = 0; i < m * fan_in; ++i) delta_below[i] *= Activation::derivative_from_value(below[i]);
      std::swap(delta, delta_below);
    }
    return loss;
  }
};

GDFAST_ISA_END
}  // namespace gdfast
