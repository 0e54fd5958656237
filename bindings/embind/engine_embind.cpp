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

std::vector<int32_t> ints_from(const val& a) {
    const size_t n = a["length"].as<size_t>();
    std::vector<int32_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = a[i].as<int32_t>();
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
        const auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(ptr), size_t(len), uint64_t(file_size));
        val o = val::object();
        o.set("complete", r.complete);
        o.set("bytesNeeded", double(r.bytes_needed));
        if (r.complete) o.set("header", header_object(r.header));
        return o;
    });
}

class Engine {
public:
    // Step 1 of loading: parse the header and allocate the tensor data buffer.
    val begin(uintptr_t header_ptr, double len, double file_size) {
        return guarded([&] {
            auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(header_ptr), size_t(len), uint64_t(file_size));
            if (!r.complete) throw Error(ErrorCode::Format, "invalid GGUF: header is truncated");
            model_ = std::make_shared<LlamaModel>(std::move(r.header));
            val o = header_object(model_->header());
            o.set("dataPtr", double(reinterpret_cast<uintptr_t>(model_->data())));
            return o;
        });
    }

    // Step 2 (after JS copied every tensor into dataPtr): validate and build a context.
    val finish(double n_ctx, std::string kernel) {
        return guarded([&] {
            if (!model_) throw Error(ErrorCode::InvalidArgument, "begin() was not called");
            model_->finalize();
            tok_.emplace(Tokenizer::from_gguf(model_->header()));
            ContextOptions co;
            co.n_ctx = int64_t(n_ctx);
            co.n_batch = 512;
            co.variant = kernel == "ref" ? KernelVariant::Ref : default_kernel_variant();
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
            if (reset) ctx_->clear();
            const double t0 = emscripten_get_now();
            ctx_->decode(ids.data(), int64_t(ids.size()), false);
            return val(emscripten_get_now() - t0);
        });
    }

    // Sum of -log p(tokens[i+1] | tokens[..i]) from an empty cache.
    val nll(val tokens) {
        return guarded([&] {
            const std::vector<int32_t> ids = ints_from(tokens);
            if (ids.size() < 2) throw Error(ErrorCode::InvalidArgument, "nll needs at least two tokens");
            ctx_->clear();
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
            if (!(n_predict >= 0)) throw Error(ErrorCode::InvalidArgument, "nPredict must not be negative");
            const Tokenizer& tok = tokenizer();
            gen_tokens_ = tok.tokenize(prompt, tok.add_bos_default());
            if (gen_tokens_.empty()) throw Error(ErrorCode::InvalidArgument, "the prompt is empty");
            if (int64_t(gen_tokens_.size()) >= ctx_->n_ctx()) {
                throw Error(ErrorCode::InvalidArgument, "the prompt has " + std::to_string(gen_tokens_.size()) +
                                                            " tokens; the context holds " + std::to_string(ctx_->n_ctx()));
            }
            SamplerOptions so;
            so.temperature = temperature;
            so.top_k = int32_t(top_k);
            so.top_p = top_p;
            so.seed = uint64_t(seed);
            sampler_.emplace(so);
            gen_left_ = int64_t(n_predict);
            ctx_->clear();
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
    val ppl_start(std::string text, double n_ctx, double max_chunks, bool keep_logprobs, Engine* base) {
        return guarded([&] {
            const Tokenizer& tok = tokenizer();
            ppl_tokens_ = tok.tokenize(text, tok.add_bos_default());
            ppl_ctx_ = int64_t(n_ctx);
            if (ppl_ctx_ < 4 || ppl_ctx_ > ctx_->n_ctx()) {
                throw Error(ErrorCode::InvalidArgument, "perplexity context must be 4.." + std::to_string(ctx_->n_ctx()));
            }
            const int64_t available = int64_t(ppl_tokens_.size()) / ppl_ctx_;
            if (available < 1) {
                throw Error(ErrorCode::InvalidArgument, "the text has " + std::to_string(ppl_tokens_.size()) +
                                                            " tokens; one chunk needs " + std::to_string(ppl_ctx_));
            }
            ppl_chunks_ = max_chunks > 0 ? std::min<int64_t>(available, int64_t(max_chunks)) : available;
            ppl_done_ = 0;
            nll_ = nll2_ = 0;
            ppl_nll_.clear();
            running_.clear();
            keep_ = keep_logprobs;
            if (keep_) kept_.clear();
            base_ = base;
            if (base_) {
                if (base_->kept_.empty()) throw Error(ErrorCode::InvalidArgument, "the base model kept no log-probabilities");
                if (base_->ctx_->n_vocab() != ctx_->n_vocab()) throw Error(ErrorCode::InvalidArgument, "the vocabularies differ");
                kld_ = KldAccumulator();
                base_pos_ = 0;
            }
            val o = val::object();
            o.set("nTokens", double(ppl_tokens_.size()));
            o.set("nChunks", double(ppl_chunks_));
            return o;
        });
    }

    val ppl_step() {
        return guarded([&] {
            if (ppl_done_ >= ppl_chunks_) throw Error(ErrorCode::InvalidArgument, "no perplexity run in progress");
            PerplexityOptions po;
            po.n_ctx = ppl_ctx_;
            po.n_chunks = 1;
            po.bos = tokenizer().bos();
            po.add_bos = tokenizer().add_bos_default();
            const int64_t nv = ctx_->n_vocab();
            po.on_scored = [&](const float* lp, int64_t, int32_t next) {
                if (keep_) kept_.insert(kept_.end(), lp, lp + nv);
                if (base_) {
                    if (base_pos_ * nv >= base_->kept_.size()) {
                        throw Error(ErrorCode::InvalidArgument, "the base run scored fewer positions");
                    }
                    kld_.add(&base_->kept_[base_pos_ * nv], lp, nv, next);
                    ++base_pos_;
                }
            };
            // Score chunk ppl_done_ by handing compute_perplexity the chunk's tokens alone.
            std::vector<int32_t> chunk(ppl_tokens_.begin() + ppl_done_ * ppl_ctx_,
                                       ppl_tokens_.begin() + (ppl_done_ + 1) * ppl_ctx_);
            const PerplexityResult r = compute_perplexity(*ctx_, chunk, po);
            for (double v : r.token_nll) {
                nll_ += v;
                nll2_ += v * v;
                ppl_nll_.push_back(v);
            }
            ++ppl_done_;
            running_.push_back(std::exp(nll_ / double(ppl_nll_.size())));
            val o = val::object();
            o.set("chunk", double(ppl_done_));
            o.set("nChunks", double(ppl_chunks_));
            o.set("runningPpl", running_.back());
            o.set("done", ppl_done_ == ppl_chunks_);
            return o;
        });
    }

    val ppl_result() {
        return guarded([&] {
            if (ppl_nll_.empty()) throw Error(ErrorCode::InvalidArgument, "no chunk was scored");
            const double n = double(ppl_nll_.size());
            const double mean = nll_ / n;
            const double var = nll2_ / n - mean * mean;
            val o = val::object();
            o.set("ppl", std::exp(mean));
            o.set("pplError", var > 0 && n > 1 ? std::sqrt(var / (n - 1)) * std::exp(mean) : 0.0);
            o.set("nScored", n);
            o.set("nChunks", double(ppl_done_));
            val run = val::array();
            for (double v : running_) run.call<void>("push", v);
            o.set("runningPpl", run);
            if (base_) o.set("kld", kld_object(kld_.finish()));
            return o;
        });
    }

    // ---- importance matrix (llama-imatrix), one chunk per step. While a run
    // is open its observer sits on the context, so the JS side always ends it
    // with imatrixResult or imatrixCancel.
    val imatrix_start(std::string text, double n_ctx, double max_chunks, std::string dataset) {
        return guarded([&] {
            const Tokenizer& tok = tokenizer();
            imat_.reset();
            ImatrixOptions io;
            io.n_ctx = int64_t(n_ctx);
            io.n_chunks = max_chunks > 0 ? int64_t(max_chunks) : -1;
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
    // This engine's address, for other embind classes (engine_access.h): a
    // pointer to a class another file sees only declared cannot cross embind.
    double handle() const { return double(reinterpret_cast<uintptr_t>(this)); }

private:
    const Tokenizer& tokenizer() const {
        if (!tok_ || !ctx_) throw Error(ErrorCode::InvalidArgument, "the model is not loaded");
        return *tok_;
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

    std::vector<int32_t> ppl_tokens_;
    int64_t ppl_ctx_ = 0, ppl_chunks_ = 0, ppl_done_ = 0;
    double nll_ = 0, nll2_ = 0;
    std::vector<double> ppl_nll_, running_;
    bool keep_ = false;
    std::vector<float> kept_;
    Engine* base_ = nullptr;
    KldAccumulator kld_;
    size_t base_pos_ = 0;

    std::unique_ptr<ImatrixCollector> imat_;  // declared after ctx_: destroyed first
};

Engine& quantlab::bindings::engine_from_handle(double handle) {
    if (!(handle > 0)) throw Error(ErrorCode::InvalidArgument, "no model");
    return *reinterpret_cast<Engine*>(uintptr_t(handle));
}
std::shared_ptr<LlamaModel> quantlab::bindings::engine_model(Engine& e) { return e.model(); }
const Tokenizer& quantlab::bindings::engine_tokenizer(Engine& e) { return e.loaded_tokenizer(); }

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
        .function("imatrixStart", &Engine::imatrix_start)
        .function("imatrixStep", &Engine::imatrix_step)
        .function("imatrixResult", &Engine::imatrix_result)
        .function("imatrixCancel", &Engine::imatrix_cancel);
}
