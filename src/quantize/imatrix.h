// Importance matrices written by llama.cpp's llama-imatrix, in both layouts
// llama-quantize reads (tools/quantize/quantize.cpp, load_imatrix and
// load_legacy_imatrix; tools/imatrix/imatrix.cpp writes them):
//   - legacy .dat: int32 n_entries, then per entry int32 name length, name,
//     int32 ncall, int32 nval, float[nval] (already multiplied by ncall);
//     optionally int32 last_call, int32 dataset length, dataset name.
//     Weight = value / ncall.
//   - GGUF: tensors "<weight>.in_sum2" (ne0 x n_mat) and "<weight>.counts"
//     (n_mat), keys imatrix.datasets / imatrix.chunk_count / imatrix.chunk_size.
//     Weight = in_sum2 / count, or 1 where a matrix never saw input.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace quantlab {

struct ImatrixData {
    // Weight tensor name -> per-column weights (ne0 per matrix, experts
    // concatenated), in name order.
    std::map<std::string, std::vector<float>> entries;
    std::vector<std::string> datasets;
    int chunk_count = 0;  // "computed on N chunks"; 0 when the file does not say
    bool legacy = false;

    const std::vector<float>* find(const std::string& weight_name) const;
};

// Parses either layout from the whole file. Throws Error(Format) for
// truncated or inconsistent files, for non-finite weights (llama-quantize
// refuses those too) and for negative ones (no sum of squares is negative).
ImatrixData parse_imatrix(const uint8_t* data, size_t len);
ImatrixData read_imatrix_file(const std::string& path);

// llama-quantize's --exclude-weights / --include-weights (prepare_imatrix in
// tools/quantize/quantize.cpp): drop the entries whose name contains any
// exclude string, or keep only those whose name contains an include string.
// Throws Error(InvalidArgument) when both lists are given, as llama-quantize
// refuses that combination.
ImatrixData filter_imatrix(const ImatrixData& im, const std::vector<std::string>& include,
                           const std::vector<std::string>& exclude);

}  // namespace quantlab
