// The W7 network's batch (forward and backward of 100 -> 64 -> 64 -> 3, relu,
// softmax) in C++ alone, to choose the register block of network.hpp's
// products without Python or the engine around it. Prints GFLOP/s (51,328 FLOP
// a sample, as workloads.mlp_flops_per_sample counts them), best of 5 passes
// over 4,096 rows, for batches of 32 and 200, float64 and float32, one thread.
//
//   g++ -O3 -std=c++17 -fopenmp-simd -march=x86-64-v4 -mprefer-vector-width=512 \
//       -DGDFAST_GEMM_MR=8 -Isrc/cpp/include bench/gemm_block.cpp -o build/bench/gemm_block
//
// (-march=x86-64-v3 for the AVX2 kernels; GDFAST_GEMM_MR left out: the
// block the kernels are built with.) The host's speed drifts: run the
// variants in turn, several times, and compare the best of each.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "gdfast/network.hpp"

namespace {

using gdfast::index_t;

template <class T>
double gflops(index_t batch) {
  const index_t n = 4096, d = 100;
  const std::vector<index_t> sizes{d, 64, 64, 3};
  std::mt19937 draw(0);
  std::normal_distribution<double> normal;
  std::vector<T> X(static_cast<std::size_t>(n * d)), y(static_cast<std::size_t>(n));
  for (T& v : X) v = T(normal(draw));
  for (index_t i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = T(i % 3);
  using Network = gdfast::NetworkModel<T, gdfast::Relu, gdfast::SoftmaxClassHead>;
  std::vector<T> params(static_cast<std::size_t>(Network{nullptr, {}, sizes, 1}.n_params()));
  for (T& v : params) v = T(0.1 * normal(draw));
  const Network network{params.data(), {}, sizes, 1};
  typename Network::Workspace workspace = network.make_workspace();
  std::vector<T> grad(params.size());
  const gdfast::DenseView<T> view{X.data(), n, d, d};
  double best = 1e300;
  for (int pass = 0; pass < 5; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    for (index_t first = 0; first + batch <= n; first += batch)
      network.accumulate_batch(view, y.data(), nullptr, nullptr, first, batch, grad.data(), workspace);
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return 51328.0 * static_cast<double>(n / batch * batch) / best / 1e9;
}

}  // namespace

int main() {
  std::printf("rows=%ld\n", static_cast<long>(gdfast::detail::GemmBlock<double>::Mr));
  for (const index_t batch : {index_t(32), index_t(200)})
    std::printf("batch=%ld float64=%.1f float32=%.1f GFLOP/s\n", static_cast<long>(batch), gflops<double>(batch),
                gflops<float>(batch));
  return 0;
}
