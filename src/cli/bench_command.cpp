// quantlab bench: engine throughput in the shape of llama-bench's default
// tests (with -t threads, default one per physical core) — pp (one batch of N prompt tokens from an empty cache) and tg (N
// single-token decodes from an empty cache) — so the figures compare with
// llama-bench's and with ../shared/bench's harness (pp256 / tg64).
#include "cli/bench_command.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "model/llama_context.h"

namespace quantlab::cli {

namespace {

double now_ms() {
    using clock = std::chrono::steady_clock;
    return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

struct Sample {
    double mean = 0, sd = 0;
};

Sample summarize(const std::vector<double>& tps) {
    Sample s;
    for (double v : tps) s.mean += v;
    s.mean /= double(tps.size());
    for (double v : tps) s.sd += (v - s.mean) * (v - s.mean);
    s.sd = tps.size() > 1 ? std::sqrt(s.sd / double(tps.size() - 1)) : 0.0;
    return s;
}

}  // namespace

int run_bench(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--scalar"});
    const std::string path = args.get("-m");
    const int64_t n_prompt = args.get_int("-p", 256);
    const int64_t n_gen = args.get_int("-n", 64);
    const int64_t reps = args.get_int("-r", 3);
    if (n_prompt < 0 || n_gen < 0 || reps < 1) throw Error(ErrorCode::InvalidArgument, "-p, -n must be >= 0 and -r >= 1");
    auto model = LlamaModel::load_file(path);
    ContextOptions co;
    co.n_ctx = std::max<int64_t>(std::max(n_prompt, n_gen), 1);
    co.n_batch = std::max<int64_t>(n_prompt, 1);
    co.variant = args.has("--scalar") ? KernelVariant::Ref : default_kernel_variant();
    co.threads = args.threads();
    LlamaContext ctx(model, co);
    const int64_t V = ctx.n_vocab();
    // Token ids do not change the work; a fixed pseudo-random sequence keeps runs comparable.
    std::vector<int32_t> ids(size_t(std::max(n_prompt, n_gen)));
    uint32_t s = 12345;
    for (auto& id : ids) {
        s = s * 1664525u + 1013904223u;
        id = int32_t((s >> 8) % uint32_t(V));
    }

    std::printf("| model | kernels | threads | test | t/s |\n|---|---|---|---|---|\n");
    const std::string name = path.substr(path.find_last_of('/') + 1);
    // "simd128+avx512vnni" when native kernels stand in for SIMD128 ones.
    std::string kernels = kernel_variant_name(co.variant);
    if (co.variant == KernelVariant::Simd128 && native_kernel_isa()) kernels += std::string("+") + native_kernel_isa();
    auto report = [&](const char* test, int64_t n, const std::vector<double>& tps) {
        const Sample sm = summarize(tps);
        std::printf("| %s | %s | %d | %s%lld | %.2f ± %.2f |\n", name.c_str(), kernels.c_str(), ctx.threads(), test,
                    (long long)n, sm.mean, sm.sd);
        std::fflush(stdout);
    };
    if (n_prompt > 0) {
        ctx.decode(ids.data(), n_prompt, false);  // warm-up
        std::vector<double> tps;
        for (int64_t r = 0; r < reps; ++r) {
            ctx.clear();
            const double t0 = now_ms();
            ctx.decode(ids.data(), n_prompt, false);
            tps.push_back(1000.0 * double(n_prompt) / (now_ms() - t0));
        }
        report("pp", n_prompt, tps);
    }
    if (n_gen > 0) {
        std::vector<double> tps;
        for (int64_t r = 0; r < reps + 1; ++r) {
            ctx.clear();
            const double t0 = now_ms();
            for (int64_t i = 0; i < n_gen; ++i) ctx.decode(&ids[size_t(i)], 1, false);
            if (r > 0) tps.push_back(1000.0 * double(n_gen) / (now_ms() - t0));  // first run warms up
        }
        report("tg", n_gen, tps);
    }
    return 0;
}

}  // namespace quantlab::cli
