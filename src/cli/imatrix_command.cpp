// quantlab imatrix: llama-imatrix's importance matrix over a calibration text,
// written in its GGUF layout for `quantlab quantize --imatrix` / llama-quantize.
#include "cli/imatrix_command.h"

#include <chrono>
#include <cstdio>
#include <string>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "model/tokenizer.h"
#include "quantize/imatrix_compute.h"

namespace quantlab::cli {

int run_imatrix(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--process-output", "--scalar"});
    const std::string out_path = args.get("-o");
    const std::string text_path = args.get("-f");
    auto model = LlamaModel::load_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto bytes = read_file(text_path);
    const std::string text(bytes.begin(), bytes.end());

    ImatrixOptions io;
    io.n_ctx = args.get_int("-c", 512);
    io.n_chunks = args.get_int("--chunks", -1);
    io.add_bos = tok.add_bos_default();
    io.bos = tok.bos();
    io.process_output = args.has("--process-output");
    io.dataset = text_path;  // llama-imatrix records the -f path as given
    ContextOptions co;
    co.n_ctx = io.n_ctx;
    co.n_batch = io.n_ctx;
    co.variant = args.has("--scalar") ? KernelVariant::Ref : default_kernel_variant();
    co.threads = args.threads();
    LlamaContext ctx(model, co);

    const auto tokens = tok.tokenize(text, io.add_bos);
    std::fprintf(stderr, "imatrix: tokenized %zu tokens; computing over chunks of n_ctx=%lld with %d threads\n",
                 tokens.size(), (long long)io.n_ctx, ctx.threads());
    const auto t0 = std::chrono::steady_clock::now();
    io.on_progress = [&](const ImatrixProgress& p) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::fprintf(stderr, "\rimatrix: chunk %lld/%lld, %.1f s", (long long)p.chunk, (long long)p.n_chunks, s);
        return true;
    };
    const ImatrixResult r = compute_imatrix(ctx, tokens, io);
    std::fprintf(stderr, "\n");
    write_imatrix_gguf(out_path, r);
    std::printf("imatrix: %zu entries from %lld chunks of %lld tokens written to %s\n", r.entries.size(),
                (long long)r.chunk_count, (long long)r.chunk_size, out_path.c_str());
    return 0;
}

}  // namespace quantlab::cli
