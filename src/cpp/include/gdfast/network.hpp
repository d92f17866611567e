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
#include <vector>

#include "data.hpp"
#include "model.hpp"

namespace gdfast {

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

// C (m x n) = A (m x k) * B (k x n) (+ C when accumulate), all row-major with
// the given leading dimensions. A register block of Mr rows x Nr columns of C
// is summed over the whole of k before it is stored: the compiler keeps it in
// vector registers, each element of B is loaded once per Mr rows and each of A
// once per Nr columns. Every element of C is summed over p in order, whatever
// the blocking, so the bits do not depend on it.
template <class T>
struct GemmBlock {
  static constexpr index_t Mr = 4;
  static constexpr index_t Nr = 64 / static_cast<index_t>(sizeof(T));  // two 256-bit vectors
};

template <class T, index_t Mr, index_t Nr>
GDFAST_ALWAYS_INLINE void gemm_tile(index_t k, const T* a, index_t lda, const T* b, index_t ldb, T* c,
                                    index_t ldc, bool accumulate) {
  T acc[Mr][Nr];
  for (index_t r = 0; r < Mr; ++r)
#pragma omp simd
    for (index_t j = 0; j < Nr; ++j) acc[r][j] = accumulate ? c[r * ldc + j] : T(0);
  for (index_t p = 0; p < k; ++p) {
    const T* bp = b + p * ldb;
    for (index_t r = 0; r < Mr; ++r) {
      const T ar = a[r * lda + p];
#pragma omp simd
      for (index_t j = 0; j < Nr; ++j) acc[r][j] += ar * bp[j];
    }
  }
  for (index_t r = 0; r < Mr; ++r)
#pragma omp simd
    for (index_t j = 0; j < Nr; ++j) c[r * ldc + j] = acc[r][j];
}

// The edges: fewer than Mr rows or Nr columns, the same order of sums.
template <class T>
void gemm_edge(index_t m, index_t n, index_t k, const T* a, index_t lda, const T* b, index_t ldb, T* c,
               index_t ldc, bool accumulate) {
  for (index_t i = 0; i < m; ++i) {
    T* ci = c + i * ldc;
    if (!accumulate) std::fill(ci, ci + n, T(0));
    for (index_t p = 0; p < k; ++p) {
      const T aip = a[i * lda + p];
      const T* bp = b + p * ldb;
#pragma omp simd
      for (index_t j = 0; j < n; ++j) ci[j] += aip * bp[j];
    }
  }
}

template <class T>
void gemm(index_t m, index_t n, index_t k, const T* a, index_t lda, const T* b, index_t ldb, T* c,
          index_t ldc, bool accumulate) {
  constexpr index_t Mr = GemmBlock<T>::Mr, Nr = GemmBlock<T>::Nr;
  const index_t m_full = m - m % Mr, n_full = n - n % Nr;
  for (index_t i = 0; i < m_full; i += Mr)
    for (index_t j = 0; j < n_full; j += Nr)
      gemm_tile<T, Mr, Nr>(k, a + i * lda, lda, b + j, ldb, c + i * ldc + j, ldc, accumulate);
  if (n_full < n) gemm_edge(m_full, n - n_full, k, a, lda, b + n_full, ldb, c + n_full, ldc, accumulate);
  if (m_full < m) gemm_edge(m - m_full, n, k, a + m_full * lda, lda, b, ldb, c + m_full * ldc, ldc, accumulate);
}

// out (cols x rows) = in (rows x cols)^T
template <class T>
void transpose(index_t rows, index_t cols, const T* in, T* out) {
  for (index_t i = 0; i < rows; ++i)
    for (index_t j = 0; j < cols; ++j) out[j * rows + i] = in[i * cols + j];
}

}  // namespace detail

// The network. `sizes` = (n_features, hidden..., n_outputs); y holds y_stride
// values per sample (1: a value or a class index; k: one target per output).
template <class T, class Activation, class Head>
struct NetworkModel {
  using value_type = T;
  static constexpr bool direct_step = false;
  static constexpr bool batch_level = true;

  struct Workspace {
    std::vector<T> input;                    // the batch's rows, m x n_features
    std::vector<std::vector<T>> activations;  // per layer, m x fan_out
    std::vector<T> delta, delta_prev;         // m x widest layer
    std::vector<T> transposed;                // the transposed operand of a product
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

  // Forward over the m rows in ws.input: every layer's activations; the last
  // layer holds the decision values (before the output head).
  void forward(index_t m, Workspace& ws) const {
    const T* in = ws.input.data();
    for (index_t l = 0; l < n_layers(); ++l) {
      const index_t fan_in = sizes[l], fan_out = sizes[l + 1];
      std::vector<T>& out = ws.activations[l];
      out.resize(static_cast<std::size_t>(m * fan_out));
      const T* b = params + bias_offset(l);
      for (index_t i = 0; i < m; ++i) std::copy(b, b + fan_out, out.data() + i * fan_out);
      detail::gemm(m, fan_out, fan_in, in, fan_in, params + weight_offset(l), fan_out, out.data(), fan_out,
                   true);
      if (l + 1 < n_layers())
        for (T& z : out) z = Activation::value(z);
      in = out.data();
    }
  }

  // grad += the sum over rows [first, first + count) of the order of the
  // sample-weighted gradients; returns the sum of the sample-weighted losses.
  // Only the gather depends on the data's layout, so the products are compiled
  // once per network, not once per layout.
  template <class Data>
  double accumulate_batch(const Data& X, const T* y, const T* sample_weight, const index_t* order,
                          index_t first, index_t count, T* grad, Workspace& ws) const {
    const index_t d = sizes[0];
    ws.input.assign(static_cast<std::size_t>(count * d), T(0));
    for (index_t r = 0; r < count; ++r) {
      const index_t i = order ? order[first + r] : first + r;
      X.row(i).axpy(T(1), ws.input.data() + r * d);
    }
    return backprop(y, sample_weight, order ? order + first : nullptr, first, count, grad, ws);
  }

  // The batch in ws.input: samples rows[r] (or first + r without rows).
  double backprop(const T* y, const T* sample_weight, const index_t* rows, index_t first, index_t m,
                  T* grad, Workspace& ws) const {
    const index_t k = n_outputs();
    forward(m, ws);

    index_t widest = 0;
    for (const index_t s : sizes) widest = std::max(widest, s);
    ws.delta.resize(static_cast<std::size_t>(m * widest));
    ws.delta_prev.resize(static_cast<std::size_t>(m * widest));
    double loss = 0.0;
    const T* out = ws.activations.back().data();
    for (index_t r = 0; r < m; ++r) {
      const index_t i = rows ? rows[r] : first + r;
      const T w = sample_weight ? sample_weight[i] : T(1);
      T* dr = ws.delta.data() + r * k;
      loss += static_cast<double>(w * head.loss(out + r * k, y + i * y_stride, dr, k));
      if (sample_weight)
        for (index_t c = 0; c < k; ++c) dr[c] *= w;
    }

    for (index_t l = n_layers() - 1; l >= 0; --l) {
      const index_t fan_in = sizes[l], fan_out = sizes[l + 1];
      const T* below = l > 0 ? ws.activations[l - 1].data() : ws.input.data();
      // dW_l += below^T (fan_in x m) * delta (m x fan_out)
      ws.transposed.resize(static_cast<std::size_t>(std::max(m * fan_in, fan_in * fan_out)));
      detail::transpose(m, fan_in, below, ws.transposed.data());
      detail::gemm(fan_in, fan_out, m, ws.transposed.data(), m, ws.delta.data(), fan_out,
                   grad + weight_offset(l), fan_out, true);
      T* grad_b = grad + bias_offset(l);
      for (index_t r = 0; r < m; ++r) {
        const T* dr = ws.delta.data() + r * fan_out;
        for (index_t c = 0; c < fan_out; ++c) grad_b[c] += dr[c];
      }
      if (l == 0) break;
      // delta_below = (delta (m x fan_out) * W_l^T (fan_out x fan_in)) * act'(below)
      detail::transpose(fan_in, fan_out, params + weight_offset(l), ws.transposed.data());
      detail::gemm(m, fan_in, fan_out, ws.delta.data(), fan_out, ws.transposed.data(), fan_in,
                   ws.delta_prev.data(), fan_in, false);
      for (index_t j = 0; j < m * fan_in; ++j) ws.delta_prev[j] *= Activation::derivative_from_value(below[j]);
      std::swap(ws.delta, ws.delta_prev);
    }
    return loss;
  }
};

}  // namespace gdfast
