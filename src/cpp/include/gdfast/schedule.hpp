// Learning rate as a function of the global update count t (0-based, counted
// across epochs). Schedules that change once per epoch (exponential, step,
// cosine, adaptive, a user callable) are decided in Python and arrive here as
// a constant eta0 for the epoch.
#pragma once

#include <cmath>
#include <cstdint>

#include "data.hpp"

namespace gdfast {
GDFAST_ISA_BEGIN

enum class ScheduleKind : std::int8_t { constant, optimal, invscaling };

// One struct with a switch rather than one type per schedule: the switch runs
// once per update (not per feature), and it keeps the number of compiled
// loops to losses x update rules.
template <class T>
struct Schedule {
  ScheduleKind kind = ScheduleKind::constant;
  double eta0 = 0.01;
  double alpha = 1e-4;     // optimal: the penalty strength
  double t0 = 1.0;         // optimal: scikit-learn's offset 1 / (eta_init * alpha)
  double power_t = 0.25;   // invscaling

  T operator()(index_t t) const {
    switch (kind) {
      case ScheduleKind::optimal:
        return static_cast<T>(1.0 / (alpha * (t0 + static_cast<double>(t))));
      case ScheduleKind::invscaling:
        return static_cast<T>(eta0 / std::pow(static_cast<double>(t + 1), power_t));
      case ScheduleKind::constant:
      default:
        return static_cast<T>(eta0);
    }
  }
};

GDFAST_ISA_END
}  // namespace gdfast
