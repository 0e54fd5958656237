// The result convention of every embind entry: {value} on success, or
// {error: {code, message}} for quantlab::Error, out-of-memory and any other
// exception, so nothing throws across into JS (bindings/js/errors.mjs turns
// the error into a QuantlabError) and the module stays usable.
#pragma once

#include <emscripten/val.h>

#include <exception>
#include <new>
#include <string>

#include "core/error.h"

namespace quantlab::bindings {

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
