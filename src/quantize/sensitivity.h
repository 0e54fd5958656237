// Per-tensor sensitivity to quantization: for every quantizable tensor and
// every candidate format, the damage of quantizing that tensor alone while the
// rest of the model keeps its stored precision.
//
// Two measures:
//   - exact: the mean KL divergence of the model's next-token distribution
//     from the unmodified model's, over calibration chunks, through the
//     engine. The tensor is swapped in place (LlamaModel::set_weight) and the
//     forward pass resumes at the tensor's own layer from the residual stream
//     the unmodified model produced there (LlamaContext::decode_from_layer),
//     so an attn_q of the last layer costs one layer and the output matrix
//     only the output projection;
//   - proxy: the expected squared error the quantized tensor adds to its
//     output per token, sum_r sum_c E[a_c^2] (W - Q(W))_rc^2 with E[a_c^2]
//     the mean square of input column c over the calibration tokens (the
//     imatrix weighting), and for token_embd the token-frequency-weighted
//     squared error of the rows looked up. Needs no forward pass per cell.
//
// A scan is a sequence of small steps (an imatrix chunk, a base chunk, one
// tensor x format cell) so callers that must yield between steps (the wasm
// binding, a web page) can show progress and cancel.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/llama_context.h"
#include "quantize/imatrix.h"
#include "quantize/imatrix_compute.h"

namespace quantlab {

// What a plan minimises per tensor and format.
enum class DamageModel {
    // The measured KLD as it is (the proxy for proxy-only scans).
    Measured,
    // gain_t x proxy + floor_t, fitted per tensor to its measured KLDs (least
    // squares on relative errors): the measurements set how much each tensor
    // matters and what stays at high bit widths (the quantized activations
    // every quantized format multiplies with), the proxy, free of sampling
    // noise, how the formats compare on it. Float formats keep their measured
    // KLD. A tensor measured in a few formats gets the others estimated, so
    // partial scans (exact_types) cost a fraction of a full one
    // (docs/mixed-precision.md has the comparison on the built-in model).
    Smoothed,
};

struct SensitivityOptions {
    std::vector<GgmlType> types;   // candidate formats; empty: default_candidate_types()
    bool exact = true;             // false: proxy only (one forward pass per chunk in all)
    // Formats measured through the engine (empty: all); the others are
    // estimated by the smoothed model from the proxy. Fewer is faster. A
    // tensor none of these fits gets its smallest allowed format measured.
    std::vector<GgmlType> exact_types;
    DamageModel damage = DamageModel::Smoothed;
    int64_t n_ctx = 256;           // chunk length, clamped to the model's training context
    int64_t n_chunks = 2;          // calibration chunks measured (the first ones of the text)
    // Chunks after those, held apart for measuring whole mixes (measure_mix:
    // plan verification and refinement), so a plan is judged on text its
    // sensitivities were not measured on; 0: the scan's own chunks.
    int64_t verify_chunks = 0;
    // First scored position of a chunk. Every position (0) gives twice the
    // evidence of llama-perplexity's second half (-1: n_ctx / 2) for the same
    // forward passes; on the built-in model one chunk scored whole ranks
    // tensors as well as two chunks' second halves (docs/mixed-precision.md).
    int64_t first_scored = 0;
    // Importance matrix used to quantize every candidate (and later the file).
    // When null one is computed from the calibration text, output.weight
    // included, over imatrix_chunks chunks (-1: every chunk; 0: none).
    const ImatrixData* imatrix = nullptr;
    int64_t imatrix_chunks = -1;
    std::string dataset = "calibration";  // recorded in a computed imatrix
    bool add_bos = true;           // each chunk starts with BOS, as llama-perplexity's
    int32_t bos = 1;
    KernelVariant variant = default_kernel_variant();
    // Threads of the scan's engine context, candidate quantization, the
    // proxy and the KLD sums (0: one per physical core); or a pool to borrow
    // (ContextOptions::pool), as the JS API does with the model's. The
    // figures are the same bit for bit for any count.
    int threads = 0;
    std::shared_ptr<ThreadPool> pool = nullptr;
};

struct SensitivityCell {
    GgmlType type = GgmlType::F32;
    uint64_t bytes = 0;         // tensor data in this format (no alignment padding)
    std::string rejected;       // why the format cannot hold this tensor ("" = allowed)
    double proxy = std::numeric_limits<double>::quiet_NaN();
    double kld = std::numeric_limits<double>::quiet_NaN();  // exact measure (NaN if not measured)
    double damage = std::numeric_limits<double>::quiet_NaN();  // what plans minimise (see DamageModel)
};

struct TensorSensitivity {
    std::string name;
    std::string kind;     // "attn_q", "ffn_down", "token_embd", "output", ...
    int layer = -1;       // -1 outside the blocks
    std::vector<int64_t> ne;
    GgmlType stored_type = GgmlType::F32;
    uint64_t stored_bytes = 0;
    std::vector<SensitivityCell> cells;  // one per candidate type, in SensitivityResult::types order
};

struct SensitivityResult {
    std::vector<GgmlType> types;
    std::vector<TensorSensitivity> tensors;  // quantizable tensors, llama-quantize's order
    bool exact = false;                      // KLDs were measured (and plans can be verified)
    DamageModel damage = DamageModel::Smoothed;
    int64_t n_ctx = 0, n_chunks = 0, n_scored = 0;
    double base_ppl = 0.0;                   // of the unmodified model on the scored positions
    bool imatrix_computed = false;
    double seconds = 0.0;
    int threads = 1;                         // the scan's (its engine context's pool)
};

struct SensitivityProgress {
    const char* phase = "";   // "imatrix", "base", "tensors", "done"
    int64_t step = 0;         // steps done
    int64_t n_steps = 0;
    std::string tensor;       // the cell just measured (phase "tensors")
    GgmlType type = GgmlType::F32;
};

// The tensors a scan decides (those llama-quantize quantizes, 2-D) with one
// cell per candidate type, sizes filled in and impossible formats rejected.
std::vector<TensorSensitivity> sensitivity_tensors(const GgufHeader& h, const std::vector<GgmlType>& types,
                                                   bool has_imatrix);

// "smoothed" or "measured"; Error(InvalidArgument) otherwise.
DamageModel parse_damage_model(const std::string& name);

// Fills the damage of every allowed cell of r by the model given (and records it).
void estimate_damage(SensitivityResult& r, DamageModel model);

// A whole mix measured on the scan's chunks.
struct MixMeasurement {
    double kld = 0.0;       // mean KL divergence from the unmodified model
    double ppl = 0.0;       // perplexity of the mix on the scored positions
    double base_ppl = 0.0;
};

class SensitivityScan {
public:
    // tokens: the tokenized calibration text (BOS first). Throws
    // Error(InvalidArgument) when it holds fewer than n_chunks chunks, or when
    // the model has no quantizable tensor.
    SensitivityScan(std::shared_ptr<LlamaModel> model, std::vector<int32_t> tokens, SensitivityOptions opt);
    ~SensitivityScan();
    SensitivityScan(const SensitivityScan&) = delete;
    SensitivityScan& operator=(const SensitivityScan&) = delete;

    int64_t n_steps() const { return n_steps_; }
    int64_t steps_done() const { return done_; }
    bool finished() const { return done_ >= n_steps_; }
    // Runs the next step; returns what it did.
    SensitivityProgress step();
    void run(const std::function<bool(const SensitivityProgress&)>& on_progress = {});

    const SensitivityResult& result() const { return res_; }
    // The importance matrix the candidates were quantized with (empty if none),
    // and the llama-imatrix file of it when it was computed here.
    const ImatrixData& imatrix() const { return imatrix_; }
    const ImatrixResult* computed_imatrix() const { return computed_ ? &*computed_ : nullptr; }

    // After the scan: quantize the named tensors to the given types (others
    // keep their stored format), run the calibration chunks in full (the
    // held-apart ones when there are any) and compare with the unmodified
    // model. The model is restored afterwards.
    MixMeasurement measure_mix(const std::vector<std::pair<std::string, GgmlType>>& mix);

    // The bytes a tensor gets in a format, quantized exactly as a QuantizeSession
    // with the same importance matrix writes them.
    std::vector<uint8_t> quantize_tensor(size_t tensor_index, GgmlType type);

private:
    struct Chunk;
    void imatrix_step();
    void base_step();
    void verify_base_step();  // a held-apart chunk: base distributions only
    void cell_step(size_t tensor, size_t cell);
    void reject_without_imatrix();  // imatrix-only formats off for tensors the imatrix lacks
    double chunk_kld(const Chunk& c, const std::vector<float>& logits, double* nll) const;
    const std::vector<float>& source(size_t tensor);  // the tensor as f32, cached for the current tensor
    int first_layer(const TensorSensitivity& t) const;

    std::shared_ptr<LlamaModel> model_;
    std::vector<int32_t> tokens_;
    SensitivityOptions opt_;
    std::unique_ptr<LlamaContext> ctx_;
    SensitivityResult res_;
    ImatrixData imatrix_;
    std::unique_ptr<ImatrixCollector> collector_;
    std::unique_ptr<ImatrixResult> computed_;
    std::vector<Chunk> chunks_;
    std::vector<Chunk> verify_;                  // held-apart chunks (SensitivityOptions::verify_chunks)
    int64_t verify_scored_ = 0;
    double verify_nll_ = 0.0;                    // base model's, over verify_
    std::vector<std::vector<double>> act_sum2_;  // per tensor: sum over tokens of x_c^2 at its input
    std::vector<int64_t> act_rows_;
    std::vector<double> token_freq_;             // per vocabulary entry, over the scored chunks
    int64_t imatrix_steps_ = 0, n_steps_ = 0, done_ = 0;
    std::vector<std::pair<size_t, size_t>> cells_;  // (tensor, cell) in scan order
    std::vector<std::vector<bool>> measure_;        // [tensor][cell]: run through the engine
    // measure_mix's quantized tensors: successive mixes share most of them.
    std::map<std::pair<size_t, GgmlType>, std::vector<uint8_t>> mix_cache_;
    size_t mix_cache_bytes_ = 0;
    size_t src_index_ = size_t(-1);
    std::vector<float> src_;
    double t_start_ = 0.0;
};

}  // namespace quantlab
