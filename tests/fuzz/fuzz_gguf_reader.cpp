// libFuzzer target for the GGUF header reader: any byte string must either
// parse or raise quantlab::Error — never crash, overflow or read out of
// bounds (built with ASan + UBSan; scripts/test.sh runs it for 60 s).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "gguf/gguf_file.h"
#include "model/llama_hparams.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace quantlab;
    try {
        // As a whole file, and as a prefix of a file twice as long (the streaming path).
        GgufParseResult r = parse_gguf_header(data, size, size);
        if (r.complete) {
            for (const auto& t : r.header.tensors) (void)t.n_elements();
            for (const auto& [k, v] : r.header.kv) (void)v.to_display_string();
            try {
                (void)LlamaHparams::from_gguf(r.header);
            } catch (const Error&) {
            }
        }
        (void)parse_gguf_header(data, size, uint64_t(size) * 2 + 1);
    } catch (const Error&) {
    }
    return 0;
}
