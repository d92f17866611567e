// Issue 14's probe: can the second core speed up a shuffled SGD epoch while the
// arithmetic stays on one thread, in the permutation's order (the same bits)?
//
//   g++ -O3 -march=x86-64-v3 -pthread bench/sgd_pipeline.cpp -o build/sgd_pipeline
//   build/sgd_pipeline [n=200000] [d=100] [rounds=7] [float|double]
//
// W1's loop (squared error, constant eta, one sample an update) over the same
// permutation in every variant; each prints the median of `rounds` epochs in
// M samples/s, and the coefficients must equal the baseline's bit for bit:
//   baseline  one thread, the row 8 positions ahead prefetched (gdfast's loop)
//   touch     + a helper thread that reads every line of the rows `lead` positions
//             ahead of the consumer, so they wait in the shared L3 (or its L2)
//   copy      a helper thread gathers the rows into a ring of blocks of 256 rows
//             in the order, the consumer computes from the ring (the first probe)
//   split     both threads gather into the ring: the helper all rows but every
//             `share`-th of a block, which the consumer copies itself between
//             its updates
//   gather    no arithmetic: one thread only loads the permuted rows (the ceiling
//             of a latency-bound gather)
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

using index_t = std::int64_t;

template <class T>
inline void prefetch_row(const T* row, index_t d) {
  const char* p = reinterpret_cast<const char*>(row);
  for (index_t off = 0; off < d * static_cast<index_t>(sizeof(T)); off += 64) __builtin_prefetch(p + off, 0, 3);
}

// Waits that spin a little, then give the core away: on a busy machine a spinning
// thread can starve the one it waits for.
template <class Ready>
inline void wait_until(Ready&& ready) {
  for (int spins = 0; !ready(); ++spins) {
    if (spins > 1000) std::this_thread::yield();
#if defined(__x86_64__)
    else __builtin_ia32_pause();
#endif
  }
}

// Eight sums in a fixed order: the same bits wherever the row lies in memory (a
// vectorised reduction's peeling for alignment would change its order).
template <class T>
inline double step(const T* x, T y, index_t d, T* w, T& b, T eta) {
  T acc[8] = {};
  index_t j = 0;
  for (; j + 8 <= d; j += 8)
    for (int l = 0; l < 8; ++l) acc[l] += x[j + l] * w[j + l];
  for (int l = 0; j < d; ++j, ++l) acc[l] += x[j] * w[j];
  const T p = b + (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
  const T g = p - y;
  const T s = eta * g;
#pragma omp simd
  for (index_t j = 0; j < d; ++j) w[j] -= s * x[j];
  b -= s;
  return 0.5 * static_cast<double>(g) * static_cast<double>(g);
}

template <class T>
double baseline(const T* X, const T* y, const index_t* order, index_t n, index_t d, T* w, T& b, T eta) {
  double loss = 0;
  for (index_t pos = 0; pos < n; ++pos) {
    if (pos + 8 < n) prefetch_row(X + order[pos + 8] * d, d);
    const index_t i = order[pos];
    loss += step(X + i * d, y[i], d, w, b, eta);
  }
  return loss;
}

template <class T>
double touch(const T* X, const T* y, const index_t* order, index_t n, index_t d, T* w, T& b, T eta,
             index_t lead) {
  std::atomic<index_t> at{0};
  std::atomic<bool> done{false};
  std::thread helper([&] {
    volatile T sink = 0;
    T acc = 0;
    for (index_t pos = 0; pos < n && !done.load(std::memory_order_relaxed); ++pos) {
      wait_until([&] { return pos <= at.load(std::memory_order_relaxed) + lead || done.load(std::memory_order_relaxed); });
      const T* row = X + order[pos] * d;
      for (index_t j = 0; j < d; j += 64 / static_cast<index_t>(sizeof(T))) acc += row[j];
      if (pos + 8 < n) prefetch_row(X + order[pos + 8] * d, d);
    }
    sink = acc;
    (void)sink;
  });
  double loss = 0;
  for (index_t pos = 0; pos < n; ++pos) {
    if ((pos & 63) == 0) at.store(pos, std::memory_order_relaxed);
    if (pos + 8 < n) prefetch_row(X + order[pos + 8] * d, d);
    const index_t i = order[pos];
    loss += step(X + i * d, y[i], d, w, b, eta);
  }
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
      : slots(slots_), d(d_), X(static_cast<std::size_t>(slots_ * rows * d_)), y(static_cast<std::size_t>(slots_ * rows)),
        filled(static_cast<std::size_t>(slots_)) {
    for (auto& f : filled) f.store(0);
  }
  T* row(index_t block, index_t r) { return X.data() + ((block % slots) * rows + r) * d; }
  T* target(index_t block) { return y.data() + (block % slots) * rows; }
};

// share = 0: the helper gathers every row (copy); share = s: the consumer gathers
// rows r with r % s == 0 of the block `ahead` blocks later, between its updates.
template <class T>
double ring_epoch(const T* X, const T* y, const index_t* order, index_t n, index_t d, T* w, T& b, T eta,
                  index_t share, index_t slots) {
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
        if (r + 8 < count) prefetch_row(X + order[first + r + 8] * d, d);
        const index_t i = order[first + r];
        std::memcpy(ring.row(k, r), X + i * d, static_cast<std::size_t>(d) * sizeof(T));
        ty[r] = y[i];
      }
      ring.filled[static_cast<std::size_t>(k % slots)].store(k + 1, std::memory_order_release);
    }
  });
  // the consumer's own share of block k is gathered while it computes block k - ahead
  const index_t ahead = std::max<index_t>(1, slots - 1);
  const auto gather_mine = [&](index_t k, index_t r) {
    if (k >= blocks || !mine(r)) return;
    const index_t first = k * R;
    if (first + r >= n) return;
    const index_t i = order[first + r];
    std::memcpy(ring.row(k, r), X + i * d, static_cast<std::size_t>(d) * sizeof(T));
    ring.target(k)[r] = y[i];
  };
  for (index_t k = 0; k < std::min(ahead, blocks); ++k)
    for (index_t r = 0; r < R; ++r) gather_mine(k, r);
  double loss = 0;
  for (index_t k = 0; k < blocks; ++k) {
    wait_until([&] { return ring.filled[static_cast<std::size_t>(k % slots)].load(std::memory_order_acquire) == k + 1; });
    const index_t count = std::min(R, n - k * R);
    const T* ty = ring.target(k);
    for (index_t r = 0; r < count; ++r) {
      if (mine(r) && r + 4 * share < R) {  // its own row 4 turns later, on its way meanwhile
        const index_t pos = (k + ahead) * R + r + 4 * share;
        if (pos < n) prefetch_row(X + order[pos] * d, d);
      }
      loss += step(ring.row(k, r), ty[r], d, w, b, eta);
      gather_mine(k + ahead, r);
    }
    ring.consumed.store(k + 1, std::memory_order_release);
  }
  helper.join();
  return loss;
}

template <class T>
double gather_only(const T* X, const index_t* order, index_t n, index_t d) {
  T acc = 0;
  for (index_t pos = 0; pos < n; ++pos) {
    if (pos + 8 < n) prefetch_row(X + order[pos + 8] * d, d);
    const T* row = X + order[pos] * d;
    for (index_t j = 0; j < d; j += 64 / static_cast<index_t>(sizeof(T))) acc += row[j];
  }
  return static_cast<double>(acc);
}

template <class T>
int run(index_t n, index_t d, int rounds) {
  std::mt19937_64 gen(0);
  std::normal_distribution<double> normal;
  std::vector<T> X(static_cast<std::size_t>(n * d)), y(static_cast<std::size_t>(n)), truth(static_cast<std::size_t>(d));
  for (auto& v : truth) v = static_cast<T>(normal(gen));
  for (index_t i = 0; i < n; ++i) {
    double s = 0;
    for (index_t j = 0; j < d; ++j) {
      X[i * d + j] = static_cast<T>(normal(gen));
      s += X[i * d + j] * truth[j];
    }
    y[i] = static_cast<T>(s + 0.1 * normal(gen));
  }
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), gen);
  const T eta = T(1e-3);

  struct Variant {
    std::string name;
    std::vector<double> rates;
    std::vector<T> w;
    T b = 0;
  };
  std::vector<Variant> variants;
  std::vector<std::string> names = {"baseline", "touch lead 64", "touch lead 512", "copy (2 slots)",
                                    "copy (8 slots)", "split 1/3 (4 slots)", "split 1/2 (4 slots)",
                                    "gather"};
  for (auto& name : names) variants.push_back({name, {}, {}, 0});
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t v = 0; v < variants.size(); ++v) {  // interleaved: noise hits all alike
      std::vector<T> w(static_cast<std::size_t>(d), T(0));
      T b = 0;
      const auto t0 = std::chrono::steady_clock::now();
      switch (v) {
        case 0: baseline(X.data(), y.data(), order.data(), n, d, w.data(), b, eta); break;
        case 1: touch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 64); break;
        case 2: touch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 512); break;
        case 3: ring_epoch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 0, 2); break;
        case 4: ring_epoch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 0, 8); break;
        case 5: ring_epoch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 3, 4); break;
        case 6: ring_epoch(X.data(), y.data(), order.data(), n, d, w.data(), b, eta, 2, 4); break;
        case 7: b = static_cast<T>(gather_only(X.data(), order.data(), n, d)); break;
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      variants[v].rates.push_back(n / s / 1e6);
      variants[v].w = w;
      variants[v].b = b;
    }
  }
  int bad = 0;
  for (auto& v : variants) {
    std::sort(v.rates.begin(), v.rates.end());
    const bool same = v.name == "gather" ||
                      (std::memcmp(v.w.data(), variants[0].w.data(), sizeof(T) * d) == 0 && v.b == variants[0].b);
    bad += !same;
    std::printf("%-22s %6.2f M samples/s (min %.2f, max %.2f)%s\n", v.name.c_str(), v.rates[v.rates.size() / 2],
                v.rates.front(), v.rates.back(), same ? "" : "  COEFFICIENTS DIFFER");
  }
  return bad;
}

int main(int argc, char** argv) {
  const index_t n = argc > 1 ? std::atoll(argv[1]) : 200000;
  const index_t d = argc > 2 ? std::atoll(argv[2]) : 100;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 7;
  const bool single = argc > 4 && std::string(argv[4]) == "float";
  std::printf("n=%lld d=%lld %s, median of %d interleaved rounds\n", static_cast<long long>(n),
              static_cast<long long>(d), single ? "float32" : "float64", rounds);
  return single ? run<float>(n, d, rounds) : run<double>(n, d, rounds);
}
