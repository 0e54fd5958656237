// Mixed precision: from a sensitivity scan and a size target to one format per
// tensor, the file's exact size, the llama-quantize arguments that make the
// same file, and a verification of the chosen mix on the calibration text.
//
//   SensitivityScan scan(model, tokens, opts);  scan.run();
//   MixedPlanner planner(model->header(), scan.result(), setup);
//   MixedPlan plan = planner.plan(parse_target_size("2.1M"));
//   verify_mixed_plan(scan, planner, plan);        // measure, correct, re-plan
//   quantize_model_file(in, out, plan.quantize_options(...));
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "quantize/mixed_allocation.h"
#include "quantize/model_quantizer.h"
#include "quantize/sensitivity.h"

namespace quantlab {

struct MixedTarget {
    enum class Kind { FileBytes, BitsPerWeight };
    Kind kind = Kind::FileBytes;
    double value = 0.0;  // bytes of the whole file, or bits per weight as quantize reports it
    std::string text() const;  // "size 2289312" or "bpw 4.6", recorded in the file
};

// "2289312", "2.1M", "512K", "1.5G" (K, M, G = 1024, 1024^2, 1024^3; KiB/MiB/GiB
// and a trailing B also accepted). Throws Error(InvalidArgument).
MixedTarget parse_target_size(const std::string& text);
// Bits per weight over every tensor of the file: 8 * tensor bytes / elements,
// the "quant size ... BPW" quantize prints. Throws Error(InvalidArgument) unless > 0.
MixedTarget target_bpw(double bpw);

struct MixedTensorChoice {
    std::string name;
    GgmlType type = GgmlType::F32;
    uint64_t bytes = 0;   // tensor data in that format
    double damage = 0.0;  // predicted: KLD of this tensor alone (or the proxy for proxy scans)
};

struct MixedPlan {
    MixedTarget target;
    uint64_t budget = 0;            // file bytes, or tensor bytes for a bpw target
    std::vector<MixedTensorChoice> tensors;  // every tensor the plan decides, quantize's order
    LlamaFtype ftype = LlamaFtype::MOSTLY_Q8_0;  // general.file_type: the ftype of the most bytes' format
    uint64_t file_bytes = 0;        // exact output file size
    uint64_t tensor_bytes = 0;      // all tensor data, as quantize's "quant size"
    uint64_t n_elements = 0;
    double bits_per_weight() const { return n_elements ? 8.0 * double(tensor_bytes) / double(n_elements) : 0.0; }
    double predicted = 0.0;         // sum of damages
    bool exact = true;              // damages are measured KLDs (else proxy units)
    std::string method;             // recorded in the file
    std::string calibration;        // calibration text name, recorded in the file
    // Verification on the scan's calibration chunks.
    bool verified = false;
    double calibration_kld = std::numeric_limits<double>::quiet_NaN();
    double calibration_ppl = std::numeric_limits<double>::quiet_NaN();
    double base_ppl = std::numeric_limits<double>::quiet_NaN();
    int corrections = 0;            // re-plans after the measured KLD exceeded the prediction
    int refinements = 0;            // measured neighbour moves accepted (VerifyOptions::refine_rounds)
    std::vector<std::pair<std::string, GgufValue>> extra_metadata;  // the caller's own keys, written after ours
    double first_kld = std::numeric_limits<double>::quiet_NaN();  // measured KLD of the first plan

    // "REGEX=type" for --tensor-type, grouped by tensor kind and format, e.g.
    // "^blk\.(0|3)\.attn_v\.weight$=q6_K". Every decided tensor matches exactly one.
    std::vector<std::string> tensor_type_args() const;
    // The quantize.mixed.* keys the file records, and the same as --override-kv arguments.
    std::vector<std::pair<std::string, GgufValue>> metadata() const;
    std::vector<std::string> override_kv_args() const;
    // What quantize needs to write the planned file (every decided tensor overridden).
    QuantizeParams quantize_params() const;
};

// The JSON form (docs/mixed-precision.md).
std::string mixed_plan_to_json(const MixedPlan& plan, const std::string& imatrix_file = "");

struct MixedSetup {
    const ImatrixData* imatrix = nullptr;  // what the file will be quantized with (changes the header)
    std::string imatrix_file;
    std::string calibration = "calibration";
    bool will_verify = true;               // the file will record the measured KLD
    std::vector<std::pair<std::string, GgufValue>> extra_metadata;  // more keys to write (--override-kv)
};

class MixedPlanner {
public:
    // Throws Error(InvalidArgument) when the scan decided no tensor.
    MixedPlanner(const GgufHeader& input, const SensitivityResult& scan, MixedSetup setup);

    MixedPlan plan(const MixedTarget& target) const;
    // The plan that gives each tensor the format in types (one per decided
    // tensor, plan order; each must be one of its allowed options), sized and
    // labelled as plan() would for base's target. Whether it fits: fits().
    MixedPlan with_types(const MixedPlan& base, const std::vector<GgmlType>& types) const;
    static bool fits(const MixedPlan& p) {
        return (p.target.kind == MixedTarget::Kind::FileBytes ? p.file_bytes : p.tensor_bytes) <= p.budget;
    }
    // Every decided tensor's allowed formats with their predicted (scaled) damages.
    const std::vector<AllocationItem>& items() const { return items_; }

    // The file size range the planner can reach.
    uint64_t min_file_bytes() const;
    uint64_t max_file_bytes() const;
    // The predicted damage against file size, one point per distinct best plan.
    std::vector<std::pair<uint64_t, double>> file_frontier() const;

    // Multiplies tensor `name`'s predicted damages by factor (a correction from
    // an in-context measurement) and rebuilds the tables.
    void scale_damage(const std::string& name, double factor);
    double damage_scale(const std::string& name) const;

    const SensitivityResult& scan() const { return scan_; }
    // The plan (format per tensor) of a standard file type and the size of
    // its file (with the same imatrix), for comparisons.
    std::vector<std::pair<std::string, GgmlType>> ftype_mix(LlamaFtype ftype) const;
    uint64_t ftype_file_bytes(LlamaFtype ftype) const;

private:
    void rebuild();
    MixedPlan finish(const MixedTarget& target, uint64_t budget, const Allocation& a, bool padded) const;

    GgufHeader input_;
    SensitivityResult scan_;
    MixedSetup setup_;
    std::vector<double> scale_;
    std::vector<AllocationItem> items_;
    uint64_t fixed_file_ = 0;       // header + padded tensors the plan does not decide
    uint64_t fixed_tensor_ = 0;     // unpadded bytes of those tensors
    uint64_t n_elements_ = 0;
    std::shared_ptr<const AllocationTable> padded_, unpadded_;  // shared by copies until rebuilt
};

struct VerifyOptions {
    double tolerance = 0.10;  // measured <= predicted * (1 + tolerance) is accepted as is
    int max_rounds = 2;       // correction rounds at most
    int probes = 6;           // tensors whose in-context damage is measured per round
    // Refinement by measurement (after the corrections): each round measures
    // the refine_probes neighbouring plans the damage model calls closest to
    // a tie (one tensor a step up its front, paid for by another a step down,
    // or one step up where the budget leaves room) and moves to the best of
    // them if it measured lower; it stops at the first round without a gain.
    // Off by default: on the built-in model its gains on the chunks it
    // measures did not carry over to held-out text (docs/mixed-precision.md).
    int refine_rounds = 0;
    int refine_probes = 6;
};

// Measures plan's KLD on the scan's chunks (scan must be exact and finished).
// When it exceeds the prediction, measures the largest contributors in
// context (the mix with that tensor one step better), rescales their
// predicted damages by what was measured, re-plans at the same target and
// keeps whichever plan measured lower. Then refines by measurement: the
// near-tie neighbours of the plan under the damage model are measured and the
// best taken while one measures lower (VerifyOptions). Returns the plan kept,
// verified, never measured higher than the first plan.
// The corrections apply to a copy of planner: later plans are unaffected.
MixedPlan verify_mixed_plan(SensitivityScan& scan, const MixedPlanner& planner, MixedPlan plan,
                            const VerifyOptions& opt = {});

}  // namespace quantlab
