// Split GGUF models: one model stored as name-00001-of-0000N.gguf ...
// (llama.cpp's gguf-split writes them, model hubs ship them). The first file
// holds the metadata and split.no / split.count / split.tensors.count; every
// file holds some of the tensors. Facts from llama.cpp: src/llama.cpp
// (llama_split_path, llama_split_prefix) and src/llama-model-loader.cpp (how
// the parts are found and checked when a model is loaded).
//
// quantlab reads a split model as one virtual file: the parts laid end to
// end, so a tensor's file_offset is its part's base plus its offset in that
// part, and one ReadFn over the virtual file reaches every tensor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"

namespace quantlab {

inline constexpr const char* kSplitNoKey = "split.no";
inline constexpr const char* kSplitCountKey = "split.count";
inline constexpr const char* kSplitTensorsCountKey = "split.tensors.count";

// "<prefix>-00002-of-00004.gguf" for split_no 1 of 4 (split_no counts from 0).
std::string gguf_split_path(const std::string& prefix, int split_no, int split_count);

// The prefix of a split path, or nullopt when path does not end in the
// "-0000K-of-0000N.gguf" of split_no / split_count.
std::optional<std::string> gguf_split_prefix(const std::string& path, int split_no, int split_count);

// split.count of a header (1 when absent). Throws Error(Format) when the key
// has another type than llama.cpp's loader accepts (u16).
int gguf_split_count(const GgufHeader& h);
// split.no (0 when absent); Error(Format) for a type other than u16.
int gguf_split_no(const GgufHeader& h);

// The parts of one split model, headers in split.no order, and each part's
// file size. The merged header has the first part's metadata, every part's
// tensors (each GgufTensorInfo::split naming its part) with file_offset in
// the virtual file, and data_size spanning the whole virtual file.
struct SplitModel {
    GgufHeader header;
    std::vector<uint64_t> part_size;  // bytes of each part
    std::vector<uint64_t> part_base;  // where each part starts in the virtual file
    std::vector<size_t> part_source;  // each part's index in the list merge_split_headers was given
    uint64_t total_size() const { return part_base.empty() ? 0 : part_base.back() + part_size.back(); }
};

// Checks the parts as llama.cpp's loader does (first part has split.no 0,
// every part's split.no matches its place, split.count parts, no tensor
// twice, split.tensors.count tensors in all) and merges them. parts may
// arrive in any order: they are put in split.no order first. A single
// header without split.count > 1 is returned as it is. Throws Error(Format)
// naming the problem.
SplitModel merge_split_headers(std::vector<GgufHeader> parts, std::vector<uint64_t> sizes);

// The part containing virtual offset off, and the offset inside it.
struct SplitLocation {
    size_t part = 0;
    uint64_t offset = 0;
};
SplitLocation locate_in_split(const SplitModel& m, uint64_t off);

}  // namespace quantlab
