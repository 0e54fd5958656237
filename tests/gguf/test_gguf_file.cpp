// GGUF headers against llama.cpp's own files, a byte-identical rewrite, and
// the malformed inputs ggml rejects.
#include <catch2/catch.hpp>
#include <cstring>

#include "core/error.h"
#include "gguf/gguf_file.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {


GgufHeader parse_all(const std::vector<uint8_t>& bytes) {
    auto r = parse_gguf_header(bytes.data(), bytes.size(), bytes.size());
    REQUIRE(r.complete);
    return r.header;
}

std::string header_format_error(const std::vector<uint8_t>& bytes) {
    try {
        parse_gguf_header(bytes.data(), bytes.size(), bytes.size());
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Format);
        return e.what();
    }
    return "(no error)";
}

// A small valid file: two metadata keys and one 32x2 f32 tensor.
std::vector<uint8_t> tiny_file() {
    GgufWriter w;
    w.set("general.architecture", GgufValue::string("llama"));
    w.set("answer", GgufValue::u32(42));
    w.add_tensor("t", GgmlType::F32, {32, 2});
    auto bytes = w.header_bytes();
    bytes.resize(bytes.size() + 256, 0);
    return bytes;
}

}  // namespace

TEST_CASE("reads llama.cpp's stories260K header", "[gguf]") {
    const auto h = read_gguf_header_from_file(reference_path("stories260K-f32.gguf"));
    CHECK(h.version == 3);
    CHECK(h.tensors.size() == 48);
    CHECK(h.get("general.architecture").as_string() == "llama");
    CHECK(h.get("llama.embedding_length").as_u64() == 64);
    CHECK(h.get("llama.block_count").as_u64() == 5);
    CHECK(h.get("llama.attention.head_count").as_u64() == 8);
    CHECK(h.get("llama.attention.head_count_kv").as_u64() == 4);
    CHECK(h.get("tokenizer.ggml.model").as_string() == "llama");
    CHECK(h.get("tokenizer.ggml.tokens").array_size() == 512);
    const auto& emb = h.tensor("token_embd.weight");
    CHECK(emb.type == GgmlType::F32);
    CHECK(emb.ne == std::vector<int64_t>{64, 512});
    CHECK(emb.file_offset % h.alignment == 0);
}

TEST_CASE("reads the mixed-type Q4_K_M file", "[gguf]") {
    const auto h = read_gguf_header_from_file(reference_path("stories260K-q4_k_m.gguf"));
    CHECK(h.tensor("output.weight").type == GgmlType::Q8_0);
    CHECK(h.tensor("blk.0.ffn_down.weight").type == GgmlType::F16);
    CHECK(h.tensor("blk.0.attn_q.weight").type == GgmlType::Q5_0);
    CHECK(h.tensor("blk.0.attn_norm.weight").type == GgmlType::F32);
    CHECK(h.get("general.file_type").as_u64() == 15);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
}

TEST_CASE("rewriting a llama.cpp file reproduces it byte for byte", "[gguf]") {
    for (const char* name : {"stories260K-f32.gguf", "stories260K-q4_k_m.gguf"}) {
        INFO(name);
        const auto file = read_bytes(reference_path(name));
        const auto h = parse_all(file);
        GgufWriter w;
        for (const auto& [k, v] : h.kv) w.set(k, v);
        for (const auto& t : h.tensors) w.add_tensor(t.name, t.type, t.ne);
        auto out = w.header_bytes();
        REQUIRE(w.data_offset() == h.data_offset);
        for (size_t i = 0; i < h.tensors.size(); ++i) {
            const auto& t = h.tensors[i];
            out.insert(out.end(), file.begin() + long(t.file_offset), file.begin() + long(t.file_offset + t.size_bytes));
            out.resize(out.size() + w.padding_after(i), 0);
        }
        CHECK(out.size() == w.file_size());
        REQUIRE(out.size() == file.size());
        CHECK(std::memcmp(out.data(), file.data(), file.size()) == 0);
    }
}

TEST_CASE("a short prefix asks for more bytes instead of failing", "[gguf]") {
    const auto file = read_bytes(reference_path("stories260K-f32.gguf"));
    size_t len = 64;
    int rounds = 0;
    for (;;) {
        auto r = parse_gguf_header(file.data(), len, file.size());
        if (r.complete) {
            CHECK(r.header.tensors.size() == 48);
            break;
        }
        REQUIRE(r.bytes_needed > len);
        len = size_t(r.bytes_needed);
        REQUIRE(++rounds < 20);
    }
    CHECK(rounds > 0);
}

TEST_CASE("GGUF version 2 files are read like version 3", "[gguf]") {
    // v2 and v3 share the layout (v3 only added the big-endian marker).
    auto b = tiny_file();
    b[4] = 2;
    const auto h = parse_all(b);
    CHECK(h.version == 2);
    CHECK(h.get("answer").as_u64() == 42);
    CHECK(h.tensors.size() == 1);
}

TEST_CASE("malformed GGUF is rejected with a clear error", "[gguf][errors]") {
    const auto good = tiny_file();
    CHECK(parse_all(good).tensors.size() == 1);

    auto b = good;
    b[0] = 'X';
    CHECK(header_format_error(b) == "invalid GGUF: bad magic (not a GGUF file)");

    b = good;
    b[4] = 1;
    CHECK(header_format_error(b) == "invalid GGUF: GGUF version 1 is no longer supported");
    b[4] = 9;
    CHECK(header_format_error(b) == "invalid GGUF: unsupported GGUF version 9");

    b = good;
    const uint64_t huge = uint64_t(1) << 60;
    std::memcpy(&b[8], &huge, 8);  // tensor count
    CHECK(header_format_error(b).find("absurd tensor count") != std::string::npos);
    b = good;
    std::memcpy(&b[16], &huge, 8);  // kv count
    CHECK(header_format_error(b).find("absurd metadata count") != std::string::npos);

    b = good;
    std::memcpy(&b[24], &huge, 8);  // length of the first key
    CHECK(header_format_error(b).find("more than the file holds") != std::string::npos);

    // Truncated mid-header: the file itself ends, so this is an error, not "need more".
    const auto header_size = long(parse_all(good).header_size);
    b.assign(good.begin(), good.begin() + header_size - 4);  // ends inside the last tensor offset
    CHECK(header_format_error(b).find("unexpected end of file") != std::string::npos);

    // Tensor data past the end of the file.
    b.assign(good.begin(), good.end() - 200);
    CHECK(header_format_error(b).find("outside the file") != std::string::npos);
}

TEST_CASE("duplicate keys, bad types, bad shapes and offsets are rejected", "[gguf][errors]") {
    auto make = [](auto edit) {
        GgufWriter w;
        w.set("a", GgufValue::u32(1));
        w.set("b", GgufValue::u32(2));
        w.add_tensor("t0", GgmlType::Q8_0, {64, 2});
        w.add_tensor("t1", GgmlType::F32, {8});
        auto bytes = w.header_bytes();
        bytes.resize(bytes.size() + 1024, 0);
        edit(bytes);
        return bytes;
    };
    auto find = [](std::vector<uint8_t>& b, const std::string& s) {
        for (size_t i = 0; i + s.size() <= b.size(); ++i) {
            if (std::memcmp(&b[i], s.data(), s.size()) == 0) return i;
        }
        FAIL("pattern not found");
        return size_t(0);
    };
    // Rename key "b" to "a".
    auto dup = make([&](std::vector<uint8_t>& b) { b[find(b, std::string("\x01\0\0\0\0\0\0\0b", 9)) + 8] = 'a'; });
    CHECK(header_format_error(dup) == "invalid GGUF: duplicate metadata key 'a'");

    auto dup_tensor = make([&](std::vector<uint8_t>& b) { b[find(b, "t1") + 1] = '0'; });
    CHECK(header_format_error(dup_tensor) == "invalid GGUF: duplicate tensor 't0'");

    // t1's type field (f32 = 0) follows its single dimension 8.
    auto bad_type = make([&](std::vector<uint8_t>& b) { b[find(b, "t1") + 2 + 4 + 8] = 77; });
    CHECK(header_format_error(bad_type) == "invalid GGUF: tensor 't1' has unknown or unsupported type 77");

    // t0's first dimension 64 -> 48: not a whole number of Q8_0 blocks.
    auto bad_row = make([&](std::vector<uint8_t>& b) { b[find(b, "t0") + 2 + 4] = 48; });
    CHECK(header_format_error(bad_row) ==
          "invalid GGUF: tensor 't0' has rows of 48 values, not a multiple of q8_0's block size 32");

    // t1's offset (after type) moved by 4 bytes: misaligned.
    auto misaligned = make([&](std::vector<uint8_t>& b) { b[find(b, "t1") + 2 + 4 + 8 + 4] += 4; });
    CHECK(header_format_error(misaligned) == "invalid GGUF: tensor 't1' data is not aligned to 32");

    auto five_dims = make([&](std::vector<uint8_t>& b) { b[find(b, "t1") + 2] = 5; });
    CHECK(header_format_error(five_dims) == "invalid GGUF: tensor 't1' has 5 dimensions");

    // t1's dimension 8 -> 2^62: 2^64 bytes of f32, which used to wrap to a
    // size of 0 and pass as data inside the file (fuzz_imatrix).
    auto wraps = make([&](std::vector<uint8_t>& b) {
        const uint64_t huge = uint64_t(1) << 62;
        std::memcpy(&b[find(b, "t1") + 2 + 4], &huge, 8);
    });
    CHECK(header_format_error(wraps) == "invalid GGUF: tensor 't1' is absurdly large");
}

TEST_CASE("metadata values convert only where meaningful", "[gguf]") {
    CHECK(GgufValue::u32(7).as_u64() == 7);
    CHECK(GgufValue::i32(-3).as_i64() == -3);
    CHECK_THROWS_AS(GgufValue::i32(-3).as_u64(), Error);
    CHECK_THROWS_AS(GgufValue::string("x").as_u64(), Error);
    CHECK(GgufValue::f32(0.5f).as_f64() == 0.5);
    CHECK(GgufValue::f32_array({1.0f, 2.5f}).as_f32_array() == std::vector<float>{1.0f, 2.5f});
    CHECK(GgufValue::string_array({"a", "b"}).strings().size() == 2);
    CHECK_THROWS_AS(GgufValue::string_array({"a"}).as_f32_array(), Error);
}
