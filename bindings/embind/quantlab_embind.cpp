// embind surface of the wasm module. Deliberately thin and pointer-based: the
// JS wrapper (bindings/js/quantlab.mjs) copies typed arrays into the wasm heap
// with HEAP*.set (fast for any size) and passes addresses here. Every entry
// catches quantlab::Error and returns {code, message} instead of throwing, so
// a JS caller gets a typed QuantlabError and the module stays usable.
#include <emscripten/bind.h>
#include <emscripten/heap.h>
#include <emscripten/val.h>
#include <malloc.h>

#include <new>
#include <string>
#include <utility>

#include "guarded.h"
#include "core/error.h"
#include "formats/block_layout.h"
#include "formats/quantize.h"
#include "parallel/cpu_cores.h"
#include "parallel/thread_pool.h"
#include "stats/error_stats.h"

using emscripten::val;
using namespace quantlab;

namespace {

// Every entry returns {value} | {error: {code, message}} (bindings/embind/guarded.h).
template <class Fn>
val guarded(Fn&& fn) {
    return bindings::guarded_call(std::forward<Fn>(fn), "this operation");
}

KernelVariant variant_of(const std::string& kernel) {
    if (kernel == "ref" || kernel == "scalar") return KernelVariant::Ref;
    if (kernel == "simd128") {
        if (!simd128_compiled()) throw Error(ErrorCode::Unsupported, "this build has no SIMD128 kernels");
        return KernelVariant::Simd128;
    }
    if (kernel.empty() || kernel == "auto") return default_kernel_variant();
    throw Error(ErrorCode::InvalidArgument, "unknown kernel '" + kernel + "' (use auto, ref or simd128)");
}

val formats() {
    val list = val::array();
    for (const auto& t : all_type_traits()) {
        val o = val::object();
        o.set("name", std::string(t.name));
        o.set("id", unsigned(t.type));
        o.set("blockSize", double(t.block_size));
        o.set("typeSize", double(t.type_size));
        o.set("bitsPerWeight", t.bits_per_weight());
        o.set("isQuantized", t.is_quantized);
        o.set("vecDotType", std::string(type_traits(t.vec_dot_type).name));
        o.set("usesImatrix", t.uses_imatrix);
        o.set("requiresImatrix", quantize_requires_imatrix(t.type));
        o.set("hasSimd128", simd128_compiled() && (t.simd128.quantize_row || t.simd128.dequantize_row ||
                                                   t.simd128.vec_dot));
        o.set("hasVecDot", t.ref.vec_dot != nullptr);
        val layout = val::array();
        for (const auto& f : block_layout(t.type)) {
            val field = val::object();
            field.set("name", std::string(f.name));
            field.set("bytes", f.bytes);
            field.set("what", std::string(f.what));
            layout.call<void>("push", field);
        }
        o.set("layout", layout);
        list.call<void>("push", o);
    }
    return list;
}

// Exact for any count up to 2^53: n values may describe more than wasm32 can hold.
val quantized_size_of(const std::string& type, double n) {
    return guarded([&] {
        const int64_t count = bindings::int_arg(n, "length", 1, int64_t(1) << 53);
        return val(double(quantized_bytes(type_traits_by_name(type), uint64_t(count))));
    });
}

// The pool for a tensor of n values: none below 256K values, where starting
// a pool's workers (when no model holds them) would cost more than it saves.
std::shared_ptr<ThreadPool> tensor_pool(double threads, size_t n) {
    const int t = int(bindings::int_arg(threads, "threads", 0, 256));
    return n >= (size_t(1) << 18) ? shared_thread_pool(t) : nullptr;
}

val quantize_into_heap(const std::string& type, uintptr_t x, double n, uintptr_t out, double out_len,
                       double n_per_row, uintptr_t imatrix, double imatrix_len, const std::string& kernel,
                       double threads) {
    return guarded([&] {
        QuantizeOptions opt;
        opt.n_per_row = int64_t(bindings::size_arg(n_per_row, "row length"));
        opt.imatrix = reinterpret_cast<const float*>(imatrix);
        opt.imatrix_len = bindings::size_arg(imatrix_len, "importance matrix length");
        opt.variant = variant_of(kernel);
        // Rows on the module's pool of that size (shared with its models): the same bytes for any count.
        const auto pool = tensor_pool(threads, bindings::size_arg(n, "length"));
        opt.pool = pool.get();
        quantize_into(type_traits_by_name(type), reinterpret_cast<const float*>(x), bindings::size_arg(n, "length"),
                      reinterpret_cast<uint8_t*>(out), bindings::size_arg(out_len, "output length"), opt);
        return val(true);
    });
}

val dequantize_into_heap(const std::string& type, uintptr_t q, double q_len, uintptr_t y, double n,
                         const std::string& kernel, double threads) {
    return guarded([&] {
        const auto pool = tensor_pool(threads, bindings::size_arg(n, "n"));
        dequantize_into(type_traits_by_name(type), reinterpret_cast<const uint8_t*>(q), bindings::size_arg(q_len, "quantized length"),
                        reinterpret_cast<float*>(y), bindings::size_arg(n, "n"), variant_of(kernel), pool.get());
        return val(true);
    });
}

val error_stats_of_heap(uintptr_t a, uintptr_t b, double n, double bins, double range) {
    return guarded([&] {
        const auto s = compute_error_stats(reinterpret_cast<const float*>(a), reinterpret_cast<const float*>(b),
                                           bindings::size_arg(n, "length"),
                                           int(bindings::int_arg(bins, "bins", 0, 100000)), range);
        val o = val::object();
        o.set("n", double(s.n));
        o.set("meanError", s.mean_error);
        o.set("mae", s.mae);
        o.set("maxAbs", s.max_abs);
        o.set("rmse", s.rmse);
        o.set("snrDb", s.snr_db);
        o.set("cosine", s.cosine);
        val h = val::object();
        h.set("lo", s.histogram.lo);
        h.set("hi", s.histogram.hi);
        val counts = val::array();
        for (auto c : s.histogram.counts) counts.call<void>("push", double(c));
        h.set("counts", counts);
        o.set("histogram", h);
        return o;
    });
}

// What the leak tests measure (dlmalloc's mallinfo): bytes malloc'ed now,
// the most the heap ever took from the system, and live embind objects.
val memory_usage() {
    const struct mallinfo mi = mallinfo();
    val o = val::object();
    o.set("wasmMemory", double(emscripten_get_heap_size()));
    o.set("heapInUse", double(unsigned(mi.uordblks)));
    o.set("heapPeak", double(unsigned(mi.usmblks)));
    o.set("liveEngines", bindings::LiveCounter<bindings::EngineTag>::live);
    o.set("liveQuantizeSessions", bindings::LiveCounter<bindings::QuantizeSessionTag>::live);
    return o;
}

val build_info() {
    val o = val::object();
    o.set("simd128", simd128_compiled());
    o.set("defaultKernel", std::string(kernel_variant_name(default_kernel_variant())));
    // Built with -pthread: pools may start threads (how many is the
    // loader's choice, bindings/js/module_variant.mjs).
    o.set("pthreads", threads_supported());
    return o;
}

}  // namespace

EMSCRIPTEN_BINDINGS(quantlab) {
    emscripten::function("formats", &formats);
    emscripten::function("quantizedSize", &quantized_size_of);
    emscripten::function("quantizeIntoHeap", &quantize_into_heap);
    emscripten::function("dequantizeIntoHeap", &dequantize_into_heap);
    emscripten::function("errorStatsOfHeap", &error_stats_of_heap);
    emscripten::function("buildInfo", &build_info);
    // The loader's thread count: what threads: 0 means for every pool.
    emscripten::function("setDefaultThreads", +[](int n) {
        set_default_thread_count(n);
        set_worker_thread_limit(n - 1);  // the Web Workers the loader started
    });
    emscripten::function("memoryUsage", &memory_usage);
}
