// llama-imatrix files (legacy .dat and GGUF) and their use by the quantizer.
#include <catch2/catch.hpp>
#include <cmath>

#include "formats/quantize.h"
#include "quantize/imatrix.h"
#include "quantize/model_quantizer.h"
#include "quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

struct LegacyEntry {
    std::string name;
    int32_t ncall;
    std::vector<float> values;  // as stored: mean * ncall
};

template <class T>
void put(std::vector<uint8_t>& out, T v) {
    const size_t at = out.size();
    out.resize(at + sizeof v);
    std::memcpy(out.data() + at, &v, sizeof v);
}

std::vector<uint8_t> legacy_file(const std::vector<LegacyEntry>& entries, bool trailer) {
    std::vector<uint8_t> out;
    put<int32_t>(out, int32_t(entries.size()));
    for (const auto& e : entries) {
        put<int32_t>(out, int32_t(e.name.size()));
        out.insert(out.end(), e.name.begin(), e.name.end());
        put<int32_t>(out, e.ncall);
        put<int32_t>(out, int32_t(e.values.size()));
        for (float v : e.values) put<float>(out, v);
    }
    if (trailer) {
        put<int32_t>(out, 42);  // last call
        const std::string ds = "wiki.train.raw";
        put<int32_t>(out, int32_t(ds.size()));
        out.insert(out.end(), ds.begin(), ds.end());
    }
    return out;
}

struct GgufEntry {
    std::string name;
    int64_t ne0;
    std::vector<float> sums;    // ne0 * counts.size()
    std::vector<float> counts;  // one per matrix
    int64_t sums_nmat = -1;     // >= 0: give in_sum2 this many matrices instead
};

std::vector<uint8_t> gguf_file(const std::vector<GgufEntry>& entries, bool with_keys = true) {
    GgufWriter w;
    w.set("general.type", GgufValue::string("imatrix"));
    if (with_keys) {
        w.set("imatrix.datasets", GgufValue::string_array({"calibration.txt", "other.txt"}));
        w.set("imatrix.chunk_count", GgufValue::u32(17));
        w.set("imatrix.chunk_size", GgufValue::u32(512));
    }
    std::vector<const std::vector<float>*> data;
    for (const auto& e : entries) {
        const int64_t nmat = int64_t(e.counts.size());
        w.add_tensor(e.name + ".in_sum2", GgmlType::F32, {e.ne0, e.sums_nmat >= 0 ? e.sums_nmat : nmat});
        data.push_back(&e.sums);
        w.add_tensor(e.name + ".counts", GgmlType::F32, {1, nmat});
        data.push_back(&e.counts);
    }
    std::vector<uint8_t> out = w.header_bytes();
    for (size_t i = 0; i < data.size(); ++i) {
        for (float v : *data[i]) put<float>(out, v);
        out.resize(out.size() + w.padding_after(i), 0);
    }
    return out;
}

std::string imatrix_format_error(const std::vector<uint8_t>& f) {
    try {
        parse_imatrix(f.data(), f.size());
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Format);
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("legacy .dat imatrix: values divided by the call count, optional trailer", "[quantize][imatrix]") {
    const auto f = legacy_file({{"blk.0.attn_q.weight", 4, {4.0f, 8.0f, 2.0f}}, {"output.weight", 0, {1.5f, 2.5f}}}, true);
    const ImatrixData d = parse_imatrix(f.data(), f.size());
    CHECK(d.legacy);
    REQUIRE(d.entries.size() == 2);
    CHECK(*d.find("blk.0.attn_q.weight") == std::vector<float>{1.0f, 2.0f, 0.5f});
    CHECK(*d.find("output.weight") == std::vector<float>{1.5f, 2.5f});  // ncall 0: as stored
    CHECK(d.chunk_count == 42);
    REQUIRE(d.datasets.size() == 1);
    CHECK(d.datasets[0] == "wiki.train.raw");
    CHECK(d.find("nope") == nullptr);

    const auto g = legacy_file({{"a.weight", 1, {3.0f}}}, false);
    const ImatrixData e = parse_imatrix(g.data(), g.size());
    CHECK(e.chunk_count == 0);
    CHECK(e.datasets.empty());
}

TEST_CASE("GGUF imatrix: in_sum2 / counts, neutral weights for unseen matrices", "[quantize][imatrix]") {
    const auto f = gguf_file({{"blk.0.attn_q.weight", 4, {2, 4, 6, 8}, {2}},
                              {"blk.0.ffn_up_exps.weight", 2, {3, 6, 5, 5}, {3, 0}}});
    const ImatrixData d = parse_imatrix(f.data(), f.size());
    CHECK_FALSE(d.legacy);
    CHECK(*d.find("blk.0.attn_q.weight") == std::vector<float>{1, 2, 3, 4});
    CHECK(*d.find("blk.0.ffn_up_exps.weight") == std::vector<float>{1, 2, 1, 1});
    CHECK(d.chunk_count == 17);
    CHECK(d.datasets == std::vector<std::string>{"calibration.txt", "other.txt"});
}

TEST_CASE("malformed imatrix files", "[quantize][imatrix][errors]") {
    CHECK_THAT(imatrix_format_error({1, 2}), Catch::Contains("too short"));
    CHECK_THAT(imatrix_format_error(legacy_file({}, false)), Catch::Contains("no entries"));
    auto f = legacy_file({{"a.weight", 1, {1.0f, 2.0f}}}, false);
    f.resize(f.size() - 3);
    CHECK_THAT(imatrix_format_error(f), Catch::Contains("'a.weight'"));
    f.resize(6);
    CHECK_THAT(imatrix_format_error(f), Catch::Contains("ends inside an entry name length"));
    CHECK_THAT(imatrix_format_error(legacy_file({{"a.weight", 1, {std::nanf("")}}}, false)), Catch::Contains("non-finite"));
    CHECK_THAT(imatrix_format_error(gguf_file({{"a.weight", 2, {1, 2}, {1}}}, false)), Catch::Contains("imatrix.datasets"));
    CHECK_THAT(imatrix_format_error(gguf_file({{"a.weight", 2, {1, 2, 3, 4}, {1, 1, 1}, 2}})), Catch::Contains("counts"));
    CHECK_THAT(imatrix_format_error(gguf_file({})), Catch::Contains("no <name>.in_sum2"));
    // Negative weights are refused here, before a quantization writes its
    // header: fuzz_imatrix found them stopping the session mid-file.
    CHECK_THAT(imatrix_format_error(legacy_file({{"a.weight", 1, {1.0f, -2.0f}}}, false)), Catch::Contains("negative weight"));
    CHECK_THAT(imatrix_format_error(gguf_file({{"a.weight", 2, {1, -2}, {1}}})), Catch::Contains("negative weight"));
}

TEST_CASE("quantizing with an imatrix: weighted kernels, metadata, missing entries", "[quantize][imatrix]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    const GgufHeader src = parse_bytes(in);
    ImatrixData im;
    im.datasets = {"tiny.txt"};
    im.chunk_count = 9;
    uint32_t seed = 7;
    for (const auto& t : src.tensors) {
        if (t.ne.size() < 2 || t.name.find("blk.4.") == 0) continue;  // leave layer 4 out
        auto w = random_floats(size_t(t.ne[0]), seed++, 1.0f);
        for (auto& v : w) v = v * v + 0.01f;
        im.entries[t.name] = w;
    }
    ModelQuantizeOptions o;
    o.params.ftype = LlamaFtype::MOSTLY_Q4_0;
    o.params.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
    o.imatrix = &im;
    o.imatrix_file = "stories.imatrix";
    ModelQuantizeResult r;
    const auto out = quantize_bytes(in, o, &r);
    const GgufHeader h = parse_bytes(out);

    // The tensor bytes are the weighted quantization of the input.
    for (const char* name : {"blk.0.attn_q.weight", "blk.3.ffn_up.weight", "token_embd.weight"}) {
        INFO(name);
        const auto& ti = src.tensor(name);
        const auto x = tensor_bytes(in, ti);
        std::vector<float> xf(x.size() / 4);
        std::memcpy(xf.data(), x.data(), x.size());
        QuantizeOptions qo;
        qo.n_per_row = ti.ne[0];
        qo.imatrix = im.find(name)->data();
        qo.imatrix_len = size_t(ti.ne[0]);
        const auto& to = h.tensor(name);
        CHECK(tensor_bytes(out, to) == quantize(type_traits(to.type), xf.data(), xf.size(), qo));
        qo.imatrix = nullptr;
        qo.imatrix_len = 0;
        CHECK(tensor_bytes(out, to) != quantize(type_traits(to.type), xf.data(), xf.size(), qo));
    }

    // llama-quantize's quantize.imatrix.* keys follow general.file_type.
    const size_t n = h.kv.size();
    REQUIRE(n >= 6);
    CHECK(h.kv[n - 5].first == "general.file_type");
    CHECK(h.kv[n - 4].first == "quantize.imatrix.file");
    CHECK(h.kv[n - 4].second.as_string() == "stories.imatrix");
    CHECK(h.kv[n - 3].first == "quantize.imatrix.dataset");
    CHECK(h.kv[n - 3].second.as_string() == "tiny.txt");
    CHECK(h.kv[n - 2].first == "quantize.imatrix.entries_count");
    CHECK(h.kv[n - 2].second.type() == GgufType::UINT32);
    CHECK(h.kv[n - 2].second.as_u64() == im.entries.size());
    CHECK(h.kv[n - 1].first == "quantize.imatrix.chunks_count");
    CHECK(h.kv[n - 1].second.as_u64() == 9);

    // Layer 4 had no entries: reported, quantized without weights. ffn_down is
    // copied-as-f16 conversion too, so it is listed as well.
    CHECK(r.imatrix_missing.size() == 7);
    CHECK(r.imatrix_missing.front().find("blk.4.") == 0);

    // An entry of the wrong width is an error, except for the token embedding.
    ImatrixData bad = im;
    bad.entries["blk.1.attn_k.weight"].push_back(1.0f);
    o.imatrix = &bad;
    std::vector<uint8_t> sink;
    try {
        quantize_model(in.size(), memory_reader(in), memory_writer(sink), o);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Format);
        CHECK_THAT(e.what(), Catch::Contains("blk.1.attn_k.weight"));
    }
    CHECK(sink.empty());  // caught before the header was written
    bad = im;
    bad.entries["token_embd.weight"].push_back(1.0f);
    o.imatrix = &bad;
    CHECK_NOTHROW(quantize_bytes(in, o));
}

TEST_CASE("imatrix files round-trip through read_imatrix_file", "[quantize][imatrix]") {
    const auto f = legacy_file({{"blk.0.attn_q.weight", 2, {2.0f, 4.0f}}}, true);
    const std::string path = std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/quantlab-imatrix-test.dat";
    {
        std::FILE* fp = std::fopen(path.c_str(), "wb");
        REQUIRE(fp != nullptr);
        std::fwrite(f.data(), 1, f.size(), fp);
        std::fclose(fp);
    }
    const ImatrixData d = read_imatrix_file(path);
    CHECK(*d.find("blk.0.attn_q.weight") == std::vector<float>{1.0f, 2.0f});
    std::remove(path.c_str());
    CHECK_THROWS_AS(read_imatrix_file(path), Error);
}
