// Issue 14's probe: can the second core speed up a shuffled SGD epoch while the
// arithmetic stays on one thread, in the permutation's order (the same bits)?
//
//   g++ -O3 -march=x86-64-v3 -fopenmp-simd -fno-math-errno -pthread -Isrc/cpp/include \
//       bench/sgd_pipeline.cpp -o build/sgd_pipeline
//   build/sgd_pipeline [n=200000] [d=100] [rounds=7] [float|double] [variant substrings...]
//   build/sgd_pipeline latency [rounds=7]
//
// W1's loop (squared error, constant eta, one sample an update) over the same
// permutation in every variant, built from gdfast's own headers: the dot product,
// the axpy and the row prefetch are LinearModel's and DenseView's, so `engine` is
// the engine's sgd loop (compiled as its x86-64-v3 kernels are). Each variant
// prints the median of `rounds` epochs in M samples/s with min and max; the
// variants run round by round, interleaved, and the coefficients of every
// consumer must equal `engine`'s bit for bit.
//   engine          one thread, rows 8 ahead prefetched into the L1 (gdfast before
//                   the far prefetch; the ratios are to it)
//   engine far F A  the same with rows F ahead prefetched into the L2 (prefetcht1)
//                   and A ahead into the L1; ... y: their targets F ahead too
//                   (F = 32, A = 8, y is gdfast's loop now)
//   engine in order the engine's loop over the rows in storage order: its
//                   arithmetic's rate, with no random gather
//   run_epoch [in order]  gdfast::run_epoch itself (engine.hpp), one thread
//   fused far, fused in order  the update of one sample and the next sample's
//                   dot product in one pass over the weights (the same bits)
//   reader ...      the kept reader (touch load 512 skip, below) beside a consumer
//                   that prefetches far itself (cfar F), a reader that does too
//                   (rfar F), lead 2048: cfar 32 y is gdfast on 2 threads now
//   old step        the first probe's step (8 sums, no target prefetch): as fast
//                   as the engine's (0.97-1.03x), so not why its baseline was slow
//   touch MODE L    engine + a helper thread that walks the order up to L positions
//                   ahead of the consumer and brings every line of those rows into
//                   its own caches: MODE load (reads a word a line, its own prefetch
//                   8 ahead), t0 (prefetcht0 only), t2 (prefetcht2 only); on Zen the
//                   L3 is filled by the L2's victims, so with L rows beyond the
//                   helper's 1 MiB L2 the rows wait in the shared L3
//   ... ahead A     the consumer's own prefetch distance A instead of 8 (0: none)
//   copy            a helper gathers the rows into a ring of 256-row blocks (2 slots),
//                   the consumer computes from the ring (the first probe)
//   copy nt         the same ring, 32 slots, written with non-temporal stores: the
//                   consumer streams the staging buffer from memory in order
//   split           both threads gather into the ring: the helper all rows but every
//                   second of a block, which the consumer copies between updates
//   gather 1        no arithmetic: one thread loads a word of every line of the
//                   permuted rows, prefetching 8 ahead (one core's gather ceiling)
//   gather 2        the same order split in two halves, one thread each (both cores')
//   far tL F A      gather 1 with rows F ahead prefetched into the L2 (t1: prefetcht1,
//                   t2: prefetcht2) and A ahead into the L1 (0: none): one core's
//                   gather ceiling, now that the L2 takes the misses the L1 cannot
//   gather 2 far 16 both threads gathering so (both cores' ceiling)
//   ... ahead 32    the gathers with the rows 32 ahead prefetched instead of 8
//   stream 1, 2     the gathers over the rows in storage order: the read bandwidth
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gdfast/data.hpp"
#include "gdfast/engine.hpp"
#include "gdfast/loss.hpp"
#include "gdfast/model.hpp"

using gdfast::index_t;

// Waits that spin a little, then give the core away: on a busy machine a spinning
// thread can starve the one it waits for.
template <class Ready>
inline void wait_until(Ready&& ready) {
  for (int spins = 0; !ready(); ++spins) {
    if (spins > 1000) std::this_thread::yield();
    else _mm_pause();
  }
}

template <class T>
struct Problem {
  gdfast::DenseView<T> X;
  const T* y;
  const index_t* order;
  index_t n, d;
  T eta;
};

template <class T>
using Model = gdfast::LinearModel<T, gdfast::OneVsRestHead<gdfast::SquaredError>>;

// The engine's sgd_step with no penalty, no averaging, no sample weight.
template <class T>
GDFAST_ALWAYS_INLINE double engine_step(const Problem<T>& P, const gdfast::DenseRow<T>& row, T y, Model<T>& model,
                                        typename Model<T>::Workspace& ws) {
  const double loss = static_cast<double>(model.loss(row, y, ws));
  model.add_gradient(row, ws, -P.eta, model.params);
  return loss;
}

template <class T>
GDFAST_ALWAYS_INLINE void prefetch_pos(const Problem<T>& P, index_t pos, index_t ahead) {
  if (ahead > 0 && pos + ahead < P.n) {
    const index_t i = P.order[pos + ahead];
    P.X.prefetch(i);
    __builtin_prefetch(P.y + i, 0, 3);
  }
}

// The consumer: the engine's loop; `at` (when given) published every 64 samples.
template <class T>
double consume(const Problem<T>& P, Model<T>& model, index_t ahead, std::atomic<index_t>* at, index_t far = 0,
               bool far_target = false) {
  auto ws = model.make_workspace();
  double loss = 0;
  for (index_t pos = 0; pos < P.n; ++pos) {
    if (at && (pos & 63) == 0) at->store(pos, std::memory_order_relaxed);
    if (far > 0 && pos + far < P.n) {
      P.X.prefetch_far(P.order[pos + far]);
      if (far_target) __builtin_prefetch(P.y + P.order[pos + far], 0, 2);
    }
    prefetch_pos(P, pos, ahead);
    const index_t i = P.order[pos];
    loss += engine_step(P, P.X.row(i), P.y[i], model, ws);
  }
  return loss;
}

// gdfast's own run_epoch (sgd, plain rule, no penalty), one thread; order
// nullptr: the rows in storage order.
template <class T>
double run_engine(const Problem<T>& P, Model<T>& model, const index_t* order) {
  gdfast::PlainUpdate rule;
  const gdfast::Penalty<T> penalty;
  gdfast::Schedule<T> schedule;
  schedule.eta0 = static_cast<double>(P.eta);
  const gdfast::Averager<T> averager;
  gdfast::EpochSettings settings;
  settings.method = gdfast::Method::sgd;
  return gdfast::run_epoch(P.X, P.y, nullptr, order, P.n, model, rule, penalty, schedule, averager, 0, settings)
      .loss_sum;
}

// The update of sample k fused with the prediction of sample k + 1: one pass
// over the weights computes w += s x_k and, from the new w still in registers,
// the next dot product, with LinearModel's lanes, fold and tail (the same bits):
// no round trip through memory between an update and the next dot product.
template <class T>
double fused(const Problem<T>& P, Model<T>& model, bool far_prefetch) {
  constexpr index_t kSums = 128 / static_cast<index_t>(sizeof(T));
  const index_t d = P.d;
  T* const w = model.params;
  T& b = model.params[d];
  const T* const X = P.X.data;
  constexpr index_t far = gdfast::DenseView<T>::kPrefetchFar;
  const auto fold = [](T* s) {
    for (index_t width = kSums / 2; width >= 1; width /= 2)
      for (index_t l = 0; l < width; ++l) s[l] += s[l + width];
    return s[0];
  };
  // p of the first sample: the plain dot product
  const T* x = X + P.order[0] * d;
  T p = gdfast::DenseRow<T>{x, d}.dot(w) + b;
  double loss = 0;
  for (index_t pos = 0; pos < P.n; ++pos) {
    if (far_prefetch && pos + far < P.n) {
      P.X.prefetch_far(P.order[pos + far]);
      __builtin_prefetch(P.y + P.order[pos + far], 0, 2);
    }
    prefetch_pos(P, pos, 8);
    const index_t i = P.order[pos];
    const T r = p - P.y[i];
    loss += static_cast<double>(T(0.5) * r * r);
    const T step = -P.eta * T(1);
    const T sc = step * r;
    if (pos + 1 == P.n) {  // the last update alone
#pragma omp simd
      for (index_t j = 0; j < d; ++j) w[j] += sc * x[j];
      b += sc;
      break;
    }
    const T* xn = X + P.order[pos + 1] * d;
    T acc[kSums];
    for (index_t l = 0; l < kSums; ++l) {
      w[l] += sc * x[l];
      acc[l] = xn[l] * w[l];
    }
    index_t j = kSums;
    for (; j + kSums <= d; j += kSums)
      for (index_t l = 0; l < kSums; ++l) {
        w[j + l] += sc * x[j + l];
        acc[l] += xn[j + l] * w[j + l];
      }
    T tail = T(0);
    for (; j < d; ++j) {
      w[j] += sc * x[j];
      tail += xn[j] * w[j];
    }
    b += sc;
    p = (fold(acc) + tail) + b;
    x = xn;
  }
  return loss;
}

// The first probe's step, kept to show what its baseline lacked.
template <class T>
double old_step(const Problem<T>& P, Model<T>& model) {
  T* w = model.params;
  T& b = model.params[P.d];
  double loss = 0;
  for (index_t pos = 0; pos < P.n; ++pos) {
    if (pos + 8 < P.n) P.X.prefetch(P.order[pos + 8]);
    const index_t i = P.order[pos];
    const T* x = P.X.data + i * P.d;
    T acc[8] = {};
    index_t j = 0;
    for (; j + 8 <= P.d; j += 8)
      for (int l = 0; l < 8; ++l) acc[l] += x[j + l] * w[j + l];
    for (int l = 0; j < P.d; ++j, ++l) acc[l] += x[j] * w[j];
    const T p = b + (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
    const T g = p - P.y[i];
    const T s = P.eta * g;
#pragma omp simd
    for (index_t k = 0; k < P.d; ++k) w[k] -= s * x[k];
    b -= s;
    loss += 0.5 * static_cast<double>(g) * static_cast<double>(g);
  }
  return loss;
}

enum class Touch { load, t0, t2 };

template <class T>
T touch_row(const Problem<T>& P, index_t i, Touch mode) {
  const T* row = P.X.data + i * P.d;
  T acc = 0;
  switch (mode) {
    case Touch::load:
      for (index_t j = 0; j < P.d; j += 64 / static_cast<index_t>(sizeof(T))) acc += row[j];
      acc += P.y[i];
      break;
    case Touch::t0:
      gdfast::detail::prefetch_lines<3>(row, P.d * static_cast<index_t>(sizeof(T)));
      __builtin_prefetch(P.y + i, 0, 3);
      break;
    case Touch::t2:
      gdfast::detail::prefetch_lines<1>(row, P.d * static_cast<index_t>(sizeof(T)));
      __builtin_prefetch(P.y + i, 0, 1);
      break;
  }
  return acc;
}

// skip > 0: every 64 rows the helper checks that it is at least `skip` rows ahead
// of the consumer's last published position and jumps there if not, instead of
// touching rows the consumer already fetched (a helper that fell behind once
// stayed behind: it only added traffic). head: the consumer starts once the
// helper is `lead` rows in.
template <class T>
double touch(const Problem<T>& P, Model<T>& model, Touch mode, index_t lead, index_t ahead, index_t skip = 0,
             bool head = false, index_t consumer_far = 0, index_t reader_far = 0, bool far_target = false) {
  std::atomic<index_t> at{0}, helper_at{0};
  std::atomic<bool> done{false};
  std::thread helper([&] {
    volatile T sink = 0;
    T acc = 0;
    index_t seen = 0;  // the consumer's position last read: the shared line is read only when needed
    for (index_t pos = 0; pos < P.n; ++pos) {
      if ((pos & 63) == 0) {
        helper_at.store(pos, std::memory_order_relaxed);
        if (skip > 0) {
          seen = at.load(std::memory_order_relaxed);
          if (pos < seen + skip) pos = std::min(P.n - 1, seen + skip);
        }
      }
      if (pos > seen + lead) {
        wait_until([&] {
          seen = at.load(std::memory_order_relaxed);
          return pos <= seen + lead || done.load(std::memory_order_relaxed);
        });
        if (done.load(std::memory_order_relaxed)) break;
      }
      if (reader_far > 0 && pos + reader_far < P.n) P.X.prefetch_far(P.order[pos + reader_far]);
      if (mode == Touch::load && pos + 8 < P.n) P.X.prefetch(P.order[pos + 8]);
      acc += touch_row(P, P.order[pos], mode);
    }
    helper_at.store(P.n, std::memory_order_relaxed);
    sink = acc;
    (void)sink;
  });
  if (head) wait_until([&] { return helper_at.load(std::memory_order_relaxed) >= std::min(P.n, lead); });
  const double loss = consume(P, model, ahead, &at, consumer_far, far_target);
  done.store(true);
  helper.join();
  return loss;
}

// A ring of blocks of rows gathered in the order; block k of the epoch lives in
// slot k % slots. filled[slot] = the block index + 1 once the helper's rows of
// it are in; the consumer releases a slot by advancing `consumed`.
template <class T>
struct Ring {
  static constexpr index_t rows = 256;
  index_t slots, d;
  std::vector<T> X, y;
  std::vector<std::atomic<index_t>> filled;
  std::atomic<index_t> consumed{0};
  Ring(index_t slots_, index_t d_)
      : slots(slots_), d(d_), X(static_cast<std::size_t>(slots_ * rows * d_ + 64)),
        y(static_cast<std::size_t>(slots_ * rows)), filled(static_cast<std::size_t>(slots_)) {
    for (auto& f : filled) f.store(0);
  }
  T* row(index_t block, index_t r) { return X.data() + ((block % slots) * rows + r) * d; }
  T* target(index_t block) { return y.data() + (block % slots) * rows; }
};

// Non-temporal copy of a row (8-byte words; the tail, if any, plainly).
template <class T>
void stream_row(T* to, const T* from, index_t d) {
  const index_t bytes = d * static_cast<index_t>(sizeof(T));
  auto* out = reinterpret_cast<long long*>(to);
  const auto* in = reinterpret_cast<const long long*>(from);
  index_t w = 0;
  for (; (w + 1) * 8 <= bytes; ++w) _mm_stream_si64(out + w, in[w]);
  if (w * 8 < bytes) std::memcpy(reinterpret_cast<char*>(to) + w * 8, reinterpret_cast<const char*>(from) + w * 8,
                                 static_cast<std::size_t>(bytes - w * 8));
}

// share = 0: the helper gathers every row (copy); share = s: the consumer gathers
// rows r with r % s == 0 of the block `ahead` blocks later, between its updates.
template <class T>
double ring_epoch(const Problem<T>& P, Model<T>& model, index_t share, index_t slots, bool nt) {
  const index_t n = P.n, d = P.d;
  Ring<T> ring(slots, d);
  const index_t R = Ring<T>::rows;
  const index_t blocks = (n + R - 1) / R;
  const auto mine = [&](index_t r) { return share > 0 && r % share == 0; };
  std::thread helper([&] {
    for (index_t k = 0; k < blocks; ++k) {
      wait_until([&] { return k - ring.consumed.load(std::memory_order_acquire) < slots; });
      const index_t first = k * R, count = std::min(R, n - first);
      T* ty = ring.target(k);
      for (index_t r = 0; r < count; ++r) {
        if (mine(r)) continue;
        if (r + 8 < count) P.X.prefetch(P.order[first + r + 8]);
        const index_t i = P.order[first + r];
        if (nt) {
          stream_row(ring.row(k, r), P.X.data + i * d, d);
        } else {
          std::memcpy(ring.row(k, r), P.X.data + i * d, static_cast<std::size_t>(d) * sizeof(T));
        }
        ty[r] = P.y[i];
      }
      if (nt) _mm_sfence();
      ring.filled[static_cast<std::size_t>(k % slots)].store(k + 1, std::memory_order_release);
    }
  });
  const index_t ahead = std::max<index_t>(1, slots - 1);
  const auto gather_mine = [&](index_t k, index_t r) {
    if (k >= blocks || !mine(r)) return;
    const index_t first = k * R;
    if (first + r >= n) return;
    const index_t i = P.order[first + r];
    std::memcpy(ring.row(k, r), P.X.data + i * d, static_cast<std::size_t>(d) * sizeof(T));
    ring.target(k)[r] = P.y[i];
  };
  for (index_t k = 0; k < std::min(ahead, blocks); ++k)
    for (index_t r = 0; r < R; ++r) gather_mine(k, r);
  auto ws = model.make_workspace();
  double loss = 0;
  for (index_t k = 0; k < blocks; ++k) {
    wait_until([&] {
      return ring.filled[static_cast<std::size_t>(k % slots)].load(std::memory_order_acquire) == k + 1;
    });
    const index_t count = std::min(R, n - k * R);
    const T* ty = ring.target(k);
    for (index_t r = 0; r < count; ++r) {
      if (mine(r) && r + 4 * share < R) {  // its own row 4 turns later, on its way meanwhile
        const index_t pos = (k + ahead) * R + r + 4 * share;
        if (pos < n) P.X.prefetch(P.order[pos]);
      }
      loss += engine_step(P, gdfast::DenseRow<T>{ring.row(k, r), d}, ty[r], model, ws);
      gather_mine(k + ahead, r);
    }
    ring.consumed.store(k + 1, std::memory_order_release);
  }
  helper.join();
  return loss;
}

// order == false: the rows in storage order (a streaming read, for the bandwidth).
// Rows `ahead` ahead are prefetched into the L1 (0: none) and, with far > 0, rows
// `far` ahead into the L2 only (Locality 2: prefetcht1, 1: prefetcht2), whose miss
// buffers outnumber the L1's.
template <class T, int Locality = 2>
T gather_range(const Problem<T>& P, index_t lo, index_t hi, index_t ahead, bool order, index_t far) {
  T acc = 0;
  const index_t bytes = P.d * static_cast<index_t>(sizeof(T));
  const auto row = [&](index_t pos) { return order ? P.order[pos] : pos; };
  for (index_t pos = lo; pos < hi; ++pos) {
    if (far > 0 && pos + far < hi) gdfast::detail::prefetch_lines<Locality>(P.X.data + row(pos + far) * P.d, bytes);
    if (ahead > 0 && pos + ahead < hi) P.X.prefetch(row(pos + ahead));
    acc += touch_row(P, row(pos), Touch::load);
  }
  return acc;
}

volatile double gather_sink = 0;  // keeps the loads of the gather-only variants

template <class T, int Locality = 2>
double gather(const Problem<T>& P, int threads, index_t ahead = 8, bool order = true, index_t far = 0) {
  const auto range = [&](index_t lo, index_t hi) { return gather_range<T, Locality>(P, lo, hi, ahead, order, far); };
  if (threads == 1) return gather_sink = static_cast<double>(range(0, P.n));
  T other = 0;
  std::thread helper([&] { other = range(P.n / 2, P.n); });
  const T mine = range(0, P.n / 2);
  helper.join();
  return gather_sink = static_cast<double>(mine + other);
}

// X in 2 MiB pages where the kernel allows them, as NumPy asks for its large
// arrays (madvise, MADV_HUGEPAGE): with 4 KiB pages every random row is also a
// TLB miss, and the one-thread loop ran 1.15-1.3x slower on W1 float64
// (GDFAST_PROBE_4K=1 measures that case).
template <class T>
std::unique_ptr<T[], decltype(&std::free)> huge_array(std::size_t count) {
  constexpr std::size_t page = std::size_t(1) << 21;
  const std::size_t bytes = (count * sizeof(T) + page - 1) / page * page;
  T* data = static_cast<T*>(std::aligned_alloc(page, bytes));
  if (data && std::getenv("GDFAST_PROBE_4K") == nullptr) madvise(data, bytes, MADV_HUGEPAGE);
  return {data, &std::free};
}

template <class T>
int run(index_t n, index_t d, int rounds, const std::vector<std::string>& only) {
  std::mt19937_64 gen(0);
  std::normal_distribution<double> normal;
  auto X = huge_array<T>(static_cast<std::size_t>(n * d));
  std::vector<T> y(static_cast<std::size_t>(n)), truth(static_cast<std::size_t>(d));
  for (auto& v : truth) v = static_cast<T>(normal(gen));
  for (index_t i = 0; i < n; ++i) {
    double s = 0;
    for (index_t j = 0; j < d; ++j) {
      X[i * d + j] = static_cast<T>(normal(gen));
      s += static_cast<double>(X[i * d + j] * truth[j]);
    }
    y[i] = static_cast<T>(s + 0.1 * normal(gen));
  }
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), gen);
  const Problem<T> P{{X.get(), n, d, d}, y.data(), order.data(), n, d, T(1e-3)};
  std::vector<index_t> identity(static_cast<std::size_t>(n));
  std::iota(identity.begin(), identity.end(), index_t(0));
  const Problem<T> in_order{{X.get(), n, d, d}, y.data(), identity.data(), n, d, T(1e-3)};

  using Epoch = std::function<void(Model<T>&)>;
  struct Variant {
    std::string name;
    Epoch epoch;
    bool consumer = true;  // computes the model: its bits must equal engine's
    std::vector<double> rates;
    std::vector<T> params;
  };
  std::vector<Variant> all = {
      {"engine", [&](Model<T>& m) { consume(P, m, 8, nullptr); }},
      {"engine ahead 16", [&](Model<T>& m) { consume(P, m, 16, nullptr); }},
      {"engine in order", [&](Model<T>& m) { consume(in_order, m, 8, nullptr); }, false},
      {"fused far", [&](Model<T>& m) { fused(P, m, true); }},
      {"fused in order", [&](Model<T>& m) { fused(in_order, m, false); }, false},
      {"run_epoch", [&](Model<T>& m) { run_engine(P, m, P.order); }},
      {"run_epoch in order", [&](Model<T>& m) { run_engine(P, m, nullptr); }, false},
      {"engine far 16 8", [&](Model<T>& m) { consume(P, m, 8, nullptr, 16); }},
      {"engine far 32 8", [&](Model<T>& m) { consume(P, m, 8, nullptr, 32); }},
      {"engine far 32 8 y", [&](Model<T>& m) { consume(P, m, 8, nullptr, 32, true); }},
      {"engine far 24 8", [&](Model<T>& m) { consume(P, m, 8, nullptr, 24); }},
      {"engine far 48 8", [&](Model<T>& m) { consume(P, m, 8, nullptr, 48); }},
      {"engine far 64 8", [&](Model<T>& m) { consume(P, m, 8, nullptr, 64); }},
      {"engine far 16 0", [&](Model<T>& m) { consume(P, m, 0, nullptr, 16); }},
      {"engine far 32 0", [&](Model<T>& m) { consume(P, m, 0, nullptr, 32); }},
      {"engine far 32 4", [&](Model<T>& m) { consume(P, m, 4, nullptr, 32); }},
      {"old step", [&](Model<T>& m) { old_step(P, m); }, false},
      {"touch load 64", [&](Model<T>& m) { touch(P, m, Touch::load, 64, 8); }},
      {"touch load 512", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8); }},
      {"touch load 4096", [&](Model<T>& m) { touch(P, m, Touch::load, 4096, 8); }},
      {"touch load 512 ahead 4", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 4); }},
      {"touch load 512 ahead 16", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 16); }},
      {"touch load 512 ahead 0", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 0); }},
      {"touch load 64 skip", [&](Model<T>& m) { touch(P, m, Touch::load, 64, 8, 32); }},
      {"touch load 512 skip", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128); }},
      {"touch load 2048 skip", [&](Model<T>& m) { touch(P, m, Touch::load, 2048, 8, 128); }},
      {"touch load 512 skip ahead 16", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 16, 128); }},
      {"reader cfar 32", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, false, 32, 0); }},
      {"reader cfar 32 y", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, false, 32, 0, true); }},
      {"reader cfar 16", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, false, 16, 0); }},
      {"reader cfar 16 rfar 16", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, false, 16, 16); }},
      {"reader rfar 16", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, false, 0, 16); }},
      {"reader cfar 16 rfar 16 lead 2048", [&](Model<T>& m) { touch(P, m, Touch::load, 2048, 8, 256, false, 16, 16); }},
      {"touch load 512 skip head", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 8, 128, true); }},
      {"touch load 512 skip ahead 0", [&](Model<T>& m) { touch(P, m, Touch::load, 512, 0, 128, true); }},
      {"touch load 2048 skip head", [&](Model<T>& m) { touch(P, m, Touch::load, 2048, 8, 128, true); }},
      {"touch t2 512 skip head", [&](Model<T>& m) { touch(P, m, Touch::t2, 512, 8, 128, true); }},
      {"touch t0 64", [&](Model<T>& m) { touch(P, m, Touch::t0, 64, 8); }},
      {"touch t2 64", [&](Model<T>& m) { touch(P, m, Touch::t2, 64, 8); }},
      {"touch t2 512", [&](Model<T>& m) { touch(P, m, Touch::t2, 512, 8); }},
      {"touch t2 4096", [&](Model<T>& m) { touch(P, m, Touch::t2, 4096, 8); }},
      {"copy", [&](Model<T>& m) { ring_epoch(P, m, 0, 2, false); }},
      {"copy nt", [&](Model<T>& m) { ring_epoch(P, m, 0, 32, true); }},
      {"split", [&](Model<T>& m) { ring_epoch(P, m, 2, 4, false); }},
      {"far t1 16 8", [&](Model<T>&) { gather(P, 1, 8, true, 16); }, false},
      {"far t1 32 8", [&](Model<T>&) { gather(P, 1, 8, true, 32); }, false},
      {"far t1 64 8", [&](Model<T>&) { gather(P, 1, 8, true, 64); }, false},
      {"far t2 32 8", [&](Model<T>&) { gather<T, 1>(P, 1, 8, true, 32); }, false},
      {"far t1 32 0", [&](Model<T>&) { gather(P, 1, 0, true, 32); }, false},
      {"far t1 16 0", [&](Model<T>&) { gather(P, 1, 0, true, 16); }, false},
      {"gather 2 far 16", [&](Model<T>&) { gather(P, 2, 0, true, 16); }, false},
      {"gather 1", [&](Model<T>&) { gather(P, 1); }, false},
      {"gather 2", [&](Model<T>&) { gather(P, 2); }, false},
      {"gather 1 ahead 32", [&](Model<T>&) { gather(P, 1, 32); }, false},
      {"gather 2 ahead 32", [&](Model<T>&) { gather(P, 2, 32); }, false},
      {"stream 1", [&](Model<T>&) { gather(P, 1, 8, false); }, false},
      {"stream 2", [&](Model<T>&) { gather(P, 2, 8, false); }, false},
  };
  std::vector<Variant> variants;
  for (auto& v : all) {
    bool keep = only.empty() || v.name == "engine";
    for (const auto& s : only) keep = keep || v.name.find(s) != std::string::npos;
    if (keep) variants.push_back(v);
  }
  for (int round = 0; round < rounds; ++round) {
    for (auto& v : variants) {  // interleaved: noise hits all alike
      std::vector<T> params(static_cast<std::size_t>(d + 1), T(0));
      Model<T> model{params.data(), {}, d, 1, true};
      const auto t0 = std::chrono::steady_clock::now();
      v.epoch(model);
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      v.rates.push_back(static_cast<double>(n) / s / 1e6);
      v.params = params;
    }
  }
  int bad = 0;
  const double base = [&] {
    auto r = variants[0].rates;
    std::sort(r.begin(), r.end());
    return r[r.size() / 2];
  }();
  for (auto& v : variants) {
    std::sort(v.rates.begin(), v.rates.end());
    const bool same = !v.consumer || v.params == variants[0].params;
    bad += !same;
    const double median = v.rates[v.rates.size() / 2];
    std::printf("%-26s %6.2f M/s (min %5.2f, max %5.2f)  %.2fx%s\n", v.name.c_str(), median, v.rates.front(),
                v.rates.back(), median / base, same ? "" : "  COEFFICIENTS DIFFER");
  }
  return bad;
}

// `sgd_pipeline latency`: nanoseconds a dependent load takes from memory, from
// this core's L2, and from the other core's L2 (lines the helper loaded just
// before): whether a row the helper fetched reaches the consumer sooner than one
// from memory. A random cycle through `lines` cache lines, one hop a load.
double chase_ns(std::size_t lines, int warm) {  // warm: 0 none, 1 this thread, 2 another thread
  auto buf = huge_array<index_t>(lines * 8);
  std::vector<index_t> perm(lines);
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin() + 1, perm.end(), std::mt19937_64(1));
  for (std::size_t k = 0; k < lines; ++k) buf[perm[k] * 8] = perm[(k + 1) % lines] * 8;
  const auto touch_all = [&] {
    index_t sum = 0;
    for (std::size_t k = 0; k < lines; ++k) sum += buf[k * 8];
    gather_sink = static_cast<double>(sum);
  };
  // the threads pinned to the two cores: a joined thread may run on the caller's
  const auto pin = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  };
  pin(0);
  if (warm == 1) touch_all();
  if (warm == 2) std::thread([&] { pin(1); touch_all(); }).join();
  const std::size_t hops = std::min<std::size_t>(lines, 1 << 20);
  index_t at = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t h = 0; h < hops; ++h) at = buf[at];
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  gather_sink = static_cast<double>(at);
  return s / static_cast<double>(hops) * 1e9;
}

int latency(int rounds) {
  const char* names[] = {"memory (256 MiB)", "own L2 (512 KiB)", "other core's L2 (512 KiB)"};
  std::vector<double> ns[3];
  for (int round = 0; round < rounds; ++round) {
    ns[0].push_back(chase_ns(std::size_t(1) << 22, 0));
    ns[1].push_back(chase_ns(std::size_t(1) << 13, 1));
    ns[2].push_back(chase_ns(std::size_t(1) << 13, 2));
  }
  for (int k = 0; k < 3; ++k) {
    std::sort(ns[k].begin(), ns[k].end());
    std::printf("%-28s %6.1f ns a load (min %.1f, max %.1f)\n", names[k], ns[k][ns[k].size() / 2], ns[k].front(),
                ns[k].back());
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "latency") return latency(argc > 2 ? std::atoi(argv[2]) : 7);
  const index_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  const index_t d = argc > 2 ? std::atoll(argv[2]) : 100;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
  const bool single = argc > 4 && std::string(argv[4]) == "float";
  std::vector<std::string> only;
  for (int a = 5; a < argc; ++a) only.emplace_back(argv[a]);
  std::printf("n=%lld d=%lld %s, %s pages, median of %d interleaved rounds\n", static_cast<long long>(n),
              static_cast<long long>(d), single ? "float32" : "float64",
              std::getenv("GDFAST_PROBE_4K") ? "4 KiB" : "2 MiB", rounds);
  return single ? run<float>(n, d, rounds, only) : run<double>(n, d, rounds, only);
}
