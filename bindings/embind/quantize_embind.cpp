// embind surface of whole-model quantization. JavaScript owns all I/O: it
// reads the input header and each tensor's bytes from an async byte source
// (a Blob, a Node file, a synthetic generator), and this side converts one
// chunk of a tensor's rows per call, so only that chunk is ever in wasm
// memory and the files themselves may be larger than wasm32's 4 GB address
// space. Offsets and sizes cross the boundary as doubles: exact up to 2^53.
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "guarded.h"
#include "core/checked_alloc.h"
#include "core/error.h"
#include "formats/type_traits.h"
#include "gguf/gguf_split.h"
#include "quantize/ftype.h"
#include "quantize/imatrix.h"
#include "quantize/quantize_session.h"
#include "quantize/type_layout.h"

using emscripten::val;
using namespace quantlab;

namespace {

// Every entry returns {value} | {error: {code, message}} (bindings/embind/guarded.h).
template <class Fn>
val guarded(Fn&& fn) {
    return bindings::guarded_call(std::forward<Fn>(fn), "this tensor");
}

val string_array(const std::vector<std::string>& v) {
    val a = val::array();
    for (const auto& s : v) a.call<void>("push", s);
    return a;
}

bool flag(const val& o, const char* key) {
    const val v = o[key];
    return !v.isUndefined() && !v.isNull() && v.as<bool>();
}

std::optional<std::string> text(const val& o, const char* key) {
    const val v = o[key];
    if (v.isUndefined() || v.isNull()) return std::nullopt;
    if (!v.isString()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be a string");
    return v.as<std::string>();
}

GgmlType storable_type(const std::string& name, const char* what) {
    const GgmlType t = type_traits_by_name(name).type;
    if (!is_storable_type(t)) {
        throw Error(ErrorCode::Unsupported, std::string(what) + " " + name + " cannot be stored in a model file");
    }
    return t;
}

std::vector<std::string> strings(const val& o, const char* key) {
    const val v = o[key];
    std::vector<std::string> r;
    if (v.isUndefined() || v.isNull()) return r;
    if (!v.isArray()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an array of strings");
    const size_t n = v["length"].as<size_t>();
    for (size_t i = 0; i < n; ++i) {
        if (!v[i].isString()) throw Error(ErrorCode::InvalidArgument, std::string(key) + " must be an array of strings");
        r.push_back(v[i].as<std::string>());
    }
    return r;
}

// pruneLayers: layer numbers (an array) or llama-quantize's "L0,L1,..." text.
std::vector<int> prune_layers(const val& o) {
    const val v = o["pruneLayers"];
    if (v.isUndefined() || v.isNull()) return {};
    if (v.isString()) return parse_prune_layers(v.as<std::string>());
    if (!v.isArray()) throw Error(ErrorCode::InvalidArgument, "pruneLayers must be an array of layer numbers");
    std::string text;
    const size_t n = v["length"].as<size_t>();
    if (n == 0) return {};
    for (size_t i = 0; i < n; ++i) {
        const val e = v[i];
        if (e.typeOf().as<std::string>() != "number" || !val::global("Number").call<bool>("isSafeInteger", e) ||
            e.as<double>() < 0) {
            throw Error(ErrorCode::InvalidArgument, "pruneLayers must hold non-negative integers");
        }
        text += (i ? "," : "") + std::to_string(int64_t(e.as<double>()));
    }
    return parse_prune_layers(text);
}

// splitMaxSize: bytes (a number) or gguf-split's "N", "NM", "NG" text.
uint64_t split_max_size(const val& o) {
    const val v = o["splitMaxSize"];
    if (v.isUndefined() || v.isNull()) return 0;
    if (v.isString()) return parse_split_size(v.as<std::string>());
    if (v.typeOf().as<std::string>() != "number" || !val::global("Number").call<bool>("isSafeInteger", v) || v.as<double>() <= 0) {
        throw Error(ErrorCode::InvalidArgument, "splitMaxSize must be a positive integer (bytes) or a size such as \"2G\"");
    }
    return uint64_t(v.as<double>());
}

QuantizeParams params_from(const val& o) {
    if (o.isNull() || o.typeOf().as<std::string>() != "object") throw Error(ErrorCode::InvalidArgument, "options must be an object");
    QuantizeParams p;
    const auto type = text(o, "type");
    if (!type) throw Error(ErrorCode::InvalidArgument, "options.type is required (an ftype such as \"Q4_K_M\")");
    p.ftype = parse_ftype(*type).ftype;
    p.pure = flag(o, "pure");
    p.allow_requantize = flag(o, "allowRequantize");
    p.quantize_output_tensor = !flag(o, "leaveOutputTensor");
    p.dry_run = flag(o, "dryRun");
    if (const auto t = text(o, "outputTensorType")) p.output_tensor_type = storable_type(*t, "output tensor type");
    if (const auto t = text(o, "tokenEmbeddingType")) p.token_embedding_type = storable_type(*t, "token embedding type");
    for (const auto& e : strings(o, "tensorTypes")) p.tensor_types.push_back(parse_tensor_type_override(e));
    for (const auto& e : strings(o, "overrideKv")) p.kv_overrides.push_back(parse_kv_override(e));
    p.prune_layers = prune_layers(o);
    p.keep_split = flag(o, "keepSplit");
    p.split_max_size = split_max_size(o);
    return p;
}

val shape(const std::vector<int64_t>& ne) {
    val a = val::array();
    for (auto d : ne) a.call<void>("push", double(d));
    return a;
}

}  // namespace

class QuantizeSessionJs : bindings::LiveCounter<bindings::QuantizeSessionTag> {
public:
    QuantizeSessionJs() = default;
    QuantizeSessionJs(const QuantizeSessionJs&) = delete;
    QuantizeSessionJs& operator=(const QuantizeSessionJs&) = delete;
    // Deleted with rows started: their tasks write into out_, which goes
    // before session_ would finish them.
    ~QuantizeSessionJs() {
        if (!session_) return;
        try {
            session_->finish_rows();
        } catch (...) {
        }
    }

    // Parsed before begin(): whether an imatrix is present changes the plan.
    val set_imatrix(uintptr_t ptr, double len, std::string file_name) {
        return guarded([&] {
            if (session_) throw Error(ErrorCode::InvalidArgument, "setImatrix must come before begin");
            imatrix_ = parse_imatrix(reinterpret_cast<const uint8_t*>(ptr), bindings::size_arg(len, "imatrix length"));
            imatrix_name_ = std::move(file_name);
            val o = val::object();
            o.set("entries", double(imatrix_.entries.size()));
            o.set("chunks", imatrix_.chunk_count);
            o.set("datasets", string_array(imatrix_.datasets));
            o.set("legacy", imatrix_.legacy);
            return o;
        });
    }

    // parts: one {ptr, len, size} per input file (several for a split
    // model, in any order), ptr holding a prefix of len bytes of a file of
    // size bytes. When a prefix is too short the result is {complete: false,
    // part, bytesNeeded} and the caller retries with that part longer.
    val begin(val parts, val options) {
        return guarded([&] {
            if (session_) throw Error(ErrorCode::InvalidArgument, "begin was already called");
            const QuantizeParams params = params_from(options);
            if (!parts.isArray() || parts["length"].as<size_t>() == 0) {
                throw Error(ErrorCode::InvalidArgument, "begin needs at least one input part");
            }
            const size_t n = parts["length"].as<size_t>();
            std::vector<GgufHeader> headers;
            std::vector<uint64_t> sizes;
            val o = val::object();
            for (size_t k = 0; k < n; ++k) {
                const val p = parts[k];
                const uint64_t size = uint64_t(bindings::int_arg(p["size"].as<double>(), "file size", 0, int64_t(1) << 53));
                auto r = parse_gguf_header(reinterpret_cast<const uint8_t*>(p["ptr"].as<uintptr_t>()),
                                           bindings::size_arg(p["len"].as<double>(), "length"), size);
                if (!r.complete) {
                    o.set("complete", false);
                    o.set("part", double(k));
                    o.set("bytesNeeded", double(r.bytes_needed));
                    return o;
                }
                headers.push_back(std::move(r.header));
                sizes.push_back(size);
            }
            o.set("complete", true);
            SplitModel model = merge_split_headers(std::move(headers), sizes);
            part_base_ = model.part_base;
            part_source_ = model.part_source;
            ModelQuantizeOptions mo;
            mo.params = params;
            mo.imatrix_include = strings(options, "includeWeights");
            mo.imatrix_exclude = strings(options, "excludeWeights");
            if (!imatrix_.entries.empty()) {
                mo.imatrix = &imatrix_;
                mo.imatrix_file = imatrix_name_;
            }
            // The f32 staging buffer (4M values = 16 MiB): as large as the
            // row chunks the caller sends (CHUNK_VALUES in quantize_model.mjs).
            mo.chunk_values = size_t(1) << 22;
            // Rows of each chunk split across the module's threads (0: the
            // loader's thread count; the single-threaded module runs 1).
            const val threads = options["threads"];
            if (!threads.isUndefined() && !threads.isNull()) {
                mo.threads = int(bindings::int_arg(threads.as<double>(), "threads", 0, 256));
            }
            mo.shared_pool = true;  // the module's pool of that size, shared with its models
            session_ = std::make_unique<QuantizeSession>(std::move(model.header), std::move(mo));
            o.set("plan", plan_object());
            o.set("threads", session_->threads());  // the pool that converts rows here
            return o;
        });
    }

    val header_bytes(double file) const {
        return guarded([&] {
            QuantizeSession& s = live();
            if (file < 0 || size_t(file) >= s.n_output_files()) throw Error(ErrorCode::InvalidArgument, "output file out of range");
            const auto hb = s.header_bytes(size_t(file));
            return val::global("Uint8Array").new_(emscripten::typed_memory_view(hb.size(), hb.data()));
        });
    }

    // Rows [row_begin, row_end) of tensor i (counted across its slices, the
    // plan's `rows`), their input bytes at in_ptr: startRows hands them to
    // the module's pool and returns, so JavaScript can read the next rows
    // and write the last ones while the pool's workers convert these;
    // finishRows has this thread join, waits, and returns exactly their
    // output bytes, no padding (QuantizeSession::start_rows). The input
    // stays untouched and allocated until then. convertRows does both (the
    // worker fallback's converters, one thread each).
    val start_rows(double index, double row_begin, double row_end, uintptr_t in_ptr, double in_len) {
        return guarded([&] {
            QuantizeSession& s = live();
            if (s.rows_started()) throw Error(ErrorCode::InvalidArgument, "rows are being converted: finish them first");
            const size_t i = bindings::size_arg(index, "tensor index");
            if (i >= s.n_tensors()) throw Error(ErrorCode::InvalidArgument, "tensor index out of range");
            const int64_t rows = s.n_rows(i);
            const int64_t r0 = bindings::int_arg(row_begin, "first row", 0, rows);
            const int64_t r1 = bindings::int_arg(row_end, "end row", r0, rows);
            const uint64_t size = uint64_t(r1 - r0) * s.input_row_bytes(i);
            const uint64_t got = bindings::size_arg(in_len, "input length");
            if (got != size) {
                throw Error(ErrorCode::BufferSize, "rows " + std::to_string(r0) + ".." + std::to_string(r1) + " of tensor " +
                                                       s.plan().tensors[i].name + " need " + std::to_string(size) +
                                                       " input bytes, got " + std::to_string(got));
            }
            const std::string what = "the output of tensor " + s.plan().tensors[i].name;
            const size_t out_size = checked_count(uint64_t(r1 - r0) * s.output_row_bytes(i), 1, what);
            try {
                out_.resize(out_size);
            } catch (const std::bad_alloc&) {
                throw_out_of_memory(out_size, what);
            }
            s.start_rows(i, r0, r1, reinterpret_cast<const uint8_t*>(in_ptr), out_.data());
            return val::undefined();
        });
    }

    val finish_rows() {
        return guarded([&] {
            QuantizeSession& s = live();
            struct Release {  // the next rows may be of another size: give the memory back, error or not
                std::vector<uint8_t>& v;
                ~Release() { std::vector<uint8_t>().swap(v); }
            } release{out_};
            s.finish_rows();
            return val::global("Uint8Array").new_(emscripten::typed_memory_view(out_.size(), out_.data()));
        });
    }

    val convert_rows(double index, double row_begin, double row_end, uintptr_t in_ptr, double in_len) {
        val started = start_rows(index, row_begin, row_end, in_ptr, in_len);
        if (started.hasOwnProperty("error")) return started;
        return finish_rows();
    }

private:
    QuantizeSession& live() const {
        if (!session_) throw Error(ErrorCode::InvalidArgument, "begin() was not called");
        return *session_;
    }

    val plan_object() const {
        const QuantizeSession& s = *session_;
        const QuantPlan& p = s.plan();
        val o = val::object();
        o.set("type", std::string(ftype_info(p.ftype).name));
        o.set("arch", p.model.arch);
        o.set("dryRun", s.options().params.dry_run);
        val tensors = val::array();
        for (size_t i = 0; i < p.tensors.size(); ++i) {
            const PlannedTensor& t = p.tensors[i];
            val ti = val::object();
            ti.set("name", t.name);
            ti.set("shape", shape(t.ne));
            ti.set("oldType", std::string(type_layout(t.old_type).name));
            ti.set("newType", std::string(type_layout(t.new_type).name));
            ti.set("oldBytes", double(t.old_bytes));
            ti.set("rows", double(s.n_rows(i)));
            // The byte counts a caller converting row chunks needs, as the session computes them.
            ti.set("inputRowBytes", double(s.input_row_bytes(i)));
            ti.set("outputRowBytes", double(s.output_row_bytes(i)));
            ti.set("newBytes", double(t.new_bytes));
            ti.set("convert", t.convert);
            ti.set("requantize", t.requantize);
            ti.set("fellBack", t.fell_back);
            if (t.fell_back) ti.set("fallbackFrom", std::string(type_layout(t.fallback_from).name));
            ti.set("override", t.override_index >= 0 ? val(p.overrides[size_t(t.override_index)].override_.pattern) : val::null());
            ti.set("requiresImatrix", t.requires_imatrix);
            // Where the caller reads it: its file (in the caller's order) and the offset in it.
            const uint32_t part = s.input().tensors[t.input_index].split;
            ti.set("inputName", t.input_name);
            ti.set("inputFile", double(part_source_.at(part)));
            ti.set("inputOffset", double(s.input_offset(i) - part_base_.at(part)));
            ti.set("outputFile", t.output_file);
            if (s.output_size() > 0) {
                ti.set("outputOffset", double(s.output_offset(i)));
                ti.set("outputBytes", double(s.output_bytes(i)));
                ti.set("paddingBytes", double(s.padding_bytes(i)));
            }
            tensors.call<void>("push", ti);
        }
        o.set("tensors", tensors);
        val overrides = val::array();
        for (const auto& r : p.overrides) {
            val ro = val::object();
            ro.set("pattern", r.override_.pattern);
            ro.set("type", std::string(type_traits(r.override_.type).name));
            ro.set("applied", string_array(r.applied));
            ro.set("notQuantizable", string_array(r.not_quantizable));
            ro.set("ignoredForFtype", r.ignored_for_ftype);
            overrides.call<void>("push", ro);
        }
        o.set("overrides", overrides);
        o.set("messages", string_array(p.messages));
        o.set("warnings", string_array(p.warnings));
        o.set("imatrixMissing", string_array(s.imatrix_missing()));
        o.set("nFallback", p.n_fallback);
        o.set("nRequantize", p.n_requantize);
        o.set("needsImatrix", p.needs_imatrix);
        o.set("nElements", double(p.n_elements));
        o.set("inputTensorBytes", double(p.old_bytes));
        o.set("outputTensorBytes", double(p.new_bytes));
        o.set("inputBitsPerWeight", p.old_bpw());
        o.set("bitsPerWeight", p.new_bpw());
        o.set("headerSize", s.output_size() > 0 ? double(s.header_bytes().size()) : 0.0);
        o.set("outputSize", double(s.output_size()));
        o.set("inputFiles", double(part_base_.size()));
        o.set("splitOutput", p.split_output);
        val files = val::array();
        for (size_t f = 0; f < s.n_output_files(); ++f) {
            val fo = val::object();
            fo.set("headerSize", s.output_size() > 0 ? double(s.header_bytes(f).size()) : 0.0);
            fo.set("size", double(s.output_file_size(f)));
            files.call<void>("push", fo);
        }
        o.set("outputFiles", files);
        o.set("pruned", string_array(p.pruned));
        o.set("blockCount", p.block_count);
        return o;
    }

    ImatrixData imatrix_;
    std::string imatrix_name_;
    std::unique_ptr<QuantizeSession> session_;
    std::vector<uint64_t> part_base_;   // where each input part starts in the virtual file
    std::vector<size_t> part_source_;   // each part's index in the caller's list
    std::vector<uint8_t> out_;
};

val ftype_names() {
    val a = val::array();
    for (const auto& f : all_ftypes()) {
        val o = val::object();
        o.set("name", std::string(f.name));
        o.set("id", unsigned(f.ftype));
        o.set("description", std::string(f.description));
        a.call<void>("push", o);
    }
    return a;
}

EMSCRIPTEN_BINDINGS(quantlab_quantize_model) {
    emscripten::function("quantizeFtypes", &ftype_names);
    emscripten::class_<QuantizeSessionJs>("QuantizeSession")
        .constructor<>()
        .function("setImatrix", &QuantizeSessionJs::set_imatrix)
        .function("begin", &QuantizeSessionJs::begin)
        .function("headerBytes", &QuantizeSessionJs::header_bytes)
        .function("convertRows", &QuantizeSessionJs::convert_rows)
        .function("startRows", &QuantizeSessionJs::start_rows)
        .function("finishRows", &QuantizeSessionJs::finish_rows);
}
