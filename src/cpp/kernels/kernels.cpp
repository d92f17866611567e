// The compiled loops for one instruction set: this file is compiled once per
// set (GDFAST_KERNEL_ISA names the namespace), so the engine's templates are
// instantiated with that set's code generation and nothing else differs.
#include "dispatch.hpp"
#include "request.hpp"

#include "gdfast/engine.hpp"
#include "gdfast/model.hpp"

#ifndef GDFAST_KERNEL_ISA
#error "GDFAST_KERNEL_ISA names the namespace of this build of the kernels"
#endif

namespace gdfast::kernels::GDFAST_KERNEL_ISA {
namespace {

template <class T>
EpochStats run(const EpochRequest<T>& r) {
  return with_head(r.loss, r.epsilon, r.class_weight, [&](auto head) {
    LinearModel<T, decltype(head)> model{r.params, head, r.n_features, r.n_outputs, r.fit_intercept};
    // Sparse rows with the plain rule take the lazy loop: O(non-zeros) per update.
    if (r.sparse && r.optimizer == Optimizer::sgd && r.settings.method != Method::batch)
      return run_lazy_epoch(r.csr, r.y, r.sample_weight, r.order, r.n_order, model, r.penalty,
                            r.schedule, r.averager, r.t, r.settings, r.update_losses);
    const index_t n_params = r.n_outputs * (r.n_features + 1);
    return with_rule(r.optimizer, r.optimizer_state, n_params, r.momentum, r.beta_1, r.beta_2, r.eps,
                     [&](auto rule) {
                       if (r.sparse)
                         return gdfast::run_epoch(r.csr, r.y, r.sample_weight, r.order, r.n_order,
                                                  model, rule, r.penalty, r.schedule, r.averager,
                                                  r.t, r.settings, r.update_losses);
                       return gdfast::run_epoch(r.dense, r.y, r.sample_weight, r.order, r.n_order,
                                                model, rule, r.penalty, r.schedule, r.averager, r.t,
                                                r.settings, r.update_losses);
                     });
  });
}

}  // namespace

EpochStats run_epoch(const EpochRequest<double>& request) { return run(request); }
EpochStats run_epoch(const EpochRequest<float>& request) { return run(request); }

}  // namespace gdfast::kernels::GDFAST_KERNEL_ISA
