// libFuzzer target for the checked tensor API (formats/quantize.h, what
// ql.quantize / dequantize / errorStats call): a random type from the traits
// table (so new formats are covered as soon as they have a row), length, row
// length, importance weights of any length, and values that include NaN, Inf,
// subnormals and extremes. Built with ASan + UBSan. Checked on every input:
//   - the reference and SIMD128 kernels agree: the same error code, or the
//     same bytes, and bit-identical dequantized values (also for arbitrary
//     block bytes);
//   - non-finite input is refused with NonFinite; what quantize returns
//     decodes to finite values (blocks ggml_validate_row_data would accept);
//   - each variant's batched gemm equals its vec_dot bit for bit;
//   - error statistics of the round trip are computed or refused cleanly.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "fuzz_support.h"
#include "formats/quantize.h"
#include "formats/type_traits.h"
#include "stats/error_stats.h"

using namespace quantlab;

namespace {

struct Outcome {
    std::optional<ErrorCode> error;
    std::vector<uint8_t> bytes;
};

Outcome try_quantize(const TypeTraits& t, const std::vector<float>& x, size_t n, size_t out_len,
                     const QuantizeOptions& opt) {
    Outcome o;
    o.bytes.assign(out_len, 0);
    try {
        quantize_into(t, x.data(), n, o.bytes.data(), out_len, opt);
    } catch (const Error& e) {
        o.error = e.code();
    }
    return o;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(a[i]) && std::isnan(b[i])) continue;
        if (std::memcmp(&a[i], &b[i], 4) != 0) return false;
    }
    return true;
}

std::vector<float> dequantize_with(const TypeTraits& t, KernelVariant v, const uint8_t* q, size_t n) {
    std::vector<float> y(n);
    resolve_kernels(t, v).dequantize_row(q, y.data(), int64_t(n));
    return y;
}

float value(FuzzedDataProvider& p, int exponent) {
    switch (p.ConsumeIntegralInRange(0, 15)) {
        case 0: {
            const uint32_t bits = p.ConsumeIntegral<uint32_t>();  // anything, NaN and Inf included
            float f;
            std::memcpy(&f, &bits, 4);
            return f;
        }
        case 1: {
            const float specials[] = {0.0f, -0.0f, 1e-45f, -1e-40f, 1.17549435e-38f, 3.4028235e38f, -3.4028235e38f,
                                      65504.0f, 65520.0f, 1e-8f, NAN, INFINITY, -INFINITY};
            return p.PickValueInArray(specials);
        }
        default:
            return std::ldexp(float(p.ConsumeIntegral<int16_t>()), exponent);
    }
}

void check_gemm(const TypeTraits& t, KernelVariant v, const std::vector<uint8_t>& w, int64_t n_per_row,
                int64_t nrows, FuzzedDataProvider& p) {
    const KernelSet k = resolve_kernels(t, v);
    if (!k.vec_dot || !k.gemm) return;
    const TypeTraits& at = type_traits(t.vec_dot_type);
    const KernelSet ak = resolve_kernels(at, v);
    const int64_t n_tokens = p.ConsumeIntegralInRange<int64_t>(1, 5);
    const size_t a_row = row_size(at, n_per_row), w_row = row_size(t, n_per_row);
    std::vector<float> x(static_cast<size_t>(n_per_row));
    std::vector<uint8_t> a(size_t(n_tokens) * a_row);
    for (int64_t tk = 0; tk < n_tokens; ++tk) {
        for (auto& f : x) f = std::ldexp(float(p.ConsumeIntegral<int8_t>()), -6);
        ak.quantize_row(x.data(), a.data() + size_t(tk) * a_row, n_per_row);
    }
    std::vector<float> y(size_t(nrows * n_tokens));
    k.gemm(n_per_row, w.data(), w_row, nrows, a.data(), a_row, n_tokens, y.data(), size_t(nrows));
    for (int64_t tk = 0; tk < n_tokens; ++tk) {
        for (int64_t r = 0; r < nrows; ++r) {
            const float d = k.vec_dot(n_per_row, w.data() + size_t(r) * w_row, a.data() + size_t(tk) * a_row);
            const float g = y[size_t(tk * nrows + r)];
            FUZZ_CHECK((std::isnan(d) && std::isnan(g)) || std::memcmp(&d, &g, 4) == 0);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider p(data, size);
    const auto& types = all_type_traits();
    const TypeTraits& t = types[p.ConsumeIntegralInRange<size_t>(0, types.size() - 1)];
    const size_t blocks_per_row = p.ConsumeIntegralInRange<size_t>(1, t.block_size > 32 ? 2 : 6);
    const size_t rows = p.ConsumeIntegralInRange<size_t>(1, 4);
    size_t n_per_row = blocks_per_row * size_t(t.block_size);
    size_t n = n_per_row * rows;
    const uint8_t flags = p.ConsumeIntegral<uint8_t>();
    // Mistakes a caller can make, one flag each.
    if (flags & 1) n = p.ConsumeIntegralInRange<size_t>(0, n + 40);
    if (flags & 2) n_per_row = p.ConsumeIntegralInRange<size_t>(0, n + 40);
    const int exponent = p.ConsumeIntegralInRange(-160, 120);

    std::vector<float> x(n + 1);
    bool finite = true;
    for (size_t i = 0; i < n; ++i) {
        x[i] = value(p, exponent);
        finite = finite && std::isfinite(x[i]);
    }
    std::vector<float> w;
    QuantizeOptions opt;
    opt.n_per_row = int64_t(n_per_row);
    if (flags & 4) {
        w.resize((flags & 8) ? p.ConsumeIntegralInRange<size_t>(0, n_per_row + 3) : n_per_row);
        for (auto& v : w) v = (flags & 16) ? value(p, 0) : std::ldexp(float(p.ConsumeIntegral<uint16_t>()), -8);
        opt.imatrix = w.empty() ? nullptr : w.data();
        opt.imatrix_len = w.size();
    }
    size_t out_len = 0;
    try {
        out_len = quantized_size(t, n);
    } catch (const Error& e) {
        FUZZ_CHECK(e.code() == ErrorCode::BadLength);
    }
    if (flags & 32) out_len = p.ConsumeIntegralInRange<size_t>(0, out_len + 8);

    opt.variant = KernelVariant::Ref;
    const Outcome ref = try_quantize(t, x, n, out_len, opt);
    opt.variant = KernelVariant::Simd128;
    const Outcome simd = try_quantize(t, x, n, out_len, opt);
    FUZZ_CHECK(ref.error == simd.error);
    if (ref.error) {
        const ErrorCode c = *ref.error;
        FUZZ_CHECK(c == ErrorCode::BadLength || c == ErrorCode::BufferSize || c == ErrorCode::InvalidArgument ||
                   c == ErrorCode::NonFinite || c == ErrorCode::Unsupported);
    } else {
        FUZZ_CHECK(finite);
        FUZZ_CHECK(ref.bytes == simd.bytes);
        const auto yr = dequantize_with(t, KernelVariant::Ref, ref.bytes.data(), n);
        const auto ys = dequantize_with(t, KernelVariant::Simd128, ref.bytes.data(), n);
        FUZZ_CHECK(same_bits(yr, ys));
        for (const float v : yr) FUZZ_CHECK(std::isfinite(v));
        // The checked dequantize gives the same values.
        FUZZ_CHECK(same_bits(dequantize(t, ref.bytes.data(), ref.bytes.size(), n), ys));
        const size_t row = n_per_row == 0 ? n : n_per_row;
        for (const KernelVariant v : {KernelVariant::Ref, KernelVariant::Simd128}) {
            check_gemm(t, v, ref.bytes, int64_t(row), int64_t(n / row), p);
        }
        const int bins = p.ConsumeIntegralInRange(-1, 70);
        const double range = p.ConsumeBool() ? p.ConsumeFloatingPoint<double>() : 0.0;
        try {
            const ErrorStats s = compute_error_stats(x.data(), yr.data(), n, bins, range);
            FUZZ_CHECK(s.n == n && s.mae >= 0 && s.rmse >= 0);
            uint64_t total = 0;
            for (const auto c : s.histogram.counts) total += c;
            FUZZ_CHECK(bins <= 0 || total == n);
        } catch (const Error& e) {
            FUZZ_CHECK(e.code() == ErrorCode::InvalidArgument || e.code() == ErrorCode::NonFinite);
        }
    }

    // Arbitrary bytes as blocks: both dequantizers read them the same way.
    const std::vector<uint8_t> raw = p.ConsumeRemainingBytes<uint8_t>();
    const size_t raw_blocks = raw.size() / t.type_size;
    if (raw_blocks > 0) {
        const size_t m = raw_blocks * size_t(t.block_size);
        FUZZ_CHECK(same_bits(dequantize_with(t, KernelVariant::Ref, raw.data(), m),
                             dequantize_with(t, KernelVariant::Simd128, raw.data(), m)));
    }
    return 0;
}
