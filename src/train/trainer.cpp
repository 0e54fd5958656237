#include "train/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "core/clock.h"
#include "core/error.h"
#include "train/story_corpus.h"

namespace quantlab {

namespace {

constexpr char kCheckpointMagic[8] = {'Q', 'L', 'T', 'R', 'A', 'I', 'N', '1'};
constexpr int64_t kReduceChunk = 1 << 16;  // floats per partial sum of the gradient norm

uint64_t mix64(uint64_t a, uint64_t b) {
    SplitMix64 r(a ^ (b * 0x9E3779B97F4A7C15ull));
    r.next();
    return r.next();
}

class ByteWriter {
public:
    template <class T>
    void put(const T& v) {
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        buf.insert(buf.end(), p, p + sizeof(T));
    }
    void put_string(const std::string& s) {
        put(uint32_t(s.size()));
        buf.insert(buf.end(), s.begin(), s.end());
    }
    void put_floats(const std::vector<float>& v) {
        put(uint64_t(v.size()));
        const auto* p = reinterpret_cast<const uint8_t*>(v.data());
        buf.insert(buf.end(), p, p + v.size() * sizeof(float));
    }
    std::vector<uint8_t> buf;
};

class ByteReader {
public:
    ByteReader(const std::vector<uint8_t>& b, std::string path) : b_(b), path_(std::move(path)) {}
    template <class T>
    T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, b_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::string get_string() {
        const uint32_t n = get<uint32_t>();
        need(n);
        std::string s(reinterpret_cast<const char*>(b_.data() + pos_), n);
        pos_ += n;
        return s;
    }
    std::vector<float> get_floats() {
        const uint64_t n = get<uint64_t>();
        if (n > (b_.size() - pos_) / sizeof(float)) fail("truncated tensor data");
        std::vector<float> v(static_cast<size_t>(n));
        std::memcpy(v.data(), b_.data() + pos_, size_t(n) * sizeof(float));
        pos_ += size_t(n) * sizeof(float);
        return v;
    }
    bool at_end() const { return pos_ == b_.size(); }
    [[noreturn]] void fail(const std::string& what) const {
        throw Error(ErrorCode::Format, "checkpoint " + path_ + ": " + what);
    }

private:
    void need(size_t n) const {
        if (n > b_.size() - pos_) fail("file is truncated");
    }
    const std::vector<uint8_t>& b_;
    std::string path_;
    size_t pos_ = 0;
};

std::vector<uint8_t> read_whole_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw Error(ErrorCode::Io, "cannot open " + path);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

void put_header(ByteWriter& w, const ModelConfig& c, const TrainOptions& o, const SpmVocab& v, int64_t step,
                int64_t total_steps) {
    for (const char ch : kCheckpointMagic) w.put(ch);
    for (int64_t x : {c.n_vocab, c.n_embd, c.n_ff, c.n_layer, c.n_head, c.n_head_kv, c.n_ctx}) w.put(x);
    w.put(c.rms_eps);
    w.put(c.rope_freq_base);
    w.put(o.seed);
    for (int64_t x : {o.batch, o.seq_len, o.warmup}) w.put(x);
    for (float x : {o.lr, o.min_lr_ratio, o.weight_decay, o.beta1, o.beta2, o.adam_eps, o.grad_clip, o.story_start_prob}) {
        w.put(x);
    }
    w.put_string(o.data_spec);
    w.put(step);
    w.put(total_steps);
    w.put(uint32_t(v.tokens.size()));
    for (size_t i = 0; i < v.tokens.size(); ++i) {
        w.put_string(v.tokens[i]);
        w.put(v.scores[i]);
        w.put(v.types[i]);
    }
    w.put(uint32_t(v.merges.size()));
    for (const auto& m : v.merges) {
        w.put(m.left);
        w.put(m.right);
        w.put(m.result);
    }
}

CheckpointInfo get_header(ByteReader& r) {
    char magic[8];
    for (char& ch : magic) ch = r.get<char>();
    if (std::memcmp(magic, kCheckpointMagic, 8) != 0) r.fail("not a quantlab training checkpoint");
    CheckpointInfo info;
    ModelConfig& c = info.config;
    for (int64_t* x : {&c.n_vocab, &c.n_embd, &c.n_ff, &c.n_layer, &c.n_head, &c.n_head_kv, &c.n_ctx}) *x = r.get<int64_t>();
    c.rms_eps = r.get<float>();
    c.rope_freq_base = r.get<float>();
    TrainOptions& o = info.options;
    o.seed = r.get<uint64_t>();
    for (int64_t* x : {&o.batch, &o.seq_len, &o.warmup}) *x = r.get<int64_t>();
    for (float* x : {&o.lr, &o.min_lr_ratio, &o.weight_decay, &o.beta1, &o.beta2, &o.adam_eps, &o.grad_clip,
                     &o.story_start_prob}) {
        *x = r.get<float>();
    }
    o.data_spec = r.get_string();
    info.step = r.get<int64_t>();
    info.total_steps = r.get<int64_t>();
    const uint32_t n = r.get<uint32_t>();
    if (n > (1u << 24)) r.fail("vocabulary size is absurd");
    for (uint32_t i = 0; i < n; ++i) {
        info.vocab.tokens.push_back(r.get_string());
        info.vocab.scores.push_back(r.get<float>());
        info.vocab.types.push_back(r.get<int32_t>());
    }
    const uint32_t nm = r.get<uint32_t>();
    if (nm > n) r.fail("more merges than tokens");
    for (uint32_t i = 0; i < nm; ++i) {
        SpmVocab::Merge m{};
        m.left = r.get<int32_t>();
        m.right = r.get<int32_t>();
        m.result = r.get<int32_t>();
        info.vocab.merges.push_back(m);
    }
    try {
        c.validate();
    } catch (const Error& e) {
        r.fail(e.what());
    }
    return info;
}

}  // namespace

TrainData TrainData::build(const std::vector<std::string>& train_docs, const std::vector<std::string>& eval_docs,
                           const SpmVocab& vocab) {
    TrainData d;
    SpmEncoder enc(vocab);
    for (const auto& doc : train_docs) {
        d.train_doc_starts.push_back(uint32_t(d.train.size()));
        d.train.push_back(SpmVocab::kBos);
        enc.encode(doc, d.train);
        d.train.push_back(SpmVocab::kEos);
    }
    for (const auto& doc : eval_docs) {
        d.eval.push_back(SpmVocab::kBos);
        enc.encode(doc, d.eval);
        d.eval.push_back(SpmVocab::kEos);
    }
    return d;
}

uint64_t TrainData::fingerprint() const {
    uint64_t h = 1469598103934665603ull;
    auto add = [&](uint64_t x) {
        h ^= x;
        h *= 1099511628211ull;
    };
    for (const int32_t t : train) add(uint32_t(t));
    add(0xFFFFFFFFFFull);
    for (const int32_t t : eval) add(uint32_t(t));
    return h;
}

float learning_rate(const TrainOptions& o, int64_t step, int64_t total_steps) {
    if (step < o.warmup) return o.lr * float(step + 1) / float(o.warmup);
    const float min_lr = o.lr * o.min_lr_ratio;
    const int64_t decay_steps = std::max<int64_t>(1, total_steps - o.warmup);
    const double progress = std::min(1.0, double(step - o.warmup) / double(decay_steps));
    return float(min_lr + 0.5 * (o.lr - min_lr) * (1.0 + std::cos(3.141592653589793 * progress)));
}

Trainer::Trainer(const ModelConfig& cfg, const TrainOptions& opt, SpmVocab vocab, const TrainData* data)
    : layout_(cfg), opt_(opt), vocab_(std::move(vocab)), data_(data) {
    if (int64_t(vocab_.size()) != cfg.n_vocab) {
        throw Error(ErrorCode::InvalidArgument, "the model's n_vocab " + std::to_string(cfg.n_vocab) +
                                                    " differs from the vocabulary's " + std::to_string(vocab_.size()));
    }
    if (opt_.seq_len <= 0 || opt_.seq_len > cfg.n_ctx) opt_.seq_len = cfg.n_ctx;
    if (opt_.batch <= 0) throw Error(ErrorCode::InvalidArgument, "batch must be positive");
    if (data_ && data_->train.size() < size_t(opt_.seq_len + 1)) {
        throw Error(ErrorCode::InvalidArgument, "the training text has " + std::to_string(data_->train.size()) +
                                                    " tokens, fewer than one sequence of " +
                                                    std::to_string(opt_.seq_len + 1));
    }
    pool_ = std::make_unique<ThreadPool>(opt_.threads);
    graph_ = std::make_unique<TrainGraph>(layout_, opt_.batch, opt_.seq_len, *pool_);
    grads_.assign(layout_.size(), 0.0f);
    m_.assign(layout_.size(), 0.0f);
    v_.assign(layout_.size(), 0.0f);
    decay_mask_.assign(layout_.size(), 0);
    for (const auto& t : layout_.tensors()) {
        if (t.matrix) std::fill(decay_mask_.begin() + std::ptrdiff_t(t.offset),
                                decay_mask_.begin() + std::ptrdiff_t(t.offset + size_t(t.n_elements())), 1);
    }
    total_steps_ = opt_.steps;
}

Trainer::~Trainer() = default;

void Trainer::init() {
    params_ = layout_.init(opt_.seed);
    std::fill(m_.begin(), m_.end(), 0.0f);
    std::fill(v_.begin(), v_.end(), 0.0f);
    step_ = 0;
    tokens_seen_ = 0;
    elapsed_ = 0.0;
    total_steps_ = opt_.steps;
}

std::vector<int32_t> Trainer::sample_batch(int64_t step) const {
    if (!data_) throw Error(ErrorCode::InvalidArgument, "the trainer has no data");
    const int64_t T = opt_.seq_len;
    const auto& tok = data_->train;
    const uint64_t span = uint64_t(tok.size()) - uint64_t(T);  // valid starts: [0, span)
    std::vector<int32_t> out(size_t(opt_.batch * (T + 1)));
    for (int64_t b = 0; b < opt_.batch; ++b) {
        SplitMix64 rng(mix64(opt_.seed, uint64_t(step) * 1024u + uint64_t(b)));
        uint64_t start;
        bool at_story = false;
        if (!data_->train_doc_starts.empty() && rng.chance(opt_.story_start_prob)) {
            start = data_->train_doc_starts[rng.next() % data_->train_doc_starts.size()];
            at_story = true;
            if (start >= span) start = span - 1;
        } else {
            start = rng.next() % span;
        }
        int32_t* row = out.data() + b * (T + 1);
        std::copy(tok.begin() + std::ptrdiff_t(start), tok.begin() + std::ptrdiff_t(start + uint64_t(T) + 1), row);
        // As llama-perplexity: a window cut from the middle still starts with BOS.
        if (!at_story) row[0] = SpmVocab::kBos;
    }
    return out;
}

void Trainer::adamw_update(float lr) {
    const int64_t n = int64_t(layout_.size());
    const int64_t n_chunks = (n + kReduceChunk - 1) / kReduceChunk;
    std::vector<double> partial(size_t(n_chunks), 0.0);
    pool_->run(n_chunks, [&](int64_t c, int) {
        const int64_t i0 = c * kReduceChunk, i1 = std::min(n, i0 + kReduceChunk);
        double s = 0.0;
        for (int64_t i = i0; i < i1; ++i) s += double(grads_[size_t(i)]) * double(grads_[size_t(i)]);
        partial[size_t(c)] = s;
    });
    double sq = 0.0;
    for (const double s : partial) sq += s;
    const double norm = std::sqrt(sq);
    last_grad_norm_ = float(norm);
    if (!std::isfinite(norm)) throw Error(ErrorCode::NonFinite, "gradient norm is not finite at step " + std::to_string(step_));
    const float clip = norm > double(opt_.grad_clip) ? float(double(opt_.grad_clip) / (norm + 1e-6)) : 1.0f;

    const double t = double(step_ + 1);
    const float bc1 = float(1.0 - std::pow(double(opt_.beta1), t));
    const float bc2 = float(1.0 - std::pow(double(opt_.beta2), t));
    const float b1 = opt_.beta1, b2 = opt_.beta2, eps = opt_.adam_eps, wd = opt_.weight_decay;
    pool_->run(n_chunks, [&](int64_t c, int) {
        const int64_t i0 = c * kReduceChunk, i1 = std::min(n, i0 + kReduceChunk);
        for (int64_t i = i0; i < i1; ++i) {
            const size_t k = size_t(i);
            const float g = grads_[k] * clip;
            m_[k] = b1 * m_[k] + (1.0f - b1) * g;
            v_[k] = b2 * v_[k] + (1.0f - b2) * g * g;
            const float mhat = m_[k] / bc1, vhat = v_[k] / bc2;
            float update = mhat / (std::sqrt(vhat) + eps);
            if (decay_mask_[k]) update += wd * params_[k];
            params_[k] -= lr * update;
        }
    });
}

double Trainer::train_step() {
    if (params_.empty()) throw Error(ErrorCode::InvalidArgument, "call init() or load_checkpoint() first");
    const int64_t total = std::max<int64_t>(total_steps_, step_ + 1);
    const float lr = learning_rate(opt_, step_, total);
    const std::vector<int32_t> batch = sample_batch(step_);
    const double loss = graph_->run(params_.data(), batch.data(), opt_.batch, opt_.seq_len, grads_.data());
    if (!std::isfinite(loss)) throw Error(ErrorCode::NonFinite, "training loss is not finite at step " + std::to_string(step_));
    adamw_update(lr);
    ++step_;
    tokens_seen_ += opt_.batch * opt_.seq_len;
    last_loss_ = loss;
    return loss;
}

double Trainer::evaluate() {
    if (!data_) return -1.0;
    const int64_t T = opt_.seq_len;
    const auto& ev = data_->eval;
    if (ev.size() < size_t(T + 1)) return -1.0;
    const int64_t n_seq = std::min<int64_t>(opt_.eval_seqs, int64_t((ev.size() - 1) / size_t(T)));
    double sum = 0.0;
    for (int64_t s0 = 0; s0 < n_seq; s0 += opt_.batch) {
        const int64_t nb = std::min(opt_.batch, n_seq - s0);
        std::vector<int32_t> rows(size_t(nb * (T + 1)));
        for (int64_t b = 0; b < nb; ++b) {
            const auto first = ev.begin() + std::ptrdiff_t((s0 + b) * T);
            std::copy(first, first + T + 1, rows.begin() + b * (T + 1));
            rows[size_t(b * (T + 1))] = SpmVocab::kBos;
        }
        sum += graph_->run(params_.data(), rows.data(), nb, T, nullptr) * double(nb);
    }
    last_eval_ = n_seq > 0 ? sum / double(n_seq) : -1.0;
    return last_eval_;
}

void Trainer::save_checkpoint(const std::string& path) const {
    ByteWriter w;
    put_header(w, layout_.config(), opt_, vocab_, step_, total_steps_);
    w.put(tokens_seen_);
    w.put(elapsed_);
    w.put(data_ ? data_->fingerprint() : uint64_t(0));
    w.put_floats(params_);
    w.put_floats(m_);
    w.put_floats(v_);
    write_file_atomically(path, w.buf);
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
    const auto bytes = read_whole_file(path);
    ByteReader r(bytes, path);
    return get_header(r);
}

void Trainer::load_checkpoint(const std::string& path) {
    const auto bytes = read_whole_file(path);
    ByteReader r(bytes, path);
    const CheckpointInfo info = get_header(r);
    const ModelConfig& c = info.config;
    const ModelConfig& mine = layout_.config();
    if (c.n_vocab != mine.n_vocab || c.n_embd != mine.n_embd || c.n_ff != mine.n_ff || c.n_layer != mine.n_layer ||
        c.n_head != mine.n_head || c.n_head_kv != mine.n_head_kv || c.n_ctx != mine.n_ctx) {
        r.fail("model dimensions differ from this trainer's");
    }
    if (info.options.batch != opt_.batch || info.options.seq_len != opt_.seq_len) {
        r.fail("batch or sequence length differ (" + std::to_string(info.options.batch) + " x " +
               std::to_string(info.options.seq_len) + " in the checkpoint)");
    }
    if (info.vocab.tokens != vocab_.tokens) r.fail("the vocabulary differs");
    // The trajectory-shaping options continue as saved.
    opt_.seed = info.options.seed;
    opt_.warmup = info.options.warmup;
    opt_.lr = info.options.lr;
    opt_.min_lr_ratio = info.options.min_lr_ratio;
    opt_.weight_decay = info.options.weight_decay;
    opt_.beta1 = info.options.beta1;
    opt_.beta2 = info.options.beta2;
    opt_.adam_eps = info.options.adam_eps;
    opt_.grad_clip = info.options.grad_clip;
    opt_.story_start_prob = info.options.story_start_prob;
    opt_.data_spec = info.options.data_spec;
    step_ = info.step;
    total_steps_ = info.total_steps;
    tokens_seen_ = r.get<int64_t>();
    elapsed_ = r.get<double>();
    const uint64_t fp = r.get<uint64_t>();
    if (data_ && fp != data_->fingerprint()) r.fail("it was trained on different data (token fingerprints differ)");
    params_ = r.get_floats();
    m_ = r.get_floats();
    v_ = r.get_floats();
    if (params_.size() != layout_.size() || m_.size() != layout_.size() || v_.size() != layout_.size()) {
        r.fail("tensor sizes differ from the model layout");
    }
    if (!r.at_end()) r.fail("unexpected bytes after the optimizer state");
}

void Trainer::write_gguf(const std::string& path, const std::string& name) const {
    write_model_gguf(path, layout_, params_.data(), vocab_, name);
}

void Trainer::run(const std::function<void(const Trainer&)>& on_progress) {
    if (params_.empty()) throw Error(ErrorCode::InvalidArgument, "call init() or load_checkpoint() first");
    const double budget = opt_.minutes > 0.0 ? opt_.minutes * 60.0 : 0.0;
    if (total_steps_ <= 0 && budget <= 0.0) {
        throw Error(ErrorCode::InvalidArgument, "give a number of steps or a time budget in minutes");
    }
    // Without a step count the schedule's length is estimated from measured
    // step times (evaluations included) and fixed once 40% of it has passed.
    const bool estimating = total_steps_ <= 0;
    if (estimating) total_steps_ = std::max<int64_t>(opt_.warmup * 2, 1000);

    std::FILE* csv = nullptr;
    if (!opt_.log_csv.empty()) {
        const bool append = step_ > 0;
        csv = std::fopen(opt_.log_csv.c_str(), append ? "a" : "w");
        if (!csv) throw Error(ErrorCode::Io, "cannot open " + opt_.log_csv);
        if (!append) std::fprintf(csv, "step,tokens,train_loss,lr,eval_loss,grad_norm,elapsed_s,tokens_per_s\n");
    }
    const std::string ckpt = opt_.checkpoint_dir.empty() ? "" : opt_.checkpoint_dir + "/checkpoint.bin";

    const double t0 = steady_seconds();
    const double elapsed0 = elapsed_;
    const int64_t step0 = step_;
    double window_t = t0;
    int64_t window_step = step_;
    double last_step_time = 0.0;
    try {
        while (step_ < total_steps_ && (opt_.stop_after <= 0 || step_ - step0 < opt_.stop_after)) {
            const double ts = steady_seconds();
            const float lr = learning_rate(opt_, step_, total_steps_);
            const double loss = train_step();
            double tn = steady_seconds();
            last_step_time = tn - ts;
            elapsed_ = elapsed0 + (tn - t0);
            if (estimating && budget > 0.0) {
                const int64_t done_here = step_ - window_step;
                const int64_t since = step_ - step0;
                if (done_here >= 3 && (since == 4 || since == 12 || since % 50 == 0) &&
                    double(step_) < 0.4 * double(total_steps_)) {
                    const double per_step = (tn - window_t) / double(done_here);
                    total_steps_ = std::max<int64_t>(step_ + 1, step_ + int64_t((budget - elapsed_) / per_step));
                    if (since == 4) {  // the first steps include page faults; measure afresh
                        window_t = tn;
                        window_step = step_;
                    }
                    if (!opt_.quiet) {
                        std::printf("schedule: %.3f s/step -> %lld steps in the budget\n", per_step,
                                    (long long)total_steps_);
                    }
                }
            }
            // The budget is a hard stop: end early rather than overrun it.
            if (budget > 0.0 && elapsed_ + last_step_time > budget && step_ < total_steps_) {
                if (!opt_.quiet) std::printf("time budget reached at step %lld\n", (long long)step_);
                total_steps_ = step_;
            }
            double eval = -1.0;
            if (opt_.eval_every > 0 && (step_ % opt_.eval_every == 0 || step_ >= total_steps_)) {
                eval = evaluate();
                tn = steady_seconds();
                elapsed_ = elapsed0 + (tn - t0);
            }
            const double tok_s = double((step_ - step0) * opt_.batch * opt_.seq_len) / std::max(1e-9, tn - t0);
            if (csv) {
                std::fprintf(csv, "%lld,%lld,%.6f,%.8g,", (long long)step_, (long long)tokens_seen_, loss, double(lr));
                if (eval >= 0.0) std::fprintf(csv, "%.6f", eval);
                std::fprintf(csv, ",%.4f,%.2f,%.1f\n", double(last_grad_norm_), elapsed_, tok_s);
                std::fflush(csv);
            }
            if (!opt_.quiet && (step_ % 10 == 0 || eval >= 0.0 || step_ == 1)) {
                char ev[32] = "";
                if (eval >= 0.0) std::snprintf(ev, sizeof ev, " eval %.4f", eval);
                std::printf("step %lld/%lld loss %.4f%s lr %.2e |g| %.3f %.0f tok/s elapsed %.1f min\n",
                            (long long)step_, (long long)total_steps_, loss, ev, double(lr), double(last_grad_norm_),
                            tok_s, elapsed_ / 60.0);
                std::fflush(stdout);
            }
            if (!ckpt.empty() && opt_.checkpoint_every > 0 && step_ % opt_.checkpoint_every == 0) save_checkpoint(ckpt);
            if (on_progress) on_progress(*this);
        }
    } catch (...) {
        if (csv) std::fclose(csv);
        throw;
    }
    if (csv) std::fclose(csv);
    if (!ckpt.empty()) save_checkpoint(ckpt);
}

}  // namespace quantlab
