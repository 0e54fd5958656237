// GGUF v2/v3 headers: parsing from a prefix of a file, and building one to
// write. The tensor data itself never passes through these classes: callers
// read or write each tensor's byte range, so a 14 GB model streams through
// a few hundred MB of memory (file layout: ggml docs/gguf.md, gguf.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "formats/ggml_type.h"
#include "gguf/gguf_value.h"

namespace quantlab {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr uint32_t kGgufDefaultAlignment = 32;
constexpr size_t kGgufMaxDims = 4;
constexpr size_t kGgufMaxNameLength = 63;    // ggml: GGML_MAX_NAME - 1

struct GgufTensorInfo {
    std::string name;
    std::vector<int64_t> ne;   // ne[0] is the contiguous (row) dimension
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;       // relative to the start of the data section
    uint64_t size_bytes = 0;   // unpadded
    uint64_t file_offset = 0;  // absolute: data_offset + offset
    uint32_t split = 0;        // the part of a split model holding it (gguf_split.h)

    int64_t n_elements() const;
    int64_t n_rows() const { return ne.empty() || ne[0] == 0 ? 0 : n_elements() / ne[0]; }
};

struct GgufHeader {
    uint32_t version = 3;
    uint32_t alignment = kGgufDefaultAlignment;
    std::vector<std::pair<std::string, GgufValue>> kv;  // file order
    std::vector<GgufTensorInfo> tensors;                // file order
    uint64_t header_size = 0;  // bytes of magic..tensor infos, before padding
    uint64_t data_offset = 0;  // where tensor data begins (aligned)
    uint64_t data_size = 0;    // bytes of the data section, padding included

    const GgufValue* find(const std::string& key) const;
    // Throws Error(Format) "missing metadata key ..." when absent.
    const GgufValue& get(const std::string& key) const;
    const GgufTensorInfo* find_tensor(const std::string& name) const;
    const GgufTensorInfo& tensor(const std::string& name) const;
};

struct GgufParseResult {
    bool complete = false;
    uint64_t bytes_needed = 0;  // when !complete: read at least this prefix and retry
    GgufHeader header;
};

// Parse the header from the first `len` bytes of a file of `file_size` bytes.
// Returns complete=false with bytes_needed when the prefix is too short;
// throws Error(Format) for anything ggml would reject (bad magic/version,
// absurd counts, duplicate keys or tensors, unknown types, rows that are not
// whole blocks, misaligned or out-of-file offsets).
GgufParseResult parse_gguf_header(const uint8_t* data, size_t len, uint64_t file_size);

// Reads a GGUF header from a file on disk, growing the prefix as needed.
GgufHeader read_gguf_header_from_file(const std::string& path);

// Builds a GGUF file: metadata in insertion order, tensors laid out in the
// order added, each padded to the alignment as llama.cpp expects.
class GgufWriter {
public:
    void set(const std::string& key, GgufValue value);  // replaces in place if present
    void remove(const std::string& key);
    const GgufValue* find(const std::string& key) const;
    const std::vector<std::pair<std::string, GgufValue>>& kv() const { return kv_; }

    void add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne);
    const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }

    uint32_t alignment() const { return alignment_; }
    // Serialized header, padded to the alignment: tensor data follows directly.
    std::vector<uint8_t> header_bytes() const;
    uint64_t data_offset() const { return header_bytes_size(); }
    uint64_t file_size() const;
    // Zero bytes to write after tensor i's data.
    uint64_t padding_after(size_t i) const;

private:
    uint64_t header_bytes_size() const;

    uint32_t alignment_ = kGgufDefaultAlignment;
    std::vector<std::pair<std::string, GgufValue>> kv_;
    std::vector<GgufTensorInfo> tensors_;
    uint64_t data_size_ = 0;
};

// Bytes of a tensor of type t and shape ne (ne[0] must be a whole number of blocks).
uint64_t gguf_tensor_bytes(GgmlType t, const std::vector<int64_t>& ne);

}  // namespace quantlab
