#include "quantize/model_quantizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <utility>

#include "core/error.h"
#include "gguf/gguf_split.h"
#include "quantize/quantize_session.h"
#include "quantize/type_layout.h"

namespace quantlab {

namespace {

constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

double mib(uint64_t b) { return double(b) / 1024.0 / 1024.0; }

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
        std::snprintf(buf, sizeof buf, "%s%6lld", i ? ", " : "", (long long)(i < ne.size() ? ne[i] : 1));
        s += buf;
    }
    return s;
}

std::string format_tensor_line(const PlannedTensor& t, size_t i, size_t n, bool dry_run) {
    char buf[512];
    int len = std::snprintf(buf, sizeof buf, "[%4zu/%4zu] %s - [%s], type = %6s, ", i + 1, n, padded_name(t.name, 36).c_str(),
                            format_tensor_shape(t.ne).c_str(), type_layout(t.old_type).name);
    const size_t at = len < 0 ? 0 : std::min(size_t(len), sizeof buf);
    if (!t.convert) {
        std::snprintf(buf + at, sizeof buf - at, "size = %8.3f MiB", mib(t.old_bytes));
    } else if (dry_run) {
        std::snprintf(buf + at, sizeof buf - at, "size = %8.2f MiB -> %8.2f MiB (%s)", mib(t.old_bytes),
                      mib(t.new_bytes), type_layout(t.new_type).name);
    } else {
        std::snprintf(buf + at, sizeof buf - at, "converting to %s .. size = %8.2f MiB -> %8.2f MiB",
                      type_layout(t.new_type).name, mib(t.old_bytes), mib(t.new_bytes));
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

std::vector<GgufWriter> build_output_headers(const GgufHeader& input, const QuantPlan& plan,
                                             const ModelQuantizeOptions& opt) {
    GgufWriter w;
    for (const auto& [k, v] : input.kv) w.set(k, v);
    // ggml's gguf_set_val_* removes a key and appends it, so keys llama-quantize
    // sets land at the end even when the input already had them.
    auto put = [](GgufWriter& g, const std::string& key, GgufValue v) {
        g.remove(key);
        g.set(key, std::move(v));
    };
    put(w, "general.quantization_version", GgufValue::u32(kQuantizationVersion));
    put(w, "general.file_type", GgufValue::u32(uint32_t(plan.ftype)));
    for (const char* k : {kSplitNoKey, kSplitCountKey, kSplitTensorsCountKey}) w.remove(k);
    // --override-kv entries, then the ones llama-quantize adds for an imatrix.
    for (const auto& o : opt.params.kv_overrides) put(w, o.key, o.value());
    if (opt.imatrix && !opt.imatrix->entries.empty()) {
        // llama-quantize passes these as --override-kv entries: strings cut to
        // 127 bytes, integers stored as u32.
        put(w, "quantize.imatrix.file", GgufValue::string(opt.imatrix_file.substr(0, 127)));
        if (!opt.imatrix->datasets.empty()) {
            put(w, "quantize.imatrix.dataset", GgufValue::string(opt.imatrix->datasets[0].substr(0, 127)));
        }
        put(w, "quantize.imatrix.entries_count", GgufValue::u32(uint32_t(opt.imatrix->entries.size())));
        if (opt.imatrix->chunk_count > 0) {
            put(w, "quantize.imatrix.chunks_count", GgufValue::u32(uint32_t(opt.imatrix->chunk_count)));
        }
    }
    if (!opt.params.prune_layers.empty()) {
        put(w, plan.model.arch + ".block_count", GgufValue::u32(uint32_t(plan.block_count)));
    }

    std::vector<GgufWriter> files(size_t(std::max(1, plan.n_output_files)));
    files[0] = std::move(w);
    for (const auto& t : plan.tensors) files.at(size_t(t.output_file)).add_tensor(t.name, t.new_type, t.ne);
    if (plan.split_output && (opt.params.keep_split ? plan.n_output_files > 1 : true)) {
        const uint16_t n = uint16_t(plan.n_output_files);
        const int32_t n_tensors = int32_t(plan.tensors.size());
        for (size_t k = 0; k < files.size(); ++k) {
            // llama-quant.cpp (--keep-split) sets no, count, tensors.count;
            // gguf-split sets no, count (a placeholder), tensors.count and
            // then count again, which moves it last.
            put(files[k], kSplitNoKey, GgufValue::u16(uint16_t(k)));
            if (opt.params.keep_split) put(files[k], kSplitCountKey, GgufValue::u16(n));
            put(files[k], kSplitTensorsCountKey, GgufValue::i32(n_tensors));
            if (!opt.params.keep_split) put(files[k], kSplitCountKey, GgufValue::u16(n));
        }
    }
    return files;
}

ModelQuantizeResult quantize_model(uint64_t input_size, const ReadFn& read, const WriteFn& write,
                                   const ModelQuantizeOptions& opt, const NextFileFn& next_file) {
    if (!read) throw Error(ErrorCode::InvalidArgument, "no input reader");
    return quantize_model(read_gguf_header(input_size, read), read, write, opt, next_file);
}

ModelQuantizeResult quantize_model(GgufHeader input, const ReadFn& read, const WriteFn& write,
                                   const ModelQuantizeOptions& opt, const NextFileFn& next_file) {
    const auto t0 = std::chrono::steady_clock::now();
    if (!read) throw Error(ErrorCode::InvalidArgument, "no input reader");
    if (!opt.params.dry_run && !write) throw Error(ErrorCode::InvalidArgument, "no output writer");
    if (opt.threads < 0) throw Error(ErrorCode::InvalidArgument, "thread count must not be negative");

    QuantizeSession session(std::move(input), opt);
    ModelQuantizeResult res;
    res.plan = session.plan();
    res.imatrix_missing = session.imatrix_missing();
    const QuantPlan& plan = res.plan;

    const size_t n = plan.tensors.size();
    if (opt.params.dry_run) {
        for (size_t i = 0; i < n; ++i) opt.emit(format_tensor_line(plan.tensors[i], i, n, true));
        res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return res;
    }
    const size_t n_files = session.n_output_files();
    if (plan.split_output && !next_file) {
        throw Error(ErrorCode::InvalidArgument, "this quantization writes " + std::to_string(n_files) +
                                                    " split files: the caller must say where each one goes");
    }

    Output out(write, session.output_size());
    const WriteFn counted = [&out](const uint8_t* p, size_t len) { out.write(p, len); };
    auto start_file = [&](size_t f) {
        if (plan.split_output) next_file(f, n_files);
        const auto hb = session.header_bytes(f);
        out.write(hb.data(), hb.size());
    };

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

    // Tensors come grouped by output file (plan order); a file may hold none
    // (the first part of a --keep-split model made with gguf-split
    // --no-tensor-first-split), so files are started by number.
    size_t file = 0;
    start_file(0);
    for (size_t i = 0; i < n; ++i) {
        while (file < session.output_file(i)) start_file(++file);
        report(i, false);
        session.convert_tensor(i, read, counted, [&](uint64_t bytes) {
            prog.bytes_read += bytes;
            report(i, false);
        });
        report(i, true);
    }
    while (file + 1 < n_files) start_file(++file);
    if (out.written() != out.total()) {
        throw Error(ErrorCode::Io, "internal: wrote " + std::to_string(out.written()) + " bytes, expected " +
                                       std::to_string(out.total()));
    }
    res.bytes_written = out.written();
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

std::vector<std::string> output_split_paths(const std::string& out_path, size_t n_files) {
    std::string prefix = out_path;
    // llama-quantize drops ".gguf" from the output name when it writes splits.
    const std::string suffix = ".gguf";
    if (prefix.size() >= suffix.size() && prefix.compare(prefix.size() - suffix.size(), suffix.size(), suffix) == 0) {
        prefix.resize(prefix.size() - suffix.size());
    }
    std::vector<std::string> paths;
    for (size_t k = 0; k < n_files; ++k) paths.push_back(gguf_split_path(prefix, int(k), int(n_files)));
    return paths;
}

namespace {

struct File {
    std::FILE* f = nullptr;
    File() = default;
    File(const File&) = delete;
    File& operator=(const File&) = delete;
    ~File() {
        if (f) std::fclose(f);
    }
};

// The parts of a (possibly split) input model, read as one virtual file.
class InputFiles {
public:
    explicit InputFiles(const std::string& first_path) {
        paths_.push_back(first_path);
        open_part(first_path);
        GgufHeader first = read_header(0);
        const int n_split = gguf_split_count(first);
        std::vector<GgufHeader> headers;
        headers.push_back(std::move(first));
        if (n_split > 1) {
            // llama_model_loader: the other parts are named after the first.
            const int no = gguf_split_no(headers[0]);
            if (no != 0) {
                throw Error(ErrorCode::Format, first_path + " is part " + std::to_string(no + 1) + " of " +
                                                   std::to_string(n_split) +
                                                   " of a split model: give its first part (" +
                                                   gguf_split_path("NAME", 0, n_split) + ")");
            }
            const auto prefix = gguf_split_prefix(first_path, 0, n_split);
            if (!prefix) {
                throw Error(ErrorCode::Format, "invalid split file name: " + first_path + " (a split model in " +
                                                   std::to_string(n_split) + " parts must be named " +
                                                   gguf_split_path("NAME", 0, n_split) + ", ...)");
            }
            for (int k = 1; k < n_split; ++k) {
                paths_.push_back(gguf_split_path(*prefix, k, n_split));
                open_part(paths_.back());
                headers.push_back(read_header(size_t(k)));
            }
        }
        model_ = merge_split_headers(std::move(headers), sizes_);
    }

    const std::vector<std::string>& paths() const { return paths_; }
    GgufHeader header() const { return model_.header; }

    void read(uint64_t off, size_t len, uint8_t* dst) {
        const SplitLocation at = locate_in_split(model_, off);
        const std::string& path = paths_[at.part];
        const uint64_t size = sizes_[at.part];
        if (at.offset > size || len > size - at.offset) {
            throw Error(ErrorCode::Format, path + " ends before byte " + std::to_string(at.offset + len));
        }
        std::FILE* f = files_[at.part]->f;
        if (fseeko(f, off_t(at.offset), SEEK_SET) != 0 || std::fread(dst, 1, len, f) != len) {
            throw Error(ErrorCode::Io, "error reading " + path);
        }
    }

private:
    void open_part(const std::string& path) {
        auto file = std::make_unique<File>();
        file->f = std::fopen(path.c_str(), "rb");
        if (!file->f) throw Error(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
        if (fseeko(file->f, 0, SEEK_END) != 0) throw Error(ErrorCode::Io, "cannot seek in " + path);
        const off_t size = ftello(file->f);
        if (size < 0) throw Error(ErrorCode::Io, "cannot size " + path);
        sizes_.push_back(uint64_t(size));
        files_.push_back(std::move(file));
    }

    GgufHeader read_header(size_t part) {
        const std::string& path = paths_[part];
        std::FILE* f = files_[part]->f;
        const uint64_t size = sizes_[part];
        return read_gguf_header(size, [&](uint64_t off, size_t len, uint8_t* dst) {
            if (fseeko(f, off_t(off), SEEK_SET) != 0 || std::fread(dst, 1, len, f) != len) {
                throw Error(ErrorCode::Io, "error reading " + path);
            }
        });
    }

    std::vector<std::string> paths_;
    std::vector<std::unique_ptr<File>> files_;
    std::vector<uint64_t> sizes_;
    SplitModel model_;
};

// Output files written as name.partial and renamed only when all are complete.
class OutputFiles {
public:
    ~OutputFiles() { discard(); }

    void open(const std::string& path, const std::vector<std::string>& inputs) {
        for (const auto& in : inputs) {
            if (path == in) throw Error(ErrorCode::InvalidArgument, "the output file " + path + " must differ from the input");
        }
        close_current();
        finals_.push_back(path);
        partials_.push_back(path + ".partial");
        cur_.f = std::fopen(partials_.back().c_str(), "wb");
        if (!cur_.f) throw Error(ErrorCode::Io, "cannot create " + partials_.back() + ": " + std::strerror(errno));
        std::setvbuf(cur_.f, nullptr, _IOFBF, size_t(1) << 20);
    }

    bool is_open() const { return cur_.f != nullptr; }

    void write(const uint8_t* p, size_t len) {
        if (std::fwrite(p, 1, len, cur_.f) != len) throw Error(ErrorCode::Io, "error writing " + partials_.back());
    }

    void commit() {
        close_current();
        for (size_t k = 0; k < finals_.size(); ++k) {
            if (std::rename(partials_[k].c_str(), finals_[k].c_str()) != 0) {
                throw Error(ErrorCode::Io, "cannot rename " + partials_[k] + " to " + finals_[k] + ": " + std::strerror(errno));
            }
        }
        partials_.clear();
        finals_.clear();
    }

    void discard() {
        if (cur_.f) {
            std::fclose(cur_.f);
            cur_.f = nullptr;
        }
        for (const auto& p : partials_) std::remove(p.c_str());
        partials_.clear();
        finals_.clear();
    }

private:
    void close_current() {
        if (!cur_.f) return;
        const bool flushed = std::fflush(cur_.f) == 0;
        const bool closed = std::fclose(cur_.f) == 0;
        cur_.f = nullptr;
        if (!flushed || !closed) throw Error(ErrorCode::Io, "error writing " + partials_.back());
    }

    File cur_;
    std::vector<std::string> finals_;
    std::vector<std::string> partials_;
};

}  // namespace

ModelQuantizeResult quantize_model_file(const std::string& in_path, const std::string& out_path,
                                        const ModelQuantizeOptions& opt) {
    InputFiles in(in_path);
    const ReadFn read = [&in](uint64_t off, size_t len, uint8_t* dst) { in.read(off, len, dst); };
    if (opt.params.dry_run) return quantize_model(in.header(), read, WriteFn(), opt);

    if (out_path.empty()) throw Error(ErrorCode::InvalidArgument, "no output file given");
    OutputFiles out;
    // A single output file opens on its first byte; split outputs announce each file.
    const WriteFn write = [&](const uint8_t* p, size_t len) {
        if (!out.is_open()) out.open(out_path, in.paths());
        out.write(p, len);
    };
    const NextFileFn next = [&](size_t file, size_t n_files) {
        out.open(output_split_paths(out_path, n_files).at(file), in.paths());
    };
    ModelQuantizeResult r = quantize_model(in.header(), read, write, opt, next);
    out.commit();
    return r;
}

}  // namespace quantlab
