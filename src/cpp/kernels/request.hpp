// One epoch, fully described by plain values: what the binding checked and
// allocated, and what a kernel compiled for one instruction set runs.
#pragma once

#include <cstdint>

#include "gdfast/data.hpp"
#include "gdfast/engine.hpp"
#include "gdfast/penalty.hpp"
#include "gdfast/schedule.hpp"
#include "gdfast/update.hpp"

namespace gdfast::kernels {

enum class Loss : std::int8_t {
  squared_error,
  huber,
  epsilon_insensitive,
  squared_epsilon_insensitive,
  log_loss,
  hinge,
  squared_hinge,
  modified_huber,
  perceptron,
  softmax,
};

enum class Optimizer : std::int8_t { sgd, momentum, nesterov, adagrad, rmsprop, adam };

enum class Activation : std::int8_t { identity, logistic, tanh, relu };

// What makes an epoch request a network's: the layer sizes (n_features,
// hidden..., n_outputs) and the hidden activation. y then holds y_stride
// values per sample. No layer sizes: a linear model.
struct NetworkShape {
  const index_t* layer_sizes = nullptr;
  index_t n_layer_sizes = 0;
  Activation activation = Activation::relu;
  index_t y_stride = 1;
};

template <class T>
struct EpochRequest {
  enum class Layout : std::int8_t { dense, csr32, csr64 };
  Layout layout = Layout::dense;
  DenseView<T> dense;
  CsrView<T, std::int32_t> csr32;  // scipy's int32 offsets and indices
  CsrView<T, std::int64_t> csr64;
  const T* y = nullptr;
  const T* sample_weight = nullptr;  // nullptr: all ones
  const index_t* order = nullptr;    // nullptr: storage order
  index_t n_order = 0;
  T* params = nullptr;  // [coef (n_outputs x n_features) | intercept (n_outputs)]
  index_t n_features = 0;
  index_t n_outputs = 1;
  bool fit_intercept = true;
  Loss loss = Loss::squared_error;
  double epsilon = 0.1;
  const double* class_weight = nullptr;  // one-vs-rest weights of the positives, or nullptr
  Optimizer optimizer = Optimizer::sgd;
  T* optimizer_state = nullptr;  // slots x n_params
  double momentum = 0.9, beta_1 = 0.9, beta_2 = 0.999, eps = 1e-8;
  Penalty<T> penalty;
  Schedule<T> schedule;
  Averager<T> averager;
  index_t t = 0;
  EpochSettings settings;
  double* update_losses = nullptr;
  NetworkShape network;
  GradientSum<T> given;  // batch over data held elsewhere: the engine only applies it
};

// The instruction sets a kernel is compiled for; the binding picks the best
// one the CPU runs, once.
#define GDFAST_DECLARE_NETWORK_KERNELS(isa)                          \
  namespace isa {                                                     \
  EpochStats run_network_epoch(const EpochRequest<double>& request);  \
  EpochStats run_network_epoch(const EpochRequest<float>& request);   \
  double network_gradient(const EpochRequest<double>& request, double* grad); \
  double network_gradient(const EpochRequest<float>& request, float* grad);   \
  }

#define GDFAST_DECLARE_KERNELS(isa)                                  \
  GDFAST_DECLARE_NETWORK_KERNELS(isa)                                 \
  namespace isa {                                                     \
  EpochStats run_epoch(const EpochRequest<double>& request);          \
  EpochStats run_epoch(const EpochRequest<float>& request);           \
  double linear_gradient_sum(const EpochRequest<double>& request, double* grad); \
  double linear_gradient_sum(const EpochRequest<float>& request, float* grad);   \
  }

GDFAST_DECLARE_KERNELS(baseline)
#if defined(GDFAST_HAS_KERNELS_X86_64_V3)
GDFAST_DECLARE_KERNELS(x86_64_v3)
#endif
// AVX-512 for the network's products only, which are bound by arithmetic
// (bench/gemm_block.cpp: 1.7x the AVX2 build's GFLOP/s on W7's batch); the
// linear loops keep their AVX2 build, which a third build of would add
// minutes to the compile.
#if defined(GDFAST_HAS_KERNELS_X86_64_V4)
GDFAST_DECLARE_NETWORK_KERNELS(x86_64_v4)
#endif
#undef GDFAST_DECLARE_KERNELS
#undef GDFAST_DECLARE_NETWORK_KERNELS

}  // namespace gdfast::kernels
