#include "quantize/model_quantizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "quantize/quantize_session.h"

namespace quantlab {

namespace {

constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

double mib(uint64_t b) { return double(b) / 1024.0 / 1024.0; }

std::string padded(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

void emit(const ModelQuantizeOptions& opt, const std::string& line) {
    if (opt.log) opt.log(line);
}

class Output {
public:
    Output(const WriteFn& w, uint64_t total) : w_(w), total_(total) {}
    void write(const uint8_t* p, size_t n) {
        if (n == 0) return;
        w_(p, n);
        written_ += n;
    }
    uint64_t written() const { return written_; }
    uint64_t total() const { return total_; }

private:
    const WriteFn& w_;
    uint64_t total_;
    uint64_t written_ = 0;
};

}  // namespace

std::string format_tensor_shape(const std::vector<int64_t>& ne) {
    std::string s;
    char buf[32];
    for (size_t i = 0; i < kGgufMaxDims; ++i) {
        std::snprintf(buf, sizeof buf, "%s%5lld", i ? ", " : "", (long long)(i < ne.size() ? ne[i] : 1));
        s += buf;
    }
    return s;
}

std::string format_tensor_line(const PlannedTensor& t, size_t i, size_t n, bool dry_run) {
    char buf[512];
    int len = std::snprintf(buf, sizeof buf, "[%4zu/%4zu] %s - [%s], type = %6s, ", i + 1, n, padded(t.name, 36).c_str(),
                            format_tensor_shape(t.ne).c_str(), type_traits(t.old_type).name);
    const size_t at = len < 0 ? 0 : std::min(size_t(len), sizeof buf);
    if (!t.convert) {
        std::snprintf(buf + at, sizeof buf - at, "size = %8.3f MiB", mib(t.old_bytes));
    } else if (dry_run) {
        std::snprintf(buf + at, sizeof buf - at, "size = %8.2f MiB -> %8.2f MiB (%s)", mib(t.old_bytes),
                      mib(t.new_bytes), type_traits(t.new_type).name);
    } else {
        std::snprintf(buf + at, sizeof buf - at, "converting to %s .. size = %8.2f MiB -> %8.2f MiB",
                      type_traits(t.new_type).name, mib(t.old_bytes), mib(t.new_bytes));
    }
    return buf;
}

GgufHeader read_gguf_header(uint64_t file_size, const ReadFn& read) {
    std::vector<uint8_t> buf;
    uint64_t want = std::min<uint64_t>(file_size, uint64_t(1) << 20);
    for (;;) {
        buf.resize(size_t(want));
        if (want) read(0, size_t(want), buf.data());
        GgufParseResult r = parse_gguf_header(buf.data(), buf.size(), file_size);
        if (r.complete) return std::move(r.header);
        if (r.bytes_needed <= want) throw Error(ErrorCode::Format, "invalid GGUF: header does not fit the file");
        want = r.bytes_needed;
    }
}

GgufWriter build_output_header(const GgufHeader& input, const QuantPlan& plan, const ModelQuantizeOptions& opt) {
    GgufWriter w;
    for (const auto& [k, v] : input.kv) w.set(k, v);
    // ggml's gguf_set_val_* removes a key and appends it, so keys llama-quantize
    // sets land at the end even when the input already had them.
    auto put = [&w](const std::string& key, GgufValue v) {
        w.remove(key);
        w.set(key, std::move(v));
    };
    put("general.quantization_version", GgufValue::u32(kQuantizationVersion));
    put("general.file_type", GgufValue::u32(uint32_t(plan.ftype)));
    for (const char* k : {"split.no", "split.count", "split.tensors.count"}) w.remove(k);
    if (opt.imatrix && !opt.imatrix->entries.empty()) {
        // llama-quantize passes these as --override-kv entries: strings cut to
        // 127 bytes, integers stored as u32.
        put("quantize.imatrix.file", GgufValue::string(opt.imatrix_file.substr(0, 127)));
        if (!opt.imatrix->datasets.empty()) {
            put("quantize.imatrix.dataset", GgufValue::string(opt.imatrix->datasets[0].substr(0, 127)));
        }
        put("quantize.imatrix.entries_count", GgufValue::u32(uint32_t(opt.imatrix->entries.size())));
        if (opt.imatrix->chunk_count > 0) {
            put("quantize.imatrix.chunks_count", GgufValue::u32(uint32_t(opt.imatrix->chunk_count)));
        }
    }
    for (const auto& t : plan.tensors) w.add_tensor(t.name, t.new_type, t.ne);
    return w;
}

ModelQuantizeResult quantize_model(uint64_t input_size, const ReadFn& read, const WriteFn& write,
                                   const ModelQuantizeOptions& opt) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!read) throw Error(ErrorCode::InvalidArgument, "no input reader");
    if (!opt.params.dry_run && !write) throw Error(ErrorCode::InvalidArgument, "no output writer");
    if (opt.threads < 0) throw Error(ErrorCode::InvalidArgument, "thread count must not be negative");

    QuantizeSession session(read_gguf_header(input_size, read), opt);
    ModelQuantizeResult res;
    res.plan = session.plan();
    res.imatrix_missing = session.imatrix_missing();
    const QuantPlan& plan = res.plan;

    const size_t n = plan.tensors.size();
    if (opt.params.dry_run) {
        for (size_t i = 0; i < n; ++i) emit(opt, format_tensor_line(plan.tensors[i], i, n, true));
        res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return res;
    }

    Output out(write, session.output_size());
    {
        const auto hb = session.header_bytes();
        out.write(hb.data(), hb.size());
    }
    const WriteFn counted = [&out](const uint8_t* p, size_t len) { out.write(p, len); };

    QuantizeProgress prog;
    prog.n_tensors = n;
    prog.bytes_in_total = session.input_tensor_bytes();
    prog.bytes_out_total = out.total();
    auto report = [&](size_t i, bool done) {
        if (!opt.progress) return;
        prog.tensor_index = i;
        prog.name = &plan.tensors[i].name;
        prog.tensor_done = done;
        prog.bytes_written = out.written();
        if (!opt.progress(prog)) throw Error(ErrorCode::Cancelled, "quantization cancelled");
    };

    for (size_t i = 0; i < n; ++i) {
        report(i, false);
        session.convert_tensor(i, read, counted, [&](uint64_t bytes) {
            prog.bytes_read += bytes;
            report(i, false);
        });
        report(i, true);
    }
    if (out.written() != out.total()) {
        throw Error(ErrorCode::Io, "internal: wrote " + std::to_string(out.written()) + " bytes, expected " +
                                       std::to_string(out.total()));
    }
    res.bytes_written = out.written();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

namespace {

struct File {
    std::FILE* f = nullptr;
    ~File() {
        if (f) std::fclose(f);
    }
};

}  // namespace

ModelQuantizeResult quantize_model_file(const std::string& in_path, const std::string& out_path,
                                        const ModelQuantizeOptions& opt) {
    File in;
    in.f = std::fopen(in_path.c_str(), "rb");
    if (!in.f) throw Error(ErrorCode::Io, "cannot open " + in_path + ": " + std::strerror(errno));
    if (fseeko(in.f, 0, SEEK_END) != 0) throw Error(ErrorCode::Io, "cannot seek in " + in_path);
    const off_t size = ftello(in.f);
    if (size < 0) throw Error(ErrorCode::Io, "cannot size " + in_path);
    ReadFn read = [&](uint64_t off, size_t len, uint8_t* dst) {
        if (off > uint64_t(size) || len > uint64_t(size) - off) {
            throw Error(ErrorCode::Format, in_path + " ends before byte " + std::to_string(off + len));
        }
        if (fseeko(in.f, off_t(off), SEEK_SET) != 0 || std::fread(dst, 1, len, in.f) != len) {
            throw Error(ErrorCode::Io, "error reading " + in_path);
        }
    };
    if (opt.params.dry_run) return quantize_model(uint64_t(size), read, WriteFn(), opt);

    if (out_path.empty()) throw Error(ErrorCode::InvalidArgument, "no output file given");
    if (out_path == in_path) throw Error(ErrorCode::InvalidArgument, "the output file must differ from the input");
    const std::string partial = out_path + ".partial";
    File out;
    out.f = std::fopen(partial.c_str(), "wb");
    if (!out.f) throw Error(ErrorCode::Io, "cannot create " + partial + ": " + std::strerror(errno));
    std::setvbuf(out.f, nullptr, _IOFBF, size_t(1) << 20);
    WriteFn write = [&](const uint8_t* p, size_t len) {
        if (std::fwrite(p, 1, len, out.f) != len) throw Error(ErrorCode::Io, "error writing " + partial);
    };
    try {
        ModelQuantizeResult r = quantize_model(uint64_t(size), read, write, opt);
        const bool flushed = std::fflush(out.f) == 0;
        const bool closed = std::fclose(out.f) == 0;
        out.f = nullptr;
        if (!flushed || !closed) throw Error(ErrorCode::Io, "error writing " + partial);
        if (std::rename(partial.c_str(), out_path.c_str()) != 0) {
            throw Error(ErrorCode::Io, "cannot rename " + partial + " to " + out_path + ": " + std::strerror(errno));
        }
        return r;
    } catch (...) {
        if (out.f) {
            std::fclose(out.f);
            out.f = nullptr;
        }
        std::remove(partial.c_str());
        throw;
    }
}

}  // namespace quantlab
