// The training loop: batches sampled from a token stream, AdamW with
// decoupled weight decay on the 2-D weights (Loshchilov and Hutter 2019),
// linear warm-up then cosine decay to a tenth of the peak rate, global-norm
// gradient clipping, periodic held-out evaluation, a CSV loss log, and
// checkpoints that resume bit-exactly (sampling depends only on the seed and
// the step number, and the optimizer state is saved whole).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "train/tokenizer_trainer.h"
#include "train/train_graph.h"
#include "train/train_model.h"

namespace quantlab {

struct TrainOptions {
    uint64_t seed = 1;
    int64_t batch = 16;          // sequences per optimizer step
    int64_t seq_len = 256;       // positions per sequence (<= n_ctx)
    int64_t steps = 0;           // total steps; 0: derive from minutes
    double minutes = 0.0;        // time budget (also a hard stop when steps is set)
    float lr = 1e-3f;            // peak learning rate
    float min_lr_ratio = 0.1f;   // cosine floor, as a fraction of lr
    int64_t warmup = 100;        // linear warm-up steps
    float weight_decay = 0.1f;
    float beta1 = 0.9f, beta2 = 0.95f, adam_eps = 1e-8f;
    float grad_clip = 1.0f;      // global L2 norm
    float story_start_prob = 0.75f;  // chance a sequence starts at a story's BOS (else anywhere, BOS-prefixed)
    int threads = 2;
    int64_t eval_every = 100;    // steps between held-out evaluations (and at the end)
    int64_t eval_seqs = 32;      // held-out sequences per evaluation
    int64_t checkpoint_every = 200;
    std::string checkpoint_dir;  // empty: no checkpoints
    std::string log_csv;         // empty: no CSV
    int64_t stop_after = 0;      // end this process after this many steps (0: run to the end); resumable
    std::string data_spec;       // how the data was made (saved in checkpoints so --resume can remake it)
    bool quiet = false;
};

// Token streams: each document becomes BOS, its tokens, EOS.
struct TrainData {
    std::vector<int32_t> train;
    std::vector<uint32_t> train_doc_starts;  // index of each document's BOS in train
    std::vector<int32_t> eval;

    static TrainData build(const std::vector<std::string>& train_docs, const std::vector<std::string>& eval_docs,
                           const SpmVocab& vocab);
    uint64_t fingerprint() const;  // identifies the data a checkpoint was trained on
};

// What a checkpoint holds besides the tensors.
struct CheckpointInfo {
    ModelConfig config;
    TrainOptions options;  // the trajectory-shaping fields and data_spec
    SpmVocab vocab;
    int64_t step = 0, total_steps = 0;
};
CheckpointInfo read_checkpoint_info(const std::string& path);

// Learning rate at step s (0-based) of total steps.
float learning_rate(const TrainOptions& o, int64_t step, int64_t total_steps);

class Trainer {
public:
    Trainer(const ModelConfig& cfg, const TrainOptions& opt, SpmVocab vocab, const TrainData* data);
    ~Trainer();

    // Fresh weights from the seed.
    void init();
    // Restore weights, optimizer state, step and elapsed time. Options that
    // shape the trajectory (seed, batch, lr schedule, total steps...) come
    // from the checkpoint; threads, logging, eval and the time budget may
    // change. Throws Error(Format) when the file or its data do not match.
    void load_checkpoint(const std::string& path);
    void save_checkpoint(const std::string& path) const;

    // One optimizer step on the batch for step(); returns the training loss.
    double train_step();
    // Mean loss over the held-out sequences.
    double evaluate();
    // Steps until done (steps, or the time budget), with logging, evaluation
    // and checkpoints. on_progress is called after every step.
    void run(const std::function<void(const Trainer&)>& on_progress = {});

    // The batch for a step: batch rows of seq_len + 1 ids, from (seed, step) only.
    std::vector<int32_t> sample_batch(int64_t step) const;

    const ModelLayout& layout() const { return layout_; }
    const std::vector<float>& params() const { return params_; }
    std::vector<float>& params() { return params_; }
    const SpmVocab& vocab() const { return vocab_; }
    const TrainOptions& options() const { return opt_; }
    int64_t step() const { return step_; }
    int64_t total_steps() const { return total_steps_; }
    int64_t tokens_seen() const { return tokens_seen_; }
    double last_loss() const { return last_loss_; }
    double last_eval_loss() const { return last_eval_; }
    double elapsed_seconds() const { return elapsed_; }
    float last_grad_norm() const { return last_grad_norm_; }
    TrainGraph& graph() { return *graph_; }

    void write_gguf(const std::string& path, const std::string& name) const;

private:
    void adamw_update(float lr);

    ModelLayout layout_;
    TrainOptions opt_;
    SpmVocab vocab_;
    const TrainData* data_;
    std::unique_ptr<ThreadPool> pool_;
    std::unique_ptr<TrainGraph> graph_;
    std::vector<float> params_, grads_, m_, v_;
    std::vector<uint8_t> decay_mask_;  // per float of the layout: 1 for 2-D weights
    int64_t step_ = 0;
    int64_t total_steps_ = 0;
    int64_t tokens_seen_ = 0;
    double elapsed_ = 0.0;  // seconds of training before this process (from checkpoints) plus this run
    double last_loss_ = 0.0, last_eval_ = -1.0;
    float last_grad_norm_ = 0.0f;
};

}  // namespace quantlab
