// llama-quantize through the prebuilt libllama of @node-llama-cpp/linux-x64:
// the same options as llama.cpp's tools/quantize (which the npm package does
// not ship), turned into the llama_model_quantize_params that tool passes to
// llama_model_quantize. The imatrix is read with libllama-common's
// common_imatrix_load and --override-kv with its string_parse_kv_override,
// the functions llama-quantize itself calls; the rest (normalising the
// imatrix sums, --include/--exclude-weights, the quantize.imatrix.* keys,
// output naming) follows tools/quantize/quantize.cpp, written anew here.
//
// usage: llama_quantize_params [options] in.gguf out.gguf TYPE [nthreads]
//   --pure --leave-output-tensor --allow-requantize --keep-split --dry-run
//   --output-tensor-type T --token-embedding-type T --tensor-type RE=T
//   --imatrix F --include-weights S --exclude-weights S
//   --override-kv K=T:V --prune-layers L0,L1,...
// TYPE is a llama-quantize file type name or COPY.
// Exit status 0 on success, 1 when llama_model_quantize fails, 2 for bad usage.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "ggml-backend.h"
#include "llama.h"

// From libllama-common (common/imatrix-loader.h, common/common.h).
struct common_imatrix_entry {
    std::vector<float> sums;
    std::vector<int64_t> counts;
};
struct common_imatrix {
    std::map<std::string, common_imatrix_entry> entries;
    std::vector<std::string> datasets;
    int32_t chunk_count = 0;
    int32_t chunk_size = 0;
    bool is_legacy = false;
    bool has_metadata = false;
};
bool common_imatrix_load(const std::string& fname, common_imatrix& imatrix);
bool string_parse_kv_override(const char* data, std::vector<llama_model_kv_override>& overrides);

namespace {

// llama.h's enum llama_ftype values by llama-quantize's names.
const std::pair<const char*, llama_ftype> kFtypes[] = {
    {"F32", LLAMA_FTYPE_ALL_F32},          {"F16", LLAMA_FTYPE_MOSTLY_F16},
    {"BF16", LLAMA_FTYPE_MOSTLY_BF16},     {"Q4_0", LLAMA_FTYPE_MOSTLY_Q4_0},
    {"Q4_1", LLAMA_FTYPE_MOSTLY_Q4_1},     {"Q5_0", LLAMA_FTYPE_MOSTLY_Q5_0},
    {"Q5_1", LLAMA_FTYPE_MOSTLY_Q5_1},     {"Q8_0", LLAMA_FTYPE_MOSTLY_Q8_0},
    {"Q2_K", LLAMA_FTYPE_MOSTLY_Q2_K},     {"Q2_K_S", LLAMA_FTYPE_MOSTLY_Q2_K_S},
    {"Q3_K_S", LLAMA_FTYPE_MOSTLY_Q3_K_S}, {"Q3_K_M", LLAMA_FTYPE_MOSTLY_Q3_K_M},
    {"Q3_K_L", LLAMA_FTYPE_MOSTLY_Q3_K_L}, {"Q4_K_S", LLAMA_FTYPE_MOSTLY_Q4_K_S},
    {"Q4_K_M", LLAMA_FTYPE_MOSTLY_Q4_K_M}, {"Q5_K_S", LLAMA_FTYPE_MOSTLY_Q5_K_S},
    {"Q5_K_M", LLAMA_FTYPE_MOSTLY_Q5_K_M}, {"Q6_K", LLAMA_FTYPE_MOSTLY_Q6_K},
    {"IQ4_NL", LLAMA_FTYPE_MOSTLY_IQ4_NL}, {"IQ4_XS", LLAMA_FTYPE_MOSTLY_IQ4_XS},
    {"IQ2_XXS", LLAMA_FTYPE_MOSTLY_IQ2_XXS}, {"IQ2_XS", LLAMA_FTYPE_MOSTLY_IQ2_XS},
    {"IQ2_S", LLAMA_FTYPE_MOSTLY_IQ2_S},   {"IQ2_M", LLAMA_FTYPE_MOSTLY_IQ2_M},
    {"IQ3_XXS", LLAMA_FTYPE_MOSTLY_IQ3_XXS}, {"IQ3_XS", LLAMA_FTYPE_MOSTLY_IQ3_XS},
    {"IQ3_S", LLAMA_FTYPE_MOSTLY_IQ3_S},   {"IQ3_M", LLAMA_FTYPE_MOSTLY_IQ3_M},
    {"IQ1_S", LLAMA_FTYPE_MOSTLY_IQ1_S},   {"IQ1_M", LLAMA_FTYPE_MOSTLY_IQ1_M},
    {"TQ1_0", LLAMA_FTYPE_MOSTLY_TQ1_0},   {"TQ2_0", LLAMA_FTYPE_MOSTLY_TQ2_0},
};

bool same_ci(const std::string& a, const char* b) {
    if (a.size() != std::strlen(b)) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    }
    return true;
}

ggml_type ggml_type_named(const std::string& s) {
    for (int t = 0; t < GGML_TYPE_COUNT; ++t) {
        const char* n = ggml_type_name(ggml_type(t));
        if (n && same_ci(s, n)) return ggml_type(t);
    }
    std::fprintf(stderr, "unknown ggml type %s\n", s.c_str());
    std::exit(2);
}

[[noreturn]] void bad(const char* what) {
    std::fprintf(stderr, "llama_quantize_params: %s\n", what);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    llama_model_quantize_params params = llama_model_quantize_default_params();
    std::string imatrix_file;
    std::vector<std::string> include, exclude;
    std::vector<llama_model_kv_override> kv;
    std::vector<std::string> tt_names;
    std::vector<ggml_type> tt_types;
    std::vector<int32_t> prune;
    int i = 1;
    auto value = [&]() -> const char* {
        if (i + 1 >= argc) bad("an option needs a value");
        return argv[++i];
    };
    for (; i < argc && std::strncmp(argv[i], "--", 2) == 0; ++i) {
        const std::string a = argv[i];
        if (a == "--pure") params.pure = true;
        else if (a == "--leave-output-tensor") params.quantize_output_tensor = false;
        else if (a == "--allow-requantize") params.allow_requantize = true;
        else if (a == "--keep-split") params.keep_split = true;
        else if (a == "--dry-run") params.dry_run = true;
        else if (a == "--output-tensor-type") params.output_tensor_type = ggml_type_named(value());
        else if (a == "--token-embedding-type") params.token_embedding_type = ggml_type_named(value());
        else if (a == "--tensor-type") {
            const std::string v = value();
            const size_t eq = v.find('=');
            if (eq == std::string::npos || eq == 0) bad("--tensor-type wants RE=TYPE");
            std::string re = v.substr(0, eq);
            for (auto& c : re) c = char(std::tolower(static_cast<unsigned char>(c)));
            tt_names.push_back(re);
            tt_types.push_back(ggml_type_named(v.substr(eq + 1)));
        } else if (a == "--imatrix") imatrix_file = value();
        else if (a == "--include-weights") include.push_back(value());
        else if (a == "--exclude-weights") exclude.push_back(value());
        else if (a == "--override-kv") {
            if (!string_parse_kv_override(value(), kv)) bad("bad --override-kv");
        } else if (a == "--prune-layers") {
            std::string list = value();
            for (size_t p = 0; p <= list.size();) {
                const size_t c = std::min(list.find(',', p), list.size());
                prune.push_back(std::atoi(list.substr(p, c - p).c_str()));
                p = c + 1;
            }
            std::sort(prune.begin(), prune.end());
            prune.erase(std::unique(prune.begin(), prune.end()), prune.end());
        } else bad(("unknown option " + a).c_str());
    }
    if (argc - i < 3) bad("usage: llama_quantize_params [options] in.gguf out.gguf TYPE [nthreads]");
    if (!include.empty() && !exclude.empty()) bad("--include-weights and --exclude-weights exclude each other");
    const std::string in = argv[i], type = argv[i + 2];
    std::string out = argv[i + 1];
    bool found = false;
    if (same_ci(type, "COPY")) {  // llama-quantize's COPY: tensors as they are, split as asked
        params.only_copy = true;
        found = true;
    }
    for (const auto& f : kFtypes) {
        if (same_ci(type, f.first)) {
            params.ftype = f.second;
            found = true;
        }
    }
    if (!found) bad("unknown file type");
    params.nthread = argc - i > 3 ? std::atoi(argv[i + 3]) : 1;
    // tools/quantize drops ".gguf" from the output name when it keeps the split.
    if (params.keep_split && out.size() > 5 && out.compare(out.size() - 5, 5, ".gguf") == 0) out.resize(out.size() - 5);

    // The imatrix as tools/quantize prepares it: sums / count per matrix
    // (1 for a matrix that saw no input; legacy files: sums / ncall), then
    // the --exclude-weights / --include-weights name filters.
    std::unordered_map<std::string, std::vector<float>> im;
    int chunks = -1;
    std::vector<std::string> datasets;
    if (!imatrix_file.empty()) {
        common_imatrix loaded;
        if (!common_imatrix_load(imatrix_file, loaded)) bad("cannot load the imatrix");
        for (const auto& [name, e] : loaded.entries) {
            std::vector<float>& w = im[name];
            w.resize(e.sums.size());
            if (loaded.is_legacy) {
                const int64_t ncall = e.counts.empty() ? 0 : e.counts[0];
                for (size_t j = 0; j < w.size(); ++j) w[j] = ncall > 0 ? e.sums[j] / float(ncall) : e.sums[j];
            } else {
                const size_t per = e.sums.size() / e.counts.size();
                for (size_t m = 0; m < e.counts.size(); ++m) {
                    const float c = float(e.counts[m]);
                    for (size_t j = 0; j < per; ++j) w[m * per + j] = c > 0.0f ? e.sums[m * per + j] / c : 1.0f;
                }
            }
        }
        chunks = loaded.chunk_count;
        datasets = loaded.datasets;
        for (const auto& s : exclude) {
            for (auto it = im.begin(); it != im.end();) it = it->first.find(s) != std::string::npos ? im.erase(it) : std::next(it);
        }
        if (!include.empty()) {
            std::unordered_map<std::string, std::vector<float>> kept;
            for (const auto& s : include) {
                for (auto& e : im) {
                    if (e.first.find(s) != std::string::npos) kept.emplace(e.first, e.second);
                }
            }
            im.swap(kept);
        }
    }
    std::vector<llama_model_imatrix_data> im_list;
    if (!im.empty()) {
        for (const auto& [name, w] : im) im_list.push_back({name.c_str(), w.data(), w.size()});
        im_list.push_back({nullptr, nullptr, 0});
        params.imatrix = im_list.data();
        auto add_str = [&](const char* key, const std::string& v) {
            llama_model_kv_override o{};
            std::snprintf(o.key, sizeof o.key, "%s", key);
            o.tag = LLAMA_KV_OVERRIDE_TYPE_STR;
            std::snprintf(o.val_str, sizeof o.val_str, "%s", v.substr(0, 127).c_str());
            kv.push_back(o);
        };
        auto add_int = [&](const char* key, int64_t v) {
            llama_model_kv_override o{};
            std::snprintf(o.key, sizeof o.key, "%s", key);
            o.tag = LLAMA_KV_OVERRIDE_TYPE_INT;
            o.val_i64 = v;
            kv.push_back(o);
        };
        add_str("quantize.imatrix.file", imatrix_file);
        if (!datasets.empty()) add_str("quantize.imatrix.dataset", datasets[0]);
        add_int("quantize.imatrix.entries_count", int64_t(im.size()));
        if (chunks > 0) add_int("quantize.imatrix.chunks_count", chunks);
    }
    if (!kv.empty()) {
        kv.emplace_back();
        kv.back().key[0] = 0;
        params.kv_overrides = kv.data();
    }
    std::vector<llama_model_tensor_override> tt;
    if (!tt_names.empty()) {
        for (size_t k = 0; k < tt_names.size(); ++k) tt.push_back({tt_names[k].c_str(), tt_types[k]});
        tt.push_back({nullptr, GGML_TYPE_COUNT});
        params.tt_overrides = tt.data();
    }
    if (!prune.empty()) {
        prune.push_back(-1);
        params.prune_layers = prune.data();
    }

    ggml_backend_load_all_from_path(std::getenv("LLAMA_BINS"));
    llama_backend_init();
    const uint32_t rc = llama_model_quantize(in.c_str(), out.c_str(), &params);
    llama_backend_free();
    return rc == 0 ? 0 : 1;
}
