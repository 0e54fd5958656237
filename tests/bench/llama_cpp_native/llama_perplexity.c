// llama-perplexity's measurement (../shared/reference/README.md describes it):
// the whole text tokenized with BOS, chunks of n_ctx tokens with BOS as each
// chunk's first token, the second half of each chunk scored, PPL =
// exp(mean NLL). Run through the prebuilt libllama of @node-llama-cpp/linux-x64
// (scripts/bench-llama-cpp-native.sh) to see what llama.cpp itself gives on
// this machine.
//
// usage: llama_perplexity model.gguf text.txt [n_ctx=128] [flash_attn=-1|0|1]
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ggml-backend.h"
#include "llama.h"

static void quiet(enum ggml_log_level level, const char* text, void* ud) {
    (void)level, (void)text, (void)ud;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s model.gguf text.txt [n_ctx] [flash_attn]\n", argv[0]);
        return 1;
    }
    const int n_ctx = argc > 3 ? atoi(argv[3]) : 128, fa = argc > 4 ? atoi(argv[4]) : -1;
    FILE* f = fopen(argv[2], "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", argv[2]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char* text = malloc((size_t)n + 1);
    if (fread(text, 1, (size_t)n, f) != (size_t)n) return 1;
    text[n] = 0;
    fclose(f);

    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(getenv("LLAMA_BINS"));
    struct llama_model* model = llama_model_load_from_file(argv[1], llama_model_default_params());
    if (!model) {
        fprintf(stderr, "cannot load %s\n", argv[1]);
        return 1;
    }
    const struct llama_vocab* vocab = llama_model_get_vocab(model);
    llama_token* toks = malloc(sizeof(llama_token) * (size_t)(n + 16));
    const int nt = llama_tokenize(vocab, text, (int)n, toks, (int)n + 16, true, false);
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = cp.n_batch = cp.n_ubatch = (unsigned)n_ctx;
    cp.n_threads = cp.n_threads_batch = 1;
    cp.flash_attn_type = (enum llama_flash_attn_type)fa;
    struct llama_context* ctx = llama_init_from_model(model, cp);
    const int n_vocab = llama_vocab_n_tokens(vocab), n_chunk = nt / n_ctx, first = n_ctx / 2;
    struct llama_batch batch = llama_batch_init(n_ctx, 0, 1);
    double nll = 0;
    int count = 0;
    for (int c = 0; c < n_chunk; ++c) {
        llama_memory_clear(llama_get_memory(ctx), true);
        batch.n_tokens = n_ctx;
        for (int j = 0; j < n_ctx; ++j) {
            batch.token[j] = j == 0 ? llama_vocab_bos(vocab) : toks[c * n_ctx + j];
            batch.pos[j] = j;
            batch.n_seq_id[j] = 1;
            batch.seq_id[j][0] = 0;
            batch.logits[j] = 1;
        }
        if (llama_decode(ctx, batch) != 0) {
            fprintf(stderr, "llama_decode failed\n");
            return 1;
        }
        for (int j = first; j < n_ctx - 1; ++j) {
            const float* l = llama_get_logits_ith(ctx, j);
            float mx = l[0];
            for (int v = 1; v < n_vocab; ++v) mx = l[v] > mx ? l[v] : mx;
            double se = 0;
            for (int v = 0; v < n_vocab; ++v) se += exp((double)(l[v] - mx));
            nll += log(se) - (double)(l[toks[c * n_ctx + j + 1]] - mx);
            ++count;
        }
    }
    printf("PPL %.4f (%d chunks of %d, %d tokens, flash_attn %d)\n", exp(nll / count), n_chunk, n_ctx, nt, fa);
    return 0;
}
