// One update rule's step on the W7 network's 10,819 float64 parameters, in C++
// alone: microseconds a step, best of 5 runs of 5,000 steps, for Adam and the
// plain rule. It measured what -fno-math-errno is worth (CMakeLists.txt): with
// errno, GCC keeps Adam's square roots scalar; and the 256-bit vectors of the
// loops with roots in AVX-512 builds (update.hpp, GDFAST_ROOT_LOOP_WIDTH): on an
// AMD Zen 4, Adam's step 19.3 us with 512-bit vectors, 10.2 us with 256-bit.
//
//   g++ -O3 -std=c++17 -fopenmp-simd -march=x86-64-v4 -mprefer-vector-width=512 \
//       [-fno-math-errno] -Isrc/cpp/include bench/update_step.cpp -o build/bench/update_step
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "gdfast/update.hpp"

namespace {

template <class Rule>
double microseconds_a_step(const Rule& rule, std::vector<double>& params, const std::vector<double>& grad) {
  const auto n = static_cast<gdfast::index_t>(params.size());
  double best = 1e300;
  for (int run = 0; run < 5; ++run) {
    const auto start = std::chrono::steady_clock::now();
    for (gdfast::index_t k = 1; k <= 5000; ++k) rule.step(params.data(), grad.data(), n, 0.001, k);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 5000);
  }
  return best * 1e6;
}

}  // namespace

int main() {
  const std::size_t n = 10819;
  std::vector<double> params(n, 0.1), grad(n, 0.01), m(n, 0.0), v(n, 0.0);
  const gdfast::AdamUpdate<double> adam{m.data(), v.data(), 0.9, 0.999, 1e-8};
  std::printf("adam %.2f us/step\n", microseconds_a_step(adam, params, grad));
  std::printf("plain %.2f us/step\n", microseconds_a_step(gdfast::PlainUpdate{}, params, grad));
  std::printf("(checksum %g)\n", params[7]);
  return 0;
}
