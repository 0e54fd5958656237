// Whole-model quantization: byte identity with llama-quantize's files in
// ../shared/reference, streaming through callbacks, cancellation, native
// file handling, bad inputs, a round trip through every ftype and threads.
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>

#include "formats/quantize.h"
#include "quantize/model_quantizer.h"
#include "quantize/type_layout.h"
#include "quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

const std::string kF32 = "stories260K-f32.gguf";

bool same_value(const GgufValue& a, const GgufValue& b) {
    if (a.type() != b.type()) return false;
    if (a.type() == GgufType::STRING) return a.as_string() == b.as_string();
    if (a.is_array()) {
        if (a.array_type() != b.array_type()) return false;
        if (a.array_type() == GgufType::STRING) return a.strings() == b.strings();
    }
    return a.raw() == b.raw();
}

// Tensor for tensor: names, order, types, shapes and data; metadata key for key.
void require_same_model(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
    const GgufHeader g = parse_bytes(got);
    const GgufHeader w = parse_bytes(want);
    REQUIRE(g.kv.size() == w.kv.size());
    for (size_t i = 0; i < g.kv.size(); ++i) {
        INFO("metadata " << i << ": " << w.kv[i].first);
        CHECK(g.kv[i].first == w.kv[i].first);
        CHECK(same_value(g.kv[i].second, w.kv[i].second));
    }
    REQUIRE(g.tensors.size() == w.tensors.size());
    for (size_t i = 0; i < g.tensors.size(); ++i) {
        const auto& a = g.tensors[i];
        const auto& b = w.tensors[i];
        INFO("tensor " << i << ": " << b.name);
        CHECK(a.name == b.name);
        CHECK(type_traits(a.type).name == std::string(type_traits(b.type).name));
        CHECK(a.ne == b.ne);
        CHECK(a.offset == b.offset);
        REQUIRE(a.size_bytes == b.size_bytes);
        CHECK(tensor_bytes(got, a) == tensor_bytes(want, b));
    }
    CHECK(got == want);  // header bytes and padding too
}

}  // namespace

TEST_CASE("stories260K: Q8_0, Q4_0, IQ4_NL and Q4_K_M are identical to llama-quantize's files", "[quantize][reference]") {
    const auto in = read_bytes(reference_path(kF32));
    struct Case {
        LlamaFtype f;
        const char* file;
        bool force_ffn_down_f16;
    };
    // ffn_down rows hold 172 values, not a multiple of 32. For Q4_K_M,
    // llama-quantize's own fallback chain (Q4_K -> Q5_0, Q6_K -> Q8_0, both
    // still 32-blocks) ends in F16, so no option is involved. For the 32-block
    // base types (Q8_0, Q4_0, IQ4_NL) tensor_type_fallback has no entry and
    // llama-quantize stops with "no tensor type fallback is defined"; the
    // reference files were made with --tensor-type ffn_down=f16, and so are ours.
    const Case cases[] = {
        {LlamaFtype::MOSTLY_Q8_0, "stories260K-q8_0.gguf", true},
        {LlamaFtype::MOSTLY_Q4_0, "stories260K-q4_0.gguf", true},
        {LlamaFtype::MOSTLY_IQ4_NL, "stories260K-iq4_nl.gguf", true},
        {LlamaFtype::MOSTLY_Q4_K_M, "stories260K-q4_k_m.gguf", false},
    };
    for (const auto& c : cases) {
        for (auto v : variants_under_test()) {
            INFO(c.file << " with " << kernel_variant_name(v) << " kernels");
            ModelQuantizeOptions o = ftype_options(c.f);
            o.variant = v;
            if (c.force_ffn_down_f16) o.params.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
            ModelQuantizeResult r;
            const auto out = quantize_bytes(in, o, &r);
            require_same_model(out, read_bytes(reference_path(c.file)));

            // What we produce for ffn_down: f16, the input rounded to nearest even.
            const GgufHeader src = parse_bytes(in);
            const GgufHeader dst = parse_bytes(out);
            for (int l = 0; l < 5; ++l) {
                const std::string name = "blk." + std::to_string(l) + ".ffn_down.weight";
                const auto& t = dst.tensor(name);
                CHECK(t.type == GgmlType::F16);
                const auto x = tensor_bytes(in, src.tensor(name));
                const auto y = tensor_bytes(out, t);
                REQUIRE(y.size() * 2 == x.size());
                bool exact = true;
                for (size_t i = 0; i < y.size() / 2; ++i) {
                    float f;
                    std::memcpy(&f, x.data() + 4 * i, 4);
                    ggml_half h;
                    std::memcpy(&h, y.data() + 2 * i, 2);
                    exact &= h == fp32_to_fp16(f);
                }
                CHECK(exact);
            }
            if (c.force_ffn_down_f16) CHECK(r.plan.overrides[0].applied.size() == 5);
        }
    }
}

TEST_CASE("metadata: llama-quantize's two keys are appended, everything else is kept in order", "[quantize][reference]") {
    const auto in = read_bytes(reference_path(kF32));
    const auto out = quantize_bytes(in, ftype_options(LlamaFtype::MOSTLY_Q4_K_M));
    const GgufHeader a = parse_bytes(in);
    const GgufHeader b = parse_bytes(out);
    REQUIRE(b.kv.size() == a.kv.size() + 2);
    for (size_t i = 0; i < a.kv.size(); ++i) {
        CHECK(b.kv[i].first == a.kv[i].first);
        CHECK(same_value(b.kv[i].second, a.kv[i].second));
    }
    CHECK(b.kv[a.kv.size()].first == "general.quantization_version");
    CHECK(b.kv[a.kv.size()].second.type() == GgufType::UINT32);
    CHECK(b.kv[a.kv.size()].second.as_u64() == 2);
    CHECK(b.kv[a.kv.size() + 1].first == "general.file_type");
    CHECK(b.kv[a.kv.size() + 1].second.type() == GgufType::UINT32);
    CHECK(b.kv[a.kv.size() + 1].second.as_u64() == 15);

    // Requantizing a file that has both keys moves them to the end again
    // (ggml's gguf_set_val removes and appends) and drops split keys.
    auto q8 = read_bytes(reference_path("stories260K-q8_0.gguf"));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_0);
    o.params.allow_requantize = true;
    o.params.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
    const GgufHeader c = parse_bytes(quantize_bytes(q8, o));
    REQUIRE(c.kv.size() == b.kv.size());
    CHECK(c.kv[c.kv.size() - 2].first == "general.quantization_version");
    CHECK(c.kv.back().first == "general.file_type");
    CHECK(c.kv.back().second.as_u64() == 2);

    SynthLlama s;
    s.n_layer = 1;
    auto synth = make_llama_file(s);
    // Splice split keys in by rebuilding the header.
    GgufHeader h = parse_bytes(synth);
    GgufWriter w2;
    w2.set("split.no", GgufValue::u16(0));
    for (const auto& [k, v] : h.kv) w2.set(k, v);
    w2.set("split.count", GgufValue::u16(1));
    w2.set("split.tensors.count", GgufValue::i32(int32_t(h.tensors.size())));
    for (const auto& t : h.tensors) w2.add_tensor(t.name, t.type, t.ne);
    std::vector<uint8_t> file = w2.header_bytes();
    file.insert(file.end(), synth.begin() + long(h.data_offset), synth.end());
    const GgufHeader d = parse_bytes(quantize_bytes(file, ftype_options(LlamaFtype::MOSTLY_Q8_0)));
    CHECK(d.find("split.no") == nullptr);
    CHECK(d.find("split.count") == nullptr);
    CHECK(d.find("split.tensors.count") == nullptr);
    CHECK(d.kv.size() == h.kv.size() + 2);
}

TEST_CASE("Q8_0 without the f16 override fails the way llama-quantize does", "[quantize][reference][errors]") {
    const auto in = read_bytes(reference_path(kF32));
    std::vector<uint8_t> out;
    try {
        quantize_model(in.size(), memory_reader(in), memory_writer(out), ftype_options(LlamaFtype::MOSTLY_Q8_0));
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Unsupported);
        CHECK_THAT(e.what(), Catch::Contains("no tensor type fallback is defined for type q8_0"));
    }
    CHECK(out.empty());  // refused while planning, before the header
}

TEST_CASE("streaming: small chunks give the same file and bounded reads", "[quantize][stream]") {
    const auto in = read_bytes(reference_path(kF32));
    const auto whole = quantize_bytes(in, ftype_options(LlamaFtype::MOSTLY_Q4_K_M));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    o.chunk_values = 200;  // three 64-value rows, or one 172-value row, per step
    size_t max_read = 0;
    size_t reads = 0;
    size_t max_write = 0;
    std::vector<uint8_t> out;
    ReadFn base = memory_reader(in);
    ReadFn read = [&](uint64_t off, size_t len, uint8_t* dst) {
        if (off > 0) {
            max_read = std::max(max_read, len);
            ++reads;
        }
        base(off, len, dst);
    };
    WriteFn write = [&](const uint8_t* p, size_t len) {
        out.insert(out.end(), p, p + len);
        max_write = std::max(max_write, len);
    };
    quantize_model(in.size(), read, write, o);
    CHECK(out == whole);
    CHECK(max_read <= 3 * 64 * 4);
    CHECK(reads > 48);
    // Besides the header, no single write exceeds one chunk's output.
    const size_t header = size_t(parse_bytes(out).data_offset);
    CHECK(max_write <= std::max<size_t>(header, 3 * 64 * 4));
}

TEST_CASE("dry run plans without reading tensor data or writing", "[quantize][stream]") {
    const auto in = read_bytes(reference_path(kF32));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q8_0);
    o.params.dry_run = true;
    std::vector<std::string> lines;
    o.log = [&](const std::string& l) { lines.push_back(l); };
    size_t data_reads = 0;
    const GgufHeader h = parse_bytes(in);
    ReadFn base = memory_reader(in);
    ReadFn read = [&](uint64_t off, size_t len, uint8_t* dst) {
        if (off >= h.data_offset) ++data_reads;
        base(off, len, dst);
    };
    // Even a dry run stops where llama-quantize would (ffn_down has no q8_0 fallback)...
    CHECK_THROWS_AS(quantize_model(in.size(), read, WriteFn(), o), Error);
    // ...and with the override it prints every tensor with its sizes.
    o.params.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
    lines.clear();
    const auto r = quantize_model(in.size(), read, WriteFn(), o);
    CHECK(data_reads == 0);
    CHECK(r.bytes_written == 0);
    CHECK(r.plan.new_bytes < r.plan.old_bytes);
    size_t tensor_lines = 0;
    for (const auto& l : lines) tensor_lines += l.rfind("[", 0) == 0;
    CHECK(tensor_lines == 48);
    CHECK_THAT(lines.back(), Catch::Contains("ffn_up.weight"));
    bool saw_q8 = false;
    for (const auto& l : lines) saw_q8 |= l.find("output.weight") != std::string::npos && l.find("(q8_0)") != std::string::npos;
    CHECK(saw_q8);
}

TEST_CASE("progress reports every tensor, and returning false cancels", "[quantize][stream]") {
    const auto in = read_bytes(reference_path(kF32));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    size_t done = 0;
    uint64_t last_written = 0;
    uint64_t total = 0;
    o.progress = [&](const QuantizeProgress& p) {
        CHECK(p.n_tensors == 48);
        REQUIRE(p.name != nullptr);
        if (p.tensor_done) ++done;
        CHECK(p.bytes_written >= last_written);
        last_written = p.bytes_written;
        total = p.bytes_out_total;
        return true;
    };
    const auto out = quantize_bytes(in, o);
    CHECK(done == 48);
    CHECK(last_written == out.size());
    CHECK(total == out.size());

    std::string stopped_at;
    o.progress = [&](const QuantizeProgress& p) {
        if (p.tensor_index == 10) {
            stopped_at = *p.name;
            return false;
        }
        return true;
    };
    std::vector<uint8_t> partial;
    try {
        quantize_model(in.size(), memory_reader(in), memory_writer(partial), o);
        FAIL("expected cancellation");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Cancelled);
    }
    CHECK(stopped_at == "blk.0.ffn_norm.weight");
    CHECK(partial.size() < out.size());
}

TEST_CASE("native files: written through .partial, nothing left on failure or cancel", "[quantize][file]") {
    const std::string in = reference_path(kF32);
    const std::string out = temp_path("native");
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const auto r = quantize_model_file(in, out, o);
    CHECK(exists(out));
    CHECK_FALSE(exists(out + ".partial"));
    CHECK(read_bytes(out) == read_bytes(reference_path("stories260K-q4_k_m.gguf")));
    CHECK(r.bytes_written == read_bytes(out).size());
    std::remove(out.c_str());

    bool saw_partial = false;
    o.progress = [&](const QuantizeProgress& p) {
        saw_partial |= exists(out + ".partial");
        return p.tensor_index < 20;
    };
    CHECK_THROWS_AS(quantize_model_file(in, out, o), Error);
    CHECK(saw_partial);
    CHECK_FALSE(exists(out));
    CHECK_FALSE(exists(out + ".partial"));

    // A failure in the middle (a tensor the plan accepts but the data breaks).
    SynthLlama s;
    s.n_layer = 2;
    auto file = make_llama_file(s);
    const GgufHeader h = parse_bytes(file);
    const float nan = std::nanf("");
    std::memcpy(file.data() + h.tensor("blk.1.attn_q.weight").file_offset + 40, &nan, 4);
    const std::string bad_in = temp_path("nan-in");
    write_file(bad_in, file);
    try {
        quantize_model_file(bad_in, out, ftype_options(LlamaFtype::MOSTLY_Q4_K_M));
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NonFinite);
        CHECK_THAT(e.what(), Catch::Contains("blk.1.attn_q.weight"));
    }
    CHECK_FALSE(exists(out));
    CHECK_FALSE(exists(out + ".partial"));
    std::remove(bad_in.c_str());
}

TEST_CASE("bad inputs are reported with typed errors", "[quantize][errors]") {
    const std::string out = temp_path("bad");
    auto code_of = [&](const std::string& in, const ModelQuantizeOptions& o) {
        try {
            quantize_model_file(in, out, o);
        } catch (const Error& e) {
            CHECK_FALSE(exists(out));
            CHECK_FALSE(exists(out + ".partial"));
            return e.code();
        }
        FAIL("expected an error");
        return ErrorCode::InvalidArgument;
    };
    const auto o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);

    CHECK(code_of("/nonexistent/model.gguf", o) == ErrorCode::Io);

    const std::string text = temp_path("text");
    write_file(text, std::vector<uint8_t>{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '\n'});
    CHECK(code_of(text, o) == ErrorCode::Format);
    write_file(text, {});
    CHECK(code_of(text, o) == ErrorCode::Format);

    auto f32 = read_bytes(reference_path(kF32));
    f32.resize(f32.size() / 2);  // header intact, tensor data cut off
    write_file(text, f32);
    CHECK(code_of(text, o) == ErrorCode::Format);

    SynthLlama s;
    s.arch = "falcon";
    s.n_layer = 1;
    write_file(text, make_llama_file(s));
    CHECK(code_of(text, o) == ErrorCode::UnsupportedArchitecture);
    std::remove(text.c_str());

    CHECK(code_of(reference_path(kF32), ftype_options(LlamaFtype::MOSTLY_Q8_0)) == ErrorCode::Unsupported);
    CHECK_THROWS_AS(quantize_model_file(reference_path(kF32), "/nonexistent-dir/out.gguf", o), Error);
    CHECK_THROWS_AS(quantize_model_file(reference_path(kF32), reference_path(kF32), o), Error);

    try {
        parse_ftype("Q4_K_Z");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::UnknownType);
        CHECK_THAT(e.what(), Catch::Contains("Q4_K_M"));
    }

    // Requantizing without permission, natively.
    CHECK(code_of(reference_path("stories260K-q8_0.gguf"), ftype_options(LlamaFtype::MOSTLY_Q4_K_M)) == ErrorCode::Unsupported);
}

TEST_CASE("values that overflow the target type fail validation like ggml's", "[quantize][errors]") {
    SynthLlama s;
    s.n_layer = 1;
    auto file = make_llama_file(s);
    const GgufHeader h = parse_bytes(file);
    const float big = 1.0e6f;  // finite in f32, infinite in f16
    std::memcpy(file.data() + h.tensor("blk.0.ffn_up.weight").file_offset, &big, 4);
    std::vector<uint8_t> out;
    try {
        quantize_model(file.size(), memory_reader(file), memory_writer(out), ftype_options(LlamaFtype::MOSTLY_F16));
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NonFinite);
        // Named by tensor and row, as the model's own coordinates.
        CHECK_THAT(e.what(), Catch::Contains("blk.0.ffn_up.weight: row 0 cannot be stored as f16"));
    }
}

TEST_CASE("round trip: stories260K through every ftype re-parses and dequantizes to finite values", "[quantize][roundtrip]") {
    const std::string in = reference_path(kF32);
    const GgufHeader src = read_gguf_header_from_file(in);
    // Q2_K_S needs an importance matrix: neutral weights for every weight tensor.
    ImatrixData neutral;
    for (const auto& t : src.tensors) {
        if (t.ne.size() >= 2) neutral.entries[t.name] = std::vector<float>(size_t(t.ne[0]), 1.0f);
    }
    for (const auto& f : all_ftypes()) {
        INFO(f.name);
        ModelQuantizeOptions o = ftype_options(f.ftype, 2);
        // 32-block base types have no fallback for the 172-wide ffn_down rows.
        const int64_t blk = type_layout(f.default_type).block_size;
        if (blk == 32) o.params.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
        QuantizeParams dry = o.params;
        dry.dry_run = true;
        const QuantPlan plan = plan_quantization(src, dry);
        if (plan.needs_imatrix) o.imatrix = &neutral;
        const std::string out = temp_path("roundtrip");
        // Every file type's tensor types have kernels now (IQ1/IQ2/IQ3 included).
        for (const auto& t : plan.tensors) CHECK(has_kernels(t.new_type));
        const auto r = quantize_model_file(in, out, o);
        const GgufHeader h = read_gguf_header_from_file(out);
        const auto bytes = read_bytes(out);
        CHECK(bytes.size() == r.bytes_written);
        CHECK(h.get("general.file_type").as_u64() == uint64_t(f.ftype));
        REQUIRE(h.tensors.size() == r.plan.tensors.size());
        for (size_t i = 0; i < h.tensors.size(); ++i) {
            const auto& t = h.tensors[i];
            INFO(t.name);
            CHECK(t.name == r.plan.tensors[i].name);
            CHECK(t.type == r.plan.tensors[i].new_type);
            const auto q = tensor_bytes(bytes, t);
            const auto y = dequantize(type_traits(t.type), q.data(), q.size(), size_t(t.n_elements()));
            bool finite = true;
            for (float v : y) finite &= std::isfinite(v);
            CHECK(finite);
        }
        if (f.ftype == LlamaFtype::ALL_F32) {
            // Nothing to convert: the tensor data is the input's.
            const auto a = read_bytes(in);
            for (const auto& t : h.tensors) CHECK(tensor_bytes(bytes, t) == tensor_bytes(a, src.tensor(t.name)));
        }
        std::remove(out.c_str());
    }
}

TEST_CASE("threads: 1, 2 and 3 threads write identical files", "[quantize][threads]") {
    const auto stories = read_bytes(reference_path(kF32));
    const auto one = quantize_bytes(stories, ftype_options(LlamaFtype::MOSTLY_Q4_K_M, 1));
    CHECK(quantize_bytes(stories, ftype_options(LlamaFtype::MOSTLY_Q4_K_M, 2)) == one);

    SynthLlama s;  // 256-wide rows: real k-quants, several rows per thread
    s.n_layer = 2;
    const auto synth = make_llama_file(s);
    for (auto f : {LlamaFtype::MOSTLY_Q4_K_M, LlamaFtype::MOSTLY_IQ4_XS, LlamaFtype::MOSTLY_Q5_1}) {
        INFO(ftype_info(f).name);
        const auto a = quantize_bytes(synth, ftype_options(f, 1));
        CHECK(quantize_bytes(synth, ftype_options(f, 2)) == a);
        ModelQuantizeOptions o = ftype_options(f, 3);
        o.chunk_values = 256 * 131;  // 131-row chunks: three uneven thread ranges
        CHECK(quantize_bytes(synth, o) == a);
    }
}

TEST_CASE("f16, bf16 and quantized inputs are converted through f32", "[quantize][convert]") {
    SynthLlama s;
    s.n_layer = 1;
    for (auto wt : {GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0}) {
        s.weight_type = wt;
        INFO(type_traits(wt).name);
        const auto in = make_llama_file(s);
        ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
        o.params.allow_requantize = true;
        const auto out = quantize_bytes(in, o);
        const GgufHeader a = parse_bytes(in);
        const GgufHeader b = parse_bytes(out);
        for (const char* name : {"blk.0.attn_q.weight", "output.weight", "blk.0.ffn_down.weight"}) {
            const auto& ti = a.tensor(name);
            const auto& to = b.tensor(name);
            const auto q = tensor_bytes(in, ti);
            const auto x = dequantize(type_traits(ti.type), q.data(), q.size(), size_t(ti.n_elements()));
            QuantizeOptions qo;
            qo.n_per_row = ti.ne[0];
            const auto want = quantize(type_traits(to.type), x.data(), x.size(), qo);
            CHECK(tensor_bytes(out, to) == want);
        }
    }
}
