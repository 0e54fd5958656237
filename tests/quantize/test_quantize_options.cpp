// llama-quantize's remaining options: --override-kv, --prune-layers,
// --include-weights / --exclude-weights, split models in (name-0000K-of-0000N)
// and out (--keep-split, and gguf-split's --split-max-size). Expected values
// follow llama.cpp's src/llama-quant.cpp, tools/quantize/quantize.cpp,
// tools/gguf-split/gguf-split.cpp and src/llama-model-loader.cpp; the same
// cases run against the prebuilt llama.cpp in scripts/compare-llama-quantize.sh.
#include <catch2/catch.hpp>
#include <map>

#include "gguf/gguf_split.h"
#include "quantize/imatrix.h"
#include "quantize/model_quantizer.h"
#include "quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

std::vector<std::string> keys_of(const std::vector<std::pair<std::string, GgufValue>>& kv) {
    std::vector<std::string> k;
    for (const auto& e : kv) k.push_back(e.first);
    return k;
}

// gguf-split's layout (by tensor count): the first part holds the metadata;
// every part gets split.no, split.count and split.tensors.count.
std::vector<std::vector<uint8_t>> split_file(const std::vector<uint8_t>& file, int n_parts) {
    const GgufHeader h = parse_bytes(file);
    const size_t per = (h.tensors.size() + size_t(n_parts) - 1) / size_t(n_parts);
    std::vector<std::vector<uint8_t>> parts;
    for (int k = 0; k < n_parts; ++k) {
        GgufWriter w;
        if (k == 0) {
            for (const auto& [key, v] : h.kv) w.set(key, v);
        }
        w.set(kSplitNoKey, GgufValue::u16(uint16_t(k)));
        w.set(kSplitCountKey, GgufValue::u16(uint16_t(n_parts)));
        w.set(kSplitTensorsCountKey, GgufValue::i32(int32_t(h.tensors.size())));
        std::vector<const GgufTensorInfo*> mine;
        for (size_t i = size_t(k) * per; i < h.tensors.size() && i < size_t(k + 1) * per; ++i) {
            mine.push_back(&h.tensors[i]);
            w.add_tensor(h.tensors[i].name, h.tensors[i].type, h.tensors[i].ne);
        }
        std::vector<uint8_t> out = w.header_bytes();
        for (size_t j = 0; j < mine.size(); ++j) {
            const auto t = tensor_bytes(file, *mine[j]);
            out.insert(out.end(), t.begin(), t.end());
            out.resize(out.size() + w.padding_after(j), 0);
        }
        parts.push_back(std::move(out));
    }
    return parts;
}

std::vector<GgufHeader> headers_of(const std::vector<std::vector<uint8_t>>& parts) {
    std::vector<GgufHeader> h;
    for (const auto& p : parts) h.push_back(parse_bytes(p));
    return h;
}

std::vector<uint64_t> sizes_of(const std::vector<std::vector<uint8_t>>& parts) {
    std::vector<uint64_t> s;
    for (const auto& p : parts) s.push_back(p.size());
    return s;
}

// The split model as one virtual file, read through locate_in_split.
ReadFn split_reader(const SplitModel& m, const std::vector<std::vector<uint8_t>>& parts) {
    return [&m, &parts](uint64_t off, size_t len, uint8_t* dst) {
        const SplitLocation at = locate_in_split(m, off);
        const auto& p = parts.at(at.part);
        REQUIRE(at.offset + len <= p.size());
        std::memcpy(dst, p.data() + at.offset, len);
    };
}

// A 3-layer synthetic llama, whole and as 3 parts, and the parts merged.
struct SplitSynth {
    std::vector<uint8_t> file;
    std::vector<std::vector<uint8_t>> parts;
    SplitModel model;
    SplitSynth() {
        SynthLlama s;
        s.n_layer = 3;
        file = make_llama_file(s);
        parts = split_file(file, 3);
        model = merge_split_headers(headers_of(parts), sizes_of(parts));
    }
    ReadFn reader() const { return split_reader(model, parts); }
};

// Quantizes into separate in-memory files, as quantize_model announces them.
std::vector<std::vector<uint8_t>> quantize_split(GgufHeader h, const ReadFn& read, const ModelQuantizeOptions& o,
                                                 ModelQuantizeResult* res = nullptr) {
    std::vector<std::vector<uint8_t>> files;
    size_t announced_n = 0;
    const auto next = [&](size_t file, size_t n) {
        CHECK(file == files.size());
        announced_n = n;
        files.emplace_back();
    };
    const WriteFn write = [&](const uint8_t* p, size_t len) {
        if (files.empty()) files.emplace_back();  // a single file is not announced
        files.back().insert(files.back().end(), p, p + len);
    };
    auto r = quantize_model(std::move(h), read, write, o, next);
    if (announced_n) CHECK(announced_n == files.size());
    if (res) *res = std::move(r);
    return files;
}

// Every tensor of a set of files by name: its type and bytes.
std::map<std::string, std::pair<GgmlType, std::vector<uint8_t>>> tensors_of(const std::vector<std::vector<uint8_t>>& files) {
    std::map<std::string, std::pair<GgmlType, std::vector<uint8_t>>> m;
    for (const auto& f : files) {
        for (const auto& t : parse_bytes(f).tensors) m[t.name] = {t.type, tensor_bytes(f, t)};
    }
    return m;
}

ImatrixData synthetic_imatrix(const GgufHeader& h) {
    ImatrixData im;
    uint32_t seed = 5;
    for (const auto& t : h.tensors) {
        if (t.ne.size() < 2) continue;
        auto w = random_floats(size_t(t.ne[0]), seed++, 1.0f);
        for (auto& v : w) v = 0.1f + v * v * 4.0f;
        im.entries[t.name] = w;
    }
    im.datasets = {"synthetic"};
    im.chunk_count = 3;
    return im;
}

}  // namespace

TEST_CASE("option --override-kv KEY=TYPE:VALUE parses like llama.cpp's string_parse_kv_override", "[quantize][options]") {
    const KvOverride i = parse_kv_override("llama.context_length=int:-77");
    CHECK(i.key == "llama.context_length");
    CHECK(i.kind == KvOverride::Kind::Int);
    CHECK(i.i == -77);
    // Written as llama-quant.cpp does: u32 of the absolute value.
    CHECK(i.value().type() == GgufType::UINT32);
    CHECK(i.value().as_u64() == 77);
    CHECK(parse_kv_override("a=int:12abc").i == 12);  // atol: the leading number
    CHECK(parse_kv_override("a=int:x").i == 0);
    const KvOverride f = parse_kv_override("x.scale=float:0.25");
    CHECK(f.value().type() == GgufType::FLOAT32);
    CHECK(f.value().as_f64() == 0.25);
    CHECK(parse_kv_override("x.flag=bool:true").value().as_bool());
    CHECK_FALSE(parse_kv_override("x.flag=bool:false").value().as_bool());
    const KvOverride s = parse_kv_override("general.name=str:a=b:c");
    CHECK(s.value().as_string() == "a=b:c");
    CHECK(parse_kv_override("k=str:").value().as_string().empty());
    CHECK(parse_kv_override("k=str:" + std::string(127, 'x')).s.size() == 127);

    for (const char* bad : {"no-equals", "=int:1", "k=long:1", "k=bool:yes", "k=bool:1", "k=int1", "general.alignment=int:64"}) {
        INFO(bad);
        CHECK_THROWS_MATCHES(parse_kv_override(bad), Error, Catch::Predicate<Error>([](const Error& e) {
                                 return e.code() == ErrorCode::InvalidArgument;
                             }));
    }
    CHECK_THROWS_AS(parse_kv_override("k=str:" + std::string(128, 'x')), Error);
    CHECK_THROWS_AS(parse_kv_override(std::string(128, 'k') + "=int:1"), Error);
    CHECK_NOTHROW(parse_kv_override(std::string(127, 'k') + "=int:1"));
}

TEST_CASE("option --override-kv: written after file_type in order, the last of a key wins, the loader reads int overrides",
          "[quantize][options]") {
    SynthLlama s;
    s.n_layer = 4;
    const GgufHeader h = make_llama_header(s);
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q2_K);
    o.params.kv_overrides = {parse_kv_override("general.name=str:renamed"), parse_kv_override("llama.context_length=int:4096"),
                             parse_kv_override("test.flag=bool:true"), parse_kv_override("general.name=str:again")};
    const QuantPlan p = plan_quantization(h, o.params);
    const auto files = build_output_headers(h, p, o);
    REQUIRE(files.size() == 1);
    const auto keys = keys_of(files[0].kv());
    const std::vector<std::string> tail(keys.end() - 5, keys.end());
    CHECK(tail == std::vector<std::string>{"general.quantization_version", "general.file_type", "llama.context_length",
                                           "test.flag", "general.name"});
    CHECK(files[0].find("general.name")->as_string() == "again");
    CHECK(files[0].find("llama.context_length")->type() == GgufType::UINT32);

    // head_count_kv read through an override changes the GQA rules: Q2_K's
    // attn_v is Q3_K without grouped-query attention, Q4_K from n_gqa 4 on.
    CHECK(types_of(p)[blk(0, "attn_v")] == "q3_K");
    QuantizeParams g = o.params;
    g.kv_overrides = {parse_kv_override("llama.attention.head_count_kv=int:2")};
    CHECK(types_of(plan_quantization(h, g))[blk(0, "attn_v")] == "q4_K");
    // An override of another kind is ignored by the loader (and still written).
    g.kv_overrides = {parse_kv_override("llama.attention.head_count_kv=str:2")};
    CHECK(types_of(plan_quantization(h, g))[blk(0, "attn_v")] == "q3_K");
    // The loader keeps the first override of a key.
    g.kv_overrides = {parse_kv_override("llama.attention.head_count_kv=int:2"),
                      parse_kv_override("llama.attention.head_count_kv=int:8")};
    CHECK(types_of(plan_quantization(h, g))[blk(0, "attn_v")] == "q4_K");
}

TEST_CASE("option --prune-layers parses like llama-quantize: sorted, unique, non-negative", "[quantize][options]") {
    CHECK(parse_prune_layers("5,3,3,0") == std::vector<int>{0, 3, 5});
    CHECK(parse_prune_layers("7") == std::vector<int>{7});
    CHECK(parse_prune_layers("2x") == std::vector<int>{2});  // std::stoi reads the leading number
    for (const char* bad : {"", "a", "-1", "1,,2", "1,", "99999999999"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_prune_layers(bad), Error);
    }
}

TEST_CASE("option --prune-layers drops layers, renumbers the rest, sets block_count, and the rules see the new layout",
          "[quantize][options]") {
    SynthLlama s;  // 8 layers, MHA
    const GgufHeader h = make_llama_header(s);
    QuantizeParams p;
    p.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    p.prune_layers = {0, 3, 5};
    const QuantPlan plan = plan_quantization(h, p);
    CHECK(plan.block_count == 5);
    CHECK(plan.pruned.size() == 27);  // 3 layers of 9 tensors
    CHECK(plan.tensors.size() == h.tensors.size() - 27);
    std::map<std::string, std::string> input_of;
    for (const auto& t : plan.tensors) input_of[t.name] = t.input_name;
    CHECK(input_of[blk(0, "attn_q")] == blk(1, "attn_q"));
    CHECK(input_of[blk(1, "attn_q")] == blk(2, "attn_q"));
    CHECK(input_of[blk(2, "ffn_down")] == blk(4, "ffn_down"));
    CHECK(input_of[blk(3, "ffn_up")] == blk(6, "ffn_up"));
    CHECK(input_of[blk(4, "attn_norm")] == blk(7, "attn_norm"));
    CHECK(input_of.count(blk(5, "attn_q")) == 0);
    CHECK(input_of["output.weight"] == "output.weight");

    // ffn_down: counter over written tensors against the model's 8 layers,
    // use_more_bits(i, 8) for i = 0..4 -> layers 0 and 3. attn_v: 5 of them
    // are written, use_more_bits(i, 5) -> i = 2 and 4.
    const auto ty = types_of(plan);
    const char* ffn_down[] = {"q6_K", "q4_K", "q4_K", "q6_K", "q4_K"};
    const char* attn_v[] = {"q4_K", "q4_K", "q6_K", "q4_K", "q6_K"};
    for (int l = 0; l < 5; ++l) {
        INFO("layer " << l);
        CHECK(ty.at(blk(l, "ffn_down")) == ffn_down[l]);
        CHECK(ty.at(blk(l, "attn_v")) == attn_v[l]);
    }

    // Layers past the end change nothing but the last one; block_count is
    // the next free layer number.
    p.prune_layers = {7, 100};
    const QuantPlan tail = plan_quantization(h, p);
    CHECK(tail.block_count == 7);
    CHECK(tail.pruned.size() == 9);

    // The header: block_count after the imatrix keys.
    ModelQuantizeOptions o;
    o.params = p;
    o.params.prune_layers = {0, 3, 5};
    const ImatrixData im = synthetic_imatrix(h);
    o.imatrix = &im;
    o.imatrix_file = "im.gguf";
    o.params.has_imatrix = true;
    const auto files = build_output_headers(h, plan_quantization(h, o.params), o);
    const auto keys = keys_of(files[0].kv());
    CHECK(keys.back() == "llama.block_count");
    CHECK(files[0].find("llama.block_count")->as_u64() == 5);
    CHECK(keys[keys.size() - 2] == "quantize.imatrix.chunks_count");
}

TEST_CASE("option --prune-layers: the imatrix is looked up by the original names", "[quantize][options]") {
    SynthLlama s;
    s.n_layer = 4;
    const auto file = make_llama_file(s);
    const GgufHeader h = parse_bytes(file);
    ImatrixData im = synthetic_imatrix(h);
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_IQ4_XS);
    o.imatrix = &im;
    o.params.prune_layers = {1};
    ModelQuantizeResult r;
    const auto pruned = quantize_bytes(file, o, &r);
    CHECK(r.imatrix_missing.empty());
    // blk.1 of the output is blk.2 of the input, quantized with blk.2's weights:
    // the same bytes as blk.2 in an unpruned run.
    o.params.prune_layers.clear();
    const auto full = quantize_bytes(file, o);
    const GgufHeader a = parse_bytes(pruned);
    const GgufHeader b = parse_bytes(full);
    CHECK(tensor_bytes(pruned, a.tensor(blk(1, "attn_q"))) == tensor_bytes(full, b.tensor(blk(2, "attn_q"))));
    CHECK(tensor_bytes(pruned, a.tensor(blk(2, "ffn_up"))) == tensor_bytes(full, b.tensor(blk(3, "ffn_up"))));
}

TEST_CASE("option --include-weights / --exclude-weights filter the imatrix by name", "[quantize][options]") {
    ImatrixData im;
    for (const char* n : {"blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.1.attn_q.weight", "output.weight"}) {
        im.entries[n] = {1.0f};
    }
    auto names = [](const ImatrixData& d) {
        std::vector<std::string> v;
        for (const auto& e : d.entries) v.push_back(e.first);
        return v;
    };
    CHECK(names(filter_imatrix(im, {"attn_"}, {})) == std::vector<std::string>{"blk.0.attn_q.weight", "blk.1.attn_q.weight"});
    CHECK(names(filter_imatrix(im, {"blk.1.", "output"}, {})) == std::vector<std::string>{"blk.1.attn_q.weight", "output.weight"});
    CHECK(names(filter_imatrix(im, {}, {"attn_", "output"})) == std::vector<std::string>{"blk.0.ffn_down.weight"});
    CHECK(filter_imatrix(im, {"nothing"}, {}).entries.empty());
    CHECK(filter_imatrix(im, {}, {}).entries.size() == 4);
    CHECK_THROWS_AS(filter_imatrix(im, {"a"}, {"b"}), Error);

    // In a quantization: excluded tensors are quantized as without an imatrix,
    // entries_count counts what is left, and nothing left means no imatrix at all.
    SynthLlama s;
    s.n_layer = 2;
    const auto file = make_llama_file(s);
    const GgufHeader h = parse_bytes(file);
    const ImatrixData full = synthetic_imatrix(h);
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const auto plain = quantize_bytes(file, o);
    o.imatrix = &full;
    o.imatrix_file = "im.gguf";
    o.imatrix_exclude = {"ffn_down"};
    ModelQuantizeResult r;
    const auto ex = quantize_bytes(file, o, &r);
    const GgufHeader a = parse_bytes(ex);
    const GgufHeader b = parse_bytes(plain);
    CHECK(tensor_bytes(ex, a.tensor(blk(0, "ffn_down"))) == tensor_bytes(plain, b.tensor(blk(0, "ffn_down"))));
    CHECK(tensor_bytes(ex, a.tensor(blk(0, "ffn_up"))) != tensor_bytes(plain, b.tensor(blk(0, "ffn_up"))));
    CHECK(a.get("quantize.imatrix.entries_count").as_u64() == full.entries.size() - 2);
    CHECK(r.imatrix_missing == std::vector<std::string>{blk(0, "ffn_down"), blk(1, "ffn_down")});

    o.imatrix_exclude.clear();
    o.imatrix_include = {"no-such-tensor"};
    const auto none = quantize_bytes(file, o);
    CHECK(none == plain);
    o.imatrix_exclude = {"x"};
    CHECK_THROWS_AS(quantize_bytes(file, o), Error);

    // A file type that needs an imatrix refuses one filtered down to other
    // tensors, naming the first tensor left without, before writing anything.
    ModelQuantizeOptions lo = ftype_options(LlamaFtype::MOSTLY_IQ2_XS);
    lo.imatrix = &full;
    lo.imatrix_include = {"ffn_"};
    std::vector<uint8_t> out;
    CHECK_THROWS_MATCHES(quantize_model(file.size(), memory_reader(file), memory_writer(out), lo), Error,
                         Catch::Predicate<Error>([](const Error& e) {
                             const std::string m = e.what();
                             return e.code() == ErrorCode::InvalidArgument &&
                                    m.find("missing importance matrix for tensor blk.0.attn_") != std::string::npos &&
                                    m.find("quantlab imatrix") != std::string::npos;
                         }));
    CHECK(out.empty());
}

TEST_CASE("split models: parts are checked and merged as llama.cpp's loader does", "[quantize][split]") {
    const SplitSynth x;
    const auto& file = x.file;
    const auto& parts = x.parts;
    const SplitModel& m = x.model;
    const GgufHeader whole = parse_bytes(file);
    REQUIRE(m.header.tensors.size() == whole.tensors.size());
    CHECK(m.header.kv.size() == whole.kv.size() + 3);
    CHECK(m.part_base == std::vector<uint64_t>{0, parts[0].size(), parts[0].size() + parts[1].size()});
    CHECK(m.total_size() == parts[0].size() + parts[1].size() + parts[2].size());
    for (const auto& t : m.header.tensors) {
        const SplitLocation at = locate_in_split(m, t.file_offset);
        CHECK(at.part == t.split);
        std::vector<uint8_t> got(size_t(t.size_bytes));
        std::memcpy(got.data(), parts[at.part].data() + at.offset, got.size());
        CHECK(got == tensor_bytes(file, whole.tensor(t.name)));
    }
    CHECK(m.header.tensors.back().split == 2);

    // Any order of the parts (a file picker's) gives the same model.
    std::vector<std::vector<uint8_t>> shuffled = {parts[2], parts[0], parts[1]};
    const SplitModel m2 = merge_split_headers(headers_of(shuffled), sizes_of(shuffled));
    CHECK(m2.part_base == m.part_base);
    CHECK(m2.part_source == std::vector<size_t>{1, 2, 0});
    CHECK(m.part_source == std::vector<size_t>{0, 1, 2});
    CHECK(m2.header.tensors.front().file_offset == m.header.tensors.front().file_offset);

    auto fails = [](std::vector<std::vector<uint8_t>> p, const char* what) {
        INFO(what);
        try {
            merge_split_headers(headers_of(p), sizes_of(p));
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Format);
            CHECK_THAT(e.what(), Catch::Contains(what));
        }
    };
    fails({parts[0], parts[1]}, "split into 3 files");
    fails({parts[1], parts[2]}, "first part");
    fails({parts[0], parts[1], parts[1]}, "expected 2");
    fails({parts[0], parts[2], parts[2]}, "expected 1");
    fails({file, parts[1]}, "not part of a split model");

    // split.tensors.count must match, and the keys must have llama.cpp's types.
    GgufHeader h0 = parse_bytes(parts[0]);
    for (auto& kv : h0.kv) {
        if (kv.first == kSplitTensorsCountKey) kv.second = GgufValue::i32(5);
    }
    CHECK_THROWS_WITH(merge_split_headers({h0, parse_bytes(parts[1]), parse_bytes(parts[2])}, sizes_of(parts)),
                      Catch::Contains("tensors expected"));
    for (auto& kv : h0.kv) {
        if (kv.first == kSplitCountKey) kv.second = GgufValue::u32(3);
    }
    CHECK_THROWS_WITH(merge_split_headers({h0, parse_bytes(parts[1]), parse_bytes(parts[2])}, sizes_of(parts)),
                      Catch::Contains("u16"));

    CHECK(gguf_split_path("/m/model", 1, 4) == "/m/model-00002-of-00004.gguf");
    CHECK(gguf_split_prefix("/m/model-00002-of-00004.gguf", 1, 4) == std::optional<std::string>("/m/model"));
    CHECK_FALSE(gguf_split_prefix("/m/model-00002-of-00004.gguf", 0, 4));
    CHECK_FALSE(gguf_split_prefix("-00001-of-00001.gguf", 0, 1));
}

TEST_CASE("split models: quantizing the parts gives the single file's output", "[quantize][split]") {
    const SplitSynth x;
    const ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const auto got = quantize_split(x.model.header, x.reader(), o);
    REQUIRE(got.size() == 1);
    CHECK(got[0] == quantize_bytes(x.file, o));  // split.* keys are removed, like llama-quantize
}

TEST_CASE("option --keep-split: one output per input part, in file order, with llama-quantize's split keys", "[quantize][split]") {
    const SplitSynth x;
    const auto& file = x.file;
    const auto& parts = x.parts;
    const SplitModel& m = x.model;
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    o.params.keep_split = true;
    ModelQuantizeResult r;
    const auto files = quantize_split(m.header, x.reader(), o, &r);
    REQUIRE(files.size() == 3);
    CHECK(r.plan.n_output_files == 3);
    for (size_t k = 0; k < 3; ++k) {
        INFO("part " << k);
        const GgufHeader in = parse_bytes(parts[k]);
        const GgufHeader out = parse_bytes(files[k]);
        // The same tensors in the same (file) order.
        REQUIRE(out.tensors.size() == in.tensors.size());
        for (size_t i = 0; i < in.tensors.size(); ++i) CHECK(out.tensors[i].name == in.tensors[i].name);
        const auto keys = keys_of(out.kv);
        const std::vector<std::string> tail(keys.end() - 3, keys.end());
        CHECK(tail == std::vector<std::string>{kSplitNoKey, kSplitCountKey, kSplitTensorsCountKey});
        CHECK(out.get(kSplitNoKey).as_u64() == k);
        CHECK(out.get(kSplitCountKey).type() == GgufType::UINT16);
        CHECK(out.get(kSplitTensorsCountKey).as_i64() == int64_t(m.header.tensors.size()));
        if (k > 0) CHECK(keys.size() == 3);
    }
    // The tensors are those of the unsplit quantization whenever the rules'
    // counters see the same order; file order puts attn_q before attn_k, which
    // llama.cpp's name order does not, so compare with a --keep-split run of
    // the single file instead: same order, same bytes.
    ModelQuantizeResult single;
    const auto one = quantize_split(parse_bytes(file), memory_reader(file), o, &single);
    REQUIRE(one.size() == 1);
    CHECK(single.plan.split_output);
    CHECK(keys_of(parse_bytes(one[0]).kv).back() == "general.file_type");  // one part: no split keys
    CHECK(tensors_of(files) == tensors_of(one));

    // A part emptied by --prune-layers in the middle is refused (llama-quantize
    // crashes there): the second part holds blk.1.* and blk.2.attn_norm.
    o.params.prune_layers = {1, 2};
    CHECK_THROWS_WITH(plan_quantization(m.header, o.params), Catch::Contains("part 2 of 3"));
    o.params.prune_layers = {1};
    CHECK(plan_quantization(m.header, o.params).n_output_files == 3);
}

TEST_CASE("option --split-max-size: gguf-split's rule on the quantized tensors and its key order", "[quantize][split]") {
    SynthLlama s;
    s.n_layer = 3;
    const auto file = make_llama_file(s);
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q8_0);
    const auto single = quantize_bytes(file, o);
    o.params.split_max_size = 300000;
    ModelQuantizeResult r;
    const auto files = quantize_split(parse_bytes(file), memory_reader(file), o, &r);

    // Expected cut points: a new file when the padded sizes would exceed the limit.
    std::vector<size_t> expect_counts{0};
    uint64_t used = 0;
    for (const auto& t : parse_bytes(single).tensors) {
        const uint64_t padded = (t.size_bytes + 31) / 32 * 32;
        if (used + padded > o.params.split_max_size) {
            expect_counts.push_back(0);
            used = 0;
        }
        used += padded;
        ++expect_counts.back();
    }
    REQUIRE(expect_counts.size() > 2);
    REQUIRE(files.size() == expect_counts.size());
    for (size_t k = 0; k < files.size(); ++k) {
        INFO("part " << k);
        const GgufHeader h = parse_bytes(files[k]);
        CHECK(h.tensors.size() == expect_counts[k]);
        const auto keys = keys_of(h.kv);
        const std::vector<std::string> tail(keys.end() - 3, keys.end());
        CHECK(tail == std::vector<std::string>{kSplitNoKey, kSplitTensorsCountKey, kSplitCountKey});
        CHECK(h.get(kSplitCountKey).as_u64() == files.size());
        if (k > 0) CHECK(keys.size() == 3);
    }
    CHECK(tensors_of(files) == tensors_of({single}));
    // The parts read back as a split model give the same model again.
    const SplitModel back = merge_split_headers(headers_of(files), sizes_of(files));
    const auto again = quantize_split(back.header, split_reader(back, files), ftype_options(LlamaFtype::MOSTLY_Q8_0));
    CHECK(again.size() == 1);
    CHECK(tensors_of(again) == tensors_of({single}));

    // Everything in one part still gets split keys (and a -00001-of-00001 name).
    o.params.split_max_size = 1u << 30;
    const auto whole = quantize_split(parse_bytes(file), memory_reader(file), o);
    REQUIRE(whole.size() == 1);
    CHECK(parse_bytes(whole[0]).get(kSplitCountKey).as_u64() == 1);

    o.params.split_max_size = 1000;  // smaller than the first tensor
    CHECK_THROWS_AS(plan_quantization(parse_bytes(file), o.params), Error);
    o.params.split_max_size = 300000;
    o.params.keep_split = true;
    CHECK_THROWS_AS(plan_quantization(parse_bytes(file), o.params), Error);
    o.params.keep_split = false;
    CHECK_THROWS_AS(quantize_bytes(file, o), Error);  // no NextFileFn for a split output

    CHECK(parse_split_size("1000") == 1000);
    CHECK(parse_split_size("2M") == 2000000);
    CHECK(parse_split_size("3G") == 3000000000ull);
    for (const char* bad : {"", "0", "1.5G", "5K", "M", "-1M", "99999999999999G"}) {
        INFO(bad);
        CHECK_THROWS_AS(parse_split_size(bad), Error);
    }
    CHECK(output_split_paths("/o/model.gguf", 2) ==
          std::vector<std::string>{"/o/model-00001-of-00002.gguf", "/o/model-00002-of-00002.gguf"});
    CHECK(output_split_paths("/o/model", 1) == std::vector<std::string>{"/o/model-00001-of-00001.gguf"});
}

TEST_CASE("native split files: read from the first part, written as parts, nothing left on failure", "[quantize][split][file]") {
    const SplitSynth x;
    const auto& file = x.file;
    const auto& parts = x.parts;
    const std::string prefix = temp_path("split-in");
    std::vector<std::string> in_paths;
    for (int k = 0; k < 3; ++k) {
        in_paths.push_back(gguf_split_path(prefix, k, 3));
        write_file(in_paths.back(), parts[size_t(k)]);
    }
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const std::string out = temp_path("single");
    quantize_model_file(in_paths[0], out, o);
    CHECK(read_bytes(out) == quantize_bytes(file, o));
    std::remove(out.c_str());

    try {
        quantize_model_file(in_paths[1], out, o);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Format);
        CHECK_THAT(e.what(), Catch::Contains("part 2 of 3"));
    }

    o.params.keep_split = true;
    const std::string out_split = temp_path("kept");
    quantize_model_file(in_paths[0], out_split, o);
    const auto out_paths = output_split_paths(out_split, 3);
    std::vector<std::vector<uint8_t>> written;
    for (const auto& p : out_paths) {
        CHECK(exists(p));
        CHECK_FALSE(exists(p + ".partial"));
        written.push_back(read_bytes(p));
    }
    CHECK_FALSE(exists(out_split));
    CHECK(written == quantize_split(x.model.header, x.reader(), o));

    // Cancelled in the second part: no part and no .partial remains.
    for (const auto& p : out_paths) std::remove(p.c_str());
    o.progress = [](const QuantizeProgress& p) { return p.tensor_index < 20; };
    CHECK_THROWS_AS(quantize_model_file(in_paths[0], out_split, o), Error);
    for (const auto& p : out_paths) {
        CHECK_FALSE(exists(p));
        CHECK_FALSE(exists(p + ".partial"));
    }
    // The output must not overwrite an input part.
    o.progress = nullptr;
    o.params.keep_split = false;
    CHECK_THROWS_AS(quantize_model_file(in_paths[0], in_paths[2], o), Error);
    CHECK(read_bytes(in_paths[2]) == parts[2]);
    for (const auto& p : in_paths) std::remove(p.c_str());
}
