#include "support/reference_model.h"

#include <cstring>
#include <map>

#include "model/llama_context.h"
#include "model/tokenizer.h"
#include "support/test_support.h"

namespace quantlab::test {

std::string reference_text(const std::string& name) {
    const auto bytes = read_bytes(reference_path(name));
    return std::string(bytes.begin(), bytes.end());
}

std::shared_ptr<const LlamaModel> reference_model(const std::string& variant) {
    static std::map<std::string, std::shared_ptr<const LlamaModel>> cache;
    auto& m = cache[variant];
    if (!m) m = LlamaModel::load_file(reference_path("stories260K-" + variant + ".gguf"));
    return m;
}

int batched_vs_single_differences(const std::shared_ptr<const LlamaModel>& model, KernelVariant kv) {
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto ids = tok.tokenize("The little dog ran to the park and found a red ball.", true);
    ContextOptions co;
    co.n_ctx = 64;
    co.variant = kv;
    LlamaContext batched(model, co), single(model, co);
    const auto all = batched.decode(ids.data(), int64_t(ids.size()), true);
    const size_t V = size_t(batched.n_vocab());
    int differing = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
        const auto& row = single.decode(&ids[i], 1, false);
        differing += std::memcmp(row.data(), all.data() + i * V, V * sizeof(float)) != 0;
    }
    return differing;
}

}  // namespace quantlab::test
