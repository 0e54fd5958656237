// QuantizeSession: the step-by-step form of quantize_model that the
// JavaScript binding and its workers use. Tensors converted in any order by
// separate sessions land on the same bytes as quantize_model's, and a
// synthetic model larger than 4 GB streams through with memory bounded by
// one chunk (the hidden case: run it with "[big]").
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "quantize/quantize_session.h"
#include "quantize_test_util.h"

using namespace quantlab;
using namespace quantlab::test;
using namespace quantlab::quant_test;

namespace {

// A llama whose tensor data exists only inside read(): floats from a table
// with a prime period, chosen by absolute offset, so any range reads the
// same bytes every time.
class SyntheticModel {
public:
    explicit SyntheticModel(const SynthLlama& s) : w_(llama_writer(s)), header_(w_.header_bytes()) {
        uint32_t x = 0x9e3779b9u;
        table_.resize(kPeriod * 2);
        for (size_t i = 0; i < kPeriod; ++i) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            table_[i] = table_[i + kPeriod] = (float(x) / 4294967296.0f - 0.5f) * 0.08f;
        }
    }
    uint64_t size() const { return w_.file_size(); }
    ReadFn reader() const {
        return [this](uint64_t off, size_t len, uint8_t* dst) {
            if (off > size() || len > size() - off) throw Error(ErrorCode::Format, "read past the end");
            while (len > 0 && off < header_.size()) {
                const size_t n = std::min<uint64_t>(len, header_.size() - off);
                std::memcpy(dst, header_.data() + off, n);
                dst += n, off += n, len -= n;
            }
            // Every tensor here is a multiple of the alignment: the data
            // section is one run of floats.
            REQUIRE(len % 4 == 0);
            size_t k = size_t(((off - header_.size()) / 4) % kPeriod);
            for (size_t f = 0, nf = len / 4; f < nf;) {
                const size_t n = std::min(nf - f, kPeriod - k);
                std::memcpy(dst + 4 * f, table_.data() + k, 4 * n);
                f += n;
                k = (k + n) % kPeriod;
            }
        };
    }

private:
    static constexpr size_t kPeriod = 1048573;
    GgufWriter w_;
    std::vector<uint8_t> header_;
    std::vector<float> table_;
};

struct CountingSink {
    uint64_t bytes = 0;
    uint64_t hash = 1469598103934665603ull;  // FNV-1a
    WriteFn writer() {
        return [this](const uint8_t* p, size_t n) {
            for (size_t i = 0; i < n; ++i) hash = (hash ^ p[i]) * 1099511628211ull;
            bytes += n;
        };
    }
};

double peak_rss_mib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return double(u.ru_maxrss) / 1024.0;  // kB on Linux
}

}  // namespace

TEST_CASE("session: tensors converted out of order by separate sessions give quantize_model's bytes",
          "[quantize][session]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const auto want = quantize_bytes(in, o);
    REQUIRE(want == read_bytes(reference_path("stories260K-q4_k_m.gguf")));

    const ReadFn read = memory_reader(in);
    QuantizeSession a(read_gguf_header(in.size(), read), o);
    QuantizeSession b(read_gguf_header(in.size(), read), o);
    REQUIRE(a.output_size() == want.size());
    std::vector<uint8_t> out(size_t(a.output_size()), 0xAA);
    const auto hb = a.header_bytes();
    std::memcpy(out.data(), hb.data(), hb.size());
    for (size_t i = a.n_tensors(); i-- > 0;) {
        QuantizeSession& s = i % 2 ? a : b;
        std::vector<uint8_t> t;
        s.convert_tensor(i, read, memory_writer(t));
        REQUIRE(t.size() == s.output_bytes(i));
        std::memcpy(out.data() + s.output_offset(i), t.data(), t.size());
    }
    CHECK(out == want);
    CHECK_THROWS_AS(a.convert_tensor(a.n_tensors(), read, memory_writer(out)), Error);
}

namespace {

// Converts every tensor of `in` as row ranges of `step` rows (ranges
// crossing expert slices), alternating between two sessions, and assembles
// the file as the JavaScript worker fallback does; from_memory: each range
// through start_rows / finish_rows from a copy of its input bytes, with the
// next range's copy made while the workers convert (as the threaded wasm
// module's loop does).
std::vector<uint8_t> convert_by_rows(const std::vector<uint8_t>& in, const ModelQuantizeOptions& o, int64_t step,
                                     bool from_memory = false) {
    if (from_memory) {
        QuantizeSession s(read_gguf_header(in.size(), memory_reader(in)), o);
        std::vector<uint8_t> out = s.header_bytes();
        std::vector<uint8_t> rows_in, rows_out;
        for (size_t i = 0; i < s.n_tensors(); ++i) {
            REQUIRE(out.size() == s.output_offset(i));
            const size_t in_row = size_t(s.input_row_bytes(i));
            auto copy_rows = [&](int64_t r0, int64_t r1) {
                const uint8_t* p = in.data() + s.input_offset(i) + size_t(r0) * in_row;
                return std::vector<uint8_t>(p, p + size_t(r1 - r0) * in_row);
            };
            int64_t r0 = 0;
            int64_t r1 = std::min(s.n_rows(i), step);
            rows_in = copy_rows(r0, r1);
            while (r0 < s.n_rows(i) || (r0 == 0 && s.n_rows(i) == 0)) {
                rows_out.assign(size_t(r1 - r0) * s.output_row_bytes(i), 0xAA);
                s.start_rows(i, r0, r1, rows_in.data(), rows_out.data());
                CHECK(s.rows_started() == (r1 > r0));
                // The caller's I/O while the workers convert: the next range's input.
                const int64_t n0 = r1, n1 = std::min(s.n_rows(i), r1 + step);
                std::vector<uint8_t> next = copy_rows(n0, n1);
                s.finish_rows();
                CHECK_FALSE(s.rows_started());
                out.insert(out.end(), rows_out.begin(), rows_out.end());
                if (r1 == r0) break;
                r0 = n0, r1 = n1;
                rows_in = std::move(next);
            }
            out.resize(out.size() + s.padding_bytes(i), 0);
        }
        return out;
    }
    const ReadFn read = memory_reader(in);
    QuantizeSession a(read_gguf_header(in.size(), read), o);
    QuantizeSession b(read_gguf_header(in.size(), read), o);
    std::vector<uint8_t> out = a.header_bytes();
    int turn = 0;
    for (size_t i = 0; i < a.n_tensors(); ++i) {
        REQUIRE(out.size() == a.output_offset(i));
        for (int64_t r0 = 0; r0 < a.n_rows(i); r0 += step) {
            const int64_t r1 = std::min(a.n_rows(i), r0 + step);
            QuantizeSession& s = turn++ % 2 ? a : b;
            const ReadFn only_these = [&](uint64_t off, size_t len, uint8_t* dst) {
                const uint64_t lo = s.input_offset(i) + uint64_t(r0) * s.input_row_bytes(i);
                REQUIRE(off >= lo);
                REQUIRE(off + len <= lo + uint64_t(r1 - r0) * s.input_row_bytes(i));
                read(off, len, dst);
            };
            const size_t before = out.size();
            s.convert_rows(i, r0, r1, only_these, memory_writer(out));
            REQUIRE(out.size() - before == uint64_t(r1 - r0) * s.output_row_bytes(i));
        }
        out.resize(out.size() + a.padding_bytes(i), 0);
    }
    CHECK_THROWS_AS(a.convert_rows(0, 0, a.n_rows(0) + 1, read, memory_writer(out)), Error);
    CHECK_THROWS_AS(a.convert_rows(0, 2, 1, read, memory_writer(out)), Error);
    return out;
}

}  // namespace

TEST_CASE("session: tensors converted as row ranges by separate sessions give quantize_model's bytes",
          "[quantize][session][rows]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    const ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    const auto want = read_bytes(reference_path("stories260K-q4_k_m.gguf"));
    for (int64_t step : {1, 7, 64, 1 << 20}) CHECK(convert_by_rows(in, o, step) == want);
}

TEST_CASE("session: rows started from memory and finished later give quantize_model's bytes at any thread count",
          "[quantize][session][rows]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    const auto want = read_bytes(reference_path("stories260K-q4_k_m.gguf"));
    for (int threads : {1, 2, 3}) {
        ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
        o.threads = threads;
        for (int64_t step : {7, 64, 1 << 20}) CHECK(convert_by_rows(in, o, step, true) == want);
    }
}

TEST_CASE("session: an error in started rows comes from finish_rows, names the tensor, and the session goes on",
          "[quantize][session][rows]") {
    auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    o.threads = 2;
    QuantizeSession s(read_gguf_header(in.size(), memory_reader(in)), o);
    size_t i = 0;
    while (s.plan().tensors[i].name != "blk.0.attn_q.weight") ++i;
    const size_t in_row = size_t(s.input_row_bytes(i));
    const int64_t rows = s.n_rows(i);
    std::vector<uint8_t> rows_in(in.begin() + std::ptrdiff_t(s.input_offset(i)),
                                 in.begin() + std::ptrdiff_t(s.input_offset(i) + size_t(rows) * in_row));
    std::vector<uint8_t> good(size_t(rows) * s.output_row_bytes(i));
    s.start_rows(i, 0, rows, rows_in.data(), good.data());
    CHECK_THROWS_AS(s.start_rows(i, 0, rows, rows_in.data(), good.data()), Error);  // one range at a time
    s.finish_rows();

    const float nan = std::nanf("");
    std::memcpy(rows_in.data() + 5 * in_row + 8, &nan, sizeof nan);  // row 5, column 2
    std::vector<uint8_t> out(good.size());
    s.start_rows(i, 0, rows, rows_in.data(), out.data());
    try {
        s.finish_rows();
        FAIL("a NaN in the input was converted");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::NonFinite);
        CHECK_THAT(e.what(), Catch::Contains("blk.0.attn_q.weight") && Catch::Contains("row 5"));
    }
    CHECK_FALSE(s.rows_started());
    std::memcpy(rows_in.data() + 5 * in_row + 8, in.data() + s.input_offset(i) + 5 * in_row + 8, sizeof nan);
    s.start_rows(i, 0, rows, rows_in.data(), out.data());
    s.finish_rows();
    CHECK(out == good);
    CHECK_THROWS_AS(s.start_rows(i, 0, rows + 1, rows_in.data(), out.data()), Error);
    CHECK_FALSE(s.rows_started());
    // A session dropped with rows started finishes them first (ASan would see the use after free).
    {
        QuantizeSession t(read_gguf_header(in.size(), memory_reader(in)), o);
        t.start_rows(i, 0, rows, rows_in.data(), out.data());
    }
    CHECK(out == good);
}

TEST_CASE("session: row ranges across expert slices keep each expert's imatrix slice",
          "[quantize][session][rows]") {
    SynthLlama shape;
    shape.n_layer = 1;
    shape.n_embd = 256;
    shape.n_ff = 96;
    shape.n_vocab = 256;
    shape.n_expert = 3;
    const SyntheticModel model(shape);
    std::vector<uint8_t> in(size_t(model.size()));
    model.reader()(0, in.size(), in.data());
    // Weights that differ per column and per expert, for every matrix.
    ImatrixData im;
    const GgufHeader header = read_gguf_header(in.size(), memory_reader(in));
    for (const auto& t : header.tensors) {
        if (t.ne.size() < 2) continue;
        const int64_t n = t.ne[0] * (t.ne.size() > 2 ? t.ne[2] : 1);
        std::vector<float> w(static_cast<size_t>(n));
        for (int64_t j = 0; j < n; ++j) w[size_t(j)] = 1.0f + float((j * 7) % 13);
        im.entries[t.name] = std::move(w);
    }
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    o.imatrix = &im;
    const auto want = quantize_bytes(in, o);
    // 96 rows per expert: ranges of 40 and 7 cross the slice boundaries.
    for (int64_t step : {40, 7}) CHECK(convert_by_rows(in, o, step) == want);
    // The imatrix matters here: without it the bytes differ.
    ModelQuantizeOptions plain = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    CHECK(quantize_bytes(in, plain) != want);
}

TEST_CASE("session: a dry run plans without a layout to convert into", "[quantize][session]") {
    const auto in = read_bytes(reference_path("stories260K-f32.gguf"));
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q4_K_M);
    o.params.dry_run = true;
    QuantizeSession s(read_gguf_header(in.size(), memory_reader(in)), o);
    CHECK(s.output_size() == 304096);
    std::vector<uint8_t> out;
    CHECK_THROWS_AS(s.convert_tensor(0, memory_reader(in), memory_writer(out)), Error);
}

namespace {

void stream_synthetic(const SynthLlama& shape, int nthreads, bool print) {
    const SyntheticModel model(shape);
    const ReadFn read = model.reader();
    ModelQuantizeOptions o = ftype_options(LlamaFtype::MOSTLY_Q8_0, nthreads);
    uint64_t max_read = 0;
    const ReadFn counted = [&](uint64_t off, size_t len, uint8_t* dst) {
        max_read = std::max<uint64_t>(max_read, len);
        read(off, len, dst);
    };
    CountingSink sink;
    const auto t0 = std::chrono::steady_clock::now();
    const ModelQuantizeResult r = quantize_model(model.size(), counted, sink.writer(), o);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(sink.bytes == r.bytes_written);
    QuantizeSession plan_only(read_gguf_header(model.size(), read), o);
    CHECK(sink.bytes == plan_only.output_size());
    CHECK(max_read <= std::max<uint64_t>(size_t(1) << 20, o.chunk_values * 4));  // one chunk, not a tensor

    // The same bytes once more through a session in reverse tensor order.
    if (!print) {
        std::vector<uint8_t> whole;
        quantize_model(model.size(), read, memory_writer(whole), o);
        std::vector<uint8_t> out(whole.size());
        const auto hb = plan_only.header_bytes();
        std::memcpy(out.data(), hb.data(), hb.size());
        for (size_t i = plan_only.n_tensors(); i-- > 0;) {
            std::vector<uint8_t> t;
            plan_only.convert_tensor(i, read, memory_writer(t));
            std::memcpy(out.data() + plan_only.output_offset(i), t.data(), t.size());
        }
        CHECK(out == whole);
    }
    if (print) {
        std::printf("[big] native threads=%d: input %.3f GB -> %.3f GB Q8_0 in %.1f s = %.0f MB/s input; peak RSS %.0f MiB; "
                    "fnv %016llx\n",
                    nthreads, double(model.size()) / 1e9, double(sink.bytes) / 1e9, s, double(model.size()) / 1e6 / s,
                    peak_rss_mib(), (unsigned long long)sink.hash);
        std::fflush(stdout);
    }
}

}  // namespace

TEST_CASE("session: a synthetic model streams through callbacks (small)", "[quantize][session][stream]") {
    SynthLlama s;
    s.n_layer = 2;
    s.n_vocab = 1000;
    stream_synthetic(s, 1, false);
    stream_synthetic(s, 2, false);
}

TEST_CASE("session: a synthetic F32 llama larger than 4 GB streams to Q8_0", "[.big][big]") {
    SynthLlama s;
    s.n_embd = 4096;
    s.n_ff = 11008;
    s.n_layer = 5;
    s.n_head = 32;
    s.n_head_kv = 32;
    s.n_vocab = 32000;
    REQUIRE(SyntheticModel(s).size() > 4'300'000'000ull);
    stream_synthetic(s, 1, true);
    stream_synthetic(s, 2, true);
}
