// libFuzzer target for the model loader on top of the GGUF reader: what
// loadModel / quantlab generate do with a file (header, hyperparameters,
// tensor shapes and types, tokenizer, KV cache, a forward pass) must end in a
// result or a quantlab::Error, never a crash, an out-of-bounds access, an
// unbounded allocation or a hang. Built with ASan + UBSan.
//
// The first input byte chooses how the rest is read:
//   bit 0 clear: the rest is a GGUF file (raw mutation of the seed models);
//   bit 0 set:   the rest is a recipe: a TinyLlama's hyperparameters, then
//                perturbations that make the file disagree with itself
//                (metadata of the wrong type or value, tensors reshaped,
//                retyped, renamed, dropped or added, the file cut short).
//   bits 1..7:   context length, batch size, kernel variant and sampling of the run.
// A forward pass runs for one input in eight (the last byte's low bits are
// 0): the loader's checks are the target, and a pass costs 10-100x a load.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "model/llama_context.h"
#include "model/llama_model.h"
#include "model/sampler.h"
#include "model/tokenizer.h"

using namespace quantlab;
using namespace quantlab::fuzz;

namespace {

GgufValue weird_value(FuzzedDataProvider& p) {
    switch (p.ConsumeIntegralInRange(0, 13)) {
        case 0: return GgufValue::u8(p.ConsumeIntegral<uint8_t>());
        case 1: return GgufValue::i8(p.ConsumeIntegral<int8_t>());
        case 2: return GgufValue::u16(p.ConsumeIntegral<uint16_t>());
        case 3: return GgufValue::i32(p.ConsumeIntegral<int32_t>());
        case 4: return GgufValue::u64(p.ConsumeIntegral<uint64_t>());
        case 5: return GgufValue::i64(p.ConsumeIntegral<int64_t>());
        case 6: return GgufValue::f32(p.ConsumeFloatingPoint<float>());
        case 7: {
            const double specials[] = {NAN, INFINITY, -INFINITY, 0.0, -0.0, 1e300, -1e-300, 4e38, 1e-45};
            return GgufValue::f64(p.PickValueInArray(specials));
        }
        case 8: return GgufValue::boolean(p.ConsumeBool());
        case 9: return GgufValue::string(p.ConsumeRandomLengthString(16));
        case 10: return GgufValue::i32_array({});
        case 11: return GgufValue::i32_array({p.ConsumeIntegral<int32_t>(), p.ConsumeIntegral<int32_t>()});
        case 12: return GgufValue::string_array({p.ConsumeRandomLengthString(8)});
        default: return GgufValue::u32(p.ConsumeIntegralInRange<uint32_t>(0, 70));
    }
}

std::vector<int64_t> weird_shape(FuzzedDataProvider& p, const std::vector<int64_t>& ne) {
    std::vector<int64_t> out(p.ConsumeIntegralInRange<size_t>(1, 4));
    for (size_t d = 0; d < out.size(); ++d) {
        const int64_t base = d < ne.size() ? ne[d] : 1;
        switch (p.ConsumeIntegralInRange(0, 4)) {
            case 0: out[d] = base; break;
            case 1: out[d] = base + 1; break;
            case 2: out[d] = std::max<int64_t>(1, base - 1); break;
            case 3: out[d] = base * 2; break;
            default: out[d] = p.ConsumeIntegralInRange<int64_t>(1, 300); break;
        }
    }
    return out;
}

// Weight types: every row of the traits table, those of 256-value blocks one
// time in four (their smallest layer is 256 x 256: slow to build and run).
const TypeTraits& weight_type(FuzzedDataProvider& p) {
    static const auto pools = [] {
        std::pair<std::vector<const TypeTraits*>, std::vector<const TypeTraits*>> r;
        for (const auto& t : all_type_traits()) (t.block_size > 32 ? r.second : r.first).push_back(&t);
        return r;
    }();
    const auto& pool = p.ConsumeIntegralInRange(0, 3) == 0 && !pools.second.empty() ? pools.second : pools.first;
    return *pool[p.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
}

void build_from_recipe(const uint8_t* data, size_t size, std::vector<uint8_t>& file) {
    FuzzedDataProvider p(data, size);
    const auto& types = all_type_traits();
    TinyLlama m;
    const char* archs[] = {"llama", "llama", "llama", "mistral", "qwen2", "phi3", "gemma", ""};
    m.arch = p.PickValueInArray(archs);
    const TypeTraits& wt = weight_type(p);
    m.weight_type = wt.type;
    m.n_head = int64_t(1) << p.ConsumeIntegralInRange(0, 3);
    m.n_head_kv = m.n_head >> p.ConsumeIntegralInRange(0, 3);
    if (m.n_head_kv == 0) m.n_head_kv = 1;
    const bool wide = wt.block_size > 32;  // 256-value blocks: every matrix is at least 256 wide
    if (wt.block_size > 1) {
        m.n_embd = wt.block_size * p.ConsumeIntegralInRange<int64_t>(1, wide ? 1 : 2);
        m.n_ff = wt.block_size * p.ConsumeIntegralInRange<int64_t>(1, wide ? 1 : 2);
    } else {
        m.n_embd = m.n_head * 2 * p.ConsumeIntegralInRange<int64_t>(1, 4);
        m.n_ff = p.ConsumeIntegralInRange<int64_t>(1, 24);
    }
    m.n_layer = wide ? (p.ConsumeIntegralInRange(0, 3) == 0 ? 1 : 0) : p.ConsumeIntegralInRange<int64_t>(0, 2);
    m.n_vocab = p.ConsumeIntegralInRange<int64_t>(1, 40);
    m.n_ctx_train = p.ConsumeBool() ? p.ConsumeIntegralInRange<int64_t>(1, 64) : p.ConsumeIntegral<uint32_t>();
    m.tied_output = p.ConsumeBool();
    const bool with_vocab = p.ConsumeBool();
    const bool raw_data = p.ConsumeBool();

    GgufWriter w = tiny_llama_metadata(m, with_vocab);
    std::vector<TensorSpec> tensors = tiny_llama_tensors(m);
    const std::string a = m.arch + ".";
    const std::string keys[] = {
        a + "context_length", a + "embedding_length", a + "block_count", a + "feed_forward_length",
        a + "attention.head_count", a + "attention.head_count_kv", a + "rope.dimension_count",
        a + "attention.layer_norm_rms_epsilon", a + "rope.freq_base", a + "rope.scaling.factor", a + "vocab_size",
        "general.architecture", "general.alignment", "tokenizer.ggml.model", "tokenizer.ggml.tokens",
        "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id", "tokenizer.ggml.add_bos_token", "tokenizer.ggml.add_space_prefix",
    };
    int64_t cut = -1;
    for (int n = p.ConsumeIntegralInRange(0, 6); n > 0 && p.remaining_bytes() > 0; --n) {
        const size_t ti = p.ConsumeIntegralInRange<size_t>(0, tensors.size() - 1);
        try {
            switch (p.ConsumeIntegralInRange(0, 8)) {
                case 0: w.set(p.PickValueInArray(keys), weird_value(p)); break;
                case 1: w.remove(p.PickValueInArray(keys)); break;
                case 2: tensors[ti].ne = weird_shape(p, tensors[ti].ne); break;
                case 3: tensors[ti].type = types[p.ConsumeIntegralInRange<size_t>(0, types.size() - 1)].type; break;
                case 4: tensors.erase(tensors.begin() + std::ptrdiff_t(ti)); break;
                case 5: tensors[ti].name = tensors[p.ConsumeIntegralInRange<size_t>(0, tensors.size() - 1)].name + "x"; break;
                case 6: tensors.push_back({"blk." + std::to_string(m.n_layer) + ".attn_q.weight", m.weight_type, {m.n_embd, m.n_embd}}); break;
                case 7: std::swap(tensors[ti].ne, tensors[p.ConsumeIntegralInRange<size_t>(0, tensors.size() - 1)].ne); break;
                default: cut = p.ConsumeIntegral<int64_t>(); break;
            }
        } catch (const Error&) {
            // The writer refused the perturbation (e.g. an alignment that is not a power of two).
        }
        if (tensors.empty()) break;
    }
    for (const auto& t : tensors) {
        try {
            w.add_tensor(t.name, t.type, t.ne);
        } catch (const Error&) {
            // A shape the writer cannot express (rows not whole blocks, duplicate names).
        }
    }
    // Reshaped tensors can declare gigabytes: such a file is only its header
    // (the loader must then find the data missing), never gigabytes here.
    if (w.file_size() > (uint64_t(1) << 22)) {
        const auto header = w.header_bytes();
        file.assign(header.begin(), header.end());
    } else {
        gguf_file_bytes(w, p.ConsumeIntegral<uint64_t>(), raw_data, file);
    }
    if (cut >= 0 && !file.empty()) file.resize(size_t(uint64_t(cut) % file.size()));
}

void run(const std::vector<uint8_t>& file, uint8_t mode, bool forward) {
    std::shared_ptr<LlamaModel> model;
    try {
        model = LlamaModel::load_memory(file.data(), file.size());
    } catch (const Error&) {
        return;
    }
    const LlamaHparams& hp = model->hparams();
    FUZZ_CHECK(hp.n_vocab > 0 && hp.n_embd > 0 && hp.n_head > 0 && hp.n_head_kv > 0 && hp.head_dim > 0);
    FUZZ_CHECK(model->layers().size() == size_t(hp.n_layer));
    // Every weight view lies inside the tensor data.
    const uint8_t* lo = model->data();
    const uint8_t* hi = lo + model->data_size();
    auto inside = [&](const WeightMatrix& w) {
        return w.data >= lo && w.data <= hi && uint64_t(w.n_out) * w.row_bytes <= uint64_t(hi - w.data);
    };
    FUZZ_CHECK(inside(model->token_embd()) && inside(model->output()));
    for (const auto& l : model->layers()) {
        for (const WeightMatrix* w : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down}) FUZZ_CHECK(inside(*w));
    }

    std::optional<Tokenizer> tok;
    try {
        tok.emplace(Tokenizer::from_gguf(model->header()));
    } catch (const Error&) {
    }

    ContextOptions co;
    const int n_ctx_pick = (mode >> 1) & 7;
    co.n_ctx = n_ctx_pick == 0 && hp.n_ctx_train <= 64 ? 0 : 1 + n_ctx_pick;
    co.n_batch = 1 + ((mode >> 4) & 3);
    co.variant = (mode & 0x40) ? KernelVariant::Ref : default_kernel_variant();
    std::optional<LlamaContext> ctx;
    try {
        ctx.emplace(model, co);
    } catch (const Error& e) {
        FUZZ_CHECK(e.code() == ErrorCode::OutOfMemory);
        return;
    }
    std::vector<int32_t> ids;
    if (tok) {
        try {
            ids = tok->tokenize("Hi there", true);
        } catch (const Error&) {
        }
    }
    if (!forward) return;
    if (ids.empty()) ids = {0, int32_t(hp.n_vocab - 1)};
    // A forward pass of the widest models costs a millisecond a token under
    // ASan: two tokens then one more, or one for those.
    const bool wide = hp.n_embd >= 256 || hp.n_ff >= 256;
    ids.resize(std::min<size_t>({ids.size(), size_t(wide ? 1 : 2), size_t(ctx->n_ctx())}));
    try {
        const auto& logits = ctx->decode(ids.data(), int64_t(ids.size()), true);
        FUZZ_CHECK(logits.size() == ids.size() * size_t(hp.n_vocab));
        if (!wide && ctx->n_past() < ctx->n_ctx()) {
            const float* last = logits.data() + (ids.size() - 1) * size_t(hp.n_vocab);
            int32_t next = argmax(last, hp.n_vocab);
            FUZZ_CHECK(next >= 0 && next < hp.n_vocab);
            // The sampling chain sorts logits: NaN ones (random weights) must not break it.
            SamplerOptions so;
            so.temperature = 0.8f;
            so.top_k = mode & 0x80 ? 0 : 3;
            so.top_p = 0.9f;
            so.seed = mode;
            next = Sampler(so).sample(last, hp.n_vocab);
            FUZZ_CHECK(next >= 0 && next < hp.n_vocab);
            ctx->decode(&next, 1, false);
            if (tok) (void)tok->detokenize({next});
        }
    } catch (const Error& e) {
        // Only token ids the tokenizer produced outside token_embd's rows may be refused.
        FUZZ_CHECK(e.code() == ErrorCode::InvalidArgument);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    const uint8_t mode = data[0];
    const bool forward = (data[size - 1] & 7) == 0;
    static std::vector<uint8_t> file;  // reused: see gguf_file_bytes
    if (mode & 1) {
        build_from_recipe(data + 1, size - 1, file);
    } else {
        file.assign(data + 1, data + size);
    }
    run(file, mode, forward);
    return 0;
}
