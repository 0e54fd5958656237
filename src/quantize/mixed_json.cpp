#include "quantize/mixed_json.h"

#include <cmath>
#include <limits>

#include "core/json_writer.h"
#include "formats/type_traits.h"
#include "stats/rank_correlation.h"

namespace quantlab {

ProxyAgreement proxy_agreement(const SensitivityResult& r) {
    ProxyAgreement a;
    std::vector<double> all_p, all_k;
    for (size_t ti = 0; ti < r.types.size(); ++ti) {
        std::vector<double> p, k;
        for (const auto& t : r.tensors) {
            const SensitivityCell& c = t.cells[ti];
            if (!c.rejected.empty() || std::isnan(c.kld) || std::isnan(c.proxy)) continue;
            p.push_back(c.proxy);
            k.push_back(c.kld);
        }
        all_p.insert(all_p.end(), p.begin(), p.end());
        all_k.insert(all_k.end(), k.begin(), k.end());
        a.per_type.emplace_back(r.types[ti], p.size() >= 2 ? spearman_rho(p, k) : std::numeric_limits<double>::quiet_NaN());
    }
    a.all_cells = all_p.size() >= 2 ? spearman_rho(all_p, all_k) : std::numeric_limits<double>::quiet_NaN();
    return a;
}

std::string sensitivity_to_json(const SensitivityResult& r) {
    JsonWriter j;
    j.begin_object();
    j.key("types").begin_array();
    for (GgmlType t : r.types) j.value(type_traits(t).name);
    j.end_array();
    j.field("exact", r.exact).field("nCtx", r.n_ctx).field("nChunks", r.n_chunks).field("nScored", r.n_scored);
    j.field("damageModel", r.damage == DamageModel::Smoothed ? "smoothed" : "measured");
    j.field("basePpl", r.base_ppl).field("imatrixComputed", r.imatrix_computed).field("seconds", r.seconds);
    j.key("tensors").begin_array();
    for (const auto& t : r.tensors) {
        j.begin_object().field("name", t.name).field("kind", t.kind).field("layer", t.layer);
        j.key("shape").begin_array();
        for (int64_t d : t.ne) j.value(d);
        j.end_array();
        j.field("storedType", type_traits(t.stored_type).name).field("storedBytes", t.stored_bytes);
        j.key("cells").begin_array();
        for (const auto& c : t.cells) {
            j.begin_object().field("type", type_traits(c.type).name);
            if (!c.rejected.empty()) {
                j.field("rejected", c.rejected);
            } else {
                j.field("bytes", c.bytes).field("proxy", c.proxy).field("kld", c.kld).field("damage", c.damage);
            }
            j.end_object();
        }
        j.end_array().end_object();
    }
    j.end_array();
    if (r.exact) {
        const ProxyAgreement a = proxy_agreement(r);
        j.key("spearman").begin_object();
        for (const auto& [t, rho] : a.per_type) j.field(type_traits(t).name, rho);
        j.field("all", a.all_cells);
        j.end_object();
    }
    j.end_object();
    return j.str();
}

}  // namespace quantlab
