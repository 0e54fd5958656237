// Every backward op against central finite differences. Each op's output is
// reduced to a scalar L = sum(y * R) with fixed random R, so dL/dy = R and the
// analytic input gradient must match (L(x + h) - L(x - h)) / 2h. The forward
// ops run in float; L is accumulated in double and h is large enough (1e-2)
// that float rounding stays far below the tolerance.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>
#include <vector>

#include "support/test_support.h"
#include "train/backward_ops.h"
#include "train/gemm.h"
#include "parallel/thread_pool.h"

using namespace quantlab;
using namespace quantlab::train_ops;
using quantlab::test::random_floats;

namespace {

double weighted_sum(const std::vector<float>& y, const std::vector<float>& r) {
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * double(r[i]);
    return s;
}

// Checks analytic[i] against the central difference of loss() in x[i].
void check_gradient(std::vector<float>& x, const std::vector<float>& analytic, const std::function<double()>& loss,
                    double h = 1e-2, double rel_tol = 2e-2, double abs_tol = 2e-3) {
    REQUIRE(x.size() == analytic.size());
    double max_g = 0.0;
    for (float g : analytic) max_g = std::max(max_g, double(std::fabs(g)));
    for (size_t i = 0; i < x.size(); ++i) {
        const float saved = x[i];
        x[i] = saved + float(h);
        const double lp = loss();
        x[i] = saved - float(h);
        const double lm = loss();
        x[i] = saved;
        const double fd = (lp - lm) / (2.0 * h);
        INFO("element " << i << " analytic " << analytic[i] << " numeric " << fd);
        CHECK(std::fabs(fd - double(analytic[i])) <= abs_tol + rel_tol * std::max(std::fabs(fd), 0.05 * max_g));
    }
}

}  // namespace

TEST_CASE("rmsnorm backward matches finite differences", "[train][ops]") {
    const int64_t rows = 3, n = 16;
    auto x = random_floats(size_t(rows * n), 11);
    auto w = random_floats(size_t(n), 12);
    for (auto& v : w) v += 1.0f;
    const auto R = random_floats(size_t(rows * n), 13);
    std::vector<float> y(x.size()), rstd(static_cast<size_t>(rows));
    auto loss = [&] {
        rmsnorm_forward(x.data(), w.data(), y.data(), rstd.data(), rows, n, 1e-5f);
        return weighted_sum(y, R);
    };
    loss();
    std::vector<float> dx(x.size(), 0.5f), dw(static_cast<size_t>(n));
    rmsnorm_backward(x.data(), w.data(), rstd.data(), R.data(), dx.data(), dw.data(), rows, n, false);
    check_gradient(x, dx, loss);
    check_gradient(w, dw, loss);

    // accumulate=true adds to what is there.
    std::vector<float> dx2(x.size(), 0.5f), dw2(static_cast<size_t>(n));
    rmsnorm_backward(x.data(), w.data(), rstd.data(), R.data(), dx2.data(), dw2.data(), rows, n, true);
    for (size_t i = 0; i < dx.size(); ++i) CHECK(dx2[i] == Approx(dx[i] + 0.5f).margin(1e-6));
}

TEST_CASE("rope backward is the transposed rotation", "[train][ops]") {
    const int64_t n_head = 3, D = 8, n_ctx = 40;
    const RopeTable table(n_ctx, D, 10000.0f);
    for (int64_t pos : {0, 1, 7, 39}) {
        auto x = random_floats(size_t(n_head * D), 20 + uint32_t(pos));
        const auto R = random_floats(x.size(), 30 + uint32_t(pos));
        std::vector<float> y;
        auto loss = [&] {
            y = x;
            rope_forward(y.data(), n_head, D, table, pos);
            return weighted_sum(y, R);
        };
        auto dx = R;
        rope_backward(dx.data(), n_head, D, table, pos);
        check_gradient(x, dx, loss);
        // A rotation keeps the norm.
        loss();
        double nx = 0, ny = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            nx += double(x[i]) * x[i];
            ny += double(y[i]) * y[i];
        }
        CHECK(ny == Approx(nx).epsilon(1e-5));
    }
}

TEST_CASE("attention backward matches finite differences, causal mask included", "[train][ops]") {
    const int64_t T = 70, D = 4;  // T > 64 exercises two query blocks
    const float scale = 1.0f / std::sqrt(float(D));
    auto q = random_floats(size_t(T * D), 41);
    auto k = random_floats(size_t(T * D), 42);
    auto v = random_floats(size_t(T * D), 43);
    const auto R = random_floats(size_t(T * D), 44);
    std::vector<float> P(size_t(T * T)), out(size_t(T * D));
    auto loss = [&] {
        attention_forward(q.data(), k.data(), v.data(), T, D, scale, P.data(), out.data());
        return weighted_sum(out, R);
    };
    loss();
    // Row t attends to 0..t only, with probabilities summing to one.
    for (int64_t t = 0; t < T; t += 13) {
        double s = 0;
        for (int64_t j = 0; j <= t; ++j) s += P[size_t(t * T + j)];
        CHECK(s == Approx(1.0).epsilon(1e-5));
    }
    // The output at t does not depend on later keys or values.
    {
        const auto before = out;
        const float saved = v[size_t(50 * D)];
        v[size_t(50 * D)] += 3.0f;
        loss();
        for (int64_t t = 0; t < 50; ++t) CHECK(out[size_t(t * D)] == before[size_t(t * D)]);
        CHECK(out[size_t(60 * D)] != before[size_t(60 * D)]);
        v[size_t(50 * D)] = saved;
        loss();
    }
    std::vector<float> dq(q.size()), dk(k.size(), 0.0f), dv(v.size(), 0.0f);
    std::vector<float> scratch(size_t(attention_scratch_floats(T)));
    attention_backward(q.data(), k.data(), v.data(), P.data(), R.data(), T, D, scale, dq.data(), dk.data(), dv.data(),
                       scratch.data());
    check_gradient(q, dq, loss);
    check_gradient(k, dk, loss);
    check_gradient(v, dv, loss);
}

TEST_CASE("grouped-query heads accumulate into the shared key/value gradient", "[train][ops]") {
    // Two query heads on one key/value head: the loss is the sum of both heads'.
    const int64_t T = 9, D = 4;
    const float scale = 0.5f;
    auto q1 = random_floats(size_t(T * D), 51), q2 = random_floats(size_t(T * D), 52);
    auto k = random_floats(size_t(T * D), 53), v = random_floats(size_t(T * D), 54);
    const auto R1 = random_floats(size_t(T * D), 55), R2 = random_floats(size_t(T * D), 56);
    std::vector<float> P1(size_t(T * T)), P2(size_t(T * T)), o1(size_t(T * D)), o2(size_t(T * D));
    auto loss = [&] {
        attention_forward(q1.data(), k.data(), v.data(), T, D, scale, P1.data(), o1.data());
        attention_forward(q2.data(), k.data(), v.data(), T, D, scale, P2.data(), o2.data());
        return weighted_sum(o1, R1) + weighted_sum(o2, R2);
    };
    loss();
    std::vector<float> dq(q1.size()), dk(k.size(), 0.0f), dv(v.size(), 0.0f);
    std::vector<float> scratch(size_t(attention_scratch_floats(T)));
    attention_backward(q1.data(), k.data(), v.data(), P1.data(), R1.data(), T, D, scale, dq.data(), dk.data(),
                       dv.data(), scratch.data());
    attention_backward(q2.data(), k.data(), v.data(), P2.data(), R2.data(), T, D, scale, dq.data(), dk.data(),
                       dv.data(), scratch.data());
    check_gradient(k, dk, loss);
    check_gradient(v, dv, loss);
}

TEST_CASE("swiglu backward matches finite differences", "[train][ops]") {
    const int64_t n = 40;
    auto g = random_floats(size_t(n), 61, 4.0f);
    auto u = random_floats(size_t(n), 62, 2.0f);
    const auto R = random_floats(size_t(n), 63);
    std::vector<float> h(static_cast<size_t>(n));
    auto loss = [&] {
        swiglu_forward(g.data(), u.data(), h.data(), n);
        return weighted_sum(h, R);
    };
    std::vector<float> dg(static_cast<size_t>(n)), du(static_cast<size_t>(n));
    swiglu_backward(g.data(), u.data(), R.data(), dg.data(), du.data(), n);
    check_gradient(g, dg, loss, 1e-3);
    check_gradient(u, du, loss, 1e-3);
}

TEST_CASE("cross-entropy gradient is softmax minus one-hot", "[train][ops]") {
    const int64_t V = 37;
    auto logits = random_floats(size_t(V), 71, 3.0f);
    const int32_t target = 5;
    std::vector<float> d(static_cast<size_t>(V));
    auto loss = [&] { return double(cross_entropy(logits.data(), V, target, 1.0f, d.data())); };
    const double l = loss();
    // Reference loss in double.
    double m = -1e30, s = 0;
    for (float x : logits) m = std::max(m, double(x));
    for (float x : logits) s += std::exp(double(x) - m);
    CHECK(l == Approx(std::log(s) + m - logits[target]).epsilon(1e-5));
    std::vector<float> grad(static_cast<size_t>(V));
    cross_entropy(logits.data(), V, target, 1.0f, grad.data());
    double sum = 0;
    for (float x : grad) sum += x;
    CHECK(std::fabs(sum) < 1e-5);
    check_gradient(logits, grad, loss, 1e-2, 2e-2, 1e-3);
    // grad_scale multiplies the gradient.
    std::vector<float> half(static_cast<size_t>(V));
    cross_entropy(logits.data(), V, target, 0.5f, half.data());
    for (int64_t i = 0; i < V; ++i) CHECK(half[size_t(i)] == Approx(0.5f * grad[size_t(i)]).margin(1e-7));
}

TEST_CASE("embedding backward adds rows in token order", "[train][ops]") {
    const int64_t V = 6, dim = 5, n = 7;
    auto table = random_floats(size_t(V * dim), 81);
    const std::vector<int32_t> ids = {3, 1, 3, 0, 5, 3, 1};
    const auto R = random_floats(size_t(n * dim), 82);
    std::vector<float> out(size_t(n * dim));
    auto loss = [&] {
        embedding_forward(table.data(), ids.data(), n, dim, out.data());
        return weighted_sum(out, R);
    };
    loss();
    for (int64_t t = 0; t < n; ++t)
        for (int64_t c = 0; c < dim; ++c) CHECK(out[size_t(t * dim + c)] == table[size_t(ids[size_t(t)] * dim + c)]);
    std::vector<float> dtab(table.size(), 0.0f);
    embedding_backward(ids.data(), R.data(), n, dim, 0, 2, dtab.data());
    embedding_backward(ids.data(), R.data(), n, dim, 2, dim, dtab.data());
    check_gradient(table, dtab, loss);
}

TEST_CASE("sgemm matches a double-precision reference in every layout", "[train][ops]") {
    ThreadPool pool(1);
    for (bool ta : {false, true}) {
        for (bool tb : {false, true}) {
            for (auto dims : {std::vector<int64_t>{1, 1, 1}, {7, 19, 5}, {37, 70, 300}, {100, 33, 17}}) {
                const int64_t M = dims[0], N = dims[1], K = dims[2];
                const auto A = random_floats(size_t(M * K), 91);
                const auto B = random_floats(size_t(K * N), 92);
                const int64_t lda = ta ? M : K, ldb = tb ? K : N, ldc = N + 3;
                for (float beta : {0.0f, 1.0f}) {
                    auto C = random_floats(size_t(M * ldc), 93);
                    const auto C0 = C;
                    sgemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, beta, C.data(), ldc, pool);
                    auto Cs = C0;
                    sgemm_serial(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, beta, Cs.data(), ldc);
                    for (int64_t i = 0; i < M; ++i) {
                        for (int64_t j = 0; j < N; ++j) {
                            double ref = beta != 0.0f ? C0[size_t(i * ldc + j)] : 0.0;
                            for (int64_t p = 0; p < K; ++p) {
                                const double a = ta ? A[size_t(p * lda + i)] : A[size_t(i * lda + p)];
                                const double b = tb ? B[size_t(j * ldb + p)] : B[size_t(p * ldb + j)];
                                ref += a * b;
                            }
                            INFO("ta " << ta << " tb " << tb << " " << M << "x" << N << "x" << K << " at " << i << ","
                                       << j);
                            CHECK(C[size_t(i * ldc + j)] == Approx(ref).margin(1e-4 * std::sqrt(double(K))));
                            CHECK(Cs[size_t(i * ldc + j)] == C[size_t(i * ldc + j)]);
                        }
                        // Padding columns beyond N are untouched.
                        for (int64_t j = N; j < ldc; ++j) CHECK(C[size_t(i * ldc + j)] == C0[size_t(i * ldc + j)]);
                    }
                }
            }
        }
    }
}

#ifndef __EMSCRIPTEN__
TEST_CASE("sgemm results do not depend on the number of threads", "[train][ops]") {
    const int64_t M = 301, N = 257, K = 530;
    const auto A = random_floats(size_t(M * K), 101);
    const auto B = random_floats(size_t(K * N), 102);
    std::vector<float> c1(size_t(M * N)), c3(size_t(M * N));
    ThreadPool p1(1), p3(3);
    sgemm(false, true, M, N, K, A.data(), K, B.data(), K, 0.0f, c1.data(), N, p1);
    sgemm(false, true, M, N, K, A.data(), K, B.data(), K, 0.0f, c3.data(), N, p3);
    CHECK(c1 == c3);
}
#endif

TEST_CASE("matmul backward (the products the graph uses) matches finite differences", "[train][ops]") {
    // y = x W^T with W [n_out][n_in] as ggml stores it; dx = dy W, dW = dy^T x.
    ThreadPool pool(1);
    const int64_t n = 5, n_in = 9, n_out = 7;
    auto x = random_floats(size_t(n * n_in), 111);
    auto W = random_floats(size_t(n_out * n_in), 112);
    const auto R = random_floats(size_t(n * n_out), 113);
    std::vector<float> y(size_t(n * n_out));
    auto loss = [&] {
        sgemm(false, true, n, n_out, n_in, x.data(), n_in, W.data(), n_in, 0.0f, y.data(), n_out, pool);
        return weighted_sum(y, R);
    };
    std::vector<float> dx(x.size()), dW(W.size());
    sgemm(false, false, n, n_in, n_out, R.data(), n_out, W.data(), n_in, 0.0f, dx.data(), n_in, pool);
    sgemm(true, false, n_out, n_in, n, R.data(), n_out, x.data(), n_in, 0.0f, dW.data(), n_in, pool);
    check_gradient(x, dx, loss);
    check_gradient(W, dW, loss);
}

TEST_CASE("cross-entropy may write its gradient over the logits", "[train][ops]") {
    auto logits = random_floats(50, 121, 2.0f);
    std::vector<float> grad(50);
    const float separate = cross_entropy(logits.data(), 50, 7, 1.0f, grad.data());
    const float in_place = cross_entropy(logits.data(), 50, 7, 1.0f, logits.data());
    CHECK(in_place == separate);
    CHECK(logits == grad);
}
