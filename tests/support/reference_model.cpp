#include "support/reference_model.h"

#include <map>

#include "support/test_support.h"

namespace quantlab::test {

std::string reference_path(const std::string& name) { return shared_dir() + "/reference/" + name; }

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

}  // namespace quantlab::test
