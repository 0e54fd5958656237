// libFuzzer target for the importance-matrix readers (llama-imatrix's legacy
// .dat layout and its GGUF layout, chosen by the magic) and for their use: an
// imatrix that parses is handed to a quantization session of a fixed tiny
// model, which must accept it or refuse it with a quantlab::Error before
// writing, and every tensor it has weights for is converted. Built with
// ASan + UBSan.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "quantize/ftype.h"
#include "quantize/imatrix.h"
#include "quantize/quantize_session.h"

using namespace quantlab;
using namespace quantlab::fuzz;

namespace {

struct Model {
    std::vector<uint8_t> file;
    GgufHeader header;
};

// n_embd 64 rows: Q4_K_M falls back to 32-block types, which use the imatrix.
const Model& model() {
    static const Model m = [] {
        TinyLlama t;
        t.n_embd = 64;
        t.n_head = 4;
        t.n_head_kv = 2;
        t.n_ff = 64;
        t.n_vocab = 32;
        Model r;
        r.file = tiny_llama_file(t, false, 1);
        r.header = parse_gguf_header(r.file.data(), r.file.size(), r.file.size()).header;
        return r;
    }();
    return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    ImatrixData im;
    try {
        im = parse_imatrix(data, size);
    } catch (const Error& e) {
        FUZZ_CHECK(e.code() == ErrorCode::Format);
        return 0;
    }
    FUZZ_CHECK(!im.entries.empty());
    for (const auto& [name, w] : im.entries) {
        FUZZ_CHECK(!w.empty());
        for (const float x : w) FUZZ_CHECK(std::isfinite(x));
    }

    const Model& m = model();
    ModelQuantizeOptions opt;
    opt.params.ftype = LlamaFtype::MOSTLY_Q4_K_M;
    opt.imatrix = &im;
    opt.imatrix_file = "fuzz.imatrix";
    opt.variant = KernelVariant::Ref;
    // The session refuses an imatrix that does not fit the model before
    // anything is written; once it has accepted one, every tensor converts.
    std::unique_ptr<QuantizeSession> s;
    try {
        s = std::make_unique<QuantizeSession>(m.header, opt);
    } catch (const Error& e) {
        FUZZ_CHECK(e.code() == ErrorCode::Format || e.code() == ErrorCode::InvalidArgument);
        return 0;
    }
    std::vector<uint8_t> out;
    for (size_t i = 0; i < s->n_tensors(); ++i) {
        if (!im.find(s->plan().tensors[i].name)) continue;
        out.clear();
        s->convert_tensor(
            i, [&](uint64_t off, size_t n, uint8_t* dst) { std::memcpy(dst, m.file.data() + off, n); },
            [&](const uint8_t* p, size_t n) { out.insert(out.end(), p, p + n); });
        FUZZ_CHECK(out.size() == s->output_bytes(i));
    }
    return 0;
}
