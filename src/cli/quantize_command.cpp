// quantlab quantize: llama-quantize's options and output lines, on top of the
// streaming quantizer (src/quantize/model_quantizer.h).
#include "cli/quantize_command.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/cli_args.h"
#include "cli/mixed_quantize.h"
#include "core/error.h"
#include "formats/type_traits.h"
#include "parallel/cpu_cores.h"
#include "quantize/ftype.h"
#include "quantize/imatrix.h"
#include "quantize/model_quantizer.h"

namespace quantlab::cli {

namespace {

void usage() {
    std::printf(
        "usage: quantlab quantize [--pure] [--allow-requantize] [--leave-output-tensor] [--dry-run]\n"
        "                         [--output-tensor-type T] [--token-embedding-type T] [--tensor-type REGEX=T]...\n"
        "                         [--tensor-type-file F] [--imatrix FILE [--include-weights S]... | [--exclude-weights S]...]\n"
        "                         [--override-kv KEY=TYPE:VALUE]... [--prune-layers L0,L1,...]\n"
        "                         [--keep-split | --split-max-size N[M|G]] [-t N] in.gguf [out.gguf] TYPE [nthreads]\n"
        "       quantlab quantize (--target-size S | --target-bpw B) --calibration calib.txt [--imatrix FILE]\n"
        "                         [mixed-precision options] in.gguf out.gguf [nthreads]\n\n"
        "  in.gguf may be the first file of a split model (NAME-00001-of-0000N.gguf); the others are read beside it.\n\n"
        "  --pure                  no k-quant mixtures: every quantized tensor gets TYPE's base type\n"
        "  --allow-requantize      allow converting tensors that are already quantized\n"
        "  --leave-output-tensor   keep output.weight as it is\n"
        "  --dry-run               print the plan and sizes without writing anything (out.gguf may be omitted)\n"
        "  --output-tensor-type T  ggml type for output.weight\n"
        "  --token-embedding-type T  ggml type for token_embd.weight\n"
        "  --tensor-type REGEX=T   ggml type for tensors whose name matches REGEX (repeatable, first match wins)\n"
        "  --tensor-type-file F    --tensor-type entries from a file, separated by spaces or newlines\n"
        "  --imatrix FILE          importance matrix from llama-imatrix or quantlab imatrix (.dat or .gguf)\n"
        "  --include-weights S     use the imatrix only for tensors whose name contains S (repeatable)\n"
        "  --exclude-weights S     do not use the imatrix for tensors whose name contains S (repeatable)\n"
        "  --override-kv K=T:V     set metadata key K in the output; T is int, float, bool or str (repeatable)\n"
        "  --prune-layers L,...    drop these layers (blk.N) and renumber the rest\n"
        "  --keep-split            write one output file per input file (split models)\n"
        "  --split-max-size N      split the output like gguf-split: at most N bytes of tensors per file\n"
        "                          (N, NM = N*10^6, NG = N*10^9)\n"
        "  -t, --threads N         threads (default: one per physical core; also the positional nthreads);\n"
        "                          the output is the same for any count\n\n"
        "mixed precision (one format per tensor chosen from measured sensitivity; docs/mixed-precision.md):\n"
        "  --target-size S         file size: bytes, or with K, M, G (1024-based), e.g. 2.1M\n"
        "  --target-bpw B          bits per weight over all tensors, as 'quant size' reports it\n"
        "  --calibration FILE      calibration text (keep it apart from evaluation text)\n"
        "  --calibration-chunks N  chunks measured per tensor and format (default 2)\n"
        "  --calibration-ctx N     chunk length (default 256)\n"
        "  --types T,T,...         candidate formats (default: every weight format, and f16)\n"
        "  --exact | --proxy       measure KLD through the engine (default up to 20M parameters) or the proxy\n"
        "  --exact-types T,...     formats measured exactly (default all); the rest estimated from the proxy\n"
        "  --damage smoothed|measured  what the plan minimises (see quantlab sensitivity --help)\n"
        "  --no-verify             skip measuring the chosen mix on the calibration text\n"
        "  --verify-chunks N       chunks after the measured ones the plan is verified and refined on\n"
        "                          (default 0: the measured ones)\n"
        "  --refine N              rounds of measured neighbour moves after verifying (default 0: none)\n"
        "  --plan-out FILE         write the plan as JSON (default out.gguf.plan.json)\n"
        "  --imatrix-chunks N      chunks of the text the importance matrix is computed from (default all)\n"
        "  --imatrix-out FILE      where the importance matrix computed from the text goes\n"
        "                          (default out.gguf.imatrix.gguf; not written when --imatrix is given)\n\n"
        "TYPE (as llama-quantize; aliases Q3_K=Q3_K_M, Q4_K=Q4_K_M, Q5_K=Q5_K_M):\n");
    for (const auto& f : all_ftypes()) std::printf("  %2u  or  %-7s : %s\n", unsigned(f.ftype), f.name, f.description);
}

// Ctrl-C (SIGINT) or SIGTERM during a quantization: the progress callback
// sees the flag and cancels, quantize_model_file removes out.gguf.partial, and
// the command exits with 128 + the signal number. A second signal gets the
// default action (SA_RESETHAND): the user insisted.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) { g_signal = sig; }

void catch_interrupts() {
    struct sigaction sa = {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

std::string join(const std::vector<std::string>& v, size_t max_items) {
    std::string s;
    for (size_t i = 0; i < v.size() && i < max_items; ++i) s += (i ? ", " : "") + v[i];
    if (v.size() > max_items) s += ", ...";
    return s;
}

// llama-quantize's --tensor-type-file: REGEX=TYPE entries separated by whitespace.
std::vector<TensorTypeOverride> read_tensor_type_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(ErrorCode::Io, "cannot open --tensor-type-file " + path + ": " + std::strerror(errno));
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    std::vector<TensorTypeOverride> r;
    size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        size_t j = i;
        while (j < text.size() && !std::isspace(static_cast<unsigned char>(text[j]))) ++j;
        if (j > i) r.push_back(parse_tensor_type_override(text.substr(i, j - i)));
        i = j;
    }
    return r;
}

}  // namespace

int run_quantize(int argc, char** argv) {
    const auto t_start = std::chrono::steady_clock::now();
    ModelQuantizeOptions opt;
    int threads = 0;  // 0: one per physical core
    std::string imatrix_path;
    std::vector<std::string> pos;
    std::vector<std::string> mixed;  // mixed-precision options, handed to run_mixed_quantize
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw Error(ErrorCode::InvalidArgument, "option " + a + " needs a value");
            return argv[++i];
        };
        if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else if (a == "--pure") {
            opt.params.pure = true;
        } else if (a == "--allow-requantize") {
            opt.params.allow_requantize = true;
        } else if (a == "--leave-output-tensor") {
            opt.params.quantize_output_tensor = false;
        } else if (a == "--dry-run") {
            opt.params.dry_run = true;
        } else if (a == "--output-tensor-type") {
            opt.params.output_tensor_type = type_traits_by_name(value()).type;
        } else if (a == "--token-embedding-type") {
            opt.params.token_embedding_type = type_traits_by_name(value()).type;
        } else if (a == "--tensor-type") {
            opt.params.tensor_types.push_back(parse_tensor_type_override(value()));
        } else if (a == "--tensor-type-file") {
            for (const auto& e : read_tensor_type_file(value())) opt.params.tensor_types.push_back(e);
        } else if (a == "--imatrix") {
            imatrix_path = value();
        } else if (a == "-t" || a == "--threads") {
            threads = parse_thread_count(a, value());
        } else if (a == "--include-weights") {
            opt.imatrix_include.push_back(value());
        } else if (a == "--exclude-weights") {
            opt.imatrix_exclude.push_back(value());
        } else if (a == "--override-kv") {
            opt.params.kv_overrides.push_back(parse_kv_override(value()));
        } else if (a == "--prune-layers") {
            opt.params.prune_layers = parse_prune_layers(value());
        } else if (a == "--keep-split") {
            opt.params.keep_split = true;
        } else if (a == "--split-max-size") {
            opt.params.split_max_size = parse_split_size(value());
        } else if (is_mixed_option(a)) {
            mixed.push_back(a);
            if (mixed_option_takes_value(a)) mixed.push_back(value());
        } else if (a.rfind("--", 0) == 0) {
            throw Error(ErrorCode::InvalidArgument, "unknown option " + a + " (see quantlab quantize --help)");
        } else {
            pos.push_back(a);
        }
    }
    if (pos.size() < 2) {
        usage();
        return 2;
    }
    if (!opt.imatrix_include.empty() && !opt.imatrix_exclude.empty()) {
        throw Error(ErrorCode::InvalidArgument, "--include-weights and --exclude-weights cannot be used together");
    }
    if (!mixed.empty()) {
        opt.threads = threads;  // -t N; the positional nthreads is read there
        return run_mixed_quantize(opt, imatrix_path, mixed, pos);
    }
    // llama-quantize: in.gguf [out.gguf] TYPE [nthreads]; out.gguf is optional
    // when the second word already names a type.
    const std::string in_path = pos[0];
    std::string out_path;
    size_t next = 1;
    const FtypeInfo* ft = try_parse_ftype(pos[1]);
    if (!ft) {
        out_path = pos[1];
        if (pos.size() < 3) throw Error(ErrorCode::InvalidArgument, "missing the quantization TYPE");
        ft = &parse_ftype(pos[2]);
        next = 3;
    } else {
        next = 2;
        if (!opt.params.dry_run) {
            const size_t slash = in_path.find_last_of('/');
            out_path = (slash == std::string::npos ? "" : in_path.substr(0, slash + 1)) + "ggml-model-" + ft->name + ".gguf";
            // Split outputs are named ggml-model-TYPE-00001-of-0000N.gguf (output_split_paths).
        }
    }
    opt.params.ftype = ft->ftype;
    if (pos.size() > next) threads = parse_thread_count("nthreads", pos[next++]);
    if (pos.size() > next) throw Error(ErrorCode::InvalidArgument, "unexpected argument '" + pos[next] + "'");
    opt.threads = resolve_thread_count(threads);

    ImatrixData imatrix;
    if (!imatrix_path.empty()) {
        imatrix = read_imatrix_file(imatrix_path);
        opt.imatrix = &imatrix;
        opt.imatrix_file = imatrix_path;
        if (!imatrix.datasets.empty()) std::printf("imatrix dataset: '%s'\n", imatrix.datasets[0].c_str());
        std::printf("loaded %zu importance matrix entries from %s computed on %d chunks\n", imatrix.entries.size(),
                    imatrix_path.c_str(), imatrix.chunk_count);
    }

    if (opt.params.dry_run) {
        std::printf("main: calculating quantization size for '%s' as %s", in_path.c_str(), ft->name);
    } else {
        std::printf("main: quantizing '%s' to '%s' as %s", in_path.c_str(), out_path.c_str(), ft->name);
    }
    std::printf(" using %d threads\n", opt.threads);
    opt.log = [](const std::string& line) {
        std::printf("%s\n", line.c_str());
        std::fflush(stdout);
    };

    catch_interrupts();
    opt.progress = [](const QuantizeProgress&) { return g_signal == 0; };
    const auto t_q = std::chrono::steady_clock::now();
    ModelQuantizeResult r;
    try {
        r = quantize_model_file(in_path, opt.params.dry_run ? std::string() : out_path, opt);
    } catch (const Error& e) {
        if (e.code() != ErrorCode::Cancelled || g_signal == 0) throw;
        std::fprintf(stderr, "quantlab: interrupted (signal %d); no output was written\n", int(g_signal));
        return 128 + int(g_signal);
    }
    const auto t_end = std::chrono::steady_clock::now();
    const QuantPlan& p = r.plan;

    for (const auto& o : p.overrides) {
        if (o.applied.empty()) continue;
        std::printf("--tensor-type %s=%s decided %zu tensor(s): %s\n", o.override_.pattern.c_str(),
                    type_traits(o.override_.type).name, o.applied.size(), join(o.applied, 6).c_str());
    }
    std::printf("model size  = %8.2f MiB (%.2f BPW)\n", double(p.old_bytes) / 1048576.0, p.old_bpw());
    std::printf("quant size  = %8.2f MiB (%.2f BPW)\n", double(p.new_bytes) / 1048576.0, p.new_bpw());
    if (p.n_fallback > 0) {
        std::printf("WARNING: %d of %zu tensor(s) required fallback quantization\n", p.n_fallback, p.tensors.size());
    }
    if (!opt.params.dry_run) {
        if (p.split_output) {
            for (const auto& f : output_split_paths(out_path, size_t(p.n_output_files))) std::printf("wrote %s\n", f.c_str());
            std::printf("%d files, %llu bytes in all\n", p.n_output_files, (unsigned long long)r.bytes_written);
        } else {
            std::printf("wrote %s (%llu bytes)\n", out_path.c_str(), (unsigned long long)r.bytes_written);
        }
    } else if (p.split_output) {
        std::printf("would write %d split files\n", p.n_output_files);
    }
    if (!p.pruned.empty()) {
        std::printf("pruned %zu tensor(s); block_count = %d\n", p.pruned.size(), p.block_count);
    }
    std::printf("main: quantize time = %10.2f ms\n", std::chrono::duration<double, std::milli>(t_end - t_q).count());
    std::printf("main:    total time = %10.2f ms\n", std::chrono::duration<double, std::milli>(t_end - t_start).count());
    return 0;
}

}  // namespace quantlab::cli
