// Throughput of every format's quantize and dequantize, scalar reference vs
// SIMD128, in MB/s of float32 data (input for quantize, output for
// dequantize). A benchmark, not a test: it prints, it does not judge.
// Usage: quantlab_bench [--mb N] [--type NAME]
//        quantlab_bench --lattices [--runs N]   time to build each i-quant lattice search map
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <ctime>
#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif
#include <string>
#include <vector>

#include "formats/iq_grids.h"
#include "formats/iq_lattice.h"
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

// Process CPU time in ms: std::clock natively; under Node (the wasm bench
// runs there) process.cpuUsage(), since emscripten's clock() is wall time.
double cpu_ms() {
#if defined(__EMSCRIPTEN__)
    return EM_ASM_DOUBLE({
        const u = process.cpuUsage();
        return (u.user + u.system) / 1000;
    });
#else
    return 1000.0 * double(std::clock()) / CLOCKS_PER_SEC;
#endif
}

// The one-off cost a quantizer pays on its first call for a lattice
// (formats/iq_lattice.h): min and median of `runs` uncached builds.
int bench_lattices(int runs, const char* target) {
    struct L {
        const char* name;
        const void* grid;
        int size, dims, nwant;
    };
    const L all[] = {{"iq2xxs", kIq2xxsGrid, kIq2xxsGridSize, 8, 2}, {"iq2xs", kIq2xsGrid, kIq2xsGridSize, 8, 2},
                     {"iq2s", kIq2sGrid, kIq2sGridSize, 8, 1},       {"iq1s", kIq1sGrid, kIq1sGridSize, 8, 3},
                     {"iq3xxs", kIq3xxsGrid, kIq3xxsGridSize, 4, 2}, {"iq3s", kIq3sGrid, kIq3sGridSize, 4, 3}};
    // Wall time, and process CPU time, which a busy shared machine disturbs less.
    std::printf("quantlab lattice build (%s, 1 thread, %d runs): ms\n", target, runs);
    std::printf("%-8s %9s %9s %9s %12s\n", "lattice", "wall min", "wall med", "cpu min", "list entries");
    for (const L& l : all) {
        std::vector<double> ms, cpu;
        size_t entries = 0;
        for (int r = 0; r < runs; ++r) {
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = cpu_ms();
            const IqLattice lat = build_iq_lattice(l.grid, l.size, l.dims, l.nwant);
            cpu.push_back(cpu_ms() - c0);
            ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
            entries = lat.neighbours.size();
        }
        std::sort(ms.begin(), ms.end());
        std::sort(cpu.begin(), cpu.end());
        std::printf("%-8s %9.1f %9.1f %9.1f %12zu\n", l.name, ms.front(), ms[ms.size() / 2], cpu.front(), entries);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    size_t mb = 16;
    std::string only;
    bool lattices = false;
    int runs = 5;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--mb") && i + 1 < argc) mb = std::stoul(argv[++i]);
        else if (!std::strcmp(argv[i], "--type") && i + 1 < argc) only = argv[++i];
        else if (!std::strcmp(argv[i], "--lattices")) lattices = true;
        else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    }
#if defined(__EMSCRIPTEN__)
    const char* target = "wasm";
#else
    const char* target = "native";
#endif
    if (lattices) return bench_lattices(runs, target);
    const size_t n = mb * 1024 * 1024 / 4 / 256 * 256;
    const auto x = bench_input(n);
    std::vector<float> y(n);
    std::vector<uint8_t> q(n * 4);

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
