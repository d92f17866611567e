// The network's compiled loops for one instruction set (GDFAST_KERNEL_ISA
// names the namespace), beside kernels.cpp's linear ones and compiled apart
// from them, so the two build in parallel.
#include "dispatch.hpp"
#include "request.hpp"

#include "gdfast/engine.hpp"
#include "gdfast/network.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#ifndef GDFAST_KERNEL_ISA
#error "GDFAST_KERNEL_ISA names the namespace of this build of the kernels"
#endif

namespace gdfast::kernels::GDFAST_KERNEL_ISA {
namespace {

// The output head follows the loss: squared error with an identity output,
// log loss with a logistic one per output, softmax over the classes.
template <class F>
auto with_network_head(Loss loss, index_t n_outputs, F&& f) {
  switch (loss) {
    case Loss::log_loss: return f(ElementwiseHead<LogLoss>{});
    case Loss::softmax: return f(SoftmaxClassHead{});
    default: break;
  }
  return f(ElementwiseHead<SquaredError>{{}, 1.0 / static_cast<double>(n_outputs)});
}

template <class T, class F>
auto with_network(const EpochRequest<T>& r, F&& f) {
  const NetworkShape& shape = r.network;
  std::vector<index_t> sizes(shape.layer_sizes, shape.layer_sizes + shape.n_layer_sizes);
  return with_network_head(r.loss, sizes.back(), [&](auto head) {
    const auto build = [&](auto activation) {
      NetworkModel<T, decltype(activation), decltype(head)> model{r.params, head, sizes, shape.y_stride};
      return f(model);
    };
    switch (shape.activation) {
      case Activation::identity: return build(Identity{});
      case Activation::logistic: return build(Logistic{});
      case Activation::tanh: return build(Tanh{});
      case Activation::relu: break;
    }
    return build(Relu{});
  });
}

template <class T, class F>
auto with_data(const EpochRequest<T>& r, F&& f) {
  using Layout = typename EpochRequest<T>::Layout;
  switch (r.layout) {
    case Layout::csr32: return f(r.csr32);
    case Layout::csr64: return f(r.csr64);
    case Layout::dense: break;
  }
  return f(r.dense);
}

template <class T>
EpochStats run_network(const EpochRequest<T>& r) {
  return with_network(r, [&](auto& model) {
    return with_data(r, [&](const auto& X) {
      return with_rule(r.optimizer, r.optimizer_state, model.n_params(), r.momentum, r.beta_1, r.beta_2,
                       r.eps, [&](auto rule) {
                         return gdfast::run_epoch(X, r.y, r.sample_weight, r.order, r.n_order, model, rule,
                                                  r.penalty, r.schedule, r.averager, r.t, r.settings,
                                                  r.update_losses, r.given);
                       });
    });
  });
}

// The full-batch objective and its gradient at r.params (scipy's L-BFGS-B asks
// for both): the engine's own deterministic reduction, then the penalty.
template <class T>
double gradient(const EpochRequest<T>& r, T* grad) {
  return with_network(r, [&](auto& model) {
    return with_data(r, [&](const auto& X) {
      detail::Scratch<std::decay_t<decltype(model)>> scratch(model, r.n_order);
      bool stopped = false;
      double loss = detail::mean_gradient(X, r.y, r.sample_weight, nullptr, 0, r.n_order, r.n_order, model,
                                          scratch, r.settings.n_threads, r.settings.stop, stopped);
      if (stopped) return std::numeric_limits<double>::quiet_NaN();
      const index_t n_penalized = model.n_penalized();
      loss += r.penalty.batch_loss(r.params, n_penalized);
      r.penalty.add_gradient(r.params, n_penalized, scratch.grad.data(), r.n_order);
      std::copy(scratch.grad.begin(), scratch.grad.end(), grad);
      return loss;
    });
  });
}

}  // namespace

EpochStats run_network_epoch(const EpochRequest<double>& request) { return run_network(request); }
EpochStats run_network_epoch(const EpochRequest<float>& request) { return run_network(request); }
double network_gradient(const EpochRequest<double>& request, double* grad) { return gradient(request, grad); }
double network_gradient(const EpochRequest<float>& request, float* grad) { return gradient(request, grad); }

}  // namespace gdfast::kernels::GDFAST_KERNEL_ISA
