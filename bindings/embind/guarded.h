// The result convention of every embind entry: {value} on success, or
// {error: {code, message}} for quantlab::Error, out-of-memory and any other
// exception, so nothing throws across into JS (bindings/js/errors.mjs turns
// the error into a QuantlabError) and the module stays usable.
#pragma once

#include <emscripten/val.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "core/error.h"

namespace quantlab::bindings {

// Numbers arrive from JS as doubles. Converting one that is NaN, infinite or
// out of range to an integer is undefined behaviour; in WebAssembly it
// saturates silently (size_t(2^53) is 0, int64_t(NaN) INT64_MIN), so
// quantizedSize('q8_0', 2**53) answered 0 and a NaN context length became
// a huge negative one. Every conversion goes through int_arg / size_arg.
inline int64_t int_arg(double v, const char* what, int64_t lo, int64_t hi) {
    if (!(v >= double(lo) && v <= double(hi)) || v != std::floor(v)) {
        throw Error(ErrorCode::InvalidArgument, std::string(what) + " must be an integer in " + std::to_string(lo) +
                                                    ".." + std::to_string(hi) + ", got " + std::to_string(v));
    }
    return int64_t(v);
}

// A count or byte size: 0 .. min(SIZE_MAX, 2^53).
inline size_t size_arg(double v, const char* what) {
    constexpr double kMax = double(SIZE_MAX) < 9007199254740992.0 ? double(SIZE_MAX) : 9007199254740992.0;
    return size_t(int_arg(v, what, 0, int64_t(kMax)));
}

// Counts the live C++ objects behind embind handles (Engine, QuantizeSession),
// so tests can see that every handle JS created was also deleted.
struct EngineTag {};
struct QuantizeSessionTag {};
template <class Tag>
struct LiveCounter {
    static inline int live = 0;
    LiveCounter() { ++live; }
    LiveCounter(const LiveCounter&) { ++live; }
    LiveCounter& operator=(const LiveCounter&) = default;
    ~LiveCounter() { --live; }
};

// Runs fn (which returns the value); oom_subject completes "not enough
// WebAssembly memory for ..." in the OutOfMemory message.
template <class Fn>
emscripten::val guarded_call(Fn&& fn, const char* oom_subject) {
    emscripten::val r = emscripten::val::object();
    auto error = [&r](const std::string& code, const std::string& message) {
        emscripten::val err = emscripten::val::object();
        err.set("code", code);
        err.set("message", message);
        r.set("error", err);
    };
    try {
        r.set("value", fn());
    } catch (const Error& e) {
        error(error_code_name(e.code()), e.what());
    } catch (const std::bad_alloc&) {
        error("OutOfMemory", std::string("not enough WebAssembly memory for ") + oom_subject);
    } catch (const std::exception& e) {
        error("Internal", e.what());
    }
    return r;
}

}  // namespace quantlab::bindings
