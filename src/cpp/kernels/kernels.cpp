// The compiled loops for one instruction set: this file is compiled once per
// set (GDFAST_KERNEL_ISA names the namespace), so the engine's templates are
// instantiated with that set's code generation and nothing else differs.
#include "dispatch.hpp"
#include "request.hpp"

#include "gdfast/engine.hpp"
#include "gdfast/model.hpp"

#include <type_traits>

#ifndef GDFAST_KERNEL_ISA
#error "GDFAST_KERNEL_ISA names the namespace of this build of the kernels"
#endif

namespace gdfast::kernels::GDFAST_KERNEL_ISA {
namespace {

template <class T, class Data>
EpochStats run_on(const EpochRequest<T>& r, const Data& X) {
  constexpr bool sparse = !std::is_same_v<Data, DenseView<T>>;
  return with_head(r.loss, r.epsilon, r.class_weight, [&](auto head) {
    LinearModel<T, decltype(head)> model{r.params, head, r.n_features, r.n_outputs, r.fit_intercept};
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
                                                r.settings, r.update_losses);
                     });
  });
}

template <class T>
EpochStats run(const EpochRequest<T>& r) {
  using Layout = typename EpochRequest<T>::Layout;
  switch (r.layout) {
    case Layout::csr32: return run_on(r, r.csr32);
    case Layout::csr64: return run_on(r, r.csr64);
    case Layout::dense: break;
  }
  return run_on(r, r.dense);
}

}  // namespace

EpochStats run_epoch(const EpochRequest<double>& request) { return run(request); }
EpochStats run_epoch(const EpochRequest<float>& request) { return run(request); }

}  // namespace gdfast::kernels::GDFAST_KERNEL_ISA
