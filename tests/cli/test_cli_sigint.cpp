// `quantlab quantize` interrupted with SIGINT (Ctrl-C) while it writes: at the
// header, in the middle and near the end (inside the last, largest tensor),
// it must exit with 130 and leave neither out.gguf nor out.gguf.partial.
#include <catch2/catch.hpp>

#if !defined(__EMSCRIPTEN__)

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "quantize/quantize_test_util.h"

extern char** environ;

using namespace quantlab;
using namespace quantlab::quant_test;

namespace {

long long file_size(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 ? (long long)st.st_size : -1;
}

pid_t spawn_quantize(const std::string& in, const std::string& out) {
    std::vector<std::string> args = {QUANTLAB_CLI_PATH, "quantize", in, out, "Q4_K_M", "1"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE(rc == 0);
    return pid;
}

}  // namespace

TEST_CASE("quantlab quantize: SIGINT at the header, mid-way and in the last tensor leaves no output", "[cli][atomicity]") {
    // ~75 MB of F32 whose last tensor (output.weight) is the largest.
    SynthLlama s;
    s.n_embd = 768;
    s.n_ff = 2048;
    s.n_layer = 2;
    s.n_head = 12;
    s.n_head_kv = 4;
    s.n_vocab = 4096;
    const std::string in = "sigint-in.gguf", out = "sigint-out.gguf", partial = out + ".partial";
    {
        const auto bytes = make_llama_file(s);
        std::FILE* f = std::fopen(in.c_str(), "wb");
        REQUIRE(f);
        REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
        std::fclose(f);
    }
    // A complete run: the size the partial file grows to.
    int status = 0;
    REQUIRE(waitpid(spawn_quantize(in, out), &status, 0) > 0);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    const long long full = file_size(out);
    REQUIRE(full > 0);
    std::remove(out.c_str());

    int interrupted = 0;
    for (const double fraction : {0.0, 0.3, 0.6, 0.9}) {
        INFO("SIGINT once the partial output holds " << fraction * 100 << " %");
        const pid_t pid = spawn_quantize(in, out);
        bool finished = false;
        for (;;) {
            const long long have = file_size(partial);
            if (have >= 0 && have >= (long long)(fraction * double(full))) {
                ::kill(pid, SIGINT);
                break;
            }
            if (waitpid(pid, &status, WNOHANG) == pid) {
                finished = true;  // done before the signal: nothing to check but the output
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (!finished) REQUIRE(waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        if (WEXITSTATUS(status) == 130) {
            ++interrupted;
            CHECK(file_size(out) == -1);
            CHECK(file_size(partial) == -1);
        } else {
            CHECK(WEXITSTATUS(status) == 0);  // it won the race: a complete file
            CHECK(file_size(out) == full);
            CHECK(file_size(partial) == -1);
            std::remove(out.c_str());
        }
    }
    CHECK(interrupted >= 3);
    std::remove(in.c_str());
}

#endif
