// Seconds on the steady clock, for timings and progress rates (never dates).
#pragma once

#include <chrono>

namespace quantlab {

inline double steady_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace quantlab
