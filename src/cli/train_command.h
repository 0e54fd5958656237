#pragma once

namespace quantlab::cli {

// quantlab train [options]: corpus, tokenizer and a small llama model trained
// from scratch, written as GGUF (see `quantlab train --help`).
int run_train(int argc, char** argv);

}  // namespace quantlab::cli
