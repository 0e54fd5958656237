#include "quantize/quantize_session.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <utility>

#include "core/error.h"
#include "formats/quantize.h"
#include "parallel/cpu_cores.h"
#include "quantize/type_layout.h"

namespace quantlab {

namespace {

// Runs fn(thread, begin, end) over [0, n) on the pool, in row chunks of
// fixed boundaries; rows are independent, so the bytes do not depend on the
// chunking nor on which thread converts what. Like llama-quantize (chunks of
// at least 32*512 values), small work stays on one thread. A few chunks per
// thread let a thread the OS parks on a busy machine fall behind without
// holding the others up.
template <class Fn>
void parallel_rows(ThreadPool& pool, int64_t n, int64_t row_values, Fn fn) {
    constexpr int64_t kMinValuesPerChunk = 32 * 512;
    const int64_t by_size = (n * row_values + kMinValuesPerChunk - 1) / kMinValuesPerChunk;
    const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>({int64_t(4) * pool.size(), n, by_size}));
    pool.run(chunks, [&](int64_t chunk, int thread) {
        const TaskRange r = task_range(n, chunks, chunk);
        if (r.end > r.begin) fn(thread, r.begin, r.end);
    });
}

// ggml_validate_row_data's question (are the stored scales / values finite?)
// answered by decoding: a block decodes to finite values exactly when its
// scales are finite.
void validate_rows(const TypeTraits& tr, const KernelSet& k, const uint8_t* data, int64_t nrows, int64_t ne0,
                   std::vector<float>& scratch, const std::string& name, int64_t first_row, const char* what) {
    const int64_t r = first_non_finite_row(tr, k, data, nrows, ne0, scratch);
    if (r >= 0) {
        throw Error(ErrorCode::NonFinite, std::string(what) + ": tensor " + name + " row " +
                                              std::to_string(first_row + r) + " holds a non-finite value");
    }
}

// The input of a conversion, checked row by row so the error names where
// the NaN/Inf is in the model, not in a chunk.
void require_finite_rows(const float* x, int64_t nrows, int64_t ne0, const std::string& name, int64_t first_row) {
    for (int64_t r = 0; r < nrows; ++r) {
        for (int64_t i = 0; i < ne0; ++i) {
            const float v = x[size_t(r * ne0 + i)];
            if (!std::isfinite(v)) {
                throw Error(ErrorCode::NonFinite, "tensor " + name + " row " + std::to_string(first_row + r) +
                                                      " column " + std::to_string(i) + " holds " +
                                                      (std::isnan(v) ? "NaN" : "Inf") + " in the input");
            }
        }
    }
}

const float* imatrix_for(const ModelQuantizeOptions& opt, const PlannedTensor& t, std::vector<std::string>& missing) {
    if (!opt.imatrix || opt.imatrix->entries.empty() || !t.convert) return nullptr;
    // By the input name: llama-quant.cpp maps a layer renumbered by
    // --prune-layers back to its original name (remap_imatrix).
    const std::vector<float>* e = opt.imatrix->find(t.input_name);
    if (!e) {
        missing.push_back(t.name);
        return nullptr;
    }
    const int64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
    if (int64_t(e->size()) == t.ne[0] * ne2) return e->data();
    // llama-quantize tolerates this for the token embedding only, which
    // imatrix files often carry with another shape.
    if (t.name == "token_embd.weight" || t.name == "per_layer_token_embd.weight") return nullptr;
    throw Error(ErrorCode::Format, "imatrix size " + std::to_string(e->size()) + " is different from tensor size " +
                                       std::to_string(t.ne[0] * ne2) + " for " + t.name);
}

}  // namespace

QuantizeSession::QuantizeSession(GgufHeader input, ModelQuantizeOptions opt) : in_(std::move(input)), opt_(std::move(opt)) {
    if (opt_.threads < 0) throw Error(ErrorCode::InvalidArgument, "thread count must not be negative");
    if (!opt_.imatrix_include.empty() || !opt_.imatrix_exclude.empty()) {
        // filter_imatrix refuses both lists at once, with or without an imatrix.
        filtered_imatrix_ = filter_imatrix(opt_.imatrix ? *opt_.imatrix : ImatrixData(), opt_.imatrix_include,
                                           opt_.imatrix_exclude);
        if (opt_.imatrix) {
            opt_.imatrix = &filtered_imatrix_;
            opt_.emit("have " + std::to_string(filtered_imatrix_.entries.size()) + " importance matrix entries");
        }
    }
    QuantizeParams params = opt_.params;
    params.has_imatrix = opt_.imatrix && !opt_.imatrix->entries.empty();
    plan_ = plan_quantization(in_, params);
    for (const auto& m : plan_.messages) opt_.emit(m);
    for (const auto& w : plan_.warnings) opt_.emit("warning: " + w);

    // Every imatrix problem surfaces before the first byte is written.
    weights_.assign(plan_.tensors.size(), nullptr);
    for (size_t i = 0; i < plan_.tensors.size(); ++i) {
        const PlannedTensor& t = plan_.tensors[i];
        weights_[i] = imatrix_for(opt_, t, imatrix_missing_);
        if (!weights_[i] && t.requires_imatrix && t.convert && !params.dry_run) {
            throw Error(ErrorCode::InvalidArgument,
                        "missing importance matrix for tensor " + t.name +
                            " in a very low-bit quantization (llama-quantize's words); the imatrix has no entry for it"
                            " (left out by --include-weights/--exclude-weights, or made for another model): compute"
                            " one for this model with `quantlab imatrix`");
        }
    }
    for (const auto& name : imatrix_missing_) opt_.emit("did not find imatrix weights for " + name);

    // A plan may name types whose kernels quantlab does not have yet (it needs
    // only their layout); converting, or checking, such a tensor cannot be
    // done. Checked after the imatrix, whose problems llama-quantize reports.
    if (!params.dry_run) {
        for (const auto& t : plan_.tensors) {
            const GgmlType missing = !has_kernels(t.old_type)                     ? t.old_type
                                     : t.convert && !has_kernels(t.new_type) ? t.new_type
                                                                              : GgmlType::F32;
            if (missing == GgmlType::F32) continue;
            throw Error(ErrorCode::Unsupported, std::string("quantlab has no ") + type_layout(missing).name +
                                                    " kernels yet (tensor " + t.name + "): " + ftype_info(plan_.ftype).name +
                                                    " can be planned (dry run) but not written");
        }
    }
    for (const auto& t : plan_.tensors) input_tensor_bytes_ += t.old_bytes;

    try {
        headers_ = build_output_headers(in_, plan_, opt_);
        std::vector<size_t> next(headers_.size(), 0);
        for (const auto& t : plan_.tensors) slot_.push_back(next[size_t(t.output_file)]++);
        has_layout_ = true;
    } catch (const Error&) {
        if (!params.dry_run) throw;
        headers_.assign(size_t(std::max(1, plan_.n_output_files)), GgufWriter());
    }
    pool_ = opt_.shared_pool ? shared_thread_pool(opt_.threads) : std::make_shared<ThreadPool>(resolve_thread_count(opt_.threads));
    scratch_.resize(static_cast<size_t>(pool_->size()));
}

uint64_t QuantizeSession::output_size() const {
    uint64_t n = 0;
    for (size_t f = 0; f < headers_.size(); ++f) n += output_file_size(f);
    return n;
}

uint64_t QuantizeSession::output_offset(size_t i) const {
    if (!has_layout_) throw Error(ErrorCode::InvalidArgument, "a dry run has no output layout");
    const GgufWriter& h = headers_.at(output_file(i));
    return h.data_offset() + h.tensors().at(slot_.at(i)).offset;
}

uint64_t QuantizeSession::output_bytes(size_t i) const {
    if (!has_layout_) throw Error(ErrorCode::InvalidArgument, "a dry run has no output layout");
    const GgufWriter& h = headers_.at(output_file(i));
    return h.tensors().at(slot_.at(i)).size_bytes + h.padding_after(slot_.at(i));
}

uint64_t QuantizeSession::input_offset(size_t i) const {
    return in_.tensors.at(plan_.tensors.at(i).input_index).file_offset;
}

int64_t QuantizeSession::n_rows(size_t i) const {
    const PlannedTensor& t = plan_.tensors.at(i);
    if (!t.ne.empty() && t.ne[0] <= 0) return 0;  // no values (a dimension-less tensor is one value)
    int64_t n = 1;
    for (size_t d = 1; d < t.ne.size(); ++d) n *= t.ne[d];
    return n;
}

uint64_t QuantizeSession::input_row_bytes(size_t i) const {
    const PlannedTensor& t = plan_.tensors.at(i);
    return row_size(type_traits(t.old_type), t.ne.empty() ? 1 : t.ne[0]);
}

uint64_t QuantizeSession::output_row_bytes(size_t i) const {
    const PlannedTensor& t = plan_.tensors.at(i);
    // A tensor that is not converted is copied as it is.
    return t.convert ? row_size(type_traits(t.new_type), t.ne.empty() ? 1 : t.ne[0]) : input_row_bytes(i);
}

uint64_t QuantizeSession::padding_bytes(size_t i) const {
    if (!has_layout_) throw Error(ErrorCode::InvalidArgument, "a dry run has no output layout");
    return headers_.at(output_file(i)).padding_after(slot_.at(i));
}

void QuantizeSession::convert_tensor(size_t i, const ReadFn& read, const WriteFn& write, const ChunkFn& chunk_done) {
    if (i >= plan_.tensors.size()) throw Error(ErrorCode::InvalidArgument, "tensor index out of range");
    convert_rows(i, 0, n_rows(i), read, write, chunk_done);
    static const uint8_t zeros[64] = {};
    for (uint64_t pad = padding_bytes(i); pad > 0;) {
        const size_t k = size_t(std::min<uint64_t>(pad, sizeof zeros));
        write(zeros, k);
        pad -= k;
    }
    opt_.emit(format_tensor_line(plan_.tensors[i], i, plan_.tensors.size(), false));
}

void QuantizeSession::convert_rows(size_t i, int64_t row_begin, int64_t row_end, const ReadFn& read,
                                   const WriteFn& write, const ChunkFn& chunk_done) {
    if (i >= plan_.tensors.size()) throw Error(ErrorCode::InvalidArgument, "tensor index out of range");
    if (opt_.params.dry_run || !has_layout_) throw Error(ErrorCode::InvalidArgument, "a dry run converts nothing");
    const PlannedTensor& t = plan_.tensors[i];
    if (row_begin < 0 || row_begin > row_end || row_end > n_rows(i)) {
        throw Error(ErrorCode::InvalidArgument, "rows " + std::to_string(row_begin) + ".." + std::to_string(row_end) +
                                                    " are outside tensor " + t.name + " (" +
                                                    std::to_string(n_rows(i)) + " rows)");
    }
    const GgufTensorInfo& src = in_.tensors[t.input_index];
    const ModelQuantizeOptions& opt = opt_;

    const TypeTraits& tin = type_traits(t.old_type);
    const TypeTraits& tout = type_traits(t.new_type);
    const KernelSet kin = resolve_kernels(tin, opt.variant);
    const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    const int64_t ne1 = t.ne.size() > 1 ? t.ne[1] : 1;
    const int64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
    const size_t in_row = row_size(tin, ne0);
    const size_t out_row = row_size(tout, ne0);
    const int64_t rows_per_chunk =
        std::max<int64_t>(1, std::min<int64_t>(ne1, int64_t(opt.chunk_values / size_t(std::max<int64_t>(1, ne0)))));
    std::vector<uint8_t>& in_buf = in_buf_;
    std::vector<float>& f32_buf = f32_buf_;
    std::vector<uint8_t>& out_buf = out_buf_;
    std::vector<std::vector<float>>& scratch = scratch_;

    try {
        // Chunks never cross a slice (each has its own imatrix slice) and
        // start at multiples of rows_per_chunk within it, as for a whole tensor.
        for (int64_t row = row_begin; row < row_end && ne0 > 0;) {
            const int64_t sl = row / ne1;
            const int64_t in_slice = row % ne1;
            const int64_t nr = std::min({rows_per_chunk - in_slice % rows_per_chunk, ne1 - in_slice, row_end - row});
            // Experts of a 3-D tensor each have their own imatrix slice.
            const float* im = weights_[i] ? weights_[i] + (sl % ne2) * ne0 : nullptr;
            const int64_t first_row = row;
            row += nr;
            const size_t in_len = size_t(nr) * in_row;
            in_buf.resize(in_len);
            read(src.file_offset + uint64_t(first_row) * in_row, in_len, in_buf.data());

            if (!t.convert) {
                // llama.cpp's loader checks every tensor it reads (check_tensors).
                parallel_rows(*pool_, nr, ne0, [&](int tid, int64_t b, int64_t e) {
                    validate_rows(tin, kin, in_buf.data() + size_t(b) * in_row, e - b, ne0, scratch[size_t(tid)],
                                  t.name, first_row + b, "invalid input data");
                });
                if (in_len) write(in_buf.data(), in_len);
            } else {
                f32_buf.resize(size_t(nr * ne0));
                out_buf.resize(size_t(nr) * out_row);
                parallel_rows(*pool_, nr, ne0, [&](int, int64_t b, int64_t e) {
                    float* x = f32_buf.data() + size_t(b * ne0);
                    const uint8_t* q = in_buf.data() + size_t(b) * in_row;
                    if (t.old_type == GgmlType::F32) {
                        std::memcpy(x, q, size_t(e - b) * in_row);
                    } else {
                        for (int64_t r = b; r < e; ++r) {
                            kin.dequantize_row(in_buf.data() + size_t(r) * in_row, f32_buf.data() + size_t(r * ne0), ne0);
                        }
                    }
                    require_finite_rows(x, e - b, ne0, t.name, first_row + b);
                    QuantizeOptions qo;
                    qo.n_per_row = ne0;
                    qo.imatrix = im;
                    qo.imatrix_len = im ? size_t(ne0) : 0;
                    qo.variant = opt.variant;
                    qo.first_row = first_row + b;
                    uint8_t* y = out_buf.data() + size_t(b) * out_row;
                    // Validates every row it writes (first_non_finite_row), as ggml_validate_row_data.
                    quantize_into(tout, x, size_t((e - b) * ne0), y, size_t(e - b) * out_row, qo);
                });
                if (!out_buf.empty()) write(out_buf.data(), out_buf.size());
            }
            if (chunk_done) chunk_done(in_len);
        }
    } catch (const Error& e) {
        if (e.code() == ErrorCode::Cancelled) throw;
        const std::string what = e.what();
        if (what.find(t.name) != std::string::npos) throw;
        throw Error(e.code(), t.name + ": " + what);
    }
}

}  // namespace quantlab
