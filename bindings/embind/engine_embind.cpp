// embind surface of the Llama engine. JavaScript drives every long operation
// one step at a time (a generated token, a perplexity chunk) so the caller can
// await between steps: report progress, honour an AbortSignal, keep a page
// responsive, all without threads. Loading is streamed the same way: JS
// parses the header from a prefix, then copies each tensor's byte range into
// the buffer this side allocated, so the file never exists twice in memory.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>

#include "engine_access.h"
#include "guarded.h"
#include "core/error.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "model/generate.h"
#include "model/llama_context.h"
#include "quantize/imatrix_compute.h"

using emscripten::val;
using namespace quantlab;

namespace {
// Every entry returns {value} | {error: {code, message}} (bindings/embind/guarded.h).
template <class Fn>
val guarded(Fn&& fn) {
    return bindings::guarded_call(std::forward<Fn>(fn), "this model");
}

val int_array(const std::vector<int32_t>& v) {
    val a = val::global("Int32Array").new_(v.size());
    for (size_t i = 0; i < v.size(); ++i) a.set(i, v[i]);
    return a;
}

// Token ids from an Int32Array or an array: each must be an int32, checked
// here so a string or 1e10 is an InvalidArgument, not an embind TypeError
// thrown through C++ frames or a silently wrapped id.
std::vector<int32_t> ints_from(const val& a) {
    const size_t n = bindings::size_arg(a["length"].as<double>(), "token count");
    std::vector<int32_t> v(n);
    for (size_t i = 0; i < n; ++i) {
        const val x = a[i];
        if (!x.isNumber()) throw Error(ErrorCode::InvalidArgument, "token ids must be integers");
        v[i] = int32_t(bindings::int_arg(x.as<double>(), "a token id", INT32_MIN, INT32_MAX));
    }
    return v;
}

val header_object(const GgufHeader& h) {
    val o = val::object();
    o.set("version", h.version);
    o.set("alignment", h.alignment);
    o.set("dataOffset", double(h.data_offset));
    o.set("dataSize", double(h.data_size));
    val kv = val::object();
    for (const auto& [k, v] : h.kv) {
        if (v.is_array()) {
            kv.set(k, std::string("[") + gguf_type_name(v.array_type()) + " × " + std::to_string(v.array_size()) + "]");
        } else if (v.type() == GgufType::STRING) {
            kv.set(k, v.as_string());
        } else if (v.type() == GgufType::BOOL) {
            kv.set(k, v.as_bool());
        } else {
            kv.set(k, v.as_f64());
        }
    }
    o.set("metadata", kv);
    val tensors = val::array();
    for (const auto& t : h.tensors) {
        val ti = val::object();
        ti.set("name", t.name);
        ti.set("type", std::string(type_traits(t.type).name));
        val ne = val::array();
        for (auto d : t.ne) ne.call<void>("push", double(d));
        ti.set("shape", ne);
        ti.set("offset", double(t.offset));
        ti.set("fileOffset", double(t.file_offset));
        ti.set("size", double(t.size_bytes));
        tensors.call<void>("push", ti);
    }
    o.set("tensors", tensors);
    return o;
}

}  // namespace

// Parse a GGUF header from bytes at ptr (a prefix of a file of fileSize bytes).
val parse_gguf(uintptr_t ptr, double len, double file_size) {
    return guarded([&] {
        const auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(ptr), bindings::size_arg(len, "length"),
                                         uint64_t(bindings::int_arg(file_size, "file size", 0, int64_t(1) << 53)));
        val o = val::object();
        o.set("complete", r.complete);
        o.set("bytesNeeded", double(r.bytes_needed));
        if (r.complete) o.set("header", header_object(r.header));
        return o;
    });
}

class Engine : bindings::LiveCounter<bindings::EngineTag> {
public:
    // Step 1 of loading: parse the header and allocate the tensor data buffer.
    val begin(uintptr_t header_ptr, double len, double file_size) {
        return guarded([&] {
            auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(header_ptr), bindings::size_arg(len, "length"),
                                       uint64_t(bindings::int_arg(file_size, "file size", 0, int64_t(1) << 53)));
            if (!r.complete) throw Error(ErrorCode::Format, "invalid GGUF: header is truncated");
            model_ = std::make_shared<LlamaModel>(std::move(r.header));
            val o = header_object(model_->header());
            o.set("dataPtr", double(reinterpret_cast<uintptr_t>(model_->data())));
            return o;
        });
    }

    // Step 2 (after JS copied every tensor into dataPtr): validate and build a context.
    // threads: the context's pool size (0 = one per physical core); a module
    // built without pthreads always runs 1, which info().threads reports.
    val finish(double n_ctx, std::string kernel, double threads) {
        return guarded([&] {
            if (!model_) throw Error(ErrorCode::InvalidArgument, "begin() was not called");
            model_->finalize();
            tok_.emplace(Tokenizer::from_gguf(model_->header()));
            ContextOptions co;
            co.n_ctx = bindings::int_arg(n_ctx, "nCtx", 0, INT32_MAX);
            co.n_batch = 512;
            co.variant = kernel == "ref" ? KernelVariant::Ref : default_kernel_variant();
            co.threads = int(threads);
            co.pool = shared_thread_pool(co.threads);  // the module's pool of that size (parallel/thread_pool.h)
            imat_.reset();  // its observer lives on the old context
            ctx_ = std::make_unique<LlamaContext>(model_, co);
            return info();
        });
    }

    val info() const {
        const auto& p = model_->hparams();
        val o = val::object();
        o.set("arch", p.arch);
        o.set("nVocab", double(p.n_vocab));
        o.set("nCtxTrain", double(p.n_ctx_train));
        o.set("nCtx", double(ctx_ ? ctx_->n_ctx() : 0));
        o.set("threads", ctx_ ? ctx_->threads() : 0);
        o.set("nEmbd", double(p.n_embd));
        o.set("nLayer", double(p.n_layer));
        o.set("nHead", double(p.n_head));
        o.set("nHeadKv", double(p.n_head_kv));
        o.set("nFf", double(p.n_ff));
        double params = 0, bytes = 0;
        for (const auto& t : model_->header().tensors) {
            params += double(t.n_elements());
            bytes += double(t.size_bytes);
        }
        o.set("nParams", params);
        o.set("tensorBytes", bytes);
        o.set("bitsPerWeight", params > 0 ? 8.0 * bytes / params : 0.0);
        o.set("tokenizer", tok_ ? tok_->model() : std::string());
        return o;
    }

    val tokenize(std::string text, bool add_bos) {
        return guarded([&] { return int_array(tokenizer().tokenize(text, add_bos && tokenizer().add_bos_default())); });
    }

    val detokenize(val ids) {
        return guarded([&] { return val(tokenizer().detokenize(ints_from(ids))); });
    }

    // ---- raw evaluation (benchmarks): decode tokens, return the compute time in ms
    val decode_timed(val tokens, bool reset) {
        return guarded([&] {
            const std::vector<int32_t> ids = ints_from(tokens);
            LlamaContext& ctx = context();
            ++ctx_uses_;
            if (reset) ctx.clear();
            const double t0 = emscripten_get_now();
            ctx.decode(ids.data(), int64_t(ids.size()), false);
            return val(emscripten_get_now() - t0);
        });
    }

    // Sum of -log p(tokens[i+1] | tokens[..i]) from an empty cache.
    val nll(val tokens) {
        return guarded([&] {
            const std::vector<int32_t> ids = ints_from(tokens);
            if (ids.size() < 2) throw Error(ErrorCode::InvalidArgument, "nll needs at least two tokens");
            context().clear();
            ++ctx_uses_;
            const auto& logits = ctx_->decode(ids.data(), int64_t(ids.size()), true);
            const int64_t nv = ctx_->n_vocab();
            std::vector<float> lp(static_cast<size_t>(nv));
            double sum = 0;
            for (size_t i = 0; i + 1 < ids.size(); ++i) {
                log_softmax(&logits[i * size_t(nv)], nv, lp.data());
                sum -= lp[size_t(ids[i + 1])];
            }
            val o = val::object();
            o.set("nll", sum);
            o.set("n", double(ids.size() - 1));
            return o;
        });
    }

    // ---- generation, one token per step
    val generate_start(std::string prompt, double n_predict, float temperature, double top_k, float top_p, double seed) {
        return guarded([&] {
            const int64_t to_predict = bindings::int_arg(n_predict, "nPredict", 0, INT32_MAX);
            const Tokenizer& tok = tokenizer();
            gen_tokens_ = tok.tokenize(prompt, tok.add_bos_default());
            if (gen_tokens_.empty()) throw Error(ErrorCode::InvalidArgument, "the prompt is empty");
            if (int64_t(gen_tokens_.size()) >= ctx_->n_ctx()) {
                throw Error(ErrorCode::InvalidArgument, "the prompt has " + std::to_string(gen_tokens_.size()) +
                                                            " tokens; the context holds " + std::to_string(ctx_->n_ctx()));
            }
            SamplerOptions so;
            so.temperature = temperature;
            so.top_k = int32_t(bindings::int_arg(top_k, "topK", INT32_MIN, INT32_MAX));
            if (!(top_p > 0.0f && top_p <= 1.0f)) throw Error(ErrorCode::InvalidArgument, "topP must be in (0, 1]");
            so.top_p = top_p;
            so.seed = uint64_t(bindings::int_arg(seed, "seed", 0, int64_t(1) << 53));
            sampler_.emplace(so);
            gen_left_ = to_predict;
            ctx_->clear();
            gen_uses_ = ++ctx_uses_;
            logits_ = &ctx_->decode(gen_tokens_.data(), int64_t(gen_tokens_.size()), false);
            std::string prompt_text;
            for (int32_t t : gen_tokens_) prompt_text += tok.token_to_piece(t);
            val o = val::object();
            o.set("promptTokens", int_array(gen_tokens_));
            o.set("promptText", prompt_text);
            return o;
        });
    }

    val generate_step() {
        return guarded([&] {
            if (!sampler_) throw Error(ErrorCode::InvalidArgument, "generateStart() was not called");
            // logits_ and the KV cache belong to this generation only while nothing else ran.
            if (gen_uses_ != ctx_uses_) {
                sampler_.reset();
                throw Error(ErrorCode::InvalidArgument, "the generation was interrupted by another call on this model");
            }
            val o = val::object();
            const char* reason = nullptr;
            if (gen_left_ <= 0) reason = "length";
            else if (ctx_->n_past() >= ctx_->n_ctx()) reason = "context";
            int32_t next = -1;
            if (!reason) {
                next = sampler_->sample(logits_->data(), ctx_->n_vocab());
                if (tokenizer().is_eog(next)) reason = "eog";
            }
            if (reason) {
                sampler_.reset();
                o.set("done", true);
                o.set("reason", std::string(reason));
                return o;
            }
            --gen_left_;
            if (gen_left_ > 0 && ctx_->n_past() < ctx_->n_ctx()) logits_ = &ctx_->decode(&next, 1, false);
            o.set("done", false);
            o.set("token", next);
            o.set("piece", tokenizer().token_to_piece(next));
            return o;
        });
    }

    // ---- perplexity, one chunk per step; optionally keeping log-probs (as a
    // KL-divergence base) or comparing with another engine's kept log-probs.
    // A run's state lives in ppl_ until the next start or pplCancel, which the
    // JS side calls when a run fails or is cancelled, so nothing stays behind.
    val ppl_start(std::string text, double n_ctx, double max_chunks, bool keep_logprobs, Engine* base) {
        return guarded([&] {
            ppl_.reset();
            const Tokenizer& tok = tokenizer();
            auto run = std::make_unique<PplRun>();
            run->tokens = tok.tokenize(text, tok.add_bos_default());
            run->n_ctx = bindings::int_arg(n_ctx, "ctx", 0, INT32_MAX);
            if (run->n_ctx < 4 || run->n_ctx > ctx_->n_ctx()) {
                throw Error(ErrorCode::InvalidArgument, "perplexity context must be 4.." + std::to_string(ctx_->n_ctx()));
            }
            const int64_t available = int64_t(run->tokens.size()) / run->n_ctx;
            if (available < 1) {
                throw Error(ErrorCode::InvalidArgument, "the text has " + std::to_string(run->tokens.size()) +
                                                            " tokens; one chunk needs " + std::to_string(run->n_ctx));
            }
            const int64_t most = bindings::int_arg(max_chunks, "chunks", 0, int64_t(1) << 53);
            run->n_chunks = most > 0 ? std::min<int64_t>(available, most) : available;
            if (base) {
                // Shared, not borrowed: the base may be disposed or rerun while this run goes on.
                if (!base->kept_ || base->kept_->empty()) {
                    throw Error(ErrorCode::InvalidArgument, "the base model kept no log-probabilities");
                }
                if (!base->ctx_ || base->ctx_->n_vocab() != ctx_->n_vocab()) {
                    throw Error(ErrorCode::InvalidArgument, "the vocabularies differ");
                }
                run->base = base->kept_;
            }
            // A new vector, not a cleared one: another engine may be comparing against the old.
            if (keep_logprobs) run->kept = std::make_shared<std::vector<float>>();
            ppl_ = std::move(run);
            val o = val::object();
            o.set("nTokens", double(ppl_->tokens.size()));
            o.set("nChunks", double(ppl_->n_chunks));
            return o;
        });
    }

    val ppl_step() {
        return guarded([&] {
            if (!ppl_ || ppl_->done >= ppl_->n_chunks) throw Error(ErrorCode::InvalidArgument, "no perplexity run in progress");
            PplRun& run = *ppl_;
            PerplexityOptions po;
            po.n_ctx = run.n_ctx;
            po.n_chunks = 1;
            po.bos = tokenizer().bos();
            po.add_bos = tokenizer().add_bos_default();
            const int64_t nv = ctx_->n_vocab();
            po.on_scored = [&](const float* lp, int64_t, int32_t next) {
                if (run.kept) run.kept->insert(run.kept->end(), lp, lp + nv);
                if (run.base) {
                    if (run.base_pos * size_t(nv) >= run.base->size()) {
                        throw Error(ErrorCode::InvalidArgument, "the base run scored fewer positions");
                    }
                    run.kld.add(&(*run.base)[run.base_pos * size_t(nv)], lp, nv, next);
                    ++run.base_pos;
                }
            };
            // Score chunk `done` by handing compute_perplexity the chunk's tokens alone.
            std::vector<int32_t> chunk(run.tokens.begin() + run.done * run.n_ctx,
                                       run.tokens.begin() + (run.done + 1) * run.n_ctx);
            ++ctx_uses_;
            PerplexityResult r;
            try {
                r = compute_perplexity(*ctx_, chunk, po);
            } catch (...) {
                ppl_.reset();  // a half-scored chunk would corrupt the totals: the run ends here
                throw;
            }
            for (double v : r.token_nll) {
                run.nll += v;
                run.nll2 += v * v;
                run.token_nll.push_back(v);
            }
            ++run.done;
            run.running.push_back(std::exp(run.nll / double(run.token_nll.size())));
            if (run.done == run.n_chunks && run.kept) kept_ = run.kept;  // complete: now a usable base
            val o = val::object();
            o.set("chunk", double(run.done));
            o.set("nChunks", double(run.n_chunks));
            o.set("runningPpl", run.running.back());
            o.set("done", run.done == run.n_chunks);
            return o;
        });
    }

    val ppl_result() {
        return guarded([&] {
            if (!ppl_ || ppl_->token_nll.empty()) throw Error(ErrorCode::InvalidArgument, "no chunk was scored");
            const PplRun& run = *ppl_;
            const double n = double(run.token_nll.size());
            const double mean = run.nll / n;
            const double var = run.nll2 / n - mean * mean;
            val o = val::object();
            o.set("ppl", std::exp(mean));
            o.set("pplError", var > 0 && n > 1 ? std::sqrt(var / (n - 1)) * std::exp(mean) : 0.0);
            o.set("nScored", n);
            o.set("nChunks", double(run.done));
            val running = val::array();
            for (double v : run.running) running.call<void>("push", v);
            o.set("runningPpl", running);
            if (run.base) o.set("kld", kld_object(run.kld.finish()));
            ppl_.reset();
            return o;
        });
    }

    void ppl_cancel() { ppl_.reset(); }

    // ---- importance matrix (llama-imatrix), one chunk per step. While a run
    // is open its observer sits on the context, so the JS side always ends it
    // with imatrixResult or imatrixCancel.
    val imatrix_start(std::string text, double n_ctx, double max_chunks, std::string dataset) {
        return guarded([&] {
            const Tokenizer& tok = tokenizer();
            imat_.reset();
            ImatrixOptions io;
            io.n_ctx = bindings::int_arg(n_ctx, "ctx", 0, INT32_MAX);
            const int64_t most = bindings::int_arg(max_chunks, "chunks", 0, int64_t(1) << 53);
            io.n_chunks = most > 0 ? most : -1;
            io.add_bos = tok.add_bos_default();
            io.bos = tok.bos();
            io.dataset = dataset;
            auto tokens = tok.tokenize(text, io.add_bos);
            const double n_tokens = double(tokens.size());
            imat_ = std::make_unique<ImatrixCollector>(*ctx_, std::move(tokens), io);
            val o = val::object();
            o.set("nTokens", n_tokens);
            o.set("nChunks", double(imat_->n_chunks()));
            return o;
        });
    }

    val imatrix_step() {
        return guarded([&] {
            if (!imat_) throw Error(ErrorCode::InvalidArgument, "no imatrix run in progress");
            ++ctx_uses_;
            imat_->step();
            val o = val::object();
            o.set("chunk", double(imat_->chunks_done()));
            o.set("nChunks", double(imat_->n_chunks()));
            o.set("done", imat_->finished());
            return o;
        });
    }

    // The GGUF imatrix file as a Uint8Array; ends the run.
    val imatrix_result() {
        return guarded([&] {
            if (!imat_) throw Error(ErrorCode::InvalidArgument, "no imatrix run in progress");
            const std::vector<uint8_t> bytes = serialize_imatrix_gguf(imat_->result());
            imat_.reset();
            return val::global("Uint8Array").new_(emscripten::typed_memory_view(bytes.size(), bytes.data()));
        });
    }

    void imatrix_cancel() { imat_.reset(); }

    std::shared_ptr<LlamaModel> model() const {
        tokenizer();  // throws when not loaded
        return model_;
    }
    const Tokenizer& loaded_tokenizer() const { return tokenizer(); }
    std::shared_ptr<ThreadPool> pool() { return context().shared_pool(); }
    // This engine's address, for other embind classes (engine_access.h): a
    // pointer to a class another file sees only declared cannot cross embind.
    double handle() const { return double(reinterpret_cast<uintptr_t>(this)); }

private:
    const Tokenizer& tokenizer() const {
        if (!tok_ || !ctx_) throw Error(ErrorCode::InvalidArgument, "the model is not loaded");
        return *tok_;
    }
    LlamaContext& context() {
        if (!ctx_) throw Error(ErrorCode::InvalidArgument, "the model is not loaded");
        return *ctx_;
    }

    static val pct_object(const KldPercentiles& p) {
        val o = val::object();
        o.set("max", p.max);
        o.set("p99_9", p.p99_9);
        o.set("p99", p.p99);
        o.set("p95", p.p95);
        o.set("p90", p.p90);
        o.set("median", p.median);
        o.set("p10", p.p10);
        o.set("p5", p.p5);
        o.set("p1", p.p1);
        o.set("p0_1", p.p0_1);
        o.set("min", p.min);
        return o;
    }

    static val kld_object(const KldStats& s) {
        val o = val::object();
        o.set("n", double(s.n));
        o.set("pplBase", s.ppl_base);
        o.set("pplBaseError", s.ppl_base_err);
        o.set("pplQ", s.ppl_q);
        o.set("pplQError", s.ppl_q_err);
        o.set("corLnPpl", s.cor_ln_ppl);
        o.set("pplRatio", s.ppl_ratio);
        o.set("pplRatioError", s.ppl_ratio_err);
        o.set("pplDiff", s.ppl_diff);
        o.set("pplDiffError", s.ppl_diff_err);
        o.set("kldMean", s.kld_mean);
        o.set("kldError", s.kld_err);
        o.set("kld", pct_object(s.kld));
        o.set("dpMean", s.dp_mean);
        o.set("dpError", s.dp_err);
        o.set("dpRms", s.dp_rms);
        o.set("dp", pct_object(s.dp));
        o.set("sameTop", s.same_top);
        o.set("sameTopError", s.same_top_err);
        o.set("z", s.z);
        o.set("pValue", s.p_value);
        o.set("significant", s.significant_5pct);
        return o;
    }

    std::shared_ptr<LlamaModel> model_;
    std::optional<Tokenizer> tok_;
    std::unique_ptr<LlamaContext> ctx_;

    std::vector<int32_t> gen_tokens_;
    std::optional<Sampler> sampler_;
    int64_t gen_left_ = 0;
    const std::vector<float>* logits_ = nullptr;
    uint64_t ctx_uses_ = 0, gen_uses_ = 0;  // calls that decoded; the one that started the generation

    struct PplRun {
        std::vector<int32_t> tokens;
        int64_t n_ctx = 0, n_chunks = 0, done = 0;
        double nll = 0, nll2 = 0;
        std::vector<double> token_nll, running;
        std::shared_ptr<std::vector<float>> kept;        // this run's log-probs (keepLogprobs)
        std::shared_ptr<const std::vector<float>> base;  // the base run's, when comparing
        KldAccumulator kld;
        size_t base_pos = 0;
    };
    std::unique_ptr<PplRun> ppl_;
    // The log-probs of the last complete keepLogprobs run: what other engines compare against.
    std::shared_ptr<const std::vector<float>> kept_;

    std::unique_ptr<ImatrixCollector> imat_;  // declared after ctx_: destroyed first
};

Engine& quantlab::bindings::engine_from_handle(double handle) {
    if (!(handle > 0)) throw Error(ErrorCode::InvalidArgument, "no model");
    return *reinterpret_cast<Engine*>(uintptr_t(handle));
}
std::shared_ptr<LlamaModel> quantlab::bindings::engine_model(Engine& e) { return e.model(); }
const Tokenizer& quantlab::bindings::engine_tokenizer(Engine& e) { return e.loaded_tokenizer(); }
std::shared_ptr<quantlab::ThreadPool> quantlab::bindings::engine_pool(Engine& e) { return e.pool(); }

EMSCRIPTEN_BINDINGS(quantlab_engine) {
    emscripten::function("parseGguf", &parse_gguf);
    emscripten::class_<Engine>("Engine")
        .constructor<>()
        .function("begin", &Engine::begin)
        .function("finish", &Engine::finish)
        .function("info", &Engine::info)
        .function("handle", &Engine::handle)
        .function("tokenize", &Engine::tokenize)
        .function("detokenize", &Engine::detokenize)
        .function("decodeTimed", &Engine::decode_timed)
        .function("nll", &Engine::nll)
        .function("generateStart", &Engine::generate_start)
        .function("generateStep", &Engine::generate_step)
        .function("pplStart", &Engine::ppl_start, emscripten::allow_raw_pointers())
        .function("pplStep", &Engine::ppl_step)
        .function("pplResult", &Engine::ppl_result)
        .function("pplCancel", &Engine::ppl_cancel)
        .function("imatrixStart", &Engine::imatrix_start)
        .function("imatrixStep", &Engine::imatrix_step)
        .function("imatrixResult", &Engine::imatrix_result)
        .function("imatrixCancel", &Engine::imatrix_cancel);
}
