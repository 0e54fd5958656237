#pragma once

namespace quantlab::cli {

// quantlab bench -m M.gguf [-p 256] [-n 64] [-r 3] [--scalar]: prompt-processing
// and generation tokens/s, one thread, as llama-bench's pp/tg tests.
int run_bench(int argc, char** argv);

}  // namespace quantlab::cli
