// embind surface of mixed precision (src/quantize/mixed_precision.h). A
// MixedScan works on a loaded Engine's model: JS drives the sensitivity scan
// one step at a time (progress, cancellation), then asks for plans at any
// budget (one knapsack table serves them all), verifies a plan on the
// calibration chunks, and measures the standard file types for comparison.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "engine_access.h"
#include "guarded.h"
#include "quantize/mixed_json.h"
#include "quantize/mixed_precision.h"
#include "quantize/mixed_types.h"

using emscripten::val;
using namespace quantlab;

namespace {

template <class Fn>
val guarded(Fn&& fn) {
    return bindings::guarded_call(std::forward<Fn>(fn), "this scan");
}

bool has(const val& o, const char* key) {
    const val v = o[key];
    return !v.isUndefined() && !v.isNull();
}

double number(const val& o, const char* key, double fallback) {
    if (!has(o, key)) return fallback;
    const val v = o[key];
    if (v.typeOf().as<std::string>() != "number") throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be a number");
    return v.as<double>();
}

int64_t count(const val& o, const char* key, int64_t fallback) {
    const double d = number(o, key, double(fallback));
    if (!(d == std::floor(d)) || std::fabs(d) > 1e9) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an integer");
    return int64_t(d);
}

// An array of format names as "a,b,c" for parse_candidate_types.
std::string type_list(const val& o, const char* key) {
    const val t = o[key];
    if (!t.isArray()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an array of format names");
    std::string list;
    for (size_t i = 0; i < t["length"].as<size_t>(); ++i) {
        if (!t[i].isString()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an array of format names");
        list += t[i].as<std::string>() + ",";
    }
    return list;
}

val nan_or(double d) { return std::isnan(d) ? val::null() : val(d); }

val plan_object(const MixedPlan& p) {
    val o = val::object();
    o.set("target", p.target.text());
    if (p.target.kind == MixedTarget::Kind::BitsPerWeight) o.set("targetBpw", p.target.value);
    else o.set("targetBytes", p.target.value);
    o.set("ftype", std::string(ftype_info(p.ftype).name));
    o.set("fileBytes", double(p.file_bytes));
    o.set("tensorBytes", double(p.tensor_bytes));
    o.set("bitsPerWeight", p.bits_per_weight());
    o.set("exact", p.exact);
    o.set("predicted", p.predicted);
    o.set("method", p.method);
    o.set("calibration", p.calibration);
    o.set("verified", p.verified);
    o.set("calibrationKld", p.verified ? val(p.calibration_kld) : val::null());
    o.set("firstKld", nan_or(p.first_kld));
    o.set("calibrationPpl", nan_or(p.calibration_ppl));
    o.set("basePpl", nan_or(p.base_ppl));
    o.set("corrections", p.corrections);
    o.set("refinements", p.refinements);
    val tensors = val::array();
    for (const auto& t : p.tensors) {
        val ti = val::object();
        ti.set("name", t.name);
        ti.set("type", std::string(type_traits(t.type).name));
        ti.set("bytes", double(t.bytes));
        ti.set("damage", t.damage);
        tensors.call<void>("push", ti);
    }
    o.set("tensors", tensors);
    val tt = val::array();
    for (const auto& a : p.tensor_type_args()) tt.call<void>("push", a);
    o.set("tensorTypes", tt);
    val kv = val::array();
    for (const auto& a : p.override_kv_args()) kv.call<void>("push", a);
    o.set("overrideKv", kv);
    return o;
}

val sensitivity_object(const SensitivityResult& r) {
    val o = val::object();
    val types = val::array();
    for (GgmlType t : r.types) types.call<void>("push", std::string(type_traits(t).name));
    o.set("types", types);
    o.set("exact", r.exact);
    o.set("damageModel", std::string(r.damage == DamageModel::Smoothed ? "smoothed" : "measured"));
    o.set("nCtx", double(r.n_ctx));
    o.set("nChunks", double(r.n_chunks));
    o.set("nScored", double(r.n_scored));
    o.set("basePpl", r.base_ppl);
    o.set("imatrixComputed", r.imatrix_computed);
    o.set("seconds", r.seconds);
    o.set("threads", r.threads);
    val tensors = val::array();
    for (const auto& t : r.tensors) {
        val ti = val::object();
        ti.set("name", t.name);
        ti.set("kind", t.kind);
        ti.set("layer", t.layer);
        val shape = val::array();
        for (int64_t d : t.ne) shape.call<void>("push", double(d));
        ti.set("shape", shape);
        val cells = val::array();
        for (const auto& c : t.cells) {
            val ci = val::object();
            ci.set("type", std::string(type_traits(c.type).name));
            if (!c.rejected.empty()) {
                ci.set("rejected", c.rejected);
            } else {
                ci.set("bytes", double(c.bytes));
                ci.set("kld", nan_or(c.kld));
                ci.set("damage", nan_or(c.damage));
                ci.set("proxy", nan_or(c.proxy));
            }
            cells.call<void>("push", ci);
        }
        ti.set("cells", cells);
        tensors.call<void>("push", ti);
    }
    o.set("tensors", tensors);
    if (r.exact) {
        const ProxyAgreement a = proxy_agreement(r);
        val s = val::object();
        for (const auto& [t, rho] : a.per_type) s.set(type_traits(t).name, nan_or(rho));
        s.set("all", nan_or(a.all_cells));
        o.set("spearman", s);
    }
    return o;
}

}  // namespace

class MixedScanJs {
public:
    // options: types (string[]), exact, nCtx, chunks, imatrixChunks, imatrix
    // (pointer/length of an imatrix file copied in by JS), imatrixName, calibrationName.
    MixedScanJs(double engine, std::string text, val options, uintptr_t imatrix_ptr, double imatrix_len)
        : engine_(engine), text_(std::move(text)), options_(std::move(options)), imatrix_ptr_(imatrix_ptr),
          imatrix_len_(imatrix_len) {}

    val start() {
        return guarded([&] {
            Engine& engine = bindings::engine_from_handle(engine_);
            model_ = bindings::engine_model(engine);
            const Tokenizer& tok = bindings::engine_tokenizer(engine);
            const val& o = options_;
            SensitivityOptions so;
            if (has(o, "types")) so.types = parse_candidate_types(type_list(o, "types"));
            if (has(o, "exactTypes")) so.exact_types = parse_candidate_types(type_list(o, "exactTypes"));
            if (has(o, "damage")) {
                const std::string d = o["damage"].isString() ? o["damage"].as<std::string>() : "";
                if (d != "smoothed" && d != "measured") throw Error(ErrorCode::InvalidArgument, "damage must be 'smoothed' or 'measured'");
                so.damage = d == "smoothed" ? DamageModel::Smoothed : DamageModel::Measured;
            }
            so.exact = !has(o, "exact") || o["exact"].as<bool>();
            so.n_ctx = count(o, "nCtx", 256);
            so.n_chunks = count(o, "chunks", 2);
            so.imatrix_chunks = count(o, "imatrixChunks", -1);
            so.first_scored = count(o, "firstScored", 0);
            so.pool = bindings::engine_pool(engine);  // the model's threads
            so.add_bos = tok.add_bos_default();
            so.bos = tok.bos();
            calibration_ = has(o, "calibrationName") ? o["calibrationName"].as<std::string>() : "calibration.txt";
            imatrix_name_ = has(o, "imatrixName") ? o["imatrixName"].as<std::string>() : "imatrix.gguf";
            so.dataset = calibration_;
            if (imatrix_len_ > 0) {
                given_ = parse_imatrix(reinterpret_cast<const uint8_t*>(imatrix_ptr_), size_t(imatrix_len_));
                so.imatrix = &given_;
            }
            auto tokens = tok.tokenize(text_, tok.add_bos_default());
            text_.clear();
            scan_ = std::make_unique<SensitivityScan>(model_, std::move(tokens), so);
            val r = val::object();
            r.set("nSteps", double(scan_->n_steps()));
            r.set("nTensors", double(scan_->result().tensors.size()));
            return r;
        });
    }

    val step() {
        return guarded([&] {
            const SensitivityProgress p = live().step();
            val r = val::object();
            r.set("phase", std::string(p.phase));
            r.set("step", double(p.step));
            r.set("nSteps", double(p.n_steps));
            if (!p.tensor.empty()) {
                r.set("tensor", p.tensor);
                r.set("type", std::string(type_traits(p.type).name));
            }
            r.set("done", scan_->finished());
            return r;
        });
    }

    val result() {
        return guarded([&] { return sensitivity_object(finished().result()); });
    }

    // target: {targetBytes} | {targetBpw}; verify: measure (and correct) on the calibration chunks.
    val plan(val target, bool verify) {
        return guarded([&] {
            MixedPlanner& pl = planner(verify);
            MixedTarget t;
            if (has(target, "targetBytes") == has(target, "targetBpw")) {
                throw Error(ErrorCode::InvalidArgument, "give exactly one of targetBytes and targetBpw");
            }
            if (has(target, "targetBytes")) {
                const double b = number(target, "targetBytes", 0);
                if (!(b >= 1) || b != std::floor(b)) throw Error(ErrorCode::InvalidArgument, "targetBytes must be a positive integer");
                t.kind = MixedTarget::Kind::FileBytes;
                t.value = b;
            } else {
                t = target_bpw(number(target, "targetBpw", 0));
            }
            MixedPlan p = pl.plan(t);
            if (verify) p = verify_mixed_plan(*scan_, pl, p);
            return plan_object(p);
        });
    }

    // The predicted damage against file size, and the reachable range.
    val curve() {
        return guarded([&] {
            MixedPlanner& pl = planner(false);
            val o = val::object();
            val pts = val::array();
            for (const auto& [b, d] : pl.file_frontier()) {
                val p = val::array();
                p.call<void>("push", double(b));
                p.call<void>("push", d);
                pts.call<void>("push", p);
            }
            o.set("points", pts);
            o.set("minBytes", double(pl.min_file_bytes()));
            o.set("maxBytes", double(pl.max_file_bytes()));
            return o;
        });
    }

    // A standard file type on the calibration chunks: its size and measured KLD.
    val measure_ftype(std::string name) {
        return guarded([&] {
            MixedPlanner& pl = planner(false);
            const FtypeInfo& f = parse_ftype(name);
            const MixMeasurement m = scan_->measure_mix(pl.ftype_mix(f.ftype));
            val o = val::object();
            o.set("ftype", std::string(f.name));
            o.set("fileBytes", double(pl.ftype_file_bytes(f.ftype)));
            o.set("kld", m.kld);
            o.set("ppl", m.ppl);
            o.set("basePpl", m.base_ppl);
            return o;
        });
    }

    // The llama-imatrix GGUF file of the importance matrix the scan computed (null if given or none).
    val imatrix_bytes() {
        return guarded([&] {
            const ImatrixResult* r = finished().computed_imatrix();
            if (!r) return val::null();
            const std::vector<uint8_t> b = serialize_imatrix_gguf(*r);
            return val::global("Uint8Array").new_(emscripten::typed_memory_view(b.size(), b.data()));
        });
    }

    val imatrix_name() const { return val(imatrix_name_); }

private:
    SensitivityScan& live() {
        if (!scan_) throw Error(ErrorCode::InvalidArgument, "start() was not called");
        return *scan_;
    }
    SensitivityScan& finished() {
        if (!live().finished()) throw Error(ErrorCode::InvalidArgument, "the scan is not finished");
        return *scan_;
    }
    MixedPlanner& planner(bool verify) {
        finished();
        if (verify && !scan_->result().exact) throw Error(ErrorCode::InvalidArgument, "a proxy scan cannot verify a plan");
        const bool will_verify = scan_->result().exact;
        if (!planner_) {
            MixedSetup s;
            s.imatrix = scan_->imatrix().entries.empty() ? nullptr : &scan_->imatrix();
            s.imatrix_file = imatrix_name_;
            s.calibration = calibration_;
            s.will_verify = will_verify;  // plans from exact scans always leave room for the measured KLD
            planner_ = std::make_unique<MixedPlanner>(model_->header(), scan_->result(), s);
        }
        return *planner_;
    }

    double engine_;  // Engine::handle()
    std::string text_;
    val options_;
    uintptr_t imatrix_ptr_;
    double imatrix_len_;
    std::shared_ptr<LlamaModel> model_;
    ImatrixData given_;
    std::string calibration_, imatrix_name_;
    std::unique_ptr<SensitivityScan> scan_;
    std::unique_ptr<MixedPlanner> planner_;
};

EMSCRIPTEN_BINDINGS(quantlab_mixed) {
    emscripten::class_<MixedScanJs>("MixedScan")
        .constructor<double, std::string, val, uintptr_t, double>()
        .function("start", &MixedScanJs::start)
        .function("step", &MixedScanJs::step)
        .function("result", &MixedScanJs::result)
        .function("plan", &MixedScanJs::plan)
        .function("curve", &MixedScanJs::curve)
        .function("measureFtype", &MixedScanJs::measure_ftype)
        .function("imatrixBytes", &MixedScanJs::imatrix_bytes)
        .function("imatrixName", &MixedScanJs::imatrix_name);
}
