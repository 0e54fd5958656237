#include "quantize/imatrix_compute.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.h"
#include "gguf/gguf_file.h"

namespace quantlab {

namespace {

// llama-imatrix ignores multiplications of fewer rows than this (its
// collect_imatrix callback declines them), so single-token steps never count.
constexpr int64_t kMinRows = 16;

bool wanted(const std::string& name, bool process_output) {
    // Only block weights, as llama-imatrix: token_embd is a lookup, and the
    // output matrix (token_embd itself when tied) is opt-in.
    return name.compare(0, 4, "blk.") == 0 || (process_output && name == "output.weight");
}

}  // namespace

ImatrixData ImatrixResult::to_imatrix_data() const {
    ImatrixData d;
    d.datasets = datasets;
    d.chunk_count = int(chunk_count);
    for (const auto& [name, e] : entries) {
        // The same float arithmetic parse_imatrix applies to the stored tensors.
        const float c = float(e.count);
        std::vector<float> v(e.in_sum2.size());
        for (size_t i = 0; i < v.size(); ++i) v[i] = c > 0.0f ? e.in_sum2[i] / c : 1.0f;
        d.entries[name] = std::move(v);
    }
    return d;
}

ImatrixCollector::ImatrixCollector(LlamaContext& ctx, std::vector<int32_t> tokens, const ImatrixOptions& opt)
    : ctx_(ctx), tokens_(std::move(tokens)), opt_(opt) {
    if (opt_.n_ctx < kMinRows) {
        throw Error(ErrorCode::InvalidArgument,
                    "imatrix context must be at least " + std::to_string(kMinRows) + " tokens");
    }
    if (opt_.n_ctx > ctx_.n_ctx()) {
        throw Error(ErrorCode::InvalidArgument, "imatrix context " + std::to_string(opt_.n_ctx) +
                                                    " exceeds the model context " + std::to_string(ctx_.n_ctx()));
    }
    const int64_t available = int64_t(tokens_.size()) / opt_.n_ctx;
    if (available < 1) {
        throw Error(ErrorCode::InvalidArgument, "the text has " + std::to_string(tokens_.size()) +
                                                    " tokens; at least " + std::to_string(opt_.n_ctx) +
                                                    " are needed for one chunk");
    }
    n_chunks_ = opt_.n_chunks < 0 ? available : std::min(opt_.n_chunks, available);
    if (n_chunks_ < 1) throw Error(ErrorCode::InvalidArgument, "at least one chunk is needed");
    ctx_.set_matmul_observer([this](const WeightMatrix& w, const float* x, int64_t n) { observe(w, x, n); });
}

ImatrixCollector::~ImatrixCollector() { ctx_.set_matmul_observer(nullptr); }

void ImatrixCollector::observe(const WeightMatrix& w, const float* x, int64_t n_tokens) {
    if (n_tokens < kMinRows || !wanted(w.name, opt_.process_output)) return;
    Accum& a = acc_[w.name];
    if (a.sum2.empty()) a.sum2.assign(size_t(w.n_in), 0.0);
    add_column_squares(ctx_.pool(), x, n_tokens, w.n_in, a.sum2.data());
    a.count += n_tokens;
}

void add_column_squares(ThreadPool& pool, const float* x, int64_t n_tokens, int64_t n_in, double* sum2) {
    const int64_t tasks = n_in * n_tokens >= (int64_t(1) << 15) ? pool.size() : 1;
    pool.run(tasks, [&](int64_t task, int) {
        const TaskRange cols = task_range(n_in, tasks, task, 16);
        for (int64_t t = 0; t < n_tokens; ++t) {
            const float* row = x + t * n_in;
            for (int64_t j = cols.begin; j < cols.end; ++j) sum2[j] += double(row[j]) * double(row[j]);
        }
    });
}

void ImatrixCollector::step() {
    if (finished()) throw Error(ErrorCode::InvalidArgument, "the imatrix run is already complete");
    const int64_t n_ctx = opt_.n_ctx;
    std::vector<int32_t> chunk(tokens_.begin() + done_ * n_ctx, tokens_.begin() + (done_ + 1) * n_ctx);
    if (opt_.add_bos) chunk[0] = opt_.bos;
    ctx_.clear();
    // All logits, as llama-imatrix requests them (it also scores perplexity);
    // that keeps output.weight's input rows identical when process_output is set.
    ctx_.decode(chunk.data(), n_ctx, opt_.process_output);
    ++done_;
    if (opt_.on_progress && !opt_.on_progress({done_, n_chunks_})) {
        throw Error(ErrorCode::Cancelled, "imatrix cancelled after chunk " + std::to_string(done_));
    }
}

ImatrixResult ImatrixCollector::result() const {
    ImatrixResult r;
    if (!opt_.dataset.empty()) r.datasets.push_back(opt_.dataset);
    r.chunk_count = done_;
    r.chunk_size = opt_.n_ctx;
    for (const auto& [name, a] : acc_) {
        ImatrixEntry e;
        // Sums are kept in double while collecting (a long run adds millions of
        // rows) and stored as f32, the file's type.
        e.in_sum2.assign(a.sum2.begin(), a.sum2.end());
        e.count = a.count;
        r.entries.emplace(name, std::move(e));
    }
    return r;
}

ImatrixResult compute_imatrix(LlamaContext& ctx, const std::vector<int32_t>& tokens, const ImatrixOptions& opt) {
    ImatrixCollector c(ctx, tokens, opt);
    while (!c.finished()) c.step();
    return c.result();
}

std::vector<uint8_t> serialize_imatrix_gguf(const ImatrixResult& r) {
    if (r.entries.empty()) throw Error(ErrorCode::InvalidArgument, "the imatrix has no entries");
    GgufWriter w;
    w.set("general.type", GgufValue::string("imatrix"));
    w.set("imatrix.datasets", GgufValue::string_array(r.datasets));
    w.set("imatrix.chunk_count", GgufValue::u32(uint32_t(r.chunk_count)));
    w.set("imatrix.chunk_size", GgufValue::u32(uint32_t(r.chunk_size)));
    std::vector<std::vector<float>> data;
    for (const auto& [name, e] : r.entries) {
        w.add_tensor(name + ".in_sum2", GgmlType::F32, {int64_t(e.in_sum2.size()), 1});
        data.push_back(e.in_sum2);
        w.add_tensor(name + ".counts", GgmlType::F32, {1, 1});
        data.push_back({float(e.count)});
    }
    std::vector<uint8_t> out = w.header_bytes();
    out.reserve(size_t(w.file_size()));
    for (size_t i = 0; i < data.size(); ++i) {
        const auto* p = reinterpret_cast<const uint8_t*>(data[i].data());
        out.insert(out.end(), p, p + data[i].size() * sizeof(float));
        out.resize(out.size() + size_t(w.padding_after(i)), 0);
    }
    return out;
}

void write_imatrix_gguf(const std::string& path, const ImatrixResult& r) {
    const std::vector<uint8_t> bytes = serialize_imatrix_gguf(r);
    const std::string tmp = path + ".partial";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error(ErrorCode::Io, "cannot create " + tmp + ": " + std::strerror(errno));
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size() && std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(ErrorCode::Io, "cannot write " + path);
    }
}

}  // namespace quantlab
