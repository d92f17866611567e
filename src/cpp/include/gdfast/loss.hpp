// Per-sample losses: value(p, y) and derivative(p, y) with respect to the
// decision value p, as in scikit-learn's SGD. Classification losses take y in
// {-1, +1}. A loss with a parameter (epsilon) carries it as a member.
#pragma once

#include <cmath>

#include "data.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

struct SquaredError {
  template <class T> T value(T p, T y) const { const T r = p - y; return T(0.5) * r * r; }
  template <class T> T derivative(T p, T y) const { return p - y; }
};

// Quadratic within epsilon of the target, linear beyond.
struct Huber {
  double epsilon = 0.1;
  template <class T> T value(T p, T y) const {
    const T r = std::abs(p - y), c = T(epsilon);
    return r <= c ? T(0.5) * r * r : c * r - T(0.5) * c * c;
  }
  template <class T> T derivative(T p, T y) const {
    const T r = p - y, c = T(epsilon);
    return r > c ? c : (r < -c ? -c : r);
  }
};

struct EpsilonInsensitive {
  double epsilon = 0.1;
  template <class T> T value(T p, T y) const {
    const T excess = std::abs(y - p) - T(epsilon);
    return excess > T(0) ? excess : T(0);
  }
  template <class T> T derivative(T p, T y) const {
    const T r = p - y, c = T(epsilon);
    return r > c ? T(1) : (r < -c ? T(-1) : T(0));
  }
};

struct SquaredEpsilonInsensitive {
  double epsilon = 0.1;
  template <class T> T value(T p, T y) const {
    const T excess = std::abs(y - p) - T(epsilon);
    return excess > T(0) ? excess * excess : T(0);
  }
  template <class T> T derivative(T p, T y) const {
    const T r = p - y, c = T(epsilon);
    return r > c ? T(2) * (r - c) : (r < -c ? T(2) * (r + c) : T(0));
  }
};

struct LogLoss {
  // log(1 + exp(-z)) without overflow for large |z|.
  template <class T> T value(T p, T y) const {
    const T z = y * p;
    return z > T(0) ? std::log1p(std::exp(-z)) : -z + std::log1p(std::exp(z));
  }
  // -y * sigmoid(-z), evaluated on the side where exp cannot overflow.
  template <class T> T derivative(T p, T y) const {
    const T z = y * p;
    if (z > T(0)) {
      const T e = std::exp(-z);
      return -y * e / (T(1) + e);
    }
    return -y / (T(1) + std::exp(z));
  }
};

// max(0, threshold - y p): threshold 1 is the hinge (linear SVM), 0 the perceptron.
template <int Threshold>
struct HingeAt {
  template <class T> T value(T p, T y) const {
    const T z = T(Threshold) - y * p;
    return z > T(0) ? z : T(0);
  }
  template <class T> T derivative(T p, T y) const { return y * p <= T(Threshold) ? -y : T(0); }
};
using Hinge = HingeAt<1>;
using Perceptron = HingeAt<0>;

struct SquaredHinge {
  template <class T> T value(T p, T y) const {
    const T z = T(1) - y * p;
    return z > T(0) ? z * z : T(0);
  }
  template <class T> T derivative(T p, T y) const {
    const T z = T(1) - y * p;
    return z > T(0) ? T(-2) * y * z : T(0);
  }
};

// Quadratically smoothed hinge, linear for badly wrong predictions (Zhang 2004).
struct ModifiedHuber {
  template <class T> T value(T p, T y) const {
    const T z = y * p;
    if (z >= T(1)) return T(0);
    if (z >= T(-1)) return (T(1) - z) * (T(1) - z);
    return T(-4) * z;
  }
  template <class T> T derivative(T p, T y) const {
    const T z = y * p;
    if (z >= T(1)) return T(0);
    if (z >= T(-1)) return T(-2) * (T(1) - z) * y;
    return T(-4) * y;
  }
};

GDFAST_ISA_END
}  // namespace gdfast
