// Learning rate as a function of the global update count t (0-based, counted
// across epochs). Schedules that change once per epoch (exponential, step,
// cosine, adaptive, a user callable) are decided in Python and arrive here as
// a constant eta0 for the epoch.
#pragma once

#include "data.hpp"

namespace gdfast {

template <class T>
struct ConstantSchedule {
  T eta0;
  T operator()(index_t /*t*/) const { return eta0; }
};

}  // namespace gdfast
