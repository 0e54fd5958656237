// GPT-2's bytes_to_unicode, written out independently of the library, for
// the suites that build byte-level BPE vocabularies (test_tokenizer.cpp,
// fuzz/fuzz_tokenizer.cpp). Header-only: the fuzz targets link no test support.
#pragma once

#include <cstdint>
#include <string>

namespace quantlab::test {

// The character standing for byte b, as UTF-8: printable Latin-1 bytes stand
// for themselves, the other 68 take code points 256.. in byte order.
inline std::string gpt2_byte_char(int b) {
    const auto printable = [](int x) { return (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF); };
    uint32_t cp = uint32_t(b);
    if (!printable(b)) {
        cp = 256;
        for (int x = 0; x < b; ++x) cp += printable(x) ? 0 : 1;
    }
    std::string s;
    if (cp < 0x80) {
        s += char(cp);
    } else {
        s += char(0xC0 | (cp >> 6));
        s += char(0x80 | (cp & 0x3F));
    }
    return s;
}

}  // namespace quantlab::test
