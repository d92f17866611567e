// Penalties on the coefficients (never on the intercept), scikit-learn's
// convention: alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2).
// "l2" is l1_ratio = 0, "l1" is l1_ratio = 1, "elasticnet" anything between.
#pragma once

#include <algorithm>

#include "data.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

template <class T>
struct Penalty {
  T l2 = T(0);  // alpha * (1 - l1_ratio)
  T l1 = T(0);  // alpha * l1_ratio
  // scikit-learn's MLP: an L2 term alpha / 2 * |w|^2 / (samples of the update)
  // on each update's mean loss, so its strength per sample depends on the batch.
  T l2_per_batch = T(0);
  // L1 state of the cumulative truncated gradient (Tsuruoka, Tsujii &
  // Ananiadou 2009): q[j], the L1 penalty weight j has received so far, and
  // *u, the total it could have received. Owned by the caller so it carries
  // over from one epoch to the next.
  T* q = nullptr;
  T* u = nullptr;

  // The gradient of the L2 part, added to the mean data gradient of `count` samples.
  void add_gradient(const T* w, index_t n, T* grad, index_t count = 1) const {
    const T strength = l2 + l2_per_batch / static_cast<T>(count);
    if (strength == T(0)) return;
    for (index_t j = 0; j < n; ++j) grad[j] += strength * w[j];
  }

  // What the per-batch L2 term adds to the update's summed loss (the linear
  // models report their data loss alone).
  double batch_loss(const T* w, index_t n) const {
    if (l2_per_batch == T(0)) return 0.0;
    // eight sums in a fixed order: one chain of dependent additions over a
    // network's 10,000 weights cost every W7 update about 4 us
    constexpr index_t kSums = 8;
    double sums[kSums] = {};
    index_t j = 0;
    for (; j + kSums <= n; j += kSums)
      for (index_t l = 0; l < kSums; ++l) sums[l] += static_cast<double>(w[j + l]) * static_cast<double>(w[j + l]);
    for (; j < n; ++j) sums[0] += static_cast<double>(w[j]) * static_cast<double>(w[j]);
    const double squares = ((sums[0] + sums[1]) + (sums[2] + sums[3])) + ((sums[4] + sums[5]) + (sums[6] + sums[7]));
    return 0.5 * static_cast<double>(l2_per_batch) * squares;
  }

  // The L2 step taken multiplicatively, for updates applied straight from a
  // row: w - eta * (g + l2 * w) == (1 - eta * l2) * w - eta * g.
  void decay(T* w, index_t n, T eta) const {
    if (l2 == T(0)) return;
    const T scale = T(1) - eta * l2;
    for (index_t j = 0; j < n; ++j) w[j] *= scale;
  }

  // After each step: pull every weight towards zero by the L1 penalty it has
  // not yet received, never across zero, so exact zeros appear and stay.
  void truncate(T* w, index_t n, T eta) const {
    if (l1 == T(0)) return;
    *u += l1 * eta;
    const T total = *u;
    for (index_t j = 0; j < n; ++j) {
      const T before = w[j];
      if (before > T(0)) {
        w[j] = std::max(T(0), before - (total + q[j]));
      } else if (before < T(0)) {
        w[j] = std::min(T(0), before + (total - q[j]));
      }
      q[j] += w[j] - before;
    }
  }
};

GDFAST_ISA_END
}  // namespace gdfast
