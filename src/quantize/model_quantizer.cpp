#include "quantize/model_quantizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <thread>
#include <utility>

#include "core/error.h"
#include "formats/quantize.h"

namespace quantlab {

namespace {

constexpr uint32_t kQuantizationVersion = 2;  // ggml's GGML_QNT_VERSION

// Threads exist natively and in pthread-enabled wasm builds only; a plain
// wasm build runs every range on the calling thread.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define QUANTLAB_QUANT_THREADS 0
#else
#define QUANTLAB_QUANT_THREADS 1
#endif

double mib(uint64_t b) { return double(b) / 1024.0 / 1024.0; }

std::string padded(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

void emit(const ModelQuantizeOptions& opt, const std::string& line) {
    if (opt.log) opt.log(line);
}

// Runs fn(thread, begin, end) over [0, n) split into contiguous ranges, one
// per thread; rows are independent, so the bytes do not depend on the split.
// Like llama-quantize (chunks of at least 32*512 values), small work stays
// on one thread, where starting threads would cost more than it saves.
template <class Fn>
void parallel_rows(int64_t n, int64_t row_values, int nthreads, Fn fn) {
#if QUANTLAB_QUANT_THREADS
    constexpr int64_t kMinValuesPerThread = 32 * 512;
    const int64_t by_size = (n * row_values + kMinValuesPerThread - 1) / kMinValuesPerThread;
    const int nt = int(std::max<int64_t>(1, std::min<int64_t>({int64_t(nthreads), n, by_size})));
#else
    const int nt = 1;
    (void)nthreads;
    (void)row_values;
#endif
    if (nt <= 1) {
        fn(0, int64_t(0), n);
        return;
    }
#if QUANTLAB_QUANT_THREADS
    std::vector<std::pair<int64_t, int64_t>> ranges;
    const int64_t per = n / nt;
    const int64_t extra = n % nt;
    for (int64_t i = 0, begin = 0; i < nt; ++i) {
        const int64_t len = per + (i < extra ? 1 : 0);
        ranges.emplace_back(begin, begin + len);
        begin += len;
    }
    std::vector<std::exception_ptr> errors(static_cast<size_t>(nt));
    std::vector<std::thread> pool;
    pool.reserve(size_t(nt - 1));
    for (int i = 1; i < nt; ++i) {
        pool.emplace_back([&, i] {
            try {
                fn(i, ranges[size_t(i)].first, ranges[size_t(i)].second);
            } catch (...) {
                errors[size_t(i)] = std::current_exception();
            }
        });
    }
    try {
        fn(0, ranges[0].first, ranges[0].second);
    } catch (...) {
        errors[0] = std::current_exception();
    }
    for (auto& t : pool) t.join();
    for (auto& e : errors) {
        if (e) std::rethrow_exception(e);
    }
#endif
}

// ggml_validate_row_data's question (are the stored scales / values finite?)
// answered by decoding: a block decodes to finite values exactly when its
// scales are finite.
void validate_rows(const TypeTraits& tr, const KernelSet& k, const uint8_t* data, int64_t nrows, int64_t ne0,
                   std::vector<float>& scratch, const std::string& name, int64_t first_row, const char* what) {
    const size_t rs = row_size(tr, ne0);
    scratch.resize(size_t(ne0));
    for (int64_t r = 0; r < nrows; ++r) {
        k.dequantize_row(data + size_t(r) * rs, scratch.data(), ne0);
        for (int64_t i = 0; i < ne0; ++i) {
            if (!std::isfinite(scratch[size_t(i)])) {
                throw Error(ErrorCode::NonFinite, std::string(what) + ": tensor " + name + " row " +
                                                      std::to_string(first_row + r) + " holds a non-finite value");
            }
        }
    }
}

const float* imatrix_for(const ModelQuantizeOptions& opt, const PlannedTensor& t, std::vector<std::string>& missing) {
    if (!opt.imatrix || opt.imatrix->entries.empty() || !t.convert) return nullptr;
    const std::vector<float>* e = opt.imatrix->find(t.name);
    if (!e) {
        missing.push_back(t.name);
        return nullptr;
    }
    const int64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
    if (int64_t(e->size()) == t.ne[0] * ne2) return e->data();
    // llama-quantize tolerates this for the token embedding only, which
    // imatrix files often carry with another shape.
    if (t.name == "token_embd.weight" || t.name == "per_layer_token_embd.weight") return nullptr;
    throw Error(ErrorCode::Format, "imatrix size " + std::to_string(e->size()) + " is different from tensor size " +
                                       std::to_string(t.ne[0] * ne2) + " for " + t.name);
}

class Output {
public:
    Output(const WriteFn& w, uint64_t total) : w_(w), total_(total) {}
    void write(const uint8_t* p, size_t n) {
        if (n == 0) return;
        w_(p, n);
        written_ += n;
    }
    void zeros(uint64_t n) {
        static const uint8_t z[64] = {};
        while (n > 0) {
            const size_t k = size_t(std::min<uint64_t>(n, sizeof z));
            write(z, k);
            n -= k;
        }
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
    if (opt.nthreads < 1) throw Error(ErrorCode::InvalidArgument, "thread count must be at least 1");

    const GgufHeader in = read_gguf_header(input_size, read);
    QuantizeParams params = opt.params;
    params.has_imatrix = opt.imatrix && !opt.imatrix->entries.empty();

    ModelQuantizeResult res;
    res.plan = plan_quantization(in, params);
    const QuantPlan& plan = res.plan;
    for (const auto& m : plan.messages) emit(opt, m);
    for (const auto& w : plan.warnings) emit(opt, "warning: " + w);

    // Every imatrix problem surfaces before the first byte is written.
    std::vector<const float*> weights(plan.tensors.size(), nullptr);
    for (size_t i = 0; i < plan.tensors.size(); ++i) {
        const PlannedTensor& t = plan.tensors[i];
        weights[i] = imatrix_for(opt, t, res.imatrix_missing);
        if (!weights[i] && t.requires_imatrix && t.convert && !params.dry_run) {
            throw Error(ErrorCode::InvalidArgument,
                        "missing importance matrix for tensor " + t.name + " in a very low-bit quantization");
        }
    }
    for (const auto& name : res.imatrix_missing) emit(opt, "did not find imatrix weights for " + name);

    uint64_t bytes_in_total = 0;
    for (const auto& t : plan.tensors) bytes_in_total += t.old_bytes;

    const size_t n = plan.tensors.size();
    if (params.dry_run) {
        for (size_t i = 0; i < n; ++i) emit(opt, format_tensor_line(plan.tensors[i], i, n, true));
        res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return res;
    }

    const GgufWriter header = build_output_header(in, plan, opt);
    Output out(write, header.file_size());
    {
        const auto hb = header.header_bytes();
        out.write(hb.data(), hb.size());
    }

    QuantizeProgress prog;
    prog.n_tensors = n;
    prog.bytes_in_total = bytes_in_total;
    prog.bytes_out_total = out.total();
    auto report = [&](size_t i, bool done) {
        if (!opt.progress) return;
        prog.tensor_index = i;
        prog.name = &plan.tensors[i].name;
        prog.tensor_done = done;
        prog.bytes_written = out.written();
        if (!opt.progress(prog)) throw Error(ErrorCode::Cancelled, "quantization cancelled");
    };

    std::vector<uint8_t> in_buf;
    std::vector<float> f32_buf;
    std::vector<uint8_t> out_buf;
    const int nthreads = std::max(1, opt.nthreads);
    std::vector<std::vector<float>> scratch(static_cast<size_t>(nthreads));

    for (size_t i = 0; i < n; ++i) {
        const PlannedTensor& t = plan.tensors[i];
        const GgufTensorInfo& src = in.tensors[t.input_index];
        report(i, false);

        const TypeTraits& tin = type_traits(t.old_type);
        const TypeTraits& tout = type_traits(t.new_type);
        const KernelSet kin = resolve_kernels(tin, opt.variant);
        const KernelSet kout = resolve_kernels(tout, opt.variant);
        const int64_t ne0 = t.ne.empty() ? 1 : t.ne[0];
        const int64_t ne1 = t.ne.size() > 1 ? t.ne[1] : 1;
        const int64_t ne2 = t.ne.size() > 2 ? t.ne[2] : 1;
        int64_t n_slices = 1;
        for (size_t d = 2; d < t.ne.size(); ++d) n_slices *= t.ne[d];
        const size_t in_row = row_size(tin, ne0);
        const size_t out_row = row_size(tout, ne0);
        const int64_t rows_per_chunk =
            std::max<int64_t>(1, std::min<int64_t>(ne1, int64_t(opt.chunk_values / size_t(std::max<int64_t>(1, ne0)))));

        try {
            for (int64_t sl = 0; sl < n_slices && ne0 > 0; ++sl) {
                // Experts of a 3-D tensor each have their own imatrix slice.
                const float* im = weights[i] ? weights[i] + (sl % ne2) * ne0 : nullptr;
                for (int64_t r0 = 0; r0 < ne1; r0 += rows_per_chunk) {
                    const int64_t nr = std::min(rows_per_chunk, ne1 - r0);
                    const int64_t first_row = sl * ne1 + r0;
                    const size_t in_len = size_t(nr) * in_row;
                    in_buf.resize(in_len);
                    read(src.file_offset + uint64_t(first_row) * in_row, in_len, in_buf.data());
                    prog.bytes_read += in_len;

                    if (!t.convert) {
                        // llama.cpp's loader checks every tensor it reads (check_tensors).
                        parallel_rows(nr, ne0, nthreads, [&](int tid, int64_t b, int64_t e) {
                            validate_rows(tin, kin, in_buf.data() + size_t(b) * in_row, e - b, ne0,
                                          scratch[size_t(tid)], t.name, first_row + b, "invalid input data");
                        });
                        out.write(in_buf.data(), in_len);
                    } else {
                        f32_buf.resize(size_t(nr * ne0));
                        out_buf.resize(size_t(nr) * out_row);
                        parallel_rows(nr, ne0, nthreads, [&](int tid, int64_t b, int64_t e) {
                            std::vector<float>& sc = scratch[size_t(tid)];
                            float* x = f32_buf.data() + size_t(b * ne0);
                            const uint8_t* q = in_buf.data() + size_t(b) * in_row;
                            if (t.old_type == GgmlType::F32) {
                                std::memcpy(x, q, size_t(e - b) * in_row);
                            } else {
                                for (int64_t r = b; r < e; ++r) {
                                    kin.dequantize_row(in_buf.data() + size_t(r) * in_row, f32_buf.data() + size_t(r * ne0), ne0);
                                }
                            }
                            QuantizeOptions qo;
                            qo.n_per_row = ne0;
                            qo.imatrix = im;
                            qo.imatrix_len = im ? size_t(ne0) : 0;
                            qo.variant = opt.variant;
                            uint8_t* y = out_buf.data() + size_t(b) * out_row;
                            quantize_into(tout, x, size_t((e - b) * ne0), y, size_t(e - b) * out_row, qo);
                            validate_rows(tout, kout, y, e - b, ne0, sc, t.name, first_row + b,
                                          "quantized data validation failed");
                        });
                        out.write(out_buf.data(), out_buf.size());
                    }
                    report(i, false);
                }
            }
        } catch (const Error& e) {
            if (e.code() == ErrorCode::Cancelled) throw;
            const std::string what = e.what();
            if (what.find(t.name) != std::string::npos) throw;
            throw Error(e.code(), t.name + ": " + what);
        }
        out.zeros(header.padding_after(i));
        emit(opt, format_tensor_line(t, i, n, false));
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
