#include "quantize/mixed_precision.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <tuple>

#include "core/error.h"
#include "core/json_writer.h"
#include "formats/type_traits.h"

namespace quantlab {

namespace {

uint64_t aligned_size(uint64_t bytes, uint32_t align) { return (bytes + align - 1) / align * align; }

std::string regex_escape(const std::string& s) {
    std::string r;
    for (char c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') r += '\\';
        r += c;
    }
    return r;
}

std::string fmt(const char* f, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

// The ftype a file whose largest share of bytes is in `t` is labelled with:
// a medium mix for the K-quants, never one that demands an imatrix (Q2_K_S).
const FtypeInfo* ftype_for(GgmlType t) {
    const FtypeInfo* pick = nullptr;
    for (const auto& f : all_ftypes()) {
        if (f.default_type != t || is_float_type(f.default_type) || f.ftype == LlamaFtype::MOSTLY_Q2_K_S) continue;
        const std::string n = f.name;
        const bool medium = n.size() > 2 && n.compare(n.size() - 2, 2, "_M") == 0;
        if (!pick || medium) pick = &f;
    }
    return pick;
}

constexpr const char* kKeyTarget = "quantize.mixed.target";
constexpr const char* kKeyMethod = "quantize.mixed.method";
constexpr const char* kKeyCalibration = "quantize.mixed.calibration";
constexpr const char* kKeyPredicted = "quantize.mixed.predicted";
constexpr const char* kKeyMeasured = "quantize.mixed.measured_kld";

}  // namespace

std::string MixedTarget::text() const {
    if (kind == Kind::BitsPerWeight) return "bpw " + fmt("%.9g", value);
    return "size " + std::to_string(uint64_t(value));
}

MixedTarget parse_target_size(const std::string& text) {
    std::string s;
    for (char c : text) {
        if (!std::isspace(static_cast<unsigned char>(c))) s += char(std::toupper(static_cast<unsigned char>(c)));
    }
    auto strip = [&s](const char* suffix) {
        const std::string x = suffix;
        if (s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0) {
            s.resize(s.size() - x.size());
            return true;
        }
        return false;
    };
    double mult = 1.0;
    if (strip("KIB") || strip("KB") || strip("K")) mult = 1024.0;
    else if (strip("MIB") || strip("MB") || strip("M")) mult = 1024.0 * 1024.0;
    else if (strip("GIB") || strip("GB") || strip("G")) mult = 1024.0 * 1024.0 * 1024.0;
    else strip("B");
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || !(v > 0) || !std::isfinite(v)) {
        throw Error(ErrorCode::InvalidArgument, "bad target size '" + text + "' (bytes, or a number with K, M or G)");
    }
    MixedTarget t;
    t.kind = MixedTarget::Kind::FileBytes;
    t.value = std::floor(v * mult);
    if (t.value < 1) throw Error(ErrorCode::InvalidArgument, "bad target size '" + text + "'");
    return t;
}

MixedTarget target_bpw(double bpw) {
    if (!(bpw > 0) || !std::isfinite(bpw)) throw Error(ErrorCode::InvalidArgument, "the target bits per weight must be positive");
    MixedTarget t;
    t.kind = MixedTarget::Kind::BitsPerWeight;
    t.value = bpw;
    return t;
}

std::vector<std::string> MixedPlan::tensor_type_args() const {
    // Group "blk.N.<kind>.weight" by (kind, format) into one alternation of
    // layer numbers; other tensors get an anchored pattern of their own.
    std::map<std::pair<std::string, std::string>, std::vector<std::string>> groups;
    std::vector<std::string> out;
    for (const auto& t : tensors) {
        const std::string type = type_traits(t.type).name;
        int il = -1, used = 0;
        if (std::sscanf(t.name.c_str(), "blk.%d.%n", &il, &used) == 1 && used > 0 && il >= 0 &&
            t.name.compare(0, size_t(used), "blk." + std::to_string(il) + ".") == 0) {
            groups[{t.name.substr(size_t(used)), type}].push_back(std::to_string(il));
        } else {
            out.push_back("^" + regex_escape(t.name) + "$=" + type);
        }
    }
    for (const auto& [key, layers] : groups) {
        std::string alt;
        for (const auto& l : layers) alt += (alt.empty() ? "" : "|") + l;
        out.push_back("^blk\\.(" + alt + ")\\." + regex_escape(key.first) + "$=" + key.second);
    }
    return out;
}

std::vector<std::pair<std::string, GgufValue>> MixedPlan::metadata() const {
    std::vector<std::pair<std::string, GgufValue>> kv;
    auto str = [](const std::string& s) { return GgufValue::string(s.substr(0, 127)); };
    kv.emplace_back(kKeyTarget, str(target.text()));
    kv.emplace_back(kKeyMethod, str(method));
    kv.emplace_back(kKeyCalibration, str(calibration));
    kv.emplace_back(kKeyPredicted, GgufValue::f32(float(predicted)));
    if (verified || !std::isnan(calibration_kld)) kv.emplace_back(kKeyMeasured, GgufValue::f32(float(calibration_kld)));
    kv.insert(kv.end(), extra_metadata.begin(), extra_metadata.end());
    return kv;
}

std::vector<std::string> MixedPlan::override_kv_args() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : metadata()) {
        if (v.type() == GgufType::STRING) out.push_back(k + "=str:" + v.as_string());
        else if (v.type() == GgufType::BOOL) out.push_back(k + "=bool:" + (v.as_bool() ? "true" : "false"));
        else if (v.type() == GgufType::FLOAT32) out.push_back(k + "=float:" + fmt("%.9g", v.as_f64()));
        else out.push_back(k + "=int:" + std::to_string(v.as_u64()));
    }
    return out;
}

QuantizeParams MixedPlan::quantize_params() const {
    QuantizeParams p;
    p.ftype = ftype;
    for (const auto& a : tensor_type_args()) p.tensor_types.push_back(parse_tensor_type_override(a));
    // Through the --override-kv parser, so the CLI arguments and this plan write the same keys.
    for (const auto& a : override_kv_args()) p.kv_overrides.push_back(parse_kv_override(a));
    return p;
}

std::string mixed_plan_to_json(const MixedPlan& p, const std::string& imatrix_file) {
    JsonWriter j;
    j.begin_object();
    j.field("target", p.target.text());
    j.key("targetKind").value(p.target.kind == MixedTarget::Kind::BitsPerWeight ? "bpw" : "bytes");
    j.field("targetValue", p.target.value).field("budget", p.budget);
    j.field("ftype", ftype_info(p.ftype).name).field("fileBytes", p.file_bytes).field("tensorBytes", p.tensor_bytes);
    j.field("bitsPerWeight", p.bits_per_weight()).field("exact", p.exact).field("predicted", p.predicted);
    j.field("method", p.method).field("calibration", p.calibration);
    j.field("verified", p.verified).field("calibrationKld", p.calibration_kld).field("firstKld", p.first_kld);
    j.field("calibrationPpl", p.calibration_ppl).field("basePpl", p.base_ppl).field("corrections", p.corrections);
    j.field("refinements", p.refinements);
    j.key("tensors").begin_array();
    for (const auto& t : p.tensors) {
        j.begin_object().field("name", t.name).field("type", type_traits(t.type).name).field("bytes", t.bytes);
        j.field("damage", t.damage).end_object();
    }
    j.end_array();
    j.key("tensorTypes").begin_array();
    for (const auto& a : p.tensor_type_args()) j.value(a);
    j.end_array();
    j.key("overrideKv").begin_array();
    for (const auto& a : p.override_kv_args()) j.value(a);
    j.end_array();
    if (!imatrix_file.empty()) j.field("imatrix", imatrix_file);
    j.end_object();
    return j.str();
}

// ---------------------------------------------------------------- planner

MixedPlanner::MixedPlanner(const GgufHeader& input, const SensitivityResult& scan, MixedSetup setup)
    : input_(input), scan_(scan), setup_(std::move(setup)) {
    if (scan_.tensors.empty()) throw Error(ErrorCode::InvalidArgument, "the scan decided no tensor");
    scale_.assign(scan_.tensors.size(), 1.0);
    for (const auto& t : input_.tensors) n_elements_ += uint64_t(t.n_elements());
    rebuild();
}

namespace {

// The output layout quantize would produce for these params.
struct Layout {
    QuantPlan plan;
    uint64_t data_offset = 0;
    uint64_t file_bytes = 0;
};

Layout layout_of(const GgufHeader& input, const QuantizeParams& params, const MixedSetup& setup) {
    ModelQuantizeOptions mo;
    mo.params = params;
    mo.params.has_imatrix = setup.imatrix && !setup.imatrix->entries.empty();
    mo.params.dry_run = true;
    mo.imatrix = setup.imatrix;
    mo.imatrix_file = setup.imatrix_file;
    Layout l;
    l.plan = plan_quantization(input, mo.params);
    const GgufWriter w = build_output_headers(input, l.plan, mo).front();  // one file: no split options
    l.data_offset = w.data_offset();
    l.file_bytes = w.file_size();
    return l;
}

}  // namespace

void MixedPlanner::rebuild() {
    std::vector<AllocationItem> padded_items, plain_items;
    const uint32_t align = input_.alignment ? input_.alignment : 32;
    for (size_t i = 0; i < scan_.tensors.size(); ++i) {
        const TensorSensitivity& t = scan_.tensors[i];
        AllocationItem p, u;
        p.name = u.name = t.name;
        for (const auto& c : t.cells) {
            if (!c.rejected.empty()) continue;
            const double d = c.damage;
            if (std::isnan(d)) continue;
            const double damage = std::max(0.0, d) * scale_[i];
            p.options.push_back({c.type, aligned_size(c.bytes, align), damage});
            u.options.push_back({c.type, c.bytes, damage});
        }
        if (p.options.empty()) throw Error(ErrorCode::InvalidArgument, "no format was measured for tensor " + t.name);
        padded_items.push_back(std::move(p));
        plain_items.push_back(std::move(u));
    }
    items_ = plain_items;
    padded_ = std::make_shared<const AllocationTable>(std::move(padded_items));
    unpadded_ = std::make_shared<const AllocationTable>(std::move(plain_items));

    // Bytes outside the plan: every other tensor, and (for files) the header.
    fixed_tensor_ = 0;
    fixed_file_ = 0;
    std::map<std::string, bool> decided;
    for (const auto& t : scan_.tensors) decided[t.name] = true;
    for (const auto& t : input_.tensors) {
        if (decided.count(t.name)) continue;
        fixed_tensor_ += t.size_bytes;
        fixed_file_ += aligned_size(t.size_bytes, align);
    }
}

void MixedPlanner::scale_damage(const std::string& name, double factor) {
    if (!(factor > 0) || !std::isfinite(factor)) throw Error(ErrorCode::InvalidArgument, "a damage scale must be positive");
    for (size_t i = 0; i < scan_.tensors.size(); ++i) {
        if (scan_.tensors[i].name == name) {
            scale_[i] *= factor;
            rebuild();
            return;
        }
    }
    throw Error(ErrorCode::InvalidArgument, "the plan decides no tensor '" + name + "'");
}

double MixedPlanner::damage_scale(const std::string& name) const {
    for (size_t i = 0; i < scan_.tensors.size(); ++i) {
        if (scan_.tensors[i].name == name) return scale_[i];
    }
    return 1.0;
}

MixedPlan MixedPlanner::plan(const MixedTarget& target) const {
    // The header depends on the recorded keys, so measure it with this target's.
    MixedPlan probe = finish(target, 0, padded_->best(padded_->max_bytes()), true);
    const Layout l = layout_of(input_, probe.quantize_params(), setup_);
    if (target.kind == MixedTarget::Kind::FileBytes) {
        const uint64_t budget = uint64_t(target.value);
        const uint64_t fixed = l.data_offset + fixed_file_;
        if (budget < fixed + padded_->min_bytes()) {
            throw Error(ErrorCode::InvalidArgument, "a file of " + std::to_string(budget) + " bytes is too small: the smallest plan takes " +
                                                        std::to_string(fixed + padded_->min_bytes()));
        }
        return finish(target, budget, padded_->best(budget - fixed), true);
    }
    const uint64_t budget = uint64_t(std::floor(target.value * double(n_elements_) / 8.0));
    if (budget < fixed_tensor_ + unpadded_->min_bytes()) {
        throw Error(ErrorCode::InvalidArgument,
                    fmt("%.4g bits per weight is too few: the smallest plan takes ", target.value) +
                        fmt("%.4f", 8.0 * double(fixed_tensor_ + unpadded_->min_bytes()) / double(n_elements_)));
    }
    return finish(target, budget, unpadded_->best(budget - fixed_tensor_), false);
}

MixedPlan MixedPlanner::with_types(const MixedPlan& base, const std::vector<GgmlType>& types) const {
    const auto& items = unpadded_->items();
    if (types.size() != items.size()) throw Error(ErrorCode::InvalidArgument, "one format per decided tensor is needed");
    Allocation a;
    for (size_t i = 0; i < items.size(); ++i) {
        size_t k = 0;
        while (k < items[i].options.size() && items[i].options[k].type != types[i]) ++k;
        if (k == items[i].options.size()) {
            throw Error(ErrorCode::InvalidArgument, std::string("format ") + type_traits(types[i]).name +
                                                        " is not an option for " + items[i].name);
        }
        a.choice.push_back(k);
    }
    MixedPlan p = finish(base.target, base.budget, a, base.target.kind == MixedTarget::Kind::FileBytes);
    return p;
}

MixedPlan MixedPlanner::finish(const MixedTarget& target, uint64_t budget, const Allocation& a, bool) const {
    MixedPlan p;
    p.target = target;
    p.budget = budget;
    p.exact = scan_.exact;
    p.calibration = setup_.calibration;
    p.method = scan_.exact ? "quantlab: KLD of each tensor alone, " + std::to_string(scan_.n_chunks) + "x" +
                                 std::to_string(scan_.n_ctx) + " calibration tokens" +
                                 (scan_.damage == DamageModel::Smoothed ? ", smoothed by the proxy" : "") + "; exact knapsack"
                           : "quantlab: imatrix-weighted squared error proxy; exact knapsack";
    if (setup_.will_verify) p.calibration_kld = 0.0;  // the key is written; the value comes with verification
    p.extra_metadata = setup_.extra_metadata;
    std::map<GgmlType, uint64_t> by_type;
    const AllocationTable& table = *unpadded_;
    for (size_t i = 0; i < table.items().size(); ++i) {
        const AllocationOption& o = table.items()[i].options[a.choice[i]];
        p.tensors.push_back({table.items()[i].name, o.type, o.bytes, o.damage});
        p.predicted += o.damage;
        by_type[o.type] += o.bytes;
    }
    // general.file_type: the ftype of the format holding the most bytes.
    std::vector<std::pair<uint64_t, GgmlType>> shares;
    for (const auto& [t, b] : by_type) shares.emplace_back(b, t);
    std::sort(shares.rbegin(), shares.rend());
    p.ftype = LlamaFtype::MOSTLY_Q8_0;
    for (const auto& s : shares) {
        if (const FtypeInfo* f = ftype_for(s.second)) {
            p.ftype = f->ftype;
            break;
        }
    }
    const Layout l = layout_of(input_, p.quantize_params(), setup_);
    p.file_bytes = l.file_bytes;
    p.tensor_bytes = l.plan.new_bytes;
    p.n_elements = l.plan.n_elements;
    return p;
}

uint64_t MixedPlanner::min_file_bytes() const {
    return plan(target_bpw(8.0 * double(fixed_tensor_ + unpadded_->min_bytes()) / double(n_elements_) + 1e-9)).file_bytes;
}

uint64_t MixedPlanner::max_file_bytes() const {
    return plan(target_bpw(8.0 * double(fixed_tensor_ + unpadded_->max_bytes()) / double(n_elements_) + 1e-6)).file_bytes;
}

std::vector<std::pair<uint64_t, double>> MixedPlanner::file_frontier() const {
    const MixedPlan probe = finish(target_bpw(1.0), 0, padded_->best(padded_->max_bytes()), true);
    const uint64_t fixed = layout_of(input_, probe.quantize_params(), setup_).data_offset + fixed_file_;
    std::vector<std::pair<uint64_t, double>> out;
    for (const auto& [bytes, damage] : padded_->frontier()) out.emplace_back(bytes + fixed, damage);
    return out;
}

std::vector<std::pair<std::string, GgmlType>> MixedPlanner::ftype_mix(LlamaFtype ftype) const {
    QuantizeParams qp;
    qp.ftype = ftype;
    qp.dry_run = true;
    qp.has_imatrix = setup_.imatrix && !setup_.imatrix->entries.empty();
    const QuantPlan plan = plan_quantization(input_, qp);
    std::vector<std::pair<std::string, GgmlType>> mix;
    for (const auto& t : plan.tensors) {
        if (t.convert) mix.emplace_back(t.name, t.new_type);
    }
    return mix;
}

uint64_t MixedPlanner::ftype_file_bytes(LlamaFtype ftype) const {
    QuantizeParams qp;
    qp.ftype = ftype;
    return layout_of(input_, qp, setup_).file_bytes;
}

// ---------------------------------------------------------------- verification

namespace {

std::vector<std::pair<std::string, GgmlType>> mix_of(const MixedPlan& p) {
    std::vector<std::pair<std::string, GgmlType>> m;
    for (const auto& t : p.tensors) m.emplace_back(t.name, t.type);
    return m;
}

void record(MixedPlan& p, const MixMeasurement& m) {
    p.verified = true;
    p.calibration_kld = m.kld;
    p.calibration_ppl = m.ppl;
    p.base_ppl = m.base_ppl;
}

}  // namespace

namespace {

// One tensor's neighbours on its Pareto front under the planner's damages:
// the cheapest option predicted less damaging (a step up) and the least
// damaging smaller option (a step down); npos where there is none.
struct Steps {
    size_t up = size_t(-1), down = size_t(-1);
};

Steps steps_of(const AllocationItem& item, GgmlType current) {
    const AllocationOption* cur = nullptr;
    for (const auto& o : item.options) {
        if (o.type == current) cur = &o;
    }
    Steps s;
    if (!cur) return s;
    for (size_t k = 0; k < item.options.size(); ++k) {
        const AllocationOption& o = item.options[k];
        if (o.bytes > cur->bytes && o.damage < cur->damage) {
            const AllocationOption* u = s.up == size_t(-1) ? nullptr : &item.options[s.up];
            if (!u || o.bytes < u->bytes || (o.bytes == u->bytes && o.damage < u->damage)) s.up = k;
        }
        if (o.bytes < cur->bytes) {
            const AllocationOption* d = s.down == size_t(-1) ? nullptr : &item.options[s.down];
            if (!d || o.damage < d->damage || (o.damage == d->damage && o.bytes > d->bytes)) s.down = k;
        }
    }
    return s;
}

// Why: the plan minimises a sum of per-tensor damages measured one tensor at
// a time (and smoothed by the proxy). Where two moves are predicted to be
// nearly even, that model's errors (interactions between tensors, one floor
// per tensor for formats that multiply with differently quantized
// activations, sampling noise) decide, so those neighbours are measured as
// whole mixes instead. Only moves that keep the plan within its budget.
MixedPlan refine_by_measurement(SensitivityScan& scan, const MixedPlanner& planner, MixedPlan best, const VerifyOptions& opt) {
    const auto& items = planner.items();
    std::set<std::vector<GgmlType>> seen;
    auto types_of = [](const MixedPlan& p) {
        std::vector<GgmlType> t;
        for (const auto& c : p.tensors) t.push_back(c.type);
        return t;
    };
    seen.insert(types_of(best));
    for (int round = 0; round < opt.refine_rounds; ++round) {
        const std::vector<GgmlType> cur = types_of(best);
        std::vector<Steps> steps;
        for (size_t i = 0; i < items.size(); ++i) steps.push_back(steps_of(items[i], cur[i]));
        auto damage = [&](size_t i, size_t k) { return items[i].options[k].damage; };
        auto now = [&](size_t i) {
            for (const auto& o : items[i].options) {
                if (o.type == cur[i]) return o.damage;
            }
            return best.tensors[i].damage;
        };
        // (predicted change of the total damage, tensor up, tensor down or npos)
        std::vector<std::tuple<double, size_t, size_t>> moves;
        for (size_t i = 0; i < items.size(); ++i) {
            if (steps[i].up == size_t(-1)) continue;
            const double gain = damage(i, steps[i].up) - now(i);
            moves.emplace_back(gain, i, size_t(-1));
            for (size_t j = 0; j < items.size(); ++j) {
                if (j == i || steps[j].down == size_t(-1)) continue;
                moves.emplace_back(gain + damage(j, steps[j].down) - now(j), i, j);
            }
        }
        std::sort(moves.begin(), moves.end());
        MixedPlan round_best = best;
        int probed = 0;
        for (const auto& [delta, i, j] : moves) {
            if (probed >= opt.refine_probes) break;
            std::vector<GgmlType> t = cur;
            t[i] = items[i].options[steps[i].up].type;
            if (j != size_t(-1)) t[j] = items[j].options[steps[j].down].type;
            if (!seen.insert(t).second) continue;
            MixedPlan next = planner.with_types(best, t);
            if (!MixedPlanner::fits(next)) continue;
            record(next, scan.measure_mix(mix_of(next)));
            ++probed;
            if (next.calibration_kld < round_best.calibration_kld) round_best = std::move(next);
        }
        if (round_best.calibration_kld >= best.calibration_kld) break;
        round_best.first_kld = best.first_kld;
        round_best.corrections = best.corrections;
        round_best.refinements = best.refinements + 1;
        best = std::move(round_best);
    }
    return best;
}

}  // namespace

MixedPlan verify_mixed_plan(SensitivityScan& scan, const MixedPlanner& original, MixedPlan plan, const VerifyOptions& opt) {
    MixedPlanner planner = original;
    if (!plan.exact) throw Error(ErrorCode::InvalidArgument, "only plans from an exact scan can be verified");
    if (plan.tensors.size() != planner.items().size()) throw Error(ErrorCode::InvalidArgument, "the plan is not one of this planner's");
    if (std::isnan(plan.calibration_kld)) {
        throw Error(ErrorCode::InvalidArgument, "the plan was made without room for the measured KLD (MixedSetup::will_verify)");
    }
    record(plan, scan.measure_mix(mix_of(plan)));
    plan.first_kld = plan.calibration_kld;
    MixedPlan best = plan;
    const SensitivityResult& r = planner.scan();
    for (int round = 0; round < opt.max_rounds; ++round) {
        if (best.calibration_kld <= best.predicted * (1.0 + opt.tolerance)) break;
        // The largest predicted contributors, measured in context one step up their front.
        std::vector<size_t> order(best.tensors.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return best.tensors[a].damage > best.tensors[b].damage; });
        int probed = 0;
        for (size_t i : order) {
            if (probed >= opt.probes) break;
            const MixedTensorChoice& cur = best.tensors[i];
            const TensorSensitivity* ts = nullptr;
            for (const auto& t : r.tensors) {
                if (t.name == cur.name) ts = &t;
            }
            if (!ts) continue;
            // The smallest option that is larger and predicted less damaging.
            const SensitivityCell* next = nullptr;
            const double scale = planner.damage_scale(cur.name);
            for (const auto& c : ts->cells) {
                if (!c.rejected.empty() || std::isnan(c.damage) || c.bytes <= cur.bytes) continue;
                if (std::max(0.0, c.damage) * scale >= cur.damage) continue;
                if (!next || c.bytes < next->bytes || (c.bytes == next->bytes && c.damage < next->damage)) next = &c;
            }
            if (!next) continue;
            auto mix = mix_of(best);
            mix[i].second = next->type;
            const MixMeasurement m = scan.measure_mix(mix);
            const double gained = best.calibration_kld - m.kld;
            const double predicted = cur.damage - std::max(0.0, next->damage) * scale;
            if (predicted > 0) planner.scale_damage(cur.name, std::clamp(gained / predicted, 0.25, 4.0));
            ++probed;
        }
        if (probed == 0) break;
        MixedPlan again = planner.plan(best.target);
        record(again, scan.measure_mix(mix_of(again)));
        again.first_kld = plan.first_kld;
        again.corrections = round + 1;
        if (again.calibration_kld < best.calibration_kld) best = again;
        else best.corrections = round + 1;
    }
    return refine_by_measurement(scan, planner, std::move(best), opt);
}

}  // namespace quantlab
