#include "quantize/kv_override.h"

#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace quantlab {

namespace {

bool starts_with(const std::string& s, const char* p) { return s.compare(0, std::strlen(p), p) == 0; }

constexpr size_t kMaxKey = 127;  // llama_model_kv_override::key is char[128]
constexpr size_t kMaxStr = 127;  // ::val_str is char[128]

}  // namespace

GgufValue KvOverride::value() const {
    switch (kind) {
        // llama-quant.cpp stores integers as u32 of the absolute value (llama.cpp PR 14182).
        case Kind::Int: return GgufValue::u32(uint32_t(i < 0 ? -uint64_t(i) : uint64_t(i)));
        case Kind::Float: return GgufValue::f32(float(f));
        case Kind::Bool: return GgufValue::boolean(b);
        case Kind::Str: return GgufValue::string(s);
    }
    return GgufValue::string(s);
}

std::string KvOverride::to_string() const {
    switch (kind) {
        case Kind::Int: return "int:" + std::to_string(i);
        case Kind::Float: return "float:" + std::to_string(f);
        case Kind::Bool: return b ? "bool:true" : "bool:false";
        case Kind::Str: return "str:" + s;
    }
    return s;
}

KvOverride parse_kv_override(const std::string& arg) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq > kMaxKey) {
        throw Error(ErrorCode::InvalidArgument, "malformed --override-kv '" + arg + "' (want KEY=TYPE:VALUE, KEY at most 127 bytes)");
    }
    if (eq == 0) throw Error(ErrorCode::InvalidArgument, "--override-kv '" + arg + "' has an empty key");
    KvOverride o;
    o.key = arg.substr(0, eq);
    const std::string rest = arg.substr(eq + 1);
    if (starts_with(rest, "int:")) {
        o.kind = KvOverride::Kind::Int;
        o.i = std::atoll(rest.c_str() + 4);
    } else if (starts_with(rest, "float:")) {
        o.kind = KvOverride::Kind::Float;
        o.f = std::atof(rest.c_str() + 6);
    } else if (starts_with(rest, "bool:")) {
        o.kind = KvOverride::Kind::Bool;
        const std::string v = rest.substr(5);
        if (v == "true") {
            o.b = true;
        } else if (v == "false") {
            o.b = false;
        } else {
            throw Error(ErrorCode::InvalidArgument, "invalid boolean value for --override-kv '" + arg + "' (true or false)");
        }
    } else if (starts_with(rest, "str:")) {
        o.kind = KvOverride::Kind::Str;
        o.s = rest.substr(4);
        if (o.s.size() > kMaxStr) {
            throw Error(ErrorCode::InvalidArgument, "--override-kv '" + o.key + "': a string value cannot exceed 127 bytes");
        }
    } else {
        throw Error(ErrorCode::InvalidArgument, "invalid type for --override-kv '" + arg + "' (int:, float:, bool: or str:)");
    }
    if (o.key == "general.alignment") {
        throw Error(ErrorCode::InvalidArgument,
                    "--override-kv general.alignment is refused: llama-quantize would write the key but keep 32-byte "
                    "alignment, a file that does not load");
    }
    return o;
}

std::optional<int64_t> override_int(const KvOverride& o) {
    if (o.kind != KvOverride::Kind::Int) return std::nullopt;
    return o.i;
}

}  // namespace quantlab
