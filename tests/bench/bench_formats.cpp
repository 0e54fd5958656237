// Throughput of every format's quantize and dequantize, scalar reference vs
// SIMD128, in MB/s of float32 data (input for quantize, output for
// dequantize). A benchmark, not a test: it prints, it does not judge.
// Usage: quantlab_bench [--mb N] [--type NAME[,NAME...]] [--imatrix] [--dot] [--cpu]
//        (--imatrix adds a column: quantize with importance weights, for the
//        formats that use them; scripts/bench-ggml-quantize.sh measures
//        libggml on the same data; --dot adds the vec_dot with the type's
//        activation format, one row of 4096 values at a time, in MB/s of the
//        f32 values the weights stand for; --cpu times by process CPU time)
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

// xorshift32: the next state, which each draw uses.
uint32_t xorshift(uint32_t& s) {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    return s;
}

std::vector<float> bench_input(size_t n) {
    std::vector<float> x(n);
    uint32_t s = 12345;
    for (auto& v : x) v = (float(xorshift(s) >> 8) / 16777216.0f - 0.5f) * 0.1f;
    return x;
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

// Time by process CPU time instead of wall time (--cpu): on a shared
// machine a thread's CPU time is what another process's load disturbs least.
bool g_cpu_time = false;

double now_s() {
    if (g_cpu_time) return cpu_ms() / 1000.0;
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs fn until at least min_seconds have passed; returns the best MB/s of the runs.
template <class Fn>
double best_mb_per_s(size_t bytes, Fn&& fn, double min_seconds = 0.4) {
    double best = 0.0, total = 0.0;
    int runs = 0;
    while (total < min_seconds || runs < 2) {
        const double t0 = now_s();
        fn();
        const double s = now_s() - t0;
        total += s;
        ++runs;
        best = std::max(best, double(bytes) / 1e6 / s);
    }
    return best;
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

// Importance weights as scripts/bench-ggml-quantize.sh gives libggml:
// 0.02 + 4 u^4 per column, xorshift32 from 556.
std::vector<float> bench_imatrix(size_t n) {
    std::vector<float> w(n);
    uint32_t s = 556;
    for (auto& v : w) {
        const double u = double(xorshift(s) >> 8) / 16777216.0;
        v = float(0.02 + 4 * u * u * u * u);
    }
    return w;
}

bool listed(const std::string& list, const std::string& name) {
    if (list.empty()) return true;
    size_t start = 0;
    while (start <= list.size()) {
        const size_t end = std::min(list.find(',', start), list.size());
        if (list.compare(start, end - start, name) == 0) return true;
        start = end + 1;
    }
    return false;
}

}  // namespace

int main(int argc, char** argv) {
    size_t mb = 16;
    std::string only;
    bool lattices = false, with_imatrix = false, with_dot = false;
    int runs = 5;
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--mb") && i + 1 < argc) mb = std::stoul(argv[++i]);
        else if (!std::strcmp(argv[i], "--type") && i + 1 < argc) only = argv[++i];
        else if (!std::strcmp(argv[i], "--lattices")) lattices = true;
        else if (!std::strcmp(argv[i], "--imatrix")) with_imatrix = true;
        else if (!std::strcmp(argv[i], "--cpu")) g_cpu_time = true;
        else if (!std::strcmp(argv[i], "--dot")) with_dot = true;
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
    const int64_t row = 4096;
    const auto imatrix = bench_imatrix(size_t(row));

    std::printf("quantlab format throughput (%s, 1 thread, %zu floats, MB/s of f32 data per %s second)\n", target, n,
                g_cpu_time ? "CPU" : "wall");
    std::printf("%-8s %-8s %12s %12s%s%s\n", "type", "variant", "quantize", "dequantize",
                with_imatrix ? "  quantize+imat" : "", with_dot ? "  vec_dot" : "");
    std::vector<uint8_t> act(n * 4);
    for (const auto& t : all_type_traits()) {
        if (!listed(only, t.name)) continue;
        for (auto v : {KernelVariant::Ref, KernelVariant::Simd128}) {
            if (v == KernelVariant::Simd128 && !simd128_compiled()) continue;
            const KernelSet k = resolve_kernels(t, v);
            if (!k.quantize || !k.dequantize_row) continue;
            // A type ggml quantizes only with an importance matrix (IQ1_S, IQ2_XXS,
            // IQ2_XS) has no plain column ("-"); its blocks are made with weights.
            const bool needs_imatrix = quantize_requires_imatrix(t.type);
            const float* plain_w = needs_imatrix ? imatrix.data() : nullptr;
            if (needs_imatrix) k.quantize(x.data(), q.data(), int64_t(n) / row, row, plain_w);
            const double qs = needs_imatrix ? 0.0 : best_mb_per_s(n * 4, [&] {
                k.quantize(x.data(), q.data(), int64_t(n) / row, row, nullptr);
            });
            const double ds = best_mb_per_s(n * 4, [&] { k.dequantize_row(q.data(), y.data(), int64_t(n)); });
            if (needs_imatrix) std::printf("%-8s %-8s %12s %12.1f", t.name, kernel_variant_name(v), "-", ds);
            else std::printf("%-8s %-8s %12.1f %12.1f", t.name, kernel_variant_name(v), qs, ds);
            if ((with_imatrix || needs_imatrix) && t.uses_imatrix) {
                const double qi = best_mb_per_s(
                    n * 4, [&] { k.quantize(x.data(), q.data(), int64_t(n) / row, row, imatrix.data()); });
                std::printf("  %13.1f", qi);
            } else if (with_imatrix) {
                std::printf("  %13s", "-");
            }
            if (with_dot && k.vec_dot) {
                const KernelSet ak = resolve_kernels(type_traits(t.vec_dot_type), v);
                ak.quantize_row(x.data(), act.data(), int64_t(n));
                k.quantize(x.data(), q.data(), int64_t(n) / row, row, plain_w);
                const size_t wrb = row_size(t, row), arb = row_size(type_traits(t.vec_dot_type), row);
                volatile float sink = 0;
                const double dt = best_mb_per_s(n * 4, [&] {
                    float s = 0;
                    for (int64_t r = 0; r < int64_t(n) / row; ++r) {
                        s += k.vec_dot(row, q.data() + size_t(r) * wrb, act.data() + size_t(r) * arb);
                    }
                    sink = s;
                });
                (void)sink;
                std::printf("  %7.0f", dt);
            }
            std::printf("\n");
        }
    }
    return 0;
}
