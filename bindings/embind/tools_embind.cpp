// embind surface of the web app's measuring tools: the matmul benchmark
// (model/matmul_bench.h) and llama-shaped headers for the planner
// (quantize/llama_shape.h). Same result convention as every entry:
// {value} | {error: {code, message}} (guarded.h).
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <string>
#include <utility>

#include "guarded.h"
#include "core/error.h"
#include "formats/type_traits.h"
#include "model/matmul_bench.h"
#include "quantize/llama_shape.h"

using emscripten::val;
using namespace quantlab;

namespace {

template <class Fn>
val guarded(Fn&& fn) {
    return bindings::guarded_call(std::forward<Fn>(fn), "this benchmark");
}

int64_t int_field(const val& o, const char* key, int64_t fallback) {
    const val v = o[key];
    if (v.isUndefined() || v.isNull()) return fallback;
    if (!v.isNumber()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be a number");
    const double d = v.as<double>();
    if (!(d == double(int64_t(d)))) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an integer");
    return int64_t(d);
}

val bench_matmul_of(const std::string& type, const val& o) {
    return guarded([&] {
        MatmulBenchOptions opt;
        opt.rows = int_field(o, "rows", opt.rows);
        opt.cols = int_field(o, "cols", opt.cols);
        opt.n_tokens = int_field(o, "nTokens", opt.n_tokens);
        opt.max_reps = int_field(o, "maxReps", opt.max_reps);
        opt.seed = uint32_t(int_field(o, "seed", opt.seed));
        opt.threads = int(bindings::int_arg(double(int_field(o, "threads", opt.threads)), "threads", 0, 256));
        opt.pool = shared_thread_pool(opt.threads);  // shared with the module's models
        const int64_t min_ms = int_field(o, "minMs", int64_t(opt.min_seconds * 1000));
        if (min_ms < 0) throw Error(ErrorCode::InvalidArgument, "minMs must be non-negative");
        opt.min_seconds = double(min_ms) / 1000.0;
        const MatmulBenchResult r = bench_matmul(type_traits_by_name(type), opt);
        val v = val::object();
        v.set("reps", double(r.reps));
        v.set("seconds", r.seconds);
        v.set("bestSeconds", r.best_seconds);
        v.set("gflops", r.gflops);
        v.set("weightGBps", r.weight_gbps);
        v.set("weightBytes", double(r.weight_bytes));
        v.set("activationBytes", double(r.activation_bytes));
        v.set("checksum", r.checksum);
        v.set("threads", r.threads);
        return v;
    });
}

val llama_shaped_gguf_of(const val& o, const std::string& weight_type) {
    return guarded([&] {
        if (o.isNull() || o.typeOf().as<std::string>() != "object") {
            throw Error(ErrorCode::InvalidArgument, "the shape must be an object");
        }
        LlamaShape s;
        s.n_vocab = int_field(o, "nVocab", s.n_vocab);
        s.n_embd = int_field(o, "nEmbd", s.n_embd);
        s.n_layer = int_field(o, "nLayer", s.n_layer);
        s.n_head = int_field(o, "nHead", s.n_head);
        s.n_head_kv = int_field(o, "nHeadKv", s.n_head);
        s.n_ff = int_field(o, "nFf", s.n_ff);
        s.n_ctx_train = int_field(o, "nCtxTrain", s.n_ctx_train);
        const val tied = o["tiedEmbeddings"];
        s.tied_embeddings = !tied.isUndefined() && !tied.isNull() && tied.as<bool>();
        const GgufWriter w = llama_shaped_gguf(s, type_traits_by_name(weight_type).type);
        const std::vector<uint8_t> bytes = w.header_bytes();
        val v = val::object();
        v.set("header", val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data())).call<val>("slice"));
        v.set("fileSize", double(w.file_size()));
        v.set("nParams", double(s.n_params()));
        return v;
    });
}

}  // namespace

EMSCRIPTEN_BINDINGS(quantlab_tools) {
    emscripten::function("benchMatmul", &bench_matmul_of);
    emscripten::function("llamaShapedGguf", &llama_shaped_gguf_of);
}
