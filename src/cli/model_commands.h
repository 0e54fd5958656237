#pragma once

namespace quantlab::cli {

// quantlab gguf-info M.gguf
int run_gguf_info(int argc, char** argv);
// quantlab tokenize -m M.gguf -p TEXT [--ids] [--no-bos]
int run_tokenize(int argc, char** argv);
// quantlab generate -m M.gguf -p TEXT -n N [--temp T] [--top-k K] [--top-p P] [--seed S] [-c CTX]
int run_generate(int argc, char** argv);
// quantlab perplexity -m M.gguf -f text.txt [-c CTX] [--chunks N] [--kl-divergence-base FILE [--kl-divergence]]
int run_perplexity(int argc, char** argv);

// quantlab unigram-ppl -m M.gguf --train train.txt -f eval.txt [-c CTX]
int run_unigram(int argc, char** argv);

}  // namespace quantlab::cli
