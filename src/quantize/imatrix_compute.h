// Computing importance matrices the way llama.cpp's llama-imatrix does
// (tools/imatrix/imatrix.cpp): the text is tokenized once with BOS, cut into
// chunks of n_ctx tokens whose first token becomes BOS, each chunk is run
// with a cleared KV cache, and for every "blk.*" weight matrix (plus
// output.weight with process_output) the squares of each input column are
// summed over all token rows, with the row count kept alongside. The result
// is written in llama-imatrix's GGUF layout, which imatrix.h reads back.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/llama_context.h"
#include "quantize/imatrix.h"

namespace quantlab {

struct ImatrixEntry {
    std::vector<float> in_sum2;  // [n_in]: sum over rows of x^2, per input column
    int64_t count = 0;           // rows (tokens) that went through the matrix
};

struct ImatrixResult {
    std::map<std::string, ImatrixEntry> entries;  // by weight name, sorted as llama-imatrix writes them
    std::vector<std::string> datasets;
    int64_t chunk_count = 0;
    int64_t chunk_size = 0;

    // What parse_imatrix makes of the file: in_sum2 / count per entry.
    ImatrixData to_imatrix_data() const;
};

struct ImatrixProgress {
    int64_t chunk = 0;  // chunks done
    int64_t n_chunks = 0;
};

struct ImatrixOptions {
    int64_t n_ctx = 512;
    int64_t n_chunks = -1;        // -1: every whole chunk of the text
    bool add_bos = true;
    int32_t bos = 1;
    bool process_output = false;  // also collect output.weight (llama-imatrix --process-output)
    std::string dataset;          // recorded in imatrix.datasets when not empty
    // Called after every chunk; return false to cancel (Error(Cancelled) is thrown).
    std::function<bool(const ImatrixProgress&)> on_progress;
};

// One chunk per step(), so callers that must yield between steps (the wasm
// engine) can drive it. Installs a matmul observer on ctx for its lifetime;
// ctx must outlive it and must not be used for anything else meanwhile.
class ImatrixCollector {
public:
    // Throws Error(InvalidArgument) when n_ctx does not fit the context or the
    // text holds less than one chunk.
    ImatrixCollector(LlamaContext& ctx, std::vector<int32_t> tokens, const ImatrixOptions& opt);
    ~ImatrixCollector();
    ImatrixCollector(const ImatrixCollector&) = delete;
    ImatrixCollector& operator=(const ImatrixCollector&) = delete;

    int64_t n_chunks() const { return n_chunks_; }
    int64_t chunks_done() const { return done_; }
    bool finished() const { return done_ >= n_chunks_; }
    void step();
    ImatrixResult result() const;

private:
    struct Accum {
        std::vector<double> sum2;
        int64_t count = 0;
    };
    void observe(const WeightMatrix& w, const float* x, int64_t n_tokens);

    LlamaContext& ctx_;
    std::vector<int32_t> tokens_;
    ImatrixOptions opt_;
    int64_t n_chunks_ = 0;
    int64_t done_ = 0;
    std::map<std::string, Accum> acc_;
};

// sum2[j] += x[t][j]^2 over the n_tokens rows of x ([n_tokens][n_in]): the
// statistics llama-imatrix collects at a matrix's input. Columns go to the
// pool's threads; each column still adds its rows in order, so the sums do
// not depend on the thread count.
void add_column_squares(ThreadPool& pool, const float* x, int64_t n_tokens, int64_t n_in, double* sum2);

ImatrixResult compute_imatrix(LlamaContext& ctx, const std::vector<int32_t>& tokens, const ImatrixOptions& opt);

// llama-imatrix's GGUF layout: general.type = "imatrix", imatrix.datasets,
// imatrix.chunk_count, imatrix.chunk_size, then per entry (sorted by name)
// "<name>.in_sum2" f32 [n_in, 1] and "<name>.counts" f32 [1, 1].
std::vector<uint8_t> serialize_imatrix_gguf(const ImatrixResult& r);
// Writes path + ".partial" and renames it into place.
void write_imatrix_gguf(const std::string& path, const ImatrixResult& r);

}  // namespace quantlab
