// Typed errors for every public entry point. C++ callers catch quantlab::Error
// and switch on code(); the embind layer turns the same code into a JS
// QuantlabError so both languages see one vocabulary of failures.
#pragma once

#include <stdexcept>
#include <string>

namespace quantlab {

enum class ErrorCode {
    InvalidArgument,   // a parameter is out of its domain (null buffer, zero length, ...)
    BadLength,         // element count is not a multiple of the block size
    NonFinite,         // NaN or Inf where finite values are required
    BufferSize,        // a caller-supplied buffer does not have the size the format needs
    UnknownType,       // type name or id that quantlab does not know
    Unsupported,       // known type, but the requested operation does not exist for it
    Format,            // malformed file contents (GGUF, imatrix, ...)
    Io,                // the operating system refused a read or write
    Cancelled,         // the caller cancelled a long-running operation
    OutOfMemory,       // a buffer the input asks for cannot be allocated (the message names its size)
    UnsupportedArchitecture,  // a model of an architecture quantlab does not run (the message names it)
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

}  // namespace quantlab
