// llama-quantize's --override-kv KEY=TYPE:VALUE: metadata written into the
// quantized model, and read by the model loader in place of the file's value
// (so an override of e.g. llama.attention.head_count_kv also changes the
// per-tensor rules). Parsing as llama.cpp common/common.cpp
// string_parse_kv_override; writing as src/llama-quant.cpp does (int as u32
// of the absolute value, float as f32); reading as the loader's
// GGUFMeta::GKV::try_override (an override of the wrong kind is ignored).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gguf/gguf_value.h"

namespace quantlab {

struct KvOverride {
    enum class Kind { Int, Float, Bool, Str };
    std::string key;
    Kind kind = Kind::Int;
    int64_t i = 0;
    double f = 0.0;
    bool b = false;
    std::string s;

    // The value llama-quantize writes for it.
    GgufValue value() const;
    // "int:8" etc., for messages.
    std::string to_string() const;
};

// "KEY=TYPE:VALUE" with TYPE int, float, bool (true/false) or str (at most
// 127 bytes). Values are read like atol/atof (a leading number, 0 when
// none). Throws Error(InvalidArgument) for anything llama-quantize rejects,
// and for an empty key (llama.cpp would end its override list there) or
// general.alignment (llama.cpp would write a file whose data does not
// follow its own alignment key).
KvOverride parse_kv_override(const std::string& arg);

// The integer an override gives an integer key, as the loader would read it
// (nullopt when the override is not of kind Int).
std::optional<int64_t> override_int(const KvOverride& o);

}  // namespace quantlab
