// Update rules: how a (mean) gradient becomes a step on the parameters.
// step(params, grad, n, eta, k) with k the 1-based global update number.
// A rule with `direct == true` steps by exactly -eta * gradient, so SGD may
// apply a single sample's gradient straight from its row in O(non-zeros)
// without materialising a dense gradient; the others keep per-parameter state
// in arrays owned by the caller (so it carries over between epochs). Those
// arrays never alias the parameters, which the compiler cannot prove: the
// loops say so (omp simd), or a network's Adam step runs scalar, 4-6x slower.
// The loops read the rule's members through locals: inlined into the engine,
// GCC could not rule out that the stores to the state change the rule's own
// fields, reloaded them every element and kept the loop scalar (perf annotate
// of W7 with adam: vsqrtsd / vdivsd, 43 us a step over plain sgd's).
#pragma once

#include <cmath>

#include "data.hpp"

// 256-bit vectors for the loops with a square root and a division in an AVX-512
// build: on AMD Zen 4 a 512-bit vsqrtpd / vdivpd gives half the elements a cycle
// of a 256-bit one (bench/update_step.cpp, Adam's step on W7's parameters:
// 19.3 us with 512-bit vectors, 10.2 us with 256-bit). Not measured on Intel's
// AVX-512 cores. GCC's attribute, on a function of its own (inlined, the loop
// would take its caller's width); other compilers keep their default width.
#if defined(__AVX512F__) && defined(__GNUC__) && !defined(__clang__)
#define GDFAST_ROOT_LOOP_WIDTH __attribute__((noinline, target("prefer-vector-width=256")))
#else
#define GDFAST_ROOT_LOOP_WIDTH
#endif

namespace gdfast {
GDFAST_ISA_BEGIN

struct PlainUpdate {
  static constexpr bool direct = true;

  template <class T>
  void step(T* params, const T* grad, index_t n, T eta, index_t /*k*/) const {
#pragma omp simd
    for (index_t j = 0; j < n; ++j) params[j] -= eta * grad[j];
  }
};

// Momentum, PyTorch's forms: v = mu v + g, then heavy ball w -= eta v, or
// Nesterov w -= eta (g + mu v).
template <class T, bool Nesterov>
struct MomentumRule {
  static constexpr bool direct = false;
  T* velocity;
  T mu;

  void step(T* params, const T* grad, index_t n, T eta, index_t /*k*/) const {
    T* const vel = velocity;
    const T mu_ = mu;
#pragma omp simd
    for (index_t j = 0; j < n; ++j) {
      vel[j] = mu_ * vel[j] + grad[j];
      params[j] -= eta * (Nesterov ? grad[j] + mu_ * vel[j] : vel[j]);
    }
  }
};

template <class T>
using MomentumUpdate = MomentumRule<T, false>;
template <class T>
using NesterovUpdate = MomentumRule<T, true>;

// AdaGrad: s += g^2; w -= eta g / (sqrt(s) + eps).
template <class T>
struct AdagradUpdate {
  static constexpr bool direct = false;
  T* sum_squares;
  T eps;

  GDFAST_ROOT_LOOP_WIDTH void step(T* params, const T* grad, index_t n, T eta, index_t /*k*/) const {
    T* const s = sum_squares;
    const T eps_ = eps;
#pragma omp simd
    for (index_t j = 0; j < n; ++j) {
      s[j] += grad[j] * grad[j];
      params[j] -= eta * grad[j] / (std::sqrt(s[j]) + eps_);
    }
  }
};

// RMSprop: s = rho s + (1 - rho) g^2; w -= eta g / (sqrt(s) + eps).
template <class T>
struct RmspropUpdate {
  static constexpr bool direct = false;
  T* mean_squares;
  T rho;
  T eps;

  GDFAST_ROOT_LOOP_WIDTH void step(T* params, const T* grad, index_t n, T eta, index_t /*k*/) const {
    T* const s = mean_squares;
    const T rho_ = rho, eps_ = eps;
#pragma omp simd
    for (index_t j = 0; j < n; ++j) {
      s[j] = rho_ * s[j] + (T(1) - rho_) * grad[j] * grad[j];
      params[j] -= eta * grad[j] / (std::sqrt(s[j]) + eps_);
    }
  }
};

// Adam (Kingma & Ba 2015) with bias correction by the global update number k.
template <class T>
struct AdamUpdate {
  static constexpr bool direct = false;
  T* m;
  T* v;
  T beta_1;
  T beta_2;
  T eps;

  GDFAST_ROOT_LOOP_WIDTH void step(T* params, const T* grad, index_t n, T eta, index_t k) const {
    const T correction_1 = T(1) - std::pow(beta_1, static_cast<T>(k));
    const T root_correction_2 = std::sqrt(T(1) - std::pow(beta_2, static_cast<T>(k)));
    // eta (m / c1) / (sqrt(v / c2) + eps) with the corrections folded into two
    // scalars: one division and one square root a parameter instead of three
    // divisions and a root (a network's Adam step: W7 batch 32 float64
    // 131 -> 160 k samples/s, float32 192 -> 247 k/s)
    const T step_size = eta * root_correction_2 / correction_1;
    const T eps_scaled = eps * root_correction_2;
    T* const m_ = m;
    T* const v_ = v;
    const T b1 = beta_1, b2 = beta_2;
#pragma omp simd
    for (index_t j = 0; j < n; ++j) {
      m_[j] = b1 * m_[j] + (T(1) - b1) * grad[j];
      v_[j] = b2 * v_[j] + (T(1) - b2) * grad[j] * grad[j];
      params[j] -= step_size * m_[j] / (std::sqrt(v_[j]) + eps_scaled);
    }
  }
};

// Averaged SGD (Polyak-Ruppert): the running mean of the iterates from the
// update numbered `start` (1-based) on.
template <class T>
struct Averager {
  T* average = nullptr;  // nullptr: no averaging
  index_t start = 1;

  void update(const T* params, index_t n, index_t k) const {
    if (average == nullptr || k < start) return;
    const T weight = T(1) / static_cast<T>(k - start + 1);
    T* const avg = average;
#pragma omp simd
    for (index_t j = 0; j < n; ++j) avg[j] += (params[j] - avg[j]) * weight;
  }
};

GDFAST_ISA_END
}  // namespace gdfast
