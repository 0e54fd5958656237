#include "gguf/gguf_split.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/error.h"

namespace quantlab {

namespace {

std::string split_suffix(int split_no, int split_count) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "-%05d-of-%05d.gguf", split_no + 1, split_count);
    return buf;
}

// llama.cpp's loader reads split.no / split.count as u16 and refuses other types.
int read_u16_key(const GgufHeader& h, const char* key, int absent) {
    const GgufValue* v = h.find(key);
    if (!v) return absent;
    if (v->type() != GgufType::UINT16) {
        throw Error(ErrorCode::Format, std::string("metadata key ") + key + " has type " + gguf_type_name(v->type()) +
                                           ", llama.cpp expects u16");
    }
    return int(v->as_u64());
}

}  // namespace

std::string gguf_split_path(const std::string& prefix, int split_no, int split_count) {
    return prefix + split_suffix(split_no, split_count);
}

std::optional<std::string> gguf_split_prefix(const std::string& path, int split_no, int split_count) {
    const std::string suffix = split_suffix(split_no, split_count);
    if (path.size() <= suffix.size()) return std::nullopt;
    if (path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) return std::nullopt;
    return path.substr(0, path.size() - suffix.size());
}

int gguf_split_count(const GgufHeader& h) { return read_u16_key(h, kSplitCountKey, 1); }

int gguf_split_no(const GgufHeader& h) { return read_u16_key(h, kSplitNoKey, 0); }

SplitModel merge_split_headers(std::vector<GgufHeader> parts, std::vector<uint64_t> sizes) {
    if (parts.empty()) throw Error(ErrorCode::InvalidArgument, "no model file given");
    if (sizes.size() != parts.size()) throw Error(ErrorCode::InvalidArgument, "one file size per part is needed");

    // Put the parts in split.no order (a browser's file picker has its own order).
    std::vector<size_t> order(parts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::vector<int> no(parts.size());
    for (size_t i = 0; i < parts.size(); ++i) no[i] = gguf_split_no(parts[i]);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return no[a] < no[b]; });

    SplitModel m;
    const GgufHeader& first = parts[order[0]];
    const int n_split = gguf_split_count(first);
    if (n_split <= 1) {
        if (parts.size() > 1) {
            throw Error(ErrorCode::Format, std::to_string(parts.size()) +
                                               " files were given, but the first is not part of a split model "
                                               "(it has no split.count above 1)");
        }
        m.header = std::move(parts[0]);
        m.part_size = {sizes[0]};
        m.part_base = {0};
        m.part_source = {0};
        return m;
    }
    if (no[order[0]] != 0) {
        throw Error(ErrorCode::Format, "illegal split file idx " + std::to_string(no[order[0]]) +
                                           ": a split model must be read starting with its first part (split.no 0)");
    }
    if (int(parts.size()) != n_split) {
        throw Error(ErrorCode::Format, "the model is split into " + std::to_string(n_split) + " files (split.count), " +
                                           std::to_string(parts.size()) + " given: every part is needed");
    }
    m.header = first;
    m.header.tensors.clear();
    std::set<std::string> seen;
    uint64_t base = 0;
    for (size_t k = 0; k < order.size(); ++k) {
        const GgufHeader& p = parts[order[k]];
        if (no[order[k]] != int(k)) {
            throw Error(ErrorCode::Format, "invalid split file idx " + std::to_string(no[order[k]]) + ", expected " +
                                               std::to_string(k) + " (parts missing or given twice)");
        }
        m.part_base.push_back(base);
        m.part_size.push_back(sizes[order[k]]);
        m.part_source.push_back(order[k]);
        for (const GgufTensorInfo& t : p.tensors) {
            if (!seen.insert(t.name).second) throw Error(ErrorCode::Format, "invalid model: tensor '" + t.name + "' is duplicated");
            GgufTensorInfo v = t;
            v.split = uint32_t(k);
            v.file_offset = base + t.file_offset;
            m.header.tensors.push_back(std::move(v));
        }
        base += sizes[order[k]];
    }
    // llama.cpp reads split.tensors.count as an int32 and compares it with the tensors found.
    const GgufValue* c = first.find(kSplitTensorsCountKey);
    if (!c) throw Error(ErrorCode::Format, std::string("key not found in model: ") + kSplitTensorsCountKey);
    if (c->type() != GgufType::INT32) {
        throw Error(ErrorCode::Format, std::string("metadata key ") + kSplitTensorsCountKey + " has type " +
                                           gguf_type_name(c->type()) + ", llama.cpp expects i32");
    }
    if (c->as_i64() != int64_t(m.header.tensors.size())) {
        throw Error(ErrorCode::Format, "corrupted model: " + std::to_string(c->as_i64()) + " tensors expected but " +
                                           std::to_string(m.header.tensors.size()) + " found");
    }
    m.header.data_size = base - first.data_offset;
    return m;
}

SplitLocation locate_in_split(const SplitModel& m, uint64_t off) {
    for (size_t k = m.part_base.size(); k-- > 0;) {
        if (off >= m.part_base[k]) return {k, off - m.part_base[k]};
    }
    return {0, off};
}

}  // namespace quantlab
