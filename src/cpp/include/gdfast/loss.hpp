// Per-sample losses: value(p, y) and derivative(p, y) with respect to the
// decision value p. Classification losses take y in {-1, +1}.
#pragma once

#include <cmath>

namespace gdfast {

struct SquaredError {
  template <class T> static T value(T p, T y) { const T r = p - y; return T(0.5) * r * r; }
  template <class T> static T derivative(T p, T y) { return p - y; }
};

struct LogLoss {
  // log(1 + exp(-z)) without overflow for large |z|.
  template <class T> static T value(T p, T y) {
    const T z = y * p;
    return z > T(0) ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
  }
  // -y * sigmoid(-z), evaluated on the side where exp cannot overflow.
  template <class T> static T derivative(T p, T y) {
    const T z = y * p;
    if (z > T(0)) {
      const T e = std::exp(-z);
      return -y * e / (T(1) + e);
    }
    return -y / (T(1) + std::exp(z));
  }
};

}  // namespace gdfast
