// Throughput of every format's quantize and dequantize, scalar reference vs
// SIMD128, in MB/s of float32 data (input for quantize, output for
// dequantize). A benchmark, not a test: it prints, it does not judge.
// Usage: quantlab_bench [--mb N] [--type NAME]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "formats/quantize.h"

using namespace quantlab;

namespace {

std::vector<float> bench_input(size_t n) {
    std::vector<float> x(n);
    uint32_t s = 12345;
    for (auto& v : x) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        v = (float(s >> 8) / 16777216.0f - 0.5f) * 0.1f;
    }
    return x;
}

// Runs fn until at least min_seconds have passed; returns the best MB/s of the runs.
template <class Fn>
double best_mb_per_s(size_t bytes, Fn&& fn, double min_seconds = 0.4) {
    using clock = std::chrono::steady_clock;
    double best = 0.0, total = 0.0;
    int runs = 0;
    while (total < min_seconds || runs < 2) {
        const auto t0 = clock::now();
        fn();
        const double s = std::chrono::duration<double>(clock::now() - t0).count();
        total += s;
        ++runs;
        best = std::max(best, double(bytes) / 1e6 / s);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    size_t mb = 16;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--mb") && i + 1 < argc) mb = std::stoul(argv[++i]);
        else if (!std::strcmp(argv[i], "--type") && i + 1 < argc) only = argv[++i];
    }
    const size_t n = mb * 1024 * 1024 / 4 / 256 * 256;
    const auto x = bench_input(n);
    std::vector<float> y(n);
    std::vector<uint8_t> q(n * 4);

#if defined(__EMSCRIPTEN__)
    const char* target = "wasm";
#else
    const char* target = "native";
#endif
    std::printf("quantlab format throughput (%s, 1 thread, %zu floats, MB/s of f32 data)\n", target, n);
    std::printf("%-8s %-8s %12s %12s\n", "type", "variant", "quantize", "dequantize");
    for (const auto& t : all_type_traits()) {
        if (!only.empty() && only != t.name) continue;
        for (auto v : {KernelVariant::Ref, KernelVariant::Simd128}) {
            if (v == KernelVariant::Simd128 && !simd128_compiled()) continue;
            const KernelSet k = resolve_kernels(t, v);
            if (!k.quantize || !k.dequantize_row) continue;
            const int64_t row = 4096;
            const double qs = best_mb_per_s(n * 4, [&] { k.quantize(x.data(), q.data(), int64_t(n) / row, row, nullptr); });
            const double ds = best_mb_per_s(n * 4, [&] { k.dequantize_row(q.data(), y.data(), int64_t(n)); });
            std::printf("%-8s %-8s %12.1f %12.1f\n", t.name, kernel_variant_name(v), qs, ds);
        }
    }
    return 0;
}
