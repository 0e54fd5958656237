// golden_gen: golden vectors and format tables for the i-quant, ternary and
// MXFP4 formats, produced by libggml itself: the prebuilt llama.cpp CPU build
// from npm (scripts/golden-ggml.sh installs it, compiles this program against
// its libggml-base.so and runs it). Only ggml's public API is called:
// ggml_quantize_chunk (llama-quantize's path), the type traits' to_float and
// from_float_ref, ggml_quantize_init / ggml_quantize_requires_imatrix. The one
// exception is `lattices`, which reads the neighbour maps ggml builds at init
// from its private iq2_data / iq3_data arrays, located through the symbol
// table of the (unstripped) library.
//
//   golden_gen check-shared DIR   same inputs and same bytes as DIR (../shared/golden) for its 13 types?
//   golden_gen cases OUT          OUT/<TYPE>/<case>.{in.f32,imatrix.f32,q.bin,deq.f32} + OUT/MANIFEST.txt lines
//   golden_gen tables OUT         OUT/tables/*: every lattice grid and sign table entry read back
//                                 through ggml's to_float from crafted blocks, and how MXFP4's
//                                 quantizer rounds log2 just below powers of two
//   golden_gen bench [MB [TYPE]]  libggml's quantize / dequantize speed for those types
//   golden_gen lattices OUT.txt RAW_DIR IQ2_DATA_OFF IQ3_DATA_OFF
//                                 digests and samples of ggml's kmap / kneighbors for every grid in
//                                 OUT.txt, the raw arrays in RAW_DIR (offsets of the two static
//                                 arrays inside libggml-base.so, from nm)
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ggml.h"

// ---------------------------------------------------------------- small helpers

static void die(const char* fmt, const char* a) {
    fprintf(stderr, "golden_gen: ");
    fprintf(stderr, fmt, a);
    fprintf(stderr, "\n");
    exit(1);
}

static void make_dir(const char* path) {
    if (mkdir(path, 0755) != 0 && errno != EEXIST) die("cannot create %s", path);
}

static void write_file(const char* path, const void* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) die("cannot write %s", path);
}

// Whole file into a malloc'd buffer; NULL when missing.
static uint8_t* read_file(const char* path, size_t* n) {
    FILE* f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t* p = malloc(*n + 1);
    if (fread(p, 1, *n, f) != *n) die("cannot read %s", path);
    fclose(f);
    return p;
}

// Q8_K, an activation format, has no entries in ggml's public type traits;
// libggml-base exports its row functions (declared in ggml-quants.h).
void quantize_row_q8_K_ref(const float* x, void* y, int64_t k);
void dequantize_row_q8_K(const void* x, float* y, int64_t k);

static void to_float(enum ggml_type t, const void* q, float* y, int64_t n) {
    if (t == GGML_TYPE_Q8_K) {
        dequantize_row_q8_K(q, y, n);
        return;
    }
    ggml_get_type_traits(t)->to_float(q, y, n);
}

static void put_u16(uint8_t* p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

// ---------------------------------------------------------------- inputs
// The PRNG and the five cases of ../shared/golden/README.md (values computed in
// double, then cast to float), and the cases added for the new formats.

static uint32_t rng;
static double unif(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return (double)(rng >> 8) / 16777216.0;
}
static double gauss4(void) { return unif() + unif() + unif() + unif() - 2.0; }

typedef struct {
    const char* name;
    int64_t n;          // values
    int64_t n_per_row;  // row length; n / n_per_row rows
    int row_by_row;     // quantize with one ggml_quantize_chunk call per row (start = r * n_per_row)
    uint32_t imatrix_seed;
    float* x;
} Case;

static float* gen_prng(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 42;
    for (int64_t i = 0; i < n; ++i) x[i] = (float)((unif() - 0.5) * 0.1);
    return x;
}

static float* gen_gauss_outliers(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 1234;
    for (int64_t i = 0; i < n; ++i) x[i] = (float)(gauss4() * 0.05);
    x[5] = 1.5f; x[77] = -2.0f; x[300] = 0.75f; x[1023] = -1.25f;
    x[1024] = 3.0f; x[2047] = -0.9f; x[3000] = 2.5f; x[4095] = -3.5f;
    return x;
}

static float* gen_fill(int64_t n, float v) {
    float* x = malloc(sizeof(float) * n);
    for (int64_t i = 0; i < n; ++i) x[i] = v;
    return x;
}

static float* gen_large(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    for (int64_t i = 0; i < n; ++i) x[i] = (float)((i % 2 ? -1.0 : 1.0) * 6e4 * (1.0 - (double)(i % 16) / 32.0));
    return x;
}

// One block (block values): a bell-shaped row with a few larger values.
static float* gen_tiny(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 7;
    for (int64_t i = 0; i < n; ++i) x[i] = (float)(gauss4() * (i % 11 == 3 ? 0.8 : 0.2));
    return x;
}

// 768 values: a block of float32 subnormals (|x| < 2e-39), a block whose
// scales fall in fp16's subnormal range (|x| ~ 1e-6), a normal block with
// sprinkled subnormals and signed zeros.
static float* gen_subnormal(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 4040;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t part = i * 3 / n;
        const double u = unif() - 0.5;
        if (part == 0) x[i] = (float)(u * 4e-39);
        else if (part == 1) x[i] = (float)(u * 4e-6);
        else x[i] = i % 5 == 0 ? (float)(u * 1e-40) : i % 7 == 0 ? (i % 2 ? -0.0f : 0.0f) : (float)(u * 0.04);
    }
    return x;
}

// 2048 values: small bell-shaped noise with an outlier every 13 values
// (50x to 400x, both signs) and one block that is half huge, half small.
static float* gen_outliers(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 99;
    for (int64_t i = 0; i < n; ++i) {
        x[i] = (float)(gauss4() * 0.02);
        if (i % 13 == 5) x[i] = (float)((unif() < 0.5 ? -1.0 : 1.0) * (1.0 + 7.0 * unif()));
        if (i >= 768 && i < 1024 && i % 2 == 0) x[i] = (float)((unif() - 0.5) * 40.0);
    }
    return x;
}

// 4 rows of 512: bell-shaped, uniform, zeros with one outlier, bell-shaped with outliers.
static float* gen_multirow(int64_t n) {
    float* x = malloc(sizeof(float) * n);
    rng = 5;
    const int64_t m = n / 4;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t r = i / m;
        const double g = gauss4(), u = unif();
        if (r == 0) x[i] = (float)(g * 0.02);
        else if (r == 1) x[i] = (float)((u - 0.5) * 2.0);
        else if (r == 2) x[i] = (i == 2 * m + 100) ? -0.5f : 0.0f;
        else x[i] = (float)(i % 17 == 0 ? (u - 0.5) * 20.0 : g * 0.05);
    }
    return x;
}

// Importance weights, one per column: positive and heavy-tailed like the mean
// squared activations llama-imatrix collects.
static float* gen_imatrix(int64_t n_per_row, uint32_t seed) {
    float* w = malloc(sizeof(float) * n_per_row);
    rng = seed;
    for (int64_t i = 0; i < n_per_row; ++i) {
        const double u = unif();
        w[i] = (float)(0.02 + 4.0 * u * u * u * u);
    }
    return w;
}

// The cases for a type whose block has `bs` values.
static int make_cases(Case* c, int64_t bs) {
    int k = 0;
    c[k++] = (Case){"prng", 4096, 4096, 0, 556u, gen_prng(4096)};
    c[k++] = (Case){"gauss_outliers", 4096, 4096, 0, 557u, gen_gauss_outliers(4096)};
    c[k++] = (Case){"zeros", 1024, 1024, 0, 558u, gen_fill(1024, 0.0f)};
    c[k++] = (Case){"const", 1024, 1024, 0, 559u, gen_fill(1024, 0.25f)};
    c[k++] = (Case){"large", 1024, 1024, 0, 560u, gen_large(1024)};
    c[k++] = (Case){"tiny", bs, bs, 0, 561u, gen_tiny(bs)};
    c[k++] = (Case){"subnormal", 768, 768, 0, 562u, gen_subnormal(768)};
    c[k++] = (Case){"outliers", 2048, 2048, 0, 563u, gen_outliers(2048)};
    c[k++] = (Case){"multirow", 2048, 512, 0, 600u, gen_multirow(2048)};
    c[k++] = (Case){"rowwise", 2048, 512, 1, 600u, gen_multirow(2048)};
    return k;
}

// Quantize a case as llama-quantize does: ggml_quantize_chunk over all rows at
// once, or one call per row (a threaded quantizer's split).
static size_t quantize_case(enum ggml_type t, const Case* c, const float* imatrix, uint8_t* q) {
    const int64_t nrows = c->n / c->n_per_row;
    if (!c->row_by_row) return ggml_quantize_chunk(t, c->x, q, 0, nrows, c->n_per_row, imatrix);
    size_t total = 0;
    for (int64_t r = 0; r < nrows; ++r) total += ggml_quantize_chunk(t, c->x, q, r * c->n_per_row, 1, c->n_per_row, imatrix);
    return total;
}

static void error_stats(const float* x, const float* y, int64_t n, double* max_err, double* rms) {
    double m = 0, s = 0;
    for (int64_t i = 0; i < n; ++i) {
        const double e = fabs((double)x[i] - (double)y[i]);
        if (e > m) m = e;
        s += e * e;
    }
    *max_err = m;
    *rms = sqrt(s / (double)n);
}

// ---------------------------------------------------------------- check-shared

typedef struct { const char* dir; enum ggml_type type; } NamedType;

static const NamedType shared_types[] = {
    {"Q4_0", GGML_TYPE_Q4_0}, {"Q4_1", GGML_TYPE_Q4_1}, {"Q5_0", GGML_TYPE_Q5_0}, {"Q5_1", GGML_TYPE_Q5_1},
    {"Q8_0", GGML_TYPE_Q8_0}, {"Q2_K", GGML_TYPE_Q2_K}, {"Q3_K", GGML_TYPE_Q3_K}, {"Q4_K", GGML_TYPE_Q4_K},
    {"Q5_K", GGML_TYPE_Q5_K}, {"Q6_K", GGML_TYPE_Q6_K}, {"Q8_K", GGML_TYPE_Q8_K}, {"IQ4_NL", GGML_TYPE_IQ4_NL},
    {"IQ4_XS", GGML_TYPE_IQ4_XS},
};

static int same_file(const char* path, const void* data, size_t n) {
    size_t m = 0;
    uint8_t* p = read_file(path, &m);
    const int same = p && m == n && memcmp(p, data, n) == 0;
    free(p);
    return same;
}

static int check_shared(const char* dir) {
    int files = 0, bad = 0;
    for (size_t ti = 0; ti < sizeof shared_types / sizeof shared_types[0]; ++ti) {
        const NamedType nt = shared_types[ti];
        Case cases[16];
        const int nc = make_cases(cases, ggml_blck_size(nt.type));
        for (int ci = 0; ci < 5; ++ci) {  // the five shared cases come first
            const Case* c = &cases[ci];
            char path[1024];
            const size_t qn = ggml_row_size(nt.type, c->n);
            uint8_t* q = malloc(qn);
            float* y = malloc(sizeof(float) * c->n);
            // ggml leaves an all-zero Q8_K block's sums unwritten; ../shared/golden has them zero.
            memset(q, 0, qn);
            if (nt.type == GGML_TYPE_Q8_K) {
                quantize_row_q8_K_ref(c->x, q, c->n);  // activation format: no chunk path
            } else {
                ggml_quantize_chunk(nt.type, c->x, q, 0, 1, c->n, NULL);
            }
            to_float(nt.type, q, y, c->n);
            const char* ext[3] = {"in.f32", "q.bin", "deq.f32"};
            const void* data[3] = {c->x, q, y};
            const size_t len[3] = {sizeof(float) * c->n, qn, sizeof(float) * c->n};
            for (int e = 0; e < 3; ++e) {
                snprintf(path, sizeof path, "%s/%s/%s.%s", dir, nt.dir, c->name, ext[e]);
                ++files;
                if (!same_file(path, data[e], len[e])) {
                    ++bad;
                    fprintf(stderr, "check-shared: %s differs\n", path);
                }
            }
            free(q);
            free(y);
        }
        for (int ci = 0; ci < nc; ++ci) free(cases[ci].x);
    }
    printf("check-shared: %d of %d files of %s equal what this libggml writes\n", files - bad, files, dir);
    return bad == 0 ? 0 : 1;
}

// ---------------------------------------------------------------- cases

static const NamedType new_types[] = {
    {"IQ2_XXS", GGML_TYPE_IQ2_XXS}, {"IQ2_XS", GGML_TYPE_IQ2_XS}, {"IQ2_S", GGML_TYPE_IQ2_S},
    {"IQ3_XXS", GGML_TYPE_IQ3_XXS}, {"IQ3_S", GGML_TYPE_IQ3_S},   {"IQ1_S", GGML_TYPE_IQ1_S},
    {"IQ1_M", GGML_TYPE_IQ1_M},     {"TQ1_0", GGML_TYPE_TQ1_0},   {"TQ2_0", GGML_TYPE_TQ2_0},
    {"MXFP4", GGML_TYPE_MXFP4},
};

static void write_cases(const char* out) {
    char path[1024];
    snprintf(path, sizeof path, "%s/MANIFEST.txt", out);
    FILE* manifest = fopen(path, "w");
    if (!manifest) die("cannot write %s", path);
    fprintf(manifest, "# type case n n_per_row imatrix quantized_bytes max_abs_error rms_error\n");
    for (size_t ti = 0; ti < sizeof new_types / sizeof new_types[0]; ++ti) {
        const NamedType nt = new_types[ti];
        snprintf(path, sizeof path, "%s/%s", out, nt.dir);
        make_dir(path);
        Case cases[16];
        const int nc = make_cases(cases, ggml_blck_size(nt.type));
        const int needs_imatrix = ggml_quantize_requires_imatrix(nt.type);
        uint8_t* multirow_q[2] = {NULL, NULL};
        for (int ci = 0; ci < nc; ++ci) {
            const Case* c = &cases[ci];
            for (int with_imatrix = needs_imatrix; with_imatrix <= 1; ++with_imatrix) {
                char name[128];
                snprintf(name, sizeof name, "%s%s", c->name, with_imatrix ? "_imatrix" : "");
                float* w = with_imatrix ? gen_imatrix(c->n_per_row, c->imatrix_seed) : NULL;
                const size_t qn = ggml_row_size(nt.type, c->n);
                uint8_t* q = malloc(qn);
                memset(q, 0xEE, qn);
                float* y = malloc(sizeof(float) * c->n);
                if (quantize_case(nt.type, c, w, q) != qn) die("%s: ggml_quantize_chunk returned a wrong size", name);
                to_float(nt.type, q, y, c->n);
                // A tensor split row by row must give the bytes of the one-call quantization.
                if (strcmp(c->name, "multirow") == 0) {
                    multirow_q[with_imatrix] = malloc(qn);
                    memcpy(multirow_q[with_imatrix], q, qn);
                }
                if (strcmp(c->name, "rowwise") == 0 && memcmp(multirow_q[with_imatrix], q, qn) != 0) {
                    die("%s: row-by-row quantization differs from the one-call bytes", nt.dir);
                }
                snprintf(path, sizeof path, "%s/%s/%s.in.f32", out, nt.dir, name);
                write_file(path, c->x, sizeof(float) * c->n);
                if (w) {
                    snprintf(path, sizeof path, "%s/%s/%s.imatrix.f32", out, nt.dir, name);
                    write_file(path, w, sizeof(float) * c->n_per_row);
                }
                snprintf(path, sizeof path, "%s/%s/%s.q.bin", out, nt.dir, name);
                write_file(path, q, qn);
                snprintf(path, sizeof path, "%s/%s/%s.deq.f32", out, nt.dir, name);
                write_file(path, y, sizeof(float) * c->n);
                double max_err, rms;
                error_stats(c->x, y, c->n, &max_err, &rms);
                fprintf(manifest, "%s %s %lld %lld %s %zu %g %g\n", nt.dir, name, (long long)c->n,
                        (long long)c->n_per_row, w ? "yes" : "no", qn, max_err, rms);
                free(q);
                free(y);
                free(w);
            }
        }
        free(multirow_q[0]);
        free(multirow_q[1]);
        for (int ci = 0; ci < nc; ++ci) free(cases[ci].x);
    }
    fclose(manifest);
}

// ---------------------------------------------------------------- tables
// Every entry of a grid is read back by dequantizing blocks that address it
// with a known scale, so the values ggml's to_float produces are exact small
// multiples of the grid bytes.

static const uint16_t kHalfOne = 0x3C00;  // 1.0 in fp16

// The decoded value v must be exactly scale * (an integer in [lo, hi]).
static int exact_level(float v, float scale, int lo, int hi, const char* what) {
    const float l = v / scale;
    if (l != floorf(l) || l < (float)lo || l > (float)hi) die("%s: a decoded value is not on the grid", what);
    return (int)l;
}

// Where a block keeps the grid index of group `slot` (all six formats start
// with their fp16 scale d, set to 1.0; every other field stays 0).
typedef void (*PlaceFn)(uint8_t* block, int slot, int index);

static void place_iq2xxs(uint8_t* b, int s, int idx) { b[2 + 8 * (s / 4) + s % 4] = (uint8_t)idx; }
static void place_iq2xs(uint8_t* b, int s, int idx) { put_u16(b + 2 + 2 * s, (uint16_t)idx); }
static void place_iq2s(uint8_t* b, int s, int idx) {
    b[2 + s] = (uint8_t)(idx & 255);
    b[66 + s / 4] |= (uint8_t)((idx >> 8) << (2 * (s % 4)));
}
static void place_iq3xxs(uint8_t* b, int s, int idx) { b[2 + s] = (uint8_t)idx; }
static void place_iq3s(uint8_t* b, int s, int idx) {
    b[2 + s] = (uint8_t)(idx & 255);
    b[66 + s / 8] |= (uint8_t)((idx >> 8) << (s % 8));
}
static void place_iq1s(uint8_t* b, int s, int idx) {
    b[2 + s] = (uint8_t)(idx & 255);
    uint16_t qh;
    memcpy(&qh, b + 34 + 2 * (s / 4), 2);
    qh |= (uint16_t)((idx >> 8) << (3 * (s % 4)));
    put_u16(b + 34 + 2 * (s / 4), qh);
}

// Reads all `entries` points of a grid of `dims` coordinates (256 / dims
// groups per block): each decoded value minus `offset` must be `scale` times
// a byte in [lo, hi]. Writes the table's bytes (entry after entry) to path.
static void read_grid(const char* path, enum ggml_type t, int entries, int dims, PlaceFn place, float scale,
                      float offset, int lo, int hi) {
    const int slots = 256 / dims;
    const size_t block_bytes = ggml_type_size(t);
    uint8_t* table = malloc((size_t)entries * (size_t)dims);
    uint8_t* b = malloc(block_bytes);
    float y[256];
    for (int first = 0; first < entries; first += slots) {
        memset(b, 0, block_bytes);
        put_u16(b, kHalfOne);
        for (int s = 0; s < slots; ++s) place(b, s, first + s);
        to_float(t, b, y, 256);
        for (int v = 0; v < 256; ++v) {
            table[(size_t)first * (size_t)dims + (size_t)v] = (uint8_t)(int8_t)exact_level(y[v] - offset, scale, lo, hi, path);
        }
    }
    write_file(path, table, (size_t)entries * (size_t)dims);
    free(b);
    free(table);
}

static void dump_tables(const char* out) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tables", out);
    make_dir(path);
    float y[256];

    // The grids. Sub-block scale fields 0 give db = 0.125 (IQ2), 0.25 (IQ3_XXS), 1 (IQ3_S, IQ1_S);
    // IQ1_S adds its delta +1/8; sign fields 0 keep every value positive.
    const struct {
        const char* file;
        enum ggml_type type;
        int entries, dims;
        PlaceFn place;
        float scale, offset;
        int lo, hi;
    } grids[] = {
        {"iq2xxs_grid.u64", GGML_TYPE_IQ2_XXS, 256, 8, place_iq2xxs, 0.125f, 0.0f, 1, 255},
        {"iq2xs_grid.u64", GGML_TYPE_IQ2_XS, 512, 8, place_iq2xs, 0.125f, 0.0f, 1, 255},
        {"iq2s_grid.u64", GGML_TYPE_IQ2_S, 1024, 8, place_iq2s, 0.125f, 0.0f, 1, 255},
        {"iq3xxs_grid.u32", GGML_TYPE_IQ3_XXS, 256, 4, place_iq3xxs, 0.25f, 0.0f, 1, 255},
        {"iq3s_grid.u32", GGML_TYPE_IQ3_S, 512, 4, place_iq3s, 1.0f, 0.0f, 1, 255},
        {"iq1s_grid.u64", GGML_TYPE_IQ1_S, 2048, 8, place_iq1s, 1.0f, 0.125f, -1, 1},
    };
    for (size_t g = 0; g < sizeof grids / sizeof grids[0]; ++g) {
        snprintf(path, sizeof path, "%s/tables/%s", out, grids[g].file);
        read_grid(path, grids[g].type, grids[g].entries, grids[g].dims, grids[g].place, grids[g].scale,
                  grids[g].offset, grids[g].lo, grids[g].hi);
    }
    // ksigns_iq2xs (128 bytes): IQ2_XXS groups on grid entry 0 (all positive
    // bytes) with sign index s; bit j of the dump = value j came out negative.
    {
        uint8_t signs[128];
        uint8_t b[66];
        for (int blk = 0; blk < 128 / 32; ++blk) {
            memset(b, 0, sizeof b);
            put_u16(b, kHalfOne);
            for (int ib = 0; ib < 8; ++ib) {
                uint32_t aux = 0;
                for (int l = 0; l < 4; ++l) aux |= (uint32_t)(32 * blk + 4 * ib + l) << (7 * l);
                put_u32(b + 2 + 8 * ib + 4, aux);
            }
            to_float(GGML_TYPE_IQ2_XXS, b, y, 256);
            for (int s = 0; s < 32; ++s) {
                uint8_t m = 0;
                for (int j = 0; j < 8; ++j) m |= (uint8_t)((y[8 * s + j] < 0.0f) << j);
                signs[32 * blk + s] = m;
            }
        }
        snprintf(path, sizeof path, "%s/tables/ksigns_iq2xs.u8", out);
        write_file(path, signs, sizeof signs);
    }
    // kmask_iq2xs (8 bytes): IQ2_S keeps raw sign bytes; group k gets sign byte
    // 1 << k, and kmask[j] collects the bits that flip value j.
    {
        uint8_t mask[8] = {0};
        uint8_t b[82];
        memset(b, 0, sizeof b);
        put_u16(b, kHalfOne);
        for (int k = 0; k < 8; ++k) b[2 + 32 + k] = (uint8_t)(1u << k);
        to_float(GGML_TYPE_IQ2_S, b, y, 256);
        for (int k = 0; k < 8; ++k) {
            for (int j = 0; j < 8; ++j) {
                if (y[8 * k + j] < 0.0f) mask[j] |= (uint8_t)(1u << k);
            }
        }
        snprintf(path, sizeof path, "%s/tables/kmask_iq2xs.u8", out);
        write_file(path, mask, sizeof mask);
    }
    // kvalues_mxfp4 (16 signed bytes, e2m1 values doubled): e = 127 halves to 0.5.
    {
        int8_t kv[16];
        uint8_t b[17];
        b[0] = 127;
        for (int j = 0; j < 16; ++j) b[1 + j] = (uint8_t)(j | ((15 - j) << 4));
        to_float(GGML_TYPE_MXFP4, b, y, 32);
        for (int j = 0; j < 16; ++j) kv[j] = (int8_t)exact_level(y[j], 0.5f, -12, 12, "kvalues_mxfp4");
        for (int j = 0; j < 16; ++j) {
            if ((int8_t)exact_level(y[16 + j], 0.5f, -12, 12, "kvalues_mxfp4") != kv[15 - j]) die("%s: nibble order", "mxfp4");
        }
        snprintf(path, sizeof path, "%s/tables/kvalues_mxfp4.i8", out);
        write_file(path, kv, sizeof kv);
    }
    // E8M0 scale as MXFP4 decodes it (half the power of two), all 256 codes:
    // code 1 (e2m1 0.5, doubled: 1) times the half scale.
    {
        float half[256];
        uint8_t b[17];
        memset(b, 0x11, sizeof b);
        for (int e = 0; e < 256; ++e) {
            b[0] = (uint8_t)e;
            to_float(GGML_TYPE_MXFP4, b, y, 32);
            half[e] = y[0];
        }
        snprintf(path, sizeof path, "%s/tables/e8m0_half.f32", out);
        write_file(path, half, sizeof half);
    }
}

// MXFP4's scale exponent is (uint8)(floorf(log2f(amax)) - 2 + 127): it
// depends on how log2f rounds just below a power of two, where the result
// can round up to the integer. For every power 2^n (n = -148 .. 128; 2^128
// is the top of the float range) this counts the floats just below it that
// ggml's quantizer gives 2^n's exponent, and checks that they are exactly the
// first ones below it (the next 1024 all get the exponent of 2^(n-1)).
static uint8_t mxfp4_exponent_of(float amax) {
    float x[32] = {0};
    uint8_t q[17];
    x[0] = amax;
    ggml_quantize_chunk(GGML_TYPE_MXFP4, x, q, 0, 1, 32, NULL);
    return q[0];
}

static void dump_mxfp4_log2(const char* out) {
    char path[1024];
    uint16_t counts[277];
    for (int n = -148; n <= 128; ++n) {
        const uint32_t pbits = (uint32_t)(n >= -126 ? (uint32_t)(n + 127) << 23 : 1u << (n + 149));  // 2^n (2^128: +inf)
        const uint8_t up = (uint8_t)(n - 2 + 127);
        const uint8_t down = (uint8_t)(n - 3 + 127);
        if (n <= 127) {
            float p;
            memcpy(&p, &pbits, 4);
            if (mxfp4_exponent_of(p) != up) die("%s: a power of two has an unexpected exponent", "mxfp4");
        }
        const uint32_t below = n > -126 ? (1u << 23) : pbits - (pbits >> 1);  // floats in [2^(n-1), 2^n)
        const uint32_t scan = below < 1024 + 64 ? below : 1024 + 64;
        uint32_t count = 0;
        int in_run = 1;
        for (uint32_t k = 1; k <= scan; ++k) {
            const uint32_t u = pbits - k;
            float x;
            memcpy(&x, &u, 4);
            const uint8_t e = mxfp4_exponent_of(x);
            if (e == up && in_run) {
                ++count;
            } else if (e == down) {
                in_run = 0;
            } else {
                die("%s: rounded-up exponents are not the first floats below a power of two", "mxfp4");
            }
        }
        if (count >= 1024) die("%s: more than 1024 floats round up", "mxfp4");
        counts[n + 148] = (uint16_t)count;
    }
    snprintf(path, sizeof path, "%s/tables/mxfp4_log2_roundup.u16", out);
    write_file(path, counts, sizeof counts);
}

// ---------------------------------------------------------------- lattices
// ggml's quantizers search a lattice through three arrays built at
// ggml_quantize_init: the grid as odd coordinates 2l+1, a map from every packed
// coordinate vector to its grid index (>= 0) or to -(offset+1) of its neighbour
// list, and the lists themselves (count, then grid indices). They live in the
// static arrays iq2_data[4] (IQ2_XXS, IQ2_XS, IQ1_S/IQ1_M, IQ2_S) and
// iq3_data[2] (grids of 256 and 512), each entry {grid, map, neighbours}.

typedef struct { void* grid; int* map; uint16_t* neighbours; } LatticeEntry;

static uintptr_t ggml_base_address;
static int find_ggml_base(struct dl_phdr_info* info, size_t size, void* data) {
    (void)size;
    (void)data;
    if (info->dlpi_name && strstr(info->dlpi_name, "libggml-base.so")) {
        ggml_base_address = (uintptr_t)info->dlpi_addr;
        return 1;
    }
    return 0;
}

// 64-bit FNV-1a over the bytes (little-endian arrays): the committed digest of
// arrays too large to commit (5.8 MB for the six lattices).
static uint64_t fnv1a64(const void* data, size_t n) {
    const uint8_t* p = data;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

// One lattice: a digest line, sampled map entries with their neighbour lists
// (readable diagnostics when a digest differs), and the raw arrays in raw_dir.
static void dump_lattice(FILE* txt, const char* raw_dir, const char* name, const LatticeEntry* e, int grid_size,
                         int point_bytes, int map_size) {
    char path[1024];
    // The neighbour lists end after the last list the map points to.
    size_t end = 0;
    for (int i = 0; i < map_size; ++i) {
        if (e->map[i] < 0) {
            const size_t off = (size_t)(-(e->map[i] + 1));
            const size_t stop = off + 1 + e->neighbours[off];
            if (stop > end) end = stop;
        }
    }
    const size_t grid_bytes = (size_t)grid_size * (size_t)point_bytes;
    fprintf(txt, "lattice %s %d %d %zu %016llx %016llx %016llx\n", name, grid_size, map_size, end,
            (unsigned long long)fnv1a64(e->grid, grid_bytes),
            (unsigned long long)fnv1a64(e->map, sizeof(int) * (size_t)map_size),
            (unsigned long long)fnv1a64(e->neighbours, sizeof(uint16_t) * end));
    for (int k = 0; k < 48; ++k) {
        const int i = (int)(((long long)k * 1093 + 7) % map_size);
        fprintf(txt, "sample %s %d %d", name, i, e->map[i]);
        if (e->map[i] < 0) {
            const uint16_t* list = e->neighbours + (-(e->map[i] + 1));
            for (int j = 0; j <= list[0]; ++j) fprintf(txt, " %d", list[j]);
        }
        fprintf(txt, "\n");
    }
    snprintf(path, sizeof path, "%s/%s.grid", raw_dir, name);
    write_file(path, e->grid, grid_bytes);
    snprintf(path, sizeof path, "%s/%s.map.i32", raw_dir, name);
    write_file(path, e->map, sizeof(int) * (size_t)map_size);
    snprintf(path, sizeof path, "%s/%s.neighbours.u16", raw_dir, name);
    write_file(path, e->neighbours, sizeof(uint16_t) * end);
}

static void dump_lattices(const char* txt_path, const char* raw_dir, unsigned long iq2_off, unsigned long iq3_off) {
    make_dir(raw_dir);
    const enum ggml_type types[] = {GGML_TYPE_IQ2_XXS, GGML_TYPE_IQ2_XS, GGML_TYPE_IQ2_S, GGML_TYPE_IQ1_S,
                                    GGML_TYPE_IQ3_XXS, GGML_TYPE_IQ3_S};
    // ggml's own build time per lattice, for docs/formats.md (process CPU time).
    for (size_t i = 0; i < sizeof types / sizeof types[0]; ++i) {
        const clock_t c0 = clock();
        ggml_quantize_init(types[i]);
        printf("ggml_quantize_init(%s): %.0f ms CPU\n", ggml_type_name(types[i]),
               1000.0 * (double)(clock() - c0) / CLOCKS_PER_SEC);
    }
    dl_iterate_phdr(find_ggml_base, NULL);
    if (!ggml_base_address) die("%s not loaded", "libggml-base.so");
    const LatticeEntry* iq2 = (const LatticeEntry*)(ggml_base_address + iq2_off);
    const LatticeEntry* iq3 = (const LatticeEntry*)(ggml_base_address + iq3_off);
    if (!iq2[0].grid || !iq2[1].grid || !iq2[2].grid || !iq2[3].grid || !iq3[0].grid || !iq3[1].grid) {
        die("%s: the neighbour maps are not where the symbol table says", "lattices");
    }
    FILE* txt = fopen(txt_path, "w");
    if (!txt) die("cannot write %s", txt_path);
    fprintf(txt, "# ggml's quantizer lattices after ggml_quantize_init (see README.md)\n");
    fprintf(txt, "# lattice NAME GRID_SIZE MAP_SIZE NEIGHBOURS_LEN FNV1A64(grid) FNV1A64(map) FNV1A64(neighbours)\n");
    fprintf(txt, "# sample NAME MAP_INDEX MAP_VALUE [COUNT NEIGHBOUR...]\n");
    dump_lattice(txt, raw_dir, "iq2xxs", &iq2[0], 256, 8, 43692);
    dump_lattice(txt, raw_dir, "iq2xs", &iq2[1], 512, 8, 43692);
    dump_lattice(txt, raw_dir, "iq1s", &iq2[2], 2048, 8, 43692);
    dump_lattice(txt, raw_dir, "iq2s", &iq2[3], 1024, 8, 43692);
    dump_lattice(txt, raw_dir, "iq3xxs", &iq3[0], 256, 4, 4096);
    dump_lattice(txt, raw_dir, "iq3s", &iq3[1], 512, 4, 4096);
    fclose(txt);
}

// ---------------------------------------------------------------- bench
// libggml's own single-thread speed for the new types, in MB/s of float32
// data like quantlab_bench (rows of 4096, best run; importance weights for
// every type, since three of them require them): the "beside libggml" column.
static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void bench(double mb, const char* only) {
    const int64_t row = 4096, n = ((int64_t)(mb * 1024 * 1024 / 4) / row) * row;
    float* x = gen_prng(n);
    float* w = gen_imatrix(row, 7);
    float* y = malloc(sizeof(float) * (size_t)n);
    uint8_t* q = malloc((size_t)n * 4);
    printf("libggml (prebuilt) single thread, %lld floats, MB/s of f32 data\n%-8s %12s %12s\n", (long long)n, "type",
           "quantize", "dequantize");
    for (size_t ti = 0; ti < sizeof new_types / sizeof new_types[0]; ++ti) {
        const enum ggml_type t = new_types[ti].type;
        if (only && strcmp(only, new_types[ti].dir) != 0) continue;
        ggml_quantize_init(t);  // the one-off lattice build is not part of the rate
        // As quantlab_bench: repeat until 0.4 s have passed (at least twice), keep the best.
        double best_q = 0, best_d = 0, spent_q = 0, spent_d = 0;
        for (int rep = 0; rep < 2 || spent_q < 0.4; ++rep) {
            const double t0 = seconds_now();
            ggml_quantize_chunk(t, x, q, 0, n / row, row, w);
            const double s = seconds_now() - t0;
            spent_q += s;
            if ((double)n * 4 / 1e6 / s > best_q) best_q = (double)n * 4 / 1e6 / s;
        }
        for (int rep = 0; rep < 2 || spent_d < 0.4; ++rep) {
            const double t0 = seconds_now();
            to_float(t, q, y, n);
            const double s = seconds_now() - t0;
            spent_d += s;
            if ((double)n * 4 / 1e6 / s > best_d) best_d = (double)n * 4 / 1e6 / s;
        }
        printf("%-8s %12.1f %12.1f\n", new_types[ti].dir, best_q, best_d);
    }
    free(x);
    free(w);
    free(y);
    free(q);
}

int main(int argc, char** argv) {
    if (argc >= 2 && strcmp(argv[1], "bench") == 0) {
        bench(argc >= 3 ? atof(argv[2]) : 4.0, argc >= 4 ? argv[3] : NULL);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "check-shared") == 0) return check_shared(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "cases") == 0) {
        make_dir(argv[2]);
        write_cases(argv[2]);
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "tables") == 0) {
        make_dir(argv[2]);
        dump_tables(argv[2]);
        dump_mxfp4_log2(argv[2]);
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "lattices") == 0) {
        dump_lattices(argv[2], argv[3], strtoul(argv[4], NULL, 16), strtoul(argv[5], NULL, 16));
        return 0;
    }
    fprintf(stderr, "usage: golden_gen check-shared DIR | cases OUT | tables OUT | bench [MB [TYPE]] | lattices OUT.txt RAW_DIR IQ2_DATA_OFF IQ3_DATA_OFF\n");
    return 2;
}
