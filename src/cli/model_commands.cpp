// Model-level CLI commands, with output modelled on llama.cpp's tools
// (llama-gguf, llama-tokenize, llama-completion, llama-perplexity).
#include "cli/model_commands.h"

#include <cstdio>
#include <string>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "eval/kl_divergence.h"
#include "eval/perplexity.h"
#include "eval/unigram.h"
#include "model/generate.h"

namespace quantlab::cli {

namespace {

std::string read_text(const std::string& path) {
    const auto bytes = read_file(path);
    return std::string(bytes.begin(), bytes.end());
}

KernelVariant variant_from(const Args& a) { return a.has("--scalar") ? KernelVariant::Ref : default_kernel_variant(); }

}  // namespace

int run_gguf_info(int argc, char** argv) {
    const Args args(argc, argv, 2);
    if (args.positional().size() != 1) throw Error(ErrorCode::InvalidArgument, "usage: quantlab gguf-info M.gguf");
    const std::string path = args.positional()[0];
    const GgufHeader h = read_gguf_header_from_file(path);
    std::printf("%s: GGUF v%u, %zu metadata keys, %zu tensors, alignment %u, data at offset %llu\n", path.c_str(),
                h.version, h.kv.size(), h.tensors.size(), h.alignment, (unsigned long long)h.data_offset);
    std::printf("\nmetadata:\n");
    for (size_t i = 0; i < h.kv.size(); ++i) {
        const auto& [k, v] = h.kv[i];
        const std::string type = v.is_array() ? std::string("arr[") + gguf_type_name(v.array_type()) + "," +
                                                    std::to_string(v.array_size()) + "]"
                                              : gguf_type_name(v.type());
        std::printf("  %3zu: %-16s %-44s = %s\n", i + 1, type.c_str(), k.c_str(), v.to_display_string().c_str());
    }
    std::printf("\ntensors:\n");
    uint64_t total = 0;
    int64_t params = 0;
    for (size_t i = 0; i < h.tensors.size(); ++i) {
        const auto& t = h.tensors[i];
        std::string shape;
        for (size_t d = 0; d < t.ne.size(); ++d) shape += (d ? " x " : "") + std::to_string(t.ne[d]);
        std::printf("  %3zu: %-32s %-8s %-18s %10llu bytes @ %llu\n", i + 1, t.name.c_str(), type_traits(t.type).name,
                    shape.c_str(), (unsigned long long)t.size_bytes, (unsigned long long)t.file_offset);
        total += t.size_bytes;
        params += t.n_elements();
    }
    std::printf("\n%lld parameters, %.2f MiB of tensor data, %.3f bits per weight\n", (long long)params,
                double(total) / 1048576.0, params ? 8.0 * double(total) / double(params) : 0.0);
    return 0;
}

int run_tokenize(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--ids", "--no-bos"});
    const GgufHeader h = read_gguf_header_from_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(h);
    const auto ids = tok.tokenize(args.get("-p"), !args.has("--no-bos") && tok.add_bos_default());
    if (args.has("--ids")) {
        std::printf("[");
        for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? ", " : "", ids[i]);
        std::printf("]\n");
    } else {
        for (int32_t id : ids) std::printf("%6d -> '%s'\n", id, tok.token_to_piece(id).c_str());
    }
    return 0;
}

int run_generate(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--scalar"});
    auto model = LlamaModel::load_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    ContextOptions co;
    co.n_ctx = args.get_int("-c", 0);
    co.variant = variant_from(args);
    co.threads = args.threads();
    LlamaContext ctx(model, co);
    GenerateOptions go;
    go.n_predict = int32_t(args.get_int("-n", 64));
    go.sampler.temperature = std::stof(args.get_or("--temp", "0.8"));
    go.sampler.top_k = int32_t(args.get_int("--top-k", 40));
    go.sampler.top_p = std::stof(args.get_or("--top-p", "0.95"));
    go.sampler.seed = uint64_t(args.get_int("--seed", 0));
    go.on_token = [](int32_t, const std::string& piece) {
        std::fputs(piece.c_str(), stdout);
        std::fflush(stdout);
        return true;
    };
    // Echo the prompt first, as llama-completion does, then stream the continuation.
    const auto prompt_tokens = tok.tokenize(args.get("-p"), tok.add_bos_default());
    for (int32_t t : prompt_tokens) std::fputs(tok.token_to_piece(t).c_str(), stdout);
    const GenerateResult r = generate(ctx, tok, args.get("-p"), go);
    std::printf("\n");
    std::fprintf(stderr, "threads: %d\n", ctx.threads());
    std::fprintf(stderr, "prompt eval: %zu tokens, %.2f ms (%.1f tokens/s)\n", r.prompt_tokens.size(), r.prompt_ms,
                 r.prompt_ms > 0 ? 1000.0 * double(r.prompt_tokens.size()) / r.prompt_ms : 0.0);
    std::fprintf(stderr, "generation:  %zu tokens, %.2f ms (%.1f tokens/s)%s\n", r.tokens.size(), r.generate_ms,
                 r.generate_ms > 0 ? 1000.0 * double(r.tokens.size()) / r.generate_ms : 0.0,
                 r.hit_eog ? " [end of text]" : (r.hit_context_end ? " [context full]" : ""));
    return 0;
}

int run_perplexity(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--kl-divergence", "--scalar"});
    auto model = LlamaModel::load_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const std::string text = read_text(args.get("-f"));
    PerplexityOptions po;
    po.n_ctx = args.get_int("-c", 512);
    po.n_chunks = args.get_int("--chunks", -1);
    po.add_bos = tok.add_bos_default();
    po.bos = tok.bos();
    ContextOptions co;
    co.n_ctx = po.n_ctx;
    co.n_batch = po.n_ctx;
    co.variant = variant_from(args);
    co.threads = args.threads();
    LlamaContext ctx(model, co);
    const auto tokens = tok.tokenize(text, po.add_bos);
    std::fprintf(stderr, "perplexity: tokenized %zu tokens; calculating over chunks of n_ctx=%lld with %d threads\n",
                 tokens.size(), (long long)po.n_ctx, ctx.threads());

    const bool kld_mode = args.has("--kl-divergence");
    const std::string base_path = args.get_or("--kl-divergence-base", "");
    if (kld_mode && base_path.empty()) throw Error(ErrorCode::InvalidArgument, "--kl-divergence needs --kl-divergence-base FILE");
    std::unique_ptr<KldBaseWriter> writer;
    std::unique_ptr<KldBaseReader> reader;
    KldAccumulator acc;
    std::vector<float> base_lp;
    if (!base_path.empty() && !kld_mode) {
        writer = std::make_unique<KldBaseWriter>(base_path, ctx.n_vocab(), po.n_ctx);
        po.on_scored = [&](const float* lp, int64_t, int32_t next) { writer->add(lp, next); };
    } else if (kld_mode) {
        reader = std::make_unique<KldBaseReader>(base_path);
        if (reader->n_vocab() != ctx.n_vocab() || reader->n_ctx() != po.n_ctx) {
            throw Error(ErrorCode::InvalidArgument, "the base file was made with a different vocabulary or context size");
        }
        po.on_scored = [&](const float* lp, int64_t nv, int32_t next) {
            int32_t base_next = 0;
            reader->next(base_lp, base_next);
            if (base_next != next) throw Error(ErrorCode::InvalidArgument, "the base file was made from a different text");
            acc.add(base_lp.data(), lp, nv, next);
        };
    }
    po.on_progress = [](const PerplexityProgress& p) {
        std::printf("[%lld]%.4f,", (long long)p.chunk, p.running_ppl);
        std::fflush(stdout);
        return true;
    };
    const PerplexityResult r = compute_perplexity(ctx, tokens, po);
    std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", r.ppl, r.ppl_error);
    if (writer) writer->commit();
    if (kld_mode) {
        const KldStats s = acc.finish();
        std::printf("\n====== Perplexity statistics ======\n");
        std::printf("Mean PPL(Q)                   : %10.6f ± %10.6f\n", s.ppl_q, s.ppl_q_err);
        std::printf("Mean PPL(base)                : %10.6f ± %10.6f\n", s.ppl_base, s.ppl_base_err);
        std::printf("Cor(ln(PPL(Q)), ln(PPL(base))): %9.2f%%\n", 100.0 * s.cor_ln_ppl);
        std::printf("Mean ln(PPL(Q)/PPL(base))     : %10.6f ± %10.6f\n", s.mean_ln_ratio, s.mean_ln_ratio_err);
        std::printf("Mean PPL(Q)/PPL(base)         : %10.6f ± %10.6f\n", s.ppl_ratio, s.ppl_ratio_err);
        std::printf("Mean PPL(Q)-PPL(base)         : %10.6f ± %10.6f\n", s.ppl_diff, s.ppl_diff_err);
        std::printf("Paired test of ln p differences: z = %.3f, p = %.3g, significant at 5 %%: %s\n", s.z, s.p_value,
                    s.significant_5pct ? "yes" : "no");
        std::printf("\n====== KL divergence statistics ======\n");
        std::printf("Mean    KLD: %10.6f ± %10.6f\n", s.kld_mean, s.kld_err);
        const KldPercentiles& k = s.kld;
        std::printf("Maximum KLD: %10.6f\n99.9%%   KLD: %10.6f\n99.0%%   KLD: %10.6f\n90.0%%   KLD: %10.6f\n"
                    "Median  KLD: %10.6f\n10.0%%   KLD: %10.6f\n 5.0%%   KLD: %10.6f\n 1.0%%   KLD: %10.6f\n"
                    " 0.1%%   KLD: %10.6f\nMinimum KLD: %10.6f\n",
                    k.max, k.p99_9, k.p99, k.p90, k.median, k.p10, k.p5, k.p1, k.p0_1, k.min);
        std::printf("\n====== Token probability statistics ======\n");
        std::printf("Mean    Δp: %7.3f ± %5.3f %%\n", 100 * s.dp_mean, 100 * s.dp_err);
        const KldPercentiles& d = s.dp;
        std::printf("Maximum Δp: %7.3f%%\n99.9%%   Δp: %7.3f%%\n99.0%%   Δp: %7.3f%%\n95.0%%   Δp: %7.3f%%\n"
                    "90.0%%   Δp: %7.3f%%\nMedian  Δp: %7.3f%%\n10.0%%   Δp: %7.3f%%\n 5.0%%   Δp: %7.3f%%\n"
                    " 1.0%%   Δp: %7.3f%%\n 0.1%%   Δp: %7.3f%%\nMinimum Δp: %7.3f%%\n",
                    100 * d.max, 100 * d.p99_9, 100 * d.p99, 100 * d.p95, 100 * d.p90, 100 * d.median, 100 * d.p10,
                    100 * d.p5, 100 * d.p1, 100 * d.p0_1, 100 * d.min);
        std::printf("RMS Δp    : %7.3f ± %5.3f %%\n", 100 * s.dp_rms, 100 * s.dp_err);
        std::printf("Same top p: %7.3f ± %5.3f %%\n", 100 * s.same_top, 100 * s.same_top_err);
    }
    return 0;
}

int run_unigram(int argc, char** argv) {
    const Args args(argc, argv, 2);
    const GgufHeader h = read_gguf_header_from_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(h);
    const auto train = tok.tokenize(read_text(args.get("--train")), false);
    const auto eval = tok.tokenize(read_text(args.get("-f")), tok.add_bos_default());
    const int64_t n_ctx = args.get_int("-c", 512);
    const UnigramResult r = unigram_perplexity(train, eval, int64_t(tok.vocab_size()), n_ctx);
    std::printf("unigram baseline from %zu training tokens: PPL = %.4f over %lld scored tokens (n_ctx=%lld)\n",
                train.size(), r.ppl, (long long)r.n_scored, (long long)n_ctx);
    return 0;
}

}  // namespace quantlab::cli
