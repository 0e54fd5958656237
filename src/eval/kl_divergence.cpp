#include "eval/kl_divergence.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "core/error.h"

namespace quantlab {

namespace {

constexpr char kMagic[8] = {'Q', 'L', 'K', 'L', 'D', 'B', '0', '1'};

struct MeanErr {
    double mean = 0, err = 0, var = 0;
};

MeanErr mean_err(const std::vector<double>& v) {
    MeanErr m;
    const double n = double(v.size());
    if (v.empty()) return m;
    double s = 0, s2 = 0;
    for (double x : v) {
        s += x;
        s2 += x * x;
    }
    m.mean = s / n;
    m.var = std::max(0.0, s2 / n - m.mean * m.mean);
    m.err = n > 1 ? std::sqrt(m.var / (n - 1)) : 0.0;
    return m;
}

// Nearest-rank percentile of sorted values.
double pct(const std::vector<double>& sorted, double p) {
    const size_t i = size_t(std::lround(p * double(sorted.size() - 1)));
    return sorted[std::min(i, sorted.size() - 1)];
}

KldPercentiles percentiles(std::vector<double> v) {
    KldPercentiles r;
    if (v.empty()) return r;
    std::sort(v.begin(), v.end());
    r.max = v.back();
    r.p99_9 = pct(v, 0.999);
    r.p99 = pct(v, 0.99);
    r.p95 = pct(v, 0.95);
    r.p90 = pct(v, 0.90);
    r.median = pct(v, 0.5);
    r.p10 = pct(v, 0.10);
    r.p5 = pct(v, 0.05);
    r.p1 = pct(v, 0.01);
    r.p0_1 = pct(v, 0.001);
    r.min = v.front();
    return r;
}

}  // namespace

void KldAccumulator::add(const float* base, const float* q, int64_t n_vocab, int32_t next) {
    double kld = 0.0;
    int64_t top_b = 0, top_q = 0;
    for (int64_t i = 0; i < n_vocab; ++i) {
        const double pb = std::exp(double(base[i]));
        kld += pb * (double(base[i]) - double(q[i]));
        if (base[i] > base[top_b]) top_b = i;
        if (q[i] > q[top_q]) top_q = i;
    }
    kld_.push_back(kld);
    dp_.push_back(std::exp(double(q[next])) - std::exp(double(base[next])));
    nll_base_.push_back(-double(base[next]));
    nll_q_.push_back(-double(q[next]));
    same_top_ += top_b == top_q;
}

KldStats KldAccumulator::finish() const {
    KldStats s;
    s.n = count();
    if (s.n == 0) throw Error(ErrorCode::InvalidArgument, "no positions were compared");
    const double n = double(s.n);
    const MeanErr b = mean_err(nll_base_), q = mean_err(nll_q_);
    s.ppl_base = std::exp(b.mean);
    s.ppl_base_err = s.ppl_base * b.err;
    s.ppl_q = std::exp(q.mean);
    s.ppl_q_err = s.ppl_q * q.err;

    std::vector<double> diff(nll_q_.size());
    double cov = 0;
    for (size_t i = 0; i < diff.size(); ++i) {
        diff[i] = nll_q_[i] - nll_base_[i];
        cov += (nll_q_[i] - q.mean) * (nll_base_[i] - b.mean);
    }
    cov /= n;
    s.cor_ln_ppl = (b.var > 0 && q.var > 0) ? cov / std::sqrt(b.var * q.var) : 1.0;
    const MeanErr d = mean_err(diff);
    s.mean_ln_ratio = d.mean;
    s.mean_ln_ratio_err = d.err;
    s.ppl_ratio = std::exp(d.mean);
    s.ppl_ratio_err = s.ppl_ratio * d.err;
    s.ppl_diff = s.ppl_q - s.ppl_base;
    // Delta method with the covariance of the two mean NLLs.
    const double var_diff = s.ppl_q * s.ppl_q * q.err * q.err + s.ppl_base * s.ppl_base * b.err * b.err -
                            2.0 * s.ppl_q * s.ppl_base * (n > 1 ? cov / (n - 1) : 0.0);
    s.ppl_diff_err = std::sqrt(std::max(0.0, var_diff));

    const MeanErr k = mean_err(kld_);
    s.kld_mean = k.mean;
    s.kld_err = k.err;
    s.kld = percentiles(kld_);
    const MeanErr p = mean_err(dp_);
    s.dp_mean = p.mean;
    s.dp_err = p.err;
    s.dp_rms = std::sqrt(p.var + p.mean * p.mean);
    s.dp = percentiles(dp_);
    s.same_top = double(same_top_) / n;
    s.same_top_err = n > 1 ? std::sqrt(s.same_top * (1.0 - s.same_top) / (n - 1)) : 0.0;

    s.z = d.err > 0 ? d.mean / d.err : 0.0;
    s.p_value = std::erfc(std::fabs(s.z) / std::sqrt(2.0));
    s.significant_5pct = s.p_value < 0.05;
    return s;
}

KldBaseWriter::KldBaseWriter(const std::string& path, int64_t n_vocab, int64_t n_ctx)
    : path_(path), tmp_(path + ".partial"), n_vocab_(n_vocab) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) throw Error(ErrorCode::Io, "cannot create " + tmp_ + ": " + std::strerror(errno));
    const uint32_t nv = uint32_t(n_vocab), nc = uint32_t(n_ctx);
    const uint64_t zero = 0;
    std::fwrite(kMagic, 1, 8, f_);
    std::fwrite(&nv, 4, 1, f_);
    std::fwrite(&nc, 4, 1, f_);
    std::fwrite(&zero, 8, 1, f_);
}

KldBaseWriter::~KldBaseWriter() {
    if (f_) {
        std::fclose(f_);
        std::remove(tmp_.c_str());
    }
}

void KldBaseWriter::add(const float* logprobs, int32_t next) {
    if (std::fwrite(&next, 4, 1, f_) != 1 || std::fwrite(logprobs, 4, size_t(n_vocab_), f_) != size_t(n_vocab_)) {
        throw Error(ErrorCode::Io, "cannot write " + tmp_);
    }
    ++n_;
}

void KldBaseWriter::commit() {
    const bool ok = std::fseek(f_, 16, SEEK_SET) == 0 && std::fwrite(&n_, 8, 1, f_) == 1;
    const bool closed = std::fclose(f_) == 0;
    f_ = nullptr;
    if (!ok || !closed || std::rename(tmp_.c_str(), path_.c_str()) != 0) {
        std::remove(tmp_.c_str());
        throw Error(ErrorCode::Io, "cannot write " + path_);
    }
}

KldBaseReader::KldBaseReader(const std::string& path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
    char magic[8];
    uint32_t nv = 0, nc = 0;
    if (std::fread(magic, 1, 8, f_) != 8 || std::memcmp(magic, kMagic, 8) != 0 || std::fread(&nv, 4, 1, f_) != 1 ||
        std::fread(&nc, 4, 1, f_) != 1 || std::fread(&n_, 8, 1, f_) != 1) {
        std::fclose(f_);
        f_ = nullptr;
        throw Error(ErrorCode::Format, path + " is not a quantlab KL-divergence base file");
    }
    n_vocab_ = nv;
    n_ctx_ = nc;
}

KldBaseReader::~KldBaseReader() {
    if (f_) std::fclose(f_);
}

void KldBaseReader::next(std::vector<float>& logprobs, int32_t& next_token) {
    if (read_ >= n_) throw Error(ErrorCode::Format, "the KL-divergence base file has fewer positions than this run scores");
    logprobs.resize(size_t(n_vocab_));
    if (std::fread(&next_token, 4, 1, f_) != 1 || std::fread(logprobs.data(), 4, size_t(n_vocab_), f_) != size_t(n_vocab_)) {
        throw Error(ErrorCode::Format, "the KL-divergence base file is truncated");
    }
    ++read_;
}

}  // namespace quantlab
