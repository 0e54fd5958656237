// pp<N> / tg<N> tokens/s of native llama.cpp, timed the way llama-bench's
// test_prompt() / test_gen() do: random tokens (BOS first), one llama_decode
// per batch, KV cache cleared before every repetition, a warm-up run first,
// a ggml threadpool attached. Built against the prebuilt libllama of the npm
// package @node-llama-cpp/linux-x64 by scripts/bench-llama-cpp-native.sh.
//
// usage: llama_bench model.gguf [threads=1] [reps=10] [n_prompt=256] [n_gen=64]
// prints: RESULT <model> pp256 mean=... sd=...   and the same for tg64
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "llama.h"

static void quiet(enum ggml_log_level level, const char* text, void* ud) {
    (void)level, (void)text, (void)ud;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int random_token(int n_vocab) { return rand() % n_vocab; }

static int run_prompt(struct llama_context* ctx, int n_prompt, const struct llama_vocab* vocab) {
    const int n_vocab = llama_vocab_n_tokens(vocab);
    llama_token* tokens = malloc(sizeof(llama_token) * (size_t)n_prompt);
    tokens[0] = llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : random_token(n_vocab);
    for (int i = 1; i < n_prompt; i++) tokens[i] = random_token(n_vocab);
    const int ok = llama_decode(ctx, llama_batch_get_one(tokens, n_prompt)) == 0;
    llama_synchronize(ctx);
    free(tokens);
    return ok;
}

static int run_gen(struct llama_context* ctx, int n_gen, const struct llama_vocab* vocab) {
    const int n_vocab = llama_vocab_n_tokens(vocab);
    llama_token token = llama_vocab_get_add_bos(vocab) ? llama_vocab_bos(vocab) : random_token(n_vocab);
    for (int i = 0; i < n_gen; i++) {
        if (llama_decode(ctx, llama_batch_get_one(&token, 1)) != 0) return 0;
        llama_synchronize(ctx);
        token = random_token(n_vocab);
    }
    return 1;
}

static void report(const char* model, const char* test, int n, const double* tps, int reps) {
    double mean = 0, var = 0;
    for (int i = 0; i < reps; i++) mean += tps[i];
    mean /= reps;
    for (int i = 0; i < reps; i++) var += (tps[i] - mean) * (tps[i] - mean);
    printf("RESULT %s %s%d mean=%.2f sd=%.2f\n", model, test, n, mean, reps > 1 ? sqrt(var / (reps - 1)) : 0.0);
}

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s model.gguf [threads] [reps] [n_prompt] [n_gen]\n", argv[0]);
        return 1;
    }
    const char* path = argv[1];
    const int n_threads = argc > 2 ? atoi(argv[2]) : 1, reps = argc > 3 ? atoi(argv[3]) : 10;
    const int n_prompt = argc > 4 ? atoi(argv[4]) : 256, n_gen = argc > 5 ? atoi(argv[5]) : 64;
    llama_log_set(quiet, NULL);
    ggml_backend_load_all_from_path(getenv("LLAMA_BINS"));  // the best-scoring libggml-cpu-<variant>.so
    llama_backend_init();
    struct llama_model* model = llama_model_load_from_file(path, llama_model_default_params());
    if (!model) {
        fprintf(stderr, "cannot load %s\n", path);
        return 1;
    }
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = 512;
    cp.n_batch = cp.n_ubatch = 512;
    cp.n_threads = cp.n_threads_batch = n_threads;
    struct llama_context* ctx = llama_init_from_model(model, cp);
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(cpu);
    typedef struct ggml_threadpool* (*tp_new_t)(struct ggml_threadpool_params*);
    tp_new_t tp_new = (tp_new_t)ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
    struct ggml_threadpool_params tpp = ggml_threadpool_params_default(n_threads);
    tpp.poll = 50;  // llama-bench's default
    if (tp_new) llama_attach_threadpool(ctx, tp_new(&tpp), NULL);
    const struct llama_vocab* vocab = llama_model_get_vocab(model);
    const char* name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    double* tps = calloc((size_t)reps, sizeof(double));
    if (n_prompt > 0) {
        llama_memory_clear(llama_get_memory(ctx), false);
        run_prompt(ctx, n_prompt, vocab);  // warm-up
        for (int i = 0; i < reps; i++) {
            llama_memory_clear(llama_get_memory(ctx), false);
            const double t0 = now_s();
            if (!run_prompt(ctx, n_prompt, vocab)) return 1;
            tps[i] = n_prompt / (now_s() - t0);
        }
        report(name, "pp", n_prompt, tps, reps);
    }
    if (n_gen > 0) {
        llama_memory_clear(llama_get_memory(ctx), false);
        run_gen(ctx, n_gen, vocab);  // warm-up
        for (int i = 0; i < reps; i++) {
            llama_memory_clear(llama_get_memory(ctx), false);
            const double t0 = now_s();
            if (!run_gen(ctx, n_gen, vocab)) return 1;
            tps[i] = n_gen / (now_s() - t0);
        }
        report(name, "tg", n_gen, tps, reps);
    }
    free(tps);
    llama_free(ctx);
    llama_model_free(model);
    return 0;
}
