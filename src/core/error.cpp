#include "core/error.h"

namespace quantlab {

const char* error_code_name(ErrorCode code) {
    switch (code) {
        case ErrorCode::InvalidArgument: return "InvalidArgument";
        case ErrorCode::BadLength: return "BadLength";
        case ErrorCode::NonFinite: return "NonFinite";
        case ErrorCode::BufferSize: return "BufferSize";
        case ErrorCode::UnknownType: return "UnknownType";
        case ErrorCode::Unsupported: return "Unsupported";
        case ErrorCode::Format: return "Format";
        case ErrorCode::Io: return "Io";
        case ErrorCode::Cancelled: return "Cancelled";
        case ErrorCode::OutOfMemory: return "OutOfMemory";
        case ErrorCode::UnsupportedArchitecture: return "UnsupportedArchitecture";
    }
    return "Unknown";
}

}  // namespace quantlab
