#include "model/generate.h"

#include <chrono>

#include "core/error.h"

namespace quantlab {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

GenerateResult generate(LlamaContext& ctx, const Tokenizer& tok, const std::string& prompt, const GenerateOptions& opt) {
    if (opt.n_predict < 0) throw Error(ErrorCode::InvalidArgument, "n_predict must not be negative");
    GenerateResult r;
    r.prompt_tokens = tok.tokenize(prompt, tok.add_bos_default());
    if (r.prompt_tokens.empty()) throw Error(ErrorCode::InvalidArgument, "the prompt is empty");
    if (int64_t(r.prompt_tokens.size()) >= ctx.n_ctx()) {
        throw Error(ErrorCode::InvalidArgument, "the prompt has " + std::to_string(r.prompt_tokens.size()) +
                                                    " tokens; the context holds " + std::to_string(ctx.n_ctx()));
    }
    for (int32_t t : r.prompt_tokens) r.prompt_text += tok.token_to_piece(t);

    Sampler sampler(opt.sampler);
    ctx.clear();
    auto t0 = std::chrono::steady_clock::now();
    const std::vector<float>* logits =
        &ctx.decode(r.prompt_tokens.data(), int64_t(r.prompt_tokens.size()), false);
    r.prompt_ms = ms_since(t0);

    t0 = std::chrono::steady_clock::now();
    for (int32_t i = 0; i < opt.n_predict; ++i) {
        const int32_t next = sampler.sample(logits->data(), ctx.n_vocab());
        if (opt.stop_at_eog && tok.is_eog(next)) {
            r.hit_eog = true;
            break;
        }
        r.tokens.push_back(next);
        const std::string piece = tok.token_to_piece(next);
        r.text += piece;
        if (opt.on_token && !opt.on_token(next, piece)) {
            r.stopped_by_callback = true;
            break;
        }
        if (i + 1 == opt.n_predict) break;  // the last token needs no forward pass
        if (ctx.n_past() >= ctx.n_ctx()) {
            r.hit_context_end = true;
            break;
        }
        logits = &ctx.decode(&next, 1, false);
    }
    r.generate_ms = ms_since(t0);
    return r;
}

}  // namespace quantlab
