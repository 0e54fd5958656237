// quantlab command-line entry: one subcommand per job, errors printed as
// "quantlab: <ErrorCode>: <message>" with a non-zero exit status.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "cli/bench_command.h"
#include "cli/imatrix_command.h"
#include "cli/matmul_bench_command.h"
#include "cli/model_commands.h"
#include "cli/quantize_command.h"
#include "cli/sensitivity_command.h"
#include "cli/stories_command.h"
#include "cli/tensor_commands.h"
#include "cli/train_command.h"
#include "core/error.h"

namespace {

struct Command {
    const char* name;
    int (*run)(int, char**);
    const char* usage;
};

const Command kCommands[] = {
    {"tensor-quantize", quantlab::cli::run_tensor_quantize,
     "--type T --in x.f32 --out q.bin [--rows R] [--imatrix w.f32] [--scalar] [-t N]"},
    {"tensor-dequantize", quantlab::cli::run_tensor_dequantize,
     "--type T --in q.bin --out y.f32 --n N [--rows R] [--scalar] [-t N]"},
    {"formats", quantlab::cli::run_formats, "(lists every tensor type)"},
    {"quantize", quantlab::cli::run_quantize, "[options] [-t N] in.gguf [out.gguf] TYPE [nthreads] (llama-quantize; --help)"},
    {"gguf-info", quantlab::cli::run_gguf_info, "M.gguf"},
    {"unigram-ppl", quantlab::cli::run_unigram, "-m M.gguf --train train.txt -f eval.txt [-c CTX] (baseline)"},
    {"tokenize", quantlab::cli::run_tokenize, "-m M.gguf -p TEXT [--ids] [--no-bos]"},
    {"generate", quantlab::cli::run_generate,
     "-m M.gguf -p TEXT [-n N] [--temp T] [--top-k K] [--top-p P] [--seed S] [-c CTX] [--scalar] [-t N]"},
    {"perplexity", quantlab::cli::run_perplexity,
     "-m M.gguf -f text.txt [-c CTX] [--chunks N] [--kl-divergence-base FILE [--kl-divergence]] [--scalar] [-t N]"},
    {"bench", quantlab::cli::run_bench, "-m M.gguf [-p 256] [-n 64] [-r 3] [--scalar] [-t N] (pp/tg tokens/s)"},
    {"bench-matmul", quantlab::cli::run_bench_matmul,
     "[--type T] [--rows 4096] [--cols 4096] [-n 1] [--min-ms 250] [--scalar] [-t N] (GFLOP/s vs F32)"},
    {"imatrix", quantlab::cli::run_imatrix, "-m M.gguf -f text.txt [-c CTX] [--chunks N] [--process-output] [-t N] -o out.gguf"},
    {"sensitivity", quantlab::cli::run_sensitivity,
     "-m M.gguf -f calib.txt [--types T,...] [--exact|--proxy] [--chunks N] [-c CTX] [--imatrix F] [-o out.json] [-t N]"},
    {"stories", quantlab::cli::run_stories, "--split train|eval --words N [--seed S] [-o FILE] (the built-in model's data)"},
    {"train", quantlab::cli::run_train, "[--corpus-words N | --text FILE] [--steps N | --minutes M] [--out M.gguf] [-t N] (--help)"},
};

void print_usage() {
    std::fprintf(stderr, "usage: quantlab <command> [options]\n");
    for (const auto& c : kCommands) std::fprintf(stderr, "  quantlab %s %s\n", c.name, c.usage);
    std::fprintf(stderr, "-t N: threads (default: one per physical core; results do not depend on it)\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        print_usage();
        return argc < 2 ? 2 : 0;
    }
    for (const auto& c : kCommands) {
        if (std::strcmp(argv[1], c.name) != 0) continue;
        try {
            return c.run(argc, argv);
        } catch (const quantlab::Error& e) {
            std::fprintf(stderr, "quantlab: %s: %s\n", quantlab::error_code_name(e.code()), e.what());
            return 1;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "quantlab: internal error: %s\n", e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "quantlab: unknown command '%s'\n", argv[1]);
    print_usage();
    return 2;
}
