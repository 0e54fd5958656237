#include "cli/mixed_quantize.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "cli/scan_progress.h"
#include "core/error.h"
#include "formats/type_traits.h"
#include "model/tokenizer.h"
#include "parallel/cpu_cores.h"
#include "quantize/imatrix_compute.h"
#include "quantize/mixed_precision.h"
#include "quantize/mixed_types.h"

namespace quantlab::cli {

namespace {

const char* const kValued[] = {"--target-size", "--target-bpw",  "--calibration", "--calibration-chunks", "--calibration-ctx",
                               "--types",       "--plan-out",    "--imatrix-out", "--imatrix-chunks",
                               "--exact-types", "--damage",      "--refine",        "--verify-chunks"};
const char* const kFlags[] = {"--exact", "--proxy", "--no-verify"};

// Default exact measure up to this many parameters (see quantlab sensitivity).
constexpr double kExactParamLimit = 20e6;

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string shell_quote(const std::string& s) {
    bool plain = !s.empty();
    for (char c : s) plain &= (std::isalnum(static_cast<unsigned char>(c)) || std::string("._-/=:+,").find(c) != std::string::npos);
    if (plain) return s;
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

}  // namespace

bool is_mixed_option(const std::string& a) {
    for (const char* v : kValued) if (a == v) return true;
    for (const char* f : kFlags) if (a == f) return true;
    return false;
}

bool mixed_option_takes_value(const std::string& a) {
    for (const char* v : kValued) if (a == v) return true;
    return false;
}

int run_mixed_quantize(ModelQuantizeOptions opt, const std::string& imatrix_path, const std::vector<std::string>& mixed,
                       const std::vector<std::string>& pos) {
    const auto t_start = std::chrono::steady_clock::now();
    std::map<std::string, std::string> o;
    for (size_t i = 0; i < mixed.size(); ++i) {
        o[mixed[i]] = mixed_option_takes_value(mixed[i]) ? mixed[i + 1] : "";
        if (mixed_option_takes_value(mixed[i])) ++i;
    }
    const bool by_size = o.count("--target-size"), by_bpw = o.count("--target-bpw");
    if (by_size == by_bpw) throw Error(ErrorCode::InvalidArgument, "give exactly one of --target-size and --target-bpw");
    if (!o.count("--calibration")) throw Error(ErrorCode::InvalidArgument, "mixed precision needs --calibration calib.txt");
    if (o.count("--exact") && o.count("--proxy")) throw Error(ErrorCode::InvalidArgument, "give --exact or --proxy, not both");
    if (pos.size() < 2 || pos.size() > 3) throw Error(ErrorCode::InvalidArgument, "usage: quantize --target-... in.gguf out.gguf [nthreads]");
    const MixedTarget target = by_size ? parse_target_size(o["--target-size"]) : target_bpw(parse_double("--target-bpw", o["--target-bpw"]));
    const std::string in_path = pos[0], out_path = pos[1];
    if (pos.size() == 3) opt.threads = parse_thread_count("nthreads", pos[2]);
    opt.threads = resolve_thread_count(opt.threads);  // 0 (the default, or -t 0): one per physical core

    auto model = LlamaModel::load_file(in_path);
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const std::string calib_path = o["--calibration"];
    const auto text = read_file(calib_path);
    const auto tokens = tok.tokenize(std::string(text.begin(), text.end()), tok.add_bos_default());
    double n_params = 0;
    for (const auto& t : model->header().tensors) n_params += double(t.n_elements());

    SensitivityOptions so;
    so.exact = o.count("--exact") || (!o.count("--proxy") && n_params <= kExactParamLimit);
    if (o.count("--types")) so.types = parse_candidate_types(o["--types"]);
    if (o.count("--exact-types")) so.exact_types = parse_candidate_types(o["--exact-types"]);
    if (o.count("--damage")) so.damage = parse_damage_model(o["--damage"]);
    so.n_chunks = o.count("--calibration-chunks") ? int64_t(parse_double("--calibration-chunks", o["--calibration-chunks"])) : 2;
    so.verify_chunks = o.count("--verify-chunks") ? int64_t(parse_double("--verify-chunks", o["--verify-chunks"])) : 0;
    VerifyOptions vo;  // checked before the scan, used after it
    if (o.count("--refine")) {
        const double n = parse_double("--refine", o["--refine"]);
        if (!(n >= 0 && n <= 1000)) throw Error(ErrorCode::InvalidArgument, "--refine takes a number of rounds from 0 to 1000");
        vo.refine_rounds = int(n);
    }
    so.n_ctx = o.count("--calibration-ctx") ? int64_t(parse_double("--calibration-ctx", o["--calibration-ctx"])) : 256;
    if (o.count("--imatrix-chunks")) so.imatrix_chunks = int64_t(parse_double("--imatrix-chunks", o["--imatrix-chunks"]));
    so.add_bos = tok.add_bos_default();
    so.bos = tok.bos();
    so.dataset = calib_path;
    so.threads = opt.threads;  // the scan computes on as many threads as the quantization
    ImatrixData given;
    if (!imatrix_path.empty()) {
        given = read_imatrix_file(imatrix_path);
        so.imatrix = &given;
    }
    std::printf("mixed precision: %s scan of %s on %s\n", so.exact ? "exact (KLD)" : "proxy", in_path.c_str(), calib_path.c_str());
    SensitivityScan scan(model, tokens, so);
    scan.run(ScanProgressLine());

    // The importance matrix the file is quantized with: the given one, or the
    // one the scan computed, written beside the output so the same command
    // (or llama-quantize) can be given it.
    std::string imatrix_file = imatrix_path;
    if (scan.computed_imatrix()) {
        imatrix_file = o.count("--imatrix-out") ? o["--imatrix-out"] : out_path + ".imatrix.gguf";
        write_imatrix_gguf(imatrix_file, *scan.computed_imatrix());
        std::printf("importance matrix computed from %lld chunks written to %s\n",
                    (long long)scan.computed_imatrix()->chunk_count, imatrix_file.c_str());
    }
    const ImatrixData& imatrix = scan.imatrix();

    MixedSetup setup;
    setup.imatrix = imatrix.entries.empty() ? nullptr : &imatrix;
    setup.imatrix_file = imatrix_file;
    setup.calibration = calib_path;
    setup.will_verify = so.exact && !o.count("--no-verify");
    for (const auto& kv : opt.params.kv_overrides) setup.extra_metadata.emplace_back(kv.key, kv.value());
    MixedPlanner planner(model->header(), scan.result(), setup);
    MixedPlan plan = planner.plan(target);
    if (setup.will_verify) plan = verify_mixed_plan(scan, planner, plan, vo);
    plan.quantize_params();  // validates the patterns before any output exists

    std::printf("\nplan for %s: %llu bytes (%.4f bits per weight), ftype label %s\n", target.text().c_str(),
                (unsigned long long)plan.file_bytes, plan.bits_per_weight(), ftype_info(plan.ftype).name);
    std::map<GgmlType, int> count;
    for (const auto& t : plan.tensors) {
        std::printf("  %-28s %-8s %10llu bytes  predicted KLD %.3e\n", t.name.c_str(), type_traits(t.type).name,
                    (unsigned long long)t.bytes, t.damage);
        ++count[t.type];
    }
    std::printf("predicted %s %.6f", plan.exact ? "KLD" : "proxy damage", plan.predicted);
    if (plan.verified) {
        std::printf(", measured on the calibration chunks %.6f (first plan %.6f, %d correction round(s), %d measured move(s)); "
                    "PPL %.4f (base %.4f)",
                    plan.calibration_kld, plan.first_kld, plan.corrections, plan.refinements, plan.calibration_ppl, plan.base_ppl);
    }
    std::printf("\n");

    const std::string plan_path = o.count("--plan-out") ? o["--plan-out"] : out_path + ".plan.json";
    const std::string json = mixed_plan_to_json(plan, imatrix_file);
    write_file_atomic(plan_path, json.data(), json.size());
    std::printf("plan written to %s\n", plan_path.c_str());

    // The same file through plain --tensor-type arguments (llama-quantize takes them too).
    std::string cmd = "quantize";
    if (!imatrix_file.empty() && setup.imatrix) cmd += " --imatrix " + shell_quote(imatrix_file);
    for (const auto& a : plan.tensor_type_args()) cmd += " --tensor-type " + shell_quote(a);
    for (const auto& a : plan.override_kv_args()) cmd += " --override-kv " + shell_quote(a);
    cmd += " " + shell_quote(in_path) + " " + shell_quote(out_path) + " " + ftype_info(plan.ftype).name;
    std::printf("equivalent: quantlab %s\n", cmd.c_str());

    ModelQuantizeOptions qo = opt;
    qo.params = plan.quantize_params();
    qo.imatrix = setup.imatrix;
    qo.imatrix_file = imatrix_file;
    model.reset();
    const ModelQuantizeResult r = quantize_model_file(in_path, out_path, qo);
    if (r.bytes_written != plan.file_bytes) {
        throw Error(ErrorCode::Io, "internal: wrote " + std::to_string(r.bytes_written) + " bytes, the plan said " +
                                       std::to_string(plan.file_bytes));
    }
    std::printf("wrote %s (%llu bytes, %.2f MiB, %.4f BPW) in %.1f s total\n", out_path.c_str(),
                (unsigned long long)r.bytes_written, double(r.bytes_written) / 1048576.0, r.plan.new_bpw(),
                seconds_since(t_start));
    return 0;
}

}  // namespace quantlab::cli
