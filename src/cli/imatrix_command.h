#pragma once

namespace quantlab::cli {

// quantlab imatrix -m M.gguf -f text.txt [-c CTX] [--chunks N] [--process-output] [--scalar] -o out.gguf
int run_imatrix(int argc, char** argv);

}  // namespace quantlab::cli
