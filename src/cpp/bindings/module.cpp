// The Python face of the core: check, allocate, release the GIL, call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

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

// The one place a loss name becomes a type.
template <class F>
auto with_loss(const std::string& name, F&& f) {
  if (name == "squared_error") return f(gdfast::SquaredError{});
  if (name == "log_loss") return f(gdfast::LogLoss{});
  throw py::value_error("loss: unknown loss '" + name + "'");
}

gdfast::Method parse_method(const std::string& name) {
  if (name == "batch") return gdfast::Method::batch;
  if (name == "minibatch") return gdfast::Method::minibatch;
  if (name == "sgd") return gdfast::Method::sgd;
  throw py::value_error("method: unknown method '" + name + "'");
}

void require(bool ok, const std::string& message) {
  if (!ok) throw py::value_error(message);
}

template <class T>
py::tuple run_epoch(const Array<T>& X, const Array<T>& y, const std::optional<Array<T>>& sample_weight,
                    const std::optional<Array<std::int64_t>>& order, Array<T>& params,
                    index_t n_outputs, bool fit_intercept, const std::string& loss,
                    const std::string& method, index_t batch_size, double eta0, double alpha_l2,
                    index_t t, int n_threads) {
  require(X.ndim() == 2, "X: expected a 2-D array, got " + std::to_string(X.ndim()) + "-D");
  const index_t n = X.shape(0);
  const index_t d = X.shape(1);
  require(y.ndim() == 1 && y.shape(0) == n, "y: expected shape (" + std::to_string(n) + ",)");
  require(!sample_weight || (sample_weight->ndim() == 1 && sample_weight->shape(0) == n),
          "sample_weight: expected shape (" + std::to_string(n) + ",)");
  require(n_outputs >= 1, "n_outputs: must be >= 1");
  require(params.ndim() == 1 && params.shape(0) == n_outputs * (d + 1),
          "params: expected shape (" + std::to_string(n_outputs * (d + 1)) + ",)");
  require(params.writeable(), "params: must be writeable");
  require(batch_size >= 1, "batch_size: must be >= 1");
  require(n_threads >= 1, "n_threads: must be >= 1");
  const gdfast::Method m = parse_method(method);

  const index_t* order_ptr = nullptr;
  index_t n_order = n;
  if (order) {
    require(order->ndim() == 1, "order: expected a 1-D array");
    n_order = order->shape(0);
    order_ptr = order->data();
    for (index_t k = 0; k < n_order; ++k)
      require(order_ptr[k] >= 0 && order_ptr[k] < n, "order: index out of range [0, n_samples)");
  }

  const gdfast::DenseView<T> view{X.data(), n, d, d};
  const T* y_ptr = y.data();
  const T* sw_ptr = sample_weight ? sample_weight->data() : nullptr;
  T* params_ptr = params.mutable_data();
  const gdfast::EpochSettings settings{m, batch_size, n_threads};
  const gdfast::ConstantSchedule<T> schedule{static_cast<T>(eta0)};
  gdfast::Penalty<T> penalty;
  penalty.l2 = static_cast<T>(alpha_l2);

  const gdfast::EpochStats stats = with_loss(loss, [&](auto loss_policy) {
    using Loss = decltype(loss_policy);
    gdfast::LinearModel<T, gdfast::OneVsRestHead<Loss>> model{params_ptr, d, n_outputs, fit_intercept};
    gdfast::PlainUpdate rule;
    py::gil_scoped_release no_gil;
    return gdfast::run_epoch(view, y_ptr, sw_ptr, order_ptr, n_order, model, rule, penalty,
                             schedule, t, settings);
  });
  return py::make_tuple(stats.loss_sum, stats.n_updates);
}

template <class T>
void register_run_epoch(py::module_& m) {
  m.def("run_epoch", &run_epoch<T>, py::arg("X").noconvert(), py::arg("y").noconvert(),
        py::arg("sample_weight").noconvert().none(true), py::arg("order").noconvert().none(true),
        py::arg("params").noconvert(), py::arg("n_outputs"), py::arg("fit_intercept"),
        py::arg("loss"), py::arg("method"), py::arg("batch_size"), py::arg("eta0"),
        py::arg("alpha_l2"), py::arg("t"), py::arg("n_threads"),
        "Run one epoch over `order` (None: all rows in storage order), updating `params` in place.\n"
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
