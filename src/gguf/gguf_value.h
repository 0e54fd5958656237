// GGUF metadata values (facts from ggml's gguf.cpp / docs/gguf.md): a key maps
// to one scalar or one array of scalars/strings. Arrays of arrays are rejected
// like ggml does. Numeric arrays stay as raw little-endian bytes so a 150k-token
// vocabulary's scores cost 4 bytes a token, not a variant each.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace quantlab {

enum class GgufType : uint32_t {
    UINT8 = 0,
    INT8 = 1,
    UINT16 = 2,
    INT16 = 3,
    UINT32 = 4,
    INT32 = 5,
    FLOAT32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    UINT64 = 10,
    INT64 = 11,
    FLOAT64 = 12,
};

const char* gguf_type_name(GgufType t);
// Bytes of one scalar of type t; 0 for STRING and ARRAY.
size_t gguf_scalar_size(GgufType t);
bool gguf_type_valid(uint32_t t);

class GgufValue {
public:
    GgufValue() = default;

    static GgufValue u8(uint8_t v) { return scalar(GgufType::UINT8, &v, 1); }
    static GgufValue i8(int8_t v) { return scalar(GgufType::INT8, &v, 1); }
    static GgufValue u16(uint16_t v) { return scalar(GgufType::UINT16, &v, 2); }
    static GgufValue i16(int16_t v) { return scalar(GgufType::INT16, &v, 2); }
    static GgufValue u32(uint32_t v) { return scalar(GgufType::UINT32, &v, 4); }
    static GgufValue i32(int32_t v) { return scalar(GgufType::INT32, &v, 4); }
    static GgufValue f32(float v) { return scalar(GgufType::FLOAT32, &v, 4); }
    static GgufValue u64(uint64_t v) { return scalar(GgufType::UINT64, &v, 8); }
    static GgufValue i64(int64_t v) { return scalar(GgufType::INT64, &v, 8); }
    static GgufValue f64(double v) { return scalar(GgufType::FLOAT64, &v, 8); }
    static GgufValue boolean(bool v) {
        const uint8_t b = v ? 1 : 0;
        return scalar(GgufType::BOOL, &b, 1);
    }
    static GgufValue string(std::string v);
    static GgufValue string_array(std::vector<std::string> v);
    // A numeric array from raw little-endian element bytes.
    static GgufValue numeric_array(GgufType elem, std::vector<uint8_t> raw);
    static GgufValue f32_array(const std::vector<float>& v);
    static GgufValue i32_array(const std::vector<int32_t>& v);

    GgufType type() const { return type_; }
    GgufType array_type() const { return elem_; }
    bool is_array() const { return type_ == GgufType::ARRAY; }

    // Scalar accessors; each throws Error(Format) when the stored type cannot
    // be represented (a negative value as unsigned, a string as a number, ...).
    uint64_t as_u64() const;
    int64_t as_i64() const;
    double as_f64() const;
    bool as_bool() const;
    const std::string& as_string() const;

    // Array accessors.
    size_t array_size() const;
    const std::vector<std::string>& strings() const;
    std::vector<float> as_f32_array() const;
    std::vector<int32_t> as_i32_array() const;
    const std::vector<uint8_t>& raw() const { return raw_; }

    // Human-readable rendering for gguf-info (arrays are abbreviated).
    std::string to_display_string(size_t max_items = 8) const;

private:
    static GgufValue scalar(GgufType t, const void* p, size_t n);
    double numeric_at(size_t i) const;  // element i of a numeric array or the scalar itself

    GgufType type_ = GgufType::UINT8;
    GgufType elem_ = GgufType::UINT8;
    std::vector<uint8_t> raw_;         // scalar bytes, or numeric array elements
    std::string str_;
    std::vector<std::string> strs_;
};

}  // namespace quantlab
