// Whole-file reads and atomic writes for the CLI: output is written to a
// temporary name and renamed into place, so a failed command never leaves a
// half-written file behind.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace quantlab::cli {

std::vector<uint8_t> read_file(const std::string& path);
std::vector<float> read_f32_file(const std::string& path);
void write_file_atomic(const std::string& path, const void* data, size_t size);

}  // namespace quantlab::cli
