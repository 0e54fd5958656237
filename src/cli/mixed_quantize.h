// quantlab quantize --target-size / --target-bpw: sensitivity scan, plan,
// verification and the quantized file (src/quantize/mixed_precision.h).
#pragma once

#include <string>
#include <vector>

#include "quantize/model_quantizer.h"

namespace quantlab::cli {

bool is_mixed_option(const std::string& arg);
bool mixed_option_takes_value(const std::string& arg);

// opt: the quantize options already parsed (override-kv, ...); mixed: the
// mixed-precision options with their values; pos: in.gguf out.gguf [nthreads].
int run_mixed_quantize(ModelQuantizeOptions opt, const std::string& imatrix_path, const std::vector<std::string>& mixed,
                       const std::vector<std::string>& pos);

}  // namespace quantlab::cli
