// The Python face of the core: check, allocate, release the GIL, call.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "../kernels/dispatch.hpp"
#include "../kernels/request.hpp"
#include "gdfast/engine.hpp"

namespace py = pybind11;
using gdfast::index_t;
using gdfast::kernels::EpochRequest;
using gdfast::kernels::Loss;
using gdfast::kernels::Optimizer;

namespace {

template <class T>
using Array = py::array_t<T, py::array::c_style>;

// The message is built only when the check fails: these run on every epoch.
#define GDFAST_REQUIRE(ok, message) \
  do {                              \
    if (!(ok)) throw py::value_error(message); \
  } while (false)

std::string shape_text(index_t a, index_t b = -1) {
  return "(" + std::to_string(a) + (b >= 0 ? ", " + std::to_string(b) : ",") + ")";
}

Loss parse_loss(const std::string& name) {
  static const std::pair<const char*, Loss> table[] = {
      {"squared_error", Loss::squared_error},
      {"huber", Loss::huber},
      {"epsilon_insensitive", Loss::epsilon_insensitive},
      {"squared_epsilon_insensitive", Loss::squared_epsilon_insensitive},
      {"log_loss", Loss::log_loss},
      {"hinge", Loss::hinge},
      {"squared_hinge", Loss::squared_hinge},
      {"modified_huber", Loss::modified_huber},
      {"perceptron", Loss::perceptron},
      {"softmax", Loss::softmax},
  };
  for (const auto& [key, value] : table)
    if (name == key) return value;
  throw py::value_error("loss: unknown loss '" + name + "'");
}

Optimizer parse_optimizer(const std::string& name) {
  static const std::pair<const char*, Optimizer> table[] = {
      {"sgd", Optimizer::sgd},         {"momentum", Optimizer::momentum},
      {"nesterov", Optimizer::nesterov}, {"adagrad", Optimizer::adagrad},
      {"rmsprop", Optimizer::rmsprop}, {"adam", Optimizer::adam},
  };
  for (const auto& [key, value] : table)
    if (name == key) return value;
  throw py::value_error("optimizer: unknown optimizer '" + name + "'");
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

template <class T>
Array<T> exact_array(const py::handle& obj, const std::string& what) {
  // array_t's own check: an equivalent dtype and C order, so the borrow is a view, never a copy
  GDFAST_REQUIRE(py::isinstance<Array<T>>(obj),
          what + ": expected a C-contiguous array of " + std::string(py::str(py::dtype::of<T>())));
  return py::reinterpret_borrow<Array<T>>(obj);
}

// A CSR view over arrays the caller owns, its offsets and indices checked
// (every epoch: they index memory, and a wrong one must be an error, not a crash).
template <class T, class I>
gdfast::CsrView<T, I> read_csr(const Array<T>& data, const py::handle& indices_obj,
                               const py::handle& indptr_obj, index_t n_cols) {
  const Array<I> indices = exact_array<I>(indices_obj, "X.indices");
  const Array<I> indptr = exact_array<I>(indptr_obj, "X.indptr");
  GDFAST_REQUIRE(data.ndim() == 1 && indices.ndim() == 1 && data.shape(0) == indices.shape(0),
                 "X: CSR data and indices must be 1-D of the same length");
  GDFAST_REQUIRE(indptr.ndim() == 1 && indptr.shape(0) >= 1, "X: CSR indptr must be 1-D and non-empty");
  GDFAST_REQUIRE(n_cols >= 0, "X: n_features must be >= 0");
  const index_t n_rows = indptr.shape(0) - 1;
  const I* ptr = indptr.data();
  GDFAST_REQUIRE(ptr[0] == 0 && ptr[n_rows] == data.shape(0), "X: CSR indptr must run from 0 to nnz");
  // Branch-free passes that vectorise: the check with a branch per index took
  // 6% of W4 (bench/PROFILES.md).
  bool decreasing = false;
  for (index_t i = 0; i < n_rows; ++i) decreasing |= ptr[i] > ptr[i + 1];
  GDFAST_REQUIRE(!decreasing, "X: CSR indptr must not decrease");
  const I* idx = indices.data();
  const index_t nnz = indices.shape(0);
  I lowest = 0, highest = 0;
  for (index_t k = 0; k < nnz; ++k) {
    lowest = std::min(lowest, idx[k]);
    highest = std::max(highest, idx[k]);
  }
  GDFAST_REQUIRE(lowest >= 0 && (nnz == 0 || highest < n_cols), "X: CSR column index out of range");
  return {data.data(), idx, ptr, n_rows, n_cols};
}

// X as a dense view, or (data, indices, indptr, n_features) of a CSR matrix
// with int32 or int64 offsets and indices; the arrays stay owned by the caller.
template <class T>
void read_X(const py::object& X, EpochRequest<T>& r) {
  using Layout = typename EpochRequest<T>::Layout;
  if (!py::isinstance<py::tuple>(X)) {
    const Array<T> dense = exact_array<T>(X, "X");
    GDFAST_REQUIRE(dense.ndim() == 2, "X: expected a 2-D array, got " + std::to_string(dense.ndim()) + "-D");
    r.dense = {dense.data(), dense.shape(0), dense.shape(1), dense.shape(1)};
    r.n_features = dense.shape(1);
    return;
  }
  const auto parts = py::reinterpret_borrow<py::tuple>(X);
  GDFAST_REQUIRE(parts.size() == 4, "X: a sparse X is (data, indices, indptr, n_features)");
  const Array<T> data = exact_array<T>(parts[0], "X.data");
  const index_t n_cols = parts[3].cast<index_t>();
  r.n_features = n_cols;
  if (py::isinstance<Array<std::int32_t>>(parts[1])) {
    r.layout = Layout::csr32;
    r.csr32 = read_csr<T, std::int32_t>(data, parts[1], parts[2], n_cols);
  } else {
    r.layout = Layout::csr64;
    r.csr64 = read_csr<T, std::int64_t>(data, parts[1], parts[2], n_cols);
  }
}

// The best kernels this CPU runs, chosen once; GDFAST_ISA=baseline forces the
// portable ones (for comparisons and bug reports).
struct Kernels {
  template <class T>
  struct For {
    gdfast::EpochStats (*linear_epoch)(const EpochRequest<T>&);
    gdfast::EpochStats (*network_epoch)(const EpochRequest<T>&);
    double (*network_gradient)(const EpochRequest<T>&, T*);
    double (*linear_gradient_sum)(const EpochRequest<T>&, T*);
  };
  const char* name;
  For<double> f64;
  For<float> f32;

  const For<double>& of(const EpochRequest<double>&) const { return f64; }
  const For<float>& of(const EpochRequest<float>&) const { return f32; }
  template <class T>
  gdfast::EpochStats operator()(const EpochRequest<T>& r) const {
    return r.network.n_layer_sizes > 0 ? of(r).network_epoch(r) : of(r).linear_epoch(r);
  }
};

// linear: the instruction set of the linear loops; network: of the network's.
#define GDFAST_KERNELS_OF(linear, network, label)                                                      \
  Kernels {                                                                                           \
    label, {&linear::run_epoch, &network::run_network_epoch, &network::network_gradient,              \
            &linear::linear_gradient_sum},                                                             \
        {&linear::run_epoch, &network::run_network_epoch, &network::network_gradient,                 \
         &linear::linear_gradient_sum}                                                                 \
  }

Kernels select_kernels() {
  namespace k = gdfast::kernels;
  const char* forced = std::getenv("GDFAST_ISA");
  const std::string force = forced != nullptr ? forced : "";
#if defined(GDFAST_HAS_KERNELS_X86_64_V3)
  const bool v3 = force != "baseline" && __builtin_cpu_supports("x86-64-v3");
#if defined(GDFAST_HAS_KERNELS_X86_64_V4)
  if (v3 && force != "x86-64-v3" && __builtin_cpu_supports("x86-64-v4"))
    return GDFAST_KERNELS_OF(k::x86_64_v3, k::x86_64_v4, "x86-64-v3, networks x86-64-v4");
#endif
  if (v3) return GDFAST_KERNELS_OF(k::x86_64_v3, k::x86_64_v3, "x86-64-v3");
#endif
  (void)force;
  return GDFAST_KERNELS_OF(k::baseline, k::baseline, "baseline");
}
#undef GDFAST_KERNELS_OF

const Kernels& kernels() {
  static const Kernels selected = select_kernels();
  return selected;
}

// Ctrl-C during a long epoch: at most every 50 ms, take the GIL back and let
// Python run its signal handlers; a KeyboardInterrupt ends the epoch early.
struct PythonSignals {
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();

  static bool poll(void* context) {
    auto& self = *static_cast<PythonSignals*>(context);
    const auto now = std::chrono::steady_clock::now();
    if (now - self.last < std::chrono::milliseconds(50)) return false;
    self.last = now;
    py::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
  }
};

gdfast::kernels::Activation parse_activation(const std::string& name) {
  using gdfast::kernels::Activation;
  if (name == "identity") return Activation::identity;
  if (name == "logistic") return Activation::logistic;
  if (name == "tanh") return Activation::tanh;
  if (name == "relu") return Activation::relu;
  throw py::value_error("activation: unknown activation '" + name + "'");
}

index_t n_rows_of(const EpochRequest<double>& r) {
  using Layout = EpochRequest<double>::Layout;
  return r.layout == Layout::csr32 ? r.csr32.n_rows : r.layout == Layout::csr64 ? r.csr64.n_rows : r.dense.n_rows;
}
index_t n_rows_of(const EpochRequest<float>& r) {
  using Layout = EpochRequest<float>::Layout;
  return r.layout == Layout::csr32 ? r.csr32.n_rows : r.layout == Layout::csr64 ? r.csr64.n_rows : r.dense.n_rows;
}

// The targets, and for a network its shape; returns the number of parameters.
// A network's y is (n,) (a value or a class index) or (n, n_outputs).
template <class T>
index_t read_model(const Array<T>& y, index_t n_outputs, const std::optional<Array<std::int64_t>>& layer_sizes,
                   const std::string& activation, EpochRequest<T>& r) {
  const index_t n = n_rows_of(r), d = r.n_features;
  GDFAST_REQUIRE(n_outputs >= 1, "n_outputs: must be >= 1");
  r.y = y.data();
  r.n_outputs = n_outputs;
  if (!layer_sizes) {
    GDFAST_REQUIRE(y.ndim() == 1 && y.shape(0) == n, "y: expected shape " + shape_text(n));
    return n_outputs * (d + 1);
  }
  const index_t n_sizes = layer_sizes->ndim() == 1 ? layer_sizes->shape(0) : 0;
  GDFAST_REQUIRE(n_sizes >= 2, "layer_sizes: expected a 1-D array (n_features, hidden..., n_outputs)");
  const std::int64_t* sizes = layer_sizes->data();
  GDFAST_REQUIRE(sizes[0] == d && sizes[n_sizes - 1] == n_outputs,
                 "layer_sizes: must start with n_features and end with n_outputs");
  index_t n_params = 0;
  for (index_t l = 0; l < n_sizes; ++l) {
    GDFAST_REQUIRE(sizes[l] >= 1, "layer_sizes: every layer needs at least one unit");
    if (l > 0) n_params += (sizes[l - 1] + 1) * sizes[l];
  }
  const bool per_output = y.ndim() == 2;
  GDFAST_REQUIRE((y.ndim() == 1 && y.shape(0) == n) || (per_output && y.shape(0) == n && y.shape(1) == n_outputs),
                 "y: expected shape " + shape_text(n) + " or " + shape_text(n, n_outputs));
  r.network.layer_sizes = sizes;
  r.network.n_layer_sizes = n_sizes;
  r.network.activation = parse_activation(activation);
  r.network.y_stride = per_output ? n_outputs : 1;
  const Loss loss = r.loss;
  GDFAST_REQUIRE(loss == Loss::squared_error || loss == Loss::log_loss || loss == Loss::softmax,
                 "loss: a network trains with 'squared_error', 'log_loss' or 'softmax'");
  GDFAST_REQUIRE(per_output == (loss != Loss::softmax && n_outputs > 1),
                 "y: a network with per-output targets needs y of shape (n, n_outputs); softmax a class index");
  return n_params;
}

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
                    int n_threads, const std::string& parallel,
                    std::optional<Array<double>>& update_losses,
                    const std::optional<Array<std::int64_t>>& layer_sizes, const std::string& activation,
                    double penalty_l2_per_batch, const std::optional<Array<T>>& gradient_sum,
                    double gradient_loss_sum, index_t n_samples) {
  EpochRequest<T> r;
  read_X(X, r);
  const index_t n = n_rows_of(r);
  r.loss = parse_loss(loss);
  const index_t n_params = read_model(y, n_outputs, layer_sizes, activation, r);
  const bool network = layer_sizes.has_value();
  GDFAST_REQUIRE(!sample_weight || (sample_weight->ndim() == 1 && sample_weight->shape(0) == n),
          "sample_weight: expected shape " + shape_text(n));
  GDFAST_REQUIRE(params.ndim() == 1 && params.shape(0) == n_params, "params: expected shape " + shape_text(n_params));
  GDFAST_REQUIRE(params.writeable(), "params: must be writeable");
  GDFAST_REQUIRE(batch_size >= 1, "batch_size: must be >= 1");
  GDFAST_REQUIRE(n_threads >= 1, "n_threads: must be >= 1");
  r.sample_weight = sample_weight ? sample_weight->data() : nullptr;
  r.params = params.mutable_data();
  r.fit_intercept = fit_intercept;
  r.epsilon = epsilon;
  GDFAST_REQUIRE(!class_weight || (class_weight->ndim() == 1 && class_weight->shape(0) == n_outputs),
          "class_weight: expected shape " + shape_text(n_outputs));
  r.class_weight = class_weight ? class_weight->data() : nullptr;
  r.settings.method = parse_method(method);
  r.settings.batch_size = batch_size;
  r.settings.n_threads = n_threads;
  GDFAST_REQUIRE(parallel == "deterministic" || parallel == "hogwild",
                 "parallel: unknown value '" + parallel + "'");
  r.settings.hogwild = parallel == "hogwild";
  GDFAST_REQUIRE(!network || (!r.settings.hogwild && penalty_l1 == 0.0 && !average && fit_intercept),
                 "a network trains with parallel='deterministic', an L2 penalty at most, no averaging "
                 "and its intercepts");
  GDFAST_REQUIRE(!r.settings.hogwild || (r.settings.method == gdfast::Method::sgd && optimizer == "sgd" &&
                                         penalty_l1 == 0.0 && !average),
                 "parallel: 'hogwild' needs method='sgd', optimizer='sgd', no L1 penalty and no averaging");
  GDFAST_REQUIRE(!r.settings.hogwild || r.layout == EpochRequest<T>::Layout::dense || penalty_l2 == 0.0,
                 "parallel: 'hogwild' on sparse X needs no penalty");

  r.schedule.kind = parse_schedule(learning_rate);
  r.schedule.eta0 = eta0;
  r.schedule.alpha = alpha;
  r.schedule.t0 = optimal_t0;
  r.schedule.power_t = power_t;

  r.penalty.l2 = static_cast<T>(penalty_l2);
  r.penalty.l1 = static_cast<T>(penalty_l1);
  r.penalty.l2_per_batch = static_cast<T>(penalty_l2_per_batch);
  const index_t n_penalized = n_outputs * r.n_features;
  if (r.penalty.l1 != T(0)) {
    GDFAST_REQUIRE(penalty_state && penalty_state->ndim() == 1 && penalty_state->shape(0) == n_penalized + 1,
            "penalty_state: expected shape " + shape_text(n_penalized + 1) + " for an L1 penalty");
    r.penalty.q = penalty_state->mutable_data();
    r.penalty.u = r.penalty.q + n_penalized;
  }

  r.optimizer = parse_optimizer(optimizer);
  r.momentum = momentum;
  r.beta_1 = beta_1;
  r.beta_2 = beta_2;
  r.eps = eps;
  const index_t slots = gdfast::kernels::state_slots(r.optimizer);
  if (slots > 0) {
    GDFAST_REQUIRE(optimizer_state && optimizer_state->ndim() == 2 && optimizer_state->shape(0) == slots &&
                optimizer_state->shape(1) == n_params,
            "optimizer_state: expected shape " + shape_text(slots, n_params));
    r.optimizer_state = optimizer_state->mutable_data();
  }

  if (average) {
    GDFAST_REQUIRE(average->ndim() == 1 && average->shape(0) == n_params, "average: expected shape " + shape_text(n_params));
    GDFAST_REQUIRE(average_start >= 1, "average_start: must be >= 1");
    r.averager.average = average->mutable_data();
    r.averager.start = average_start;
  }

  r.n_order = n;
  if (gradient_sum) {
    GDFAST_REQUIRE(r.settings.method == gdfast::Method::batch && n == 0 && !order && n_samples >= 1,
                   "gradient_sum: a batch epoch over X and y of 0 rows, without an order, with n_samples >= 1");
    GDFAST_REQUIRE(gradient_sum->ndim() == 1 && gradient_sum->shape(0) == n_params,
                   "gradient_sum: expected shape " + shape_text(n_params));
    r.n_order = n_samples;
    r.given = {gradient_sum->data(), gradient_loss_sum};
  }
  if (order) {
    GDFAST_REQUIRE(order->ndim() == 1, "order: expected a 1-D array");
    r.n_order = order->shape(0);
    r.order = order->data();
    for (index_t k = 0; k < r.n_order; ++k)
      GDFAST_REQUIRE(r.order[k] >= 0 && r.order[k] < n, "order: index out of range [0, n_samples)");
  }
  const index_t n_updates = r.settings.method == gdfast::Method::sgd ? r.n_order
                            : r.settings.method == gdfast::Method::minibatch
                                ? (r.n_order + batch_size - 1) / batch_size
                                : (r.n_order > 0 ? 1 : 0);
  if (update_losses) {
    GDFAST_REQUIRE(update_losses->ndim() == 1 && update_losses->shape(0) >= n_updates,
            "update_losses: expected at least " + std::to_string(n_updates) + " entries");
    r.update_losses = update_losses->mutable_data();
  }
  r.t = t;

  PythonSignals signals;
  r.settings.stop = {&PythonSignals::poll, &signals};
  gdfast::EpochStats stats;
  {
    py::gil_scoped_release no_gil;
    stats = kernels()(r);
  }
  if (stats.stopped) throw py::error_already_set();  // the handler's exception, e.g. KeyboardInterrupt
  return py::make_tuple(stats.loss_sum, stats.n_updates);
}

// (loss sum, gradient) from one of the kernels' gradient entry points, without the GIL.
template <class T>
py::tuple gradient_of(EpochRequest<T>& r, index_t n_params, double (*kernel)(const EpochRequest<T>&, T*)) {
  PythonSignals signals;
  r.settings.stop = {&PythonSignals::poll, &signals};
  Array<T> grad(n_params);
  double loss_sum = 0.0;
  {
    py::gil_scoped_release no_gil;
    loss_sum = kernel(r, grad.mutable_data());
  }
  if (std::isnan(loss_sum) && PyErr_Occurred()) throw py::error_already_set();
  return py::make_tuple(loss_sum, grad);
}

template <class T>
py::tuple network_gradient(const py::object& X, const Array<T>& y, const std::optional<Array<T>>& sample_weight,
                           const Array<T>& params, const Array<std::int64_t>& layer_sizes,
                           const std::string& activation, const std::string& loss, double penalty_l2,
                           double penalty_l2_per_batch, int n_threads) {
  EpochRequest<T> r;
  read_X(X, r);
  const index_t n = n_rows_of(r);
  r.loss = parse_loss(loss);
  const index_t n_sizes = layer_sizes.ndim() == 1 ? layer_sizes.shape(0) : 0;
  GDFAST_REQUIRE(n_sizes >= 2, "layer_sizes: expected a 1-D array (n_features, hidden..., n_outputs)");
  const index_t n_params = read_model(y, layer_sizes.data()[n_sizes - 1], layer_sizes, activation, r);
  GDFAST_REQUIRE(n >= 1, "X: needs at least one sample");
  GDFAST_REQUIRE(!sample_weight || (sample_weight->ndim() == 1 && sample_weight->shape(0) == n),
                 "sample_weight: expected shape " + shape_text(n));
  GDFAST_REQUIRE(params.ndim() == 1 && params.shape(0) == n_params, "params: expected shape " + shape_text(n_params));
  GDFAST_REQUIRE(n_threads >= 1, "n_threads: must be >= 1");
  r.sample_weight = sample_weight ? sample_weight->data() : nullptr;
  r.params = const_cast<T*>(params.data());  // read only: no update is made
  r.n_order = n;
  r.penalty.l2 = static_cast<T>(penalty_l2);
  r.penalty.l2_per_batch = static_cast<T>(penalty_l2_per_batch);
  r.settings.n_threads = n_threads;
  return gradient_of(r, n_params, kernels().of(r).network_gradient);
}

// One chunk's sums of a linear model's batch gradient (gdfast.dask).
template <class T>
py::tuple linear_gradient_sum(const py::object& X, const Array<T>& y, const std::optional<Array<T>>& sample_weight,
                              const Array<T>& params, index_t n_outputs, bool fit_intercept, const std::string& loss,
                              double epsilon, const std::optional<Array<double>>& class_weight, int n_threads) {
  EpochRequest<T> r;
  read_X(X, r);
  const index_t n = n_rows_of(r);
  r.loss = parse_loss(loss);
  const index_t n_params = read_model(y, n_outputs, std::nullopt, "relu", r);
  GDFAST_REQUIRE(!sample_weight || (sample_weight->ndim() == 1 && sample_weight->shape(0) == n),
                 "sample_weight: expected shape " + shape_text(n));
  GDFAST_REQUIRE(params.ndim() == 1 && params.shape(0) == n_params, "params: expected shape " + shape_text(n_params));
  GDFAST_REQUIRE(!class_weight || (class_weight->ndim() == 1 && class_weight->shape(0) == n_outputs),
                 "class_weight: expected shape " + shape_text(n_outputs));
  GDFAST_REQUIRE(n_threads >= 1, "n_threads: must be >= 1");
  r.sample_weight = sample_weight ? sample_weight->data() : nullptr;
  r.params = const_cast<T*>(params.data());  // read only: no update is made
  r.fit_intercept = fit_intercept;
  r.epsilon = epsilon;
  r.class_weight = class_weight ? class_weight->data() : nullptr;
  r.n_order = n;
  r.settings.n_threads = n_threads;
  return gradient_of(r, n_params, kernels().of(r).linear_gradient_sum);
}

// One step of an update rule on a gradient computed in Python (gdfast.minimize).
template <class T>
void apply_update(Array<T>& params, const Array<T>& grad, std::optional<Array<T>>& optimizer_state,
                  const std::string& optimizer, double eta, index_t k, double momentum,
                  double beta_1, double beta_2, double eps) {
  GDFAST_REQUIRE(params.ndim() == 1 && params.writeable(), "params: expected a writeable 1-D array");
  const index_t n = params.shape(0);
  GDFAST_REQUIRE(grad.ndim() == 1 && grad.shape(0) == n, "grad: expected shape " + shape_text(n));
  GDFAST_REQUIRE(k >= 1, "k: the update number must be >= 1");
  const Optimizer rule_name = parse_optimizer(optimizer);
  const index_t slots = gdfast::kernels::state_slots(rule_name);
  T* state_ptr = nullptr;
  if (slots > 0) {
    GDFAST_REQUIRE(optimizer_state && optimizer_state->ndim() == 2 && optimizer_state->shape(0) == slots &&
                optimizer_state->shape(1) == n,
            "optimizer_state: expected shape " + shape_text(slots, n));
    state_ptr = optimizer_state->mutable_data();
  }
  T* p = params.mutable_data();
  const T* g = grad.data();
  gdfast::kernels::with_rule(rule_name, state_ptr, n, momentum, beta_1, beta_2, eps, [&](auto rule) {
    py::gil_scoped_release no_gil;
    rule.step(p, g, n, static_cast<T>(eta), k);
    return 0;
  });
}

template <class T>
void register_functions(py::module_& m) {
  m.def("run_epoch", &run_epoch<T>, py::arg("X"), py::arg("y").noconvert(),
        py::arg("sample_weight").noconvert().none(true), py::arg("order").noconvert().none(true),
        py::arg("params").noconvert(), py::kw_only(), py::arg("n_outputs"), py::arg("fit_intercept"),
        py::arg("loss"), py::arg("epsilon"), py::arg("class_weight").noconvert().none(true),
        py::arg("method"), py::arg("batch_size"), py::arg("learning_rate"), py::arg("eta0"),
        py::arg("power_t"), py::arg("optimal_t0"), py::arg("alpha"), py::arg("penalty_l2"),
        py::arg("penalty_l1"), py::arg("penalty_state").noconvert().none(true), py::arg("optimizer"),
        py::arg("momentum"), py::arg("beta_1"), py::arg("beta_2"), py::arg("eps"),
        py::arg("optimizer_state").noconvert().none(true), py::arg("average").noconvert().none(true),
        py::arg("average_start"), py::arg("t"), py::arg("n_threads"), py::arg("parallel"),
        py::arg("update_losses").noconvert().none(true),
        py::arg("layer_sizes").noconvert().none(true) = py::none(), py::arg("activation") = "relu",
        py::arg("penalty_l2_per_batch") = 0.0, py::arg("gradient_sum").noconvert().none(true) = py::none(),
        py::arg("gradient_loss_sum") = 0.0, py::arg("n_samples") = -1,
        "Run one epoch over `order` (None: all rows in storage order), updating `params`,\n"
        "`penalty_state`, `optimizer_state` and `average` in place. X is a dense array or\n"
        "(data, indices, indptr, n_features) of a CSR matrix with int64 indices.\n"
        "With `layer_sizes` (n_features, hidden..., n_outputs) the model is a network\n"
        "whose flat params are [W_1 | ... | W_L | b_1 | ... | b_L].\n"
        "With `gradient_sum` (a batch epoch over data held elsewhere: X and y\n"
        "of 0 rows) the epoch applies that gradient sum and `gradient_loss_sum` over `n_samples`.\n"
        "Returns (sum of sample-weighted losses, number of updates).");
  m.def("linear_gradient_sum", &linear_gradient_sum<T>, py::arg("X"), py::arg("y").noconvert(),
        py::arg("sample_weight").noconvert().none(true), py::arg("params").noconvert(), py::kw_only(),
        py::arg("n_outputs"), py::arg("fit_intercept"), py::arg("loss"), py::arg("epsilon"),
        py::arg("class_weight").noconvert().none(true), py::arg("n_threads"),
        "A linear model's (sum of sample-weighted losses, sum of sample-weighted gradients) over\n"
        "all rows of X at `params`, without the penalty: one chunk's share of a batch gradient.");
  m.def("network_gradient", &network_gradient<T>, py::arg("X"), py::arg("y").noconvert(),
        py::arg("sample_weight").noconvert().none(true), py::arg("params").noconvert(), py::kw_only(),
        py::arg("layer_sizes").noconvert(), py::arg("activation"), py::arg("loss"), py::arg("penalty_l2"),
        py::arg("penalty_l2_per_batch"), py::arg("n_threads"),
        "The full-batch objective of a network at `params` and its gradient: returns\n"
        "(sum of sample-weighted losses plus the penalty's share, mean gradient).");
  m.def("apply_update", &apply_update<T>, py::arg("params").noconvert(), py::arg("grad").noconvert(),
        py::arg("optimizer_state").noconvert().none(true), py::kw_only(), py::arg("optimizer"),
        py::arg("eta"), py::arg("k"), py::arg("momentum"), py::arg("beta_1"), py::arg("beta_2"),
        py::arg("eps"),
        "One step of the update rule `optimizer` on `params` (in place), k the 1-based update number.");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "gdfast's compiled core (private: use gdfast.fit).";
  register_functions<double>(m);  // float64 first: overload resolution tries it first
  register_functions<float>(m);
  m.def("max_threads", &gdfast::max_threads, "Threads OpenMP would use by default (1 without OpenMP).");
  m.attr("isa") = kernels().name;
#if defined(GDFAST_HAS_OPENMP)
  m.attr("has_openmp") = true;
#else
  m.attr("has_openmp") = false;
#endif
}
