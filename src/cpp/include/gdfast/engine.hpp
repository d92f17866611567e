// run_epoch(): the three ways to descend over one epoch.
//   sgd        one update per sample, in the given order
//   minibatch  one update per batch_size consecutive entries of the order
//   batch      one update per epoch from the gradient over all samples
// An update's gradient is the (sample-weighted) mean over the samples it saw,
// so eta means the same step for every batch size.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#if defined(GDFAST_HAS_OPENMP)
#include <omp.h>
#endif

#include "data.hpp"
#include "model.hpp"
#include "penalty.hpp"
#include "schedule.hpp"
#include "update.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

enum class Method : std::int8_t { batch, minibatch, sgd };

// Asked between updates whether to abandon the epoch (the binding's answer is
// "has Ctrl-C been pressed"); the poll itself must be cheap or rate-limited,
// and it never throws, so it may run on the calling thread inside a parallel
// region.
struct StopCheck {
  bool (*poll)(void* context) = nullptr;
  void* context = nullptr;
  bool requested() const { return poll != nullptr && poll(context); }
};

struct EpochSettings {
  Method method = Method::minibatch;
  index_t batch_size = 32;
  int n_threads = 1;
  StopCheck stop;
  bool hogwild = false;  // sgd with the plain rule: lock-free threads (opt-in, not reproducible)
};

// Batch GD over data held elsewhere (the row chunks of a dask array, on the
// workers): the sums there over all n_order samples, so that the epoch only
// applies them. grad == nullptr: the engine computes the gradient itself.
template <class T>
struct GradientSum {
  const T* grad = nullptr;
  double loss = 0.0;
};

struct EpochStats {
  double loss_sum = 0.0;  // sum of sample-weighted losses, each at the parameters it was used with
  index_t n_updates = 0;
  bool stopped = false;  // the StopCheck asked to abandon the epoch: the stats are partial
};

inline int max_threads() {
#if defined(GDFAST_HAS_OPENMP)
  return omp_get_max_threads();
#else
  return 1;
#endif
}

namespace detail {

// Gradient reductions run over a partition of the rows that depends only on
// the row count, summed in block order: the bits do not depend on n_threads.
constexpr index_t kMinBlockRows = 256;
constexpr index_t kMaxBlocks = 64;
constexpr index_t kPollEvery = 1024;  // samples between stop polls in per-sample loops

// A thread team costs microseconds to wake, and far more when another process
// holds a core (gdfast demo's 10,000 x 7 batch epochs ran 5x slower on two
// threads than on one with a build running beside them): below ~256k
// multiply-adds a thread the reduction runs on fewer threads. Only the thread
// count changes, never the partition, so the bits stay the same.
constexpr index_t kMinWorkPerThread = index_t(1) << 18;

inline int threads_for(index_t work, index_t blocks, int n_threads) {
  const index_t useful = std::max<index_t>(1, work / kMinWorkPerThread);
  return static_cast<int>(std::max<index_t>(1, std::min<index_t>({useful, blocks, n_threads})));
}

inline int current_thread() {
#if defined(GDFAST_HAS_OPENMP)
  return omp_get_thread_num();
#else
  return 0;
#endif
}

// The rows a block holds at least: kMinBlockRows, or fewer where a model says
// (min_block_rows) that each of its rows is far more work than a linear one's.
template <class Model, class = void>
struct BlockRows : std::integral_constant<index_t, kMinBlockRows> {};
template <class Model>
struct BlockRows<Model, std::void_t<decltype(Model::min_block_rows)>>
    : std::integral_constant<index_t, Model::min_block_rows> {};

template <class Model>
index_t n_blocks_for(index_t count) {
  constexpr index_t rows = BlockRows<Model>::value;
  return std::clamp<index_t>((count + rows - 1) / rows, 1, kMaxBlocks);
}

template <class Model>
struct Scratch {
  using T = typename Model::value_type;
  std::vector<T> grad;                              // n_params
  std::vector<T> block_grads;                       // n_blocks x n_params
  std::vector<double> block_losses;                 // n_blocks
  std::vector<typename Model::Workspace> workspaces;  // one per block

  Scratch(const Model& model, index_t max_rows_per_update)
      : grad(static_cast<std::size_t>(model.n_params())) {
    const index_t blocks = n_blocks_for<Model>(max_rows_per_update);
    if (blocks > 1) block_grads.resize(static_cast<std::size_t>(blocks * model.n_params()));
    block_losses.resize(static_cast<std::size_t>(blocks));
    for (index_t b = 0; b < blocks; ++b) workspaces.push_back(model.make_workspace());
  }
};

inline index_t sample_at(const index_t* order, index_t pos) { return order ? order[pos] : pos; }

// A shuffled epoch is a random gather, bound by memory latency: fetch the row
// a few samples ahead so it arrives while this one is computed (its target and
// weight too: they are gathered at random as well), and, for CSR, the row's
// offsets twice as far ahead, so that reading them to find the row does not
// stall on a miss of its own. far: the rows come from memory (rows_from_memory),
// and dense rows, targets and weights are also fetched into the L2 further ahead.
template <class Data, class T>
GDFAST_ALWAYS_INLINE void prefetch_ahead(const Data& X, const T* y, const T* sample_weight, const index_t* order,
                                         index_t pos, index_t end, bool far) {
  constexpr index_t ahead = Data::kPrefetchAhead;
  if (order == nullptr) return;
  if constexpr (Data::kPrefetchFar > 0) {
    if (far && pos + Data::kPrefetchFar < end) {
      const index_t i = order[pos + Data::kPrefetchFar];
      X.prefetch_far(i);
#if defined(__GNUC__)
      // the target's miss stalled the step as often as the row's (perf, W1):
      // without it, W1 1.27x and W3 1.27x slower (bench/sgd_pipeline.cpp)
      __builtin_prefetch(y + i, 0, 2);
      if (sample_weight) __builtin_prefetch(sample_weight + i, 0, 2);
#endif
    }
  }
  if (pos + 2 * ahead < end) X.prefetch_offsets(order[pos + 2 * ahead]);
  if (pos + ahead < end) {
    const index_t i = order[pos + ahead];
    X.prefetch(i);
#if defined(__GNUC__)
    __builtin_prefetch(y + i, 0, 3);
    if (sample_weight) __builtin_prefetch(sample_weight + i, 0, 3);
#endif
  }
}

// Rows an epoch reaches beyond this many bytes come from memory rather than the
// L3 (32 MiB here): W1's 80-160 MB, W3's 80 MB and W4's 120 MB. Below it, W2's
// 16 MB lost 11-16% with the reader thread and 11% with the far prefetch.
constexpr index_t kOutOfCacheBytes = index_t(32) << 20;

template <class Data>
bool rows_from_memory(const Data& X, const index_t* order, index_t n_order) {
  return order != nullptr && X.bytes_reached(n_order) >= kOutOfCacheBytes;
}

// The second core for a shuffled per-sample epoch (sgd, one-block minibatch;
// dense or CSR rows), without changing a bit: one thread still does all the
// arithmetic in the order's order, and a reader thread walks the order ahead of
// it, loading every line of the next rows (their targets and weights too) so
// that the computing thread finds them in a cache instead of memory.
// bench/sgd_pipeline.cpp raced this against a ring of rows copied by the
// helper, non-temporal staging, prefetch-only helpers and more (BENCHMARKS.md,
// issue 14): reading up to kLead = 512 rows ahead gained 1.4-1.7x on W1 and W3
// while the second core was free, the copies lost 0.3-0.9x. Since the computing
// thread prefetches far ahead itself (kPrefetchFar) the reader adds less: the
// probe's W1 1.22x (float64) and 0.97x (float32); through gdfast.fit W4 1.36x,
// W5 1.09x, W1 1.04x.
//
// The thread is started by the constructor and joined by the destructor; when
// it cannot be started, running() is false and the epoch runs alone. It never
// waits for anything but the computing thread's progress or the end, so an
// epoch abandoned on Ctrl-C ends as fast as without it.
template <class Data>
class RowReader {
  using T = typename Data::value_type;

 public:
  // Rows read ahead of the computing thread at most: 512 rows of W1 are 400 KB,
  // which stay in the reader's L2 (1 MiB here) until they are used; 64 and
  // 2048 tied with it on W1 (bench/sgd_pipeline.cpp).
  static constexpr index_t kLead = 512;
  // A reader that finds itself fewer rows than this ahead jumps ahead instead
  // of reading rows the computing thread is fetching itself: without the jump,
  // a reader that once fell behind (its core taken by another process) stayed
  // behind, doubled the memory traffic and lost 0.6x on W1; with it, 0.93-1.1x.
  static constexpr index_t kSkip = 128;
  // The computing thread publishes its position every so many samples.
  static constexpr index_t kPublishEvery = 64;

  RowReader(const Data& X, const T* y, const T* sample_weight, const index_t* order,
            index_t n_order) noexcept
      : X_(X), y_(y), sample_weight_(sample_weight), order_(order), n_order_(n_order) {
    try {
      thread_ = std::thread([this] { read(); });
    } catch (...) {  // no thread to be had (std::system_error): the epoch runs alone
    }
  }
  RowReader(const RowReader&) = delete;
  RowReader& operator=(const RowReader&) = delete;
  ~RowReader() {
    done_.store(true, std::memory_order_relaxed);
    if (thread_.joinable()) thread_.join();
  }

  bool running() const { return thread_.joinable(); }
  // the computing thread is at entry pos of the order (sgd: every sample, of
  // which one in kPublishEvery is stored; minibatch: every batch, all stored)
  GDFAST_ALWAYS_INLINE void at(index_t pos) {
    if (pos % kPublishEvery == 0) publish(pos);
  }
  GDFAST_ALWAYS_INLINE void publish(index_t pos) { position_.store(pos, std::memory_order_relaxed); }

 private:
  void read() noexcept {
    T sum = T(0);
    index_t seen = 0;  // the computing thread's last position read: its line is read only when needed
    for (index_t pos = 0; pos < n_order_; ++pos) {
      if (pos % kPublishEvery == 0) {
        seen = position_.load(std::memory_order_relaxed);
        if (pos < seen + kSkip) pos = std::min(n_order_ - 1, seen + kSkip);
      }
      if (pos > seen + kLead) {
        for (int spins = 0;; ++spins) {
          if (done_.load(std::memory_order_relaxed)) return;
          seen = position_.load(std::memory_order_relaxed);
          if (pos <= seen + kLead) break;
          // spin briefly, then give the core away: a spinning reader on a busy
          // machine can take the core the computing thread needs
          if (spins > 1000) std::this_thread::yield();
        }
      }
      prefetch_ahead(X_, y_, sample_weight_, order_, pos, n_order_, false);
      const index_t i = order_[pos];
      sum += X_.read_lines(i) + y_[i];
      if (sample_weight_) sum += sample_weight_[i];
    }
    const volatile T keep = sum;  // the loads must happen
    (void)keep;
  }

  const Data X_;
  const T* const y_;
  const T* const sample_weight_;
  const index_t* const order_;
  const index_t n_order_;
  std::atomic<index_t> position_{0};
  std::atomic<bool> done_{false};
  std::thread thread_;  // last: started once everything it reads is set
};

// Rows narrower than this gain nothing from the reader once the computing
// thread prefetches far ahead itself (kPrefetchFar): the kernel alone tied on
// W1 float32 (400-byte rows, 1.01-1.08x) and W3 (80 bytes, 1.04x), and the
// whole fit lost 10% on W1 float32, its second core shared with the next
// order's draw; W1 float64 (800 bytes) gained 1.2-1.28x, W4 (600) 1.36x.
constexpr index_t kReaderMinRowBytes = 512;

template <class Data>
bool wants_reader(const Data& X, const index_t* order, index_t n_order, int n_threads) {
  const index_t rows = std::min(n_order, X.n_rows);
  return n_threads > 1 && rows_from_memory(X, order, n_order) &&
         X.bytes_reached(n_order) >= rows * kReaderMinRowBytes;
}

// A model that trains a batch at a time (a network: matrix products over the
// batch) has accumulate_batch; the linear models go row by row.
template <class Model, class = void>
struct is_batch_level : std::false_type {};
template <class Model>
struct is_batch_level<Model, std::void_t<decltype(Model::batch_level)>>
    : std::bool_constant<Model::batch_level> {};

// grad += sum over rows [first, first + count) of the order of w_i * dloss_i;
// returns the sum of w_i * loss_i.
template <class Model, class Data>
double accumulate_rows(const Data& X, const typename Model::value_type* y,
                       const typename Model::value_type* sample_weight, const index_t* order,
                       index_t first, index_t count, index_t n_order, const Model& model,
                       typename Model::value_type* grad, typename Model::Workspace& ws) {
  using T = typename Model::value_type;
  if constexpr (is_batch_level<Model>::value) {
    (void)n_order;
    return model.accumulate_batch(X, y, sample_weight, order, first, count, grad, ws);
  } else {
    double loss = 0.0;
    const index_t end = first + count;
    const bool far = rows_from_memory(X, order, n_order);
    for (index_t pos = first; pos < end; ++pos) {
      // ahead into the next batch too: its first rows are as random as these
      prefetch_ahead(X, y, sample_weight, order, pos, n_order, far);
      const index_t i = sample_at(order, pos);
      const auto row = X.row(i);
      const T w = sample_weight ? sample_weight[i] : T(1);
      loss += static_cast<double>(w * model.loss(row, y[i], ws));
      model.add_gradient(row, ws, w, grad);
    }
    return loss;
  }
}

// The sum of the sample-weighted gradients over `count` entries of the order,
// in scratch.grad; returns the sum of the sample-weighted losses.
template <class Model, class Data>
double gradient_sum(const Data& X, const typename Model::value_type* y,
                    const typename Model::value_type* sample_weight, const index_t* order,
                    index_t first, index_t count, index_t n_order, const Model& model,
                    Scratch<Model>& s, int n_threads, const StopCheck& stop, bool& stopped) {
  using T = typename Model::value_type;
  const index_t n_params = model.n_params();
  const index_t blocks = n_blocks_for<Model>(count);
  std::fill(s.grad.begin(), s.grad.end(), T(0));
  double loss = 0.0;
  if (blocks == 1) {
    loss = accumulate_rows(X, y, sample_weight, order, first, count, n_order, model, s.grad.data(),
                           s.workspaces[0]);
  } else {
    std::fill(s.block_grads.begin(), s.block_grads.begin() + blocks * n_params, T(0));
    // The calling thread polls between its blocks; the others skip what is left.
    std::atomic<bool> abandon{false};
#if defined(GDFAST_HAS_OPENMP)
#pragma omp parallel for schedule(static) num_threads(threads_for(count * n_params, blocks, n_threads))
#endif
    for (index_t b = 0; b < blocks; ++b) {
      if (abandon.load(std::memory_order_relaxed)) continue;
      if (current_thread() == 0 && stop.requested()) {
        abandon.store(true, std::memory_order_relaxed);
        continue;
      }
      const index_t lo = first + b * count / blocks;
      const index_t hi = first + (b + 1) * count / blocks;
      s.block_losses[b] = accumulate_rows(X, y, sample_weight, order, lo, hi - lo, n_order, model,
                                          s.block_grads.data() + b * n_params, s.workspaces[b]);
    }
    stopped = abandon.load();
    if (stopped) return 0.0;
    for (index_t b = 0; b < blocks; ++b) {
      const T* part = s.block_grads.data() + b * n_params;
      for (index_t j = 0; j < n_params; ++j) s.grad[j] += part[j];
      loss += s.block_losses[b];
    }
  }
  (void)n_threads;
  return loss;
}

// The mean gradient over `count` entries of the order, in scratch.grad.
template <class Model, class Data>
double mean_gradient(const Data& X, const typename Model::value_type* y,
                     const typename Model::value_type* sample_weight, const index_t* order,
                     index_t first, index_t count, index_t n_order, const Model& model,
                     Scratch<Model>& s, int n_threads, const StopCheck& stop, bool& stopped) {
  using T = typename Model::value_type;
  const double loss =
      gradient_sum(X, y, sample_weight, order, first, count, n_order, model, s, n_threads, stop, stopped);
  const T inv = T(1) / static_cast<T>(count);
  for (T& g : s.grad) g *= inv;
  return loss;
}

}  // namespace detail

// One epoch. `order` lists the samples in the order they are used (n_order of
// them); nullptr means 0..n_order-1, which batch GD wants: the gradient is the
// same in any order and a sweep in storage order streams instead of gathering.
// `t` is the global update count before the epoch, which the schedule, the
// update rule and the averager see. The parameters are updated in place.
// `update_losses`, when given, receives the mean loss of each update's samples.
template <class Model, class Rule, class Data>
EpochStats run_epoch(const Data& X, const typename Model::value_type* y,
                     const typename Model::value_type* sample_weight, const index_t* order,
                     index_t n_order, Model& model, Rule& rule,
                     const Penalty<typename Model::value_type>& penalty,
                     const Schedule<typename Model::value_type>& schedule,
                     const Averager<typename Model::value_type>& averager, index_t t,
                     const EpochSettings& settings, double* update_losses = nullptr,
                     const GradientSum<typename Model::value_type>& given = {}) {
  using T = typename Model::value_type;
  EpochStats stats;
  if (n_order == 0) return stats;
  const index_t rows_per_update = settings.method == Method::sgd         ? 1
                                  : settings.method == Method::minibatch ? std::min(settings.batch_size, n_order)
                                                                         : n_order;
  detail::Scratch<Model> scratch(model, rows_per_update);
  T* params = model.params;
  const index_t n_params = model.n_params();
  const index_t n_penalized = model.n_penalized();

  if constexpr (Rule::direct && Model::direct_step) {
    if (settings.method == Method::sgd) {
      const index_t t_first = t;
      const bool far = detail::rows_from_memory(X, order, n_order);
      // One sample's gradient goes straight from its row into the parameters.
      const auto sgd_step = [&](index_t pos, index_t t_now, typename Model::Workspace& ws) {
        detail::prefetch_ahead(X, y, sample_weight, order, pos, n_order, far);
        const index_t i = detail::sample_at(order, pos);
        const auto row = X.row(i);
        const T w = sample_weight ? sample_weight[i] : T(1);
        const T eta = schedule(t_now);
        const double loss = static_cast<double>(w * model.loss(row, y[i], ws));
        if (update_losses) update_losses[pos] = loss;
        penalty.decay(params, n_penalized, eta);
        model.add_gradient(row, ws, -eta * w, params);
        penalty.truncate(params, n_penalized, eta);
        averager.update(params, n_params, t_now + 1);
        return loss;
      };
#if defined(GDFAST_HAS_OPENMP)
      if (settings.hogwild && settings.n_threads > 1) {
        // Hogwild (Recht et al. 2011), opt-in: each thread takes a slice of the
        // order and updates the shared parameters without locks. Sparse-ish
        // updates rarely collide and the lost ones do not stop convergence; the
        // bits now depend on the threads' timing. Callers allow it only without
        // L1 and averaging, whose state would race too.
        const int threads = settings.n_threads;
        std::vector<typename Model::Workspace> spaces;
        for (int k = 0; k < threads; ++k) spaces.push_back(model.make_workspace());
        std::vector<double> losses(static_cast<std::size_t>(threads), 0.0);
        std::atomic<bool> abandon{false};
#pragma omp parallel num_threads(threads)
        {
          const int tid = omp_get_thread_num();
          const int team = omp_get_num_threads();
          const index_t lo = n_order * tid / team;
          const index_t hi = n_order * (tid + 1) / team;
          double sum = 0.0;
          for (index_t pos = lo; pos < hi; ++pos) {
            if ((pos - lo) % detail::kPollEvery == 0) {
              if (tid == 0 && settings.stop.requested()) abandon.store(true, std::memory_order_relaxed);
              if (abandon.load(std::memory_order_relaxed)) break;
            }
            sum += sgd_step(pos, t + pos, spaces[static_cast<std::size_t>(tid)]);
          }
          losses[static_cast<std::size_t>(tid)] = sum;
        }
        for (const double part : losses) stats.loss_sum += part;
        stats.stopped = abandon.load();
        stats.n_updates = n_order;
        return stats;
      }
#endif
      auto& ws = scratch.workspaces[0];
      // publish(pos) tells a reader thread where the loop is; the same loop with
      // or without one, so the bits are the same
      const auto sgd_loop = [&](auto&& publish) {
        for (index_t pos = 0; pos < n_order; ++pos, ++t) {
          if (pos % detail::kPollEvery == 0 && settings.stop.requested()) {
            stats.stopped = true;
            break;
          }
          publish(pos);
          stats.loss_sum += sgd_step(pos, t, ws);
        }
      };
      if constexpr (std::is_same_v<Data, DenseView<T>>) {
        if (detail::wants_reader(X, order, n_order, settings.n_threads)) {
          detail::RowReader<Data> reader(X, y, sample_weight, order, n_order);
          if (reader.running()) {
            sgd_loop([&reader](index_t pos) { reader.at(pos); });
            stats.n_updates = t - t_first;
            return stats;
          }
        }
      }
      sgd_loop([](index_t) {});
      stats.n_updates = t - t_first;
      return stats;
    }
  }

  // Every other combination: a mean gradient per update, then the rule.
  const index_t step = rows_per_update;
  // Mini-batches of a linear model that one thread sums (a single block of
  // rows) gather their rows at random as sgd does: the same reader thread
  // (W5 on 2 threads: see BENCHMARKS.md, issue 14).
  std::optional<detail::RowReader<Data>> reader;
  if constexpr (std::is_same_v<Data, DenseView<T>> && !detail::is_batch_level<Model>::value) {
    if (settings.method == Method::minibatch && given.grad == nullptr &&
        detail::n_blocks_for<Model>(rows_per_update) == 1 &&
        detail::wants_reader(X, order, n_order, settings.n_threads))
      reader.emplace(X, y, sample_weight, order, n_order);
  }
  for (index_t first = 0; first < n_order; first += step, ++t) {
    if (reader) reader->publish(first);
    if (settings.stop.requested()) {
      stats.stopped = true;
      break;
    }
    const index_t count = std::min(step, n_order - first);
    const T eta = schedule(t);
    bool stopped = false;
    double loss = given.loss;
    if (given.grad) {
      const T inv = T(1) / static_cast<T>(count);
      for (index_t j = 0; j < n_params; ++j) scratch.grad[j] = given.grad[j] * inv;
    } else {
      loss = detail::mean_gradient(X, y, sample_weight, order, first, count, n_order, model, scratch,
                                   settings.n_threads, settings.stop, stopped);
    }
    if (stopped) {
      stats.stopped = true;
      break;
    }
    const double update_loss = loss + penalty.batch_loss(params, n_penalized);
    stats.loss_sum += update_loss;
    if (update_losses) update_losses[stats.n_updates] = update_loss / static_cast<double>(count);
    penalty.add_gradient(params, n_penalized, scratch.grad.data(), count);
    rule.step(params, scratch.grad.data(), n_params, eta, t + 1);
    penalty.truncate(params, n_penalized, eta);
    averager.update(params, n_params, t + 1);
    ++stats.n_updates;
  }
  return stats;
}

// Sparse rows with the plain update rule, for sgd and minibatch: every update
// costs O(non-zeros of its rows), never O(n_features).
//   L2       the coefficients are stored as scale * v, so decaying all of them
//            is one multiplication of `scale`;
//   L1       the cumulative truncated gradient is path-independent for a weight
//            no gradient touches, so a weight's missed truncations are applied
//            just before its feature is next read, and to every weight at the
//            end of the epoch: exact for L1 alone; with elasticnet the deferred
//            truncation and the L2 decay trade places, a second-order
//            difference of O(eta^2 * alpha^2) per step;
//   average  the sum of the iterates is kept as U + C * v with C the sum of
//            the scales, so a sparse step touches only its features of U.
// With averaging, L1 truncates every weight at every step (O(n_features)):
// deferring it would leave stale weights in the average.
template <class Head, class T, class I>
EpochStats run_lazy_epoch(const CsrView<T, I>& X, const T* y, const T* sample_weight,
                          const index_t* order, index_t n_order, LinearModel<T, Head>& model,
                          const Penalty<T>& penalty, const Schedule<T>& schedule,
                          const Averager<T>& averager, index_t t, const EpochSettings& settings,
                          double* update_losses = nullptr) {
  EpochStats stats;
  if (n_order == 0) return stats;
  const index_t d = model.n_features;
  const index_t k = model.n_outputs;
  const index_t n_coef = k * d;
  T* v = model.params;
  T* intercept = v + n_coef;
  T scale = T(1);
  constexpr T kMinScale = T(1e-9);  // fold the scale into v before it underflows

  const bool averaging = averager.average != nullptr;
  const bool l1 = penalty.l1 != T(0);
  const bool lazy_l1 = l1 && !averaging;
  // U and C of the sum of averaged iterates, S = U + C * v; S = n * average on entry.
  std::vector<T> U;
  T C = T(0);
  index_t n_averaged = averaging ? std::max<index_t>(0, t - averager.start + 1) : 0;
  if (averaging) {
    U.assign(averager.average, averager.average + n_coef);
    for (T& u : U) u *= static_cast<T>(n_averaged);
  }

  // Move coefficient `idx` (in v's units) by delta, keeping the average's sum.
  auto move = [&](index_t idx, T delta) {
    v[idx] += delta;
    if (averaging) U[idx] -= C * delta;
  };
  // Truncate coefficient idx by the L1 penalty it has not received yet
  // (penalty.q and penalty.u are in true units: scale * v).
  auto truncate = [&](index_t idx) {
    const T before = scale * v[idx];
    T after = before;
    if (before > T(0)) {
      after = std::max(T(0), before - (*penalty.u + penalty.q[idx]));
    } else if (before < T(0)) {
      after = std::min(T(0), before + (*penalty.u - penalty.q[idx]));
    }
    penalty.q[idx] += after - before;
    if (after != before) move(idx, after / scale - v[idx]);
  };
  auto truncate_row = [&](const SparseRow<T, I>& row) {
    for (index_t c = 0; c < k; ++c)
      for (index_t j = 0; j < row.nnz; ++j) truncate(c * d + row.indices[j]);
  };

  const index_t step = settings.method == Method::sgd ? 1 : std::min(settings.batch_size, n_order);
  std::vector<T> dp(static_cast<std::size_t>(step * k));
  std::vector<T> p(static_cast<std::size_t>(k));
  // W4's rows are random gathers too: the dense loops' reader thread (issue 14)
  using Reader = detail::RowReader<CsrView<T, I>>;
  const bool far = detail::rows_from_memory(X, order, n_order);
  std::optional<Reader> reader;
  if (detail::wants_reader(X, order, n_order, settings.n_threads)) reader.emplace(X, y, sample_weight, order, n_order);
  for (index_t first = 0; first < n_order; first += step, ++t) {
    if (reader && first % Reader::kPublishEvery < step) reader->publish(first);
    if (first % detail::kPollEvery < step && settings.stop.requested()) {
      stats.stopped = true;
      break;
    }
    const index_t count = std::min(step, n_order - first);
    const T eta = schedule(t);
    for (index_t r = 0; r < count; ++r) detail::prefetch_ahead(X, y, sample_weight, order, first + r, n_order, far);

    // 1. predictions of every row at the same (caught-up) weights
    double loss = 0.0;
    for (index_t r = 0; r < count; ++r) {
      const index_t i = detail::sample_at(order, first + r);
      const auto row = X.row(i);
      if (lazy_l1) truncate_row(row);
      for (index_t c = 0; c < k; ++c) p[c] = scale * row.dot(v + c * d) + intercept[c];
      const T w = sample_weight ? sample_weight[i] : T(1);
      loss += static_cast<double>(w * model.head.loss(p.data(), y[i], dp.data() + r * k, k));
      for (index_t c = 0; c < k; ++c) dp[r * k + c] *= w;
    }
    stats.loss_sum += loss;
    if (update_losses) update_losses[stats.n_updates] = loss / static_cast<double>(count);

    // 2. the step: decay by the scale, the mean gradient from the rows
    const T decay = T(1) - eta * penalty.l2;
    if (decay > T(0)) {
      scale *= decay;
    } else {  // a step that large flips or zeroes the weights: apply it in full
      for (index_t j = 0; j < n_coef; ++j) move(j, (decay - T(1)) * v[j]);
    }
    const T rate = eta / static_cast<T>(count);
    for (index_t r = 0; r < count; ++r) {
      const auto row = X.row(detail::sample_at(order, first + r));
      for (index_t c = 0; c < k; ++c) {
        // past a hinge's margin: most rows of a fitted model move nothing
        if (dp[r * k + c] == T(0)) continue;
        const T a = -rate * dp[r * k + c] / scale;
        for (index_t j = 0; j < row.nnz; ++j) move(c * d + row.indices[j], a * row.values[j]);
        if (model.fit_intercept) intercept[c] -= rate * dp[r * k + c];
      }
    }

    // 3. L1 on the rows' features (lazy) or on all (with averaging)
    if (l1) {
      *penalty.u += penalty.l1 * eta;
      if (lazy_l1) {
        for (index_t r = 0; r < count; ++r) truncate_row(X.row(detail::sample_at(order, first + r)));
      } else {
        for (index_t j = 0; j < n_coef; ++j) truncate(j);
      }
    }

    // 4. averaging: one more iterate in the sum
    if (averaging && t + 1 >= averager.start) {
      C += scale;
      ++n_averaged;
      T* avg_b = averager.average + n_coef;
      const T weight = T(1) / static_cast<T>(n_averaged);
      for (index_t c = 0; c < k; ++c) avg_b[c] += (intercept[c] - avg_b[c]) * weight;
    }
    if (scale < kMinScale) {
      for (index_t j = 0; j < n_coef; ++j) v[j] *= scale;
      C /= scale;
      scale = T(1);
    }
    ++stats.n_updates;
  }

  if (lazy_l1)
    for (index_t j = 0; j < n_coef; ++j) truncate(j);
  if (averaging && n_averaged > 0) {
    const T inv = T(1) / static_cast<T>(n_averaged);
    for (index_t j = 0; j < n_coef; ++j) averager.average[j] = (U[j] + C * v[j]) * inv;
  }
  for (index_t j = 0; j < n_coef; ++j) v[j] *= scale;
  return stats;
}

GDFAST_ISA_END
}  // namespace gdfast
