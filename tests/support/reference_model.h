// Shared access to ../shared/reference (llama.cpp's stories260K files, eval
// text and figures) for the engine and evaluator suites.
#pragma once

#include <memory>
#include <string>

#include "model/llama_model.h"

namespace quantlab::test {

std::string reference_text(const std::string& name);
// Loaded once per process and cached: "f32", "q8_0", "q4_0", "q4_k_m", "iq4_nl".
std::shared_ptr<const LlamaModel> reference_model(const std::string& variant);

// Rows whose logits differ between decoding a sentence in one batch (the
// formats' gemm kernels) and token by token (their vec_dot): must be 0.
int batched_vs_single_differences(const std::shared_ptr<const LlamaModel>& model, KernelVariant kv);

}  // namespace quantlab::test
