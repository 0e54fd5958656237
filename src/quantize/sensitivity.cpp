#include "quantize/sensitivity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/clock.h"
#include "core/error.h"
#include "eval/perplexity.h"
#include "formats/quantize.h"
#include "quantize/mixed_types.h"
#include "quantize/quant_plan.h"

namespace quantlab {

namespace {

// fn(begin, end) over contiguous pieces of [0, n) on the pool's threads.
// Callers write disjoint outputs and add them up afterwards in order, so no
// figure depends on the thread count.
template <class Fn>
void for_ranges(ThreadPool& pool, int64_t n, const Fn& fn) {
    const int64_t tasks = std::min<int64_t>(n, 4 * int64_t(pool.size()));
    if (tasks <= 1) {
        if (n > 0) fn(int64_t(0), n);
        return;
    }
    pool.run(tasks, [&](int64_t task, int) {
        const TaskRange r = task_range(n, tasks, task);
        fn(r.begin, r.end);
    });
}

// "blk.3.ffn_down.weight" -> (3, "ffn_down"); "output.weight" -> (-1, "output").
void split_name(const std::string& name, int& layer, std::string& kind) {
    layer = -1;
    std::string rest = name;
    int il = -1, used = 0;
    if (std::sscanf(name.c_str(), "blk.%d.%n", &il, &used) == 1 && used > 0) {
        layer = il;
        rest = name.substr(size_t(used));
    }
    const std::string suffix = ".weight";
    if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0) {
        rest.resize(rest.size() - suffix.size());
    }
    kind = rest;
}

}  // namespace

std::vector<TensorSensitivity> sensitivity_tensors(const GgufHeader& h, const std::vector<GgmlType>& types,
                                                   bool has_imatrix) {
    QuantizeParams qp;
    qp.ftype = LlamaFtype::MOSTLY_F16;  // any row length fits: only the names and shapes matter here
    qp.dry_run = true;
    const QuantPlan plan = plan_quantization(h, qp);
    std::vector<TensorSensitivity> out;
    for (const auto& pt : plan.tensors) {
        if (!pt.allows_quantization || pt.ne.size() != 2) continue;  // the engine's weights are 2-D
        TensorSensitivity t;
        t.name = pt.name;
        split_name(pt.name, t.layer, t.kind);
        t.ne = pt.ne;
        t.stored_type = pt.old_type;
        t.stored_bytes = pt.old_bytes;
        for (GgmlType ty : types) {
            SensitivityCell c;
            c.type = ty;
            c.rejected = candidate_rejection(ty, t.name, t.ne[0], has_imatrix);
            if (c.rejected.empty()) c.bytes = gguf_tensor_bytes(ty, t.ne);
            t.cells.push_back(std::move(c));
        }
        out.push_back(std::move(t));
    }
    return out;
}

DamageModel parse_damage_model(const std::string& name) {
    if (name == "smoothed") return DamageModel::Smoothed;
    if (name == "measured") return DamageModel::Measured;
    throw Error(ErrorCode::InvalidArgument, "the damage model is 'smoothed' or 'measured', not '" + name + "'");
}

namespace {

// kld ~ gain * proxy + floor over a tensor's measured quantized formats, by
// least squares on relative errors (weights 1 / kld^2), gain and floor >= 0.
// The floor is what stays at high bit widths: the quantized activations
// every quantized format multiplies with.
struct DamageFit {
    double gain = std::numeric_limits<double>::quiet_NaN();
    double floor = 0.0;
};

DamageFit fit_damage(const TensorSensitivity& t) {
    double sw = 0, swp = 0, swpp = 0, swk = 0, swpk = 0;
    for (const auto& c : t.cells) {
        if (!c.rejected.empty() || is_float_type(c.type) || !(c.kld > 0) || !(c.proxy > 0)) continue;
        const double w = 1.0 / (c.kld * c.kld);
        sw += w;
        swp += w * c.proxy;
        swpp += w * c.proxy * c.proxy;
        swk += w * c.kld;
        swpk += w * c.proxy * c.kld;
    }
    DamageFit f;
    if (sw == 0) return f;
    const double det = swpp * sw - swp * swp;
    if (det > 1e-12 * swpp * sw) {
        f.gain = (swpk * sw - swp * swk) / det;
        f.floor = (swpp * swk - swp * swpk) / det;
    }
    if (!(det > 1e-12 * swpp * sw) || f.floor < 0) {  // one format measured, or no floor to speak of
        f.gain = swpk / swpp;
        f.floor = 0.0;
    }
    if (f.gain < 0) {
        f.gain = 0.0;
        f.floor = swk / sw;
    }
    return f;
}

}  // namespace

void estimate_damage(SensitivityResult& r, DamageModel model) {
    r.damage = model;
    std::vector<DamageFit> fits(r.tensors.size());
    std::vector<double> gains;
    for (size_t i = 0; i < r.tensors.size(); ++i) {
        fits[i] = fit_damage(r.tensors[i]);
        if (!std::isnan(fits[i].gain)) gains.push_back(fits[i].gain);
    }
    // A tensor with no usable measurement (only float formats, or every KLD
    // at the float noise floor) borrows the median gain of the others.
    std::sort(gains.begin(), gains.end());
    const double fallback = gains.empty() ? 1.0 : gains[gains.size() / 2];
    for (size_t i = 0; i < r.tensors.size(); ++i) {
        DamageFit f = fits[i];
        if (std::isnan(f.gain)) f = {fallback, 0.0};
        for (auto& c : r.tensors[i].cells) {
            if (!c.rejected.empty()) continue;
            const bool measured = !std::isnan(c.kld);
            if (!r.exact) c.damage = c.proxy;
            else if (measured && (model == DamageModel::Measured || is_float_type(c.type))) c.damage = std::max(0.0, c.kld);
            else c.damage = f.gain * c.proxy + (is_float_type(c.type) ? 0.0 : f.floor);
        }
    }
}

struct SensitivityScan::Chunk {
    std::vector<int32_t> tokens;  // [n_ctx], BOS first
    std::vector<float> x;         // [(n_layer + 1)][n_ctx][n_embd]: the stream entering each layer
    std::vector<float> base_lp;   // [n_scored][n_vocab] log-softmax of the unmodified model
    std::vector<float> base_p;    // exp(base_lp)
    std::vector<int32_t> next;    // [n_scored] the token that follows each scored position
};

SensitivityScan::SensitivityScan(std::shared_ptr<LlamaModel> model, std::vector<int32_t> tokens, SensitivityOptions opt)
    : model_(std::move(model)), tokens_(std::move(tokens)), opt_(std::move(opt)) {
    if (!model_) throw Error(ErrorCode::InvalidArgument, "no model");
    t_start_ = steady_seconds();
    const LlamaHparams& hp = model_->hparams();
    if (opt_.types.empty()) opt_.types = default_candidate_types();
    opt_.n_ctx = std::min<int64_t>(opt_.n_ctx, hp.n_ctx_train > 0 ? hp.n_ctx_train : opt_.n_ctx);
    if (opt_.n_ctx < 16) throw Error(ErrorCode::InvalidArgument, "calibration chunks must be at least 16 tokens");
    if (opt_.n_chunks < 1) throw Error(ErrorCode::InvalidArgument, "at least one calibration chunk is needed");
    if (opt_.verify_chunks < 0) throw Error(ErrorCode::InvalidArgument, "the number of verification chunks cannot be negative");
    if (opt_.verify_chunks > 0 && !opt_.exact) throw Error(ErrorCode::InvalidArgument, "a proxy scan verifies no plan");
    const int64_t available = int64_t(tokens_.size()) / opt_.n_ctx;
    const int64_t needed = opt_.n_chunks + opt_.verify_chunks;
    if (available < needed) {
        throw Error(ErrorCode::InvalidArgument, "the calibration text has " + std::to_string(tokens_.size()) +
                                                    " tokens; " + std::to_string(needed) + " chunks of " +
                                                    std::to_string(opt_.n_ctx) + " need " +
                                                    std::to_string(needed * opt_.n_ctx));
    }
    if (opt_.first_scored < 0) opt_.first_scored = opt_.n_ctx / 2;
    if (opt_.first_scored >= opt_.n_ctx - 1) throw Error(ErrorCode::InvalidArgument, "no position of a chunk is scored");

    ContextOptions co;
    co.n_ctx = opt_.n_ctx;
    co.n_batch = opt_.n_ctx;
    co.variant = opt_.variant;
    co.threads = opt_.threads;
    co.pool = opt_.pool;
    ctx_ = std::make_unique<LlamaContext>(model_, co);

    if (opt_.imatrix) imatrix_ = *opt_.imatrix;
    const bool will_have_imatrix = opt_.imatrix ? !opt_.imatrix->entries.empty() : opt_.imatrix_chunks != 0;
    res_.types = opt_.types;
    res_.tensors = sensitivity_tensors(model_->header(), opt_.types, will_have_imatrix);
    if (opt_.imatrix) reject_without_imatrix();
    if (res_.tensors.empty()) throw Error(ErrorCode::InvalidArgument, "the model has no tensor to quantize");
    res_.exact = opt_.exact;
    res_.threads = ctx_->threads();
    res_.n_ctx = opt_.n_ctx;
    res_.n_chunks = opt_.n_chunks;
    act_sum2_.resize(res_.tensors.size());
    act_rows_.assign(res_.tensors.size(), 0);

    if (!opt_.imatrix && opt_.imatrix_chunks != 0) {
        ImatrixOptions io;
        io.n_ctx = opt_.n_ctx;
        io.n_chunks = opt_.imatrix_chunks;
        io.add_bos = opt_.add_bos;
        io.bos = opt_.bos;
        io.process_output = true;
        io.dataset = opt_.dataset;
        collector_ = std::make_unique<ImatrixCollector>(*ctx_, tokens_, io);
        imatrix_steps_ = collector_->n_chunks();
        res_.imatrix_computed = true;
    }
    for (size_t t = 0; t < res_.tensors.size(); ++t) {
        for (size_t c = 0; c < res_.tensors[t].cells.size(); ++c) {
            if (res_.tensors[t].cells[c].rejected.empty()) cells_.emplace_back(t, c);
        }
    }
    for (GgmlType t : opt_.exact_types) {
        if (std::find(opt_.types.begin(), opt_.types.end(), t) == opt_.types.end()) {
            throw Error(ErrorCode::InvalidArgument, std::string("exact format ") + type_traits(t).name + " is not a candidate");
        }
    }
    // Which cells run through the engine: every allowed one, or those of the
    // exact formats, and at least one per tensor (its smallest) for the gain.
    measure_.resize(res_.tensors.size());
    for (size_t t = 0; t < res_.tensors.size(); ++t) {
        const auto& cells = res_.tensors[t].cells;
        auto& m = measure_[t];
        m.assign(cells.size(), false);
        size_t smallest = cells.size();
        bool any = false;
        for (size_t c = 0; c < cells.size(); ++c) {
            if (!cells[c].rejected.empty() || !opt_.exact) continue;
            m[c] = opt_.exact_types.empty() ||
                   std::find(opt_.exact_types.begin(), opt_.exact_types.end(), cells[c].type) != opt_.exact_types.end();
            any = any || m[c];
            if (smallest == cells.size() || cells[c].bytes < cells[smallest].bytes) smallest = c;
        }
        if (!any && smallest < cells.size()) m[smallest] = true;
    }
    n_steps_ = imatrix_steps_ + opt_.n_chunks + opt_.verify_chunks + int64_t(cells_.size());
}

SensitivityScan::~SensitivityScan() {
    collector_.reset();  // detaches its observer from the context
    ctx_->set_matmul_observer({});
    ctx_->set_layer_input_observer({});
}

SensitivityProgress SensitivityScan::step() {
    if (finished()) throw Error(ErrorCode::InvalidArgument, "the scan is finished");
    SensitivityProgress p;
    if (done_ < imatrix_steps_) {
        p.phase = "imatrix";
        imatrix_step();
    } else if (done_ < imatrix_steps_ + opt_.n_chunks) {
        p.phase = "base";
        base_step();
    } else if (done_ < imatrix_steps_ + opt_.n_chunks + opt_.verify_chunks) {
        p.phase = "base";
        verify_base_step();
    } else {
        const auto [t, c] = cells_[size_t(done_ - imatrix_steps_ - opt_.n_chunks - opt_.verify_chunks)];
        p.phase = "tensors";
        p.tensor = res_.tensors[t].name;
        p.type = res_.tensors[t].cells[c].type;
        cell_step(t, c);
    }
    ++done_;
    p.step = done_;
    p.n_steps = n_steps_;
    if (finished()) {
        estimate_damage(res_, opt_.damage);
        res_.seconds = steady_seconds() - t_start_;
        src_.clear();
        src_.shrink_to_fit();
    }
    return p;
}

void SensitivityScan::run(const std::function<bool(const SensitivityProgress&)>& on_progress) {
    while (!finished()) {
        const SensitivityProgress p = step();
        if (on_progress && !on_progress(p)) throw Error(ErrorCode::Cancelled, "sensitivity scan cancelled");
    }
}

void SensitivityScan::imatrix_step() {
    collector_->step();
    if (collector_->finished()) {
        computed_ = std::make_unique<ImatrixResult>(collector_->result());
        imatrix_ = computed_->to_imatrix_data();
        collector_.reset();
        reject_without_imatrix();
    }
}

void SensitivityScan::base_step() {
    const LlamaHparams& hp = model_->hparams();
    const int64_t n = opt_.n_ctx, E = hp.n_embd, V = hp.n_vocab;
    const int64_t c = int64_t(chunks_.size());
    Chunk ch;
    ch.tokens.assign(tokens_.begin() + c * n, tokens_.begin() + (c + 1) * n);
    if (opt_.add_bos) ch.tokens[0] = opt_.bos;
    if (opt_.exact) ch.x.resize(size_t((hp.n_layer + 1) * n * E));

    std::map<std::string, size_t> index;
    for (size_t i = 0; i < res_.tensors.size(); ++i) index[res_.tensors[i].name] = i;
    ctx_->set_matmul_observer([&](const WeightMatrix& w, const float* x, int64_t rows) {
        auto it = index.find(w.name);
        if (it == index.end()) return;
        std::vector<double>& s = act_sum2_[it->second];
        s.resize(size_t(w.n_in), 0.0);
        add_column_squares(ctx_->pool(), x, rows, w.n_in, s.data());
        act_rows_[it->second] += rows;
    });
    if (opt_.exact) {
        ctx_->set_layer_input_observer([&](int64_t layer, const float* x, int64_t rows) {
            std::copy(x, x + rows * E, ch.x.begin() + layer * n * E);
        });
    }
    ctx_->clear();
    const std::vector<float>* logits = nullptr;
    try {
        logits = &ctx_->decode(ch.tokens.data(), n, true);
    } catch (...) {
        ctx_->set_matmul_observer({});
        ctx_->set_layer_input_observer({});
        throw;
    }
    ctx_->set_matmul_observer({});
    ctx_->set_layer_input_observer({});

    token_freq_.resize(size_t(V), 0.0);
    for (int32_t t : ch.tokens) token_freq_[size_t(t)] += 1.0;

    const int64_t n_scored = n - 1 - opt_.first_scored;
    std::vector<float> lp(static_cast<size_t>(V));
    double nll = 0.0;
    if (opt_.exact) {
        ch.base_lp.resize(size_t(n_scored * V));
        ch.base_p.resize(ch.base_lp.size());
    }
    for (int64_t j = opt_.first_scored; j < n - 1; ++j) {
        const int32_t next = tokens_[size_t(c * n + j + 1)];
        log_softmax(&(*logits)[size_t(j * V)], V, lp.data());
        nll -= double(lp[size_t(next)]);
        if (opt_.exact) {
            const size_t at = size_t((j - opt_.first_scored) * V);
            std::copy(lp.begin(), lp.end(), ch.base_lp.begin() + at);
            for (int64_t i = 0; i < V; ++i) ch.base_p[at + size_t(i)] = std::exp(lp[size_t(i)]);
            ch.next.push_back(next);
        }
    }
    // The running mean over chunks of the base model's NLL.
    const double prev = res_.n_scored > 0 ? std::log(res_.base_ppl) * double(res_.n_scored) : 0.0;
    res_.n_scored += n_scored;
    res_.base_ppl = std::exp((prev + nll) / double(res_.n_scored));
    if (!opt_.exact) ch.tokens.clear();
    chunks_.push_back(std::move(ch));
}

void SensitivityScan::verify_base_step() {
    const int64_t n = opt_.n_ctx, V = model_->hparams().n_vocab;
    const int64_t c = opt_.n_chunks + int64_t(verify_.size());
    Chunk ch;
    ch.tokens.assign(tokens_.begin() + c * n, tokens_.begin() + (c + 1) * n);
    if (opt_.add_bos) ch.tokens[0] = opt_.bos;
    ctx_->clear();
    const std::vector<float>& logits = ctx_->decode(ch.tokens.data(), n, true);
    std::vector<float> lp(static_cast<size_t>(V));
    const int64_t n_scored = n - 1 - opt_.first_scored;
    ch.base_lp.resize(size_t(n_scored * V));
    ch.base_p.resize(ch.base_lp.size());
    for (int64_t j = opt_.first_scored; j < n - 1; ++j) {
        const int32_t next = tokens_[size_t(c * n + j + 1)];
        log_softmax(&logits[size_t(j * V)], V, lp.data());
        verify_nll_ -= double(lp[size_t(next)]);
        const size_t at = size_t((j - opt_.first_scored) * V);
        std::copy(lp.begin(), lp.end(), ch.base_lp.begin() + at);
        for (int64_t i = 0; i < V; ++i) ch.base_p[at + size_t(i)] = std::exp(lp[size_t(i)]);
        ch.next.push_back(next);
    }
    verify_scored_ += n_scored;
    verify_.push_back(std::move(ch));
}

const std::vector<float>& SensitivityScan::source(size_t tensor) {
    if (src_index_ == tensor) return src_;
    const TensorSensitivity& t = res_.tensors[tensor];
    const GgufTensorInfo& info = model_->header().tensor(t.name);
    const TypeTraits& tr = type_traits(info.type);
    const int64_t ne0 = t.ne[0], ne1 = t.ne[1];
    src_.resize(size_t(ne0 * ne1));
    const uint8_t* base = model_->data() + info.offset;
    const size_t rs = row_size(tr, ne0);
    for_ranges(ctx_->pool(), ne1, [&](int64_t b, int64_t e) {
        for (int64_t r = b; r < e; ++r) tr.ref.dequantize_row(base + size_t(r) * rs, src_.data() + r * ne0, ne0);
    });
    src_index_ = tensor;
    return src_;
}

std::vector<uint8_t> SensitivityScan::quantize_tensor(size_t tensor, GgmlType type) {
    const TensorSensitivity& t = res_.tensors.at(tensor);
    const std::vector<float>& x = source(tensor);
    const TypeTraits& tr = type_traits(type);
    QuantizeOptions qo;
    qo.n_per_row = t.ne[0];
    qo.variant = opt_.variant;
    qo.pool = &ctx_->pool();  // the same bytes for any thread count
    // As QuantizeSession: the entry of this tensor when its length fits.
    if (const std::vector<float>* w = imatrix_.find(t.name)) {
        if (int64_t(w->size()) == t.ne[0]) {
            qo.imatrix = w->data();
            qo.imatrix_len = w->size();
        }
    }
    std::vector<uint8_t> out(quantized_size(tr, x.size()));
    quantize_into(tr, x.data(), x.size(), out.data(), out.size(), qo);
    return out;
}

int SensitivityScan::first_layer(const TensorSensitivity& t) const {
    const int64_t n_layer = model_->hparams().n_layer;
    if (t.layer >= 0) return t.layer;
    if (t.name == "output.weight") return int(n_layer);
    return 0;  // token_embd (and with it a tied output): the whole model
}

double SensitivityScan::chunk_kld(const Chunk& c, const std::vector<float>& logits, double* nll) const {
    const int64_t V = model_->hparams().n_vocab, first = opt_.first_scored, m = opt_.n_ctx - 1 - first;
    // Positions on the pool's threads, added up in position order.
    std::vector<double> k(static_cast<size_t>(m)), next_lp(static_cast<size_t>(m));
    for_ranges(ctx_->pool(), m, [&](int64_t b, int64_t e) {
        std::vector<float> lp(static_cast<size_t>(V));
        for (int64_t p = b; p < e; ++p) {
            const size_t at = size_t(p * V);
            log_softmax(&logits[size_t((first + p) * V)], V, lp.data());
            double kp = 0.0;
            for (int64_t i = 0; i < V; ++i) kp += double(c.base_p[at + size_t(i)]) * double(c.base_lp[at + size_t(i)] - lp[size_t(i)]);
            k[size_t(p)] = kp;
            next_lp[size_t(p)] = double(lp[size_t(c.next[size_t(p)])]);
        }
    });
    double kld = 0.0;
    for (int64_t p = 0; p < m; ++p) {
        kld += k[size_t(p)];
        if (nll) *nll -= next_lp[size_t(p)];
    }
    return kld;
}

// A tensor the importance matrix has no entry for (token_embd, a lookup, never
// has one) cannot take the imatrix-only formats after all.
void SensitivityScan::reject_without_imatrix() {
    for (auto& t : res_.tensors) {
        if (imatrix_.find(t.name)) continue;
        for (auto& c : t.cells) {
            if (c.rejected.empty()) c.rejected = candidate_rejection(c.type, t.name, t.ne[0], false);
        }
    }
}

void SensitivityScan::cell_step(size_t tensor, size_t cell) {
    TensorSensitivity& t = res_.tensors[tensor];
    SensitivityCell& c = t.cells[cell];
    if (!c.rejected.empty()) return;
    const std::vector<uint8_t> q = quantize_tensor(tensor, c.type);
    const std::vector<float>& x = source(tensor);
    const int64_t ne0 = t.ne[0], ne1 = t.ne[1];
    const TypeTraits& tr = type_traits(c.type);
    const size_t rs = row_size(tr, ne0);

    // Proxy: expected squared output error per token.
    const bool is_embd = t.name == "token_embd.weight";
    const std::vector<double>& a2 = act_sum2_[tensor];
    const double rows_seen = double(std::max<int64_t>(1, act_rows_[tensor]));
    double tokens_seen = 0.0;
    for (double f : token_freq_) tokens_seen += f;
    // Rows on the pool's threads, added up in row order.
    std::vector<double> row_sq(static_cast<size_t>(ne1)), row_w(static_cast<size_t>(ne1));
    for_ranges(ctx_->pool(), ne1, [&](int64_t b, int64_t e) {
        std::vector<float> y(static_cast<size_t>(ne0));
        for (int64_t r = b; r < e; ++r) {
            tr.ref.dequantize_row(q.data() + size_t(r) * rs, y.data(), ne0);
            const float* xr = x.data() + r * ne0;
            double sq = 0.0, w = 0.0;
            for (int64_t i = 0; i < ne0; ++i) {
                const double d = double(xr[i]) - double(y[size_t(i)]);
                sq += d * d;
                if (!a2.empty()) w += a2[size_t(i)] / rows_seen * d * d;
            }
            row_sq[size_t(r)] = sq;
            row_w[size_t(r)] = w;
        }
    });
    double proxy = 0.0;
    for (int64_t r = 0; r < ne1; ++r) {
        const double sq = row_sq[size_t(r)];
        proxy += row_w[size_t(r)];  // as the input of a multiplication (output.weight, or a tied token_embd)
        if (is_embd && tokens_seen > 0 && size_t(r) < token_freq_.size()) proxy += token_freq_[size_t(r)] / tokens_seen * sq;
        if (a2.empty() && !is_embd) proxy += sq / double(ne0);  // no statistics: plain MSE per value
    }
    c.proxy = proxy;

    if (!measure_[tensor][cell]) return;
    model_->set_weight(t.name, c.type, q.data());
    double kld = 0.0;
    try {
        const int fl = first_layer(t);
        const int64_t E = model_->hparams().n_embd;
        for (const Chunk& ch : chunks_) {
            ctx_->clear();
            const auto& logits = ctx_->decode_from_layer(ch.tokens.data(), opt_.n_ctx, fl,
                                                        fl > 0 ? ch.x.data() + size_t(fl) * size_t(opt_.n_ctx * E) : nullptr);
            kld += chunk_kld(ch, logits, nullptr);
        }
    } catch (...) {
        model_->set_weight(t.name, t.stored_type, nullptr);
        throw;
    }
    model_->set_weight(t.name, t.stored_type, nullptr);
    c.kld = kld / double(res_.n_scored);
}

MixMeasurement SensitivityScan::measure_mix(const std::vector<std::pair<std::string, GgmlType>>& mix) {
    if (!finished()) throw Error(ErrorCode::InvalidArgument, "the scan is not finished");
    if (!opt_.exact) throw Error(ErrorCode::InvalidArgument, "a proxy-only scan keeps no base distributions");
    std::vector<std::vector<uint8_t>> bufs;  // tensors the cache has no room for
    std::vector<std::string> changed;
    constexpr size_t kCacheLimit = size_t(128) << 20;
    auto restore = [&] {
        for (const auto& name : changed) model_->set_weight(name, GgmlType::F32, nullptr);
    };
    MixMeasurement m;
    try {
        for (const auto& [name, type] : mix) {
            size_t idx = res_.tensors.size();
            for (size_t i = 0; i < res_.tensors.size(); ++i) {
                if (res_.tensors[i].name == name) idx = i;
            }
            if (idx == res_.tensors.size()) throw Error(ErrorCode::InvalidArgument, "no quantizable tensor '" + name + "'");
            if (type == res_.tensors[idx].stored_type) continue;
            const uint8_t* data = nullptr;
            auto it = mix_cache_.find({idx, type});
            if (it != mix_cache_.end()) {
                data = it->second.data();
            } else {
                std::vector<uint8_t> q = quantize_tensor(idx, type);
                if (mix_cache_bytes_ + q.size() <= kCacheLimit) {
                    mix_cache_bytes_ += q.size();
                    data = mix_cache_.emplace(std::make_pair(idx, type), std::move(q)).first->second.data();
                } else {
                    bufs.push_back(std::move(q));
                    data = bufs.back().data();
                }
            }
            model_->set_weight(name, type, data);
            changed.push_back(name);
        }
        const bool apart = !verify_.empty();
        const double n_scored = double(apart ? verify_scored_ : res_.n_scored);
        double kld = 0.0, nll = 0.0;
        for (const Chunk& ch : apart ? verify_ : chunks_) {
            ctx_->clear();
            const auto& logits = ctx_->decode_from_layer(ch.tokens.data(), opt_.n_ctx, 0, nullptr);
            kld += chunk_kld(ch, logits, &nll);
        }
        m.kld = kld / n_scored;
        m.ppl = std::exp(nll / n_scored);
        m.base_ppl = apart ? std::exp(verify_nll_ / n_scored) : res_.base_ppl;
    } catch (...) {
        restore();
        throw;
    }
    restore();
    src_.clear();
    src_index_ = size_t(-1);
    return m;
}

}  // namespace quantlab
