#include "gguf/gguf_value.h"

#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.h"

namespace quantlab {

const char* gguf_type_name(GgufType t) {
    switch (t) {
        case GgufType::UINT8: return "u8";
        case GgufType::INT8: return "i8";
        case GgufType::UINT16: return "u16";
        case GgufType::INT16: return "i16";
        case GgufType::UINT32: return "u32";
        case GgufType::INT32: return "i32";
        case GgufType::FLOAT32: return "f32";
        case GgufType::BOOL: return "bool";
        case GgufType::STRING: return "str";
        case GgufType::ARRAY: return "arr";
        case GgufType::UINT64: return "u64";
        case GgufType::INT64: return "i64";
        case GgufType::FLOAT64: return "f64";
    }
    return "?";
}

size_t gguf_scalar_size(GgufType t) {
    switch (t) {
        case GgufType::UINT8:
        case GgufType::INT8:
        case GgufType::BOOL: return 1;
        case GgufType::UINT16:
        case GgufType::INT16: return 2;
        case GgufType::UINT32:
        case GgufType::INT32:
        case GgufType::FLOAT32: return 4;
        case GgufType::UINT64:
        case GgufType::INT64:
        case GgufType::FLOAT64: return 8;
        case GgufType::STRING:
        case GgufType::ARRAY: return 0;
    }
    return 0;
}

bool gguf_type_valid(uint32_t t) { return t <= uint32_t(GgufType::FLOAT64); }

GgufValue GgufValue::scalar(GgufType t, const void* p, size_t n) {
    GgufValue v;
    v.type_ = t;
    v.raw_.resize(n);
    std::memcpy(v.raw_.data(), p, n);
    return v;
}

GgufValue GgufValue::string(std::string s) {
    GgufValue v;
    v.type_ = GgufType::STRING;
    v.str_ = std::move(s);
    return v;
}

GgufValue GgufValue::string_array(std::vector<std::string> s) {
    GgufValue v;
    v.type_ = GgufType::ARRAY;
    v.elem_ = GgufType::STRING;
    v.strs_ = std::move(s);
    return v;
}

GgufValue GgufValue::numeric_array(GgufType elem, std::vector<uint8_t> raw) {
    const size_t es = gguf_scalar_size(elem);
    if (es == 0) throw Error(ErrorCode::InvalidArgument, "numeric_array needs a numeric element type");
    if (raw.size() % es != 0) throw Error(ErrorCode::InvalidArgument, "array bytes are not whole elements");
    GgufValue v;
    v.type_ = GgufType::ARRAY;
    v.elem_ = elem;
    v.raw_ = std::move(raw);
    return v;
}

GgufValue GgufValue::f32_array(const std::vector<float>& a) {
    std::vector<uint8_t> raw(a.size() * 4);
    if (!a.empty()) std::memcpy(raw.data(), a.data(), raw.size());
    return numeric_array(GgufType::FLOAT32, std::move(raw));
}

GgufValue GgufValue::i32_array(const std::vector<int32_t>& a) {
    std::vector<uint8_t> raw(a.size() * 4);
    if (!a.empty()) std::memcpy(raw.data(), a.data(), raw.size());
    return numeric_array(GgufType::INT32, std::move(raw));
}

double GgufValue::numeric_at(size_t i) const {
    const GgufType t = is_array() ? elem_ : type_;
    const uint8_t* p = raw_.data() + i * gguf_scalar_size(t);
    auto load = [p](auto tag) {
        decltype(tag) v;
        std::memcpy(&v, p, sizeof v);
        return v;
    };
    switch (t) {
        case GgufType::UINT8: return double(load(uint8_t{}));
        case GgufType::INT8: return double(load(int8_t{}));
        case GgufType::UINT16: return double(load(uint16_t{}));
        case GgufType::INT16: return double(load(int16_t{}));
        case GgufType::UINT32: return double(load(uint32_t{}));
        case GgufType::INT32: return double(load(int32_t{}));
        case GgufType::FLOAT32: return double(load(float{}));
        case GgufType::BOOL: return double(load(uint8_t{}));
        case GgufType::UINT64: return double(load(uint64_t{}));
        case GgufType::INT64: return double(load(int64_t{}));
        case GgufType::FLOAT64: return load(double{});
        default: break;
    }
    throw Error(ErrorCode::Format, std::string("a ") + gguf_type_name(t) + " value is not a number");
}

uint64_t GgufValue::as_u64() const {
    // An array is not a scalar, not even its first element (an empty one has none).
    if (is_array()) throw Error(ErrorCode::Format, "expected an integer, got an array");
    if (type_ == GgufType::UINT64) {
        uint64_t v;
        std::memcpy(&v, raw_.data(), 8);
        return v;
    }
    if (type_ == GgufType::INT64) {
        int64_t v;
        std::memcpy(&v, raw_.data(), 8);
        if (v < 0) throw Error(ErrorCode::Format, "expected a non-negative integer, got " + std::to_string(v));
        return uint64_t(v);
    }
    const double d = numeric_at(0);
    if (type_ == GgufType::FLOAT32 || type_ == GgufType::FLOAT64) {
        throw Error(ErrorCode::Format, "expected an integer, got a float");
    }
    if (d < 0) throw Error(ErrorCode::Format, "expected a non-negative integer, got " + std::to_string(int64_t(d)));
    return uint64_t(d);
}

int64_t GgufValue::as_i64() const {
    if (is_array()) throw Error(ErrorCode::Format, "expected an integer, got an array");
    if (type_ == GgufType::INT64) {
        int64_t v;
        std::memcpy(&v, raw_.data(), 8);
        return v;
    }
    if (type_ == GgufType::UINT64) {
        const uint64_t v = as_u64();
        if (v > uint64_t(INT64_MAX)) throw Error(ErrorCode::Format, "integer value too large");
        return int64_t(v);
    }
    if (type_ == GgufType::FLOAT32 || type_ == GgufType::FLOAT64) {
        throw Error(ErrorCode::Format, "expected an integer, got a float");
    }
    return int64_t(numeric_at(0));
}

double GgufValue::as_f64() const {
    if (is_array()) throw Error(ErrorCode::Format, "expected a number, got an array");
    return numeric_at(0);
}

bool GgufValue::as_bool() const {
    if (type_ != GgufType::BOOL) throw Error(ErrorCode::Format, std::string("expected bool, got ") + gguf_type_name(type_));
    return raw_[0] != 0;
}

const std::string& GgufValue::as_string() const {
    if (type_ != GgufType::STRING) {
        throw Error(ErrorCode::Format, std::string("expected a string, got ") + gguf_type_name(type_));
    }
    return str_;
}

size_t GgufValue::array_size() const {
    if (!is_array()) throw Error(ErrorCode::Format, "expected an array");
    return elem_ == GgufType::STRING ? strs_.size() : raw_.size() / gguf_scalar_size(elem_);
}

const std::vector<std::string>& GgufValue::strings() const {
    if (!is_array() || elem_ != GgufType::STRING) throw Error(ErrorCode::Format, "expected an array of strings");
    return strs_;
}

std::vector<float> GgufValue::as_f32_array() const {
    if (!is_array() || elem_ == GgufType::STRING) throw Error(ErrorCode::Format, "expected a numeric array");
    std::vector<float> out(array_size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = float(numeric_at(i));
    return out;
}

std::vector<int32_t> GgufValue::as_i32_array() const {
    if (!is_array() || elem_ == GgufType::STRING || elem_ == GgufType::FLOAT32 || elem_ == GgufType::FLOAT64) {
        throw Error(ErrorCode::Format, "expected an integer array");
    }
    std::vector<int32_t> out(array_size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = int32_t(numeric_at(i));
    return out;
}

std::string GgufValue::to_display_string(size_t max_items) const {
    std::ostringstream os;
    if (type_ == GgufType::STRING) {
        os << '"' << (str_.size() > 60 ? str_.substr(0, 57) + "..." : str_) << '"';
    } else if (is_array()) {
        const size_t n = array_size();
        os << '[';
        for (size_t i = 0; i < n && i < max_items; ++i) {
            if (i) os << ", ";
            if (elem_ == GgufType::STRING) os << '"' << strs_[i] << '"';
            else os << numeric_at(i);
        }
        if (n > max_items) os << ", ... (" << n << " items)";
        os << ']';
    } else if (type_ == GgufType::BOOL) {
        os << (raw_[0] ? "true" : "false");
    } else {
        os << numeric_at(0);
    }
    return os.str();
}

}  // namespace quantlab
