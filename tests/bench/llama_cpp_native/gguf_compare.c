// Compares two GGUF models with libggml's GGUF reader (the prebuilt
// @node-llama-cpp/linux-x64): metadata (keys in order, types, values) and
// tensors (order, names, types, shapes, data bytes). For the llama-quantize
// comparison (scripts/compare-llama-quantize.sh).
//
// usage: gguf_compare A.gguf B.gguf            every part: metadata and tensors
//        gguf_compare --merged A.gguf B.gguf   tensors of all parts together, no metadata
//        gguf_compare --types A.gguf PLAN      A's tensor names and types against PLAN's
//                                              "name type" lines (a quantlab dry run)
//        gguf_compare --list A.gguf            prints A's "name type" lines
// A file whose split.count is above 1 is the first of its parts; the others
// are named like it (NAME-0000K-of-0000N.gguf). Prints one summary line and
// at most 20 differences; exit status 0 when identical, 1 when not, 2 on error.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"

#define MAX_PARTS 64

typedef struct {
    int n;
    struct gguf_context* g[MAX_PARTS];
    struct ggml_context* c[MAX_PARTS];
} Model;

static int n_diff = 0;

static void diff(const char* fmt, const char* a, const char* b) {
    if (++n_diff <= 20) {
        printf(fmt, a, b);
        printf("\n");
    }
}

static int open_part(Model* m, const char* path) {
    struct gguf_init_params p = {false, &m->c[m->n]};
    m->g[m->n] = gguf_init_from_file(path, p);
    if (!m->g[m->n]) {
        fprintf(stderr, "cannot read %s\n", path);
        return 1;
    }
    m->n++;
    return 0;
}

static int open_model(Model* m, const char* path) {
    m->n = 0;
    if (open_part(m, path)) return 1;
    const int64_t k = gguf_find_key(m->g[0], "split.count");
    const int count = k < 0 ? 1 : gguf_get_val_u16(m->g[0], k);
    if (count <= 1) return 0;
    if (count > MAX_PARTS) return 1;
    char suffix[64], prefix[1024], part[1100];
    snprintf(suffix, sizeof suffix, "-%05d-of-%05d.gguf", 1, count);
    const size_t lp = strlen(path), ls = strlen(suffix);
    if (lp <= ls || strcmp(path + lp - ls, suffix) != 0 || lp - ls >= sizeof prefix) {
        fprintf(stderr, "%s: a split model's first part must end in %s\n", path, suffix);
        return 1;
    }
    memcpy(prefix, path, lp - ls);
    prefix[lp - ls] = 0;
    for (int i = 1; i < count; ++i) {
        snprintf(part, sizeof part, "%s-%05d-of-%05d.gguf", prefix, i + 1, count);
        if (open_part(m, part)) return 1;
    }
    return 0;
}

// Bytes of one array element (GGUF spec; gguf.h does not export its table).
static size_t elem_size(enum gguf_type t) {
    switch (t) {
        case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
        case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
        case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
        default: return 8;
    }
}

// One value as text, for messages and comparison of scalars and arrays.
static void kv_text(const struct gguf_context* g, int64_t k, char* out, size_t n) {
    const enum gguf_type t = gguf_get_kv_type(g, k);
    switch (t) {
        case GGUF_TYPE_UINT8: snprintf(out, n, "u8 %u", gguf_get_val_u8(g, k)); break;
        case GGUF_TYPE_INT8: snprintf(out, n, "i8 %d", gguf_get_val_i8(g, k)); break;
        case GGUF_TYPE_UINT16: snprintf(out, n, "u16 %u", gguf_get_val_u16(g, k)); break;
        case GGUF_TYPE_INT16: snprintf(out, n, "i16 %d", gguf_get_val_i16(g, k)); break;
        case GGUF_TYPE_UINT32: snprintf(out, n, "u32 %u", gguf_get_val_u32(g, k)); break;
        case GGUF_TYPE_INT32: snprintf(out, n, "i32 %d", gguf_get_val_i32(g, k)); break;
        case GGUF_TYPE_FLOAT32: snprintf(out, n, "f32 %.9g", gguf_get_val_f32(g, k)); break;
        case GGUF_TYPE_UINT64: snprintf(out, n, "u64 %llu", (unsigned long long)gguf_get_val_u64(g, k)); break;
        case GGUF_TYPE_INT64: snprintf(out, n, "i64 %lld", (long long)gguf_get_val_i64(g, k)); break;
        case GGUF_TYPE_FLOAT64: snprintf(out, n, "f64 %.17g", gguf_get_val_f64(g, k)); break;
        case GGUF_TYPE_BOOL: snprintf(out, n, "bool %d", gguf_get_val_bool(g, k)); break;
        case GGUF_TYPE_STRING: snprintf(out, n, "str '%s'", gguf_get_val_str(g, k)); break;
        case GGUF_TYPE_ARRAY: {
            const enum gguf_type at = gguf_get_arr_type(g, k);
            const size_t ne = gguf_get_arr_n(g, k);
            // Arrays: type, length and a checksum of the elements.
            uint64_t h = 1469598103934665603ull;
            for (size_t i = 0; i < ne; ++i) {
                const char* s = NULL;
                size_t len = 0;
                if (at == GGUF_TYPE_STRING) {
                    s = gguf_get_arr_str(g, k, i);
                    len = strlen(s) + 1;
                } else {
                    s = (const char*)gguf_get_arr_data(g, k) + i * elem_size(at);
                    len = elem_size(at);
                }
                for (size_t j = 0; j < len; ++j) h = (h ^ (uint8_t)s[j]) * 1099511628211ull;
            }
            snprintf(out, n, "arr[%s] n=%zu hash=%016llx", gguf_type_name(at), ne, (unsigned long long)h);
        } break;
        default: snprintf(out, n, "?");
    }
}

static void compare_kv(const struct gguf_context* a, const struct gguf_context* b, int part) {
    const int64_t na = gguf_get_n_kv(a), nb = gguf_get_n_kv(b);
    char ta[512], tb[512], where[64];
    for (int64_t i = 0; i < na || i < nb; ++i) {
        snprintf(where, sizeof where, "part %d key %lld", part + 1, (long long)i);
        if (i >= na || i >= nb) {
            diff("%s: only one file has key %s", where, i < na ? gguf_get_key(a, i) : gguf_get_key(b, i));
            continue;
        }
        if (strcmp(gguf_get_key(a, i), gguf_get_key(b, i)) != 0) {
            snprintf(ta, sizeof ta, "%s: %s", where, gguf_get_key(a, i));
            diff("%s vs %s", ta, gguf_get_key(b, i));
            continue;
        }
        kv_text(a, i, ta, sizeof ta);
        kv_text(b, i, tb, sizeof tb);
        if (strcmp(ta, tb) != 0) {
            char w[700];
            snprintf(w, sizeof w, "%s (%s): %s", where, gguf_get_key(a, i), ta);
            diff("%s vs %s", w, tb);
        }
    }
}

typedef struct {
    const char* name;
    const struct ggml_tensor* t;
} Entry;

static int list_tensors(const Model* m, int part, Entry* out, int max) {
    int n = 0;
    for (int p = part < 0 ? 0 : part; p < (part < 0 ? m->n : part + 1); ++p) {
        for (int64_t i = 0; i < gguf_get_n_tensors(m->g[p]) && n < max; ++i) {
            const char* name = gguf_get_tensor_name(m->g[p], i);
            out[n].name = name;
            out[n].t = ggml_get_tensor(m->c[p], name);
            n++;
        }
    }
    return n;
}

static int compare_tensors(const Model* a, const Model* b, int part, int* n_same) {
    static Entry ea[4096], eb[4096];
    const int na = list_tensors(a, part, ea, 4096), nb = list_tensors(b, part, eb, 4096);
    char x[256], y[256];
    for (int i = 0; i < na || i < nb; ++i) {
        if (i >= na || i >= nb) {
            diff("tensor %s only in %s", i < na ? ea[i].name : eb[i].name, i < na ? "A" : "B");
            continue;
        }
        if (strcmp(ea[i].name, eb[i].name) != 0) {
            diff("tensor order: %s vs %s", ea[i].name, eb[i].name);
            continue;
        }
        const struct ggml_tensor *ta = ea[i].t, *tb = eb[i].t;
        if (ta->type != tb->type) {
            snprintf(x, sizeof x, "%s: %s", ea[i].name, ggml_type_name(ta->type));
            diff("type %s vs %s", x, ggml_type_name(tb->type));
            continue;
        }
        if (memcmp(ta->ne, tb->ne, sizeof ta->ne) != 0) {
            diff("shape of %s differs%s", ea[i].name, "");
            continue;
        }
        const size_t nbytes = ggml_nbytes(ta);
        if (memcmp(ta->data, tb->data, nbytes) != 0) {
            size_t first = 0;
            while (((const uint8_t*)ta->data)[first] == ((const uint8_t*)tb->data)[first]) ++first;
            snprintf(x, sizeof x, "%s (%s)", ea[i].name, ggml_type_name(ta->type));
            snprintf(y, sizeof y, "byte %zu of %zu", first, nbytes);
            diff("data of %s differs from %s", x, y);
            continue;
        }
        ++*n_same;
    }
    return na;
}

static int compare_types(const Model* a, const char* plan_path) {
    FILE* f = fopen(plan_path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", plan_path);
        return 2;
    }
    static Entry ea[4096];
    const int na = list_tensors(a, -1, ea, 4096);
    char name[256], type[64];
    int i = 0, same = 0;
    while (fscanf(f, "%255s %63s", name, type) == 2) {
        if (i >= na) {
            diff("tensor %s%s only in the plan", name, "");
        } else if (strcmp(ea[i].name, name) != 0) {
            diff("tensor order: %s vs %s", ea[i].name, name);
        } else if (strcmp(ggml_type_name(ea[i].t->type), type) != 0) {
            char x[300];
            snprintf(x, sizeof x, "%s: %s", name, ggml_type_name(ea[i].t->type));
            diff("type %s vs %s", x, type);
        } else {
            ++same;
        }
        ++i;
    }
    fclose(f);
    if (i < na) diff("%s and %s more tensors only in the file", ea[i].name, "maybe");
    if (n_diff == 0) printf("IDENTICAL TYPES: %d tensors\n", same);
    else printf("DIFFERENT: %d of %d tensor types differ\n", n_diff, na > i ? na : i);
    return n_diff == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc == 3 && strcmp(argv[1], "--list") == 0) {
        static Model m;
        static Entry e[4096];
        if (open_model(&m, argv[2])) return 2;
        const int n = list_tensors(&m, -1, e, 4096);
        for (int i = 0; i < n; ++i) printf("%s %s\n", e[i].name, ggml_type_name(e[i].t->type));
        return 0;
    }
    int merged = 0, types = 0, arg = 1;
    if (argc > 1 && strcmp(argv[1], "--merged") == 0) merged = 1, arg++;
    else if (argc > 1 && strcmp(argv[1], "--types") == 0) types = 1, arg++;
    if (argc - arg != 2) {
        fprintf(stderr, "usage: %s [--merged | --types] A.gguf B.gguf|PLAN\n", argv[0]);
        return 2;
    }
    static Model a, b;
    if (open_model(&a, argv[arg])) return 2;
    if (types) return compare_types(&a, argv[arg + 1]);
    if (open_model(&b, argv[arg + 1])) return 2;
    int n_tensors = 0, n_same = 0, n_keys = 0;
    if (merged) {
        n_tensors = compare_tensors(&a, &b, -1, &n_same);
    } else {
        if (a.n != b.n) {
            printf("DIFFERENT: %d parts vs %d\n", a.n, b.n);
            return 1;
        }
        for (int p = 0; p < a.n; ++p) {
            compare_kv(a.g[p], b.g[p], p);
            n_keys += (int)gguf_get_n_kv(a.g[p]);
            n_tensors += compare_tensors(&a, &b, p, &n_same);
        }
    }
    if (n_diff == 0) {
        printf("IDENTICAL: %d part(s), %d tensors (types and bytes)%s", a.n, n_tensors, merged ? "\n" : "");
        if (!merged) printf(", %d metadata keys\n", n_keys);
    } else {
        printf("DIFFERENT: %d difference(s); %d of %d tensors identical\n", n_diff, n_same, n_tensors);
    }
    return n_diff == 0 ? 0 : 1;
}
