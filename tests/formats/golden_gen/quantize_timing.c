// quantize_timing: single-thread quantize and dequantize throughput of libggml
// itself (the prebuilt llama.cpp CPU build from npm; scripts/bench-ggml-quantize.sh
// compiles this program against its libggml-base.so), on the same input and
// importance weights as quantlab's tests/bench/bench_formats.cpp, so the two
// print comparable MB/s of float32 data.
//
//   quantize_timing [--mb N] [--imatrix] TYPE...     e.g. iq2_xxs iq2_xs iq2_s q4_K
//
// ggml_quantize_chunk (llama-quantize's call) over rows of 4096 values; the
// lattice maps are built first (ggml_quantize_init) and not timed. Types that
// ggml quantizes only with an importance matrix always get one; --imatrix gives
// it to every type. Best of the runs within at least 0.4 s of CPU time, as
// quantlab's bench.
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"

// Process CPU time: on a shared, busy machine it is disturbed far less than
// wall time (the process is single-threaded).
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// xorshift32, then a uniform float in [0, 1) from the new state.
static float unif(uint32_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float)(*s >> 8) / 16777216.0f;
}

// bench_formats.cpp's bench_input: uniform in [-0.05, 0.05).
static void bench_input(float* x, size_t n) {
    uint32_t s = 12345;
    for (size_t i = 0; i < n; ++i) x[i] = (unif(&s) - 0.5f) * 0.1f;
}

// bench_formats.cpp's bench_imatrix: w = 0.02 + 4 u^4, the golden cases'
// heavy-tailed importance weights.
static void bench_imatrix(float* w, size_t n) {
    uint32_t s = 556;
    for (size_t i = 0; i < n; ++i) {
        const float u = unif(&s);
        w[i] = 0.02f + 4.0f * u * u * u * u;
    }
}

static enum ggml_type type_by_name(const char* name) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char* tn = ggml_type_name((enum ggml_type)t);
        if (tn && strcmp(tn, name) == 0) return (enum ggml_type)t;
    }
    fprintf(stderr, "quantize_timing: unknown type %s\n", name);
    exit(2);
}

int main(int argc, char** argv) {
    size_t mb = 16;
    int all_imatrix = 0;
    int first_type = 1;
    for (; first_type < argc && argv[first_type][0] == '-'; ++first_type) {
        if (!strcmp(argv[first_type], "--mb") && first_type + 1 < argc) mb = (size_t)atol(argv[++first_type]);
        else if (!strcmp(argv[first_type], "--imatrix")) all_imatrix = 1;
        else {
            fprintf(stderr, "usage: quantize_timing [--mb N] [--imatrix] TYPE...\n");
            return 2;
        }
    }
    const int64_t row = 4096;
    const size_t n = mb * 1024 * 1024 / 4 / 256 * 256;
    float* x = malloc(n * sizeof(float));
    float* y = malloc(n * sizeof(float));
    float* w = malloc((size_t)row * sizeof(float));
    uint8_t* q = malloc(n * sizeof(float));
    if (!x || !y || !w || !q) return 1;
    bench_input(x, n);
    bench_imatrix(w, (size_t)row);

    printf("libggml format throughput (native, 1 thread, %zu floats, MB/s of f32 data per CPU second)\n", n);
    printf("%-8s %-8s %12s %12s\n", "type", "imatrix", "quantize", "dequantize");
    for (int a = first_type; a < argc; ++a) {
        const enum ggml_type t = type_by_name(argv[a]);
        const float* im = (all_imatrix || ggml_quantize_requires_imatrix(t)) ? w : NULL;
        ggml_quantize_init(t);
        double best_q = 0, best_d = 0, total = 0;
        for (int runs = 0; total < 0.4 || runs < 2; ++runs) {
            const double t0 = now_s();
            ggml_quantize_chunk(t, x, q, 0, (int64_t)n / row, row, im);
            const double s = now_s() - t0;
            total += s;
            if (n * 4 / 1e6 / s > best_q) best_q = (double)n * 4 / 1e6 / s;
        }
        const struct ggml_type_traits* tr = ggml_get_type_traits(t);
        total = 0;
        for (int runs = 0; total < 0.4 || runs < 2; ++runs) {
            const double t0 = now_s();
            tr->to_float(q, y, (int64_t)n);
            const double s = now_s() - t0;
            total += s;
            if (n * 4 / 1e6 / s > best_d) best_d = (double)n * 4 / 1e6 / s;
        }
        printf("%-8s %-8s %12.1f %12.1f\n", argv[a], im ? "yes" : "no", best_q, best_d);
        fflush(stdout);
    }
    free(x);
    free(y);
    free(w);
    free(q);
    return 0;
}
