// Rules from llama.cpp src/llama-quant.cpp (the version at the pinned commit
// of ../shared/reference, 2026-08). Only the branches that can fire for the
// ftypes quantlab produces and for the llama architecture are kept: the
// MXFP4_MOE / Q1_0 / Q2_0 ftypes and the Falcon special cases cannot occur here.
#include "quantize/quant_plan.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <regex>

#include "core/error.h"
#include "formats/type_traits.h"
#include "quantize/type_layout.h"

namespace quantlab {

namespace {

using T = GgmlType;
using F = LlamaFtype;

enum class Category {
    TokenEmbd,
    AttnQ,
    AttnV,
    AttnK,
    AttnQkv,
    AttnKvB,
    AttnOutput,
    FfnUp,
    FfnGate,
    FfnDown,
    Output,
    Other,
};

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

bool is_token_embd_name(const std::string& n) { return n == "token_embd.weight" || n == "per_layer_token_embd.weight"; }

// Same precedence as llama-quant.cpp's tensor_get_category: substring tests,
// so "attn_qkv.weight" must be tested before "attn_v.weight" would not match
// it anyway, and ffn_* match with or without a suffix (_exps, _shexp).
Category category_of(const std::string& n) {
    if (n == "output.weight") return Category::Output;
    if (is_token_embd_name(n)) return Category::TokenEmbd;
    if (contains(n, "attn_qkv.weight")) return Category::AttnQkv;
    if (contains(n, "attn_kv_b.weight")) return Category::AttnKvB;
    if (contains(n, "attn_v.weight")) return Category::AttnV;
    if (contains(n, "attn_k.weight")) return Category::AttnK;
    if (contains(n, "attn_q.weight")) return Category::AttnQ;
    if (contains(n, "attn_output.weight")) return Category::AttnOutput;
    if (contains(n, "ffn_up")) return Category::FfnUp;
    if (contains(n, "ffn_gate")) return Category::FfnGate;
    if (contains(n, "ffn_down")) return Category::FfnDown;
    return Category::Other;
}

bool is_attn_v_like(Category c) { return c == Category::AttnV || c == Category::AttnQkv || c == Category::AttnKvB; }

// ggml_n_dims: trailing dimensions of 1 do not count.
int n_dims(const std::vector<int64_t>& ne) {
    int n = 1;
    for (size_t i = 0; i < ne.size(); ++i) {
        if (ne[i] > 1) n = int(i) + 1;
    }
    return n;
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// tensor_allows_quantization: the name tests are the whole list from
// llama-quant.cpp, most of which concern other architectures but cost nothing.
bool allows_quantization(const QuantizeParams& p, const GgufTensorInfo& t) {
    if (n_dims(t.ne) < 2) return false;
    const std::string& n = t.name;
    if (!ends_with(n, "weight")) return false;
    if (contains(n, "_norm.weight")) return false;
    if (!p.quantize_output_tensor && n == "output.weight") return false;
    static const char* const kNever[] = {
        "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
        ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    };
    for (const char* s : kNever) {
        if (contains(n, s)) return false;
    }
    // Positional embeddings and token types (BERT) by their full names.
    if (n == "position_embd.weight" || n == "token_types.weight") return false;
    return true;
}

// Layouts, not traits: a plan needs no kernels (type_layout.h).
const char* tname(GgmlType t) { return type_layout(t).name; }
int64_t block_of(GgmlType t) { return type_layout(t).block_size; }

bool use_more_bits(int i_layer, int n_layers) {
    return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

struct State {
    const QuantizeParams& p;
    const ModelInfo& m;
    std::vector<std::regex> patterns;
    int n_attention_wv = 0;
    int i_attention_wv = 0;
    int n_ffn_down = 0;
    int i_ffn_down = 0;
    int n_ffn_gate = 0;
    int i_ffn_gate = 0;
    int n_ffn_up = 0;
    int i_ffn_up = 0;
    bool tied_embeddings = true;  // until output.weight is seen
    int n_fallback = 0;
    std::vector<std::string>* messages;

    // For a dense model the counter is the layer; for experts llama.cpp parses
    // the name because expert tensors are not stored in layer order.
    int layer_of(int counter, const std::string& name) const {
        if (std::max(1, m.n_expert) <= 1) return counter;
        int il = -1;
        if (std::sscanf(name.c_str(), "blk.%d.", &il) != 1) {
            throw Error(ErrorCode::Format, "failed to determine the layer of tensor " + name);
        }
        if (il < 0 || il >= m.n_layer) {
            throw Error(ErrorCode::Format, "bad layer " + std::to_string(il) + " for tensor " + name + ", must be in [0, " +
                                               std::to_string(m.n_layer) + ")");
        }
        return il;
    }
};

bool is_any(F f, std::initializer_list<F> set) {
    for (F x : set) {
        if (f == x) return true;
    }
    return false;
}

// The 1- and 2-bit lattice mixes share one branch of llama_tensor_get_type_impl.
bool is_iq1_iq2_ftype(F f) {
    return is_any(f, {F::MOSTLY_IQ2_XXS, F::MOSTLY_IQ2_XS, F::MOSTLY_IQ1_S, F::MOSTLY_IQ2_S, F::MOSTLY_IQ2_M, F::MOSTLY_IQ1_M});
}

// That branch: attn_v, attn_k (8 experts), the first eighth of ffn_down and
// attn_output get more bits; ffn_gate/ffn_up keep the base type (and, unlike
// the other mixes, their counters are not advanced).
GgmlType iq1_iq2_mix(State& s, GgmlType new_type, Category cat) {
    const F ftype = s.p.ftype;
    const ModelInfo& m = s.m;
    const bool iq2_s_or_m = ftype == F::MOSTLY_IQ2_S || ftype == F::MOSTLY_IQ2_M;
    if (is_attn_v_like(cat)) {
        ++s.i_attention_wv;
        if (m.n_gqa() >= 4 || m.n_expert >= 4) return T::Q4_K;
        return iq2_s_or_m ? T::IQ3_S : T::Q2_K;
    }
    if (m.n_expert == 8 && cat == Category::AttnK) return T::Q4_K;
    if (cat == Category::FfnDown) {
        const bool first_eighth = s.i_ffn_down < s.n_ffn_down / 8;
        ++s.i_ffn_down;
        if (first_eighth) return iq2_s_or_m ? T::IQ3_S : T::Q2_K;
        return new_type;
    }
    if (cat == Category::AttnOutput) {
        if (m.n_expert == 8) return T::Q5_K;
        if (ftype == F::MOSTLY_IQ1_S || ftype == F::MOSTLY_IQ1_M) return T::IQ2_XXS;
        if (iq2_s_or_m) return T::IQ3_S;
    }
    return new_type;
}

// llama_tensor_get_type_impl, restricted to the ftypes of ftype.h on llama.
GgmlType mix_type(State& s, GgmlType new_type, const GgufTensorInfo& t, Category cat) {
    const F ftype = s.p.ftype;
    const ModelInfo& m = s.m;
    if (cat == Category::Output || (s.tied_embeddings && cat == Category::TokenEmbd)) {
        if (s.p.output_tensor_type) return *s.p.output_tensor_type;
        if (t.ne[0] % block_of(new_type) != 0) return T::Q8_0;
        if (is_iq1_iq2_ftype(ftype) || ftype == F::MOSTLY_IQ3_XXS) return T::Q5_K;
        return new_type != T::Q8_0 ? T::Q6_K : new_type;
    }
    if (cat == Category::TokenEmbd) {
        if (s.p.token_embedding_type) return *s.p.token_embedding_type;
        if (is_any(ftype, {F::MOSTLY_IQ2_XXS, F::MOSTLY_IQ2_XS, F::MOSTLY_IQ1_S, F::MOSTLY_IQ1_M})) return T::Q2_K;
        if (is_any(ftype, {F::MOSTLY_IQ2_S, F::MOSTLY_IQ2_M, F::MOSTLY_IQ3_XXS})) return T::IQ3_S;
        if (ftype == F::MOSTLY_TQ1_0 || ftype == F::MOSTLY_TQ2_0) return T::Q4_K;
        return new_type;
    }
    if (is_iq1_iq2_ftype(ftype)) return iq1_iq2_mix(s, new_type, cat);
    if (is_attn_v_like(cat)) {
        if (ftype == F::MOSTLY_Q2_K) {
            new_type = m.n_gqa() >= 4 ? T::Q4_K : T::Q3_K;
        } else if (ftype == F::MOSTLY_Q2_K_S && m.n_gqa() >= 4) {
            new_type = T::Q4_K;
        } else if (ftype == F::MOSTLY_IQ3_XXS) {
            new_type = m.n_gqa() >= 4 ? T::Q4_K : !s.p.has_imatrix ? T::IQ3_S : T::IQ3_XXS;
        } else if ((ftype == F::MOSTLY_IQ3_XS || ftype == F::MOSTLY_IQ3_S) && m.n_gqa() >= 4) {
            new_type = T::Q4_K;
        } else if (ftype == F::MOSTLY_IQ3_M) {
            new_type = T::Q4_K;
        } else if (ftype == F::MOSTLY_Q3_K_M) {
            new_type = s.i_attention_wv < 2 ? T::Q5_K : T::Q4_K;
        } else if (ftype == F::MOSTLY_Q3_K_L) {
            new_type = T::Q5_K;
        } else if ((ftype == F::MOSTLY_IQ4_NL || ftype == F::MOSTLY_IQ4_XS) && m.n_gqa() >= 4) {
            new_type = T::Q5_K;
        } else if ((ftype == F::MOSTLY_Q4_K_M || ftype == F::MOSTLY_Q5_K_M) &&
                   use_more_bits(s.i_attention_wv, s.n_attention_wv)) {
            new_type = T::Q6_K;
        } else if (ftype == F::MOSTLY_Q4_K_S && s.i_attention_wv < 4) {
            new_type = T::Q5_K;
        }
        // 70B: attn_v is 8x smaller than attn_q, so extra bits cost little.
        if (m.is_70b && (new_type == T::Q3_K || new_type == T::Q4_K)) new_type = T::Q5_K;
        if (m.n_expert == 8) new_type = T::Q8_0;
        ++s.i_attention_wv;
        return new_type;
    }
    if (cat == Category::AttnK) {
        if (m.n_expert == 8) return T::Q8_0;
        if (ftype == F::MOSTLY_IQ3_XS) return T::IQ3_XXS;
        if (ftype == F::MOSTLY_IQ3_XXS) return T::IQ2_S;
        return new_type;
    }
    if (cat == Category::AttnQ) {
        if (ftype == F::MOSTLY_IQ3_XS) return T::IQ3_XXS;
        if (ftype == F::MOSTLY_IQ3_XXS) return T::IQ2_S;
        return new_type;
    }
    if (cat == Category::FfnDown) {
        const int i_layer = s.layer_of(s.i_ffn_down, t.name);
        const int n_layer = s.n_ffn_down;
        if (ftype == F::MOSTLY_Q2_K) {
            new_type = T::Q3_K;
        } else if (ftype == F::MOSTLY_Q2_K_S) {
            if (i_layer < n_layer / 8) new_type = T::Q4_K;
        } else if (ftype == F::MOSTLY_IQ3_XXS && !s.p.has_imatrix) {
            new_type = i_layer < n_layer / 8 ? T::Q4_K : T::Q3_K;
        } else if (ftype == F::MOSTLY_Q3_K_M) {
            // Non-Falcon models always take the Q4_K branch past the first 1/16.
            new_type = i_layer < n_layer / 16 ? T::Q5_K : T::Q4_K;
        } else if (ftype == F::MOSTLY_IQ3_M &&
                   (i_layer < n_layer / 8 || (m.n_expert == 8 && use_more_bits(i_layer, n_layer)))) {
            new_type = T::Q4_K;
        } else if (ftype == F::MOSTLY_Q3_K_L) {
            new_type = T::Q5_K;
        } else if (ftype == F::MOSTLY_Q4_K_M) {
            if (use_more_bits(i_layer, n_layer)) new_type = T::Q6_K;
        } else if (i_layer < n_layer / 8 && (ftype == F::MOSTLY_IQ4_NL || ftype == F::MOSTLY_IQ4_XS) &&
                   !s.p.has_imatrix) {
            new_type = T::Q5_K;
        } else if (ftype == F::MOSTLY_Q5_K_M && use_more_bits(i_layer, n_layer)) {
            new_type = T::Q6_K;
        } else if (ftype == F::MOSTLY_Q4_K_S && i_layer < n_layer / 8) {
            new_type = T::Q5_K;
        } else if ((ftype == F::MOSTLY_Q4_0 || ftype == F::MOSTLY_Q5_0) && s.p.has_imatrix && i_layer < n_layer / 8) {
            // Only with an imatrix, so that quantizing without one stays reproducible.
            new_type = ftype == F::MOSTLY_Q4_0 ? T::Q4_1 : T::Q5_1;
        }
        ++s.i_ffn_down;
        return new_type;
    }
    if (cat == Category::AttnOutput) {
        if (m.n_expert == 8) {
            if (is_any(ftype, {F::MOSTLY_Q2_K, F::MOSTLY_IQ3_XS, F::MOSTLY_IQ3_XXS, F::MOSTLY_Q3_K_S, F::MOSTLY_Q3_K_M,
                               F::MOSTLY_IQ4_NL, F::MOSTLY_Q4_K_S, F::MOSTLY_Q4_K_M, F::MOSTLY_IQ3_S, F::MOSTLY_IQ3_M,
                               F::MOSTLY_IQ4_XS})) {
                new_type = T::Q5_K;
            }
        } else {
            if (ftype == F::MOSTLY_Q2_K) new_type = T::Q3_K;
            else if (ftype == F::MOSTLY_IQ3_XXS) new_type = T::IQ3_S;
            else if (ftype == F::MOSTLY_Q3_K_M) new_type = T::Q4_K;
            else if (ftype == F::MOSTLY_Q3_K_L) new_type = T::Q5_K;
            else if (ftype == F::MOSTLY_IQ3_M) new_type = T::Q4_K;
        }
        return new_type;
    }
    if (cat == Category::FfnGate || cat == Category::FfnUp) {
        int& counter = cat == Category::FfnGate ? s.i_ffn_gate : s.i_ffn_up;
        const int n_layer = cat == Category::FfnGate ? s.n_ffn_gate : s.n_ffn_up;
        const int i_layer = s.layer_of(counter, t.name);  // validates expert layer numbers like llama.cpp
        // IQ3_XS: the middle three quarters of the layers drop to IQ3_XXS.
        if (ftype == F::MOSTLY_IQ3_XS && i_layer >= n_layer / 8 && i_layer < 7 * n_layer / 8) new_type = T::IQ3_XXS;
        ++counter;
        return new_type;
    }
    return new_type;
}

// tensor_requires_imatrix: the lattice types below 4 bits (ggml cannot
// quantize most of them without one), and Q2_K inside a Q2_K_S file.
bool tensor_requires_imatrix(const std::string& name, GgmlType t, F ftype) {
    if (is_token_embd_name(name) || name == "output.weight") return false;
    switch (t) {
        case T::IQ3_XXS:
        case T::IQ2_XXS:
        case T::IQ2_XS:
        case T::IQ2_S:
        case T::IQ1_M:
        case T::IQ1_S: return true;
        case T::Q2_K: return ftype == F::MOSTLY_Q2_K_S;
        default: return false;
    }
}

// tensor_type_fallback: rows that are not whole blocks of the chosen type.
GgmlType fallback_type(State& s, const GgufTensorInfo& t, GgmlType target, PlannedTensor& pt) {
    const int64_t ncols = t.ne[0];
    const int64_t blk = block_of(target);
    if (ncols % blk == 0) return target;
    ++s.n_fallback;
    // For the hint: "blk.3.ffn_down.weight" -> "ffn_down", a pattern for every layer.
    std::string kind = t.name;
    int il = -1;
    int used = 0;
    if (std::sscanf(kind.c_str(), "blk.%d.%n", &il, &used) == 1 && used > 0) kind = kind.substr(size_t(used));
    if (ends_with(kind, ".weight")) kind.resize(kind.size() - 7);
    GgmlType r;
    switch (target) {
        // 256-value lattice types fall back to the 32-value non-linear one.
        case T::IQ1_S:
        case T::IQ1_M:
        case T::IQ2_XXS:
        case T::IQ2_XS:
        case T::IQ2_S:
        case T::IQ3_XXS:
        case T::IQ3_S:
        case T::IQ4_XS: r = T::IQ4_NL; break;
        case T::Q2_K:
        case T::Q3_K:
        case T::TQ1_0:
        case T::TQ2_0: r = T::Q4_0; break;
        case T::Q4_K: r = T::Q5_0; break;
        case T::Q5_K: r = T::Q5_1; break;
        case T::Q6_K: r = T::Q8_0; break;
        default:
            throw Error(ErrorCode::Unsupported,
                        "no tensor type fallback is defined for type " + std::string(tname(target)) + ": tensor " +
                            t.name + " has rows of " + std::to_string(ncols) + " values, not a multiple of " +
                            std::to_string(blk) + " (llama-quantize stops here too; --tensor-type " + kind +
                            "=f16 keeps such tensors in f16)");
    }
    char buf[256];
    std::snprintf(buf, sizeof buf, "warning: %s - ncols %6lld not divisible by %3lld (required for type %7s) ",
                  padded_name(t.name, 36).c_str(), (long long)ncols, (long long)blk, tname(target));
    std::string msg = buf;
    if (ncols % block_of(r) != 0) {
        msg += "(WARNING: must use F16 due to unusual shape) ";
        r = T::F16;
    }
    std::snprintf(buf, sizeof buf, "-> falling back to %7s", tname(r));
    s.messages->push_back(msg + buf);
    pt.fell_back = true;
    pt.fallback_from = target;
    return r;
}

uint64_t bytes_of(GgmlType t, const std::vector<int64_t>& ne) {
    int64_t rows = 1;
    for (size_t i = 1; i < ne.size(); ++i) rows *= ne[i];
    const TypeLayout& l = type_layout(t);
    return uint64_t(rows) * uint64_t(ne[0] / l.block_size) * l.type_size;
}

int read_int(const GgufHeader& h, const std::vector<KvOverride>& overrides, const std::string& key, bool required,
             int fallback) {
    // The loader takes an int override in place of the file's value; one of
    // another kind it ignores (GGUFMeta::GKV::try_override). The loader keeps
    // the first override of a key (map insert), the output file the last.
    for (const auto& o : overrides) {
        if (o.key != key) continue;
        if (const auto v = override_int(o)) return int(*v);
        break;
    }
    const GgufValue* v = h.find(key);
    if (!v) {
        if (required) throw Error(ErrorCode::Format, "missing metadata key '" + key + "'");
        return fallback;
    }
    // Per-layer arrays (some models vary heads by layer): the rules use layer 0.
    if (v->is_array()) {
        const auto a = v->as_i32_array();
        if (a.empty()) throw Error(ErrorCode::Format, "metadata key '" + key + "' is an empty array");
        return a[0];
    }
    return int(v->as_i64());
}

// remap_layer of llama-quant.cpp: with layers to prune, blk.N of a pruned
// layer is dropped (empty name) and the layers after the first pruned one
// are renumbered consecutively, in the order names are first seen.
class LayerRemap {
public:
    explicit LayerRemap(const std::vector<int>& prune) : prune_(prune) {}

    std::string operator()(const std::string& name) {
        if (prune_.empty()) return name;
        static const std::regex kBlock(R"(blk\.(\d+)\.)");
        std::smatch m;
        if (!std::regex_search(name, m, kBlock)) return name;
        int blk = 0;
        try {
            blk = std::stoi(m[1].str());
        } catch (const std::exception&) {
            throw Error(ErrorCode::Format, "tensor " + name + " has a layer number out of range");
        }
        auto it = mapped_.find(blk);
        if (it == mapped_.end()) {
            std::string id;
            if (std::binary_search(prune_.begin(), prune_.end(), blk)) {
                id.clear();
            } else if (blk < prune_.front()) {
                id = std::to_string(blk);
                next_ = blk + 1;
            } else {
                id = std::to_string(next_++);
            }
            it = mapped_.emplace(blk, id).first;
        }
        if (it->second.empty()) return std::string();
        std::string r = name;
        r.replace(size_t(m.position(1)), size_t(m.length(1)), it->second);
        return r;
    }
    // The layer count after pruning (llama-quantize writes it as block_count).
    int next_id() const { return next_; }

private:
    const std::vector<int>& prune_;
    std::map<int, std::string> mapped_;
    int next_ = 0;
};

// Which output file each tensor goes to. --keep-split: its input part
// (llama-quant.cpp; the parts are assumed contiguous, a part left without
// tensors in the middle would crash llama-quantize, so it is refused here).
// --split-max-size: gguf-split's rule on the quantized tensors in output
// order: a new file starts when the padded tensor sizes of the current one
// would exceed the limit (tools/gguf-split/gguf-split.cpp, split_strategy).
void assign_output_files(QuantPlan& plan, const GgufHeader& input, const QuantizeParams& p) {
    if (p.keep_split) {
        plan.split_output = true;
        int n = 1;
        for (auto& t : plan.tensors) {
            t.output_file = int(input.tensors[t.input_index].split);
            n = std::max(n, t.output_file + 1);
        }
        std::vector<int> count(size_t(n), 0);
        for (const auto& t : plan.tensors) ++count[size_t(t.output_file)];
        for (int k = 1; k < n; ++k) {
            if (count[size_t(k)] == 0) {
                throw Error(ErrorCode::Unsupported, "--keep-split: part " + std::to_string(k + 1) + " of " +
                                                        std::to_string(n) +
                                                        " would hold no tensor after --prune-layers "
                                                        "(llama-quantize cannot write that either)");
            }
        }
        plan.n_output_files = n;
    } else if (p.split_max_size > 0) {
        plan.split_output = true;
        int file = 0;
        uint64_t used = 0;
        size_t in_file = 0;
        for (auto& t : plan.tensors) {
            const uint64_t padded = (t.new_bytes + kGgufDefaultAlignment - 1) / kGgufDefaultAlignment * kGgufDefaultAlignment;
            if (used + padded > p.split_max_size) {
                if (in_file == 0) {
                    throw Error(ErrorCode::InvalidArgument,
                                "--split-max-size " + std::to_string(p.split_max_size) + " bytes is smaller than tensor " +
                                    t.name + " (" + std::to_string(padded) +
                                    " bytes): a split would hold no tensor, which gguf-split refuses too");
                }
                ++file;
                used = padded;
                in_file = 0;
            } else {
                used += padded;
            }
            t.output_file = file;
            ++in_file;
        }
        plan.n_output_files = file + 1;
    }
}

}  // namespace

std::string padded_name(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

bool is_float_type(GgmlType t) { return t == T::F32 || t == T::F16 || t == T::BF16; }

bool is_storable_type(GgmlType t) { return t != T::Q8_1 && t != T::Q8_K; }

bool llama_weight_order_less(const std::string& a, const std::string& b) {
    int la = -1;
    int lb = -1;
    std::sscanf(a.c_str(), "blk.%d.", &la);
    std::sscanf(b.c_str(), "blk.%d.", &lb);
    if (la != lb) return la < lb;
    return a < b;
}

TensorTypeOverride parse_tensor_type_override(const std::string& arg) {
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) throw Error(ErrorCode::InvalidArgument, "malformed --tensor-type '" + arg + "' (want REGEX=TYPE)");
    if (eq == 0) throw Error(ErrorCode::InvalidArgument, "--tensor-type '" + arg + "' is missing the tensor name");
    if (eq + 1 == arg.size()) throw Error(ErrorCode::InvalidArgument, "--tensor-type '" + arg + "' is missing the type");
    TensorTypeOverride o;
    o.pattern = arg.substr(0, eq);
    // llama-quantize lower-cases the pattern (tensor names are lower case).
    for (auto& c : o.pattern) c = char(std::tolower(static_cast<unsigned char>(c)));
    o.type = type_traits_by_name(arg.substr(eq + 1)).type;
    return o;
}

ModelInfo read_model_info(const GgufHeader& h, const std::vector<KvOverride>& overrides) {
    const GgufValue* a = h.find("general.architecture");
    if (!a || a->type() != GgufType::STRING) throw Error(ErrorCode::Format, "missing metadata key 'general.architecture'");
    ModelInfo m;
    m.arch = a->as_string();
    if (m.arch != "llama") {
        throw Error(ErrorCode::UnsupportedArchitecture, "architecture '" + m.arch +
                                                "' is not supported by the quantizer (quantlab implements llama-quantize's "
                                                "rules for 'llama' models)");
    }
    const std::string p = m.arch + ".";
    m.n_layer = read_int(h, overrides, p + "block_count", true, 0);
    m.n_head = read_int(h, overrides, p + "attention.head_count", true, 0);
    m.n_head_kv = read_int(h, overrides, p + "attention.head_count_kv", false, m.n_head);
    m.n_expert = read_int(h, overrides, p + "expert_count", false, 0);
    if (m.n_layer <= 0) throw Error(ErrorCode::Format, "block_count must be positive");
    // llama-model.cpp: an 80-layer llama with grouped-query attention is the 70B.
    m.is_70b = m.n_expert != 8 && m.n_layer == 80 && m.n_head != m.n_head_kv;
    return m;
}

QuantPlan plan_quantization(const GgufHeader& input, const QuantizeParams& params) {
    const FtypeInfo& info = ftype_info(params.ftype);
    const GgmlType default_type = info.default_type;
    for (auto t : {params.output_tensor_type, params.token_embedding_type}) {
        if (t && !is_storable_type(*t)) {
            throw Error(ErrorCode::Unsupported, std::string(tname(*t)) + " is an activation format, not a weight type");
        }
    }
    for (const auto& o : params.tensor_types) {
        if (!is_storable_type(o.type)) {
            throw Error(ErrorCode::Unsupported, std::string(tname(o.type)) + " is an activation format, not a weight type");
        }
    }

    QuantPlan plan;
    plan.ftype = params.ftype;
    plan.model = read_model_info(input, params.kv_overrides);

    State s{params, plan.model, {}, 0, 0, 0, 0, 0, 0, 0, 0, true, 0, &plan.messages};
    for (const auto& o : params.tensor_types) {
        try {
            s.patterns.emplace_back(o.pattern);
        } catch (const std::regex_error& e) {
            throw Error(ErrorCode::InvalidArgument, "--tensor-type pattern '" + o.pattern + "' is not a valid regex: " + e.what());
        }
        OverrideReport r;
        r.override_ = o;
        r.ignored_for_ftype = is_float_type(default_type);
        plan.overrides.push_back(std::move(r));
    }

    if (params.keep_split && params.split_max_size > 0) {
        throw Error(ErrorCode::InvalidArgument, "--keep-split and --split-max-size cannot be used together");
    }
    std::vector<size_t> order(input.tensors.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return llama_weight_order_less(input.tensors[a].name, input.tensors[b].name);
    });

    // --prune-layers renames in llama order, then drops; the rules below see the new names.
    std::vector<std::string> out_names(input.tensors.size());
    plan.block_count = plan.model.n_layer;
    {
        LayerRemap remap(params.prune_layers);
        std::vector<size_t> kept;
        for (size_t idx : order) {
            out_names[idx] = remap(input.tensors[idx].name);
            if (out_names[idx].empty()) {
                plan.pruned.push_back(input.tensors[idx].name);
            } else {
                kept.push_back(idx);
            }
        }
        order.swap(kept);
        if (!params.prune_layers.empty()) plan.block_count = remap.next_id();
    }
    // --keep-split: llama-quantize writes the tensors part by part, in file order.
    if (params.keep_split) {
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return input.tensors[a].file_offset < input.tensors[b].file_offset;
        });
    }

    // init_quantize_state_counters: counted over every tensor that is written;
    // the ffn counters use the layer count of the model as loaded (before pruning).
    for (size_t idx : order) {
        const Category c = category_of(out_names[idx]);
        if (is_attn_v_like(c)) ++s.n_attention_wv;
        if (c == Category::Output) s.tied_embeddings = false;
    }
    s.n_ffn_down = s.n_ffn_gate = s.n_ffn_up = plan.model.n_layer;

    for (size_t idx : order) {
        GgufTensorInfo t = input.tensors[idx];
        t.name = out_names[idx];
        PlannedTensor pt;
        pt.input_index = idx;
        pt.name = t.name;
        pt.input_name = input.tensors[idx].name;
        pt.ne = t.ne;
        pt.old_type = t.type;
        pt.allows_quantization = allows_quantization(params, t);
        const Category cat = category_of(t.name);

        // Which patterns would match, for the report, even where they cannot apply.
        if (!pt.allows_quantization) {
            for (size_t i = 0; i < s.patterns.size(); ++i) {
                if (std::regex_search(t.name, s.patterns[i])) plan.overrides[i].not_quantizable.push_back(t.name);
            }
        }

        GgmlType new_type = t.type;
        if (pt.allows_quantization) {
            if (params.token_embedding_type && cat == Category::TokenEmbd) {
                new_type = *params.token_embedding_type;
            } else if (params.output_tensor_type && cat == Category::Output) {
                new_type = *params.output_tensor_type;
            } else {
                new_type = default_type;
                if (!is_float_type(default_type)) {
                    bool manual = false;
                    for (size_t i = 0; i < s.patterns.size(); ++i) {
                        if (!std::regex_search(t.name, s.patterns[i])) continue;
                        const GgmlType q = params.tensor_types[i].type;
                        if (q != new_type) {
                            char buf[256];
                            std::snprintf(buf, sizeof buf, "%s - applying manual override: %s -> %s",
                                          padded_name(t.name, 36).c_str(), tname(new_type), tname(q));
                            plan.messages.push_back(buf);
                            new_type = q;
                        }
                        manual = true;
                        pt.override_index = int(i);
                        plan.overrides[i].applied.push_back(t.name);
                        break;
                    }
                    if (!manual && !params.pure) new_type = mix_type(s, new_type, t, cat);
                    new_type = fallback_type(s, t, new_type, pt);
                }
            }
            // The early returns above skip the fallback, so llama-quantize would
            // hit ggml's block-size assertion; say so before any work is done.
            if (t.ne[0] % block_of(new_type) != 0) {
                throw Error(ErrorCode::BadLength, "tensor " + t.name + " has rows of " + std::to_string(t.ne[0]) +
                                                      " values, not a multiple of " + tname(new_type) +
                                                      "'s block size " + std::to_string(block_of(new_type)));
            }
        }
        pt.new_type = new_type;
        pt.convert = new_type != t.type;
        pt.requantize = pt.convert && !is_float_type(t.type);
        pt.requires_imatrix = pt.allows_quantization && tensor_requires_imatrix(t.name, new_type, params.ftype);
        pt.old_bytes = t.size_bytes;
        pt.new_bytes = pt.convert ? bytes_of(new_type, t.ne) : t.size_bytes;

        plan.n_elements += uint64_t(t.n_elements());
        plan.old_bytes += pt.old_bytes;
        plan.new_bytes += pt.new_bytes;
        if (pt.requantize) ++plan.n_requantize;
        if (pt.requires_imatrix) plan.needs_imatrix = true;
        plan.tensors.push_back(std::move(pt));
    }
    plan.n_fallback = s.n_fallback;
    assign_output_files(plan, input, params);

    for (const auto& r : plan.overrides) {
        if (r.ignored_for_ftype) {
            plan.warnings.push_back("--tensor-type " + r.override_.pattern + "=" + tname(r.override_.type) +
                                    " is ignored: " + info.name + " does not quantize, as in llama-quantize");
        } else if (r.applied.empty()) {
            std::string w = "--tensor-type " + r.override_.pattern + "=" + tname(r.override_.type) + " matched no tensor";
            if (!r.not_quantizable.empty()) w += " that is quantized (it matches only " + r.not_quantizable.front() + (r.not_quantizable.size() > 1 ? " and others)" : ")");
            plan.warnings.push_back(w);
        }
    }

    if (plan.n_requantize > 0) {
        const PlannedTensor* first = nullptr;
        for (const auto& t : plan.tensors) {
            if (t.requantize) {
                first = &t;
                break;
            }
        }
        const std::string what = "requantizing from type " + std::string(tname(first->old_type)) + " is disabled (" +
                                 first->name + " and " + std::to_string(plan.n_requantize - 1) +
                                 " more tensors are already quantized); pass --allow-requantize";
        if (!params.allow_requantize) {
            if (!params.dry_run) throw Error(ErrorCode::Unsupported, what);
            plan.warnings.push_back(what);
        }
    }
    if (plan.needs_imatrix && !params.has_imatrix) {
        std::string first;
        for (const auto& t : plan.tensors) {
            if (t.requires_imatrix) {
                first = t.name;
                break;
            }
        }
        const std::string what = std::string(info.name) + " requires an importance matrix (first tensor: " + first +
                                 "); compute one with `quantlab imatrix` (or llama-imatrix) and pass it with --imatrix";
        if (!params.dry_run) throw Error(ErrorCode::InvalidArgument, what);
        plan.warnings.push_back("dry run completed, but " + what);
    }
    return plan;
}

std::vector<int> parse_prune_layers(const std::string& arg) {
    std::vector<int> layers;
    size_t start = 0;
    for (;;) {
        const size_t comma = arg.find(',', start);
        const std::string item = arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        int id = -1;
        try {
            id = std::stoi(item);  // like llama-quantize: a leading number counts
        } catch (const std::exception&) {
            id = -1;
        }
        if (id < 0) throw Error(ErrorCode::InvalidArgument, "invalid layer id '" + item + "' in --prune-layers '" + arg + "'");
        layers.push_back(id);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    std::sort(layers.begin(), layers.end());
    layers.erase(std::unique(layers.begin(), layers.end()), layers.end());
    return layers;
}

uint64_t parse_split_size(const std::string& arg) {
    size_t used = 0;
    unsigned long long n = 0;
    try {
        if (arg.empty() || !std::isdigit(static_cast<unsigned char>(arg[0]))) throw std::invalid_argument(arg);
        n = std::stoull(arg, &used);
    } catch (const std::exception&) {
        throw Error(ErrorCode::InvalidArgument, "--split-max-size '" + arg + "' is not a size (N, NM or NG)");
    }
    const std::string unit = arg.substr(used);
    uint64_t scale = 1;
    if (unit == "M") {
        scale = 1000ull * 1000ull;  // gguf-split: megabytes, not MiB
    } else if (unit == "G") {
        scale = 1000ull * 1000ull * 1000ull;
    } else if (!unit.empty()) {
        throw Error(ErrorCode::InvalidArgument, "--split-max-size '" + arg + "': the unit must be M or G (10^6, 10^9 bytes) or none");
    }
    if (n == 0) throw Error(ErrorCode::InvalidArgument, "--split-max-size must be positive");
    if (n > UINT64_MAX / scale) throw Error(ErrorCode::InvalidArgument, "--split-max-size '" + arg + "' is too large");
    return uint64_t(n) * scale;
}

}  // namespace quantlab
