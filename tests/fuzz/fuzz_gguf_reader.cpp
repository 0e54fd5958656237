// libFuzzer target for the GGUF header reader: any byte string must either
// parse or raise quantlab::Error — never crash, overflow or read out of
// bounds (built with ASan + UBSan), and every tensor it accepts lies inside
// the file.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "formats/type_traits.h"
#include "fuzz_support.h"
#include "gguf/gguf_file.h"
#include "model/llama_hparams.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace quantlab;
    try {
        // As a whole file, and as a prefix of a file twice as long (the streaming path).
        GgufParseResult r = parse_gguf_header(data, size, size);
        if (r.complete) {
            // What the reader promises of every tensor: its byte size, computed
            // without overflow, lies inside the file (checked in 128 bits).
            for (const auto& t : r.header.tensors) {
                const TypeTraits& tr = type_traits(t.type);
                unsigned __int128 n = 1;
                for (const auto d : t.ne) n *= static_cast<unsigned __int128>(d);
                const unsigned __int128 bytes = n / unsigned(tr.block_size) * tr.type_size;
                FUZZ_CHECK(bytes == t.size_bytes);
                FUZZ_CHECK(static_cast<unsigned __int128>(t.file_offset) + bytes <= size);
            }
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
