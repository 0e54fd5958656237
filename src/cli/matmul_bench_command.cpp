#include "cli/matmul_bench_command.h"

#include <cstdio>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "model/matmul_bench.h"
#include "parallel/cpu_cores.h"

namespace quantlab::cli {

int run_bench_matmul(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--scalar"});
    MatmulBenchOptions opt;
    opt.rows = args.get_int("--rows", 4096);
    opt.cols = args.get_int("--cols", 4096);
    opt.n_tokens = args.get_int("-n", 1);
    opt.min_seconds = double(args.get_int("--min-ms", 250)) / 1000.0;
    opt.variant = args.has("--scalar") ? KernelVariant::Ref : default_kernel_variant();
    opt.threads = resolve_thread_count(args.threads());
    const std::string which = args.get_or("--type", "all");

    // F32 first: every other row is compared with it.
    std::vector<const TypeTraits*> types{&type_traits_by_name("f32")};
    for (const auto& t : all_type_traits()) {
        if (t.type == GgmlType::F32 || !t.ref.vec_dot) continue;
        if (which == "all" || type_traits_by_name(which).type == t.type) types.push_back(&t);
    }
    std::string kernels = kernel_variant_name(opt.variant);
    if (opt.variant == KernelVariant::Simd128 && native_kernel_isa()) kernels += std::string("+") + native_kernel_isa();
    std::printf("%lld x %lld weights times %lld column(s), kernels %s, %d thread(s)\n\n", (long long)opt.rows,
                (long long)opt.cols, (long long)opt.n_tokens, kernels.c_str(), opt.threads);
    std::printf("| type | ms | GFLOP/s | vs F32 | weight GB/s |\n|---|---:|---:|---:|---:|\n");
    double f32_gflops = 0;
    for (const TypeTraits* t : types) {
        const MatmulBenchResult r = bench_matmul(*t, opt);
        if (t->type == GgmlType::F32) f32_gflops = r.gflops;
        std::printf("| %s | %.3f | %.2f | %.2fx | %.2f |\n", t->name, r.seconds * 1e3, r.gflops,
                    f32_gflops > 0 ? r.gflops / f32_gflops : 0.0, r.weight_gbps);
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace quantlab::cli
