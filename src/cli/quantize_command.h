#pragma once

namespace quantlab::cli {

// quantlab quantize [options] in.gguf [out.gguf] TYPE [nthreads]: llama-quantize's
// command line (see run_quantize's usage text).
int run_quantize(int argc, char** argv);

}  // namespace quantlab::cli
