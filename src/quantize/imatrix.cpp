#include "quantize/imatrix.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "core/error.h"
#include "gguf/gguf_file.h"

namespace quantlab {

namespace {

[[noreturn]] void bad_imatrix(const std::string& what) { throw Error(ErrorCode::Format, "invalid imatrix: " + what); }

class Reader {
public:
    Reader(const uint8_t* d, size_t n) : d_(d), n_(n) {}
    size_t remaining() const { return n_ - pos_; }
    int32_t i32(const char* what) {
        if (remaining() < 4) bad_imatrix(std::string("file ends inside ") + what);
        int32_t v;
        std::memcpy(&v, d_ + pos_, 4);
        pos_ += 4;
        return v;
    }
    void bytes(void* out, size_t n, const char* what) {
        if (remaining() < n) bad_imatrix(std::string("file ends inside ") + what);
        if (n) std::memcpy(out, d_ + pos_, n);
        pos_ += n;
    }

private:
    const uint8_t* d_;
    size_t n_;
    size_t pos_ = 0;
};

// Weights are means of squared activations: finite and never negative. A
// negative one used to pass here and stop the quantizer half-way through
// the file, after the header was written (fuzz_imatrix).
void require_valid_weights(const std::string& name, const std::vector<float>& v) {
    for (float f : v) {
        if (!std::isfinite(f)) bad_imatrix("entry '" + name + "' contains a non-finite value");
        if (f < 0.0f) bad_imatrix("entry '" + name + "' contains a negative weight " + std::to_string(f));
    }
}

ImatrixData parse_legacy(const uint8_t* data, size_t len) {
    ImatrixData r;
    r.legacy = true;
    Reader in(data, len);
    const int32_t n_entries = in.i32("the entry count");
    if (n_entries < 1) bad_imatrix("no entries (the file is empty or not an imatrix)");
    for (int32_t i = 0; i < n_entries; ++i) {
        const int32_t name_len = in.i32("an entry name length");
        if (name_len < 0 || size_t(name_len) > in.remaining()) bad_imatrix("entry " + std::to_string(i) + " has a bad name length");
        std::string name(static_cast<size_t>(name_len), '\0');
        in.bytes(&name[0], size_t(name_len), "an entry name");
        // The C string the legacy reader builds stops at the first NUL.
        name = name.c_str();
        const int32_t ncall = in.i32("a call count");
        const int32_t nval = in.i32("a value count");
        if (nval < 1 || size_t(nval) > in.remaining() / 4) bad_imatrix("entry '" + name + "' has a bad value count");
        std::vector<float> v(static_cast<size_t>(nval));
        in.bytes(v.data(), v.size() * 4, "entry values");
        // Legacy files store mean * ncall; the quantizer wants the mean.
        if (ncall > 0) {
            for (auto& x : v) x /= float(ncall);
        }
        require_valid_weights(name, v);
        r.entries[name] = std::move(v);
    }
    if (in.remaining() > 0) {
        r.chunk_count = in.i32("the chunk count");
        const int32_t ds_len = in.i32("the dataset name length");
        if (ds_len < 0 || size_t(ds_len) > in.remaining()) bad_imatrix("bad dataset name length");
        std::string ds(static_cast<size_t>(ds_len), '\0');
        in.bytes(&ds[0], size_t(ds_len), "the dataset name");
        r.datasets.push_back(ds);
    }
    return r;
}

bool remove_suffix(std::string& s, const std::string& suffix) {
    if (s.size() < suffix.size() || s.compare(s.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
    s.resize(s.size() - suffix.size());
    return true;
}

std::vector<float> tensor_floats(const uint8_t* data, const GgufTensorInfo& t) {
    if (t.type != GgmlType::F32) bad_imatrix("tensor '" + t.name + "' is not f32");
    std::vector<float> v(size_t(t.n_elements()));
    if (!v.empty()) std::memcpy(v.data(), data + t.file_offset, v.size() * 4);
    return v;
}

ImatrixData parse_gguf(const uint8_t* data, size_t len) {
    const GgufParseResult pr = parse_gguf_header(data, len, len);
    if (!pr.complete) bad_imatrix("truncated GGUF header");
    const GgufHeader& h = pr.header;
    const GgufValue* datasets = h.find("imatrix.datasets");
    const GgufValue* chunks = h.find("imatrix.chunk_count");
    if (!datasets || !chunks || !h.find("imatrix.chunk_size")) {
        bad_imatrix("GGUF file lacks imatrix.datasets / imatrix.chunk_count / imatrix.chunk_size (not an imatrix file?)");
    }
    ImatrixData r;
    if (datasets->is_array() && datasets->array_type() == GgufType::STRING) r.datasets = datasets->strings();
    r.chunk_count = int(chunks->as_u64());

    // Name -> (in_sum2, counts); std::map keeps llama-quantize's deterministic order.
    std::map<std::string, std::pair<const GgufTensorInfo*, const GgufTensorInfo*>> pairs;
    for (const auto& t : h.tensors) {
        std::string name = t.name;
        if (remove_suffix(name, ".in_sum2")) {
            pairs[name].first = &t;
        } else if (remove_suffix(name, ".counts")) {
            pairs[name].second = &t;
        }
    }
    if (pairs.empty()) bad_imatrix("GGUF imatrix holds no <name>.in_sum2 / <name>.counts tensors");
    for (const auto& [name, sc] : pairs) {
        if (!sc.first || !sc.second) bad_imatrix("'" + name + "' has in_sum2 without counts or the reverse");
        const auto sums = tensor_floats(data, *sc.first);
        const auto counts = tensor_floats(data, *sc.second);
        const int64_t ne0 = sc.first->ne.empty() ? 0 : sc.first->ne[0];
        if (ne0 <= 0 || sums.size() % size_t(ne0) != 0) bad_imatrix("'" + name + "' has an empty in_sum2");
        const size_t n_mat = sums.size() / size_t(ne0);
        if (counts.size() != n_mat) {
            bad_imatrix("'" + name + "' has " + std::to_string(counts.size()) + " counts for " + std::to_string(n_mat) +
                " matrices");
        }
        std::vector<float> v(sums.size());
        for (size_t j = 0; j < n_mat; ++j) {
            const float c = counts[j];
            for (size_t i = 0; i < size_t(ne0); ++i) {
                // A matrix that never saw input gets neutral weights, as llama-quantize does.
                v[j * size_t(ne0) + i] = c > 0.0f ? sums[j * size_t(ne0) + i] / c : 1.0f;
            }
        }
        require_valid_weights(name, v);
        r.entries[name] = std::move(v);
    }
    return r;
}

}  // namespace

const std::vector<float>* ImatrixData::find(const std::string& weight_name) const {
    auto it = entries.find(weight_name);
    return it == entries.end() ? nullptr : &it->second;
}

ImatrixData parse_imatrix(const uint8_t* data, size_t len) {
    if (data == nullptr || len < 4) bad_imatrix("file is too short");
    uint32_t magic;
    std::memcpy(&magic, data, 4);
    return magic == kGgufMagic ? parse_gguf(data, len) : parse_legacy(data, len);
}

ImatrixData read_imatrix_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(ErrorCode::Io, "cannot open imatrix " + path);
    std::vector<uint8_t> buf;
    uint8_t chunk[1 << 16];
    size_t got;
    while ((got = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw Error(ErrorCode::Io, "error reading imatrix " + path);
    return parse_imatrix(buf.data(), buf.size());
}

ImatrixData filter_imatrix(const ImatrixData& im, const std::vector<std::string>& include,
                           const std::vector<std::string>& exclude) {
    if (!include.empty() && !exclude.empty()) {
        throw Error(ErrorCode::InvalidArgument, "--include-weights and --exclude-weights cannot be used together");
    }
    auto contains_any = [](const std::string& name, const std::vector<std::string>& parts) {
        for (const auto& p : parts) {
            if (name.find(p) != std::string::npos) return true;
        }
        return false;
    };
    ImatrixData r = im;
    if (include.empty() && exclude.empty()) return r;
    for (auto it = r.entries.begin(); it != r.entries.end();) {
        const bool keep = include.empty() ? !contains_any(it->first, exclude) : contains_any(it->first, include);
        it = keep ? std::next(it) : r.entries.erase(it);
    }
    return r;
}

}  // namespace quantlab
