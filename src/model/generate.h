// Text generation: prompt processing in one batch, then one token at a time,
// streaming each piece to a callback (which can also cancel).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/llama_context.h"
#include "model/sampler.h"
#include "model/tokenizer.h"

namespace quantlab {

struct GenerateOptions {
    int32_t n_predict = 64;
    SamplerOptions sampler;
    bool stop_at_eog = true;
    // Called with every generated token and its text; return false to stop.
    std::function<bool(int32_t token, const std::string& piece)> on_token;
};

struct GenerateResult {
    std::vector<int32_t> prompt_tokens;
    std::vector<int32_t> tokens;   // generated
    std::string prompt_text;       // the prompt as llama.cpp echoes it: its tokens' pieces
    std::string text;              // the generated pieces
    double prompt_ms = 0, generate_ms = 0;
    bool stopped_by_callback = false, hit_eog = false, hit_context_end = false;
};

// Clears the context's cache first. Throws Error(InvalidArgument) for an empty
// prompt or one longer than the context.
GenerateResult generate(LlamaContext& ctx, const Tokenizer& tok, const std::string& prompt, const GenerateOptions& opt);

}  // namespace quantlab
