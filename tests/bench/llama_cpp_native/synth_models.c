// Synthetic llama models and importance matrices for the llama-quantize
// comparison (scripts/compare-llama-quantize.sh), written with libggml's own
// GGUF writer (gguf.h of the prebuilt @node-llama-cpp/linux-x64), so the
// inputs come from ggml, not from quantlab.
//
// usage: synth_models OUT_DIR
// writes, for each model M below: M.gguf (F32 weights; "tied" has F16
// weights), M.imatrix.gguf (llama-imatrix's GGUF layout: <weight>.in_sum2 and
// <weight>.counts, imatrix.datasets / chunk_count / chunk_size), and for
// "split" also split-0000K-of-00003.gguf (gguf-split's layout, by tensor count).
//
// Models (rows = ne[0] of the 2-D weights):
//   gqa    8 layers, 8 heads / 2 kv heads (GQA 4), rows 256/768: every type fits
//   tied   6 layers, 4/4 heads, F16 weights, no output.weight (tied embeddings)
//   odd    4 layers, rows 320 and 864: 256-value types fall back; ffn_down rows
//          of 864 are not a multiple of 256 but are of 32
//   moe    4 layers, 8 experts (3-D ffn_*_exps), GQA 4
//   split  the gqa shapes, stored as 3 parts
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "gguf.h"

typedef struct {
    const char* name;
    int n_embd, n_ff, n_layer, n_head, n_head_kv, n_vocab, n_expert;
    int tied;      // no output.weight
    int f16;       // 2-D weights stored as F16
    int n_split;   // parts (1: one file)
} Spec;

static const Spec kSpecs[] = {
    {"gqa", 256, 768, 8, 8, 2, 512, 0, 0, 0, 1},
    {"tied", 256, 512, 6, 4, 4, 384, 0, 1, 1, 1},
    {"odd", 320, 864, 4, 5, 5, 300, 0, 0, 0, 1},
    {"moe", 256, 256, 4, 8, 2, 256, 8, 0, 0, 1},
    {"split", 256, 768, 8, 8, 2, 512, 0, 0, 0, 3},
};

static uint64_t rng_state;

static float next_uniform(void) {  // xorshift64*, in [-1, 1)
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    const uint64_t r = rng_state * 2685821657736338717ull;
    return (float)((double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0);
}

// Roughly bell-shaped weights with an occasional outlier, as real weights have.
static float next_weight(float scale) {
    const float g = (next_uniform() + next_uniform() + next_uniform()) * scale;
    return next_uniform() > 0.998f ? g * 8.0f : g;
}

typedef struct {
    struct ggml_context* ctx;
    struct ggml_tensor* list[1024];
    int n;
} Tensors;

static void add(Tensors* ts, const Spec* s, const char* name, int n_dims, int64_t ne0, int64_t ne1, int64_t ne2) {
    const int is_norm = n_dims == 1;
    const enum ggml_type type = (!is_norm && s->f16) ? GGML_TYPE_F16 : GGML_TYPE_F32;
    struct ggml_tensor* t = n_dims == 1   ? ggml_new_tensor_1d(ts->ctx, type, ne0)
                            : n_dims == 2 ? ggml_new_tensor_2d(ts->ctx, type, ne0, ne1)
                                          : ggml_new_tensor_3d(ts->ctx, type, ne0, ne1, ne2);
    ggml_set_name(t, name);
    const int64_t n = ggml_nelements(t);
    const float scale = is_norm ? 0.05f : 0.6f / sqrtf((float)ne0);
    float* tmp = malloc(sizeof(float) * (size_t)n);
    for (int64_t i = 0; i < n; ++i) tmp[i] = is_norm ? 1.0f + next_weight(scale) : next_weight(scale);
    if (type == GGML_TYPE_F16) {
        ggml_fp32_to_fp16_row(tmp, (ggml_fp16_t*)t->data, n);
    } else {
        memcpy(t->data, tmp, sizeof(float) * (size_t)n);
    }
    free(tmp);
    ts->list[ts->n++] = t;
}

// Converter order (convert_hf_to_gguf.py writes token_embd, then each layer).
static void make_tensors(Tensors* ts, const Spec* s) {
    const int64_t e = s->n_embd, kv = (int64_t)s->n_embd / s->n_head * s->n_head_kv;
    char nm[96];
    add(ts, s, "token_embd.weight", 2, e, s->n_vocab, 1);
    for (int l = 0; l < s->n_layer; ++l) {
#define NAME(x) (snprintf(nm, sizeof nm, "blk.%d." x, l), nm)
        add(ts, s, NAME("attn_norm.weight"), 1, e, 1, 1);
        add(ts, s, NAME("attn_q.weight"), 2, e, e, 1);
        add(ts, s, NAME("attn_k.weight"), 2, e, kv, 1);
        add(ts, s, NAME("attn_v.weight"), 2, e, kv, 1);
        add(ts, s, NAME("attn_output.weight"), 2, e, e, 1);
        add(ts, s, NAME("ffn_norm.weight"), 1, e, 1, 1);
        if (s->n_expert) {
            add(ts, s, NAME("ffn_gate_inp.weight"), 2, e, s->n_expert, 1);
            add(ts, s, NAME("ffn_gate_exps.weight"), 3, e, s->n_ff, s->n_expert);
            add(ts, s, NAME("ffn_down_exps.weight"), 3, s->n_ff, e, s->n_expert);
            add(ts, s, NAME("ffn_up_exps.weight"), 3, e, s->n_ff, s->n_expert);
        } else {
            add(ts, s, NAME("ffn_gate.weight"), 2, e, s->n_ff, 1);
            add(ts, s, NAME("ffn_down.weight"), 2, s->n_ff, e, 1);
            add(ts, s, NAME("ffn_up.weight"), 2, e, s->n_ff, 1);
        }
#undef NAME
    }
    add(ts, s, "output_norm.weight", 1, e, 1, 1);
    if (!s->tied) add(ts, s, "output.weight", 2, e, s->n_vocab, 1);
}

static void set_metadata(struct gguf_context* g, const Spec* s) {
    gguf_set_val_str(g, "general.architecture", "llama");
    gguf_set_val_str(g, "general.name", s->name);
    gguf_set_val_u32(g, "llama.context_length", 256);
    gguf_set_val_u32(g, "llama.embedding_length", (uint32_t)s->n_embd);
    gguf_set_val_u32(g, "llama.block_count", (uint32_t)s->n_layer);
    gguf_set_val_u32(g, "llama.feed_forward_length", (uint32_t)s->n_ff);
    gguf_set_val_u32(g, "llama.attention.head_count", (uint32_t)s->n_head);
    gguf_set_val_u32(g, "llama.attention.head_count_kv", (uint32_t)s->n_head_kv);
    gguf_set_val_u32(g, "llama.rope.dimension_count", (uint32_t)(s->n_embd / s->n_head));
    gguf_set_val_f32(g, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gguf_set_val_u32(g, "llama.vocab_size", (uint32_t)s->n_vocab);
    if (s->n_expert) {
        gguf_set_val_u32(g, "llama.expert_count", (uint32_t)s->n_expert);
        gguf_set_val_u32(g, "llama.expert_used_count", 2);
    }
    gguf_set_val_u32(g, "general.file_type", s->f16 ? 1 : 0);
}

static int write_model(const char* dir, const Spec* s, const Tensors* ts) {
    char path[512];
    if (s->n_split <= 1) {
        struct gguf_context* g = gguf_init_empty();
        set_metadata(g, s);
        for (int i = 0; i < ts->n; ++i) gguf_add_tensor(g, ts->list[i]);
        snprintf(path, sizeof path, "%s/%s.gguf", dir, s->name);
        const int ok = gguf_write_to_file(g, path, false);
        gguf_free(g);
        return ok ? 0 : 1;
    }
    // gguf-split's layout: metadata in the first part, split.* in every part,
    // consecutive tensors per part.
    const int per = (ts->n + s->n_split - 1) / s->n_split;
    for (int k = 0; k < s->n_split; ++k) {
        struct gguf_context* g = gguf_init_empty();
        if (k == 0) set_metadata(g, s);
        gguf_set_val_u16(g, "split.no", (uint16_t)k);
        gguf_set_val_u16(g, "split.count", (uint16_t)s->n_split);
        gguf_set_val_i32(g, "split.tensors.count", ts->n);
        for (int i = k * per; i < ts->n && i < (k + 1) * per; ++i) gguf_add_tensor(g, ts->list[i]);
        snprintf(path, sizeof path, "%s/%s-%05d-of-%05d.gguf", dir, s->name, k + 1, s->n_split);
        const int ok = gguf_write_to_file(g, path, false);
        gguf_free(g);
        if (!ok) return 1;
    }
    return 0;
}

// Positive per-column activations, different per expert, with a few
// matrices that never saw input (count 0) in the moe model.
static int write_imatrix(const char* dir, const Spec* s, const Tensors* ts) {
    const size_t mem = 64u << 20;
    struct ggml_context* ctx = ggml_init((struct ggml_init_params){mem, NULL, false});
    struct gguf_context* g = gguf_init_empty();
    const char* datasets[] = {"synthetic activations"};
    gguf_set_val_str(g, "general.type", "imatrix");
    gguf_set_arr_str(g, "imatrix.datasets", datasets, 1);
    gguf_set_val_u32(g, "imatrix.chunk_count", 7);
    gguf_set_val_u32(g, "imatrix.chunk_size", 512);
    for (int i = 0; i < ts->n; ++i) {
        const struct ggml_tensor* w = ts->list[i];
        if (ggml_n_dims(w) < 2 || strstr(w->name, "ffn_gate_inp")) continue;
        const int64_t ne0 = w->ne[0], n_mat = w->ne[2];
        char nm[128];
        struct ggml_tensor* sums = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, ne0, n_mat);
        snprintf(nm, sizeof nm, "%s.in_sum2", w->name);
        ggml_set_name(sums, nm);
        struct ggml_tensor* counts = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, 1, n_mat);
        snprintf(nm, sizeof nm, "%s.counts", w->name);
        ggml_set_name(counts, nm);
        for (int64_t m = 0; m < n_mat; ++m) {
            const float count = (n_mat > 1 && m == 5) ? 0.0f : 7.0f * 512.0f / (n_mat > 1 ? 4.0f : 1.0f);
            ((float*)counts->data)[m] = count;
            for (int64_t j = 0; j < ne0; ++j) {
                const float a = 0.2f + fabsf(next_uniform()) * (j % 17 == 0 ? 40.0f : 2.0f);
                ((float*)sums->data)[m * ne0 + j] = a * count;
            }
        }
        gguf_add_tensor(g, sums);
        gguf_add_tensor(g, counts);
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s.imatrix.gguf", dir, s->name);
    const int ok = gguf_write_to_file(g, path, false);
    gguf_free(g);
    ggml_free(ctx);
    return ok ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
        return 1;
    }
    for (size_t i = 0; i < sizeof kSpecs / sizeof kSpecs[0]; ++i) {
        const Spec* s = &kSpecs[i];
        rng_state = 0x9E3779B97F4A7C15ull ^ (uint64_t)(i + 1) * 0xD1B54A32D192ED03ull;
        struct ggml_context* ctx = ggml_init((struct ggml_init_params){(size_t)256 << 20, NULL, false});
        Tensors ts = {ctx, {0}, 0};
        make_tensors(&ts, s);
        if (write_model(argv[1], s, &ts) || write_imatrix(argv[1], s, &ts)) {
            fprintf(stderr, "cannot write model %s\n", s->name);
            return 1;
        }
        printf("%s: %d tensors\n", s->name, ts.n);
        ggml_free(ctx);
    }
    return 0;
}
