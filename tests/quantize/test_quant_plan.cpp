// The per-tensor type choice against tables derived by hand from llama.cpp's
// src/llama-quant.cpp (llama_tensor_get_type_impl and tensor_type_fallback,
// 2026-08 version) for synthetic llama headers.
#include <array>
#include <catch2/catch.hpp>
#include <map>

#include "quantize/quant_plan.h"
#include "quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

QuantPlan plan(const SynthLlama& s, LlamaFtype f, QuantizeParams p = {}) {
    p.ftype = f;
    return plan_quantization(make_llama_header(s), p);
}

// One ftype's expected mix on the 8-layer model: layer-dependent attn_v and
// ffn_down, one type for attn_q / attn_k / ffn_gate / ffn_up ("rest").
struct Mix {
    LlamaFtype ftype;
    const char* token_embd;
    const char* output;
    const char* rest;
    const char* attn_output;
    std::array<const char*, 8> attn_v;
    std::array<const char*, 8> ffn_down;
};

// use_more_bits(i, 8) holds for i in {0, 3, 6, 7}: i < 8/8, i >= 7*8/8, (i - 1) % 3 == 2.
// Output: Q6_K unless the base type is Q8_0; no k-quant rule touches attn_q/attn_k
// for these ftypes; Q3_K_M's ffn_down uses Q5_K only below n_layer/16 = 0 layers.
const Mix kMixes[] = {
    {LlamaFtype::MOSTLY_Q4_0, "q4_0", "q6_K", "q4_0", "q4_0",
     {"q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0"},
     {"q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q4_0"}},
    {LlamaFtype::MOSTLY_Q4_1, "q4_1", "q6_K", "q4_1", "q4_1",
     {"q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1"},
     {"q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1", "q4_1"}},
    {LlamaFtype::MOSTLY_Q5_0, "q5_0", "q6_K", "q5_0", "q5_0",
     {"q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0"},
     {"q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0", "q5_0"}},
    {LlamaFtype::MOSTLY_Q5_1, "q5_1", "q6_K", "q5_1", "q5_1",
     {"q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1"},
     {"q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1", "q5_1"}},
    {LlamaFtype::MOSTLY_Q8_0, "q8_0", "q8_0", "q8_0", "q8_0",
     {"q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0"},
     {"q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0"}},
    {LlamaFtype::MOSTLY_Q2_K, "q2_K", "q6_K", "q2_K", "q3_K",
     {"q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K"},
     {"q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K"}},
    {LlamaFtype::MOSTLY_Q3_K_S, "q3_K", "q6_K", "q3_K", "q3_K",
     {"q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K"},
     {"q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K", "q3_K"}},
    {LlamaFtype::MOSTLY_Q3_K_M, "q3_K", "q6_K", "q3_K", "q4_K",
     {"q5_K", "q5_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K"},
     {"q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K"}},
    {LlamaFtype::MOSTLY_Q3_K_L, "q3_K", "q6_K", "q3_K", "q5_K",
     {"q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K"},
     {"q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K"}},
    {LlamaFtype::MOSTLY_Q4_K_S, "q4_K", "q6_K", "q4_K", "q4_K",
     {"q5_K", "q5_K", "q5_K", "q5_K", "q4_K", "q4_K", "q4_K", "q4_K"},
     {"q5_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K", "q4_K"}},
    {LlamaFtype::MOSTLY_Q4_K_M, "q4_K", "q6_K", "q4_K", "q4_K",
     {"q6_K", "q4_K", "q4_K", "q6_K", "q4_K", "q4_K", "q6_K", "q6_K"},
     {"q6_K", "q4_K", "q4_K", "q6_K", "q4_K", "q4_K", "q6_K", "q6_K"}},
    {LlamaFtype::MOSTLY_Q5_K_S, "q5_K", "q6_K", "q5_K", "q5_K",
     {"q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K"},
     {"q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K", "q5_K"}},
    {LlamaFtype::MOSTLY_Q5_K_M, "q5_K", "q6_K", "q5_K", "q5_K",
     {"q6_K", "q5_K", "q5_K", "q6_K", "q5_K", "q5_K", "q6_K", "q6_K"},
     {"q6_K", "q5_K", "q5_K", "q6_K", "q5_K", "q5_K", "q6_K", "q6_K"}},
    {LlamaFtype::MOSTLY_Q6_K, "q6_K", "q6_K", "q6_K", "q6_K",
     {"q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K"},
     {"q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K", "q6_K"}},
    // IQ4_*: ffn_down of the first n_layer/8 layers gets Q5_K when there is no imatrix.
    {LlamaFtype::MOSTLY_IQ4_NL, "iq4_nl", "q6_K", "iq4_nl", "iq4_nl",
     {"iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl"},
     {"q5_K", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl"}},
    {LlamaFtype::MOSTLY_IQ4_XS, "iq4_xs", "q6_K", "iq4_xs", "iq4_xs",
     {"iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs"},
     {"q5_K", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs", "iq4_xs"}},
    // Non-quantized ftypes bypass every mixture rule.
    {LlamaFtype::MOSTLY_F16, "f16", "f16", "f16", "f16",
     {"f16", "f16", "f16", "f16", "f16", "f16", "f16", "f16"},
     {"f16", "f16", "f16", "f16", "f16", "f16", "f16", "f16"}},
    {LlamaFtype::MOSTLY_BF16, "bf16", "bf16", "bf16", "bf16",
     {"bf16", "bf16", "bf16", "bf16", "bf16", "bf16", "bf16", "bf16"},
     {"bf16", "bf16", "bf16", "bf16", "bf16", "bf16", "bf16", "bf16"}},
    {LlamaFtype::ALL_F32, "f32", "f32", "f32", "f32",
     {"f32", "f32", "f32", "f32", "f32", "f32", "f32", "f32"},
     {"f32", "f32", "f32", "f32", "f32", "f32", "f32", "f32"}},
};

void check_mix(const Mix& mx, const std::map<std::string, std::string>& got) {
    INFO(ftype_info(mx.ftype).name);
    CHECK(got.at("token_embd.weight") == mx.token_embd);
    CHECK(got.at("output.weight") == mx.output);
    CHECK(got.at("output_norm.weight") == "f32");
    for (int l = 0; l < 8; ++l) {
        INFO("layer " << l);
        CHECK(got.at(blk(l, "attn_norm")) == "f32");
        CHECK(got.at(blk(l, "ffn_norm")) == "f32");
        for (const char* w : {"attn_q", "attn_k", "ffn_gate", "ffn_up"}) CHECK(got.at(blk(l, w)) == mx.rest);
        CHECK(got.at(blk(l, "attn_output")) == mx.attn_output);
        CHECK(got.at(blk(l, "attn_v")) == mx.attn_v[size_t(l)]);
        CHECK(got.at(blk(l, "ffn_down")) == mx.ffn_down[size_t(l)]);
    }
}

}  // namespace

TEST_CASE("every ftype's mix on a dense 8-layer llama with 256-wide rows", "[quantize][plan]") {
    const SynthLlama s;  // n_embd 256, n_ff 768, 8 layers, no GQA
    for (const auto& mx : kMixes) {
        const QuantPlan p = plan(s, mx.ftype);
        check_mix(mx, types_of(p));
        CHECK(p.n_fallback == 0);
        CHECK(p.tensors.size() == 1 + 8 * 9 + 2);
    }
}

TEST_CASE("Q2_K_S needs an importance matrix and uses Q4_K for the first ffn_down", "[quantize][plan]") {
    const SynthLlama s;
    try {
        plan(s, LlamaFtype::MOSTLY_Q2_K_S);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidArgument);
        CHECK_THAT(e.what(), Catch::Contains("requires an importance matrix"));
    }
    QuantizeParams dry;
    dry.dry_run = true;
    const QuantPlan d = plan(s, LlamaFtype::MOSTLY_Q2_K_S, dry);
    CHECK(d.needs_imatrix);
    REQUIRE(!d.warnings.empty());

    QuantizeParams p;
    p.has_imatrix = true;
    const auto got = types_of(plan(s, LlamaFtype::MOSTLY_Q2_K_S, p));
    const Mix mx{LlamaFtype::MOSTLY_Q2_K_S, "q2_K", "q6_K", "q2_K", "q2_K",
                 {"q2_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K"},
                 {"q4_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K", "q2_K"}};
    check_mix(mx, got);
}

TEST_CASE("an importance matrix changes the Q4_0 and IQ4 ffn_down rules", "[quantize][plan]") {
    const SynthLlama s;
    QuantizeParams p;
    p.has_imatrix = true;
    // Q4_0 with an imatrix guards the first n_layer/8 ffn_down with Q4_1.
    auto q40 = types_of(plan(s, LlamaFtype::MOSTLY_Q4_0, p));
    CHECK(q40.at(blk(0, "ffn_down")) == "q4_1");
    CHECK(q40.at(blk(1, "ffn_down")) == "q4_0");
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q5_0, p)).at(blk(0, "ffn_down")) == "q5_1");
    // IQ4_XS drops its Q5_K guard when an imatrix is present.
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_IQ4_XS, p)).at(blk(0, "ffn_down")) == "iq4_xs");
}

TEST_CASE("grouped-query attention (n_gqa 4) raises attn_v", "[quantize][plan]") {
    SynthLlama s;
    s.n_head_kv = 2;
    const auto q2 = types_of(plan(s, LlamaFtype::MOSTLY_Q2_K));
    const auto xs = types_of(plan(s, LlamaFtype::MOSTLY_IQ4_XS));
    const auto nl = types_of(plan(s, LlamaFtype::MOSTLY_IQ4_NL));
    const auto km = types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M));
    for (int l = 0; l < 8; ++l) {
        CHECK(q2.at(blk(l, "attn_v")) == "q4_K");
        CHECK(xs.at(blk(l, "attn_v")) == "q5_K");
        CHECK(nl.at(blk(l, "attn_v")) == "q5_K");
    }
    // Q4_K_M's attn_v rule does not look at GQA.
    CHECK(km.at(blk(1, "attn_v")) == "q4_K");
    CHECK(km.at(blk(0, "attn_v")) == "q6_K");
}

TEST_CASE("the 70B rule: 80 layers with GQA lift Q3_K/Q4_K attn_v to Q5_K", "[quantize][plan]") {
    SynthLlama s;
    s.n_layer = 80;
    s.n_head_kv = 1;
    const QuantPlan p = plan(s, LlamaFtype::MOSTLY_Q3_K_S);
    CHECK(p.model.is_70b);
    const auto got = types_of(p);
    CHECK(got.at(blk(0, "attn_v")) == "q5_K");
    CHECK(got.at(blk(79, "attn_v")) == "q5_K");
    CHECK(got.at(blk(5, "attn_q")) == "q3_K");
    // Without GQA the same depth is the 65B: no lift.
    s.n_head_kv = 8;
    const QuantPlan q = plan(s, LlamaFtype::MOSTLY_Q3_K_S);
    CHECK_FALSE(q.model.is_70b);
    CHECK(types_of(q).at(blk(0, "attn_v")) == "q3_K");
}

TEST_CASE("tensor order is llama.cpp's: non-layer tensors first, then by layer and name", "[quantize][plan]") {
    SynthLlama s;
    s.n_layer = 12;  // blk.10 must sort after blk.9, unlike a plain string sort
    const QuantPlan p = plan(s, LlamaFtype::MOSTLY_Q8_0);
    CHECK(p.tensors[0].name == "output.weight");
    CHECK(p.tensors[1].name == "output_norm.weight");
    CHECK(p.tensors[2].name == "token_embd.weight");
    CHECK(p.tensors[3].name == "blk.0.attn_k.weight");
    CHECK(p.tensors[4].name == "blk.0.attn_norm.weight");
    CHECK(p.tensors[11].name == "blk.0.ffn_up.weight");
    CHECK(p.tensors[12].name == "blk.1.attn_k.weight");
    CHECK(p.tensors[3 + 9 * 10].name == "blk.10.attn_k.weight");
    CHECK(llama_weight_order_less("blk.9.ffn_up.weight", "blk.10.attn_k.weight"));
    CHECK(llama_weight_order_less("token_embd.weight", "blk.0.attn_k.weight"));
}

TEST_CASE("option --pure quantizes every weight to the base type", "[quantize][plan]") {
    const SynthLlama s;
    QuantizeParams p;
    p.pure = true;
    for (auto f : {LlamaFtype::MOSTLY_Q4_K_M, LlamaFtype::MOSTLY_Q3_K_M, LlamaFtype::MOSTLY_IQ4_XS}) {
        const auto got = types_of(plan(s, f, p));
        const std::string base = type_traits(ftype_info(f).default_type).name;
        INFO(ftype_info(f).name);
        for (const auto& [name, type] : got) {
            if (name.find("norm") != std::string::npos) {
                CHECK(type == "f32");
            } else {
                CHECK(type == base);  // output and token_embd too
            }
        }
    }
}

TEST_CASE("option --tensor-type overrides: first match wins, reports what each matched", "[quantize][plan]") {
    const SynthLlama s;
    QuantizeParams p;
    p.tensor_types = {parse_tensor_type_override("blk\\.1\\.=q5_0"), parse_tensor_type_override("FFN_UP=Q8_0"),
                      parse_tensor_type_override("attn_norm=q8_0"), parse_tensor_type_override("no_such_tensor=q4_0")};
    CHECK(p.tensor_types[1].pattern == "ffn_up");  // lower-cased like llama-quantize
    const QuantPlan pl = plan(s, LlamaFtype::MOSTLY_Q4_K_M, p);
    const auto got = types_of(pl);
    CHECK(got.at(blk(1, "attn_q")) == "q5_0");
    CHECK(got.at(blk(1, "ffn_up")) == "q5_0");  // blk.1. came first
    CHECK(got.at(blk(2, "ffn_up")) == "q8_0");
    CHECK(got.at(blk(1, "attn_norm")) == "f32");  // norms are never quantized
    REQUIRE(pl.overrides.size() == 4);
    CHECK(pl.overrides[0].applied.size() == 7);  // blk.1's seven weights
    CHECK(pl.overrides[1].applied.size() == 7);  // ffn_up of the other layers
    CHECK(pl.overrides[2].applied.empty());
    CHECK(pl.overrides[2].not_quantizable.size() == 8);
    CHECK(pl.overrides[3].applied.empty());
    REQUIRE(pl.warnings.size() == 2);
    CHECK_THAT(pl.warnings[0], Catch::Contains("attn_norm=q8_0 matched no tensor that is quantized"));
    CHECK_THAT(pl.warnings[1], Catch::Contains("no_such_tensor=q4_0 matched no tensor"));
    CHECK_FALSE(pl.messages.empty());  // "applying manual override" lines
}

TEST_CASE("an overridden attn_v does not advance llama.cpp's attn_v counter", "[quantize][plan]") {
    // llama_tensor_get_type skips the mixture (and its i_attention_wv++) for
    // manual overrides, so layer 1 is judged as the first attn_v.
    QuantizeParams p;
    p.tensor_types = {parse_tensor_type_override("blk\\.0\\.attn_v=q8_0")};
    const auto got = types_of(plan(SynthLlama{}, LlamaFtype::MOSTLY_Q4_K_M, p));
    const std::array<const char*, 8> v{"q8_0", "q6_K", "q4_K", "q4_K", "q6_K", "q4_K", "q4_K", "q6_K"};
    for (int l = 0; l < 8; ++l) CHECK(got.at(blk(l, "attn_v")) == v[size_t(l)]);
}

TEST_CASE("option --tensor-type is ignored (and reported) for F16/BF16/F32 ftypes", "[quantize][plan]") {
    QuantizeParams p;
    p.tensor_types = {parse_tensor_type_override("ffn_up=q8_0")};
    const QuantPlan pl = plan(SynthLlama{}, LlamaFtype::MOSTLY_F16, p);
    CHECK(types_of(pl).at(blk(0, "ffn_up")) == "f16");
    REQUIRE(pl.warnings.size() == 1);
    CHECK_THAT(pl.warnings[0], Catch::Contains("ignored"));
}

TEST_CASE("malformed --tensor-type arguments", "[quantize][plan][errors]") {
    CHECK_THROWS_WITH(parse_tensor_type_override("ffn_up"), Catch::Contains("REGEX=TYPE"));
    CHECK_THROWS_WITH(parse_tensor_type_override("=q8_0"), Catch::Contains("missing the tensor name"));
    CHECK_THROWS_WITH(parse_tensor_type_override("ffn_up="), Catch::Contains("missing the type"));
    try {
        parse_tensor_type_override("ffn_up=q9_9");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::UnknownType);
    }
    QuantizeParams p;
    p.tensor_types = {{"ffn_(up", GgmlType::Q8_0}};
    CHECK_THROWS_WITH(plan(SynthLlama{}, LlamaFtype::MOSTLY_Q8_0, p), Catch::Contains("not a valid regex"));
    p.tensor_types = {{"ffn_up", GgmlType::Q8_K}};
    CHECK_THROWS_WITH(plan(SynthLlama{}, LlamaFtype::MOSTLY_Q8_0, p), Catch::Contains("activation format"));
}

TEST_CASE("token-embedding and output type options", "[quantize][plan]") {
    SynthLlama s;
    QuantizeParams p;
    p.token_embedding_type = GgmlType::Q8_0;
    p.output_tensor_type = GgmlType::F16;
    auto got = types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M, p));
    CHECK(got.at("token_embd.weight") == "q8_0");
    CHECK(got.at("output.weight") == "f16");
    CHECK(got.at(blk(0, "attn_q")) == "q4_K");
    // They win over --pure and over --tensor-type.
    p.pure = true;
    p.tensor_types = {parse_tensor_type_override("weight=q5_0")};
    got = types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M, p));
    CHECK(got.at("token_embd.weight") == "q8_0");
    CHECK(got.at("output.weight") == "f16");
    CHECK(got.at(blk(0, "attn_q")) == "q5_0");
    // --leave-output-tensor keeps output.weight as it is.
    QuantizeParams leave;
    leave.quantize_output_tensor = false;
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M, leave)).at("output.weight") == "f32");
}

TEST_CASE("tied embeddings: token_embd takes the output tensor's rules", "[quantize][plan]") {
    SynthLlama s;
    s.with_output = false;
    auto got = types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M));
    CHECK(got.count("output.weight") == 0);
    CHECK(got.at("token_embd.weight") == "q6_K");
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q8_0)).at("token_embd.weight") == "q8_0");
    // --output-tensor-type reaches a tied token_embd through the mixture...
    QuantizeParams p;
    p.output_tensor_type = GgmlType::Q5_K;
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M, p)).at("token_embd.weight") == "q5_K");
    // ...but --token-embedding-type is applied first.
    p.token_embedding_type = GgmlType::Q4_0;
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M, p)).at("token_embd.weight") == "q4_0");
}

TEST_CASE("fallbacks for rows of 64, 96 and 172 values", "[quantize][plan]") {
    // n_embd 96 (a multiple of 32, not of 256), n_ff 172 (not a multiple of 32).
    SynthLlama s;
    s.n_embd = 96;
    s.n_ff = 172;
    s.n_head = 8;
    s.n_head_kv = 8;
    struct Row {
        LlamaFtype f;
        const char* rest;        // attn_q (rows of 96)
        const char* attn_v0;     // layer 0 attn_v
        const char* attn_v1;     // layer 1 attn_v
        const char* attn_output;
        const char* token_embd;
        const char* output;
    };
    const Row rows[] = {
        // Q4_K -> Q5_0; Q6_K -> Q8_0; the output rule picks Q8_0 when the row does not fit.
        {LlamaFtype::MOSTLY_Q4_K_M, "q5_0", "q8_0", "q5_0", "q5_0", "q5_0", "q8_0"},
        {LlamaFtype::MOSTLY_Q4_K_S, "q5_0", "q5_1", "q5_1", "q5_0", "q5_0", "q8_0"},
        // Q2_K and Q3_K -> Q4_0 (the current table; older llama.cpp used IQ4_NL).
        {LlamaFtype::MOSTLY_Q2_K, "q4_0", "q4_0", "q4_0", "q4_0", "q4_0", "q8_0"},
        {LlamaFtype::MOSTLY_Q3_K_L, "q4_0", "q5_1", "q5_1", "q5_1", "q4_0", "q8_0"},
        {LlamaFtype::MOSTLY_Q5_K_M, "q5_1", "q8_0", "q5_1", "q5_1", "q5_1", "q8_0"},
        {LlamaFtype::MOSTLY_Q6_K, "q8_0", "q8_0", "q8_0", "q8_0", "q8_0", "q8_0"},
        {LlamaFtype::MOSTLY_IQ4_XS, "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "iq4_nl", "q8_0"},
    };
    for (const auto& r : rows) {
        INFO(ftype_info(r.f).name);
        const QuantPlan p = plan(s, r.f);
        const auto got = types_of(p);
        CHECK(got.at(blk(3, "attn_q")) == r.rest);
        CHECK(got.at(blk(0, "attn_v")) == r.attn_v0);
        CHECK(got.at(blk(1, "attn_v")) == r.attn_v1);
        CHECK(got.at(blk(2, "attn_output")) == r.attn_output);
        CHECK(got.at("token_embd.weight") == r.token_embd);
        CHECK(got.at("output.weight") == r.output);
        // ffn_down rows of 172 fit no 32-block type: every fallback ends in F16.
        for (int l = 0; l < 8; ++l) CHECK(got.at(blk(l, "ffn_down")) == "f16");
        CHECK(p.n_fallback > 0);
    }

    // Rows of 64 (stories260K's width) behave like 96.
    s.n_embd = 64;
    CHECK(types_of(plan(s, LlamaFtype::MOSTLY_Q4_K_M)).at(blk(0, "attn_q")) == "q5_0");

    // 32-block base types have no fallback at all: llama-quantize stops.
    for (auto f : {LlamaFtype::MOSTLY_Q8_0, LlamaFtype::MOSTLY_Q4_0, LlamaFtype::MOSTLY_Q5_1, LlamaFtype::MOSTLY_IQ4_NL}) {
        INFO(ftype_info(f).name);
        try {
            plan(s, f);
            FAIL("expected an error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::Unsupported);
            CHECK_THAT(e.what(), Catch::Contains("no tensor type fallback is defined for type " +
                                                 std::string(type_traits(ftype_info(f).default_type).name)));
            // IQ4_NL gives layer 0 (< n_layer/8) Q5_K, whose fallback chain ends in F16,
            // so it stops at layer 1; the others stop at layer 0.
            CHECK_THAT(e.what(), Catch::Contains(f == LlamaFtype::MOSTLY_IQ4_NL ? "blk.1.ffn_down.weight"
                                                                                : "blk.0.ffn_down.weight"));
        }
        // Forcing those rows to f16 is how the reference files were made.
        QuantizeParams p;
        p.tensor_types = {parse_tensor_type_override("ffn_down=f16")};
        const auto got = types_of(plan(s, f, p));
        CHECK(got.at(blk(0, "ffn_down")) == "f16");
        CHECK(got.at(blk(0, "attn_q")) == type_traits(ftype_info(f).default_type).name);
    }

    // An explicit type that does not fit the row is refused up front.
    QuantizeParams bad;
    bad.token_embedding_type = GgmlType::Q4_K;
    CHECK_THROWS_WITH(plan(s, LlamaFtype::MOSTLY_Q8_0, bad), Catch::Contains("not a multiple of q4_K's block size 256"));
}

TEST_CASE("requantizing needs --allow-requantize, f16 input does not", "[quantize][plan]") {
    SynthLlama s;
    s.weight_type = GgmlType::Q8_0;
    try {
        plan(s, LlamaFtype::MOSTLY_Q4_K_M);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::Unsupported);
        CHECK_THAT(e.what(), Catch::Contains("requantizing from type q8_0 is disabled"));
    }
    QuantizeParams p;
    p.allow_requantize = true;
    const QuantPlan ok = plan(s, LlamaFtype::MOSTLY_Q4_K_M, p);
    CHECK(ok.n_requantize == 1 + 8 * 7 + 1);
    // A tensor already in its target type is copied, not requantized.
    const QuantPlan same = plan(s, LlamaFtype::MOSTLY_Q8_0);
    CHECK(same.n_requantize == 0);
    for (const auto& t : same.tensors) CHECK_FALSE(t.convert);
    QuantizeParams dry;
    dry.dry_run = true;
    CHECK_FALSE(plan(s, LlamaFtype::MOSTLY_Q4_K_M, dry).warnings.empty());

    s.weight_type = GgmlType::F16;
    CHECK(plan(s, LlamaFtype::MOSTLY_Q4_K_M).n_requantize == 0);
}

TEST_CASE("plan sizes and bits per weight", "[quantize][plan]") {
    const SynthLlama s;
    const QuantPlan p = plan(s, LlamaFtype::MOSTLY_Q8_0);
    uint64_t elems = 0;
    for (const auto& t : p.tensors) {
        int64_t n = 1;
        for (auto d : t.ne) n *= d;
        elems += uint64_t(n);
        if (t.convert) CHECK(t.new_bytes == uint64_t(n) / 32 * 34);
    }
    CHECK(p.n_elements == elems);
    CHECK(p.old_bpw() == Approx(32.0));
    CHECK(p.new_bpw() > 8.5);  // norms stay f32
    CHECK(p.new_bpw() < 8.6);
}

TEST_CASE("unsupported architectures and missing hyperparameters", "[quantize][plan][errors]") {
    SynthLlama s;
    s.arch = "gpt2";
    try {
        plan(s, LlamaFtype::MOSTLY_Q8_0);
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::UnsupportedArchitecture);
        CHECK_THAT(e.what(), Catch::Contains("architecture 'gpt2'"));
    }
    GgufWriter w;
    w.set("general.architecture", GgufValue::string("llama"));
    w.add_tensor("token_embd.weight", GgmlType::F32, {32, 4});
    const auto hb = w.header_bytes();
    const auto h = parse_gguf_header(hb.data(), hb.size(), w.file_size()).header;
    CHECK_THROWS_WITH(plan_quantization(h, {}), Catch::Contains("llama.block_count"));
}
