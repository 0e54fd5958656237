// The matmul benchmark behind the web app's Benchmark page and
// `quantlab bench-matmul`: it runs the engine's own kernel path and reports
// consistent figures for every weight type.
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <string>

#include "core/error.h"
#include "model/matmul_bench.h"
#include "parallel/thread_pool.h"

using namespace quantlab;

namespace {

MatmulBenchOptions small(int64_t n_tokens, KernelVariant v = default_kernel_variant()) {
    MatmulBenchOptions o;
    o.rows = 64;
    o.cols = 512;
    o.n_tokens = n_tokens;
    o.min_seconds = 0;
    o.max_reps = 3;
    o.variant = v;
    return o;
}

}  // namespace

TEST_CASE("bench_matmul: every weight type, generation and prompt", "[bench][matmul]") {
    for (const auto& t : all_type_traits()) {
        if (!t.ref.vec_dot) continue;
        for (int64_t n : {1, 8}) {
            CAPTURE(t.name, n);
            const auto r = bench_matmul(t, small(n));
            CHECK(r.reps >= 3);
            CHECK(r.reps % 3 == 0);  // 3 samples of equally many multiplications
            CHECK(r.weight_bytes == row_size(t, 512) * 64);
            CHECK(r.activation_bytes == row_size(type_traits(t.vec_dot_type), 512) * uint64_t(n));
            CHECK(r.seconds > 0);
            CHECK(r.best_seconds <= r.seconds);
            CHECK(r.gflops == Approx(2.0 * 64 * 512 * double(n) / r.seconds / 1e9));
            CHECK(r.weight_gbps == Approx(double(r.weight_bytes) / r.seconds / 1e9));
            CHECK(std::isfinite(r.checksum));
        }
    }
}

TEST_CASE("bench_matmul: the SIMD128 path computes what the reference computes", "[bench][matmul]") {
    if (!simd128_compiled()) return;
    for (const char* name : {"f32", "q8_0", "q4_K", "q6_K"}) {
        CAPTURE(name);
        const auto& t = type_traits_by_name(name);
        // gemm and vec_dot are bit-identical within a variant; across variants
        // the float sums may associate differently, so compare loosely.
        const double ref = bench_matmul(t, small(4, KernelVariant::Ref)).checksum;
        const double simd = bench_matmul(t, small(4, KernelVariant::Simd128)).checksum;
        CHECK(simd == Approx(ref).epsilon(1e-4).margin(1e-3));
    }
}

TEST_CASE("bench_matmul: row slices on a pool give the same outputs for any thread count", "[bench][matmul][threads]") {
    for (const char* name : {"q8_0", "q4_K"}) {
        CAPTURE(name);
        const auto& t = type_traits_by_name(name);
        auto o = small(8);
        o.rows = 100;  // not a multiple of the 12-row slice alignment
        const auto one = bench_matmul(t, o);
        CHECK(one.threads == 1);
        for (int threads : {2, 3}) {
            o.threads = threads;
            const auto r = bench_matmul(t, o);
            CHECK(r.threads == (threads_supported() ? threads : 1));
            CHECK(r.checksum == one.checksum);
        }
    }
}

namespace {
// A browser worker's clock: 0.1 ms steps, and one jump of 10 ms during the
// first timed run (a pause), which used to end the calibration at one
// repetition per sample.
int coarse_calls = 0;
double coarse_clock() {
    using clock = std::chrono::steady_clock;
    static const auto start = clock::now();
    const double t = std::chrono::duration<double>(clock::now() - start).count() + (++coarse_calls >= 2 ? 0.010 : 0.0);
    return std::floor(t * 1e4) / 1e4;
}
}  // namespace

TEST_CASE("bench_matmul: a coarse clock that jumps once still gives a time", "[bench][matmul]") {
    auto o = small(1);
    o.rows = 16;
    o.cols = 256;  // microseconds per multiplication: far under the clock's step
    o.clock = coarse_clock;
    coarse_calls = 0;
    const auto r = bench_matmul(type_traits_by_name("q4_0"), o);
    CHECK(r.seconds > 0);
    CHECK(r.seconds < 0.001);
    CHECK(r.gflops < 1e4);
}

TEST_CASE("bench_matmul: bad requests are typed errors", "[bench][matmul]") {
    auto code = [](const char* type, MatmulBenchOptions o) -> std::string {
        try {
            bench_matmul(type_traits_by_name(type), o);
        } catch (const Error& e) {
            return error_code_name(e.code());
        }
        return "no error";
    };
    CHECK(code("q8_K", small(1)) == "Unsupported");
    auto o = small(1);
    o.cols = 100;
    CHECK(code("q8_0", o) == "BadLength");
    o.cols = 32;  // one Q8_0 block, but Q4_K needs 256
    CHECK(code("q4_K", o) == "BadLength");
    o = small(0);
    CHECK(code("f32", o) == "InvalidArgument");
    // Sizes whose product does not fit 64 bits (nor wasm32's size_t): refused before allocating.
    o = small(1);
    o.rows = int64_t(1) << 62;
    CHECK(code("q8_0", o) == "OutOfMemory");
    o = small(1);
    o.n_tokens = int64_t(1) << 62;
    CHECK(code("f32", o) == "OutOfMemory");
}
