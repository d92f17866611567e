// Penalties on the coefficients (never on the intercept), scikit-learn's
// convention: alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2).
#pragma once

#include "data.hpp"

namespace gdfast {

template <class T>
struct Penalty {
  T l2 = T(0);  // alpha * (1 - l1_ratio)

  // The gradient of the smooth part, added to a mean data gradient.
  void add_gradient(const T* w, index_t n, T* grad) const {
    if (l2 == T(0)) return;
    for (index_t j = 0; j < n; ++j) grad[j] += l2 * w[j];
  }

  // The same step taken multiplicatively, for updates applied straight from a
  // row: w - eta * (g + l2 * w) == (1 - eta * l2) * w - eta * g.
  void decay(T* w, index_t n, T eta) const {
    if (l2 == T(0)) return;
    const T scale = T(1) - eta * l2;
    for (index_t j = 0; j < n; ++j) w[j] *= scale;
  }
};

}  // namespace gdfast
