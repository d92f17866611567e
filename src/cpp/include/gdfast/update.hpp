// Update rules: how a (mean) gradient becomes a step on the parameters.
// A rule with `direct == true` steps by exactly -eta * gradient, so SGD may
// apply a single sample's gradient straight from its row in O(non-zeros)
// without ever materialising a dense gradient.
#pragma once

#include "data.hpp"

namespace gdfast {

struct PlainUpdate {
  static constexpr bool direct = true;

  template <class T>
  void step(T* params, const T* grad, index_t n, T eta) const {
#pragma omp simd
    for (index_t j = 0; j < n; ++j) params[j] -= eta * grad[j];
  }
};

}  // namespace gdfast
