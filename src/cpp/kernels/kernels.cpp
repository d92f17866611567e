// The compiled loops for one instruction set: this file is compiled once per
// set (GDFAST_KERNEL_ISA names the namespace), so the engine's templates are
// instantiated with that set's code generation and nothing else differs.
#include "dispatch.hpp"
#include "request.hpp"

#include "gdfast/engine.hpp"
#include "gdfast/model.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>

#ifndef GDFAST_KERNEL_ISA
#error "GDFAST_KERNEL_ISA names the namespace of this build of the kernels"
#endif

namespace gdfast::kernels::GDFAST_KERNEL_ISA {
namespace {

// The model of the request's loss on the request's data layout.
template <class T, class F>
auto with_linear_model(const EpochRequest<T>& r, F&& f) {
  using Layout = typename EpochRequest<T>::Layout;
  return with_head(r.loss, r.epsilon, r.class_weight, [&](auto head) {
    LinearModel<T, decltype(head)> model{r.params, head, r.n_features, r.n_outputs, r.fit_intercept};
    switch (r.layout) {
      case Layout::csr32: return f(model, r.csr32);
      case Layout::csr64: return f(model, r.csr64);
      case Layout::dense: break;
    }
    return f(model, r.dense);
  });
}

template <class T>
EpochStats run(const EpochRequest<T>& r) {
  return with_linear_model(r, [&](auto& model, const auto& X) {
    constexpr bool sparse = !std::is_same_v<std::decay_t<decltype(X)>, DenseView<T>>;
    if constexpr (sparse) {
      // Sparse rows with the plain rule take the lazy loop: O(non-zeros) per update.
      if (r.optimizer == Optimizer::sgd && r.settings.method != Method::batch && !r.settings.hogwild)
        return run_lazy_epoch(X, r.y, r.sample_weight, r.order, r.n_order, model, r.penalty,
                              r.schedule, r.averager, r.t, r.settings, r.update_losses);
    }
    const index_t n_params = r.n_outputs * (r.n_features + 1);
    return with_rule(r.optimizer, r.optimizer_state, n_params, r.momentum, r.beta_1, r.beta_2, r.eps,
                     [&](auto rule) {
                       return gdfast::run_epoch(X, r.y, r.sample_weight, r.order, r.n_order, model,
                                                rule, r.penalty, r.schedule, r.averager, r.t,
                                                r.settings, r.update_losses, r.given);
                     });
  });
}

// A chunk's share of a batch gradient (gdfast.dask): the sums of its losses and
// gradients at r.params, without the penalty, which the driver adds once.
template <class T>
double gradient_sum(const EpochRequest<T>& r, T* grad) {
  return with_linear_model(r, [&](auto& model, const auto& X) {
    detail::Scratch<std::decay_t<decltype(model)>> scratch(model, r.n_order);
    bool stopped = false;
    const double loss = detail::gradient_sum(X, r.y, r.sample_weight, nullptr, 0, r.n_order, r.n_order,
                                             model, scratch, r.settings.n_threads, r.settings.stop, stopped);
    if (stopped) return std::numeric_limits<double>::quiet_NaN();
    std::copy(scratch.grad.begin(), scratch.grad.end(), grad);
    return loss;
  });
}

}  // namespace

EpochStats run_epoch(const EpochRequest<double>& request) { return run(request); }
EpochStats run_epoch(const EpochRequest<float>& request) { return run(request); }
double linear_gradient_sum(const EpochRequest<double>& request, double* grad) { return gradient_sum(request, grad); }
double linear_gradient_sum(const EpochRequest<float>& request, float* grad) { return gradient_sum(request, grad); }

}  // namespace gdfast::kernels::GDFAST_KERNEL_ISA
