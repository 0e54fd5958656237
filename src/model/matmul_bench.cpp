#include "model/matmul_bench.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/checked_alloc.h"
#include "core/clock.h"
#include "core/error.h"
#include "formats/quantize.h"
#include "model/ops.h"
#include "parallel/cpu_cores.h"
#include "parallel/thread_pool.h"

namespace quantlab {

namespace {

// Deterministic weight-like values: a sum of uniforms (close to normal), std ~0.02.
void fill(std::vector<float>& v, uint32_t seed) {
    uint32_t s = seed * 2654435761u + 1;
    for (auto& x : v) {
        float sum = 0;
        for (int k = 0; k < 4; ++k) {
            s = s * 1664525u + 1013904223u;
            sum += float(s >> 8) * (1.0f / 16777216.0f) - 0.5f;
        }
        x = sum * 0.035f;
    }
}

}  // namespace

MatmulBenchResult bench_matmul(const TypeTraits& t, const MatmulBenchOptions& opt) {
    if (opt.rows <= 0 || opt.cols <= 0 || opt.n_tokens <= 0) {
        throw Error(ErrorCode::InvalidArgument, "rows, cols and the number of columns must be positive");
    }
    if (opt.max_reps <= 0) throw Error(ErrorCode::InvalidArgument, "max_reps must be positive");
    const KernelSet wk = resolve_kernels(t, opt.variant);
    if (!wk.vec_dot) {
        throw Error(ErrorCode::Unsupported, std::string(t.name) + " is an activation format: it has no dot product as a weight");
    }
    const TypeTraits& at = type_traits(t.vec_dot_type);
    for (const TypeTraits* b : {&t, &at}) {
        if (opt.cols % b->block_size != 0) {
            throw Error(ErrorCode::BadLength, "row length " + std::to_string(opt.cols) + " is not a multiple of " +
                                                  b->name + "'s block of " + std::to_string(b->block_size) + " values");
        }
    }

    // The weight, quantized once (not timed): what a model file holds.
    // Sizes from the caller: checked, so a product that wraps wasm32's
    // size_t is OutOfMemory naming it, not a small buffer read as a large one.
    const size_t row_bytes = row_size(t, opt.cols);
    std::vector<uint8_t> w;
    assign_checked(w, {int64_t(row_bytes), opt.rows}, "the benchmark's weight matrix");
    {
        std::vector<float> wf;
        assign_checked(wf, {opt.rows, opt.cols}, "the benchmark's weight matrix");
        fill(wf, opt.seed);
        // Uniform importance: formats that cannot quantize without an
        // importance matrix (the IQ2/IQ1 family) get one, the rest are unaffected.
        const std::vector<float> ones(t.uses_imatrix ? size_t(opt.cols) : 0, 1.0f);
        QuantizeOptions qo;
        qo.n_per_row = opt.cols;
        qo.imatrix = ones.empty() ? nullptr : ones.data();
        qo.imatrix_len = ones.size();
        qo.variant = opt.variant;
        quantize_into(t, wf.data(), wf.size(), w.data(), w.size(), qo);
    }
    std::vector<float> x, y;
    assign_checked(x, {opt.n_tokens, opt.cols}, "the benchmark's activations");
    fill(x, opt.seed + 1);
    assign_checked(y, {opt.n_tokens, opt.rows}, "the benchmark's output");
    std::vector<uint8_t> aq;

    WeightMatrix m;
    m.name = "bench";
    m.traits = &t;
    m.n_in = opt.cols;
    m.n_out = opt.rows;
    m.row_bytes = row_bytes;
    m.data = w.data();

    // y = W·x as LlamaContext::mul runs it: activations quantized once, then
    // row slices (edges at multiples of 12 rows, the x86 tiles) on the pool.
    const std::shared_ptr<ThreadPool> owned = opt.pool ? opt.pool : std::make_shared<ThreadPool>(resolve_thread_count(opt.threads));
    ThreadPool& pool = *owned;
    aq.resize(size_t(opt.n_tokens) * activation_row_bytes(m));
    const int64_t parts = pool.size();
    auto once = [&] {
        quantize_activations(m, x.data(), 0, opt.n_tokens, aq.data(), opt.variant);
        pool.run(parts, [&](int64_t part, int) {
            const TaskRange r = task_range(opt.rows, parts, part, 12);
            if (r.end > r.begin) matmul_quantized(m, aq.data(), opt.n_tokens, y.data(), r.begin, r.end, opt.variant);
        });
    };
    // Calibrate (this is also the warm-up: caches, page faults): repeat the
    // multiplication until one sample takes >= 5 ms, so that a browser's
    // coarse clock (0.1 ms) cannot dominate small matrices. A first run of
    // 0.2 s or more is dominated by the arithmetic and counts as a sample.
    double (*const now)() = opt.clock ? opt.clock : steady_seconds;
    std::vector<double> times;
    double total = 0;
    int64_t inner = 1;
    for (;;) {
        const double t0 = now();
        for (int64_t k = 0; k < inner; ++k) once();
        const double dt = now() - t0;
        if (inner == 1 && dt >= 0.2) {
            times.push_back(dt);
            total += dt;
        }
        if (dt >= 0.005 || inner >= (int64_t(1) << 20)) break;
        inner *= 2;
    }
    while (int64_t(times.size()) < opt.max_reps && (total < opt.min_seconds || times.size() < 3)) {
        const double t0 = now();
        for (int64_t k = 0; k < inner; ++k) once();
        const double dt = now() - t0;
        // A sample under 2 ms means the calibration stopped early: one of its
        // runs was slow (a pause, a coarse clock's jump, code not yet
        // optimized), so `inner` is too small for a clock that counts in
        // 0.1 ms steps and samples would read 0 or be a step off (seen in a
        // browser worker: 0.000 ms, 10^5 x F32). Double it and start the
        // samples again.
        if (dt < 0.002 && inner < (int64_t(1) << 20)) {
            inner *= 2;
            times.clear();
            total = 0;
            continue;
        }
        times.push_back(dt / double(inner));
        total += dt;
    }
    std::sort(times.begin(), times.end());

    MatmulBenchResult r;
    r.reps = int64_t(times.size()) * inner;
    r.seconds = times[times.size() / 2];
    r.best_seconds = times.front();
    // A clock coarser than one run (browsers round to 0.1 ms) would give 0.
    const double s = std::max(r.seconds, 1e-9);
    r.weight_bytes = uint64_t(w.size());
    r.activation_bytes = uint64_t(row_size(at, opt.cols)) * uint64_t(opt.n_tokens);
    r.gflops = 2.0 * double(opt.rows) * double(opt.cols) * double(opt.n_tokens) / s / 1e9;
    r.weight_gbps = double(r.weight_bytes) / s / 1e9;
    double sum = 0;
    for (float v : y) sum += double(v);
    r.checksum = sum;
    r.threads = pool.size();
    return r;
}

}  // namespace quantlab
