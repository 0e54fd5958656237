// ggml_quantize_bench: libggml's own single-thread quantize and dequantize
// throughput, to compare quantlab's kernels with (docs/benchmarks.md). Linked
// against the prebuilt llama.cpp CPU build from npm by
// scripts/bench-ggml-quantize.sh, like golden_gen.c beside it; only ggml's
// public API is called: ggml_quantize_chunk (llama-quantize's path, one
// thread) and the type traits' to_float.
//
//   ggml_quantize_bench [--mb N] [--seconds S] [--cpu] TYPE...   e.g. iq3_xxs iq3_s q4_K
//
// Input: the same data as quantlab_bench (tests/bench/bench_formats.cpp):
// xorshift32 from 12345, (unif - 0.5) * 0.1, rows of 4096 values. The
// importance matrix: w = 0.02 + 4 u^4 per column (golden_gen's). MB/s of
// float32 data (input for quantize, output for dequantize), best of the runs
// made in S seconds (at least 2); --cpu times by process CPU time (less
// disturbed by other processes on a shared machine), like quantlab_bench --cpu.
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml.h"

static int cpu_time = 0;  // --cpu: process CPU time instead of wall time

static double now_s(void) {
    struct timespec t;
    clock_gettime(cpu_time ? CLOCK_PROCESS_CPUTIME_ID : CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static enum ggml_type type_by_name(const char* name) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char* n = ggml_type_name((enum ggml_type)t);
        if (n && strcasecmp(n, name) == 0 && ggml_get_type_traits((enum ggml_type)t)->blck_size > 0) {
            return (enum ggml_type)t;
        }
    }
    fprintf(stderr, "ggml_quantize_bench: unknown type %s\n", name);
    exit(2);
}

int main(int argc, char** argv) {
    double mb = 4, seconds = 1.0;
    int first = 1;
    while (first < argc && argv[first][0] == '-') {
        if (!strcmp(argv[first], "--mb") && first + 1 < argc) mb = atof(argv[++first]);
        else if (!strcmp(argv[first], "--seconds") && first + 1 < argc) seconds = atof(argv[++first]);
        else if (!strcmp(argv[first], "--cpu")) cpu_time = 1;
        else break;
        ++first;
    }
    const int64_t n_per_row = 4096;
    const int64_t nrows = (int64_t)(mb * 1024 * 1024 / 4) / n_per_row > 0 ? (int64_t)(mb * 1024 * 1024 / 4) / n_per_row : 1;
    const int64_t n = nrows * n_per_row;
    float* x = malloc((size_t)n * sizeof(float));
    float* y = malloc((size_t)n * sizeof(float));
    float* imatrix = malloc((size_t)n_per_row * sizeof(float));
    uint8_t* q = malloc((size_t)n * 4);
    uint32_t s = 12345;
    for (int64_t i = 0; i < n; ++i) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.1f;
    }
    s = 556;
    for (int64_t i = 0; i < n_per_row; ++i) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        const double u = (double)(s >> 8) / 16777216.0;
        imatrix[i] = (float)(0.02 + 4 * u * u * u * u);
    }
    printf("libggml (prebuilt) throughput, 1 thread, %lld floats in rows of %lld, MB/s of f32 data per %s second\n",
           (long long)n, (long long)n_per_row, cpu_time ? "CPU" : "wall");
    printf("%-8s %10s %14s %12s %10s\n", "type", "quantize", "quantize+imat", "dequantize", "init ms");
    for (int a = first; a < argc; ++a) {
        const enum ggml_type t = type_by_name(argv[a]);
        const double t0 = now_s();
        ggml_quantize_init(t);  // lattice maps of the i-quants: once per process
        const double init_ms = 1e3 * (now_s() - t0);
        double best[3] = {0, 0, 0};
        for (int mode = 0; mode < 3; ++mode) {
            if (mode == 0 && ggml_quantize_requires_imatrix(t)) continue;
            double total = 0;
            int runs = 0;
            while (total < seconds || runs < 2) {
                const double s0 = now_s();
                if (mode < 2) {
                    ggml_quantize_chunk(t, x, q, 0, nrows, n_per_row, mode == 1 ? imatrix : NULL);
                } else {
                    ggml_get_type_traits(t)->to_float(q, y, n);
                }
                const double dt = now_s() - s0;
                total += dt;
                ++runs;
                const double r = (double)n * 4 / 1e6 / dt;
                if (r > best[mode]) best[mode] = r;
            }
        }
        printf("%-8s %10.2f %14.2f %12.1f %10.1f\n", ggml_type_name(t), best[0], best[1], best[2], init_ms);
        fflush(stdout);
    }
    free(x);
    free(y);
    free(imatrix);
    free(q);
    return 0;
}
