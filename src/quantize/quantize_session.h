// One whole-model quantization as a sequence of independent steps: plan and
// lay out the output from the input header, then convert tensors one at a
// time in any order. quantize_model drives it sequentially; the JavaScript
// binding drives it from an async byte source, and several sessions built
// from the same header and options (one per Web Worker) convert different
// tensors of the same file, with the same bytes as a single session.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "parallel/thread_pool.h"
#include "quantize/model_quantizer.h"

namespace quantlab {

class QuantizeSession {
public:
    // Plans, reports plan messages through opt.log, and checks the imatrix
    // against the plan; throws what quantize_model throws before writing
    // anything. opt.imatrix must outlive the session.
    QuantizeSession(GgufHeader input, ModelQuantizeOptions opt);

    const GgufHeader& input() const { return in_; }
    const QuantPlan& plan() const { return plan_; }
    const ModelQuantizeOptions& options() const { return opt_; }
    int threads() const { return pool_->size(); }
    size_t n_tensors() const { return plan_.tensors.size(); }
    // Converted tensors the imatrix had no entry for.
    const std::vector<std::string>& imatrix_missing() const { return imatrix_missing_; }

    // The output layout: one file, or several (plan().n_output_files) with
    // --keep-split / --split-max-size, each a header followed by its tensors
    // in plan order. In a dry run a plan that cannot be written (it carries
    // warnings instead) has no layout: output_size() is then 0.
    size_t n_output_files() const { return headers_.size(); }
    std::vector<uint8_t> header_bytes(size_t file = 0) const { return headers_.at(file).header_bytes(); }
    uint64_t output_file_size(size_t file) const { return has_layout_ ? headers_.at(file).file_size() : 0; }
    uint64_t output_size() const;            // all files together
    size_t output_file(size_t i) const { return size_t(plan_.tensors.at(i).output_file); }
    uint64_t output_offset(size_t i) const;  // where tensor i starts in its output file
    uint64_t output_bytes(size_t i) const;   // its data plus the padding after it
    uint64_t input_offset(size_t i) const;   // where tensor i starts in the input (virtual) file
    uint64_t input_bytes(size_t i) const { return plan_.tensors.at(i).old_bytes; }
    uint64_t input_tensor_bytes() const { return input_tensor_bytes_; }

    // Reads tensor i (plan order) through read (absolute input offsets, one
    // chunk of rows at a time), converts or validates it and writes its
    // output bytes followed by the alignment padding. chunk_done(bytes) runs
    // after each chunk and may throw (quantize_model cancels there).
    using ChunkFn = std::function<void(uint64_t bytes_read)>;
    void convert_tensor(size_t i, const ReadFn& read, const WriteFn& write, const ChunkFn& chunk_done = {});

    // The same work a range of rows at a time, for converters that each get
    // a slice of one tensor (the JavaScript worker fallback). Rows are
    // counted across the tensor's slices (ne1 * ne2 * ne3 of them); each is
    // quantized alone (ggml quantizes row by row, an expert slice with its
    // own imatrix slice), so converting any split of [0, n_rows(i)) in order
    // and appending padding_bytes(i) zeros writes convert_tensor's bytes.
    // read sees only offsets of rows [row_begin, row_end); write gets
    // exactly (row_end - row_begin) * output_row_bytes(i) bytes, no padding.
    int64_t n_rows(size_t i) const;
    uint64_t input_row_bytes(size_t i) const;
    uint64_t output_row_bytes(size_t i) const;
    uint64_t padding_bytes(size_t i) const;
    void convert_rows(size_t i, int64_t row_begin, int64_t row_end, const ReadFn& read, const WriteFn& write,
                      const ChunkFn& chunk_done = {});

    // The same rows from memory, in two halves so the caller can read the
    // next rows and write the last ones while the pool's workers convert:
    // start_rows() hands rows [row_begin, row_end) of tensor i, their input
    // bytes at `in`, to the workers and returns; finish_rows() has the caller
    // take the rows left, waits for the rest and rethrows the first error
    // (naming the tensor). `out` gets (row_end - row_begin) *
    // output_row_bytes(i) bytes. Until finish_rows(), in and out must stay
    // as they are; other calls that use the pool complete the rows first.
    void start_rows(size_t i, int64_t row_begin, int64_t row_end, const uint8_t* in, uint8_t* out);
    void finish_rows();
    bool rows_started() const { return started_ != nullptr; }

    ~QuantizeSession();
    QuantizeSession(const QuantizeSession&) = delete;
    QuantizeSession& operator=(const QuantizeSession&) = delete;

private:
    void check_rows(size_t i, int64_t row_begin, int64_t row_end) const;
    void convert_row_range(size_t i, const uint8_t* in, int64_t first_row, int64_t nrows, uint8_t* out,
                           std::vector<float>& scratch) const;

    GgufHeader in_;
    ModelQuantizeOptions opt_;
    QuantPlan plan_;
    ImatrixData filtered_imatrix_;   // after --include-weights / --exclude-weights
    std::vector<GgufWriter> headers_;  // one per output file
    std::vector<size_t> slot_;         // tensor i's index in its file's header
    bool has_layout_ = false;
    std::vector<const float*> weights_;
    std::vector<std::string> imatrix_missing_;
    uint64_t input_tensor_bytes_ = 0;

    std::vector<uint8_t> in_buf_;
    std::vector<uint8_t> out_buf_;
    std::shared_ptr<ThreadPool::Started> started_;  // start_rows' job until finish_rows
    size_t started_tensor_ = 0;
    std::vector<std::vector<float>> scratch_;  // one per pool thread
    std::shared_ptr<ThreadPool> pool_;
};

}  // namespace quantlab
