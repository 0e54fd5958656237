#include "gguf/gguf_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <set>

#include "core/error.h"
#include "formats/type_traits.h"

namespace quantlab {

namespace {

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

[[noreturn]] void bad(const std::string& what) { throw Error(ErrorCode::Format, "invalid GGUF: " + what); }

// Signals that the prefix ended before the header did.
struct Truncated {
    uint64_t need;
};

class Cursor {
public:
    Cursor(const uint8_t* data, size_t len, uint64_t file_size) : d_(data), len_(len), file_size_(file_size) {}

    uint64_t pos() const { return pos_; }
    uint64_t remaining_in_file() const { return file_size_ - pos_; }

    void read(void* out, uint64_t n) {
        if (n > remaining_in_file()) bad("unexpected end of file at byte " + std::to_string(pos_));
        if (pos_ + n > len_) throw Truncated{pos_ + n};
        std::memcpy(out, d_ + pos_, size_t(n));
        pos_ += n;
    }

    template <class T>
    T get() {
        T v;
        read(&v, sizeof v);
        return v;
    }

    std::string string(const char* what) {
        const uint64_t n = get<uint64_t>();
        if (n > remaining_in_file()) {
            bad(std::string(what) + " claims " + std::to_string(n) + " bytes, more than the file holds");
        }
        std::string s(size_t(n), '\0');
        if (n) read(&s[0], n);
        return s;
    }

private:
    const uint8_t* d_;
    size_t len_;
    uint64_t file_size_;
    uint64_t pos_ = 0;
};

GgufValue read_value(Cursor& c, GgufType t, const std::string& key) {
    switch (t) {
        case GgufType::UINT8: return GgufValue::u8(c.get<uint8_t>());
        case GgufType::INT8: return GgufValue::i8(c.get<int8_t>());
        case GgufType::UINT16: return GgufValue::u16(c.get<uint16_t>());
        case GgufType::INT16: return GgufValue::i16(c.get<int16_t>());
        case GgufType::UINT32: return GgufValue::u32(c.get<uint32_t>());
        case GgufType::INT32: return GgufValue::i32(c.get<int32_t>());
        case GgufType::FLOAT32: return GgufValue::f32(c.get<float>());
        case GgufType::BOOL: {
            const uint8_t b = c.get<uint8_t>();
            if (b > 1) bad("key '" + key + "' has a bool that is neither 0 nor 1");
            return GgufValue::boolean(b != 0);
        }
        case GgufType::UINT64: return GgufValue::u64(c.get<uint64_t>());
        case GgufType::INT64: return GgufValue::i64(c.get<int64_t>());
        case GgufType::FLOAT64: return GgufValue::f64(c.get<double>());
        case GgufType::STRING: return GgufValue::string(c.string("string value"));
        case GgufType::ARRAY: {
            const uint32_t et = c.get<uint32_t>();
            if (!gguf_type_valid(et)) bad("key '" + key + "' has an array of unknown type " + std::to_string(et));
            const GgufType elem = GgufType(et);
            if (elem == GgufType::ARRAY) bad("key '" + key + "' is an array of arrays, which ggml does not support");
            const uint64_t n = c.get<uint64_t>();
            if (elem == GgufType::STRING) {
                // Each string needs at least its 8-byte length.
                if (n > c.remaining_in_file() / 8) bad("key '" + key + "' claims an absurd array length " + std::to_string(n));
                std::vector<std::string> v(static_cast<size_t>(n));
                for (auto& s : v) s = c.string("array string");
                return GgufValue::string_array(std::move(v));
            }
            const uint64_t es = gguf_scalar_size(elem);
            if (n > c.remaining_in_file() / es) bad("key '" + key + "' claims an absurd array length " + std::to_string(n));
            std::vector<uint8_t> raw(size_t(n * es));
            if (!raw.empty()) c.read(raw.data(), raw.size());
            if (elem == GgufType::BOOL) {
                for (auto b : raw) {
                    if (b > 1) bad("key '" + key + "' has a bool that is neither 0 nor 1");
                }
            }
            return GgufValue::numeric_array(elem, std::move(raw));
        }
    }
    bad("key '" + key + "' has unknown value type " + std::to_string(uint32_t(t)));
}

GgufHeader parse(Cursor& c, uint64_t file_size) {
    GgufHeader h;
    const uint32_t magic = c.get<uint32_t>();
    if (magic != kGgufMagic) bad("bad magic (not a GGUF file)");
    h.version = c.get<uint32_t>();
    if (h.version == 1) bad("GGUF version 1 is no longer supported");
    if ((h.version & 0xffff) == 0 && h.version != 0) bad("the file is big-endian, which is not supported");
    if (h.version == 0 || h.version > 3) bad("unsupported GGUF version " + std::to_string(h.version));

    const uint64_t n_tensors = c.get<uint64_t>();
    const uint64_t n_kv = c.get<uint64_t>();
    // Minimal encodings: a KV pair takes >= 8 (key length) + 4 (type) + 1 bytes,
    // a tensor info >= 8 + 4 + 4 + 8 bytes. Larger counts cannot fit the file.
    if (n_kv > c.remaining_in_file() / 13) bad("absurd metadata count " + std::to_string(n_kv));
    if (n_tensors > c.remaining_in_file() / 24) bad("absurd tensor count " + std::to_string(n_tensors));

    std::set<std::string> keys;
    for (uint64_t i = 0; i < n_kv; ++i) {
        std::string key = c.string("metadata key");
        if (key.empty()) bad("empty metadata key");
        if (!keys.insert(key).second) bad("duplicate metadata key '" + key + "'");
        const uint32_t t = c.get<uint32_t>();
        if (!gguf_type_valid(t)) bad("key '" + key + "' has unknown value type " + std::to_string(t));
        GgufValue v = read_value(c, GgufType(t), key);
        h.kv.emplace_back(std::move(key), std::move(v));
    }

    if (const GgufValue* a = h.find("general.alignment")) {
        if (a->type() != GgufType::UINT32) bad("general.alignment must be a u32");
        const uint64_t al = a->as_u64();
        if (al == 0 || (al & (al - 1)) != 0) bad("general.alignment " + std::to_string(al) + " is not a power of two");
        h.alignment = uint32_t(al);
    }

    std::set<std::string> names;
    for (uint64_t i = 0; i < n_tensors; ++i) {
        GgufTensorInfo ti;
        ti.name = c.string("tensor name");
        if (ti.name.size() > kGgufMaxNameLength) {
            bad("tensor name '" + ti.name.substr(0, 20) + "...' is longer than " + std::to_string(kGgufMaxNameLength));
        }
        if (!names.insert(ti.name).second) bad("duplicate tensor '" + ti.name + "'");
        const uint32_t n_dims = c.get<uint32_t>();
        if (n_dims > kGgufMaxDims) bad("tensor '" + ti.name + "' has " + std::to_string(n_dims) + " dimensions");
        ti.ne.resize(n_dims);
        for (auto& d : ti.ne) {
            const uint64_t v = c.get<uint64_t>();
            if (v > uint64_t(std::numeric_limits<int64_t>::max())) bad("tensor '" + ti.name + "' has a negative dimension");
            d = int64_t(v);
        }
        const uint32_t type = c.get<uint32_t>();
        const TypeTraits* traits = nullptr;
        for (const auto& t : all_type_traits()) {
            if (uint32_t(t.type) == type) traits = &t;
        }
        if (!traits) bad("tensor '" + ti.name + "' has unknown or unsupported type " + std::to_string(type));
        ti.type = traits->type;
        // Overflow guard: the element count must fit in int64.
        int64_t n = 1;
        for (auto d : ti.ne) {
            if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) bad("tensor '" + ti.name + "' is absurdly large");
            n *= d;
        }
        if (!ti.ne.empty() && ti.ne[0] % traits->block_size != 0) {
            bad("tensor '" + ti.name + "' has rows of " + std::to_string(ti.ne[0]) + " values, not a multiple of " +
                traits->name + "'s block size " + std::to_string(traits->block_size));
        }
        // The byte size must fit too: 2^62 f32 values are 2^64 bytes, which
        // wrapped to 0 and passed the in-file check below (fuzz_imatrix).
        if (uint64_t(n / traits->block_size) > uint64_t(std::numeric_limits<int64_t>::max()) / traits->type_size) {
            bad("tensor '" + ti.name + "' is absurdly large");
        }
        ti.size_bytes = gguf_tensor_bytes(ti.type, ti.ne);
        ti.offset = c.get<uint64_t>();
        h.tensors.push_back(std::move(ti));
    }
    h.header_size = c.pos();
    h.data_offset = align_up(h.header_size, h.alignment);

    // ggml requires the tensors to be packed in order, each padded to the alignment.
    uint64_t expect = 0;
    for (auto& ti : h.tensors) {
        if (ti.offset % h.alignment != 0) bad("tensor '" + ti.name + "' data is not aligned to " + std::to_string(h.alignment));
        if (ti.offset != expect) {
            bad("tensor '" + ti.name + "' has offset " + std::to_string(ti.offset) + ", expected " + std::to_string(expect));
        }
        ti.file_offset = h.data_offset + ti.offset;
        if (ti.size_bytes > file_size || ti.file_offset > file_size - ti.size_bytes) {
            bad("tensor '" + ti.name + "' data lies outside the file (" + std::to_string(file_size) + " bytes)");
        }
        expect += align_up(ti.size_bytes, h.alignment);
    }
    h.data_size = expect;
    return h;
}

}  // namespace

int64_t GgufTensorInfo::n_elements() const {
    int64_t n = 1;
    for (auto d : ne) n *= d;
    return n;
}

uint64_t gguf_tensor_bytes(GgmlType t, const std::vector<int64_t>& ne) {
    const TypeTraits& tr = type_traits(t);
    int64_t n = 1;
    for (auto d : ne) n *= d;
    return uint64_t(n / tr.block_size) * tr.type_size;
}

const GgufValue* GgufHeader::find(const std::string& key) const {
    for (const auto& [k, v] : kv) {
        if (k == key) return &v;
    }
    return nullptr;
}

const GgufValue& GgufHeader::get(const std::string& key) const {
    const GgufValue* v = find(key);
    if (!v) throw Error(ErrorCode::Format, "missing metadata key '" + key + "'");
    return *v;
}

const GgufTensorInfo* GgufHeader::find_tensor(const std::string& name) const {
    for (const auto& t : tensors) {
        if (t.name == name) return &t;
    }
    return nullptr;
}

const GgufTensorInfo& GgufHeader::tensor(const std::string& name) const {
    const GgufTensorInfo* t = find_tensor(name);
    if (!t) throw Error(ErrorCode::Format, "missing tensor '" + name + "'");
    return *t;
}

GgufParseResult parse_gguf_header(const uint8_t* data, size_t len, uint64_t file_size) {
    if (len > file_size) throw Error(ErrorCode::InvalidArgument, "prefix is longer than the file");
    GgufParseResult r;
    Cursor c(data, len, file_size);
    try {
        r.header = parse(c, file_size);
        r.complete = true;
    } catch (const Truncated& t) {
        // Ask for at least twice the prefix so long headers converge in a few reads.
        r.bytes_needed = std::min<uint64_t>(file_size, std::max<uint64_t>(t.need, uint64_t(len) * 2));
    }
    return r;
}

GgufHeader read_gguf_header_from_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
    std::fseek(f, 0, SEEK_END);
    const long long size = std::ftell(f);
    std::vector<uint8_t> buf;
    uint64_t want = std::min<uint64_t>(uint64_t(size), 1 << 20);
    for (;;) {
        buf.resize(size_t(want));
        std::fseek(f, 0, SEEK_SET);
        if (want && std::fread(buf.data(), 1, size_t(want), f) != size_t(want)) {
            std::fclose(f);
            throw Error(ErrorCode::Io, "error reading " + path);
        }
        GgufParseResult r;
        try {
            r = parse_gguf_header(buf.data(), buf.size(), uint64_t(size));
        } catch (...) {
            std::fclose(f);
            throw;
        }
        if (r.complete) {
            std::fclose(f);
            return std::move(r.header);
        }
        want = r.bytes_needed;
    }
}

// ---------------------------------------------------------------- writer

namespace {

template <class T>
void put(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
}

void put_string(std::vector<uint8_t>& out, const std::string& s) {
    put<uint64_t>(out, s.size());
    out.insert(out.end(), s.begin(), s.end());
}

void put_value(std::vector<uint8_t>& out, const GgufValue& v) {
    put<uint32_t>(out, uint32_t(v.type()));
    if (v.type() == GgufType::STRING) {
        put_string(out, v.as_string());
    } else if (v.is_array()) {
        put<uint32_t>(out, uint32_t(v.array_type()));
        put<uint64_t>(out, v.array_size());
        if (v.array_type() == GgufType::STRING) {
            for (const auto& s : v.strings()) put_string(out, s);
        } else {
            out.insert(out.end(), v.raw().begin(), v.raw().end());
        }
    } else {
        out.insert(out.end(), v.raw().begin(), v.raw().end());
    }
}

}  // namespace

void GgufWriter::set(const std::string& key, GgufValue value) {
    if (key.empty()) throw Error(ErrorCode::InvalidArgument, "metadata key must not be empty");
    if (key == "general.alignment") {
        if (value.type() != GgufType::UINT32) throw Error(ErrorCode::InvalidArgument, "general.alignment must be a u32");
        const uint64_t al = value.as_u64();
        if (al == 0 || (al & (al - 1)) != 0) throw Error(ErrorCode::InvalidArgument, "alignment must be a power of two");
        if (!tensors_.empty()) throw Error(ErrorCode::InvalidArgument, "set the alignment before adding tensors");
        alignment_ = uint32_t(al);
    }
    for (auto& [k, v] : kv_) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    kv_.emplace_back(key, std::move(value));
}

void GgufWriter::remove(const std::string& key) {
    for (auto it = kv_.begin(); it != kv_.end(); ++it) {
        if (it->first == key) {
            kv_.erase(it);
            return;
        }
    }
}

const GgufValue* GgufWriter::find(const std::string& key) const {
    for (const auto& [k, v] : kv_) {
        if (k == key) return &v;
    }
    return nullptr;
}

void GgufWriter::add_tensor(const std::string& name, GgmlType type, const std::vector<int64_t>& ne) {
    if (name.empty() || name.size() > kGgufMaxNameLength) {
        throw Error(ErrorCode::InvalidArgument, "tensor name '" + name + "' must be 1.." +
                                                    std::to_string(kGgufMaxNameLength) + " characters");
    }
    for (const auto& t : tensors_) {
        if (t.name == name) throw Error(ErrorCode::InvalidArgument, "duplicate tensor '" + name + "'");
    }
    if (ne.empty() || ne.size() > kGgufMaxDims) throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' needs 1..4 dimensions");
    const TypeTraits& tr = type_traits(type);
    for (auto d : ne) {
        if (d <= 0) throw Error(ErrorCode::InvalidArgument, "tensor '" + name + "' has a non-positive dimension");
    }
    if (ne[0] % tr.block_size != 0) {
        throw Error(ErrorCode::BadLength, "tensor '" + name + "' rows of " + std::to_string(ne[0]) +
                                              " are not a multiple of " + tr.name + "'s block size");
    }
    GgufTensorInfo ti;
    ti.name = name;
    ti.ne = ne;
    ti.type = type;
    ti.size_bytes = gguf_tensor_bytes(type, ne);
    ti.offset = data_size_;
    data_size_ += align_up(ti.size_bytes, alignment_);
    tensors_.push_back(std::move(ti));
}

uint64_t GgufWriter::header_bytes_size() const {
    uint64_t n = 4 + 4 + 8 + 8;
    std::vector<uint8_t> tmp;
    for (const auto& [k, v] : kv_) {
        tmp.clear();
        put_value(tmp, v);
        n += 8 + k.size() + tmp.size();
    }
    for (const auto& t : tensors_) n += 8 + t.name.size() + 4 + 8 * t.ne.size() + 4 + 8;
    return align_up(n, alignment_);
}

std::vector<uint8_t> GgufWriter::header_bytes() const {
    std::vector<uint8_t> out;
    put<uint32_t>(out, kGgufMagic);
    put<uint32_t>(out, 3);
    put<uint64_t>(out, tensors_.size());
    put<uint64_t>(out, kv_.size());
    for (const auto& [k, v] : kv_) {
        put_string(out, k);
        put_value(out, v);
    }
    for (const auto& t : tensors_) {
        put_string(out, t.name);
        put<uint32_t>(out, uint32_t(t.ne.size()));
        for (auto d : t.ne) put<uint64_t>(out, uint64_t(d));
        put<uint32_t>(out, uint32_t(t.type));
        put<uint64_t>(out, t.offset);
    }
    out.resize(size_t(align_up(out.size(), alignment_)), 0);
    return out;
}

uint64_t GgufWriter::file_size() const { return header_bytes_size() + data_size_; }

uint64_t GgufWriter::padding_after(size_t i) const {
    const uint64_t sz = tensors_.at(i).size_bytes;
    return align_up(sz, alignment_) - sz;
}

}  // namespace quantlab
