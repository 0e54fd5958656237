// Mixed precision: targets, the planner against real quantization (sizes,
// constraints, --tensor-type reproduction), and the sensitivity scan against
// the engine on llama.cpp's stories260K (whose 64-wide rows admit no K-quant).
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "eval/perplexity.h"
#include "formats/type_traits.h"
#include "model/tokenizer.h"
#include "parallel/cpu_cores.h"
#include "quantize/mixed_precision.h"
#include "quantize/mixed_types.h"
#include "quantize_test_util.h"
#include "support/reference_model.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

GgmlType T(const char* name) { return type_traits_by_name(name).type; }

// A scan result with synthetic damages: sensitivity grows with the layer and
// the output matrix is the most sensitive; each bit halves the error.
SensitivityResult synthetic_scan(const GgufHeader& h, const std::vector<GgmlType>& types) {
    SensitivityResult r;
    r.types = types;
    r.exact = true;
    r.tensors = sensitivity_tensors(h, types, false);
    for (size_t i = 0; i < r.tensors.size(); ++i) {
        auto& t = r.tensors[i];
        const double gain = t.name == "output.weight" ? 50.0 : 1.0 + 0.5 * t.layer + 0.1 * double(i % 3);
        for (auto& c : t.cells) {
            if (c.rejected.empty()) c.kld = c.damage = gain * std::pow(2.0, -2.0 * type_traits(c.type).bits_per_weight());
        }
    }
    return r;
}

SynthLlama small_llama() {
    SynthLlama s;
    s.n_layer = 2;
    s.n_vocab = 256;
    s.n_ff = 320;  // ffn_down rows of 320 values: no 256-value K-quant block fits
    return s;
}

const std::vector<GgmlType>& test_types() {
    static const std::vector<GgmlType> t{T("q2_K"), T("q4_0"), T("q4_K"), T("q5_K"), T("q6_K"), T("q8_0"), T("f16")};
    return t;
}

}  // namespace

TEST_CASE("mixed: target sizes and bits per weight", "[mixed]") {
    REQUIRE(parse_target_size("2289312").value == 2289312);
    REQUIRE(parse_target_size("2.5K").value == 2560);
    REQUIRE(parse_target_size("2.1M").value == std::floor(2.1 * 1048576));
    REQUIRE(parse_target_size("1GiB").value == 1073741824.0);
    REQUIRE(parse_target_size(" 3 mb ").value == 3 * 1048576.0);
    REQUIRE(parse_target_size("100B").value == 100);
    for (const char* bad : {"", "M", "-1M", "2.1X", "abc", "0"}) REQUIRE_THROWS_AS(parse_target_size(bad), Error);
    REQUIRE(target_bpw(4.5).text() == "bpw 4.5");
    REQUIRE_THROWS_AS(target_bpw(0), Error);
    REQUIRE_THROWS_AS(target_bpw(std::nan("")), Error);
}

TEST_CASE("mixed: candidate formats come from the traits table", "[mixed]") {
    const auto types = default_candidate_types();
    REQUIRE(types.back() == GgmlType::F16);
    for (size_t i = 1; i + 1 < types.size(); ++i) {
        REQUIRE(type_traits(types[i]).bits_per_weight() >= type_traits(types[i - 1]).bits_per_weight());
    }
    for (const auto& t : all_type_traits()) {
        const bool weight = t.is_quantized && t.ref.vec_dot && is_storable_type(t.type);
        REQUIRE((std::find(types.begin(), types.end(), t.type) != types.end()) == (weight || t.type == GgmlType::F16));
    }
    REQUIRE(parse_candidate_types("Q4_K, q6_k,q4_K") == std::vector<GgmlType>{T("q4_K"), T("q6_K")});
    REQUIRE_THROWS_AS(parse_candidate_types("q4_K,q9_Z"), Error);
    REQUIRE_THROWS_AS(parse_candidate_types("q8_K"), Error);  // activation format
    REQUIRE_THROWS_AS(parse_candidate_types(" , "), Error);
    // llama-quant.cpp's imatrix rule (ids: IQ2_XXS 16, IQ1_S 19, IQ2_S 22, IQ1_M 29).
    REQUIRE(type_requires_imatrix(GgmlType(16), "blk.0.ffn_up.weight"));
    REQUIRE(type_requires_imatrix(GgmlType(29), "blk.0.ffn_up.weight"));
    REQUIRE_FALSE(type_requires_imatrix(GgmlType(16), "output.weight"));
    REQUIRE_FALSE(type_requires_imatrix(GgmlType(16), "token_embd.weight"));
    REQUIRE_FALSE(type_requires_imatrix(T("q2_K"), "blk.0.ffn_up.weight"));
    REQUIRE(candidate_rejection(T("q4_K"), "blk.0.ffn_down.weight", 320, true) != "");
    REQUIRE(candidate_rejection(T("q4_0"), "blk.0.ffn_down.weight", 320, true) == "");
}

TEST_CASE("mixed: plans fit their budget, respect constraints and are monotone", "[mixed]") {
    const auto file = make_llama_file(small_llama());
    const GgufHeader h = parse_bytes(file);
    const SensitivityResult scan = synthetic_scan(h, test_types());
    MixedSetup setup;
    setup.calibration = "synthetic";
    const MixedPlanner planner(h, scan, setup);
    REQUIRE(planner.min_file_bytes() < planner.max_file_bytes());

    double last = std::numeric_limits<double>::infinity();
    const uint64_t lo = planner.min_file_bytes(), hi = planner.max_file_bytes();
    for (int i = 0; i <= 24; ++i) {
        const uint64_t budget = lo + (hi - lo) * uint64_t(i) / 24;
        const MixedPlan p = planner.plan(parse_target_size(std::to_string(budget)));
        REQUIRE(p.file_bytes <= budget);
        REQUIRE(p.predicted <= last + 1e-15);
        last = p.predicted;
        for (const auto& t : p.tensors) {
            // No 256-value block in 320-value rows; norms never appear.
            if (t.name.find("ffn_down") != std::string::npos) REQUIRE(320 % type_traits(t.type).block_size == 0);
            REQUIRE(t.name.find("norm") == std::string::npos);
        }
    }
    REQUIRE_THROWS_AS(planner.plan(parse_target_size(std::to_string(lo - 1))), Error);

    // Bits per weight, as quantize reports them.
    for (double bpw : {3.0, 4.5, 6.0, 9.0}) {
        const MixedPlan p = planner.plan(target_bpw(bpw));
        REQUIRE(p.bits_per_weight() <= bpw);
    }
    REQUIRE_THROWS_AS(planner.plan(target_bpw(1.0)), Error);
}

TEST_CASE("mixed: the planned file is what quantize writes, also from the --tensor-type arguments", "[mixed]") {
    const auto file = make_llama_file(small_llama());
    const GgufHeader h = parse_bytes(file);
    MixedSetup setup;
    setup.calibration = "synthetic";
    const MixedPlanner planner(h, synthetic_scan(h, test_types()), setup);
    const uint64_t budget = (planner.min_file_bytes() + planner.max_file_bytes()) / 3;
    MixedPlan plan = planner.plan(parse_target_size(std::to_string(budget)));
    plan.calibration_kld = 0.00125f;  // as if verified: the recorded value round-trips

    ModelQuantizeOptions qo;
    qo.params = plan.quantize_params();
    ModelQuantizeResult r;
    const auto out = quantize_bytes(file, qo, &r);
    REQUIRE(out.size() == plan.file_bytes);
    REQUIRE(out.size() <= budget);
    const GgufHeader oh = parse_bytes(out);
    for (const auto& t : plan.tensors) REQUIRE(oh.tensor(t.name).type == t.type);
    REQUIRE(oh.find("quantize.mixed.target")->as_string() == "size " + std::to_string(budget));
    REQUIRE(oh.find("quantize.mixed.measured_kld")->as_f64() == double(0.00125f));
    REQUIRE(oh.find("general.file_type")->as_u64() == uint64_t(plan.ftype));

    // The same bytes from parsed command-line arguments.
    ModelQuantizeOptions args;
    args.params.ftype = plan.ftype;
    for (const auto& a : plan.tensor_type_args()) args.params.tensor_types.push_back(parse_tensor_type_override(a));
    for (const auto& a : plan.override_kv_args()) args.params.kv_overrides.push_back(parse_kv_override(a));
    REQUIRE(quantize_bytes(file, args) == out);
    // Each decided tensor is matched by exactly one pattern.
    for (const auto& o : r.plan.overrides) REQUIRE_FALSE(o.applied.empty());
    size_t applied = 0;
    for (const auto& o : r.plan.overrides) applied += o.applied.size();
    REQUIRE(applied == plan.tensors.size());
}

// ---------------------------------------------------------------- the scan, on stories260K

namespace {

struct Calib {
    std::shared_ptr<LlamaModel> model;
    std::vector<int32_t> tokens;
    int32_t bos = 1;
};

Calib calib() {
    Calib c;
    const auto f32 = reference_path("stories260K-f32.gguf");
    c.model = LlamaModel::load_file(f32);
    const Tokenizer tok = Tokenizer::from_gguf(c.model->header());
    c.tokens = tok.tokenize(reference_text("eval.txt"), true);
    c.bos = tok.bos();
    return c;
}

SensitivityOptions scan_options(const Calib& c) {
    SensitivityOptions o;
    o.types = {T("q4_0"), T("q4_K"), T("q8_0"), T("f16")};
    o.n_ctx = 64;
    o.n_chunks = 2;
    o.imatrix_chunks = 4;
    o.first_scored = -1;  // the second halves, as compute_perplexity scores them
    o.bos = c.bos;
    return o;
}

// Mean KLD of model against base over the same chunks the scan scores (with
// held_apart: its verification chunks, which follow them).
double kld_on_chunks(std::shared_ptr<const LlamaModel> base, std::shared_ptr<const LlamaModel> model, const Calib& c,
                     const SensitivityOptions& o, bool held_apart = false) {
    auto logprobs = [&](std::shared_ptr<const LlamaModel> m) {
        ContextOptions co;
        co.n_ctx = o.n_ctx;
        co.n_batch = o.n_ctx;
        LlamaContext ctx(std::move(m), co);
        PerplexityOptions po;
        po.n_ctx = o.n_ctx;
        po.n_chunks = o.n_chunks + (held_apart ? o.verify_chunks : 0);
        po.bos = o.bos;
        std::vector<float> all;
        po.on_scored = [&](const float* lp, int64_t n, int32_t) { all.insert(all.end(), lp, lp + n); };
        compute_perplexity(ctx, c.tokens, po);
        return all;
    };
    const int64_t V = base->hparams().n_vocab;
    const auto a = logprobs(std::move(base)), b = logprobs(std::move(model));
    const size_t n_pos = a.size() / size_t(V);
    const size_t first = held_apart ? n_pos / size_t(o.n_chunks + o.verify_chunks) * size_t(o.n_chunks) : 0;
    double k = 0;
    for (size_t p = first; p < n_pos; ++p) {
        for (int64_t i = 0; i < V; ++i) k += std::exp(double(a[p * V + i])) * double(a[p * V + i] - b[p * V + i]);
    }
    return k / double(n_pos - first);
}

// The file quantize writes for a plan, with the scan's importance matrix.
std::vector<uint8_t> planned_file(const std::vector<uint8_t>& f32, const MixedPlan& plan, const SensitivityScan& scan) {
    ModelQuantizeOptions qo;
    qo.params = plan.quantize_params();
    qo.imatrix = &scan.imatrix();
    qo.imatrix_file = "imatrix.gguf";
    return quantize_bytes(f32, qo);
}

}  // namespace

TEST_CASE("engine: a decode resumed at any layer gives the full decode's logits", "[mixed][engine]") {
    const Calib c = calib();
    ContextOptions co;
    co.n_ctx = 64;
    co.n_batch = 64;
    LlamaContext ctx(c.model, co);
    const int64_t L = c.model->hparams().n_layer, E = c.model->hparams().n_embd;
    std::vector<float> xs(size_t((L + 1) * 64 * E));
    ctx.set_layer_input_observer([&](int64_t l, const float* x, int64_t n) { std::copy(x, x + n * E, xs.begin() + l * 64 * E); });
    const std::vector<int32_t> toks(c.tokens.begin(), c.tokens.begin() + 64);
    const std::vector<float> full = ctx.decode(toks.data(), 64, true);
    ctx.set_layer_input_observer({});
    for (int64_t l = 0; l <= L; ++l) {
        ctx.clear();
        REQUIRE(ctx.decode_from_layer(toks.data(), 64, l, xs.data() + l * 64 * E) == full);
    }
    REQUIRE_THROWS_AS(ctx.decode_from_layer(toks.data(), 64, 1, nullptr), Error);
    REQUIRE_THROWS_AS(ctx.decode_from_layer(toks.data(), 64, L + 1, xs.data()), Error);
}

TEST_CASE("sensitivity: each exact cell is the KLD of a file with that tensor alone quantized", "[mixed][scan]") {
    const Calib c = calib();
    const SensitivityOptions o = scan_options(c);
    SensitivityScan scan(c.model, c.tokens, o);
    scan.run();
    const SensitivityResult& r = scan.result();
    REQUIRE(r.imatrix_computed);
    REQUIRE(r.n_scored == 2 * (64 - 1 - 32));
    // 64-value rows: no K-quant; ffn_down's 172-value rows take f16 only.
    for (const auto& t : r.tensors) {
        REQUIRE(t.cells[1].rejected != "");
        if (t.kind == "ffn_down") {
            REQUIRE(t.cells[0].rejected != "");
            REQUIRE(t.cells[3].rejected == "");
            continue;
        }
        REQUIRE(t.cells[0].kld > t.cells[3].kld);
        REQUIRE(t.cells[3].kld >= 0);
        REQUIRE(t.cells[0].proxy > t.cells[2].proxy);
    }

    const std::vector<uint8_t> f32 = read_bytes(reference_path("stories260K-f32.gguf"));
    const auto base = LlamaModel::load_memory(f32.data(), f32.size());
    for (const char* name : {"blk.2.ffn_up.weight", "blk.0.attn_q.weight", "output.weight", "token_embd.weight"}) {
        size_t ti = 0;
        while (r.tensors[ti].name != name) ++ti;
        ModelQuantizeOptions qo;
        qo.params.ftype = LlamaFtype::MOSTLY_Q8_0;  // every tensor overridden: f32 but this one
        qo.params.pure = true;
        for (const auto& t : r.tensors) {
            qo.params.tensor_types.push_back(parse_tensor_type_override("^" + std::string(t.name) + "$=" +
                                                                        (t.name == name ? "q4_0" : "f32")));
        }
        qo.imatrix = &scan.imatrix();
        const auto q = quantize_bytes(f32, qo);
        const double k = kld_on_chunks(base, LlamaModel::load_memory(q.data(), q.size()), c, o);
        REQUIRE(r.tensors[ti].cells[0].kld == Approx(k).epsilon(1e-6));
    }
}

TEST_CASE("sensitivity: a verified plan measures what its file measures", "[mixed][scan]") {
    const Calib c = calib();
    SensitivityOptions o = scan_options(c);
    SensitivityScan scan(c.model, c.tokens, o);
    scan.run();
    MixedSetup setup;
    setup.imatrix = &scan.imatrix();
    setup.imatrix_file = "imatrix.gguf";
    MixedPlanner planner(c.model->header(), scan.result(), setup);
    const uint64_t budget = (planner.min_file_bytes() * 2 + planner.max_file_bytes()) / 3;
    const MixedPlan plan = verify_mixed_plan(scan, planner, planner.plan(parse_target_size(std::to_string(budget))));
    REQUIRE(plan.verified);
    REQUIRE(plan.file_bytes <= budget);

    const std::vector<uint8_t> f32 = read_bytes(reference_path("stories260K-f32.gguf"));
    const auto q = planned_file(f32, plan, scan);
    REQUIRE(q.size() == plan.file_bytes);
    const double k = kld_on_chunks(LlamaModel::load_memory(f32.data(), f32.size()), LlamaModel::load_memory(q.data(), q.size()), c, o);
    REQUIRE(plan.calibration_kld == Approx(k).epsilon(1e-6));
    // The scan leaves the model as it found it.
    const double k0 = kld_on_chunks(LlamaModel::load_memory(f32.data(), f32.size()), c.model, c, o);
    REQUIRE(k0 == 0.0);
}

TEST_CASE("sensitivity: refinement takes only measured-better neighbours within the budget", "[mixed][scan]") {
    const Calib c = calib();
    SensitivityScan scan(c.model, c.tokens, scan_options(c));
    scan.run();
    MixedSetup setup;
    setup.imatrix = &scan.imatrix();
    setup.imatrix_file = "imatrix.gguf";
    MixedPlanner planner(c.model->header(), scan.result(), setup);
    const uint64_t lo = planner.min_file_bytes(), hi = planner.max_file_bytes();

    // with_types gives back the plan it was handed, and rejects formats a tensor cannot take.
    const MixedPlan mid = planner.plan(parse_target_size(std::to_string((lo + hi) / 2)));
    std::vector<GgmlType> types;
    for (const auto& t : mid.tensors) types.push_back(t.type);
    const MixedPlan same = planner.with_types(mid, types);
    REQUIRE(same.file_bytes == mid.file_bytes);
    REQUIRE(same.predicted == Approx(mid.predicted).epsilon(1e-12));
    types[0] = T("q6_K");  // not a candidate of this scan
    REQUIRE_THROWS_AS(planner.with_types(mid, types), Error);
    types.pop_back();
    REQUIRE_THROWS_AS(planner.with_types(mid, types), Error);

    VerifyOptions off, on;
    on.refine_rounds = 4;
    REQUIRE(off.refine_rounds == 0);  // the default
    int moved = 0;
    for (int k = 1; k <= 5; ++k) {
        const MixedTarget target = parse_target_size(std::to_string(lo + (hi - lo) * uint64_t(k) / 6));
        const MixedPlan plain = verify_mixed_plan(scan, planner, planner.plan(target), off);
        const MixedPlan refined = verify_mixed_plan(scan, planner, planner.plan(target), on);
        REQUIRE(plain.refinements == 0);
        REQUIRE(refined.file_bytes <= uint64_t(target.value));
        REQUIRE(refined.calibration_kld <= plain.calibration_kld);
        REQUIRE(refined.first_kld == plain.first_kld);
        std::vector<std::pair<std::string, GgmlType>> mix;
        for (const auto& t : refined.tensors) mix.emplace_back(t.name, t.type);
        REQUIRE(scan.measure_mix(mix).kld == Approx(refined.calibration_kld).epsilon(1e-12));
        if (refined.refinements > 0) {
            ++moved;
            REQUIRE(refined.calibration_kld < plain.calibration_kld);
        }
    }
    // On this model the damage model's near-ties are not all what they seem.
    REQUIRE(moved > 0);
}

TEST_CASE("sensitivity: held-apart chunks verify a plan on text the scan did not measure", "[mixed][scan]") {
    const Calib c = calib();
    SensitivityOptions o = scan_options(c);
    SensitivityScan plain(c.model, c.tokens, o);
    plain.run();
    o.verify_chunks = 2;
    SensitivityScan scan(c.model, c.tokens, o);
    REQUIRE(scan.n_steps() == plain.n_steps() + 2);
    scan.run();
    // The scan's own measurements are unchanged.
    for (size_t t = 0; t < scan.result().tensors.size(); ++t) {
        for (size_t k = 0; k < scan.result().tensors[t].cells.size(); ++k) {
            const auto& a = scan.result().tensors[t].cells[k];
            const auto& b = plain.result().tensors[t].cells[k];
            REQUIRE((std::isnan(a.kld) ? std::isnan(b.kld) : a.kld == b.kld));
        }
    }
    MixedSetup setup;
    setup.imatrix = &scan.imatrix();
    setup.imatrix_file = "imatrix.gguf";
    MixedPlanner planner(c.model->header(), scan.result(), setup);
    const uint64_t budget = (planner.min_file_bytes() + planner.max_file_bytes()) / 2;
    const MixedPlan plan = verify_mixed_plan(scan, planner, planner.plan(parse_target_size(std::to_string(budget))));
    const MixedPlan same = verify_mixed_plan(plain, planner, planner.plan(parse_target_size(std::to_string(budget))));

    const std::vector<uint8_t> f32 = read_bytes(reference_path("stories260K-f32.gguf"));
    const auto q = planned_file(f32, plan, scan);
    const auto base = LlamaModel::load_memory(f32.data(), f32.size());
    const auto quant = LlamaModel::load_memory(q.data(), q.size());
    REQUIRE(plan.first_kld == Approx(kld_on_chunks(base, quant, c, o, true)).epsilon(1e-6));
    REQUIRE(same.first_kld == Approx(kld_on_chunks(base, quant, c, o)).epsilon(1e-6));
    REQUIRE(plan.first_kld != same.first_kld);

    // The text must hold the held-apart chunks too.
    o.n_chunks = int64_t(c.tokens.size()) / o.n_ctx - 1;
    o.verify_chunks = 1;
    REQUIRE_NOTHROW(SensitivityScan(c.model, c.tokens, o));
    o.verify_chunks = 2;
    REQUIRE_THROWS_AS(SensitivityScan(c.model, c.tokens, o), Error);
    o = scan_options(c);
    o.verify_chunks = -1;
    REQUIRE_THROWS_AS(SensitivityScan(c.model, c.tokens, o), Error);
}

TEST_CASE("sensitivity: bad calibration input is a typed error", "[mixed][scan]") {
    const Calib c = calib();
    SensitivityOptions o = scan_options(c);
    o.n_chunks = 100000;
    REQUIRE_THROWS_AS(SensitivityScan(c.model, c.tokens, o), Error);
    o = scan_options(c);
    o.n_ctx = 8;
    REQUIRE_THROWS_AS(SensitivityScan(c.model, c.tokens, o), Error);
    o = scan_options(c);
    SensitivityScan scan(c.model, c.tokens, o);
    REQUIRE_THROWS_AS(scan.measure_mix({}), Error);  // not finished
}

TEST_CASE("sensitivity: the smoothed damage is gain x proxy + floor, fitted per tensor", "[mixed]") {
    SensitivityResult r;
    r.exact = true;
    r.types = {T("q3_K"), T("q4_K"), T("q6_K"), T("q8_0"), T("f16")};
    TensorSensitivity t;
    t.name = "blk.0.attn_q.weight";
    const double proxy[] = {4.0, 1.0, 0.1, 0.01, 1e-5};
    for (int i = 0; i < 5; ++i) {
        SensitivityCell c;
        c.type = r.types[size_t(i)];
        c.proxy = proxy[i];
        c.kld = 0.5 * proxy[i] + 0.002;  // gain 0.5, floor 0.002: recovered exactly
        t.cells.push_back(c);
    }
    t.cells[4].kld = 1e-7;             // f16 keeps what was measured
    t.cells[1].kld = std::nan("");     // not measured: estimated all the same
    r.tensors.push_back(t);
    TensorSensitivity u = t;           // no floor: gain alone
    u.name = "blk.1.attn_q.weight";
    for (auto& c : u.cells) if (!std::isnan(c.kld) && c.type != GgmlType::F16) c.kld = 0.25 * c.proxy;
    r.tensors.push_back(u);
    TensorSensitivity v = t;           // nothing usable: borrows the median gain
    v.name = "blk.2.attn_q.weight";
    for (auto& c : v.cells) c.kld = std::nan("");
    r.tensors.push_back(v);
    estimate_damage(r, DamageModel::Smoothed);
    for (int i = 0; i < 4; ++i) {
        REQUIRE(r.tensors[0].cells[size_t(i)].damage == Approx(0.5 * proxy[i] + 0.002));
        REQUIRE(r.tensors[1].cells[size_t(i)].damage == Approx(0.25 * proxy[i]));
    }
    REQUIRE(r.tensors[0].cells[4].damage == 1e-7);
    REQUIRE(r.tensors[2].cells[0].damage == Approx(0.5 * 4.0));  // median of gains 0.25 and 0.5: 0.5
    estimate_damage(r, DamageModel::Measured);
    REQUIRE(r.tensors[0].cells[0].damage == Approx(2.002));
    REQUIRE(r.tensors[0].cells[1].damage == Approx(0.5 + 0.002));  // unmeasured: the fit
    r.exact = false;
    estimate_damage(r, DamageModel::Smoothed);
    REQUIRE(r.tensors[0].cells[2].damage == 0.1);
    REQUIRE(parse_damage_model("measured") == DamageModel::Measured);
    REQUIRE_THROWS_AS(parse_damage_model("raw"), Error);
}

TEST_CASE("sensitivity: a partial scan measures only the exact formats", "[mixed][scan]") {
    const Calib c = calib();
    SensitivityOptions o = scan_options(c);
    o.exact_types = {T("q4_0")};
    SensitivityScan scan(c.model, c.tokens, o);
    scan.run();
    for (const auto& t : scan.result().tensors) {
        if (t.kind == "ffn_down") {  // q4_0 does not fit its rows: its smallest format (f16) is measured
            REQUIRE(t.cells[3].kld >= 0);
            REQUIRE(t.cells[3].damage >= 0);
            continue;
        }
        REQUIRE(t.cells[0].kld > 0);
        REQUIRE(std::isnan(t.cells[2].kld));
        REQUIRE(t.cells[2].damage > 0);
        REQUIRE(t.cells[2].damage < t.cells[0].damage);
    }
    o.exact_types = {T("q5_K")};
    REQUIRE_THROWS_AS(SensitivityScan(c.model, c.tokens, o), Error);
}

TEST_CASE("sensitivity: imatrix-only formats are off for tensors the importance matrix lacks", "[mixed][scan]") {
    // The built-in model's rows (256, 768 values) fit IQ2_XXS; token_embd is a
    // lookup, so a computed importance matrix never has it, and ggml's IQ2_XXS
    // quantizer takes no tensor without one.
    const auto model = LlamaModel::load_file(models_dir() + "/quantlab-stories-4M.gguf");
    const Tokenizer tok = Tokenizer::from_gguf(model->header());
    std::ifstream in(models_dir() + "/heldout.txt");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto tokens = tok.tokenize(text.substr(0, 2000), true);
    SensitivityOptions o;
    o.types = {T("iq2_xxs"), T("q4_K")};
    o.exact = false;  // the proxy alone: one forward pass
    o.n_ctx = 32;
    o.n_chunks = 1;
    o.imatrix_chunks = 1;
    o.bos = tok.bos();
    SensitivityScan scan(model, tokens, o);
    scan.run();
    int measured = 0;
    for (const auto& t : scan.result().tensors) {
        INFO(t.name);
        REQUIRE(t.cells[1].rejected == "");
        if (t.name == "token_embd.weight") {
            REQUIRE(t.cells[0].rejected.find("importance matrix") != std::string::npos);
        } else {
            REQUIRE(t.cells[0].rejected == "");
            REQUIRE(t.cells[0].proxy > t.cells[1].proxy);  // 2.06 bits hurt more than 4.5
            ++measured;
        }
    }
    REQUIRE(measured == 29);
}

TEST_CASE("sensitivity: the figures do not depend on the thread count or on sharing a pool", "[mixed][scan][threads]") {
    const Calib c = calib();
    SensitivityOptions o = scan_options(c);
    o.types = {T("q4_0"), T("q8_0")};
    o.n_chunks = 1;
    o.verify_chunks = 1;
    o.imatrix_chunks = 2;
    struct Run {
        SensitivityResult result;
        ImatrixData imatrix;
        MixMeasurement mix;
        int threads;
    };
    auto scan_with = [&](int threads, std::shared_ptr<ThreadPool> pool) {
        SensitivityOptions so = o;
        so.threads = threads;
        so.pool = std::move(pool);
        SensitivityScan scan(c.model, c.tokens, so);
        scan.run();
        const MixMeasurement mix = scan.measure_mix({{"blk.0.attn_q.weight", T("q4_0")}, {"output.weight", T("q8_0")}});
        return Run{scan.result(), scan.imatrix(), mix, scan.result().threads};
    };
    const Run one = scan_with(1, nullptr);
    REQUIRE(one.threads == 1);
    REQUIRE(one.mix.kld > 0);
    ContextOptions co;
    co.threads = 2;
    const LlamaContext owner(c.model, co);  // the pool a second context shares, as the JS scan does the model's
    const Run three = scan_with(3, nullptr), shared = scan_with(3, owner.shared_pool());
    REQUIRE(three.threads == resolve_thread_count(3));  // 1 in a build without threads
    REQUIRE(shared.threads == owner.threads());         // the shared pool's size, not the option
    for (const Run& other : {three, shared}) {
        REQUIRE(other.result.base_ppl == one.result.base_ppl);
        REQUIRE(other.result.tensors.size() == one.result.tensors.size());
        for (size_t t = 0; t < one.result.tensors.size(); ++t) {
            for (size_t k = 0; k < one.result.tensors[t].cells.size(); ++k) {
                const SensitivityCell &a = one.result.tensors[t].cells[k], &b = other.result.tensors[t].cells[k];
                INFO(one.result.tensors[t].name << " " << k);
                REQUIRE(a.rejected == b.rejected);
                if (!a.rejected.empty()) continue;
                REQUIRE(b.proxy == a.proxy);
                REQUIRE((std::isnan(a.kld) ? std::isnan(b.kld) : b.kld == a.kld));
            }
        }
        REQUIRE(other.imatrix.entries.size() == one.imatrix.entries.size());
        for (const auto& [name, e] : one.imatrix.entries) REQUIRE(*other.imatrix.find(name) == e);
        REQUIRE(other.mix.kld == one.mix.kld);
        REQUIRE(other.mix.ppl == one.mix.ppl);
    }
}
