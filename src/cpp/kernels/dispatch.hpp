// Names (as enums) become types here: the one table from a loss and an
// update rule to the policies the engine is compiled with.
#pragma once

#include "request.hpp"

#include "gdfast/loss.hpp"
#include "gdfast/model.hpp"
#include "gdfast/update.hpp"

namespace gdfast::kernels {

template <class F>
auto with_head(Loss loss, double epsilon, const double* class_weight, F&& f) {
  switch (loss) {
    case Loss::squared_error: return f(OneVsRestHead<SquaredError>{{}, class_weight});
    case Loss::huber: return f(OneVsRestHead<Huber>{{epsilon}, class_weight});
    case Loss::epsilon_insensitive: return f(OneVsRestHead<EpsilonInsensitive>{{epsilon}, class_weight});
    case Loss::squared_epsilon_insensitive:
      return f(OneVsRestHead<SquaredEpsilonInsensitive>{{epsilon}, class_weight});
    case Loss::log_loss: return f(OneVsRestHead<LogLoss>{{}, class_weight});
    case Loss::hinge: return f(OneVsRestHead<Hinge>{{}, class_weight});
    case Loss::squared_hinge: return f(OneVsRestHead<SquaredHinge>{{}, class_weight});
    case Loss::modified_huber: return f(OneVsRestHead<ModifiedHuber>{{}, class_weight});
    case Loss::perceptron: return f(OneVsRestHead<Perceptron>{{}, class_weight});
    case Loss::softmax: break;
  }
  return f(SoftmaxHead{});
}

// state: the rule's slots x n_params array (nullptr for the plain rule).
template <class T, class F>
auto with_rule(Optimizer optimizer, T* state, index_t n_params, double momentum, double beta_1,
               double beta_2, double eps, F&& f) {
  switch (optimizer) {
    case Optimizer::momentum: return f(MomentumUpdate<T>{state, T(momentum)});
    case Optimizer::nesterov: return f(NesterovUpdate<T>{state, T(momentum)});
    case Optimizer::adagrad: return f(AdagradUpdate<T>{state, T(eps)});
    case Optimizer::rmsprop: return f(RmspropUpdate<T>{state, T(beta_2), T(eps)});
    case Optimizer::adam: return f(AdamUpdate<T>{state, state + n_params, T(beta_1), T(beta_2), T(eps)});
    case Optimizer::sgd: break;
  }
  return f(PlainUpdate{});
}

inline index_t state_slots(Optimizer optimizer) {
  switch (optimizer) {
    case Optimizer::sgd: return 0;
    case Optimizer::adam: return 2;
    default: return 1;
  }
}

}  // namespace gdfast::kernels
