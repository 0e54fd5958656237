#include "cli/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/error.h"

namespace quantlab::cli {

std::vector<uint8_t> read_file(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
    std::vector<uint8_t> data;
    uint8_t buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) data.insert(data.end(), buf, buf + got);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw Error(ErrorCode::Io, "error reading " + path);
    return data;
}

std::vector<float> read_f32_file(const std::string& path) {
    const auto bytes = read_file(path);
    if (bytes.size() % 4 != 0) {
        throw Error(ErrorCode::Format, path + " holds " + std::to_string(bytes.size()) +
                                           " bytes, not a whole number of float32 values");
    }
    std::vector<float> out(bytes.size() / 4);
    if (!out.empty()) std::memcpy(out.data(), bytes.data(), bytes.size());
    return out;
}

void write_file_atomic(const std::string& path, const void* data, size_t size) {
    const std::string tmp = path + ".partial";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) throw Error(ErrorCode::Io, "cannot create " + tmp + ": " + std::strerror(errno));
    const bool ok = std::fwrite(data, 1, size, f) == size && std::fflush(f) == 0;
    const bool closed = std::fclose(f) == 0;
    if (!ok || !closed || std::rename(tmp.c_str(), path.c_str()) != 0) {
        std::remove(tmp.c_str());
        throw Error(ErrorCode::Io, "cannot write " + path);
    }
}

}  // namespace quantlab::cli
