// The Python face of the core: check, allocate, release the GIL, call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>

#include "gdfast/data.hpp"
#include "gdfast/engine.hpp"
#include "gdfast/loss.hpp"
#include "gdfast/model.hpp"
#include "gdfast/penalty.hpp"
#include "gdfast/schedule.hpp"
#include "gdfast/update.hpp"

namespace py = pybind11;
using gdfast::index_t;

namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style>;

void require(bool ok, const std::string& message) {
  if (!ok) throw py::value_error(message);
}

std::string shape_text(index_t a, index_t b = -1) {
  return "(" + std::to_string(a) + (b >= 0 ? ", " + std::to_string(b) : ",") + ")";
}

// The one place a loss name becomes a type.
template <class F>
auto with_head(const std::string& name, double epsilon, const double* class_weight, F&& f) {
  using namespace gdfast;
  if (name == "squared_error") return f(OneVsRestHead<SquaredError>{{}, class_weight});
  if (name == "huber") return f(OneVsRestHead<Huber>{{epsilon}, class_weight});
  if (name == "epsilon_insensitive") return f(OneVsRestHead<EpsilonInsensitive>{{epsilon}, class_weight});
  if (name == "squared_epsilon_insensitive")
    return f(OneVsRestHead<SquaredEpsilonInsensitive>{{epsilon}, class_weight});
  if (name == "log_loss") return f(OneVsRestHead<LogLoss>{{}, class_weight});
  if (name == "hinge") return f(OneVsRestHead<Hinge>{{}, class_weight});
  if (name == "squared_hinge") return f(OneVsRestHead<SquaredHinge>{{}, class_weight});
  if (name == "modified_huber") return f(OneVsRestHead<ModifiedHuber>{{}, class_weight});
  if (name == "perceptron") return f(OneVsRestHead<Perceptron>{{}, class_weight});
  if (name == "softmax") return f(SoftmaxHead{});
  throw py::value_error("loss: unknown loss '" + name + "'");
}

index_t state_slots(const std::string& optimizer) {
  if (optimizer == "sgd") return 0;
  if (optimizer == "adam") return 2;
  if (optimizer == "momentum" || optimizer == "nesterov" || optimizer == "adagrad" ||
      optimizer == "rmsprop")
    return 1;
  throw py::value_error("optimizer: unknown optimizer '" + optimizer + "'");
}

// The one place an optimizer name becomes an update rule.
template <class T, class F>
auto with_rule(const std::string& name, T* state, index_t n_params, double momentum,
               double beta_1, double beta_2, double eps, F&& f) {
  using namespace gdfast;
  if (name == "momentum") return f(MomentumUpdate<T>{state, T(momentum)});
  if (name == "nesterov") return f(NesterovUpdate<T>{state, T(momentum)});
  if (name == "adagrad") return f(AdagradUpdate<T>{state, T(eps)});
  if (name == "rmsprop") return f(RmspropUpdate<T>{state, T(beta_2), T(eps)});
  if (name == "adam") return f(AdamUpdate<T>{state, state + n_params, T(beta_1), T(beta_2), T(eps)});
  return f(PlainUpdate{});
}

gdfast::Method parse_method(const std::string& name) {
  if (name == "batch") return gdfast::Method::batch;
  if (name == "minibatch") return gdfast::Method::minibatch;
  if (name == "sgd") return gdfast::Method::sgd;
  throw py::value_error("method: unknown method '" + name + "'");
}

gdfast::ScheduleKind parse_schedule(const std::string& name) {
  if (name == "constant") return gdfast::ScheduleKind::constant;
  if (name == "optimal") return gdfast::ScheduleKind::optimal;
  if (name == "invscaling") return gdfast::ScheduleKind::invscaling;
  throw py::value_error("learning_rate: unknown per-update schedule '" + name + "'");
}

// Everything after the data: the checks, the state arrays, the dispatch.
template <class T, class View>
py::tuple run_epoch_on(const View& view, const Array<T>& y, const std::optional<Array<T>>& sample_weight,
                       const std::optional<Array<std::int64_t>>& order, Array<T>& params,
                       index_t n_outputs, bool fit_intercept, const std::string& loss, double epsilon,
                       const std::optional<Array<double>>& class_weight, const std::string& method,
                       index_t batch_size, const std::string& learning_rate, double eta0,
                       double power_t, double optimal_t0, double alpha, double penalty_l2,
                       double penalty_l1, std::optional<Array<T>>& penalty_state,
                       const std::string& optimizer, double momentum, double beta_1, double beta_2,
                       double eps, std::optional<Array<T>>& optimizer_state,
                       std::optional<Array<T>>& average, index_t average_start, index_t t,
                       int n_threads, std::optional<Array<double>>& update_losses) {
  const index_t n = view.n_rows;
  const index_t d = view.n_cols;
  require(y.ndim() == 1 && y.shape(0) == n, "y: expected shape " + shape_text(n));
  require(!sample_weight || (sample_weight->ndim() == 1 && sample_weight->shape(0) == n),
          "sample_weight: expected shape " + shape_text(n));
  require(n_outputs >= 1, "n_outputs: must be >= 1");
  const index_t n_params = n_outputs * (d + 1);
  require(params.ndim() == 1 && params.shape(0) == n_params, "params: expected shape " + shape_text(n_params));
  require(params.writeable(), "params: must be writeable");
  require(batch_size >= 1, "batch_size: must be >= 1");
  require(n_threads >= 1, "n_threads: must be >= 1");
  const gdfast::Method m = parse_method(method);

  gdfast::Schedule<T> schedule;
  schedule.kind = parse_schedule(learning_rate);
  schedule.eta0 = eta0;
  schedule.alpha = alpha;
  schedule.t0 = optimal_t0;
  schedule.power_t = power_t;

  gdfast::Penalty<T> penalty;
  penalty.l2 = static_cast<T>(penalty_l2);
  penalty.l1 = static_cast<T>(penalty_l1);
  const index_t n_penalized = n_outputs * d;
  if (penalty.l1 != T(0)) {
    require(penalty_state && penalty_state->ndim() == 1 && penalty_state->shape(0) == n_penalized + 1,
            "penalty_state: expected shape " + shape_text(n_penalized + 1) + " for an L1 penalty");
    penalty.q = penalty_state->mutable_data();
    penalty.u = penalty.q + n_penalized;
  }

  const index_t slots = state_slots(optimizer);
  T* state_ptr = nullptr;
  if (slots > 0) {
    require(optimizer_state && optimizer_state->ndim() == 2 && optimizer_state->shape(0) == slots &&
                optimizer_state->shape(1) == n_params,
            "optimizer_state: expected shape " + shape_text(slots, n_params));
    state_ptr = optimizer_state->mutable_data();
  }

  gdfast::Averager<T> averager;
  if (average) {
    require(average->ndim() == 1 && average->shape(0) == n_params, "average: expected shape " + shape_text(n_params));
    require(average_start >= 1, "average_start: must be >= 1");
    averager.average = average->mutable_data();
    averager.start = average_start;
  }

  const index_t* order_ptr = nullptr;
  index_t n_order = n;
  if (order) {
    require(order->ndim() == 1, "order: expected a 1-D array");
    n_order = order->shape(0);
    order_ptr = order->data();
    for (index_t k = 0; k < n_order; ++k)
      require(order_ptr[k] >= 0 && order_ptr[k] < n, "order: index out of range [0, n_samples)");
  }
  const index_t n_updates = m == gdfast::Method::sgd         ? n_order
                            : m == gdfast::Method::minibatch ? (n_order + batch_size - 1) / batch_size
                                                             : (n_order > 0 ? 1 : 0);
  double* losses_ptr = nullptr;
  if (update_losses) {
    require(update_losses->ndim() == 1 && update_losses->shape(0) >= n_updates,
            "update_losses: expected at least " + std::to_string(n_updates) + " entries");
    losses_ptr = update_losses->mutable_data();
  }
  require(!class_weight || (class_weight->ndim() == 1 && class_weight->shape(0) == n_outputs),
          "class_weight: expected shape " + shape_text(n_outputs));
  const double* class_weight_ptr = class_weight ? class_weight->data() : nullptr;

  const T* y_ptr = y.data();
  const T* sw_ptr = sample_weight ? sample_weight->data() : nullptr;
  T* params_ptr = params.mutable_data();
  const gdfast::EpochSettings settings{m, batch_size, n_threads};
  constexpr bool sparse = std::is_same_v<View, gdfast::CsrView<T>>;
  const bool lazy = sparse && optimizer == "sgd" && m != gdfast::Method::batch;

  const gdfast::EpochStats stats = with_head(loss, epsilon, class_weight_ptr, [&](auto head) {
    using Head = decltype(head);
    gdfast::LinearModel<T, Head> model{params_ptr, head, d, n_outputs, fit_intercept};
    if constexpr (sparse) {
      if (lazy) {
        py::gil_scoped_release no_gil;
        return gdfast::run_lazy_epoch(view, y_ptr, sw_ptr, order_ptr, n_order, model, penalty,
                                      schedule, averager, t, settings, losses_ptr);
      }
    }
    return with_rule<T>(optimizer, state_ptr, n_params, momentum, beta_1, beta_2, eps, [&](auto rule) {
      py::gil_scoped_release no_gil;
      return gdfast::run_epoch(view, y_ptr, sw_ptr, order_ptr, n_order, model, rule, penalty, schedule,
                               averager, t, settings, losses_ptr);
    });
  });
  return py::make_tuple(stats.loss_sum, stats.n_updates);
}

template <class T>
Array<T> exact_array(const py::handle& obj, const char* what) {
  require(py::isinstance<py::array>(obj), std::string(what) + ": expected a NumPy array");
  const auto arr = py::reinterpret_borrow<py::array>(obj);
  require(arr.dtype().is(py::dtype::of<T>()) && (arr.flags() & py::array::c_style),
          std::string(what) + ": expected a C-contiguous array of " + std::string(py::str(py::dtype::of<T>())));
  return Array<T>::ensure(arr);  // same dtype and layout: a view, never a copy
}

// X is a dense array, or (data, indices, indptr, n_features) of a CSR matrix.
template <class T>
py::tuple run_epoch(const py::object& X, const Array<T>& y, const std::optional<Array<T>>& sample_weight,
                    const std::optional<Array<std::int64_t>>& order, Array<T>& params,
                    index_t n_outputs, bool fit_intercept, const std::string& loss, double epsilon,
                    const std::optional<Array<double>>& class_weight, const std::string& method,
                    index_t batch_size, const std::string& learning_rate, double eta0,
                    double power_t, double optimal_t0, double alpha, double penalty_l2,
                    double penalty_l1, std::optional<Array<T>>& penalty_state,
                    const std::string& optimizer, double momentum, double beta_1, double beta_2,
                    double eps, std::optional<Array<T>>& optimizer_state,
                    std::optional<Array<T>>& average, index_t average_start, index_t t,
                    int n_threads, std::optional<Array<double>>& update_losses) {
  const auto on = [&](const auto& view) {
    return run_epoch_on<T>(view, y, sample_weight, order, params, n_outputs, fit_intercept, loss,
                           epsilon, class_weight, method, batch_size, learning_rate, eta0, power_t,
                           optimal_t0, alpha, penalty_l2, penalty_l1, penalty_state, optimizer,
                           momentum, beta_1, beta_2, eps, optimizer_state, average, average_start, t,
                           n_threads, update_losses);
  };
  if (!py::isinstance<py::tuple>(X)) {
    const Array<T> dense = exact_array<T>(X, "X");
    require(dense.ndim() == 2, "X: expected a 2-D array, got " + std::to_string(dense.ndim()) + "-D");
    return on(gdfast::DenseView<T>{dense.data(), dense.shape(0), dense.shape(1), dense.shape(1)});
  }
  const auto parts = py::reinterpret_borrow<py::tuple>(X);
  require(parts.size() == 4, "X: a sparse X is (data, indices, indptr, n_features)");
  const Array<T> data = exact_array<T>(parts[0], "X.data");
  const Array<std::int64_t> indices = exact_array<std::int64_t>(parts[1], "X.indices");
  const Array<std::int64_t> indptr = exact_array<std::int64_t>(parts[2], "X.indptr");
  const index_t n_cols = parts[3].cast<index_t>();
  require(data.ndim() == 1 && indices.ndim() == 1 && data.shape(0) == indices.shape(0),
          "X: CSR data and indices must be 1-D of the same length");
  require(indptr.ndim() == 1 && indptr.shape(0) >= 1, "X: CSR indptr must be 1-D and non-empty");
  require(n_cols >= 0, "X: n_features must be >= 0");
  const index_t n_rows = indptr.shape(0) - 1;
  const std::int64_t* ptr = indptr.data();
  require(ptr[0] == 0 && ptr[n_rows] == data.shape(0), "X: CSR indptr must run from 0 to nnz");
  for (index_t i = 0; i < n_rows; ++i) require(ptr[i] <= ptr[i + 1], "X: CSR indptr must not decrease");
  const std::int64_t* idx = indices.data();
  for (index_t k = 0; k < indices.shape(0); ++k)
    require(idx[k] >= 0 && idx[k] < n_cols, "X: CSR column index out of range");
  return on(gdfast::CsrView<T>{data.data(), idx, ptr, n_rows, n_cols});
}

// One step of an update rule on a gradient computed in Python (gdfast.minimize).
template <class T>
void apply_update(Array<T>& params, const Array<T>& grad, std::optional<Array<T>>& optimizer_state,
                  const std::string& optimizer, double eta, index_t k, double momentum,
                  double beta_1, double beta_2, double eps) {
  require(params.ndim() == 1 && params.writeable(), "params: expected a writeable 1-D array");
  const index_t n = params.shape(0);
  require(grad.ndim() == 1 && grad.shape(0) == n, "grad: expected shape " + shape_text(n));
  require(k >= 1, "k: the update number must be >= 1");
  const index_t slots = state_slots(optimizer);
  T* state_ptr = nullptr;
  if (slots > 0) {
    require(optimizer_state && optimizer_state->ndim() == 2 && optimizer_state->shape(0) == slots &&
                optimizer_state->shape(1) == n,
            "optimizer_state: expected shape " + shape_text(slots, n));
    state_ptr = optimizer_state->mutable_data();
  }
  T* p = params.mutable_data();
  const T* g = grad.data();
  with_rule<T>(optimizer, state_ptr, n, momentum, beta_1, beta_2, eps, [&](auto rule) {
    py::gil_scoped_release no_gil;
    rule.step(p, g, n, static_cast<T>(eta), k);
    return 0;
  });
}

template <class T>
void register_run_epoch(py::module_& m) {
  m.def("apply_update", &apply_update<T>, py::arg("params").noconvert(), py::arg("grad").noconvert(),
        py::arg("optimizer_state").noconvert().none(true), py::kw_only(), py::arg("optimizer"),
        py::arg("eta"), py::arg("k"), py::arg("momentum"), py::arg("beta_1"), py::arg("beta_2"),
        py::arg("eps"),
        "One step of the update rule `optimizer` on `params` (in place), k the 1-based update number.");
  m.def("run_epoch", &run_epoch<T>, py::arg("X"), py::arg("y").noconvert(),
        py::arg("sample_weight").noconvert().none(true), py::arg("order").noconvert().none(true),
        py::arg("params").noconvert(), py::kw_only(), py::arg("n_outputs"), py::arg("fit_intercept"),
        py::arg("loss"), py::arg("epsilon"), py::arg("class_weight").noconvert().none(true),
        py::arg("method"), py::arg("batch_size"), py::arg("learning_rate"), py::arg("eta0"),
        py::arg("power_t"), py::arg("optimal_t0"), py::arg("alpha"), py::arg("penalty_l2"),
        py::arg("penalty_l1"), py::arg("penalty_state").noconvert().none(true), py::arg("optimizer"),
        py::arg("momentum"), py::arg("beta_1"), py::arg("beta_2"), py::arg("eps"),
        py::arg("optimizer_state").noconvert().none(true), py::arg("average").noconvert().none(true),
        py::arg("average_start"), py::arg("t"), py::arg("n_threads"),
        py::arg("update_losses").noconvert().none(true),
        "Run one epoch over `order` (None: all rows in storage order), updating `params`,\n"
        "`penalty_state`, `optimizer_state` and `average` in place. X is a dense array or\n"
        "(data, indices, indptr, n_features) of a CSR matrix with int64 indices.\n"
        "Returns (sum of sample-weighted losses, number of updates).");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "gdfast's compiled core (private: use gdfast.fit).";
  register_run_epoch<double>(m);  // float64 first: overload resolution tries it first
  register_run_epoch<float>(m);
  m.def("max_threads", &gdfast::max_threads, "Threads OpenMP would use by default (1 without OpenMP).");
#if defined(GDFAST_HAS_OPENMP)
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
}
