// quantlab sensitivity: per tensor x format, the KL divergence of quantizing
// that tensor alone (exact, through the engine) and the imatrix-weighted error
// proxy, as a table, Spearman's rho of the proxy per format, and JSON.
#include "cli/sensitivity_command.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>

#include "cli/cli_args.h"
#include "cli/file_io.h"
#include "cli/scan_progress.h"
#include "model/tokenizer.h"
#include "quantize/mixed_json.h"
#include "quantize/mixed_precision.h"
#include "quantize/mixed_types.h"
#include "quantize/sensitivity.h"

namespace quantlab::cli {

namespace {

const char kHelp[] =
    "usage: quantlab sensitivity -m M.gguf -f calib.txt [options]\n"
    "The damage of quantizing each tensor alone, for every candidate format.\n"
    "  --types T,T,...    candidate formats (default: every weight format with a dot product, and f16)\n"
    "  --exact            KL divergence from the unmodified model through the engine (default for models\n"
    "                     up to 20M parameters)\n"
    "  --proxy            imatrix-weighted squared error only (default above 20M parameters)\n"
    "  --exact-types T,.. formats measured exactly (default all); the rest estimated from the proxy\n"
    "  --damage M         what plans minimise: smoothed (default: a gain per tensor fitted to its KLDs,\n"
    "                     times the proxy) or measured (the KLDs as measured)\n"
    "  --chunks N         calibration chunks measured (default 2)\n"
    "  -c CTX             chunk length (default 256, at most the model's context)\n"
    "  --imatrix F        quantize candidates with this importance matrix (default: computed from the text)\n"
    "  --imatrix-chunks N chunks for the computed importance matrix (default: all; 0: none)\n"
    "  --first-scored N   first scored position of each chunk (default 0: all; -1: CTX/2 as llama-perplexity)\n"
    "  -o FILE            also write the table as JSON\n"
    "  --plan-sizes S,... also plan (and verify) files of these sizes (bytes or K/M/G) from this one scan,\n"
    "  --plan-bpw B,...   or of these bits per weight, writing DIR/plan-<target>.json (and DIR/imatrix.gguf\n"
    "  --plan-dir DIR     when the importance matrix was computed); default DIR: .\n"
    "  --verify-chunks N  chunks after the measured ones that plans are verified and refined on (default 0:\n"
    "                     the measured ones)\n"
    "  --refine N         rounds of measured neighbour moves after verifying each plan (default 0: none)\n"
    "  --unrefined        also write each plan verified without refinement (DIR/plan-<target>.unrefined.json)\n"
    "  -t N               threads (default: one per physical core; the figures do not depend on it)\n";

// Default exact measure up to this size: a full scan of the built-in model
// (3.7M parameters) takes seconds; one of 20M parameters some minutes.
constexpr double kExactParamLimit = 20e6;

std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s + ",") {
        if (c == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    return out;
}

int refine_rounds(const Args& args) {
    const long long n = args.get_int("--refine", VerifyOptions{}.refine_rounds);
    if (n < 0 || n > 1000) throw Error(ErrorCode::InvalidArgument, "--refine takes a number of rounds from 0 to 1000");
    return int(n);
}

// Plans for several targets from one scan (the size-quality curve).
void write_plans(const Args& args, SensitivityScan& scan, const GgufHeader& header) {
    const std::string dir = args.get_or("--plan-dir", ".");
    std::string imatrix_file = args.get_or("--imatrix", "");
    if (scan.computed_imatrix()) {
        imatrix_file = dir + "/imatrix.gguf";
        write_imatrix_gguf(imatrix_file, *scan.computed_imatrix());
    }
    MixedSetup setup;
    setup.imatrix = scan.imatrix().entries.empty() ? nullptr : &scan.imatrix();
    setup.imatrix_file = imatrix_file;
    setup.calibration = args.get("-f");
    setup.will_verify = scan.result().exact;
    const MixedPlanner planner(header, scan.result(), setup);
    VerifyOptions vo;
    vo.refine_rounds = refine_rounds(args);
    std::vector<MixedTarget> targets;
    for (const auto& t : split_list(args.get_or("--plan-sizes", ""))) targets.push_back(parse_target_size(t));
    for (const auto& t : split_list(args.get_or("--plan-bpw", ""))) targets.push_back(target_bpw(parse_double("--plan-bpw", t)));
    std::printf("\n%-18s %12s %8s %14s %14s %14s %2s\n", "target", "file bytes", "bpw", "predicted", "first plan",
                "measured", "mv");
    // --unrefined: also the plan verified without refinement (an A/B from one scan).
    VerifyOptions plain = vo;
    plain.refine_rounds = 0;
    const bool both = args.has("--unrefined") && vo.refine_rounds > 0 && setup.will_verify;
    for (const auto& t : targets) {
        std::string name = t.text();
        for (auto& c : name) c = c == ' ' ? '-' : c;
        for (int pass = 0; pass < (both ? 2 : 1); ++pass) {
            MixedPlan p = planner.plan(t);
            if (setup.will_verify) p = verify_mixed_plan(scan, planner, p, pass ? plain : vo);
            const std::string path = dir + "/plan-" + name + (pass ? ".unrefined" : "") + ".json";
            const std::string j = mixed_plan_to_json(p, imatrix_file);
            write_file_atomic(path, j.data(), j.size());
            std::printf("%-18s %12llu %8.4f %14.6e %14.6e %14.6e %2d  %s\n", t.text().c_str(), (unsigned long long)p.file_bytes,
                        p.bits_per_weight(), p.predicted, p.first_kld, p.calibration_kld, p.refinements, path.c_str());
            std::fflush(stdout);
        }
    }
}

}  // namespace

int run_sensitivity(int argc, char** argv) {
    const Args args(argc, argv, 2, {"--exact", "--proxy", "--scalar", "--unrefined", "--help", "-h"});
    if (args.has("--help") || args.has("-h")) {
        std::fputs(kHelp, stdout);
        return 0;
    }
    if (args.has("--exact") && args.has("--proxy")) throw Error(ErrorCode::InvalidArgument, "give --exact or --proxy, not both");
    auto model = LlamaModel::load_file(args.get("-m"));
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    const auto bytes = read_file(args.get("-f"));
    const auto tokens = tok.tokenize(std::string(bytes.begin(), bytes.end()), tok.add_bos_default());

    double n_params = 0;
    for (const auto& t : model->header().tensors) n_params += double(t.n_elements());
    SensitivityOptions so;
    so.exact = args.has("--exact") || (!args.has("--proxy") && n_params <= kExactParamLimit);
    if (args.has("--types")) so.types = parse_candidate_types(args.get("--types"));
    if (args.has("--exact-types")) so.exact_types = parse_candidate_types(args.get("--exact-types"));
    so.damage = parse_damage_model(args.get_or("--damage", "smoothed"));
    so.n_chunks = args.get_int("--chunks", 2);
    so.verify_chunks = args.get_int("--verify-chunks", 0);
    refine_rounds(args);  // a bad value is an error before the scan, not after it
    so.n_ctx = args.get_int("-c", 256);
    so.imatrix_chunks = args.get_int("--imatrix-chunks", -1);
    so.first_scored = args.get_int("--first-scored", 0);
    so.add_bos = tok.add_bos_default();
    so.bos = tok.bos();
    so.dataset = args.get("-f");
    so.variant = args.has("--scalar") ? KernelVariant::Ref : default_kernel_variant();
    so.threads = args.threads();
    ImatrixData imatrix;
    if (args.has("--imatrix")) {
        imatrix = read_imatrix_file(args.get("--imatrix"));
        so.imatrix = &imatrix;
    }

    SensitivityScan scan(model, tokens, so);
    scan.run(ScanProgressLine());
    const SensitivityResult& r = scan.result();

    std::printf("%s sensitivity of %s: %lld chunks of %lld tokens, %lld scored positions, base PPL %.4f, %.1f s, %d thread%s\n",
                r.exact ? "exact (KLD)" : "proxy", args.get("-m").c_str(), (long long)r.n_chunks, (long long)r.n_ctx,
                (long long)r.n_scored, r.base_ppl, r.seconds, r.threads, r.threads == 1 ? "" : "s");
    for (int pass = 0; pass < (r.exact ? 2 : 1); ++pass) {
        const bool kld = r.exact && pass == 0;
        std::printf("\n%s\n%-28s", kld ? "mean KL divergence from the unmodified model (quantizing that tensor alone)"
                                       : "proxy: expected squared output error per token",
                    "tensor");
        for (GgmlType t : r.types) std::printf(" %10s", type_traits(t).name);
        std::printf("\n");
        for (const auto& t : r.tensors) {
            std::printf("%-28s", t.name.c_str());
            for (const auto& c : t.cells) {
                if (!c.rejected.empty()) std::printf(" %10s", "-");
                else std::printf(" %10.3e", kld ? c.kld : c.proxy);
            }
            std::printf("\n");
        }
    }
    if (r.exact) {
        const ProxyAgreement a = proxy_agreement(r);
        std::printf("\nSpearman's rho, proxy vs exact, over tensors:\n");
        for (const auto& [t, rho] : a.per_type) std::printf("  %-8s %6.3f\n", type_traits(t).name, rho);
        std::printf("  all cells %6.3f\n", a.all_cells);
    }
    if (args.has("-o")) {
        const std::string j = sensitivity_to_json(r);
        write_file_atomic(args.get("-o"), j.data(), j.size());
        std::printf("wrote %s\n", args.get("-o").c_str());
    }
    if (args.has("--plan-sizes") || args.has("--plan-bpw")) write_plans(args, scan, model->header());
    return 0;
}

}  // namespace quantlab::cli
