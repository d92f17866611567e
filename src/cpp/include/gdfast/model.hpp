// The Model concept the engine trains. A model owns nothing: it points into a
// flat parameter vector allocated by the caller, and exposes
//   value_type, Workspace, n_params(), n_penalized(), params,
//   make_workspace(),
//   loss(row, y, ws)               -> per-sample loss; leaves what backward needs in ws
//   add_gradient(row, ws, a, grad) -> grad += a * d loss / d params
//   direct_step                    -> add_gradient may write into params itself
// so a linear model, a multinomial one and later a small neural network run
// through the same loops.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "data.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

// Binary losses on k outputs: k == 1 takes y as it is (a regression target or
// +-1); k > 1 is one-vs-rest on a class index y, every class in the same pass.
// One-vs-rest class weights follow scikit-learn: in the problem of class c a
// sample of class c weighs class_weight[c], every other sample 1.
template <class Loss>
struct OneVsRestHead {
  Loss loss_fn;
  const double* class_weight = nullptr;  // k entries, or nullptr

  template <class T>
  T loss(const T* p, T y, T* dp, index_t k) const {
    if (k == 1) {
      dp[0] = loss_fn.derivative(p[0], y);
      return loss_fn.value(p[0], y);
    }
    const index_t cls = static_cast<index_t>(y);
    T total = T(0);
    for (index_t c = 0; c < k; ++c) {
      const bool positive = c == cls;
      const T target = positive ? T(1) : T(-1);
      const T weight = positive && class_weight ? static_cast<T>(class_weight[c]) : T(1);
      dp[c] = weight * loss_fn.derivative(p[c], target);
      total += weight * loss_fn.value(p[c], target);
    }
    return total;
  }
};

// Multinomial logistic regression on a class index y: the loss is
// logsumexp(p) - p[y], its gradient softmax(p) - onehot(y).
struct SoftmaxHead {
  template <class T>
  T loss(const T* p, T y, T* dp, index_t k) const {
    const index_t cls = static_cast<index_t>(y);
    const T top = *std::max_element(p, p + k);
    T sum = T(0);
    for (index_t c = 0; c < k; ++c) {
      dp[c] = std::exp(p[c] - top);
      sum += dp[c];
    }
    for (index_t c = 0; c < k; ++c) dp[c] /= sum;
    dp[cls] -= T(1);
    return top + std::log(sum) - p[cls];
  }
};

// Linear decision values p = W x + b. Parameters are laid out as
// [W (n_outputs x n_features, row-major) | b (n_outputs)] so one update rule
// and one optimizer state cover both, and the penalty covers the W prefix.
template <class T, class Head>
struct LinearModel {
  using value_type = T;
  static constexpr bool direct_step = true;

  struct Workspace {
    std::vector<T> p, dp;
  };

  T* params = nullptr;
  Head head;
  index_t n_features = 0;
  index_t n_outputs = 1;
  bool fit_intercept = true;

  index_t n_penalized() const { return n_outputs * n_features; }
  index_t n_params() const { return n_outputs * (n_features + 1); }
  Workspace make_workspace() const {
    return {std::vector<T>(static_cast<std::size_t>(n_outputs)),
            std::vector<T>(static_cast<std::size_t>(n_outputs))};
  }

  template <class Row>
  T loss(const Row& x, T y, Workspace& ws) const {
    const T* b = params + n_penalized();
    T* dp = ws.dp.data();
    if (n_outputs == 1) {  // regression and binary: no per-output bookkeeping
      const T p = x.dot(params) + b[0];
      return head.loss(&p, y, dp, 1);
    }
    for (index_t c = 0; c < n_outputs; ++c) ws.p[c] = x.dot(params + c * n_features) + b[c];
    return head.loss(ws.p.data(), y, dp, n_outputs);
  }

  template <class Row>
  void add_gradient(const Row& x, const Workspace& ws, T a, T* grad) const {
    T* grad_b = grad + n_penalized();
    const T* dp = ws.dp.data();
    for (index_t c = 0; c < n_outputs; ++c) {
      if (dp[c] == T(0)) continue;  // past a hinge's margin: nothing to add
      const T s = a * dp[c];
      x.axpy(s, grad + c * n_features);
      if (fit_intercept) grad_b[c] += s;
    }
  }
};

GDFAST_ISA_END
}  // namespace gdfast
