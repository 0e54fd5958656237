// The progress line of a sensitivity scan on stderr: rewritten in place at
// most every half second, and at every phase change.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstring>

#include "quantize/sensitivity.h"

namespace quantlab::cli {

class ScanProgressLine {
public:
    bool operator()(const SensitivityProgress& p) {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - t0_).count();
        const bool phase_changed = std::strcmp(p.phase, last_phase_) != 0;
        if (phase_changed || s - last_ >= 0.5 || p.step == p.n_steps) {
            std::fprintf(stderr, "\rsensitivity: %-8s %5lld/%lld  %6.1f s", p.phase, (long long)p.step,
                         (long long)p.n_steps, s);
            if (p.step == p.n_steps) std::fprintf(stderr, "\n");
            last_ = s;
            last_phase_ = p.phase;
        }
        return true;
    }

private:
    std::chrono::steady_clock::time_point t0_ = std::chrono::steady_clock::now();
    double last_ = -1.0;
    const char* last_phase_ = "";
};

}  // namespace quantlab::cli
