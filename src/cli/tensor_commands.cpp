#include "cli/tensor_commands.h"

#include <cstdio>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "formats/quantize.h"
#include "parallel/cpu_cores.h"
#include "parallel/thread_pool.h"

namespace quantlab::cli {

namespace {

KernelVariant variant_from(const Args& args) {
    return args.has("--scalar") ? KernelVariant::Ref : default_kernel_variant();
}

// Row length from --rows (number of rows) for a tensor of n values.
int64_t row_length(const Args& args, size_t n) {
    const long long rows = args.get_int("--rows", 1);
    if (rows <= 0 || n % size_t(rows) != 0) {
        throw Error(ErrorCode::BadLength, std::to_string(n) + " values cannot be split into " +
                                              std::to_string(rows) + " rows");
    }
    return int64_t(n / size_t(rows));
}

}  // namespace

int run_tensor_quantize(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--scalar"});
    const auto& t = type_traits_by_name(args.get("--type"));
    const auto x = read_f32_file(args.get("--in"));
    QuantizeOptions opt;
    opt.n_per_row = x.empty() ? 0 : row_length(args, x.size());
    opt.variant = variant_from(args);
    ThreadPool pool(resolve_thread_count(args.threads()));
    opt.pool = &pool;
    std::vector<float> imatrix;
    if (args.has("--imatrix")) {
        imatrix = read_f32_file(args.get("--imatrix"));
        opt.imatrix = imatrix.data();
        opt.imatrix_len = imatrix.size();
    }
    const auto q = quantize(t, x.data(), x.size(), opt);
    write_file_atomic(args.get("--out"), q.data(), q.size());
    std::printf("%s: %zu values -> %zu bytes (%.4f bits/weight)\n", t.name, x.size(), q.size(),
                8.0 * double(q.size()) / double(x.size()));
    return 0;
}

int run_tensor_dequantize(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--scalar"});
    const auto& t = type_traits_by_name(args.get("--type"));
    const auto q = read_file(args.get("--in"));
    const long long n = args.get_int("--n", -1);
    if (n <= 0) throw Error(ErrorCode::InvalidArgument, "--n must be a positive value count");
    row_length(args, size_t(n));  // validates --rows; rows are independent when dequantizing
    ThreadPool pool(resolve_thread_count(args.threads()));
    const auto y = dequantize(t, q.data(), q.size(), size_t(n), variant_from(args), &pool);
    write_file_atomic(args.get("--out"), y.data(), y.size() * sizeof(float));
    std::printf("%s: %zu bytes -> %lld values\n", t.name, q.size(), n);
    return 0;
}

int run_formats(int, char**) {
    std::printf("%-8s %4s %6s %6s %8s %-8s %s\n", "name", "id", "block", "bytes", "bpw", "vec_dot", "imatrix");
    for (const auto& t : all_type_traits()) {
        std::printf("%-8s %4u %6lld %6zu %8.4f %-8s %s\n", t.name, unsigned(t.type), (long long)t.block_size,
                    t.type_size, t.bits_per_weight(), type_traits(t.vec_dot_type).name, t.uses_imatrix ? "yes" : "no");
    }
    return 0;
}

}  // namespace quantlab::cli
