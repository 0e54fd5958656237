// Native and WebAssembly builds must compute the same logits bit for bit:
// the native x86 kernels replace SIMD128 ones only where they are
// bit-identical, and everything else is the same C++. This test runs in both
// builds (natively at every x86 kernel level and without them, through
// ctest) against one fingerprint of the logits per model, with 1, 2, 3 and
// 4 threads, so any difference between targets or thread counts fails
// somewhere. The synth512 models (../shared/bench) have 512-wide rows
// and 64-wide heads, so they reach the K-quant kernels and the attention
// kernels that the 64-wide reference model does not.
#include <catch2/catch.hpp>

#include "model/llama_context.h"
#include "support/reference_model.h"
#include "support/test_support.h"

using namespace quantlab;
using namespace quantlab::test;

namespace {

// A batch of `batch` tokens (every row's logits), then 3 single tokens.
uint64_t logits_fingerprint(const std::shared_ptr<const LlamaModel>& model, int threads, int batch) {
    ContextOptions co;
    co.n_ctx = batch + 20;
    co.n_batch = batch;
    co.variant = KernelVariant::Simd128;
    co.threads = threads;
    LlamaContext ctx(model, co);
    const int64_t V = ctx.n_vocab();
    std::vector<int32_t> ids;
    for (int i = 0; i < batch; ++i) ids.push_back(int32_t((i * 37 + 11) % V));
    uint64_t h = kFnvOffset;
    const auto& all = ctx.decode(ids.data(), int64_t(ids.size()), true);
    h = fnv1a_floats(all.data(), all.size(), h);
    for (int i = 0; i < 3; ++i) {
        const int32_t id = int32_t((i * 101 + 7) % V);
        const auto& row = ctx.decode(&id, 1, false);
        h = fnv1a_floats(row.data(), row.size(), h);
    }
    return h;
}

struct FingerprintCase {
    std::string path;
    uint64_t want;
};

// Each model's fingerprint with a `batch`-token first batch, at 1, 2, 3 and 4
// threads where the build has threads.
void check_fingerprints(const std::vector<FingerprintCase>& cases, int batch) {
    const std::vector<int> thread_counts = threads_supported() ? std::vector<int>{1, 2, 3, 4} : std::vector<int>{1};
    for (const auto& c : cases) {
        const auto model = LlamaModel::load_file(c.path);
        for (int threads : thread_counts) {
            const uint64_t got = logits_fingerprint(model, threads, batch);
            INFO(c.path << ", " << threads << " threads, batch " << batch << ": fingerprint 0x" << std::hex << got);
            CHECK(got == c.want);
        }
    }
}

}  // namespace

TEST_CASE("logits are bit-identical on every target (native SIMD128, native x86, wasm) and thread count",
          "[engine][targets][threads]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: the reference kernels compute other (equally valid) roundings");
        return;
    }
    // Taken natively with the AVX-512 kernels; the same with them off and in
    // wasm under Node when the test was written (2026-11-27). The F32 and
    // Q4_K_M values changed on 2026-12-05 when softmax and SiLU moved from
    // libm's expf to the engine's own exp (model/exp_kernels.h), taken the
    // same way and equal at every level and in wasm.
    // A 12-token batch splits unevenly over 3 threads; the 512-wide models'
    // matrices split into row slices of 12-row multiples plus a remainder.
    check_fingerprints({
        {reference_path("stories260K-f32.gguf"), 0x8406a68cb8243746ull},
        {reference_path("stories260K-q8_0.gguf"), 0x0a6c6073809d2e14ull},
        {reference_path("stories260K-q4_k_m.gguf"), 0x1e2ad0e696b7082eull},
        {reference_path("stories260K-iq4_nl.gguf"), 0xde562543f9d4c257ull},
        {shared_dir() + "/bench/models/synth512-q8_0.gguf", 0xd329aaaccb2ce691ull},
        {shared_dir() + "/bench/models/synth512-q4_0.gguf", 0x08b35b01fe3bdef1ull},
        {shared_dir() + "/bench/models/synth512-q4_k_m.gguf", 0x478640907445993full},
    }, 12);
}

TEST_CASE("batched f32 attention gives bit-identical logits on every target and thread count",
          "[engine][targets][threads][attention]") {
    if (!simd128_compiled()) {
        SUCCEED("scalar-only build: the reference kernels compute other (equally valid) roundings");
        return;
    }
    // A 66-token batch with 64-wide heads takes llama.cpp's tiled-path
    // semantics (f32 q, scores and value accumulator; LlamaContext's
    // batched_attention_f32), then single tokens the one-chunk ones. Taken
    // natively with the AVX-512 kernels on 2026-12-05; the same with AVX2,
    // with the x86 kernels off and in wasm under Node. With q no longer
    // rounded to f16, the last bit of RoPE's sin/cos reaches the logits: libm's
    // sinf differed between glibc and Emscripten's musl (Q4_K_M's fingerprint
    // differed), so RoPE has its own sin/cos (model/sincos.h).
    check_fingerprints({
        {shared_dir() + "/bench/models/synth512-q8_0.gguf", 0x1f2f732a213cd077ull},
        {shared_dir() + "/bench/models/synth512-q4_k_m.gguf", 0x8d5a7c80fafbcd9bull},
    }, 66);
}
