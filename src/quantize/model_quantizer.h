// Whole-model quantization, llama-quantize style, streamed tensor by tensor:
// the input is read through a callback (a native file, a Node file handle, a
// browser Blob) and the output leaves through another, so neither file has
// to fit in memory, nor in wasm32's 4 GB address space. Memory use is about
// one chunk of rows as f32 plus its quantized copy (see chunk_values).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "formats/type_traits.h"
#include "gguf/gguf_file.h"
#include "quantize/imatrix.h"
#include "quantize/quant_plan.h"

namespace quantlab {

// Fill dst with size bytes of the input starting at offset; throw on failure.
using ReadFn = std::function<void(uint64_t offset, size_t size, uint8_t* dst)>;
// Append size bytes to the output; throw on failure.
using WriteFn = std::function<void(const uint8_t* data, size_t size)>;

struct QuantizeProgress {
    size_t tensor_index = 0;  // 0-based, in output order
    size_t n_tensors = 0;
    const std::string* name = nullptr;
    bool tensor_done = false;     // false: the tensor is about to start or is under way
    uint64_t bytes_read = 0;      // tensor data consumed so far
    uint64_t bytes_in_total = 0;  // tensor data of the whole input
    uint64_t bytes_written = 0;   // output bytes so far, header included
    uint64_t bytes_out_total = 0; // size the output file will have
};
// Return false to cancel: quantize_model then throws Error(Cancelled).
using ProgressFn = std::function<bool(const QuantizeProgress&)>;

struct ModelQuantizeOptions {
    QuantizeParams params;  // has_imatrix is derived from imatrix below
    const ImatrixData* imatrix = nullptr;
    std::string imatrix_file;  // recorded as quantize.imatrix.file
    int threads = 0;           // rows of a tensor split across this many threads; 0 = one per physical core
    bool shared_pool = false;  // run on shared_thread_pool(threads), as a wasm module's models do
    std::vector<std::string> imatrix_include;  // --include-weights: keep only entries whose name contains one
    std::vector<std::string> imatrix_exclude;  // --exclude-weights: drop entries whose name contains one
    KernelVariant variant = default_kernel_variant();
    size_t chunk_values = size_t(1) << 24;  // values converted per step (whole rows, at least one)
    ProgressFn progress;
    std::function<void(const std::string&)> log;  // llama-quantize-like lines

    void emit(const std::string& line) const {
        if (log) log(line);
    }
};

struct ModelQuantizeResult {
    QuantPlan plan;
    uint64_t bytes_written = 0;  // the output file size; 0 in a dry run
    double seconds = 0.0;
    std::vector<std::string> imatrix_missing;  // converted tensors the imatrix had no entry for
};

// Reads and parses a GGUF header through a callback, growing the prefix as needed.
GgufHeader read_gguf_header(uint64_t file_size, const ReadFn& read);

// The output headers, one per output file (plan.n_output_files), as
// llama-quantize writes them: the input's metadata in order, then
// general.quantization_version and general.file_type (moved to the end as
// ggml's gguf_set_val does), split keys removed, --override-kv entries,
// quantize.imatrix.* when an imatrix is used, <arch>.block_count after
// --prune-layers, and the planned tensors. Split outputs carry split.no /
// split.count / split.tensors.count as llama-quantize --keep-split or
// gguf-split (--split-max-size) write them; files after the first hold only those.
std::vector<GgufWriter> build_output_headers(const GgufHeader& input, const QuantPlan& plan,
                                             const ModelQuantizeOptions& opt);

// Called before the first byte of output file `file` (of n_files) when the
// plan writes several files (--keep-split, --split-max-size); the bytes of
// the files arrive one file after another through the same WriteFn.
using NextFileFn = std::function<void(size_t file, size_t n_files)>;

// Plans, writes the header, then converts and writes each tensor. In a dry
// run (opt.params.dry_run) nothing is read past the header and write may be empty.
ModelQuantizeResult quantize_model(uint64_t input_size, const ReadFn& read, const WriteFn& write,
                                   const ModelQuantizeOptions& opt, const NextFileFn& next_file = {});
// The same from a parsed header (e.g. a split model merged by
// merge_split_headers, read through a ReadFn over its virtual file).
ModelQuantizeResult quantize_model(GgufHeader input, const ReadFn& read, const WriteFn& write,
                                   const ModelQuantizeOptions& opt, const NextFileFn& next_file = {});

// Native files. in_path may be the first part of a split model
// (name-00001-of-0000N.gguf): the other parts are found beside it, as
// llama.cpp's loader finds them. Writes out_path + ".partial" and renames it
// at the end; on any error or cancellation the partial file is removed.
// Split outputs go to output_split_paths(out_path, n), each written the
// same way. out_path may be empty in a dry run.
ModelQuantizeResult quantize_model_file(const std::string& in_path, const std::string& out_path,
                                        const ModelQuantizeOptions& opt);

// The files of a split output as llama-quantize names them: out_path without
// a trailing ".gguf", then "-00001-of-0000N.gguf", ...
std::vector<std::string> output_split_paths(const std::string& out_path, size_t n_files);

// "    64,    512,      1,      1" (the text between the brackets), as llama_format_tensor_shape.
std::string format_tensor_shape(const std::vector<int64_t>& ne);
// One llama-quantize progress line for tensor i (0-based) of n.
std::string format_tensor_line(const PlannedTensor& t, size_t i, size_t n, bool dry_run);

}  // namespace quantlab
