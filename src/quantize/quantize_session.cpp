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
int64_t row_chunks(const ThreadPool& pool, int64_t n, int64_t row_values, int64_t per_thread) {
    constexpr int64_t kMinValuesPerChunk = 32 * 512;
    const int64_t by_size = (n * row_values + kMinValuesPerChunk - 1) / kMinValuesPerChunk;
    return std::max<int64_t>(1, std::min<int64_t>({per_thread * pool.size(), n, by_size}));
}

template <class Fn>
void parallel_rows(ThreadPool& pool, int64_t n, int64_t row_values, Fn fn) {
    const int64_t chunks = row_chunks(pool, n, row_values, 4);
    pool.run(chunks, [&](int64_t chunk, int thread) {
        const TaskRange r = task_range(n, chunks, chunk);
        if (r.end > r.begin) fn(thread, r.begin, r.end);
    });
}

// An error of tensor `name`'s conversion, with the name in its message.
[[noreturn]] void rethrow_naming(const Error& e, const std::string& name) {
    if (e.code() == ErrorCode::Cancelled) throw e;
    const std::string what = e.what();
    if (what.find(name) != std::string::npos) throw e;
    throw Error(e.code(), name + ": " + what);
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

void QuantizeSession::check_rows(size_t i, int64_t row_begin, int64_t row_end) const {
    if (i >= plan_.tensors.size()) throw Error(ErrorCode::InvalidArgument, "tensor index out of range");
    if (opt_.params.dry_run || !has_layout_) throw Error(ErrorCode::InvalidArgument, "a dry run converts nothing");
    if (row_begin < 0 || row_begin > row_end || row_end > n_rows(i)) {
        throw Error(ErrorCode::InvalidArgument, "rows " + std::to_string(row_begin) + ".." + std::to_string(row_end) +
                                                    " are outside tensor " + plan_.tensors[i].name + " (" +
                                                    std::to_string(n_rows(i)) + " rows)");
    }
}

// Rows [first_row, first_row + nrows) of tensor i from `in` to `out`: a
// tensor that is converted is decoded (F32 is read in place) and quantized
// with its slice's imatrix row, one that is not is validated and copied.
void QuantizeSession::convert_row_range(size_t i, const uint8_t* in, int64_t first_row, int64_t nrows, uint8_t* out,
                                        std::vector<float>& scratch) const {
    const PlannedTensor& t = plan_.tensors[i];
    const TypeTraits& tin = type_traits(t.old_type);
    const TypeTraits& tout = type_traits(t.new_type);
    const KernelSet kin = resolve_kernels(tin, opt_.variant);
    const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    const int64_t ne1 = t.ne.size() > 1 ? t.ne[1] : 1;
    const int64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
    const size_t in_row = row_size(tin, ne0);
    const size_t out_row = t.convert ? row_size(tout, ne0) : in_row;
    // Rows go through all their passes (the NaN/Inf check, quantize_into's
    // own checks, the quantizer, the check that the result is storable) a
    // block of at most kQuantizeBlockValues floats at a time, so the passes
    // after the first read the block from this core's L2 rather than from memory.
    const int64_t block_rows = std::max<int64_t>(1, kQuantizeBlockValues / std::max<int64_t>(1, ne0));
    for (int64_t r = 0; r < nrows && ne0 > 0;) {
        // A run of rows within one slice (experts of a 3-D tensor each have
        // their own imatrix slice) and one block; blocks start at multiples
        // of block_rows whatever the task split.
        const int64_t row = first_row + r;
        const int64_t n = std::min({nrows - r, ne1 - row % ne1, block_rows - row % block_rows});
        const uint8_t* q = in + size_t(r) * in_row;
        uint8_t* y = out + size_t(r) * out_row;
        r += n;
        if (!t.convert) {
            // llama.cpp's loader checks every tensor it reads (check_tensors).
            validate_rows(tin, kin, q, n, ne0, scratch, t.name, row, "invalid input data");
            std::memcpy(y, q, size_t(n) * in_row);
            continue;
        }
        const float* x = reinterpret_cast<const float*>(q);
        if (t.old_type != GgmlType::F32 || reinterpret_cast<uintptr_t>(q) % alignof(float) != 0) {
            scratch.resize(size_t(n * ne0));
            if (t.old_type == GgmlType::F32) {
                std::memcpy(scratch.data(), q, size_t(n) * in_row);
            } else {
                for (int64_t k = 0; k < n; ++k) kin.dequantize_row(q + size_t(k) * in_row, scratch.data() + size_t(k * ne0), ne0);
            }
            x = scratch.data();
        }
        require_finite_rows(x, n, ne0, t.name, row);
        const float* im = weights_[i] ? weights_[i] + ((row / ne1) % ne2) * ne0 : nullptr;
        QuantizeOptions qo;
        qo.n_per_row = ne0;
        qo.imatrix = im;
        qo.imatrix_len = im ? size_t(ne0) : 0;
        qo.variant = opt_.variant;
        qo.first_row = row;
        // Validates every row it writes (first_non_finite_row), as ggml_validate_row_data.
        quantize_into(tout, x, size_t(n * ne0), y, size_t(n) * out_row, qo);
    }
}

void QuantizeSession::convert_rows(size_t i, int64_t row_begin, int64_t row_end, const ReadFn& read,
                                   const WriteFn& write, const ChunkFn& chunk_done) {
    check_rows(i, row_begin, row_end);
    const PlannedTensor& t = plan_.tensors[i];
    const uint64_t file_offset = in_.tensors[t.input_index].file_offset;
    const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    const int64_t ne1 = t.ne.size() > 1 ? t.ne[1] : 1;
    const size_t in_row = input_row_bytes(i);
    const size_t out_row = output_row_bytes(i);
    const int64_t rows_per_chunk =
        std::max<int64_t>(1, std::min<int64_t>(ne1, int64_t(opt_.chunk_values / size_t(std::max<int64_t>(1, ne0)))));
    try {
        // Chunks never cross a slice and start at multiples of
        // rows_per_chunk within it, as for a whole tensor.
        for (int64_t row = row_begin; row < row_end && ne0 > 0;) {
            const int64_t in_slice = row % ne1;
            const int64_t nr = std::min({rows_per_chunk - in_slice % rows_per_chunk, ne1 - in_slice, row_end - row});
            const int64_t first_row = row;
            row += nr;
            const size_t in_len = size_t(nr) * in_row;
            in_buf_.resize(in_len);
            read(file_offset + uint64_t(first_row) * in_row, in_len, in_buf_.data());
            out_buf_.resize(size_t(nr) * out_row);
            parallel_rows(*pool_, nr, ne0, [&](int tid, int64_t b, int64_t e) {
                convert_row_range(i, in_buf_.data() + size_t(b) * in_row, first_row + b, e - b,
                                  out_buf_.data() + size_t(b) * out_row, scratch_[size_t(tid)]);
            });
            if (!out_buf_.empty()) write(out_buf_.data(), out_buf_.size());
            if (chunk_done) chunk_done(in_len);
        }
    } catch (const Error& e) {
        rethrow_naming(e, t.name);
    }
}

void QuantizeSession::start_rows(size_t i, int64_t row_begin, int64_t row_end, const uint8_t* in, uint8_t* out) {
    if (started_) throw Error(ErrorCode::InvalidArgument, "rows are being converted: finish them first");
    check_rows(i, row_begin, row_end);
    const int64_t n = row_end - row_begin;
    const PlannedTensor& t = plan_.tensors[i];
    const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
    if (n == 0 || ne0 <= 0) return;
    const size_t in_row = input_row_bytes(i);
    const size_t out_row = output_row_bytes(i);
    // Twice parallel_rows' tasks: the caller joins late (after its I/O) and
    // takes what the workers have left.
    const int64_t chunks = row_chunks(*pool_, n, ne0, 8);
    started_tensor_ = i;
    started_ = pool_->start(chunks, [this, i, in, out, n, row_begin, chunks, in_row, out_row](int64_t chunk, int tid) {
        const TaskRange r = task_range(n, chunks, chunk);
        if (r.end > r.begin) {
            convert_row_range(i, in + size_t(r.begin) * in_row, row_begin + r.begin, r.end - r.begin,
                              out + size_t(r.begin) * out_row, scratch_[size_t(tid)]);
        }
    });
}

void QuantizeSession::finish_rows() {
    if (!started_) return;
    const auto job = std::move(started_);
    started_ = nullptr;
    try {
        pool_->finish(job);
    } catch (const Error& e) {
        rethrow_naming(e, plan_.tensors[started_tensor_].name);
    }
}

QuantizeSession::~QuantizeSession() {
    // The started rows' task reads and writes the caller's buffers and this
    // session: it must end before they go.
    if (started_) {
        try {
            pool_->finish(started_);
        } catch (...) {
        }
    }
}

}  // namespace quantlab
