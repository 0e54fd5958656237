// quantlab train: generated stories (or a text file) -> BPE vocabulary ->
// llama model trained from scratch -> GGUF. All the work is in src/train/;
// this file parses options, prints progress and resumes from checkpoints.
#include "cli/train_command.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <sys/stat.h>
#include <thread>

#include "cli/cli_args.h"
#include "parallel/cpu_cores.h"
#include "core/error.h"
#include "train/gemm.h"
#include "train/story_corpus.h"
#include "train/tokenizer_trainer.h"
#include "train/trainer.h"

namespace quantlab::cli {

namespace {

const char kHelp[] =
    "usage: quantlab train [options]\n"
    "Trains a llama-architecture model from scratch and writes it as GGUF (F32, tokenizer included).\n"
    "\n"
    "data\n"
    "  --corpus-words N     generate N words of children's stories (default 20000000)\n"
    "  --text FILE          train on FILE instead (documents separated by blank lines)\n"
    "  --eval-words N       held-out words: a separate story stream, or FILE's last documents (default 50000)\n"
    "  --save-corpus FILE   also write the training text (stories separated by blank lines)\n"
    "  --seed S             seed for the corpus, the weights and the batches (default 1)\n"
    "  --vocab N            vocabulary size, 3 special + 256 byte tokens included (default 1024)\n"
    "model\n"
    "  --n-embd N (256)  --n-ff N (768)  --n-layer N (4)  --n-head N (8)  --n-head-kv N (4)  --ctx N (256)\n"
    "training\n"
    "  --batch B            sequences of --ctx tokens per step (default 16)\n"
    "  --steps N            optimizer steps; or\n"
    "  --minutes M          a time budget: the schedule is fitted to it (with --steps: a hard stop)\n"
    "  --lr X               peak learning rate (default 1e-3); warm-up, then cosine to lr/10\n"
    "  --warmup N           warm-up steps (default 100)\n"
    "  --weight-decay X     AdamW decay on 2-D weights (default 0.1); betas 0.9/0.95, clip 1.0\n"
    "  -t, --threads N      threads (default: one per physical core); results do not depend on it\n"
    "  --eval-every N       held-out loss every N steps (default 100), over --eval-seqs sequences (32)\n"
    "  --stop-after N       stop this process after N steps (resume later)\n"
    "output\n"
    "  --out FILE           the model (default model.gguf); --name NAME sets general.name\n"
    "  --log FILE           CSV: step,tokens,train_loss,lr,eval_loss,grad_norm,elapsed_s,tokens_per_s\n"
    "  --checkpoint DIR     write DIR/checkpoint.bin (and --out) every --checkpoint-every steps (200) and at the end\n"
    "  --resume             continue from DIR/checkpoint.bin: same data, weights, optimizer and schedule\n"
    "                       (model, data and schedule options come from the checkpoint)\n"
    "  --quiet              no progress lines\n";

double get_double(const Args& a, const std::string& name, double fallback) {
    return a.has(name) ? parse_double(name, a.get(name)) : fallback;
}

int64_t get_positive(const Args& a, const std::string& name, int64_t fallback) {
    const long long v = a.get_int(name, fallback);
    if (v <= 0) throw Error(ErrorCode::InvalidArgument, "option " + name + " must be positive");
    return v;
}

std::string read_text(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(ErrorCode::Io, "cannot open " + path);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// The data a checkpoint was trained on, in a form --resume can rebuild.
struct DataSpec {
    std::string kind = "generator";  // or "text"
    uint64_t seed = 1;
    size_t train_words = 20000000, eval_words = 50000;
    std::string path;

    std::string str() const {
        std::ostringstream s;
        s << kind << " seed=" << seed << " train_words=" << train_words << " eval_words=" << eval_words;
        if (kind == "text") s << " path=" << path;
        return s.str();
    }
    static DataSpec parse(const std::string& text) {
        DataSpec d;
        std::istringstream in(text);
        in >> d.kind;
        std::string kv;
        while (in >> kv) {
            const size_t eq = kv.find('=');
            if (eq == std::string::npos) continue;
            const std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
            if (k == "seed") d.seed = std::stoull(v);
            else if (k == "train_words") d.train_words = std::stoull(v);
            else if (k == "eval_words") d.eval_words = std::stoull(v);
            else if (k == "path") d.path = text.substr(text.find("path=") + 5);  // may contain spaces
        }
        if (d.kind != "generator" && d.kind != "text") {
            throw Error(ErrorCode::Format, "checkpoint names unknown data '" + text + "'");
        }
        return d;
    }
};

StoryCorpus make_corpus(const DataSpec& d) {
    if (d.kind == "text") return corpus_from_text(read_text(d.path), d.eval_words);
    return generate_story_corpus(d.seed, d.train_words, d.eval_words);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int run_train(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--resume", "--quiet", "--help", "-h"});
    if (args.has("--help") || args.has("-h")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (!args.positional().empty()) {
        throw Error(ErrorCode::InvalidArgument, "unexpected argument '" + args.positional()[0] + "' (see --help)");
    }
    const auto t_start = std::chrono::steady_clock::now();
    const bool quiet = args.has("--quiet");
    const bool resume = args.has("--resume");
    const std::string ckpt_dir = args.get_or("--checkpoint", "");
    if (resume && ckpt_dir.empty()) throw Error(ErrorCode::InvalidArgument, "--resume needs --checkpoint DIR");
    if (!ckpt_dir.empty()) {
        struct stat st {};
        if (::stat(ckpt_dir.c_str(), &st) != 0 && ::mkdir(ckpt_dir.c_str(), 0755) != 0) {
            throw Error(ErrorCode::Io, "cannot create checkpoint directory " + ckpt_dir);
        }
    }
    const std::string ckpt_file = ckpt_dir + "/checkpoint.bin";

    ModelConfig cfg;
    TrainOptions opt;
    DataSpec spec;
    SpmVocab vocab;
    CheckpointInfo info;
    if (resume) {
        info = read_checkpoint_info(ckpt_file);
        cfg = info.config;
        opt = info.options;
        spec = DataSpec::parse(info.options.data_spec);
        vocab = info.vocab;
        if (!quiet) std::printf("resuming from %s at step %lld of %lld\n", ckpt_file.c_str(), (long long)info.step,
                                (long long)info.total_steps);
    } else {
        spec.seed = uint64_t(args.get_int("--seed", 1));
        spec.eval_words = size_t(args.get_int("--eval-words", 50000));
        if (args.has("--text")) {
            spec.kind = "text";
            spec.path = args.get("--text");
        } else {
            spec.train_words = size_t(get_positive(args, "--corpus-words", 20000000));
        }
        cfg.n_embd = get_positive(args, "--n-embd", cfg.n_embd);
        cfg.n_ff = get_positive(args, "--n-ff", cfg.n_ff);
        cfg.n_layer = get_positive(args, "--n-layer", cfg.n_layer);
        cfg.n_head = get_positive(args, "--n-head", cfg.n_head);
        cfg.n_head_kv = get_positive(args, "--n-head-kv", cfg.n_head_kv);
        cfg.n_ctx = get_positive(args, "--ctx", cfg.n_ctx);
        opt.seed = spec.seed;
        opt.batch = get_positive(args, "--batch", opt.batch);
        opt.steps = args.get_int("--steps", 0);
        opt.lr = float(get_double(args, "--lr", opt.lr));
        opt.warmup = get_positive(args, "--warmup", opt.warmup);
        opt.weight_decay = float(get_double(args, "--weight-decay", opt.weight_decay));
        opt.data_spec = spec.str();
        if (!(opt.lr > 0.0f)) throw Error(ErrorCode::InvalidArgument, "--lr must be positive");
    }
    opt.seq_len = cfg.n_ctx;
    // Options a resumed run may change.
    opt.minutes = get_double(args, "--minutes", 0.0);
    if (!resume && opt.steps <= 0 && opt.minutes <= 0.0) {
        throw Error(ErrorCode::InvalidArgument, "give --steps N or --minutes M (see --help)");
    }
    opt.threads = resolve_thread_count(args.threads());
    opt.eval_every = args.get_int("--eval-every", 100);
    opt.eval_seqs = get_positive(args, "--eval-seqs", 32);
    opt.checkpoint_every = args.get_int("--checkpoint-every", 200);
    opt.checkpoint_dir = ckpt_dir;
    opt.log_csv = args.get_or("--log", "");
    opt.stop_after = args.get_int("--stop-after", 0);
    opt.quiet = quiet;
    const std::string out = args.get_or("--out", "model.gguf");
    const std::string name = args.get_or("--name", "quantlab-stories");

    // ---- data and vocabulary
    auto t0 = std::chrono::steady_clock::now();
    StoryCorpus corpus = make_corpus(spec);
    if (corpus.train.empty()) throw Error(ErrorCode::InvalidArgument, "the training text is empty");
    size_t train_bytes = 0, train_words = 0;
    for (const auto& s : corpus.train) {
        train_bytes += s.size();
        train_words += count_words(s);
    }
    if (!quiet) {
        std::printf("data: %s: %zu documents, %zu words, %.1f MB (%.1f s); %zu held-out documents\n",
                    spec.str().c_str(), corpus.train.size(), train_words, double(train_bytes) / 1e6, seconds_since(t0),
                    corpus.eval.size());
    }
    if (args.has("--save-corpus")) {
        std::ofstream f(args.get("--save-corpus"), std::ios::binary);
        for (const auto& s : corpus.train) f << s << "\n\n";
        if (!f) throw Error(ErrorCode::Io, "cannot write " + args.get("--save-corpus"));
    }
    if (!resume) {
        t0 = std::chrono::steady_clock::now();
        TokenizerTrainOptions to;
        to.vocab_size = size_t(get_positive(args, "--vocab", 1024));
        vocab = train_spm_bpe(corpus.train, to);
        cfg.n_vocab = int64_t(vocab.size());
        if (!quiet) {
            std::printf("tokenizer: %zu tokens (%zu merges) in %.1f s\n", vocab.size(), vocab.merges.size(),
                        seconds_since(t0));
        }
    }
    t0 = std::chrono::steady_clock::now();
    const TrainData data = TrainData::build(corpus.train, corpus.eval, vocab);
    corpus = StoryCorpus{};  // the token streams are all training needs from here on
    if (!quiet) {
        std::printf("tokens: %zu training (%.3f per word), %zu held-out (%.1f s)\n", data.train.size(),
                    double(data.train.size()) / double(std::max<size_t>(1, train_words)), data.eval.size(),
                    seconds_since(t0));
    }

    // ---- model and training
    Trainer trainer(cfg, opt, vocab, &data);
    if (resume) trainer.load_checkpoint(ckpt_file);
    else trainer.init();
    if (!quiet) {
        const int64_t n = trainer.layout().n_params();
        std::printf("model: n_embd %lld, n_ff %lld, %lld layers, %lld heads (%lld kv, dim %lld), ctx %lld, vocab %lld: "
                    "%lld parameters (%.1f MB as F32)\n",
                    (long long)cfg.n_embd, (long long)cfg.n_ff, (long long)cfg.n_layer, (long long)cfg.n_head,
                    (long long)cfg.n_head_kv, (long long)cfg.head_dim(), (long long)cfg.n_ctx, (long long)cfg.n_vocab,
                    (long long)n, double(n) * 4.0 / 1e6);
        std::printf("training: batch %lld x %lld tokens, lr %g, warmup %lld, %s%s, %d threads, matmul kernel %s\n",
                    (long long)opt.batch, (long long)opt.seq_len, double(trainer.options().lr),
                    (long long)trainer.options().warmup,
                    trainer.total_steps() > 0 ? (std::to_string(trainer.total_steps()) + " steps").c_str()
                                              : "steps from the time budget",
                    opt.minutes > 0 ? (", budget " + std::to_string(opt.minutes) + " min").c_str() : "", opt.threads,
                    sgemm_kernel_name());
        std::fflush(stdout);
    }
    const int64_t step0 = trainer.step();
    const auto t_train = std::chrono::steady_clock::now();
    // A usable model on disk at every checkpoint, not only at the end.
    trainer.run([&](const Trainer& t) {
        if (!ckpt_dir.empty() && opt.checkpoint_every > 0 && t.step() % opt.checkpoint_every == 0) t.write_gguf(out, name);
    });
    const double train_s = seconds_since(t_train);
    const double eval = trainer.last_eval_loss() >= 0 ? trainer.last_eval_loss() : trainer.evaluate();
    trainer.write_gguf(out, name);
    const int64_t tokens = (trainer.step() - step0) * opt.batch * opt.seq_len;
    std::printf("done: step %lld/%lld, %lld tokens this run in %.1f min (%.0f tokens/s); train loss %.4f, held-out "
                "loss %.4f (perplexity %.2f); wrote %s; total %.1f min\n",
                (long long)trainer.step(), (long long)trainer.total_steps(), (long long)tokens, train_s / 60.0,
                double(tokens) / std::max(1e-9, train_s), trainer.last_loss(), eval, std::exp(eval), out.c_str(),
                seconds_since(t_start) / 60.0);
    return 0;
}

}  // namespace quantlab::cli
